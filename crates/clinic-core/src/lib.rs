//! Clinic CRM core: the domain and the encrypted storage, with no Tauri or WebKit
//! dependency. The desktop app (`src-tauri`) and the `clinic` CLI are thin adapters over
//! [`Clinic::execute`], the one door every command goes through.

pub mod access;
pub mod appointments;
pub mod backup;
pub mod clinic;
mod db;
pub mod error;
pub mod export;
mod fsutil;
pub mod handouts;
pub mod idnumber;
pub mod import;
pub mod key;
pub mod keychain;
pub mod loyalty;
pub mod patients;
pub mod privacy;
pub mod reminders;
pub mod reports;
pub mod search;
pub mod security;
pub mod segments;
pub mod settings;
pub mod synth;
mod validate;
pub mod visits;
pub mod warm_up;

pub use access::{Action, Actor, Role};
pub use clinic::{
    default_data_dir, folder_state, AppStatus, Clinic, FolderState, Operation, DB_FILE, KEY_FILE,
};
pub use db::SCHEMA_VERSION;
pub use error::{ClinicError, ErrorCode, Result, ValidationRule};
pub use key::{DbKey, KdfParams, RecoveryCode};

/// The library's tests that open a clinic take turns: what is kept in memory (the visits,
/// the classification) is one per process, and a test checking how it was brought up to
/// date must not see another clinic's replace it between its steps.
#[cfg(test)]
static ONE_CLINIC_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A generated clinic (up to 2026-11-23) in a temporary folder, for the library's own
/// tests, with this test's turn (see `ONE_CLINIC_AT_A_TIME`) held until it is dropped.
#[cfg(test)]
pub(crate) struct TestClinic {
    pub clinic: Clinic,
    pub key: DbKey,
    pub dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

#[cfg(test)]
pub(crate) fn generated_clinic(patients: u32, mean_visits: u32, seed: u64) -> TestClinic {
    let turn = ONE_CLINIC_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let fast = KdfParams {
        m_cost: 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let dir = tempfile::tempdir().unwrap();
    let (clinic, key) = Clinic::initialize_with(dir.path(), "correct horse battery", fast).unwrap();
    let generate = synth::GenerateClinic {
        patients,
        mean_visits,
        seed,
        region: synth::Region::Mixed,
        until: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    clinic.execute(&Actor::owner(), generate).unwrap();
    TestClinic {
        clinic,
        key,
        dir,
        _turn: turn,
    }
}
