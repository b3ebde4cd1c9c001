//! The snapshot a backup copies: the live database at one instant, still encrypted with the
//! clinic's key, taken while staff keep working.
//!
//! Fast path: the WAL is checkpointed into the database file while the clinic's own writer
//! waits (a few milliseconds), then a read transaction starts that sees only that file.
//! SQLite gives such a reader read-lock 0, and no checkpoint may write into the database file
//! while that lock is held; new writes go on landing in the WAL. So for as long as the
//! transaction lasts the file's bytes *are* the snapshot, and they are copied as they are —
//! no decryption and re-encryption of every page as SQLite's backup API does (4.1 s →
//! 1.1-1.9 s on the 100k-patient benchmark clinic, 456 MiB). The transaction ends as soon as
//! the copy is in the local temp file, so a slow USB disk never holds checkpoints back.
//!
//! A second reader starts its transaction at the same moment and so sees the same bytes: it
//! is handed over for SQLite's structure check, which can then run while the copy is made
//! (write.rs); its transaction lasts as long as that check (seconds, whatever the USB disk's
//! speed). The copy's SHA-256 is computed as it is read, so that what is written into the
//! backup can be shown to be those bytes.
//!
//! Slow path, when another program (say the `clinic` CLI) wrote between the checkpoint and
//! the read, or kept the WAL from emptying: SQLite's backup API, as before.

use std::ffi::{c_int, c_void};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use rusqlite::{ffi, Connection, OpenFlags};
use sha2::{Digest, Sha256};

use super::checks::ready_for_checks;
use super::{counts, BackupCounts};
use crate::clinic::{Clinic, DB_FILE};
use crate::db::keyed;
use crate::error::{ClinicError, ErrorCode, Result};
use crate::key::DbKey;

/// How the snapshot was taken (the benchmark and tests say which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotPath {
    /// The database file's own encrypted bytes, copied under read-lock 0.
    RawPages,
    /// SQLite's backup API, page by page through the cipher.
    BackupApi,
}

/// What the snapshot holds, as counted inside it.
pub(super) struct Snapshot {
    pub counts: BackupCounts,
    pub schema_version: i64,
    pub path: SnapshotPath,
    /// The SHA-256 (hex) of the bytes copied, on the raw-pages path.
    pub sha256: Option<String>,
}

/// Copies the live database of `clinic` into `to` (a new file) as one consistent snapshot.
/// On the raw-pages path `frozen` is given, before the copy starts, a read-only connection
/// to the live file inside a transaction that sees exactly the bytes being copied (its cache
/// sized for `integrity_check`); the transaction lasts as long as the connection.
pub(super) fn take(
    clinic: &Clinic,
    key: &DbKey,
    to: &Path,
    frozen: &mut dyn FnMut(Connection),
) -> Result<Snapshot> {
    let live = clinic.dir().join(DB_FILE);
    let source = keyed(&live, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let twin = keyed(&live, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let is_frozen = {
        // The clinic's writer waits while the WAL is emptied and the reader starts, so no
        // write of this program can slip in between.
        let writer = clinic.connection();
        // Another program reading or checkpointing gets a moment, not the usual five
        // seconds: this program's writes are waiting meanwhile, and the slow path is fine.
        writer.busy_timeout(Duration::from_millis(200))?;
        let busy = writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        });
        writer.busy_timeout(crate::db::BUSY_TIMEOUT)?;
        let busy = busy?;
        source.execute_batch("BEGIN")?;
        // The first read fixes the transaction's snapshot (and its read lock).
        source.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        twin.execute_batch("BEGIN")?;
        twin.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        drop(writer);
        // An empty WAL now means it was empty when the snapshot was fixed: another program
        // writing in between would have left frames in it.
        busy == 0 && wal_is_empty(&live)
    };
    if is_frozen {
        ready_for_checks(&twin, &live)?;
        frozen(twin);
    } else {
        drop(twin);
    }
    let counted = (|| -> Result<(BackupCounts, i64)> {
        Ok((
            counts(&source)?,
            source.query_row("PRAGMA user_version", [], |r| r.get(0))?,
        ))
    })();
    let (counts, schema_version) = match counted {
        Ok(c) => c,
        Err(e) => {
            let _ = source.execute_batch("ROLLBACK");
            return Err(e);
        }
    };
    let (path, sha256) = if is_frozen {
        let copied = copy_raw_pages(&source, to);
        source.execute_batch("COMMIT")?;
        (SnapshotPath::RawPages, Some(copied?))
    } else {
        let mut dest = keyed(
            to,
            key,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        {
            let backup = rusqlite::backup::Backup::new(&source, &mut dest)?;
            backup.step(-1)?;
        }
        // A single file, readable without a -wal beside it.
        dest.execute_batch("PRAGMA journal_mode = DELETE;")?;
        source.execute_batch("COMMIT")?;
        (SnapshotPath::BackupApi, None)
    };
    Ok(Snapshot {
        counts,
        schema_version,
        path,
        sha256,
    })
}

fn wal_is_empty(live: &Path) -> bool {
    let wal = format!("{}-wal", live.display());
    match std::fs::metadata(wal) {
        Ok(m) => m.len() == 0,
        // No WAL at all: a rollback-journal file, where a reader's lock keeps writers out.
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Copies the main database file's bytes (encrypted, as on disk) into `to` and answers their
/// SHA-256 (hex), read through the connection's own open file. Opening the live file a second
/// time and closing it would drop every POSIX lock this process holds on it — SQLite's
/// documented way to corrupt a database — so the file is only ever read through SQLite's
/// handle.
fn copy_raw_pages(conn: &Connection, to: &Path) -> Result<String> {
    let failed = |what: &str, rc: c_int| {
        ClinicError::new(
            ErrorCode::Storage,
            format!("could not read the clinic file for the backup ({what}, SQLite code {rc})"),
        )
    };
    let mut file: *mut ffi::sqlite3_file = std::ptr::null_mut();
    // SAFETY: SQLITE_FCNTL_FILE_POINTER writes one `sqlite3_file*` into the pointer it is
    // given; the connection is open and used by this thread only.
    let rc = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_FILE_POINTER,
            (&mut file as *mut *mut ffi::sqlite3_file).cast::<c_void>(),
        )
    };
    // SAFETY: a non-null file pointer from SQLite stays valid while the connection is open,
    // and its methods table is SQLite's own.
    let methods = match (rc, unsafe { file.as_ref() }) {
        (ffi::SQLITE_OK, Some(f)) => unsafe { f.pMethods.as_ref() },
        _ => None,
    };
    let (Some(size_of), Some(read)) = (
        methods.and_then(|m| m.xFileSize),
        methods.and_then(|m| m.xRead),
    ) else {
        return Err(failed("no open file", rc));
    };
    let mut size: ffi::sqlite3_int64 = 0;
    // SAFETY: `file` is the open main database file; `size` outlives the call.
    let rc = unsafe { size_of(file, &mut size) };
    if rc != ffi::SQLITE_OK {
        return Err(failed("size", rc));
    }
    let mut out = File::create(to)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut hasher = Sha256::new();
    let mut at: ffi::sqlite3_int64 = 0;
    while at < size {
        let n = (size - at).min(buf.len() as i64) as usize;
        // SAFETY: `buf` holds at least `n` bytes; xRead fills exactly `n` or reports a short
        // read, which is an error here (the file cannot shrink under read-lock 0).
        let rc = unsafe { read(file, buf.as_mut_ptr().cast::<c_void>(), n as c_int, at) };
        if rc != ffi::SQLITE_OK {
            return Err(failed("read", rc));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        at += n as i64;
    }
    out.flush()?;
    Ok(hex::encode(hasher.finalize()))
}
