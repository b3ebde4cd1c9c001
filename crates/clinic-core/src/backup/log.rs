//! The backup log (every attempt, good or failed, in the clinic's own file), the remembered
//! folder and whether it can take a backup right now: what "last good backup" is made of.

use std::fs::File;
use std::path::Path;

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result};

use super::schedule::{BackupSchedule, GetBackupSchedule};

/// The folder backups go to when none is named (the last one used).
pub struct GetBackupFolder;

impl Operation for GetBackupFolder {
    type Output = Option<String>;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &rusqlite::Transaction<'_>, _: &Actor) -> Result<Option<String>> {
        Ok(
            tx.query_row("SELECT folder FROM backup_setting WHERE id = 1", [], |r| {
                r.get(0)
            })?,
        )
    }
}

/// Remembers the backup folder.
pub struct SetBackupFolder(pub String);

impl Operation for SetBackupFolder {
    type Output = ();
    fn action(&self) -> Action {
        Action::Backup
    }
    fn run(self, tx: &rusqlite::Transaction<'_>, _: &Actor) -> Result<()> {
        tx.execute(
            "UPDATE backup_setting SET folder = ?1 WHERE id = 1",
            [&self.0],
        )?;
        Ok(())
    }
}

/// A restore, recorded in the restored clinic's audit log once it is open (the file it
/// replaced keeps its own log in the safety copy).
pub struct RecordRestore {
    pub file: String,
    pub safety_copy: Option<String>,
}

impl Operation for RecordRestore {
    type Output = ();
    fn action(&self) -> Action {
        Action::Backup
    }
    fn audit_detail(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "restoredFrom": self.file, "safetyCopy": self.safety_copy }))
    }
    fn run(self, _: &rusqlite::Transaction<'_>, _: &Actor) -> Result<()> {
        // Nothing but the audit entry `Clinic::execute` writes.
        Ok(())
    }
}

/// One attempt, for the log.
pub(super) struct RecordBackup {
    pub(super) folder: String,
    pub(super) file: Option<String>,
    pub(super) bytes: Option<u64>,
    pub(super) error: Option<ClinicError>,
}

impl Operation for RecordBackup {
    type Output = ();
    fn action(&self) -> Action {
        Action::Backup
    }
    fn run(self, tx: &rusqlite::Transaction<'_>, by: &Actor) -> Result<()> {
        tx.execute(
            "INSERT INTO backup_log (at, folder, file, bytes, ok, error_code, message, by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
                self.folder,
                self.file,
                self.bytes.map(|b| b as i64),
                self.error.is_none(),
                self.error.as_ref().map(|e| e.code.as_str()),
                self.error.as_ref().map(|e| e.message.clone()),
                by.name,
            ],
        )?;
        Ok(())
    }
}

/// A logged backup attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupEntry {
    pub at: String,
    pub folder: String,
    pub file: Option<String>,
    #[ts(type = "number | null")]
    pub bytes: Option<u64>,
    pub ok: bool,
    /// The error's code (`FOLDER_MISSING`, `DISK_FULL`…) when it failed.
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub by: String,
}

/// Whether the remembered folder can take a backup right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum FolderCheck {
    /// No folder chosen yet.
    Unset,
    Ready,
    /// Not there (the USB disk is not plugged in).
    Missing,
    ReadOnly,
    /// There, writable, but with less free space than a backup of this clinic needs.
    Full,
}

/// The owner's safety net at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupStatus {
    pub folder: Option<String>,
    pub folder_check: FolderCheck,
    pub last_good: Option<BackupEntry>,
    pub last_attempt: Option<BackupEntry>,
    /// Free space where the folder is, where the system says.
    #[ts(type = "number | null")]
    pub free_bytes: Option<u64>,
    /// About what the next backup will take (the clinic's file and its journal).
    #[ts(type = "number")]
    pub needed_bytes: u64,
    /// When backups run by themselves, how many are kept, when "last good" turns red.
    pub schedule: BackupSchedule,
}

/// Checks a folder by writing and removing a small probe file, then its free space
/// against `needed` bytes.
pub fn check_folder(folder: &Path, needed: u64) -> FolderCheck {
    if !folder.is_dir() {
        return FolderCheck::Missing;
    }
    let probe = folder.join(format!(".clinic-probe-{}", std::process::id()));
    match File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            if free_space(folder).is_some_and(|free| free < needed) {
                FolderCheck::Full
            } else {
                FolderCheck::Ready
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FolderCheck::Missing,
        Err(e) if e.raw_os_error() == Some(28) => FolderCheck::Full,
        Err(_) => FolderCheck::ReadOnly,
    }
}

/// Free bytes for an unprivileged user on the file system holding `folder`; `None` where
/// the system does not say (then only the backup itself finds out, as `DISK_FULL`).
pub fn free_space(folder: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(folder.as_os_str().as_bytes()).ok()?;
        // SAFETY: `path` is a NUL-terminated string that outlives the call, and `stat` is a
        // plain C struct the call fills in; nothing is kept after it returns.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
            return None;
        }
        #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
        Some(stat.f_bavail as u64 * stat.f_frsize as u64)
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        None
    }
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<BackupEntry> {
    Ok(BackupEntry {
        at: r.get(0)?,
        folder: r.get(1)?,
        file: r.get(2)?,
        bytes: r.get::<_, Option<i64>>(3)?.map(|b| b as u64),
        ok: r.get(4)?,
        error_code: r.get(5)?,
        message: r.get(6)?,
        by: r.get(7)?,
    })
}

const ENTRY_COLUMNS: &str = "at, folder, file, bytes, ok, error_code, message, by";

/// The remembered folder (checked now), the last good backup and the last attempt.
pub struct GetBackupStatus;

impl Operation for GetBackupStatus {
    type Output = BackupStatus;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &rusqlite::Transaction<'_>, by: &Actor) -> Result<BackupStatus> {
        use rusqlite::OptionalExtension;
        let folder = GetBackupFolder.run(tx, by)?;
        // The snapshot is at most the file and its write-ahead log, plus a small header.
        let size = |p: &str| std::fs::metadata(p).map_or(0, |m| m.len());
        let needed_bytes = tx
            .path()
            .map_or(0, |db| size(db) + size(&format!("{db}-wal")))
            + 64 * 1024;
        let last = |filter: &str| -> Result<Option<BackupEntry>> {
            Ok(tx
                .query_row(
                    &format!(
                        "SELECT {ENTRY_COLUMNS} FROM backup_log {filter} ORDER BY id DESC LIMIT 1"
                    ),
                    [],
                    entry,
                )
                .optional()?)
        };
        Ok(BackupStatus {
            folder_check: folder
                .as_deref()
                .map(|f| check_folder(Path::new(f), needed_bytes))
                .unwrap_or(FolderCheck::Unset),
            free_bytes: folder.as_deref().and_then(|f| free_space(Path::new(f))),
            needed_bytes,
            folder,
            last_good: last("WHERE ok = 1")?,
            last_attempt: last("")?,
            schedule: GetBackupSchedule.run(tx, by)?,
        })
    }
}

/// The latest attempts, newest first.
pub struct ListBackupLog {
    pub limit: u32,
}

impl Operation for ListBackupLog {
    type Output = Vec<BackupEntry>;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &rusqlite::Transaction<'_>, _: &Actor) -> Result<Vec<BackupEntry>> {
        let mut stmt = tx.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM backup_log ORDER BY id DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([self.limit], entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
