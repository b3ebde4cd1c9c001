//! Automatic backups: when one is due (daily at a set time, and/or when the app closes),
//! which old ones go (keep the newest of each of the last N days and M weeks that have
//! one), and after how many days "last good backup" turns red. Settings with safe defaults.

use std::path::Path;

use chrono::{DateTime, Datelike, Local, NaiveTime, TimeZone, Utc};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::{Clinic, Operation};
use crate::error::{ClinicError, Result, ValidationRule};

use super::{list, BackupFile, BackupReport, GetBackupStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BackupSchedule {
    /// Local time of the daily backup, "HH:MM"; none: no daily backup. A day whose time
    /// passed while the app was closed is caught up when it next runs.
    pub daily_at: Option<String>,
    /// Also back up when the app's window is closed.
    pub on_close: bool,
    /// Keep the newest backup of each of the last this-many days that have one.
    pub keep_daily: u32,
    /// And the newest of each of the last this-many weeks (Monday to Sunday).
    pub keep_weekly: u32,
    /// "Last good backup" turns red after this many days.
    pub stale_days: u32,
}

impl Default for BackupSchedule {
    /// Daily at lunchtime and on closing; a week of dailies and two months of weeklies.
    fn default() -> Self {
        BackupSchedule {
            daily_at: Some("12:30".into()),
            on_close: true,
            keep_daily: 7,
            keep_weekly: 8,
            stale_days: 7,
        }
    }
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

impl BackupSchedule {
    fn validate(&self) -> Result<()> {
        if let Some(at) = &self.daily_at {
            if parse_time(at).is_none() {
                return Err(ClinicError::validation(
                    "dailyAt",
                    ValidationRule::InvalidFormat,
                    "a time of day as HH:MM, e.g. 12:30",
                ));
            }
        }
        for (field, value, max) in [
            ("keepDaily", self.keep_daily, 366),
            ("keepWeekly", self.keep_weekly, 520),
            ("staleDays", self.stale_days, 366),
        ] {
            let min = if field == "keepWeekly" { 0 } else { 1 };
            if value < min || value > max {
                return Err(ClinicError::validation(
                    field,
                    ValidationRule::OutOfRange,
                    format!("between {min} and {max}"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the daily backup is due at `now`: the latest daily time at or before `now`
    /// has no good backup after it, and no attempt in the last hour (a missing USB disk is
    /// tried again hourly, not every minute).
    pub fn daily_due<Tz: TimeZone>(
        &self,
        last_good: Option<DateTime<Utc>>,
        last_attempt: Option<DateTime<Utc>>,
        now: DateTime<Tz>,
    ) -> bool {
        let Some(at) = self.daily_at.as_deref().and_then(parse_time) else {
            return false;
        };
        let tz = now.timezone();
        let slot_on = |day: chrono::NaiveDate| {
            // A time skipped by a daylight-saving change counts from the hour after.
            tz.from_local_datetime(&day.and_time(at))
                .earliest()
                .or_else(|| {
                    tz.from_local_datetime(&(day.and_time(at) + chrono::Duration::hours(1)))
                        .earliest()
                })
        };
        let today = now.date_naive();
        let Some(slot) = slot_on(today)
            .filter(|s| *s <= now)
            .or_else(|| today.pred_opt().and_then(slot_on))
        else {
            return false;
        };
        let slot = slot.with_timezone(&Utc);
        if last_good.is_some_and(|g| g >= slot) {
            return false;
        }
        let now = now.with_timezone(&Utc);
        !last_attempt.is_some_and(|a| a >= slot && now - a < chrono::Duration::hours(1))
    }
}

/// The backups of `clinic_id` in a folder listing that rotation removes: all but the newest
/// of each of the last `keep_daily` days and `keep_weekly` ISO weeks that have one, in
/// `tz`'s calendar. Other clinics' files and anything unreadable are never touched.
pub fn plan_rotation<Tz: TimeZone>(
    files: &[BackupFile],
    clinic_id: &str,
    keep_daily: u32,
    keep_weekly: u32,
    tz: &Tz,
) -> Vec<String> {
    let mut ours: Vec<(DateTime<Utc>, &BackupFile)> = files
        .iter()
        .filter(|f| f.clinic_id == clinic_id)
        .filter_map(|f| {
            DateTime::parse_from_rfc3339(&f.created_at)
                .ok()
                .map(|t| (t.with_timezone(&Utc), f))
        })
        .collect();
    ours.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut days = Vec::new();
    let mut weeks = Vec::new();
    let mut remove = Vec::new();
    for (at, file) in ours {
        let local = at.with_timezone(tz);
        let day = local.date_naive();
        let week = (local.iso_week().year(), local.iso_week().week());
        let mut keep = false;
        if !days.contains(&day) && days.len() < keep_daily as usize {
            days.push(day);
            keep = true;
        }
        if !weeks.contains(&week) && weeks.len() < keep_weekly as usize {
            weeks.push(week);
            keep = true;
        }
        // A day already counted: only its newest file stays.
        if !keep {
            remove.push(file.path.clone());
        }
    }
    remove
}

/// Applies the plan to a folder; answers the files removed.
pub fn rotate(folder: &Path, clinic_id: &str, schedule: &BackupSchedule) -> Result<Vec<String>> {
    let (files, _) = list(folder)?;
    let doomed = plan_rotation(
        &files,
        clinic_id,
        schedule.keep_daily,
        schedule.keep_weekly,
        &Local,
    );
    let mut removed = Vec::new();
    for path in doomed {
        if std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    Ok(removed)
}

/// The schedule as stored (defaults until the owner changes them).
pub struct GetBackupSchedule;

impl Operation for GetBackupSchedule {
    type Output = BackupSchedule;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<BackupSchedule> {
        Ok(tx.query_row(
            "SELECT daily_at, on_close, keep_daily, keep_weekly, stale_days
             FROM backup_setting WHERE id = 1",
            [],
            |r| {
                Ok(BackupSchedule {
                    daily_at: r.get(0)?,
                    on_close: r.get(1)?,
                    keep_daily: r.get(2)?,
                    keep_weekly: r.get(3)?,
                    stale_days: r.get(4)?,
                })
            },
        )?)
    }
}

pub struct SetBackupSchedule(pub BackupSchedule);

impl Operation for SetBackupSchedule {
    type Output = BackupSchedule;
    fn action(&self) -> Action {
        Action::Backup
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<BackupSchedule> {
        let mut s = self.0;
        s.daily_at = s
            .daily_at
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        s.validate()?;
        // "9:05" is stored as "09:05".
        s.daily_at = s
            .daily_at
            .as_deref()
            .and_then(parse_time)
            .map(|t| t.format("%H:%M").to_string());
        tx.execute(
            "UPDATE backup_setting SET daily_at = ?1, on_close = ?2, keep_daily = ?3,
             keep_weekly = ?4, stale_days = ?5 WHERE id = 1",
            rusqlite::params![
                s.daily_at,
                s.on_close,
                s.keep_daily,
                s.keep_weekly,
                s.stale_days
            ],
        )?;
        GetBackupSchedule.run(tx, by)
    }
}

/// What asks for an automatic backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The app's timer, every minute: backs up when the daily time has passed.
    Daily,
    /// The window is closing.
    Close,
}

fn parse_at(entry: Option<&super::BackupEntry>) -> Option<DateTime<Utc>> {
    entry
        .and_then(|e| DateTime::parse_from_rfc3339(&e.at).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Clinic {
    /// A verified backup into `folder`, then rotation there by the schedule.
    pub fn backup_and_rotate(&self, actor: &Actor, folder: &Path) -> Result<BackupReport> {
        let mut report = self.backup_to(actor, folder)?;
        let schedule = self.execute(actor, GetBackupSchedule)?;
        // Rotation only ever follows a backup that verified; a failure to remove an old
        // file is not a failed backup.
        report.removed = rotate(folder, self.clinic_id(), &schedule).unwrap_or_default();
        Ok(report)
    }

    /// The automatic backup, if `trigger` makes one due and a folder is set; `Ok(None)`
    /// when nothing was due. Failures are logged like any attempt and answered.
    pub fn scheduled_backup(
        &self,
        actor: &Actor,
        trigger: Trigger,
    ) -> Result<Option<BackupReport>> {
        let status = self.execute(actor, GetBackupStatus)?;
        let Some(folder) = status.folder.as_deref() else {
            return Ok(None);
        };
        let due = match trigger {
            Trigger::Close => status.schedule.on_close,
            Trigger::Daily => status.schedule.daily_due(
                parse_at(status.last_good.as_ref()),
                parse_at(status.last_attempt.as_ref()),
                Local::now(),
            ),
        };
        if !due {
            return Ok(None);
        }
        self.backup_and_rotate(actor, Path::new(folder)).map(Some)
    }
}
