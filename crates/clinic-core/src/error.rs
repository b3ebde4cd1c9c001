//! Typed errors with stable codes. They cross the IPC boundary as data
//! (`{code, message, field, rule}`); the UI translates `code`/`rule`, the CLI prints `message`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable error codes: scripts and the UI match on these, so never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum ErrorCode {
    /// Input failed validation; `field` and `rule` say where and why.
    Validation,
    /// The record does not exist (or was archived where that matters).
    NotFound,
    /// The passphrase does not unwrap the key file.
    WrongPassphrase,
    /// The key opens no database here: the file belongs to another key or is damaged.
    WrongKey,
    /// The database exists but its key file is gone.
    KeyFileMissing,
    /// The key file is not one we wrote, or is damaged.
    KeyFileInvalid,
    /// The database file is not a Clinic CRM file (e.g. plain SQLite or another program's).
    NotAClinicFile,
    /// The file was written by a newer version of the app.
    SchemaTooNew,
    /// `init` on a folder that already holds a clinic.
    AlreadyInitialized,
    /// No clinic in this folder yet.
    NotInitialized,
    /// The clinic is locked: unlock it first.
    Locked,
    /// The signed-in staff member may not do this.
    PermissionDenied,
    /// The disk is full: nothing was written.
    DiskFull,
    /// A file could not be read or written.
    Io,
    /// A file to import is not a readable CSV or spreadsheet (malformed, truncated, wrong
    /// encoding, no usable columns); nothing was imported.
    BadFile,
    /// The database reported an unexpected error.
    Storage,
    /// A new patient looks like one already registered (same phone, ID number, or name and
    /// birth date); nothing was saved. Check, then register anyway if it is someone else.
    Duplicate,
    /// Staff stopped a long job (a batch of handouts); nothing was written.
    Cancelled,
    /// A backup file is damaged, truncated or not a Clinic CRM backup; nothing was changed.
    BackupInvalid,
    /// The backup folder is not there (a USB disk not plugged in, a network share gone).
    FolderMissing,
    /// The backup folder cannot be written to (read-only disk or no permission).
    FolderReadOnly,
    /// Something still depends on what was to be removed (a tag a saved segment uses);
    /// nothing was removed. `message` names what depends on it.
    InUse,
    /// The doctor, room or patient already has an appointment then; nothing was booked.
    /// `field` says which (`doctor`, `room` or `patientId`); `message` names the other one.
    Conflict,
    /// The patient has fewer points available than this takes; nothing was spent.
    InsufficientPoints,
    /// The points programme is switched off (Settings → Loyalty); nothing was spent.
    PointsOff,
    /// No active staff account with this name and password (the message does not say
    /// which was wrong).
    SignInFailed,
    /// Too many wrong passwords for this account: wait (the message says how long).
    TooManyAttempts,
    /// The audit log's chain of hashes does not hold: an entry was changed or removed
    /// (`message` says where).
    AuditBroken,
    /// The clinic's own database file failed SQLite's integrity check (found while backing
    /// it up, or asked for): nothing was backed up from it. Restore the last good backup.
    ClinicFileDamaged,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Validation => "VALIDATION",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::WrongPassphrase => "WRONG_PASSPHRASE",
            ErrorCode::WrongKey => "WRONG_KEY",
            ErrorCode::KeyFileMissing => "KEY_FILE_MISSING",
            ErrorCode::KeyFileInvalid => "KEY_FILE_INVALID",
            ErrorCode::NotAClinicFile => "NOT_A_CLINIC_FILE",
            ErrorCode::SchemaTooNew => "SCHEMA_TOO_NEW",
            ErrorCode::AlreadyInitialized => "ALREADY_INITIALIZED",
            ErrorCode::NotInitialized => "NOT_INITIALIZED",
            ErrorCode::Locked => "LOCKED",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::DiskFull => "DISK_FULL",
            ErrorCode::Io => "IO",
            ErrorCode::BadFile => "BAD_FILE",
            ErrorCode::Storage => "STORAGE",
            ErrorCode::Duplicate => "DUPLICATE",
            ErrorCode::Cancelled => "CANCELLED",
            ErrorCode::BackupInvalid => "BACKUP_INVALID",
            ErrorCode::FolderMissing => "FOLDER_MISSING",
            ErrorCode::FolderReadOnly => "FOLDER_READ_ONLY",
            ErrorCode::InUse => "IN_USE",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InsufficientPoints => "INSUFFICIENT_POINTS",
            ErrorCode::PointsOff => "POINTS_OFF",
            ErrorCode::SignInFailed => "SIGN_IN_FAILED",
            ErrorCode::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            ErrorCode::AuditBroken => "AUDIT_BROKEN",
            ErrorCode::ClinicFileDamaged => "CLINIC_FILE_DAMAGED",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a field was rejected; the UI has a sentence for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ValidationRule {
    Required,
    TooLong,
    TooShort,
    InvalidFormat,
    InvalidDate,
    InFuture,
    OutOfRange,
    Negative,
    TooManyDecimals,
    UnknownValue,
    MissingTimeZone,
    /// The name is already used by another record of the same kind.
    Taken,
    /// A time before now where only the future makes sense (an appointment).
    InPast,
    /// The clinic is closed that day.
    ClosedDay,
    /// Outside the clinic's opening hours.
    OutsideHours,
}

/// The one error type of the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct ClinicError {
    pub code: ErrorCode,
    /// English text for logs and the CLI; the UI shows its own translation of `code`.
    pub message: String,
    /// For `VALIDATION`: the input field (camelCase, as in the input types).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub field: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<ValidationRule>,
}

pub type Result<T, E = ClinicError> = std::result::Result<T, E>;

impl ClinicError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ClinicError {
            code,
            message: message.into(),
            field: None,
            rule: None,
        }
    }

    pub fn validation(field: &str, rule: ValidationRule, message: impl Into<String>) -> Self {
        ClinicError {
            code: ErrorCode::Validation,
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
            rule: Some(rule),
        }
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("no {what} with id {id}"))
    }
}

impl From<rusqlite::Error> for ClinicError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode as Sql;
        let code = match err.sqlite_error_code() {
            Some(Sql::DiskFull) => ErrorCode::DiskFull,
            Some(Sql::NotADatabase) => ErrorCode::WrongKey,
            Some(Sql::CannotOpen) | Some(Sql::ReadOnly) | Some(Sql::SystemIoFailure) => {
                ErrorCode::Io
            }
            _ => ErrorCode::Storage,
        };
        ClinicError::new(code, err.to_string())
    }
}

impl From<std::io::Error> for ClinicError {
    fn from(err: std::io::Error) -> Self {
        // ENOSPC has no stable ErrorKind on our MSRV; match the raw OS code (Linux 28, macOS 28, Windows 112).
        let full = matches!(err.raw_os_error(), Some(28) | Some(112))
            || err.kind() == std::io::ErrorKind::StorageFull;
        let code = if full {
            ErrorCode::DiskFull
        } else {
            ErrorCode::Io
        };
        ClinicError::new(code, err.to_string())
    }
}
