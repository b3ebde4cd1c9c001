//! Backups when the destination misbehaves: a disk that fills up, a USB disk pulled out in
//! the middle. Each is said plainly, nothing half-written is left to pass for a backup, the
//! clinic is untouched, and the attempt is logged as failed.

mod common;

use std::path::Path;

use clinic_core::backup::{self, BackupProgress, GetBackupStatus};
use clinic_core::{Actor, Clinic, ErrorCode};

/// A clinic big enough that its backup takes several write steps (about 2 MB).
fn clinic_with_patients(n: usize) -> (tempfile::TempDir, Clinic) {
    let (tmp, c) = common::clinic();
    c.execute(
        &Actor::owner(),
        clinic_core::synth::GenerateClinic {
            patients: n as u32,
            mean_visits: 2,
            seed: 7,
            region: clinic_core::synth::Region::Mixed,
            until: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        },
    )
    .unwrap();
    (tmp, c)
}

fn backup_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn last_attempt_code(c: &Clinic) -> Option<String> {
    c.execute(&Actor::owner(), GetBackupStatus)
        .unwrap()
        .last_attempt
        .and_then(|a| a.error_code)
}

#[test]
fn a_usb_disk_pulled_out_mid_backup_is_said_plainly_and_counts_for_nothing() {
    let (_tmp, c) = clinic_with_patients(3000);
    let before = common::patient_names_limit(&c, 100_000);
    let usb_parent = tempfile::tempdir().unwrap();
    let usb = usb_parent.path().join("USB");
    let elsewhere = usb_parent.path().join("unplugged");
    std::fs::create_dir(&usb).unwrap();
    let mut pulled = false;
    let err = c
        .backup_to_with(&Actor::owner(), &usb, &mut |p| {
            // Half-way through writing, the disk's folder is gone from its path.
            if let BackupProgress::Writing { done, total } = p {
                if !pulled && done > 0 && done < total {
                    std::fs::rename(&usb, &elsewhere).unwrap();
                    pulled = true;
                }
            }
        })
        .unwrap_err();
    assert!(
        pulled,
        "the backup was written in one step: make the clinic bigger"
    );
    assert_eq!(err.code, ErrorCode::FolderMissing, "{err:?}");
    assert!(err.message.contains("went away"), "{}", err.message);
    assert!(!usb.exists());
    // What reached the disk is a hidden partial file, never a backup.
    assert!(backup::list(&elsewhere).unwrap().0.is_empty());
    assert_eq!(last_attempt_code(&c).as_deref(), Some("FOLDER_MISSING"));
    assert_eq!(common::patient_names_limit(&c, 100_000), before);

    // Plugged back in: the next backup is good.
    std::fs::rename(&elsewhere, &usb).unwrap();
    c.backup_to(&Actor::owner(), &usb).unwrap();
    assert_eq!(backup::list(&usb).unwrap().0.len(), 1);
}

/// A 1 MiB tmpfs (needs root, as on the CI machines; elsewhere the test says it did not run).
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

#[test]
fn a_full_disk_is_said_plainly_leaves_nothing_behind_and_changes_nothing() {
    let Some(disk) = SmallDisk::mount("1m") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run the full-disk test"
        );
        eprintln!("full-disk test not run: mounting a tmpfs needs root");
        return;
    };
    let (tmp, c) = clinic_with_patients(3000);
    let live = std::fs::read(tmp.path().join(clinic_core::KEY_FILE)).unwrap();
    // Said before anyone tries: the folder has less room than this clinic's backup needs.
    c.execute(
        &Actor::owner(),
        backup::SetBackupFolder(disk.0.path().display().to_string()),
    )
    .unwrap();
    let status = c.execute(&Actor::owner(), GetBackupStatus).unwrap();
    assert_eq!(status.folder_check, backup::FolderCheck::Full, "{status:?}");
    assert!(status.free_bytes.unwrap() < status.needed_bytes);
    let err = c.backup_to(&Actor::owner(), disk.0.path()).unwrap_err();
    assert_eq!(err.code, ErrorCode::DiskFull, "{err:?}");
    assert!(
        backup_files(disk.0.path()).is_empty(),
        "{:?}",
        backup_files(disk.0.path())
    );
    assert_eq!(last_attempt_code(&c).as_deref(), Some("DISK_FULL"));
    // The clinic goes on as before.
    assert_eq!(
        std::fs::read(tmp.path().join(clinic_core::KEY_FILE)).unwrap(),
        live
    );
    c.check_integrity(&Actor::owner()).unwrap();
    common::add_patient(&c, "王芳", "13600002222");
}
