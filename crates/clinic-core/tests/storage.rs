//! The encrypted file, for real: a SQLCipher database in a temporary folder.

mod common;

use std::path::Path;

use clinic_core::patients::{CreatePatient, GetPatient, PatientInput, SearchPatients};
use clinic_core::{
    Actor, Clinic, DbKey, ErrorCode, FolderState, KdfParams, DB_FILE, KEY_FILE, SCHEMA_VERSION,
};

const PASS: &str = "correct horse battery";
/// Cheap Argon2 so the suite stays fast; one test below uses the real default.
const FAST: KdfParams = KdfParams {
    m_cost: 1024,
    t_cost: 1,
    p_cost: 1,
};

fn new_clinic(dir: &Path) -> Clinic {
    Clinic::initialize_with(dir, PASS, FAST)
        .expect("initialize")
        .0
}

fn add(clinic: &Clinic, name: &str, phone: &str) -> clinic_core::patients::Patient {
    let input = PatientInput {
        name: name.into(),
        phone: Some(phone.into()),
        ..Default::default()
    };
    clinic
        .execute(&Actor::owner(), CreatePatient::new(input))
        .expect("create patient")
}

fn file_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(DB_FILE)).unwrap()
}

/// Flushes the WAL into the main file so the bytes on disk are the whole story.
fn checkpointed(dir: &Path, clinic: Clinic) {
    drop(clinic);
    let clinic = Clinic::unlock_with_passphrase(dir, PASS).unwrap().0;
    drop(clinic);
    assert!(
        !dir.join(format!("{DB_FILE}-wal")).exists()
            || std::fs::metadata(dir.join(format!("{DB_FILE}-wal")))
                .unwrap()
                .len()
                == 0
    );
}

#[test]
fn file_on_disk_is_encrypted_and_holds_no_names() {
    let tmp = tempfile::tempdir().unwrap();
    let clinic = new_clinic(tmp.path());
    add(&clinic, "张伟明", "13812345678");
    add(&clinic, "Margaret Thornbury", "0912345678");
    checkpointed(tmp.path(), clinic);

    let bytes = file_bytes(tmp.path());
    assert!(bytes.len() > 4096);
    assert_ne!(&bytes[..16], b"SQLite format 3\0");
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains("张伟明".as_bytes()), "Chinese name leaked");
    assert!(!contains(b"Margaret Thornbury"), "Latin name leaked");
    assert!(!contains(b"Thornbury"));
    assert!(!contains(b"13812345678"), "phone leaked");
    // and the key file holds no raw key either
    let key_text = std::fs::read_to_string(tmp.path().join(KEY_FILE)).unwrap();
    assert!(key_text.contains("argon2id"));
}

#[test]
fn reopen_with_the_right_passphrase_finds_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let clinic = new_clinic(tmp.path());
    let p = add(&clinic, "李小红", "13900001111");
    drop(clinic);
    let (clinic, _key) = Clinic::unlock_with_passphrase(tmp.path(), PASS).unwrap();
    let found = clinic.execute(&Actor::owner(), GetPatient(p.id)).unwrap();
    assert_eq!(found, p);
    let hits = clinic
        .execute(
            &Actor::owner(),
            SearchPatients {
                query: "小红".into(),
                limit: 10,
            },
        )
        .unwrap();
    assert_eq!(hits.len(), 1);
}

#[test]
fn wrong_passphrase_is_typed_and_leaves_the_file_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let clinic = new_clinic(tmp.path());
    add(&clinic, "王芳", "13700002222");
    checkpointed(tmp.path(), clinic);
    let before = file_bytes(tmp.path());
    let key_before = std::fs::read(tmp.path().join(KEY_FILE)).unwrap();

    let err = Clinic::unlock_with_passphrase(tmp.path(), "not the passphrase").unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongPassphrase);
    assert_eq!(file_bytes(tmp.path()), before);
    assert_eq!(
        std::fs::read(tmp.path().join(KEY_FILE)).unwrap(),
        key_before
    );
}

#[test]
fn wrong_raw_key_is_typed_and_leaves_the_file_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let clinic = new_clinic(tmp.path());
    add(&clinic, "王芳", "13700002222");
    checkpointed(tmp.path(), clinic);
    let before = file_bytes(tmp.path());

    let err = Clinic::open_with_key(tmp.path(), &DbKey::generate()).unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongKey);
    assert_eq!(file_bytes(tmp.path()), before);
}

#[test]
fn the_returned_key_reopens_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (clinic, key) = Clinic::initialize_with(tmp.path(), PASS, FAST).unwrap();
    let p = add(&clinic, "陈静", "13600003333");
    drop(clinic);
    let clinic = Clinic::open_with_key(tmp.path(), &key).unwrap();
    assert_eq!(
        clinic
            .execute(&Actor::owner(), GetPatient(p.id))
            .unwrap()
            .name,
        "陈静"
    );
}

#[test]
fn missing_key_file_and_foreign_files_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    drop(new_clinic(tmp.path()));
    std::fs::rename(tmp.path().join(KEY_FILE), tmp.path().join("elsewhere.key")).unwrap();
    assert_eq!(
        clinic_core::folder_state(tmp.path()),
        FolderState::KeyFileMissing
    );
    let err = Clinic::unlock_with_passphrase(tmp.path(), PASS).unwrap_err();
    assert_eq!(err.code, ErrorCode::KeyFileMissing);

    // A key file that is not ours.
    std::fs::write(tmp.path().join(KEY_FILE), b"{\"hello\": 1}").unwrap();
    assert_eq!(
        Clinic::unlock_with_passphrase(tmp.path(), PASS)
            .unwrap_err()
            .code,
        ErrorCode::KeyFileInvalid
    );
    std::fs::write(tmp.path().join(KEY_FILE), b"\x00\x01garbage").unwrap();
    assert_eq!(
        Clinic::unlock_with_passphrase(tmp.path(), PASS)
            .unwrap_err()
            .code,
        ErrorCode::KeyFileInvalid
    );
}

#[test]
fn a_plain_sqlite_file_is_not_ours_and_is_not_modified() {
    let tmp = tempfile::tempdir().unwrap();
    // A real clinic elsewhere gives us a valid key file; the database is someone else's.
    let other = tempfile::tempdir().unwrap();
    let (_c, key) = Clinic::initialize_with(other.path(), PASS, FAST).unwrap();
    std::fs::copy(other.path().join(KEY_FILE), tmp.path().join(KEY_FILE)).unwrap();
    plain_sqlite(&tmp.path().join(DB_FILE));
    let before = file_bytes(tmp.path());
    let err = Clinic::open_with_key(tmp.path(), &key).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAClinicFile, "{err:?}");
    assert_eq!(file_bytes(tmp.path()), before);

    // Not a database at all.
    std::fs::write(tmp.path().join(DB_FILE), vec![7u8; 8192]).unwrap();
    let err = Clinic::open_with_key(tmp.path(), &key).unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongKey);
    assert_eq!(file_bytes(tmp.path()), vec![7u8; 8192]);
}

/// An unencrypted SQLite file of another program (SQLCipher writes plain files when no key is set).
fn plain_sqlite(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('hello');")
        .unwrap();
}

#[test]
fn migrations_run_from_empty_and_a_newer_schema_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let (clinic, key) = Clinic::initialize_with(tmp.path(), PASS, FAST).unwrap();
    drop(clinic);
    {
        // Pretend a newer build wrote this file.
        let conn = rusqlite::Connection::open(tmp.path().join(DB_FILE)).unwrap();
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex(key.as_bytes())))
            .unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        conn.execute_batch(&format!(
            "PRAGMA user_version = {}; PRAGMA wal_checkpoint(TRUNCATE);",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let before = file_bytes(tmp.path());
    let err = Clinic::open_with_key(tmp.path(), &key).unwrap_err();
    assert_eq!(err.code, ErrorCode::SchemaTooNew);
    assert!(err.message.contains("update"), "{}", err.message);
    assert_eq!(file_bytes(tmp.path()), before);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn initialize_refuses_a_used_folder_and_a_short_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Clinic::initialize_with(tmp.path(), "short", FAST).unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    assert_eq!(err.field.as_deref(), Some("passphrase"));
    assert_eq!(
        clinic_core::folder_state(tmp.path()),
        FolderState::Empty,
        "nothing written"
    );

    drop(new_clinic(tmp.path()));
    let err = Clinic::initialize_with(tmp.path(), PASS, FAST).unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyInitialized);
}

#[test]
fn default_kdf_parameters_unwrap() {
    let tmp = tempfile::tempdir().unwrap();
    let (clinic, key) = Clinic::initialize(tmp.path(), PASS).unwrap();
    drop(clinic);
    let (_, again) = Clinic::unlock_with_passphrase(tmp.path(), PASS).unwrap();
    assert!(again == key);
}

/// Deleting a patient, a visit or an appointment makes SQLite look for rows still pointing
/// at it: every foreign key must be answerable from an index, or each deleted row is a pass
/// over the whole pointing table (an erasure on a large clinic read the appointment and
/// reminder tables dozens of times before migration 0026).
#[test]
fn every_foreign_key_is_checked_through_an_index() {
    let (tmp, c, key) = common::clinic_and_key();
    drop(c);
    let conn = common::raw(tmp.path(), &key);
    let keys: Vec<(String, String)> = conn
        .prepare(
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' ORDER BY 1, 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(keys.len() > 20, "the schema's foreign keys: {keys:?}");
    let scanned: Vec<String> = keys
        .iter()
        .filter(|(table, column)| {
            let plan: Vec<String> = conn
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN SELECT 1 FROM \"{table}\" WHERE \"{column}\" = ?1"
                ))
                .unwrap()
                .query_map(["x"], |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            plan.iter().any(|step| step.starts_with("SCAN"))
        })
        .map(|(table, column)| format!("{table}.{column}"))
        .collect();
    assert!(scanned.is_empty(), "read whole to check: {scanned:?}");
}
