//! Opening the encrypted SQLite file and applying numbered migrations.
//!
//! Order matters: the key is checked with a read before anything writes, so a wrong key,
//! a foreign file or a newer schema leaves the file byte-for-byte untouched.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{ClinicError, ErrorCode, Result};
use crate::key::DbKey;
use crate::search;

/// 'CLNC', set by migration 0001.
pub const APPLICATION_ID: i64 = 0x434C_4E43;

/// Embedded migrations, applied in order; index + 1 is the schema version they produce.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_patients_visits.sql"),
    include_str!("../migrations/0002_search_keys.sql"),
    include_str!("../migrations/0003_id_number.sql"),
    include_str!("../migrations/0004_external_id.sql"),
    include_str!("../migrations/0005_drop_unused_indexes.sql"),
    include_str!("../migrations/0006_full_profile.sql"),
    include_str!("../migrations/0007_visit_stats.sql"),
    include_str!("../migrations/0008_handouts.sql"),
    include_str!("../migrations/0009_handout_templates.sql"),
    include_str!("../migrations/0010_backup_folder.sql"),
    include_str!("../migrations/0011_backup_log.sql"),
    include_str!("../migrations/0012_backup_schedule.sql"),
    include_str!("../migrations/0013_segments.sql"),
    include_str!("../migrations/0014_visit_nps.sql"),
    include_str!("../migrations/0015_tags_and_segments.sql"),
    include_str!("../migrations/0016_appointments.sql"),
    include_str!("../migrations/0017_reminders.sql"),
    include_str!("../migrations/0018_loyalty.sql"),
    include_str!("../migrations/0019_membership.sql"),
    include_str!("../migrations/0020_visit_digest.sql"),
    include_str!("../migrations/0021_visit_change.sql"),
    include_str!("../migrations/0022_staff_audit.sql"),
    include_str!("../migrations/0023_privacy.sql"),
    include_str!("../migrations/0024_fact_change.sql"),
    include_str!("../migrations/0025_report_indexes.sql"),
    include_str!("../migrations/0026_foreign_key_indexes.sql"),
    include_str!("../migrations/0027_kept_visits_image.sql"),
];

/// How long a write waits for another connection (the CLI, a backup's reader) to let go.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// SQLite marks itself initialised *before* it runs SQLCipher's own start-up
/// (`SQLITE_EXTRA_INIT` runs after `isInit = 1`, outside SQLite's init mutex). A second
/// thread that opens its first connection in that window is refused the key ("An error
/// occurred with PRAGMA key or rekey") — CI hit it when test threads started together, and
/// a bare rusqlite reproduction failed in 8 of 300 fresh processes (`tests/first_keying.rs`). So the first keying in a
/// process waits until a throw-away in-memory connection accepts a key, which proves
/// SQLCipher is ready; after that keying is never refused for this reason.
static SQLCIPHER_READY: std::sync::Once = std::sync::Once::new();

fn wait_until_sqlcipher_is_ready() {
    SQLCIPHER_READY.call_once(|| {
        for _ in 0..2000 {
            let ready = Connection::open_in_memory().is_ok_and(|probe| {
                probe
                    .execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA key = 'probe';")
                    .is_ok()
            });
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Keying (`PRAGMA key`, `ATTACH … KEY`) also takes turns process-wide: each turn is well
/// under a millisecond, which costs the one-connection app nothing and keeps SQLCipher's
/// shared provider state out of any race we have not seen yet.
static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One turn at giving SQLCipher a key (`PRAGMA key`, `ATTACH … KEY`).
pub(crate) fn keying_turn() -> std::sync::MutexGuard<'static, ()> {
    wait_until_sqlcipher_is_ready();
    KEYING.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn set_key(conn: &Connection, key: &DbKey) -> rusqlite::Result<()> {
    let _turn = keying_turn();
    conn.execute_batch(&format!("PRAGMA key = {};", key.pragma_literal().as_str()))
}

/// A second connection to a clinic file with `key` (an online backup's reader, a check, the
/// warm-up): no migrations, no pragmas beyond the key. A wrong key shows on the first read.
pub(crate) fn keyed(path: &Path, key: &DbKey, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    set_key(&conn, key)?;
    Ok(conn)
}

/// Opens (or, with `create`, creates) the database and brings its schema up to date.
pub fn open(path: &Path, key: &DbKey, create: bool) -> Result<Connection> {
    open_inner(path, Some(key), create)
}

/// An UNENCRYPTED database, only so the benchmark can measure what encryption costs. The
/// feature is off in every build that ships.
#[cfg(feature = "bench-plain")]
pub fn open_plain(path: &Path) -> Result<Connection> {
    open_inner(path, None, true)
}

fn open_inner(path: &Path, key: Option<&DbKey>, create: bool) -> Result<Connection> {
    if !create && !path.exists() {
        return Err(ClinicError::new(
            ErrorCode::NotInitialized,
            format!("no clinic database at {}", path.display()),
        ));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // Unknown pragmas are ignored by SQLite, so this is safe on any SQLCipher build.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    if let Some(key) = key {
        set_key(&conn, key)?;
    }

    // The first read is where a wrong key shows (SQLITE_NOTADB); nothing has been written yet.
    let (tables, version, app_id) = match read_header(&conn) {
        Ok(v) => v,
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ffi::ErrorCode::NotADatabase) => {
            return Err(classify_unreadable(path));
        }
        Err(e) => return Err(e.into()),
    };
    if tables > 0 && app_id != APPLICATION_ID {
        return Err(ClinicError::new(
            ErrorCode::NotAClinicFile,
            format!(
                "{} is an SQLite database of another program",
                path.display()
            ),
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(ClinicError::new(
            ErrorCode::SchemaTooNew,
            format!(
                "this clinic file has schema version {version}, but this version of Clinic CRM understands up to {SCHEMA_VERSION}: please update the app"
            ),
        ));
    }

    // synchronous=FULL: an acknowledged write survives a power cut, which a clinic must have.
    // A 64 MiB page cache: every page read from disk is decrypted, so keeping the hot part
    // of the file (search keys, recent patients) in memory is where SQLCipher's cost goes.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;",
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    migrate(&conn, version)?;
    Ok(conn)
}

fn read_header(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    Ok((tables, version, app_id))
}

/// A file the key cannot read: plain SQLite is someone else's file; anything else is
/// either another clinic's file or not a database at all.
fn classify_unreadable(path: &Path) -> ClinicError {
    let mut head = [0u8; 16];
    let is_plain_sqlite = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .map(|_| &head == SQLITE_HEADER)
        .unwrap_or(false);
    if is_plain_sqlite {
        ClinicError::new(
            ErrorCode::NotAClinicFile,
            format!(
                "{} is an unencrypted SQLite file, not a Clinic CRM file",
                path.display()
            ),
        )
    } else {
        ClinicError::new(
            ErrorCode::WrongKey,
            format!(
                "{} cannot be opened with this key: it belongs to another key file or is damaged",
                path.display()
            ),
        )
    }
}

/// Applies every pending migration, then brings derived data (search keys) up to date, in
/// one transaction: all of it or none.
fn migrate(conn: &Connection, from: i64) -> Result<()> {
    if from >= SCHEMA_VERSION && search::index_is_current(conn)? {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<()> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        }
        search::ensure_index(conn)
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(Into::into),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
