//! Backups: one file per backup holding an encrypted, consistent snapshot of the live
//! database and the passphrase-wrapped key file (never the raw key), verified right after it
//! is written; and restore, which never touches the current data until the backup has been
//! checked, and keeps the current data as a safety copy.
//!
//! The file: `CLINICBK`, a little-endian u32 header length, a JSON header (format, clinic
//! id, time, schema version, the database's size and SHA-256, the key file), then the
//! SQLCipher database itself. Nothing in the header names a patient or counts them: a lost
//! USB disk tells a finder only that it holds an encrypted clinic backup.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::clinic::{folder_state, FolderState, DB_FILE, KEY_FILE};
use crate::db::keyed;
use crate::error::{ClinicError, ErrorCode, Result};
use crate::key::{DbKey, KeyFile};

mod checks;
mod log;
mod schedule;
mod snapshot;
mod write;

pub(crate) use checks::check_database;
pub use log::{
    check_folder, BackupEntry, BackupStatus, FolderCheck, GetBackupFolder, GetBackupStatus,
    ListBackupLog, RecordRestore, SetBackupFolder,
};
pub use schedule::{
    plan_rotation, rotate, BackupSchedule, GetBackupSchedule, SetBackupSchedule, Trigger,
};
pub use snapshot::SnapshotPath;

const MAGIC: &[u8; 8] = b"CLINICBK";
const FORMAT: u32 = 1;
/// A clinic on disk: the database, its WAL (the latest writes) and index, the key file.
const LIVE_FILES: [&str; 4] = [DB_FILE, "clinic.db-wal", "clinic.db-shm", KEY_FILE];
/// Backup files end in `.clinicbackup`.
pub const EXTENSION: &str = "clinicbackup";
/// A header is a few KB; anything larger is not ours.
const MAX_HEADER: u32 = 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    format: u32,
    clinic_id: String,
    created_at: String,
    schema_version: i64,
    app_version: String,
    db_bytes: u64,
    db_sha256: String,
    key_file: String,
}

/// What a backup holds, counted inside the encrypted database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupCounts {
    #[ts(type = "number")]
    pub patients: u64,
    #[ts(type = "number")]
    pub visits: u64,
    #[ts(type = "number")]
    pub handouts_given: u64,
}

pub(crate) fn counts(conn: &Connection) -> rusqlite::Result<BackupCounts> {
    let n = |table: &str| -> rusqlite::Result<u64> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|v| v as u64)
    };
    Ok(BackupCounts {
        patients: n("patient")?,
        visits: n("visit")?,
        handouts_given: n("handout_given")?,
    })
}

/// A backup written and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupReport {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
    pub created_at: String,
    pub counts: BackupCounts,
    /// Time taken to write and verify, in milliseconds.
    #[ts(type = "number")]
    pub millis: u64,
    /// Older backups of this clinic removed from the folder by rotation afterwards.
    #[serde(default)]
    pub removed: Vec<String>,
    /// How the snapshot was taken (for the benchmark and tests; the window does not need it).
    #[serde(skip)]
    #[ts(skip)]
    pub snapshot: Option<SnapshotPath>,
}

/// A backup file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VerifiedBackup {
    pub clinic_id: String,
    /// The clinic's name as its settings held it (empty if never set, or in a backup made
    /// before the clinic had a name setting).
    pub clinic_name: String,
    pub created_at: String,
    #[ts(type = "number")]
    pub schema_version: i64,
    pub counts: BackupCounts,
}

fn invalid(file: &Path, why: impl std::fmt::Display) -> ClinicError {
    ClinicError::new(
        ErrorCode::BackupInvalid,
        format!("{} is not a usable backup: {why}", file.display()),
    )
}

/// How far a backup has got (for a progress bar, and for tests that pull the disk out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupProgress {
    /// Copying a consistent snapshot of the live file (local, fast).
    Snapshot,
    /// Writing the backup file into the destination.
    Writing { done: u64, total: u64 },
    /// Reading it back from the destination and checking it.
    Verifying,
}

/// An error while writing to or reading back from the destination: if the folder itself has
/// gone (a USB disk pulled out), that is what is said.
fn gone_or(e: ClinicError, folder: &Path) -> ClinicError {
    if folder.is_dir() {
        e
    } else {
        ClinicError::new(
            ErrorCode::FolderMissing,
            format!(
                "the backup folder {} went away during the backup (was the USB disk removed?); nothing was changed",
                folder.display()
            ),
        )
    }
}

/// A file in the system's temp folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(label: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!(
            "clinic-{label}-{}-{}.db",
            std::process::id(),
            uuid::Uuid::new_v4()
        )))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// Reads a backup's header; the database follows at the returned offset.
fn read_header(file: &Path, reader: &mut impl Read) -> Result<Header> {
    let mut magic = [0u8; 8];
    reader
        .read_exact(&mut magic)
        .map_err(|_| invalid(file, "it is empty or too short"))?;
    if &magic != MAGIC {
        return Err(invalid(file, "it is not a Clinic CRM backup file"));
    }
    let mut len = [0u8; 4];
    reader
        .read_exact(&mut len)
        .map_err(|_| invalid(file, "it is truncated"))?;
    let len = u32::from_le_bytes(len);
    if len > MAX_HEADER {
        return Err(invalid(file, "its header is damaged"));
    }
    let mut text = vec![0u8; len as usize];
    reader
        .read_exact(&mut text)
        .map_err(|_| invalid(file, "it is truncated"))?;
    let header: Header =
        serde_json::from_slice(&text).map_err(|_| invalid(file, "its header is damaged"))?;
    if header.format != FORMAT {
        return Err(invalid(
            file,
            format!(
                "backup format {} is not one this version reads",
                header.format
            ),
        ));
    }
    Ok(header)
}

/// Copies the database out of a backup into `to`, checking its size and checksum.
fn extract(file: &Path, to: &Path) -> Result<Header> {
    let mut out = BufWriter::new(File::create(to)?);
    let header = read_checked(file, &mut out)?;
    out.flush()?;
    Ok(header)
}

/// Reads a backup through, checking its length and checksum; the database goes to `out`
/// (`std::io::sink()` to check only).
fn read_checked(file: &Path, out: &mut impl Write) -> Result<Header> {
    let mut reader = BufReader::new(File::open(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ClinicError::new(
            ErrorCode::NotFound,
            format!("no backup file {}", file.display()),
        ),
        _ => e.into(),
    })?);
    let header = read_header(file, &mut reader)?;
    let mut hasher = Sha256::new();
    let mut left = header.db_bytes;
    let mut buf = vec![0u8; 1 << 20];
    while left > 0 {
        let want = buf.len().min(left as usize);
        let got = reader.read(&mut buf[..want])?;
        if got == 0 {
            return Err(invalid(file, "it is truncated"));
        }
        hasher.update(&buf[..got]);
        out.write_all(&buf[..got])?;
        left -= got as u64;
    }
    if reader.read(&mut [0u8; 1])? != 0 {
        return Err(invalid(file, "it has extra bytes at the end"));
    }
    if hex::encode(hasher.finalize()) != header.db_sha256 {
        return Err(invalid(file, "its contents do not match their checksum"));
    }
    Ok(header)
}

/// The key file carried in a backup, to unwrap with the passphrase of the day it was made.
pub fn key_file_of(file: &Path) -> Result<KeyFile> {
    let mut reader = BufReader::new(File::open(file)?);
    let header = read_header(file, &mut reader)?;
    KeyFile::from_text(&header.key_file, &file.display().to_string())
}

/// Unpacks a backup's database into `to` and checks it completely with `key`: header,
/// checksum, both integrity checks.
fn unpack_and_check(file: &Path, to: &Path, key: &DbKey) -> Result<VerifiedBackup> {
    let header = extract(file, to)?;
    let (schema_version, counts) = check_database(to, key, file)?;
    let clinic_name = keyed(to, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?
        .query_row("SELECT name FROM clinic_profile WHERE id = 1", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap_or_default();
    Ok(VerifiedBackup {
        clinic_id: header.clinic_id,
        clinic_name,
        created_at: header.created_at,
        schema_version,
        counts,
    })
}

/// Checks a backup file completely with `key`: header, checksum, both integrity checks.
pub fn verify(file: &Path, key: &DbKey) -> Result<VerifiedBackup> {
    let tmp = TempFile::new("verify");
    unpack_and_check(file, &tmp.0, key)
}

/// `verify` with the passphrase the backup was made under.
pub fn verify_with_passphrase(file: &Path, passphrase: &str) -> Result<VerifiedBackup> {
    let key = key_file_of(file)?.unwrap_key(passphrase)?;
    verify(file, &key)
}

fn folder_error(folder: &Path, e: std::io::Error) -> ClinicError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => ClinicError::new(
            ErrorCode::FolderMissing,
            format!(
                "the backup folder {} is not there (is the USB disk plugged in?)",
                folder.display()
            ),
        ),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => ClinicError::new(
            ErrorCode::FolderReadOnly,
            format!(
                "the backup folder {} cannot be written to",
                folder.display()
            ),
        ),
        _ => e.into(),
    }
}

/// A name a file system takes: the clinic's name (or "clinic") and the time.
fn file_name(clinic_name: &str, at: chrono::DateTime<Utc>) -> String {
    let name: String = clinic_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-');
    let name = if name.is_empty() { "clinic" } else { name };
    format!(
        "{name}-{}.{EXTENSION}",
        at.with_timezone(&chrono::Local).format("%Y-%m-%d-%H%M%S")
    )
}

/// A restore done: what is live now, and where the data it replaced was kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RestoreReport {
    pub backup: VerifiedBackup,
    /// The folder holding the replaced database and key file, if there was a clinic here.
    pub safety_copy: Option<String>,
}

/// A restore from the window: what was restored, and the window's status afterwards (the
/// restored clinic, open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RestoreOutcome {
    pub report: RestoreReport,
    pub status: crate::AppStatus,
}

/// Replaces the clinic in `dir` (if any) with the backup in `file`, unlocked with the
/// passphrase the backup was made under. The backup is checked completely first; the
/// current database, its journal and key file are moved into `dir/safety-<time>/` (kept,
/// never deleted); if anything fails after that, they are moved back. The clinic in `dir`
/// must be closed.
pub fn restore(dir: &Path, file: &Path, passphrase: &str) -> Result<RestoreReport> {
    let key_file = key_file_of(file)?;
    let key = key_file.unwrap_key(passphrase)?;
    std::fs::create_dir_all(dir)?;
    // Unpacked beside the live file (same disk: the final rename is atomic) and checked.
    let incoming = dir.join(format!("{DB_FILE}.restoring"));
    let _ = std::fs::remove_file(&incoming);
    let checked = unpack_and_check(file, &incoming, &key);
    let backup = match checked {
        Ok(b) => b,
        Err(e) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(e);
        }
    };

    // The current clinic goes aside whole: database, WAL (its latest writes), key file.
    let present: Vec<&str> = LIVE_FILES
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .collect();
    let safety = (folder_state(dir) != FolderState::Empty).then(|| {
        dir.join(format!(
            "safety-{}",
            chrono::Local::now().format("%Y-%m-%d-%H%M%S")
        ))
    });
    let moved: Result<Vec<&str>> = (|| {
        let mut moved = Vec::new();
        if let Some(safety) = &safety {
            std::fs::create_dir_all(safety)?;
            for f in &present {
                std::fs::rename(dir.join(f), safety.join(f))?;
                moved.push(*f);
            }
        }
        Ok(moved)
    })();
    let put_back = |moved: &[&str]| {
        if let Some(safety) = &safety {
            for f in moved {
                let _ = std::fs::rename(safety.join(f), dir.join(f));
            }
        }
    };
    let result = moved.and_then(|moved| {
        let live = (|| -> Result<()> {
            std::fs::rename(&incoming, dir.join(DB_FILE))?;
            key_file.write(&dir.join(KEY_FILE))?;
            // Opening brings an older backup's schema up to date.
            drop(crate::db::open(&dir.join(DB_FILE), &key, false)?);
            Ok(())
        })();
        if live.is_err() {
            for f in LIVE_FILES {
                let _ = std::fs::remove_file(dir.join(f));
            }
            put_back(&moved);
        }
        live
    });
    let _ = std::fs::remove_file(&incoming);
    result?;
    Ok(RestoreReport {
        backup,
        safety_copy: safety.map(|s| s.display().to_string()),
    })
}

/// A backup file found in a folder, read from its header alone (no key needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupFile {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
    pub created_at: String,
    pub clinic_id: String,
    #[ts(type = "number")]
    pub schema_version: i64,
}

/// The backup files of a folder, and why any other `.clinicbackup` there is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupListing {
    pub backups: Vec<BackupFile>,
    pub problems: Vec<String>,
}

/// [`list`] as one value (for the window).
pub fn listing(folder: &Path) -> Result<BackupListing> {
    let (backups, problems) = list(folder)?;
    Ok(BackupListing { backups, problems })
}

/// The backup files in `folder`, newest first; a damaged one is listed by `problems`.
pub fn list(folder: &Path) -> Result<(Vec<BackupFile>, Vec<String>)> {
    let entries = std::fs::read_dir(folder).map_err(|e| folder_error(folder, e))?;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
            continue;
        }
        let header = File::open(&path)
            .map_err(ClinicError::from)
            .and_then(|f| read_header(&path, &mut BufReader::new(f)));
        match header {
            Ok(h) => found.push(BackupFile {
                path: path.display().to_string(),
                bytes: entry.metadata().map(|m| m.len()).unwrap_or(0),
                created_at: h.created_at,
                clinic_id: h.clinic_id,
                schema_version: h.schema_version,
            }),
            Err(e) => problems.push(e.message),
        }
    }
    let time = |f: &BackupFile| chrono::DateTime::parse_from_rfc3339(&f.created_at).ok();
    found.sort_by_key(|f| std::cmp::Reverse(time(f)));
    Ok((found, problems))
}
