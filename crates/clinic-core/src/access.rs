//! Who is acting, and whether they may. Every operation passes `authorize` inside
//! `Clinic::execute`, the one door into the data; staff accounts, roles and the audit
//! log (a later issue) plug in here rather than into each command.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ClinicError, ErrorCode, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Role {
    Owner,
    Doctor,
    FrontDesk,
}

/// The signed-in person (or the owner's script, for the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// Until staff accounts exist, whoever unlocked the clinic with its passphrase is the owner.
    pub fn owner() -> Self {
        Actor {
            name: "owner".into(),
            role: Role::Owner,
        }
    }
}

/// What an operation does, at the granularity permissions and the audit log need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PatientRead,
    PatientWrite,
    PatientArchive,
    /// Merging two records of one person.
    PatientMerge,
    /// Checking or importing a file of patients.
    PatientImport,
    /// Writing patients or visits out of the clinic (a file that leaves the encryption).
    PatientExport,
    VisitRead,
    VisitWrite,
    /// Printing a handout (recorded on the patient's timeline).
    HandoutPrint,
    AppointmentRead,
    /// Booking, moving and changing the status of appointments.
    AppointmentWrite,
    /// Reading the reminder work list and its rules.
    ReminderRead,
    /// Logging a contact's outcome, marking a batch as sent.
    ReminderWrite,
    SettingsRead,
    /// The clinic's name, address and phone.
    SettingsWrite,
    /// Copying the whole clinic out to a backup file (the owner's job).
    Backup,
    /// Changing the passphrase, making a recovery code, rotating the database key.
    KeyManagement,
    /// A patient's points statement, the reward catalogue.
    PointsRead,
    /// Redeeming a reward, marking a voucher used or cancelled.
    PointsRedeem,
    /// Adding or taking away points by hand, reversing an entry (money-like: the owner's).
    PointsAdjust,
    /// Posting the expiry of points whose day has come (the app does it daily).
    PointsExpire,
    /// The owner's reports (return rates, no-shows, revenue…).
    ReportRead,
}

impl Action {
    pub fn is_write(self) -> bool {
        !matches!(
            self,
            Action::PatientRead
                | Action::VisitRead
                | Action::SettingsRead
                | Action::AppointmentRead
                | Action::ReminderRead
                | Action::PointsRead
                | Action::ReportRead
        )
    }
}

/// The permission table. Front desk registers patients and visits but does not archive
/// records; doctors may do everything but backups and the keys, which are the owner's.
pub fn authorize(actor: &Actor, action: Action) -> Result<()> {
    let allowed = match (actor.role, action) {
        (Role::Owner, _) => true,
        (Role::Doctor, Action::Backup | Action::KeyManagement | Action::PointsAdjust) => false,
        (Role::Doctor, _) => true,
        (
            Role::FrontDesk,
            Action::PatientArchive
            | Action::PatientMerge
            | Action::SettingsWrite
            | Action::Backup
            | Action::KeyManagement
            | Action::PointsAdjust,
        ) => false,
        (Role::FrontDesk, _) => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(ClinicError::new(
            ErrorCode::PermissionDenied,
            format!("{} ({:?}) may not {:?}", actor.name, actor.role, action),
        ))
    }
}
