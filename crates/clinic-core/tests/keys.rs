//! The owner's keys on real encrypted files: a recovery code and its printed kit, changing
//! the passphrase (the database key stays), rotating the database key (the passphrase and
//! code stay), and a rotation cut off at each step by a crash.

mod common;

use std::path::Path;
use std::sync::Mutex;

use clinic_core::backup;
use clinic_core::handouts::pdf::Paper;
use clinic_core::key::KeyFile;
use clinic_core::patients::Language;
use clinic_core::security::{self, RotationStage};
use clinic_core::{
    folder_state, Actor, Clinic, ErrorCode, FolderState, RecoveryCode, Role, DB_FILE, KEY_FILE,
};
use common::{add_patient, patient_names, PASS};

fn key_file(dir: &Path) -> KeyFile {
    KeyFile::read(&dir.join(KEY_FILE)).unwrap()
}

fn key_bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(KEY_FILE)).unwrap()
}

/// A new recovery kit for `c`, its PDF kept in memory.
fn new_kit(c: &Clinic, secret: &str) -> (RecoveryCode, Vec<u8>) {
    let mut pdf = Vec::new();
    let code = c
        .new_recovery_kit(&Actor::owner(), secret, Language::En, Paper::A4, |bytes| {
            pdf = bytes.to_vec();
            Ok(())
        })
        .unwrap();
    (code, pdf)
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kit.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test.sh");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_recovery_code_reads_forgivingly_and_catches_typos() {
    let code = RecoveryCode::generate();
    let shown = code.display();
    assert_eq!(shown.len(), 29, "{shown}");
    assert_eq!(shown.matches('-').count(), 5);
    // Lower case, no dashes, spaces, a full-width space: all the same code.
    let plain: String = shown.chars().filter(|c| *c != '-').collect();
    for typed in [
        shown.clone(),
        plain.to_lowercase(),
        shown.replace('-', " "),
        shown.replace('-', "\u{3000}"),
    ] {
        assert_eq!(
            RecoveryCode::parse(&typed).unwrap().unwrap(),
            code,
            "{typed}"
        );
    }
    // O for 0 and L for 1, as people copy them.
    let zeros = "0000-0000-0000-0000-0000-0000";
    let check = RecoveryCode::parse(zeros);
    let lookalike = zeros.replace('0', "O");
    assert_eq!(
        RecoveryCode::parse(&lookalike).map(|r| r.is_ok()),
        check.map(|r| r.is_ok())
    );
    // Any single wrong character is caught, except 0 for Z or Z for 0 (the check is mod 31).
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for (i, c) in plain.char_indices() {
        for other in ALPHABET.chars().filter(|o| *o != c) {
            if (c == '0' && other == 'Z') || (c == 'Z' && other == '0') {
                continue;
            }
            let mut typo = plain.clone();
            typo.replace_range(i..i + 1, &other.to_string());
            let err = RecoveryCode::parse(&typo).unwrap().unwrap_err();
            assert_eq!(err.code, ErrorCode::Validation, "{typo}");
        }
    }
    // A passphrase is not a code.
    assert!(RecoveryCode::parse(PASS).is_none());
    assert!(RecoveryCode::parse("0000-0000").is_none());
}

#[test]
fn the_recovery_kit_unlocks_restores_and_is_replaced_by_a_new_one() {
    let (tmp, c) = common::clinic();
    add_patient(&c, "张伟明", "13812345678");
    assert!(!c.key_status(&Actor::owner()).unwrap().has_recovery_code);
    let (code, pdf) = new_kit(&c, PASS);
    assert!(c.key_status(&Actor::owner()).unwrap().has_recovery_code);
    let text = pdf_text(&pdf);
    assert!(text.contains(&code.display()), "{text}");
    assert!(text.contains("Recovery kit"));
    assert!(text.contains(c.clinic_id()));
    let usb = tempfile::tempdir().unwrap();
    let file = c.backup_to(&Actor::owner(), usb.path()).unwrap().path;
    drop(c);

    // Unlock with the code, as typed by hand.
    let typed = code.display().to_lowercase().replace('-', " ");
    let (c, _) = Clinic::unlock_with_passphrase(tmp.path(), &typed).unwrap();
    assert_eq!(patient_names(&c), ["张伟明"]);

    // On a new computer: the backup restores with the code.
    let new_pc = tempfile::tempdir().unwrap();
    backup::restore(new_pc.path(), Path::new(&file), &code.display()).unwrap();
    let (restored, _) = Clinic::unlock_with_passphrase(new_pc.path(), PASS).unwrap();
    assert_eq!(patient_names(&restored), ["张伟明"]);

    // A new kit (made with the code itself) replaces the old code.
    let (second, _) = new_kit(&c, &code.display());
    assert_ne!(second, code);
    let err = Clinic::unlock_with_passphrase(tmp.path(), &code.display()).unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongPassphrase);
    Clinic::unlock_with_passphrase(tmp.path(), &second.display()).unwrap();
    Clinic::unlock_with_passphrase(tmp.path(), PASS).unwrap();
}

#[test]
fn a_kit_that_cannot_be_saved_changes_nothing_and_a_wrong_secret_makes_none() {
    let (tmp, c) = common::clinic();
    let before = key_bytes(tmp.path());
    let full = c.new_recovery_kit(&Actor::owner(), PASS, Language::ZhTw, Paper::A4, |_| {
        Err(clinic_core::ClinicError::new(
            ErrorCode::DiskFull,
            "no room",
        ))
    });
    assert_eq!(full.unwrap_err().code, ErrorCode::DiskFull);
    assert_eq!(key_bytes(tmp.path()), before);
    let wrong = c.new_recovery_kit(
        &Actor::owner(),
        "not the passphrase",
        Language::ZhCn,
        Paper::A4,
        |_| Ok(()),
    );
    assert_eq!(wrong.unwrap_err().code, ErrorCode::WrongPassphrase);
    assert_eq!(key_bytes(tmp.path()), before);
    for role in [Role::Doctor, Role::FrontDesk] {
        let staff = Actor::with_role("staff", role);
        let denied = c.new_recovery_kit(&staff, PASS, Language::En, Paper::A4, |_| Ok(()));
        assert_eq!(denied.unwrap_err().code, ErrorCode::PermissionDenied);
        let denied = c.rotate_key(&staff, PASS, &|_| {});
        assert_eq!(denied.unwrap_err().code, ErrorCode::PermissionDenied);
        let denied = c.change_passphrase(&staff, PASS, "a new passphrase");
        assert_eq!(denied.unwrap_err().code, ErrorCode::PermissionDenied);
    }
    assert_eq!(key_bytes(tmp.path()), before);
}

#[test]
fn changing_the_passphrase_keeps_the_key_and_the_recovery_code() {
    let (tmp, c, key) = common::clinic_and_key();
    let (code, _) = new_kit(&c, PASS);
    let before = key_bytes(tmp.path());
    let err = c
        .change_passphrase(&Actor::owner(), "wrong passphrase", "new passphrase 2")
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::WrongPassphrase);
    let err = c
        .change_passphrase(&Actor::owner(), PASS, "short")
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    assert_eq!(key_bytes(tmp.path()), before);

    c.change_passphrase(&Actor::owner(), PASS, "new passphrase 2")
        .unwrap();
    let kf = key_file(tmp.path());
    assert_eq!(kf.unwrap_key("new passphrase 2").unwrap(), key);
    assert_eq!(kf.unwrap_key(&code.display()).unwrap(), key);
    assert_eq!(
        kf.unwrap_key(PASS).unwrap_err().code,
        ErrorCode::WrongPassphrase
    );
    drop(c);

    // Forgot it: the recovery code sets another one while the clinic is locked.
    let key_again =
        security::reset_passphrase(tmp.path(), &code.display(), "third passphrase").unwrap();
    assert_eq!(key_again, key);
    Clinic::unlock_with_passphrase(tmp.path(), "third passphrase").unwrap();
}

#[test]
fn rotating_the_key_reencrypts_everything_and_the_passphrase_and_code_still_open_it() {
    let (tmp, c, old_key) = common::clinic_and_key();
    let (code, _) = new_kit(&c, PASS);
    for i in 0..50 {
        add_patient(&c, &format!("病人{i}"), &format!("1381234{i:04}"));
    }
    let names = patient_names(&c);
    let usb = tempfile::tempdir().unwrap();
    let before_rotation = c.backup_to(&Actor::owner(), usb.path()).unwrap().path;

    let err = c.rotate_key(&Actor::owner(), "wrong passphrase", &|_| {});
    assert_eq!(err.unwrap_err().code, ErrorCode::WrongPassphrase);

    let stages = Mutex::new(Vec::new());
    let (report, new_key) = c
        .rotate_key(&Actor::owner(), PASS, &|p| {
            assert!(p.done <= p.total || p.total == 0);
            stages.lock().unwrap().push(p.stage);
        })
        .unwrap();
    assert_eq!(report.counts.patients, 50);
    assert_ne!(new_key, old_key);
    let stages = stages.into_inner().unwrap();
    for stage in [
        RotationStage::Copying,
        RotationStage::Checking,
        RotationStage::Switching,
    ] {
        assert!(stages.contains(&stage), "{stages:?}");
    }
    assert!(c.key_status(&Actor::owner()).unwrap().rotated);
    // The clinic goes on working on the new file, and a backup now carries the new key.
    add_patient(&c, "王芳", "13600002222");
    assert_eq!(patient_names(&c).len(), 51);
    let after_rotation = c.backup_to(&Actor::owner(), usb.path()).unwrap().path;
    drop(c);

    // Only the helper files of the rotation are gone; the old key opens nothing here.
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [DB_FILE, KEY_FILE]);
    assert_eq!(
        Clinic::open_with_key(tmp.path(), &old_key)
            .unwrap_err()
            .code,
        ErrorCode::WrongKey
    );
    for secret in [PASS.to_string(), code.display()] {
        let (c, key) = Clinic::unlock_with_passphrase(tmp.path(), &secret).unwrap();
        assert_eq!(key, new_key);
        assert_eq!(patient_names(&c).len(), 51);
    }
    // Both backups restore with the same passphrase: each carries its own key file.
    for (file, count) in [(before_rotation, 50), (after_rotation, 51)] {
        let elsewhere = tempfile::tempdir().unwrap();
        backup::restore(elsewhere.path(), Path::new(&file), PASS).unwrap();
        let (c, _) = Clinic::unlock_with_passphrase(elsewhere.path(), PASS).unwrap();
        assert_eq!(patient_names(&c).len(), count);
    }
    let now = patient_names(&Clinic::open_with_key(tmp.path(), &new_key).unwrap());
    assert!(names.iter().all(|n| now.contains(n)));

    // A second rotation from the rotated state.
    let c = Clinic::open_with_key(tmp.path(), &new_key).unwrap();
    let (_, third_key) = c
        .rotate_key(&Actor::owner(), &code.display(), &|_| {})
        .unwrap();
    assert_ne!(third_key, new_key);
    drop(c);
    let (_, key) = Clinic::unlock_with_passphrase(tmp.path(), PASS).unwrap();
    assert_eq!(key, third_key);
}

/// A copy of a closed clinic's files under other names.
fn put(from: &Path, name: &str, to: &Path, as_name: &str) {
    std::fs::copy(from.join(name), to.join(as_name)).unwrap();
}

#[test]
fn a_rotation_cut_off_by_a_crash_is_finished_or_undone_when_the_folder_is_next_opened() {
    // The files before and after a real rotation.
    let (before, c, old_key) = common::clinic_and_key();
    add_patient(&c, "张伟明", "13812345678");
    drop(c);
    let after = tempfile::tempdir().unwrap();
    for f in [DB_FILE, KEY_FILE] {
        put(before.path(), f, after.path(), f);
    }
    let c = Clinic::open_with_key(after.path(), &old_key).unwrap();
    let (_, new_key) = c.rotate_key(&Actor::owner(), PASS, &|_| {}).unwrap();
    drop(c);

    // (files in the folder: from where, which file, under what name; the key that must
    // open it afterwards)
    type Case<'a> = (&'a [(&'a Path, &'a str, &'a str)], &'a clinic_core::DbKey);
    let cases: [Case; 4] = [
        // Copy half-made, no new key file yet: the copy is thrown away.
        (
            &[
                (before.path(), DB_FILE, DB_FILE),
                (before.path(), KEY_FILE, KEY_FILE),
                (after.path(), DB_FILE, "clinic.db.rotating"),
            ],
            &old_key,
        ),
        // Checked and its key file written, switch not begun: still undone.
        (
            &[
                (before.path(), DB_FILE, DB_FILE),
                (before.path(), KEY_FILE, KEY_FILE),
                (after.path(), DB_FILE, "clinic.db.rotating"),
                (after.path(), KEY_FILE, "clinic.key.rotating"),
            ],
            &old_key,
        ),
        // Old database moved aside, new one not yet in: finished.
        (
            &[
                (before.path(), DB_FILE, "clinic.db.old"),
                (before.path(), KEY_FILE, KEY_FILE),
                (after.path(), DB_FILE, "clinic.db.rotating"),
                (after.path(), KEY_FILE, "clinic.key.rotating"),
            ],
            &new_key,
        ),
        // New database in, key file not yet: finished.
        (
            &[
                (before.path(), DB_FILE, "clinic.db.old"),
                (before.path(), KEY_FILE, KEY_FILE),
                (after.path(), DB_FILE, DB_FILE),
                (after.path(), KEY_FILE, "clinic.key.rotating"),
            ],
            &new_key,
        ),
    ];
    for (i, (files, expected)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        for (from, name, as_name) in files.iter() {
            put(from, name, dir.path(), as_name);
        }
        assert_eq!(folder_state(dir.path()), FolderState::Ready, "case {i}");
        let (c, key) = Clinic::unlock_with_passphrase(dir.path(), PASS).unwrap();
        assert_eq!(&key, *expected, "case {i}");
        assert_eq!(patient_names(&c), ["张伟明"], "case {i}");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
            .collect();
        left.sort();
        assert_eq!(left, [DB_FILE, KEY_FILE], "case {i}");
    }
}
