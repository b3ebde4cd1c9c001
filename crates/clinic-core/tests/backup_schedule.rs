//! Automatic backups: when the daily one is due (catching up a missed day, retrying a
//! missing USB disk hourly, not every minute), on closing, rotation (newest of N days and
//! M weeks; other clinics' files untouched), and the schedule as a checked setting.

mod common;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use clinic_core::backup::{
    self, plan_rotation, BackupFile, BackupSchedule, GetBackupSchedule, GetBackupStatus,
    SetBackupFolder, SetBackupSchedule, Trigger,
};
use clinic_core::{Actor, ErrorCode, ValidationRule};

fn taipei() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// A moment in Taipei time, as UTC.
fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    taipei()
        .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn now(day: u32, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    at(day, hour, minute).with_timezone(&taipei())
}

#[test]
fn the_daily_backup_is_due_after_its_time_catches_up_and_retries_hourly() {
    let s = BackupSchedule {
        daily_at: Some("12:30".into()),
        ..Default::default()
    };
    // Before today's time: yesterday's slot counts (a day missed while closed is caught up).
    assert!(s.daily_due(None, None, now(24, 9, 0)));
    assert!(!s.daily_due(Some(at(23, 18, 0)), None, now(24, 9, 0)));
    assert!(s.daily_due(Some(at(23, 11, 0)), None, now(24, 9, 0)));
    // After it: due until a good backup after 12:30 today.
    assert!(!s.daily_due(Some(at(24, 8, 0)), None, now(24, 12, 29)));
    assert!(s.daily_due(Some(at(24, 8, 0)), None, now(24, 12, 31)));
    assert!(!s.daily_due(Some(at(24, 12, 40)), None, now(24, 15, 0)));
    // A failed attempt (USB disk not there) is tried again an hour later, not every minute.
    let failed = Some(at(24, 12, 31));
    assert!(!s.daily_due(Some(at(23, 13, 0)), failed, now(24, 13, 0)));
    assert!(s.daily_due(Some(at(23, 13, 0)), failed, now(24, 13, 32)));
    // No daily time: never due by the clock.
    let off = BackupSchedule {
        daily_at: None,
        ..Default::default()
    };
    assert!(!off.daily_due(None, None, now(24, 23, 0)));
}

fn file(clinic: &str, when: DateTime<Utc>) -> BackupFile {
    BackupFile {
        path: format!("/usb/{clinic}-{}.clinicbackup", when.to_rfc3339()),
        bytes: 1,
        created_at: when.to_rfc3339(),
        clinic_id: clinic.into(),
        schema_version: 12,
    }
}

#[test]
fn rotation_keeps_the_newest_of_each_recent_day_and_week_and_never_another_clinics() {
    // 24 Nov 2026 is a Tuesday. Three backups a day for 21 days, and one of another clinic.
    let mut files = Vec::new();
    for day in 4..=24 {
        for hour in [9, 12, 18] {
            files.push(file("ours", at(day, hour, 0)));
        }
    }
    files.push(file("theirs", at(1, 9, 0)));
    files.reverse(); // order must not matter
    let doomed = plan_rotation(&files, "ours", 3, 2, &taipei());
    let kept: Vec<&BackupFile> = files
        .iter()
        .filter(|f| f.clinic_id == "ours" && !doomed.contains(&f.path))
        .collect();
    let mut kept_at: Vec<DateTime<Utc>> = kept
        .iter()
        .map(|f| {
            DateTime::parse_from_rfc3339(&f.created_at)
                .unwrap()
                .with_timezone(&Utc)
        })
        .collect();
    kept_at.sort();
    // The newest of 24, 23, 22 (three days); this week (23-29 Nov) has 24 already; last
    // week (16-22 Nov) has 22 already: no more.
    assert_eq!(kept_at, [at(22, 18, 0), at(23, 18, 0), at(24, 18, 0)]);
    assert!(!doomed.iter().any(|p| p.contains("theirs")));

    // Weeks beyond the days: the newest of each of the four latest weeks.
    let doomed = plan_rotation(&files, "ours", 1, 4, &taipei());
    let kept: Vec<String> = files
        .iter()
        .filter(|f| f.clinic_id == "ours" && !doomed.contains(&f.path))
        .map(|f| f.created_at.clone())
        .collect();
    let mut kept: Vec<DateTime<Utc>> = kept
        .iter()
        .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
        .collect();
    kept.sort();
    // Weeks: 23-29 (24th), 16-22 (22nd), 9-15 (15th), 2-8 (8th).
    assert_eq!(
        kept,
        [at(8, 18, 0), at(15, 18, 0), at(22, 18, 0), at(24, 18, 0)]
    );
    assert_eq!(doomed.len(), 21 * 3 - 4);
}

#[test]
fn the_schedule_is_a_checked_setting_with_safe_defaults() {
    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let s = c.execute(&owner, GetBackupSchedule).unwrap();
    assert_eq!(s, BackupSchedule::default());
    assert_eq!(s.daily_at.as_deref(), Some("12:30"));
    for (bad, field, rule) in [
        (
            BackupSchedule {
                daily_at: Some("25:00".into()),
                ..Default::default()
            },
            "dailyAt",
            ValidationRule::InvalidFormat,
        ),
        (
            BackupSchedule {
                keep_daily: 0,
                ..Default::default()
            },
            "keepDaily",
            ValidationRule::OutOfRange,
        ),
        (
            BackupSchedule {
                stale_days: 0,
                ..Default::default()
            },
            "staleDays",
            ValidationRule::OutOfRange,
        ),
    ] {
        let err = c.execute(&owner, SetBackupSchedule(bad)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!((err.field.as_deref(), err.rule), (Some(field), Some(rule)));
    }
    assert_eq!(
        c.execute(&owner, GetBackupSchedule).unwrap(),
        BackupSchedule::default()
    );
    let saved = c
        .execute(
            &owner,
            SetBackupSchedule(BackupSchedule {
                daily_at: Some(" 9:05 ".into()),
                on_close: false,
                keep_daily: 14,
                keep_weekly: 0,
                stale_days: 3,
            }),
        )
        .unwrap();
    assert_eq!(saved.daily_at.as_deref(), Some("09:05"));
    assert_eq!(c.execute(&owner, GetBackupStatus).unwrap().schedule, saved);
    let front_desk = Actor::with_role("desk", clinic_core::Role::FrontDesk);
    let denied = c
        .execute(&front_desk, SetBackupSchedule(BackupSchedule::default()))
        .unwrap_err();
    assert_eq!(denied.code, ErrorCode::PermissionDenied);
}

#[test]
fn automatic_backups_run_when_due_on_closing_and_rotate_the_folder() {
    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    common::add_patient(&c, "张伟明", "13812345678");
    // Nothing happens without a folder.
    assert!(c
        .scheduled_backup(&owner, Trigger::Close)
        .unwrap()
        .is_none());

    let usb = tempfile::tempdir().unwrap();
    c.execute(&owner, SetBackupFolder(usb.path().display().to_string()))
        .unwrap();
    // Another clinic's backup in the same folder is never rotated away.
    let (_other_tmp, other) = common::clinic();
    let theirs = other.backup_to(&owner, usb.path()).unwrap().path;

    let daily = |at: &str, on_close: bool| BackupSchedule {
        daily_at: Some(at.into()),
        on_close,
        keep_daily: 1,
        keep_weekly: 0,
        stale_days: 7,
    };
    // 00:00 has always passed today: the first tick is due, the next is not.
    c.execute(&owner, SetBackupSchedule(daily("00:00", true)))
        .unwrap();
    let first = c.scheduled_backup(&owner, Trigger::Daily).unwrap().unwrap();
    assert!(c
        .scheduled_backup(&owner, Trigger::Daily)
        .unwrap()
        .is_none());
    // Closing the app backs up again; rotation keeps one a day, so the first goes.
    let closing = c.scheduled_backup(&owner, Trigger::Close).unwrap().unwrap();
    assert_eq!(closing.removed, std::slice::from_ref(&first.path));
    let (files, _) = backup::list(usb.path()).unwrap();
    let mut paths: Vec<String> = files.into_iter().map(|f| f.path).collect();
    paths.sort();
    let mut expected = vec![closing.path.clone(), theirs];
    expected.sort();
    assert_eq!(paths, expected);

    c.execute(&owner, SetBackupSchedule(daily("00:00", false)))
        .unwrap();
    assert!(c
        .scheduled_backup(&owner, Trigger::Close)
        .unwrap()
        .is_none());

    // A missing disk: the attempt is logged as failed, and the hourly retry waits.
    let gone = usb.path().join("unplugged");
    c.execute(&owner, SetBackupFolder(gone.display().to_string()))
        .unwrap();
    c.execute(
        &owner,
        SetBackupSchedule(BackupSchedule {
            daily_at: Some("00:00".into()),
            ..daily("00:00", false)
        }),
    )
    .unwrap();
    // Today's slot already has a good backup from above: nothing due.
    assert!(c
        .scheduled_backup(&owner, Trigger::Daily)
        .unwrap()
        .is_none());
    c.execute(&owner, SetBackupSchedule(daily("00:00", true)))
        .unwrap();
    let err = c.scheduled_backup(&owner, Trigger::Close).unwrap_err();
    assert_eq!(err.code, ErrorCode::FolderMissing);
    let status = c.execute(&owner, GetBackupStatus).unwrap();
    assert_eq!(
        status.last_attempt.unwrap().error_code.as_deref(),
        Some("FOLDER_MISSING")
    );
}
