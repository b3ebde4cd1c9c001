//! A clinic's data folder (database + key file), its first-run set-up, unlocking, and
//! `Clinic::execute`: the one door through which every command reaches the data.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::access::rows::RowRecorder;
use crate::access::{audit, authorize, Action, Actor};
use crate::db;
use crate::error::{ClinicError, ErrorCode, Result};
use crate::key::{validate_passphrase, DbKey, KdfParams, KeyFile};
use crate::keychain::KeyCache;

pub const DB_FILE: &str = "clinic.db";
pub const KEY_FILE: &str = "clinic.key";
/// Tauri's app identifier: the app and the CLI share the same data folder.
pub const APP_IDENTIFIER: &str = "com.cliniccrm.desktop";

/// The platform's app data folder (e.g. `~/.local/share/com.cliniccrm.desktop`).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(APP_IDENTIFIER)
}

/// A single unit of work behind the door: it declares what it does, and runs in one transaction.
pub trait Operation {
    type Output;
    fn action(&self) -> Action;
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Self::Output>;
    /// The patient whose record this reads or changes, for the audit log.
    fn patient(&self) -> Option<String> {
        None
    }
    /// More for the audit entry than the operation's name (a file, a field), as JSON.
    fn audit_detail(&self) -> Option<serde_json::Value> {
        None
    }
    /// The operation writes its own, fuller audit entry (a correction with its fields).
    fn audits_itself(&self) -> bool {
        false
    }
}

/// Whether `execute` writes an audit entry: every change (sign-ins and staff changes
/// write their own, with more to say), and every read of one patient's record.
fn audited(action: Action, about_a_patient: bool) -> bool {
    match action {
        Action::SignIn | Action::StaffWrite => false,
        a if a.is_write() => true,
        Action::PatientRead | Action::VisitRead => about_a_patient,
        _ => false,
    }
}

/// The operation's type name without its path (`UpdatePatient`), for the audit detail.
fn operation_name<O>() -> &'static str {
    let full = std::any::type_name::<O>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum FolderState {
    /// Nothing here yet: first run.
    Empty,
    /// A key file and database: ask for the passphrase (or use the keychain).
    Ready,
    /// A database without its key file: cannot be opened.
    KeyFileMissing,
    /// A key file without its database.
    DatabaseMissing,
}

pub fn folder_state(dir: &Path) -> FolderState {
    // A key rotation cut off by a crash is finished or undone before anything looks.
    crate::security::finish_interrupted_rotation(dir);
    match (dir.join(KEY_FILE).exists(), dir.join(DB_FILE).exists()) {
        (false, false) => FolderState::Empty,
        (true, true) => FolderState::Ready,
        (false, true) => FolderState::KeyFileMissing,
        (true, false) => FolderState::DatabaseMissing,
    }
}

/// An unlocked clinic. One connection behind a mutex: one writer, as SQLite wants.
pub struct Clinic {
    conn: Mutex<Connection>,
    dir: PathBuf,
    clinic_id: String,
    /// Kept for a second, read-only connection (an online backup); wiped on drop. Behind a
    /// lock because a key rotation replaces it.
    key: Mutex<DbKey>,
    /// Held by whole-file jobs (backup, key rotation) so they never overlap.
    pub(crate) maintenance: Mutex<()>,
    /// Random, for this opening of the file: every connection this clinic opens carries it,
    /// so what one of them keeps in memory (every visit, everyone's labels) serves them all,
    /// and never a reopened or restored file.
    file_tag: i64,
}

impl std::fmt::Debug for Clinic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clinic").field("dir", &self.dir).finish()
    }
}

impl Clinic {
    /// First run: a new random key, wrapped under `passphrase`, and an empty, migrated database.
    pub fn initialize(dir: &Path, passphrase: &str) -> Result<(Clinic, DbKey)> {
        Self::initialize_with(dir, passphrase, KdfParams::default())
    }

    pub fn initialize_with(
        dir: &Path,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<(Clinic, DbKey)> {
        validate_passphrase(passphrase)?;
        if folder_state(dir) != FolderState::Empty {
            return Err(ClinicError::new(
                ErrorCode::AlreadyInitialized,
                format!("{} already holds a clinic", dir.display()),
            ));
        }
        std::fs::create_dir_all(dir)?;
        let key = DbKey::generate();
        let clinic_id = uuid::Uuid::new_v4().to_string();
        let key_file = KeyFile::wrap(&key, passphrase, &clinic_id, params)?;
        // Database first, key file last: a crash in between leaves no key file, so the
        // folder reads as "database without key" and never as a half-made clinic.
        let db_path = dir.join(DB_FILE);
        let conn = match db::open(&db_path, &key, true) {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&db_path);
                return Err(e);
            }
        };
        if let Err(e) = key_file.write(&dir.join(KEY_FILE)) {
            drop(conn);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("{DB_FILE}{suffix}")));
            }
            return Err(e);
        }
        let clinic = Clinic::around(conn, dir, clinic_id, &key)?;
        Ok((clinic, key))
    }

    /// An UNENCRYPTED clinic in `dir`, for the benchmark's encryption-overhead figure only.
    #[cfg(feature = "bench-plain")]
    #[doc(hidden)]
    pub fn create_unencrypted_for_benchmark(dir: &Path) -> Result<Clinic> {
        std::fs::create_dir_all(dir)?;
        let conn = db::open_plain(&dir.join(DB_FILE))?;
        Clinic::around(conn, dir, "benchmark".into(), &DbKey::generate())
    }

    /// Reads the key file's clinic id (to look the key up in the keychain) without a passphrase.
    pub fn clinic_id_of(dir: &Path) -> Result<String> {
        Self::key_file(dir).map(|k| k.clinic_id().to_string())
    }

    fn key_file(dir: &Path) -> Result<KeyFile> {
        match folder_state(dir) {
            FolderState::Empty => Err(ClinicError::new(
                ErrorCode::NotInitialized,
                format!(
                    "no clinic in {} yet: run `clinic init` or open the app",
                    dir.display()
                ),
            )),
            FolderState::KeyFileMissing => Err(ClinicError::new(
                ErrorCode::KeyFileMissing,
                format!(
                    "{} has a database but its key file {KEY_FILE} is missing",
                    dir.display()
                ),
            )),
            FolderState::DatabaseMissing => Err(ClinicError::new(
                ErrorCode::NotInitialized,
                format!("{} has a key file but no database {DB_FILE}", dir.display()),
            )),
            FolderState::Ready => KeyFile::read(&dir.join(KEY_FILE)),
        }
    }

    pub fn unlock_with_passphrase(dir: &Path, passphrase: &str) -> Result<(Clinic, DbKey)> {
        let key_file = Self::key_file(dir)?;
        let key = key_file.unwrap_key(passphrase)?;
        let clinic = Self::open_with_key(dir, &key)?;
        Ok((clinic, key))
    }

    pub fn open_with_key(dir: &Path, key: &DbKey) -> Result<Clinic> {
        let key_file = Self::key_file(dir)?;
        let conn = db::open(&dir.join(DB_FILE), key, false)?;
        Clinic::around(conn, dir, key_file.clinic_id().to_string(), key)
    }

    fn around(conn: Connection, dir: &Path, clinic_id: String, key: &DbKey) -> Result<Clinic> {
        let file_tag = uuid::Uuid::new_v4().as_u64_pair().0 as i64;
        crate::segments::memo::tag_connection(&conn, file_tag)?;
        Ok(Clinic {
            conn: Mutex::new(conn),
            dir: dir.to_path_buf(),
            clinic_id,
            key: Mutex::new(key.clone()),
            maintenance: Mutex::new(()),
            file_tag,
        })
    }

    /// A second, read-only connection to the clinic's file, carrying its tag (what it keeps
    /// in memory serves the desk's connection too). Reads beside the desk's writes (WAL).
    pub(crate) fn reader(&self) -> Result<Connection> {
        self.tagged(rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    }

    /// A second connection that may write (saving what is kept in memory), carrying the
    /// clinic's tag; its writes wait for the desk's like the CLI's do.
    pub(crate) fn writer(&self) -> Result<Connection> {
        self.tagged(rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn tagged(&self, flags: rusqlite::OpenFlags) -> Result<Connection> {
        let conn = db::keyed(&self.dir.join(DB_FILE), &self.key(), flags)?;
        conn.busy_timeout(db::BUSY_TIMEOUT)?;
        crate::segments::memo::tag_connection(&conn, self.file_tag)?;
        Ok(conn)
    }

    /// The keychain first; on any keychain failure (none, locked, stale key) the caller's
    /// passphrase prompt. A key that unlocks is cached again for next time.
    pub fn unlock(
        dir: &Path,
        cache: &dyn KeyCache,
        ask_passphrase: impl FnOnce() -> Option<String>,
    ) -> Result<Clinic> {
        if let Some(clinic) = Self::unlock_from_keychain(dir, cache)? {
            return Ok(clinic);
        }
        let passphrase = ask_passphrase().ok_or_else(|| {
            ClinicError::new(
                ErrorCode::Locked,
                "a passphrase is needed to unlock the clinic",
            )
        })?;
        let (clinic, key) = Self::unlock_with_passphrase(dir, &passphrase)?;
        let _ = cache.store(&clinic.clinic_id, &key);
        Ok(clinic)
    }

    /// `Ok(None)` when the keychain has no usable key; errors only for folder problems.
    pub fn unlock_from_keychain(dir: &Path, cache: &dyn KeyCache) -> Result<Option<Clinic>> {
        let clinic_id = Self::clinic_id_of(dir)?;
        let Some(key) = cache.load(&clinic_id) else {
            return Ok(None);
        };
        match Self::open_with_key(dir, &key) {
            Ok(clinic) => Ok(Some(clinic)),
            Err(e) if e.code == ErrorCode::WrongKey => {
                cache.forget(&clinic_id);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn clinic_id(&self) -> &str {
        &self.clinic_id
    }

    pub(crate) fn key(&self) -> DbKey {
        lock(&self.key).clone()
    }

    /// After a key rotation: the new connection and key, swapped in together.
    pub(crate) fn replace_connection(&self, conn: &mut Connection, new: Connection, key: &DbKey) {
        *conn = new;
        *lock(&self.key) = key.clone();
    }

    /// The connection, held for a whole-file job (a key rotation swaps the file under it).
    pub(crate) fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// The one door: permission check, then the operation in one transaction (all or nothing).
    pub fn execute<O: Operation>(&self, actor: &Actor, op: O) -> Result<O::Output> {
        let action = op.action();
        let patient = op.patient();
        let mut detail = serde_json::json!({ "op": operation_name::<O>() });
        if let Some(more) = op.audit_detail() {
            detail["detail"] = more;
        }
        let mut conn = lock(&self.conn);
        if let Err(refused) = authorize(actor, action) {
            // The refusal is recorded, in a transaction of its own (nothing else happened).
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let what = format!("denied:{}", audit::action_code(action));
            audit::append(&tx, actor, &what, patient.as_deref(), &detail.to_string())?;
            tx.commit()?;
            return Err(refused);
        }
        let audit = audited(action, patient.is_some()) && !op.audits_itself();
        // IMMEDIATE takes the write lock up front, so a write (the audit entry of a read
        // too) never fails half-way on SQLITE_BUSY.
        let behavior = if action.is_write() || audit {
            TransactionBehavior::Immediate
        } else {
            TransactionBehavior::Deferred
        };
        // Declared after `conn`, so the hook is taken away before the connection goes back.
        let recorder = (audit && action.is_write()).then(|| RowRecorder::start(&conn));
        let tx = conn.transaction_with_behavior(behavior)?;
        let output = op.run(&tx, actor)?;
        if audit {
            if let Some(recorder) = &recorder {
                recorder.add_to(&tx, &mut detail)?;
            }
            let what = audit::action_code(action);
            audit::append(&tx, actor, &what, patient.as_deref(), &detail.to_string())?;
        }
        tx.commit()?;
        Ok(output)
    }

    /// A staff member signs in: their `Actor`, or why not (a wrong password still counts
    /// towards the back-off, so its bookkeeping is committed first).
    pub fn sign_in(&self, name: &str, password: &str) -> Result<Actor> {
        self.execute(
            &Actor::owner(),
            crate::access::staff::SignIn {
                name: name.into(),
                password: password.into(),
                now: None,
            },
        )?
    }
}

/// A clinic closed for a whole-file job (a restore over it), able to reopen if the job fails.
pub struct ClosedClinic {
    dir: PathBuf,
    key: DbKey,
}

impl Clinic {
    /// Closes the file (the connection is dropped) but keeps what is needed to reopen it.
    pub fn close(self) -> ClosedClinic {
        ClosedClinic {
            dir: self.dir.clone(),
            key: self.key(),
        }
    }
}

impl ClosedClinic {
    pub fn reopen(&self) -> Result<Clinic> {
        Clinic::open_with_key(&self.dir, &self.key)
    }
}

/// A panic elsewhere must not lock the clinic for good: the data under the lock is a
/// connection or a key, never a half-made value.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the window shows first: set-up, the unlock prompt, or the clinic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppStatus {
    pub folder: FolderState,
    pub unlocked: bool,
    pub data_dir: String,
    /// Whether the OS keychain holds the key, so the next start needs no passphrase.
    pub remembered: bool,
    /// Staff accounts exist: someone must sign in (none: whoever unlocked is the owner).
    pub staff_accounts: bool,
    /// Who is signed in at this desk, if anyone.
    pub signed_in: Option<crate::access::SignedIn>,
}
