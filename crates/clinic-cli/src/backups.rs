//! `clinic backup …`: write (then rotate), list, verify, restore, and the schedule.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use clinic_core::keychain::KeyCache;
use clinic_core::{Clinic, ClinicError, ErrorCode, Result, ValidationRule};

use crate::output::Output;
use crate::read_passphrase;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Write a verified backup into DIR (remembered for next time) or the remembered folder,
    /// then remove older backups of this clinic there by the schedule's rotation
    Create {
        #[arg(long)]
        to: Option<PathBuf>,
        /// Remove nothing (no rotation this time)
        #[arg(long)]
        keep_all: bool,
    },
    /// Show or change when the app backs up by itself and how many backups are kept
    Schedule {
        /// Daily at this local time (HH:MM)
        #[arg(long, conflicts_with = "no_daily")]
        daily: Option<String>,
        /// No daily backup
        #[arg(long)]
        no_daily: bool,
        /// Back up when the app's window is closed: true or false
        #[arg(long)]
        on_close: Option<bool>,
        /// Keep the newest backup of each of the last N days
        #[arg(long)]
        keep_daily: Option<u32>,
        /// Keep the newest backup of each of the last M weeks
        #[arg(long)]
        keep_weekly: Option<u32>,
        /// "Last good backup" turns red after D days
        #[arg(long)]
        stale_days: Option<u32>,
    },
    /// The backups in DIR (or the remembered folder), newest first
    List {
        #[arg(long = "in")]
        folder: Option<PathBuf>,
    },
    /// Check a backup completely (checksum, encryption and integrity checks) with the
    /// passphrase it was made under; nothing is changed
    Verify { file: PathBuf },
    /// Replace this computer's clinic with the backup (checked first; the current data is
    /// kept in a safety-<time> folder). The passphrase is the one the backup was made under
    Restore { file: PathBuf },
}

/// The passphrase a backup was made under, or the recovery code (CLINIC_PASSPHRASE or stdin).
fn backup_passphrase() -> Result<String> {
    read_passphrase("Passphrase (or recovery code) of the backup: ").ok_or_else(|| {
        ClinicError::new(
            ErrorCode::Locked,
            "no passphrase: set CLINIC_PASSPHRASE (the passphrase or the recovery code) or pipe it on stdin",
        )
    })
}

/// The subcommands that work on a backup file or folder without opening the clinic here
/// (restore must find it closed); `Ok(false)` for the others.
pub fn run_without_clinic(
    cmd: &BackupCommand,
    dir: &Path,
    cache: &dyn KeyCache,
    out: &Output,
) -> Result<bool> {
    match cmd {
        BackupCommand::Verify { file } => {
            let passphrase = backup_passphrase()?;
            out.backup_verified(
                file,
                &clinic_core::backup::verify_with_passphrase(file, &passphrase)?,
            );
            return Ok(true);
        }
        BackupCommand::Restore { file } => {
            let passphrase = backup_passphrase()?;
            let report = clinic_core::backup::restore(dir, file, &passphrase)?;
            // This computer remembers the key from now on (where a keychain works).
            let (clinic, key) = Clinic::unlock_with_passphrase(dir, &passphrase)?;
            let _ = cache.store(clinic.clinic_id(), &key);
            clinic.execute(
                &crate::actor(),
                clinic_core::backup::RecordRestore {
                    file: file.display().to_string(),
                    safety_copy: report.safety_copy.clone(),
                },
            )?;
            out.restored(&report);
            return Ok(true);
        }
        BackupCommand::List {
            folder: Some(folder),
        } => {
            let (files, problems) = clinic_core::backup::list(folder)?;
            out.backups(&files, &problems);
            return Ok(true);
        }
        _ => {}
    }
    Ok(false)
}

/// The subcommands that need the clinic open.
pub fn run(cmd: BackupCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        BackupCommand::Create { to, keep_all } => {
            use clinic_core::backup::{GetBackupFolder, SetBackupFolder};
            let folder = match to {
                Some(f) => f,
                None => clinic
                    .execute(&actor, GetBackupFolder)?
                    .map(PathBuf::from)
                    .ok_or_else(|| {
                        ClinicError::validation(
                            "to",
                            ValidationRule::Required,
                            "no backup folder yet: name one with --to DIR (it is remembered)",
                        )
                    })?,
            };
            let report = if keep_all {
                clinic.backup_to(&actor, &folder)?
            } else {
                clinic.backup_and_rotate(&actor, &folder)?
            };
            let absolute = std::fs::canonicalize(&folder).unwrap_or(folder);
            clinic.execute(&actor, SetBackupFolder(absolute.display().to_string()))?;
            out.backup_written(&report);
        }
        BackupCommand::Schedule {
            daily,
            no_daily,
            on_close,
            keep_daily,
            keep_weekly,
            stale_days,
        } => {
            use clinic_core::backup::{GetBackupSchedule, SetBackupSchedule};
            let mut s = clinic.execute(&actor, GetBackupSchedule)?;
            let changed = daily.is_some()
                || no_daily
                || on_close.is_some()
                || keep_daily.is_some()
                || keep_weekly.is_some()
                || stale_days.is_some();
            if changed {
                if no_daily {
                    s.daily_at = None;
                }
                s.daily_at = daily.or(s.daily_at);
                s.on_close = on_close.unwrap_or(s.on_close);
                s.keep_daily = keep_daily.unwrap_or(s.keep_daily);
                s.keep_weekly = keep_weekly.unwrap_or(s.keep_weekly);
                s.stale_days = stale_days.unwrap_or(s.stale_days);
                s = clinic.execute(&actor, SetBackupSchedule(s))?;
            }
            out.backup_schedule(&s);
        }
        BackupCommand::List { folder: None } => {
            let folder = clinic
                .execute(&actor, clinic_core::backup::GetBackupFolder)?
                .ok_or_else(|| {
                    ClinicError::validation(
                        "in",
                        ValidationRule::Required,
                        "no backup folder yet: name one with --in DIR",
                    )
                })?;
            let (files, problems) = clinic_core::backup::list(std::path::Path::new(&folder))?;
            out.backups(&files, &problems);
        }
        _ => unreachable!("handled by run_without_clinic"),
    }
    Ok(())
}
