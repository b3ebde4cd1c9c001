//! What the window holds between commands: the data folder, the unlocked clinic (if any)
//! and the keychain used to remember the key.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use clinic_core::access::staff::HasStaff;
use clinic_core::access::SignedIn;
use clinic_core::keychain::{self, KeyCache};
use clinic_core::{
    folder_state, Actor, AppStatus, Clinic, ClinicError, ErrorCode, FolderState, Operation, Result,
};

pub struct AppState {
    dir: PathBuf,
    clinic: RwLock<Option<Clinic>>,
    cache: Box<dyn KeyCache>,
    /// The stop flag of the handout batch being printed, if any.
    batch: Mutex<Arc<AtomicBool>>,
    /// Set when the window is asked to close (a second request closes without waiting).
    pub closing: AtomicBool,
    /// The last day expired points were posted.
    points_expired_on: Mutex<Option<chrono::NaiveDate>>,
    /// The staff member signed in at this desk (none: nobody yet, or no staff accounts).
    signed_in: Mutex<Option<Actor>>,
    /// Set when a clinic was opened and its warm-up has not started yet.
    warm_up_wanted: Mutex<bool>,
    warm_up_signal: Condvar,
}

impl AppState {
    pub fn new(dir: PathBuf, cache: Box<dyn KeyCache>) -> Self {
        AppState {
            dir,
            clinic: RwLock::new(None),
            cache,
            batch: Mutex::new(Arc::new(AtomicBool::new(false))),
            closing: AtomicBool::new(false),
            points_expired_on: Mutex::new(None),
            signed_in: Mutex::new(None),
            warm_up_wanted: Mutex::new(false),
            warm_up_signal: Condvar::new(),
        }
    }

    /// `CLINIC_DATA_DIR` (tests, several clinics) or the platform's app data folder, the
    /// same one the `clinic` CLI uses.
    pub fn from_env() -> Self {
        let dir = std::env::var_os("CLINIC_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(clinic_core::default_data_dir);
        AppState::new(dir, keychain::from_env())
    }

    /// Any keychain failure simply leaves the clinic locked: the window then asks for the passphrase.
    pub fn try_keychain_unlock(&self) {
        if folder_state(&self.dir) != FolderState::Ready {
            return;
        }
        if let Ok(Some(clinic)) = Clinic::unlock_from_keychain(&self.dir, self.cache.as_ref()) {
            self.open(clinic);
        }
    }

    /// The clinic is open: it becomes the window's, and its warm-up is asked for.
    fn open(&self, clinic: Clinic) {
        *self.clinic.write().unwrap_or_else(|e| e.into_inner()) = Some(clinic);
        self.want_warm_up();
    }

    fn want_warm_up(&self) {
        *self
            .warm_up_wanted
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = true;
        self.warm_up_signal.notify_one();
    }

    /// Waits until a clinic is opened, then fills what its first report and segment
    /// questions read (`Clinic::warm_up`), on its own connection: the desk can search and
    /// record visits meanwhile. For the warm-up thread; returns after each warm-up.
    pub fn warm_up_when_opened(&self) {
        {
            let mut wanted = self
                .warm_up_wanted
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            while !*wanted {
                wanted = self
                    .warm_up_signal
                    .wait(wanted)
                    .unwrap_or_else(|e| e.into_inner());
            }
            *wanted = false;
        }
        let guard = self.clinic.read().unwrap_or_else(|e| e.into_inner());
        if let Some(clinic) = guard.as_ref() {
            // A failure costs only speed: the first question then reads for itself.
            let _ = clinic.warm_up(None);
        }
    }

    pub fn status(&self) -> AppStatus {
        let guard = self.clinic.read().unwrap_or_else(|e| e.into_inner());
        let remembered = guard
            .as_ref()
            .is_some_and(|c| self.cache.load(c.clinic_id()).is_some());
        let staff_accounts = guard
            .as_ref()
            .is_some_and(|c| c.execute(&Actor::owner(), HasStaff).unwrap_or(false));
        AppStatus {
            folder: folder_state(&self.dir),
            unlocked: guard.is_some(),
            data_dir: self.dir.display().to_string(),
            remembered,
            staff_accounts,
            signed_in: self.signed_in().as_ref().map(SignedIn::from),
        }
    }

    fn signed_in(&self) -> Option<Actor> {
        self.signed_in
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_signed_in(&self, who: Option<Actor>) {
        *self.signed_in.lock().unwrap_or_else(|e| e.into_inner()) = who;
    }

    /// Who acts: the staff member signed in; the owner while the clinic has no staff
    /// accounts; nobody (sign in first) otherwise.
    fn actor(&self, clinic: &Clinic) -> Result<Actor> {
        if let Some(who) = self.signed_in() {
            return Ok(who);
        }
        if clinic.execute(&Actor::owner(), HasStaff)? {
            return Err(ClinicError::new(
                ErrorCode::Locked,
                "sign in first: this clinic has staff accounts",
            ));
        }
        Ok(Actor::owner())
    }

    /// A staff member signs in at this desk.
    pub fn sign_in(&self, name: &str, password: &str) -> Result<AppStatus> {
        let who = {
            let guard = self.clinic.read().unwrap_or_else(|e| e.into_inner());
            let clinic = guard
                .as_ref()
                .ok_or_else(|| ClinicError::new(ErrorCode::Locked, "the clinic is locked"))?;
            clinic.sign_in(name, password)?
        };
        self.set_signed_in(Some(who));
        Ok(self.status())
    }

    /// The desk is left (switching user, or the idle lock): the next person signs in.
    pub fn sign_out(&self) -> AppStatus {
        self.set_signed_in(None);
        self.status()
    }

    pub fn set_up(&self, passphrase: &str) -> Result<AppStatus> {
        let (clinic, key) = Clinic::initialize(&self.dir, passphrase)?;
        self.set_signed_in(None);
        let _ = self.cache.store(clinic.clinic_id(), &key);
        self.open(clinic);
        Ok(self.status())
    }

    pub fn unlock(&self, passphrase: &str) -> Result<AppStatus> {
        let (clinic, key) = Clinic::unlock_with_passphrase(&self.dir, passphrase)?;
        self.set_signed_in(None);
        let _ = self.cache.store(clinic.clinic_id(), &key);
        self.open(clinic);
        Ok(self.status())
    }

    /// Closes the file; with `forget`, also drops the key from the keychain.
    pub fn lock(&self, forget: bool) -> AppStatus {
        self.set_signed_in(None);
        if let Some(clinic) = self
            .clinic
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            if forget {
                self.cache.forget(clinic.clinic_id());
            }
        }
        self.status()
    }

    /// Every data command: through the core's one door, as the signed-in actor.
    pub fn execute<O: Operation>(&self, op: O) -> Result<O::Output> {
        let guard = self.clinic.read().unwrap_or_else(|e| e.into_inner());
        let clinic = guard
            .as_ref()
            .ok_or_else(|| ClinicError::new(ErrorCode::Locked, "the clinic is locked"))?;
        clinic.execute(&self.actor(clinic)?, op)
    }

    /// A fresh stop flag for a new batch (one batch at a time from the window).
    pub fn new_batch(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        *self.batch.lock().unwrap_or_else(|e| e.into_inner()) = flag.clone();
        flag
    }

    pub fn cancel_batch(&self) {
        self.batch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .store(true, Ordering::Relaxed);
    }

    /// A whole-clinic job (backup, keys) on the open clinic, as the signed-in actor.
    pub fn with_clinic<T>(&self, job: impl FnOnce(&Clinic, &Actor) -> Result<T>) -> Result<T> {
        let guard = self.clinic.read().unwrap_or_else(|e| e.into_inner());
        let clinic = guard
            .as_ref()
            .ok_or_else(|| ClinicError::new(ErrorCode::Locked, "the clinic is locked"))?;
        job(clinic, &self.actor(clinic)?)
    }

    /// The automatic backup if one is due; `None` when the clinic is locked or nothing was due.
    pub fn scheduled_backup(
        &self,
        trigger: clinic_core::backup::Trigger,
    ) -> Option<Result<clinic_core::backup::BackupReport>> {
        let guard = self.clinic.read().unwrap_or_else(|e| e.into_inner());
        let clinic = guard.as_ref()?;
        clinic
            .scheduled_backup(&Actor::owner(), trigger)
            .transpose()
    }

    /// True once per day (and once per start): the first caller posts that day's expiry.
    pub fn points_expiry_due(&self, on: chrono::NaiveDate) -> bool {
        let unlocked = self
            .clinic
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        let mut last = self
            .points_expired_on
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !unlocked || *last == Some(on) {
            return false;
        }
        *last = Some(on);
        true
    }

    /// Whether closing the window should wait for a backup: open, a folder set, and the
    /// schedule asks for it.
    pub fn backup_on_close_wanted(&self) -> bool {
        self.execute(clinic_core::backup::GetBackupStatus)
            .is_ok_and(|s| s.folder.is_some() && s.schedule.on_close)
    }

    /// A new database key; the keychain learns it, or the next start could not use it.
    pub fn rotate_key(
        &self,
        secret: &str,
        progress: &(dyn Fn(clinic_core::security::RotationProgress) + Sync),
    ) -> Result<clinic_core::security::RotationReport> {
        self.with_clinic(|clinic, actor| {
            let (report, key) = clinic.rotate_key(actor, secret, progress)?;
            let _ = self.cache.store(clinic.clinic_id(), &key);
            Ok(report)
        })
    }

    /// "Forgot the passphrase?": the recovery code sets a new one and unlocks.
    pub fn reset_passphrase(&self, code: &str, new_passphrase: &str) -> Result<AppStatus> {
        let key = clinic_core::security::reset_passphrase(&self.dir, code, new_passphrase)?;
        let clinic = Clinic::open_with_key(&self.dir, &key)?;
        let _ = self.cache.store(clinic.clinic_id(), &key);
        self.open(clinic);
        Ok(self.status())
    }

    /// Replaces this computer's clinic (if any) with a backup, then opens the restored clinic
    /// with the same secret and remembers its key. The open clinic is closed first; if the
    /// restore fails it is reopened as it was.
    pub fn restore(
        &self,
        file: &std::path::Path,
        secret: &str,
    ) -> Result<clinic_core::backup::RestoreReport> {
        use clinic_core::backup::{GetBackupFolder, SetBackupFolder};
        let mut slot = self.clinic.write().unwrap_or_else(|e| e.into_inner());
        // Over an open clinic, only who may restore backups may replace it.
        let by = match slot.as_ref() {
            Some(open) => {
                let by = self.actor(open)?;
                clinic_core::access::authorize(&by, clinic_core::Action::Backup)?;
                by
            }
            None => Actor::owner(),
        };
        // This computer's backup folder (its USB disk) outlives a restore of an older file.
        let folder = slot
            .as_ref()
            .and_then(|c| c.execute(&Actor::owner(), GetBackupFolder).ok().flatten());
        let closed = slot.take().map(Clinic::close);
        match clinic_core::backup::restore(&self.dir, file, secret) {
            Ok(report) => {
                let (clinic, key) = Clinic::unlock_with_passphrase(&self.dir, secret)?;
                let _ = self.cache.store(clinic.clinic_id(), &key);
                if let Some(folder) = folder {
                    if clinic.execute(&Actor::owner(), GetBackupFolder)?.is_none() {
                        clinic.execute(&Actor::owner(), SetBackupFolder(folder))?;
                    }
                }
                clinic.execute(
                    &by,
                    clinic_core::backup::RecordRestore {
                        file: file.display().to_string(),
                        safety_copy: report.safety_copy.clone(),
                    },
                )?;
                *slot = Some(clinic);
                self.want_warm_up();
                // The restored file has its own staff: whoever acts next signs in there.
                self.set_signed_in(None);
                Ok(report)
            }
            Err(e) => {
                *slot = closed.and_then(|c| c.reopen().ok());
                Err(e)
            }
        }
    }
}
