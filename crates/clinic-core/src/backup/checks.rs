//! The checks every backup passes: SQLCipher's page HMACs (`cipher_integrity_check`),
//! SQLite's own structure check (`integrity_check`), and the counts compared with the source.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{counts, invalid, BackupCounts};
use crate::access::{authorize, Action, Actor};
use crate::clinic::Clinic;
use crate::db::{keyed, APPLICATION_ID, SCHEMA_VERSION};
use crate::error::{ClinicError, ErrorCode, Result};
use crate::key::DbKey;

/// A check's answer when its thread ended without one.
pub(super) const STOPPED: &str = "the check stopped";

/// Opens a database copy with `key` and runs both integrity checks; answers its schema
/// version and counts. `file` names the backup in errors.
pub(crate) fn check_database(db: &Path, key: &DbKey, file: &Path) -> Result<(i64, BackupCounts)> {
    let (conn, version) = open_copy(db, key, file)?;
    // Each check reads the whole file: the page HMACs on a second connection, at the same
    // time as SQLite's structure check (two cores).
    let (cipher, structure) = std::thread::scope(|s| {
        let cipher = s.spawn(|| -> std::result::Result<(), String> {
            let second = keyed(db, key, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| e.message)?;
            cipher_check(&second)
        });
        let structure = structure_check(&conn);
        (
            cipher.join().unwrap_or_else(|_| Err(STOPPED.into())),
            structure,
        )
    });
    cipher.and(structure).map_err(|why| invalid(file, why))?;
    Ok((version, counts(&conn)?))
}

/// Opens a database copy read-only with `key`, refusing one that does not open with it, is
/// not a clinic's or is from a newer version; answers the connection (ready for
/// `integrity_check`) and the schema version. `file` names the backup in errors.
pub(super) fn open_copy(db: &Path, key: &DbKey, file: &Path) -> Result<(Connection, i64)> {
    let conn = keyed(db, key, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let header = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    if let Err(e) = header {
        return Err(
            if e.sqlite_error_code() == Some(rusqlite::ffi::ErrorCode::NotADatabase) {
                invalid(file, "its database does not open with its key (damaged)")
            } else {
                e.into()
            },
        );
    }
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if app_id != APPLICATION_ID {
        return Err(invalid(file, "it does not hold a Clinic CRM database"));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(ClinicError::new(
            ErrorCode::SchemaTooNew,
            format!(
                "{} was made by a newer Clinic CRM (schema {version}; this one reads up to {SCHEMA_VERSION}): update the app first",
                file.display()
            ),
        ));
    }
    ready_for_checks(&conn, db)?;
    Ok((conn, version))
}

/// Sizes the cache of `conn`, a connection to the database file `db`, for `integrity_check`.
pub(super) fn ready_for_checks(conn: &Connection, db: &Path) -> rusqlite::Result<()> {
    // integrity_check walks every index against its table: with SQLite's small default
    // cache each page would be read and decrypted again and again. A cache the size of the
    // file (at most 1 GiB, only as much as is read) decrypts each page once.
    let kib = std::fs::metadata(db)
        .map_or(0, |m| m.len() / 1024)
        .clamp(64 * 1024, 1 << 20);
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{kib}; PRAGMA temp_store = MEMORY;"
    ))
}

/// Every page's HMAC (`PRAGMA cipher_integrity_check`); the first problem as text.
pub(super) fn cipher_check(conn: &Connection) -> std::result::Result<(), String> {
    let run = || -> rusqlite::Result<Option<String>> {
        let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
        let problems: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(problems
            .first()
            .map(|p| format!("encryption check failed: {p}")))
    };
    match run() {
        Ok(None) => Ok(()),
        Ok(Some(why)) => Err(why),
        Err(e) => Err(e.to_string()),
    }
}

/// SQLite's own structure check (`PRAGMA integrity_check`); the first problem as text.
pub(super) fn structure_check(conn: &Connection) -> std::result::Result<(), String> {
    match conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)) {
        Ok(ok) if ok == "ok" => Ok(()),
        Ok(problem) => Err(format!("integrity check failed: {problem}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Both checks, one after the other, on one connection; the first problem as text.
fn integrity(conn: &Connection) -> std::result::Result<(), String> {
    cipher_check(conn).and_then(|()| structure_check(conn))
}

impl Clinic {
    /// Both integrity checks on the live file (after a crash, before trusting it).
    pub fn check_integrity(&self, actor: &Actor) -> Result<()> {
        authorize(actor, Action::SettingsRead)?;
        let conn = self.connection();
        integrity(&conn).map_err(|why| {
            ClinicError::new(
                ErrorCode::ClinicFileDamaged,
                format!("the clinic file {} is damaged: {why}", self.dir().display()),
            )
        })
    }
}
