//! Helpers shared by the integration tests: a real encrypted clinic in a temp folder.
#![allow(dead_code)] // each test file uses a different subset

use clinic_core::{Clinic, DbKey, KdfParams};

/// A cheap key-derivation cost: tests open many clinics; the real cost is tested in storage.rs.
pub const FAST: KdfParams = KdfParams {
    m_cost: 1024,
    t_cost: 1,
    p_cost: 1,
};

pub const PASS: &str = "correct horse battery";

/// A new clinic, its folder (kept alive by the TempDir) and its raw key.
pub fn clinic_and_key() -> (tempfile::TempDir, Clinic, DbKey) {
    let tmp = tempfile::tempdir().unwrap();
    let (clinic, key) = Clinic::initialize_with(tmp.path(), PASS, FAST).unwrap();
    (tmp, clinic, key)
}

pub fn clinic() -> (tempfile::TempDir, Clinic) {
    let (tmp, clinic, _) = clinic_and_key();
    (tmp, clinic)
}

/// The clinic's database opened directly, bypassing migrations: to build old files.
pub fn raw(dir: &std::path::Path, key: &DbKey) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(clinic_core::DB_FILE)).unwrap();
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .unwrap();
    conn
}

/// The clinic's database replaced by one exactly as the first release wrote it (migration
/// 0001 only), still under `key`: to test what opening an old file does to it.
pub fn first_release_file(dir: &std::path::Path, key: &DbKey) -> rusqlite::Connection {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{}{suffix}", clinic_core::DB_FILE)));
    }
    let conn = raw(dir, key);
    conn.execute_batch(include_str!("../../migrations/0001_patients_visits.sql"))
        .unwrap();
    conn.execute_batch("PRAGMA user_version = 1").unwrap();
    conn
}

/// Registers a patient as the owner.
pub fn add_patient(c: &Clinic, name: &str, phone: &str) {
    use clinic_core::patients::{CreatePatient, PatientInput};
    c.execute(
        &clinic_core::Actor::owner(),
        CreatePatient::new(PatientInput {
            name: name.into(),
            phone: Some(phone.into()),
            ..Default::default()
        }),
    )
    .unwrap();
}

/// Every patient's name (archived too), sorted.
pub fn patient_names(c: &Clinic) -> Vec<String> {
    patient_names_limit(c, 1000)
}

pub fn patient_names_limit(c: &Clinic, limit: u32) -> Vec<String> {
    use clinic_core::patients::ListPatients;
    let mut n: Vec<String> = c
        .execute(
            &clinic_core::Actor::owner(),
            ListPatients {
                include_archived: true,
                limit,
                offset: 0,
            },
        )
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    n.sort();
    n
}
