//! Backups and restore on real encrypted files: written while the clinic is open, read back
//! and verified, restored into an empty folder and over a clinic (with a safety copy), and
//! refused — with nothing changed — when damaged, truncated, under another passphrase, from
//! a newer version, or aimed at a folder that is not there.

mod common;

use std::path::{Path, PathBuf};

use clinic_core::backup::{self, EXTENSION};
use clinic_core::settings::{ClinicProfile, SetClinicProfile};
use clinic_core::{Actor, Clinic, ErrorCode};

use common::{add_patient as add, patient_names as names};

/// A clinic with two patients and a backup of it in its own folder.
fn backed_up() -> (tempfile::TempDir, Clinic, tempfile::TempDir, PathBuf) {
    let (tmp, c) = common::clinic();
    c.execute(
        &Actor::owner(),
        SetClinicProfile(ClinicProfile {
            name: "康健牙科/诊所".into(),
            ..Default::default()
        }),
    )
    .unwrap();
    add(&c, "张伟明", "13812345678");
    add(&c, "陳美玲", "0912345678");
    let usb = tempfile::tempdir().unwrap();
    let report = c.backup_to(&Actor::owner(), usb.path()).unwrap();
    (tmp, c, usb, PathBuf::from(report.path))
}

/// Every file of a folder with its bytes, by name.
fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn flip_byte(file: &Path, at_from_end: u64) {
    let mut bytes = std::fs::read(file).unwrap();
    let i = bytes.len() - at_from_end as usize;
    bytes[i] ^= 0x5a;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn a_backup_is_one_encrypted_verified_file_named_for_the_clinic_and_the_time() {
    let (_tmp, c, usb, file) = backed_up();
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("康健牙科-诊所-") && name.ends_with(&format!(".{EXTENSION}")),
        "{name}"
    );
    // Nothing else left in the folder (no partial file).
    assert_eq!(std::fs::read_dir(usb.path()).unwrap().count(), 1);
    // No name, phone or search key in clear.
    let bytes = std::fs::read(&file).unwrap();
    for secret in ["张伟明", "13812345678", "zhangweiming", "陳美玲"] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in clear"
        );
    }
    // It carries the wrapped key file, never the raw key.
    let key = {
        let kf = clinic_core::key::KeyFile::read(&c.dir().join(clinic_core::KEY_FILE)).unwrap();
        kf.unwrap_key(common::PASS).unwrap()
    };
    let raw_hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!String::from_utf8_lossy(&bytes).contains(&raw_hex));
    let v = backup::verify_with_passphrase(&file, common::PASS).unwrap();
    assert_eq!((v.counts.patients, v.counts.visits), (2, 0));
    assert_eq!(v.clinic_id, c.clinic_id());
    assert_eq!(v.clinic_name, "康健牙科/诊所");
    let (listed, problems) = backup::list(usb.path()).unwrap();
    assert!(problems.is_empty());
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].bytes, bytes.len() as u64);
    // Staff keep working: the clinic is still open and writable afterwards.
    add(&c, "王芳", "13600002222");
    assert_eq!(names(&c).len(), 3);
    // Backups in the same second get their own names; none is overwritten.
    let a = c.backup_to(&Actor::owner(), usb.path()).unwrap();
    let b = c.backup_to(&Actor::owner(), usb.path()).unwrap();
    assert_ne!(a.path, b.path);
    assert_eq!(backup::list(usb.path()).unwrap().0.len(), 3);
}

#[test]
fn restore_on_a_new_computer_and_over_a_clinic_keeps_a_safety_copy() {
    let (_tmp, c, _usb, file) = backed_up();
    add(&c, "王芳", "13600002222"); // after the backup

    // A new computer: an empty folder.
    let fresh = tempfile::tempdir().unwrap();
    let dir = fresh.path().join("data");
    let r = backup::restore(&dir, &file, common::PASS).unwrap();
    assert!(r.safety_copy.is_none());
    assert_eq!(r.backup.counts.patients, 2);
    let (restored, _) = Clinic::unlock_with_passphrase(&dir, common::PASS).unwrap();
    assert_eq!(names(&restored), ["张伟明", "陳美玲"]);
    drop(restored);

    // Over the clinic itself (closed first): back to the backup; the newer data kept aside.
    let home = c.dir().to_path_buf();
    drop(c);
    let r = backup::restore(&home, &file, common::PASS).unwrap();
    let safety = PathBuf::from(r.safety_copy.unwrap());
    assert!(
        safety.join(clinic_core::DB_FILE).exists() && safety.join(clinic_core::KEY_FILE).exists()
    );
    let (back, _) = Clinic::unlock_with_passphrase(&home, common::PASS).unwrap();
    assert_eq!(names(&back), ["张伟明", "陳美玲"]);
    drop(back);
    // The safety copy is a whole clinic: it opens and still has 王芳.
    let (aside, _) = Clinic::unlock_with_passphrase(&safety, common::PASS).unwrap();
    assert_eq!(names(&aside), ["张伟明", "王芳", "陳美玲"]);
}

#[test]
fn a_damaged_truncated_foreign_or_locked_backup_is_refused_and_nothing_changes() {
    let (_tmp, c, usb, file) = backed_up();
    add(&c, "王芳", "13600002222");
    let home = c.dir().to_path_buf();
    drop(c);
    let before = folder_bytes(&home);
    let same_as_before = || {
        assert!(folder_bytes(&home) == before, "the clinic's folder changed");
    };

    let copy = |name: &str| {
        let p = usb.path().join(name);
        std::fs::copy(&file, &p).unwrap();
        p
    };
    let flipped = copy("flipped.clinicbackup");
    flip_byte(&flipped, 5000);
    let truncated = copy("truncated.clinicbackup");
    let len = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap()
        .set_len(len - 4096)
        .unwrap();
    let foreign = usb.path().join("holiday.clinicbackup");
    std::fs::write(&foreign, b"PK\x03\x04 a zip file, not ours").unwrap();

    for bad in [&flipped, &truncated, &foreign] {
        let e = backup::restore(&home, bad, common::PASS).unwrap_err();
        assert_eq!(e.code, ErrorCode::BackupInvalid, "{bad:?}: {e}");
        same_as_before();
    }
    let e = backup::verify_with_passphrase(&flipped, common::PASS).unwrap_err();
    assert!(e.message.contains("checksum"), "{e}");
    let e = backup::verify_with_passphrase(&truncated, common::PASS).unwrap_err();
    assert!(e.message.contains("truncated"), "{e}");

    let e = backup::restore(&home, &file, "not the passphrase").unwrap_err();
    assert_eq!(e.code, ErrorCode::WrongPassphrase);
    same_as_before();

    let (listed, problems) = backup::list(usb.path()).unwrap();
    assert_eq!(
        listed.len(),
        3,
        "the intact one and the two damaged past their header"
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    let (c, _) = Clinic::unlock_with_passphrase(&home, common::PASS).unwrap();
    assert_eq!(names(&c).len(), 3);
}

#[test]
fn a_missing_folder_is_said_plainly_and_front_desk_may_not_back_up() {
    let (_tmp, c) = common::clinic();
    let gone = Path::new("/media/usb-that-is-not-plugged-in");
    let e = c.backup_to(&Actor::owner(), gone).unwrap_err();
    assert_eq!(e.code, ErrorCode::FolderMissing);
    assert!(e.message.contains("USB"), "{e}");
    let desk = Actor::with_role("前台", clinic_core::access::Role::FrontDesk);
    let usb = tempfile::tempdir().unwrap();
    let e = c.backup_to(&desk, usb.path()).unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(std::fs::read_dir(usb.path()).unwrap().count(), 0);
}

/// A backup file put together by hand (the format is documented in backup.rs), holding
/// `db` under the clinic's key file.
fn handmade_backup(dir: &Path, db: &[u8], out: &Path) {
    use sha2::{Digest, Sha256};
    let header = serde_json::json!({
        "format": 1,
        "clinicId": clinic_core::Clinic::clinic_id_of(dir).unwrap(),
        "createdAt": "2031-01-01T00:00:00Z",
        "schemaVersion": clinic_core::SCHEMA_VERSION + 1,
        "appVersion": "9.0.0",
        "dbBytes": db.len(),
        "dbSha256": hex::encode(Sha256::digest(db)),
        "keyFile": std::fs::read_to_string(dir.join(clinic_core::KEY_FILE)).unwrap(),
    });
    let text = serde_json::to_vec(&header).unwrap();
    let mut bytes = b"CLINICBK".to_vec();
    bytes.extend((text.len() as u32).to_le_bytes());
    bytes.extend(text);
    bytes.extend(db);
    std::fs::write(out, bytes).unwrap();
}

#[test]
fn a_backup_from_a_newer_version_is_refused_before_anything_changes() {
    let (tmp, c, key) = common::clinic_and_key();
    add(&c, "张伟明", "13812345678");
    let home = c.dir().to_path_buf();
    drop(c);
    // A copy of the database as a newer app would have left it.
    let newer = tmp.path().join("newer.db");
    {
        let conn = common::raw(&home, &key);
        conn.execute_batch(&format!("VACUUM INTO '{}';", newer.display()))
            .unwrap();
    }
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{hex}'\"; PRAGMA journal_mode = DELETE; PRAGMA user_version = {};",
            clinic_core::SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let usb = tempfile::tempdir().unwrap();
    let file = usb.path().join("from-the-future.clinicbackup");
    handmade_backup(&home, &std::fs::read(&newer).unwrap(), &file);
    let e = backup::verify_with_passphrase(&file, common::PASS).unwrap_err();
    assert_eq!(e.code, ErrorCode::SchemaTooNew, "{e}");
    let before = std::fs::read(home.join(clinic_core::DB_FILE)).unwrap();
    let e = backup::restore(&home, &file, common::PASS).unwrap_err();
    assert_eq!(e.code, ErrorCode::SchemaTooNew);
    assert_eq!(
        std::fs::read(home.join(clinic_core::DB_FILE)).unwrap(),
        before
    );
    assert!(!home.join("clinic.db.restoring").exists());
    let (c, _) = Clinic::unlock_with_passphrase(&home, common::PASS).unwrap();
    assert_eq!(names(&c), ["张伟明"]);
}

#[test]
fn every_attempt_is_logged_and_the_status_says_when_the_folder_is_gone() {
    use clinic_core::backup::{FolderCheck, GetBackupStatus, ListBackupLog, SetBackupFolder};
    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let s = c.execute(&owner, GetBackupStatus).unwrap();
    assert_eq!(
        (s.folder_check, s.last_good.is_none()),
        (FolderCheck::Unset, true)
    );

    let usb = tempfile::tempdir().unwrap();
    c.execute(&owner, SetBackupFolder(usb.path().display().to_string()))
        .unwrap();
    let good = c.backup_to(&owner, usb.path()).unwrap();
    let missing = usb.path().join("unplugged");
    c.backup_to(&owner, &missing).unwrap_err();

    let s = c.execute(&owner, GetBackupStatus).unwrap();
    assert_eq!(s.folder_check, FolderCheck::Ready);
    let last_good = s.last_good.unwrap();
    assert_eq!(last_good.file.as_deref(), Some(good.path.as_str()));
    assert_eq!(last_good.bytes, Some(good.bytes));
    let last = s.last_attempt.unwrap();
    assert!(!last.ok);
    assert_eq!(last.error_code.as_deref(), Some("FOLDER_MISSING"));
    assert_eq!(
        c.execute(&owner, ListBackupLog { limit: 10 })
            .unwrap()
            .len(),
        2
    );

    // The USB disk is pulled out: the status says so before anyone tries.
    let gone = usb.path().to_path_buf();
    drop(usb);
    assert!(!gone.exists());
    let s = c.execute(&owner, GetBackupStatus).unwrap();
    assert_eq!(s.folder_check, FolderCheck::Missing);
}

/// The fast snapshot copies the database file's own encrypted bytes while checkpoints are
/// held off: staff writing all the while and another program checkpointing as hard as it can
/// must not tear it. Each backup is verified (both integrity checks, counts equal to the
/// snapshot's) and verified again on its own.
#[test]
fn backups_taken_while_staff_write_and_another_program_checkpoints_are_whole() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let (tmp, c, key) = common::clinic_and_key();
    c.execute(
        &Actor::owner(),
        clinic_core::synth::GenerateClinic {
            patients: 1500,
            mean_visits: 4,
            seed: 7,
            region: clinic_core::synth::Region::Mixed,
            until: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        },
    )
    .unwrap();
    let usb = tempfile::tempdir().unwrap();
    let stop = AtomicBool::new(false);
    /// Stops the other threads however the test ends (a failed assertion included).
    struct Stop<'a>(&'a AtomicBool);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let written = std::thread::scope(|s| {
        let staff = s.spawn(|| {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                add(&c, &format!("测试{n}"), &format!("139{n:08}"));
                n += 1;
            }
            n
        });
        s.spawn(|| {
            let other = common::raw(tmp.path(), &key);
            other.busy_timeout(std::time::Duration::ZERO).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let _ = other.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let _stop = Stop(&stop);
        // Backups until three took the fast path under this pressure (another program's
        // checkpoint sometimes holds the lock longer than a backup waits for it — more often
        // on a loaded machine — and then the slow path is taken, just as whole): at most 40.
        let mut seen = Vec::new();
        let fast = |seen: &Vec<(u64, Option<backup::SnapshotPath>)>| {
            seen.iter()
                .filter(|(_, p)| *p == Some(backup::SnapshotPath::RawPages))
                .count()
        };
        while fast(&seen) < 3 && seen.len() < 40 {
            let r = c.backup_to(&Actor::owner(), usb.path()).unwrap();
            let v = backup::verify_with_passphrase(Path::new(&r.path), common::PASS).unwrap();
            assert_eq!(v.counts, r.counts);
            seen.push((r.counts.patients, r.snapshot));
        }
        drop(_stop);
        let n = staff.join().unwrap();
        // The fast path was taken, and the staff's writes went on between the backups.
        assert!(fast(&seen) >= 3, "{seen:?}");
        assert!(seen.windows(2).any(|w| w[0].0 < w[1].0), "{seen:?}");
        n
    });
    let patients: i64 = common::raw(tmp.path(), &key)
        .query_row("SELECT count(*) FROM patient", [], |r| r.get(0))
        .unwrap();
    assert_eq!(patients, 1500 + i64::from(written));
}

/// Another program reading an older state keeps the WAL from emptying: the backup then
/// copies page by page through the cipher (the slow path), and is just as whole.
#[test]
fn when_another_program_holds_the_wal_the_slow_path_gives_a_whole_backup() {
    let (tmp, c, key) = common::clinic_and_key();
    add(&c, "张伟明", "13812345678");
    let other = common::raw(tmp.path(), &key);
    other.execute_batch("BEGIN").unwrap();
    let seen: i64 = other
        .query_row("SELECT count(*) FROM patient", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, 1);
    add(&c, "陳美玲", "0912345678");
    let usb = tempfile::tempdir().unwrap();
    let r = c.backup_to(&Actor::owner(), usb.path()).unwrap();
    assert_eq!(r.snapshot, Some(backup::SnapshotPath::BackupApi));
    assert_eq!(r.counts.patients, 2);
    other.execute_batch("COMMIT").unwrap();
    let v = backup::verify_with_passphrase(Path::new(&r.path), common::PASS).unwrap();
    assert_eq!(v.counts.patients, 2);
    // Once the other program has finished, the fast path is back.
    let r = c.backup_to(&Actor::owner(), usb.path()).unwrap();
    assert_eq!(r.snapshot, Some(backup::SnapshotPath::RawPages));
}

/// The database bytes of a backup file (after its magic, length and header).
fn database_of(backup_file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(backup_file).unwrap();
    let header = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    bytes[12 + header..].to_vec()
}

/// SQLite's structure check runs on the live file's frozen bytes while they are copied: a
/// copy that then differs from them must not become a backup — here it is swapped, before it
/// is written into the folder, for an older copy of the same clinic under the same key, which
/// would pass every check of its own and has the same counts.
#[test]
fn a_backup_holds_exactly_the_bytes_that_were_checked() {
    let (tmp, c, usb, first) = backed_up();
    let older = database_of(&first);
    // Changed since, counts unchanged: only the bytes tell the two apart.
    c.execute(
        &Actor::owner(),
        SetClinicProfile(ClinicProfile {
            name: "康健牙科".into(),
            ..Default::default()
        }),
    )
    .unwrap();
    // The snapshot's copy in the temp folder begins, as the live file does, with the
    // clinic's own salt.
    let live = std::fs::read(tmp.path().join(clinic_core::DB_FILE)).unwrap();
    let salt = live[..16].to_vec();
    let prefix = format!("clinic-backup-{}-", std::process::id());
    let mut swapped = None;
    let err = c
        .backup_to_with(&Actor::owner(), usb.path(), &mut |p| {
            if !matches!(p, backup::BackupProgress::Writing { done: 0, .. }) || swapped.is_some() {
                return;
            }
            let copy = std::fs::read_dir(std::env::temp_dir())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|f| {
                    let name = f.file_name().unwrap().to_string_lossy();
                    name.starts_with(&prefix)
                        && name.ends_with(".db")
                        && std::fs::read(f).is_ok_and(|b| b.starts_with(&salt))
                })
                .expect("the snapshot's copy");
            std::fs::write(&copy, &older).unwrap();
            swapped = Some(copy);
        })
        .unwrap_err();
    assert!(swapped.is_some());
    assert_eq!(err.code, ErrorCode::BackupInvalid);
    assert!(
        err.message.contains("changed before it was written"),
        "{}",
        err.message
    );
    // Nothing but the first backup in the folder.
    assert_eq!(
        folder_bytes(usb.path()).len(),
        1,
        "{:?}",
        folder_bytes(usb.path())
            .iter()
            .map(|f| &f.0)
            .collect::<Vec<_>>()
    );
}

/// A clinic file whose index no longer matches its table (every page's HMAC still right, so
/// only SQLite's structure check can tell) is not backed up as if it were sound.
#[test]
fn a_damaged_clinic_file_is_not_backed_up_as_good() {
    use clinic_core::backup::GetBackupStatus;
    let (tmp, c, key) = common::clinic_and_key();
    for i in 0..30 {
        add(&c, &format!("病人{i}"), &format!("1380013{i:04}"));
    }
    {
        // The index on the last change now claims to index the names; its entries still
        // hold the times.
        let raw = common::raw(tmp.path(), &key);
        let cookie: i64 = raw
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .unwrap();
        raw.execute_batch(&format!(
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET sql = replace(sql, '(updated_at)', '(name)')
              WHERE name = 'patient_updated';
             PRAGMA writable_schema = OFF;
             PRAGMA schema_version = {};",
            cookie + 1
        ))
        .unwrap();
    }
    let usb = tempfile::tempdir().unwrap();
    let err = c.backup_to(&Actor::owner(), usb.path()).unwrap_err();
    // The clinic's file is what is damaged, not the USB disk: said so.
    assert_eq!(err.code, ErrorCode::ClinicFileDamaged);
    assert!(
        err.message.contains("integrity check failed"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("restore the last good backup"),
        "{}",
        err.message
    );
    assert!(folder_bytes(usb.path()).is_empty());
    assert_eq!(
        c.check_integrity(&Actor::owner()).unwrap_err().code,
        ErrorCode::ClinicFileDamaged
    );
    let status = c.execute(&Actor::owner(), GetBackupStatus).unwrap();
    assert!(status.last_good.is_none());
    assert!(!status.last_attempt.unwrap().ok);
}
