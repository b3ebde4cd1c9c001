//! Writing a backup: the snapshot, the file in the destination, and its checks, side by
//! side on both cores.
//!
//! SQLite's structure check (`integrity_check`) is the longest step (about 3.5 s on the
//! benchmark clinic, one core). On the raw-pages path it starts the moment the snapshot is
//! fixed, on the live file's own frozen bytes — the very bytes being copied, which no
//! checkpoint may change while the snapshot's read lock is held — instead of waiting for the
//! copy. That the backup holds those same bytes is then proven by SHA-256: the hash of what
//! was read from the clinic equals the hash of what was written into the destination, which
//! equals the hash read back from it. The copy itself is reopened with the key for the HMAC
//! check of every page and the counts. On the backup API's path (another program was
//! writing) the structure check runs on the copy, as before.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use rusqlite::InterruptHandle;
use sha2::{Digest, Sha256};

use super::checks::{cipher_check, open_copy, structure_check, STOPPED};
use super::log::RecordBackup;
use super::{
    counts, file_name, folder_error, gone_or, invalid, read_checked, snapshot, BackupCounts,
    BackupProgress, BackupReport, Header, TempFile, EXTENSION, FORMAT, MAGIC,
};
use crate::access::{authorize, Action, Actor};
use crate::clinic::{Clinic, KEY_FILE};
use crate::error::{ClinicError, ErrorCode, Result};
use crate::key::KeyFile;

/// Interrupts the checks' connections when dropped: on any early return their answers no
/// longer matter, so they stop rather than keep both cores busy for seconds. Harmless once a
/// check has finished (its connection is closed by then).
struct StopChecks(Vec<InterruptHandle>);

impl Drop for StopChecks {
    fn drop(&mut self) {
        self.0.iter().for_each(InterruptHandle::interrupt);
    }
}

/// What was written and checked, before the backup gets its final name.
struct Written {
    bytes: u64,
    counts: BackupCounts,
    snapshot: snapshot::SnapshotPath,
}

impl Clinic {
    /// Writes a backup into `folder` while staff keep working (a second, read-only
    /// connection reads one consistent snapshot), then reads it back from `folder` and
    /// verifies it; only a verified backup gets its final name.
    /// Every attempt is logged: a good one with its file, a failed one with its reason.
    pub fn backup_to(&self, actor: &Actor, folder: &Path) -> Result<BackupReport> {
        self.backup_to_with(actor, folder, &mut |_| {})
    }

    /// [`Clinic::backup_to`], telling `progress` how far it has got.
    pub fn backup_to_with(
        &self,
        actor: &Actor,
        folder: &Path,
        progress: &mut dyn FnMut(BackupProgress),
    ) -> Result<BackupReport> {
        authorize(actor, Action::Backup)?;
        let _exclusive = crate::clinic::lock(&self.maintenance);
        let result = self.write_backup(actor, folder, progress);
        let entry = match &result {
            Ok(r) => RecordBackup {
                folder: folder.display().to_string(),
                file: Some(r.path.clone()),
                bytes: Some(r.bytes),
                error: None,
            },
            Err(e) => RecordBackup {
                folder: folder.display().to_string(),
                file: None,
                bytes: None,
                error: Some(e.clone()),
            },
        };
        // The log lives in the clinic's own file: a full or missing USB disk does not stop it.
        self.execute(actor, entry)?;
        result
    }

    fn write_backup(
        &self,
        actor: &Actor,
        folder: &Path,
        progress: &mut dyn FnMut(BackupProgress),
    ) -> Result<BackupReport> {
        let started = Instant::now();
        let meta = std::fs::metadata(folder).map_err(|e| folder_error(folder, e))?;
        if !meta.is_dir() {
            return Err(ClinicError::new(
                ErrorCode::FolderMissing,
                format!("{} is not a folder", folder.display()),
            ));
        }
        let clinic_name = self.execute(actor, crate::settings::GetClinicProfile)?.name;
        // Read before the snapshot: the key file travels in the header.
        let key_file = KeyFile::read(&self.dir().join(KEY_FILE))?.to_text();
        let now = Utc::now();
        let name = file_name(&clinic_name, now);
        let partial = folder.join(format!(".{name}.partial"));
        let mut header = Header {
            format: FORMAT,
            clinic_id: self.clinic_id().to_string(),
            // Milliseconds: two backups in one second still sort (rotation keeps the newest).
            created_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            schema_version: 0,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            db_bytes: 0,
            db_sha256: "0".repeat(64),
            key_file,
        };

        let written = self
            .write_and_check(folder, &partial, &mut header, progress)
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&partial);
            })?;

        // Two backups in one second must not overwrite each other: "-2", "-3"…
        let mut path = folder.join(&name);
        let mut n = 2;
        while path.exists() {
            let stem = name.trim_end_matches(&format!(".{EXTENSION}"));
            path = folder.join(format!("{stem}-{n}.{EXTENSION}"));
            n += 1;
        }
        std::fs::rename(&partial, &path).map_err(|e| gone_or(e.into(), folder))?;
        if let Ok(d) = File::open(folder) {
            let _ = d.sync_all();
        }
        Ok(BackupReport {
            path: path.display().to_string(),
            bytes: written.bytes,
            created_at: header.created_at,
            counts: written.counts,
            millis: started.elapsed().as_millis() as u64,
            removed: Vec::new(),
            snapshot: Some(written.snapshot),
        })
    }

    /// The snapshot, the file `partial` in `folder`, and every check, on two cores; answers
    /// once all have passed. `header` is completed on the way.
    fn write_and_check(
        &self,
        folder: &Path,
        partial: &Path,
        header: &mut Header,
        progress: &mut dyn FnMut(BackupProgress),
    ) -> Result<Written> {
        let key = self.key();
        // The snapshot: the live database at one instant, in a local temp file.
        progress(BackupProgress::Snapshot);
        let copy = TempFile::new("backup");
        std::thread::scope(|s| {
            let mut stops = StopChecks(Vec::new());
            let mut structure = None;
            let taken = snapshot::take(self, &key, &copy.0, &mut |frozen| {
                stops.0.push(frozen.get_interrupt_handle());
                structure = Some(s.spawn(move || structure_check(&frozen)));
            })?;
            let structure = match structure {
                Some(running) => running,
                None => {
                    let (conn, _) = open_copy(&copy.0, &key, partial)?;
                    stops.0.push(conn.get_interrupt_handle());
                    s.spawn(move || structure_check(&conn))
                }
            };
            // Opened now, so a copy that does not open with the key fails before the writing.
            let (copy_conn, _) = open_copy(&copy.0, &key, partial)?;

            header.schema_version = taken.schema_version;
            let bytes = write_file(folder, partial, header, &copy.0, progress)
                .map_err(|e| gone_or(e, folder))?;
            if taken
                .sha256
                .as_ref()
                .is_some_and(|h| *h != header.db_sha256)
            {
                return Err(invalid(
                    partial,
                    "the snapshot's copy changed before it was written (what was checked is not what would be kept)",
                ));
            }
            // Read back from the destination: its bytes must give the checksum computed while
            // writing, and so equal the snapshot, which passed both checks and holds what the
            // clinic held.
            progress(BackupProgress::Verifying);
            let on_disk =
                read_checked(partial, &mut std::io::sink()).map_err(|e| gone_or(e, folder))?;
            if on_disk.db_sha256 != header.db_sha256 || on_disk.db_bytes != header.db_bytes {
                return Err(invalid(
                    partial,
                    "what was read back is not what was written",
                ));
            }
            // The copy reopened with the key: every page's HMAC, then the counts — after the
            // writing rather than beside it, as a third busy thread on two cores only slowed
            // the structure check (the longest step) down.
            cipher_check(&copy_conn).map_err(|why| invalid(partial, why))?;
            let counts = counts(&copy_conn).map_err(|e| invalid(partial, e))?;
            let structure = structure.join().unwrap_or_else(|_| Err(STOPPED.into()));
            structure.map_err(|why| match taken.path {
                // Checked on the clinic's own bytes: it is the clinic file that is damaged,
                // not the disk the backup went to.
                snapshot::SnapshotPath::RawPages if why != STOPPED => ClinicError::new(
                    ErrorCode::ClinicFileDamaged,
                    format!(
                        "the clinic file {} is damaged ({why}), so it was not backed up: restore the last good backup",
                        self.dir().display()
                    ),
                ),
                _ => invalid(partial, why),
            })?;
            if counts != taken.counts {
                return Err(invalid(
                    partial,
                    format!("it holds {counts:?} but the clinic held {:?}", taken.counts),
                ));
            }
            Ok(Written {
                bytes,
                counts,
                snapshot: taken.path,
            })
        })
    }
}

/// Writes the backup file `partial` in `folder`: the header with a placeholder checksum, the database
/// `db` copied and hashed in one pass, then the header again with the real checksum (the
/// same length, so nothing moves); synced to the disk. Answers the file's length.
fn write_file(
    folder: &Path,
    partial: &Path,
    header: &mut Header,
    db: &Path,
    progress: &mut dyn FnMut(BackupProgress),
) -> Result<u64> {
    let total = std::fs::metadata(db)?.len();
    header.db_bytes = total;
    let file = File::create(partial).map_err(|e| folder_error(folder, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let text = serde_json::to_vec(&*header).expect("header serialises");
    out.write_all(MAGIC)?;
    out.write_all(&(text.len() as u32).to_le_bytes())?;
    out.write_all(&text)?;
    let mut db = File::open(db)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    progress(BackupProgress::Writing { done, total });
    loop {
        let n = db.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        done += n as u64;
        progress(BackupProgress::Writing { done, total });
    }
    header.db_sha256 = hex::encode(hasher.finalize());
    let again = serde_json::to_vec(&*header).expect("header serialises");
    if again.len() != text.len() {
        return Err(invalid(partial, "its header changed length while written"));
    }
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start((MAGIC.len() + 4) as u64))?;
    file.write_all(&again)?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}
