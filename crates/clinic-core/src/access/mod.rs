//! Who is acting, and whether they may. Every operation passes `authorize` inside
//! `Clinic::execute`, the one door into the data, and leaves its trace in the audit log
//! there (`audit`); staff accounts and custom roles live in `staff`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ClinicError, ErrorCode, Result};

pub mod audit;
pub mod redact;
pub(crate) mod rows;
pub mod staff;

/// A staff member's role: three built in, or one the owner made (`Custom`, with its name
/// and permissions on the `Actor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Role {
    Owner,
    Doctor,
    FrontDesk,
    Custom,
}

/// What a role may do beyond looking patients up, booking and working the call list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Permission {
    /// Visits' complaints, diagnoses and treatments; history, allergies, medications.
    ViewClinical,
    /// Registering and editing patients, recording visits.
    EditPatients,
    /// Archiving a record, merging two records of one person.
    ArchiveMerge,
    /// Adding or taking away points by hand, reversing an entry.
    AdjustPoints,
    /// Writing patients, visits or reports out of the encrypted file.
    Export,
    BackupRestore,
    ManageStaff,
    /// The clinic's settings: details, reminders, loyalty, segments' thresholds.
    ManageSettings,
    ViewReports,
    ViewAudit,
    /// A patient's erasure request: removing what is not needed for care.
    Erase,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::ViewClinical,
        Permission::EditPatients,
        Permission::ArchiveMerge,
        Permission::AdjustPoints,
        Permission::Export,
        Permission::BackupRestore,
        Permission::ManageStaff,
        Permission::ManageSettings,
        Permission::ViewReports,
        Permission::ViewAudit,
        Permission::Erase,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Permission::ViewClinical => "view-clinical",
            Permission::EditPatients => "edit-patients",
            Permission::ArchiveMerge => "archive-merge",
            Permission::AdjustPoints => "adjust-points",
            Permission::Export => "export",
            Permission::BackupRestore => "backup-restore",
            Permission::ManageStaff => "manage-staff",
            Permission::ManageSettings => "manage-settings",
            Permission::ViewReports => "view-reports",
            Permission::ViewAudit => "view-audit",
            Permission::Erase => "erase",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL
            .iter()
            .copied()
            .find(|p| p.code() == s.trim())
    }
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Doctor => "doctor",
            Role::FrontDesk => "front-desk",
            Role::Custom => "custom",
        }
    }

    /// A built-in role by its code (`Custom` is not one: custom roles go by their name).
    pub fn built_in(s: &str) -> Option<Role> {
        match s.trim() {
            "owner" => Some(Role::Owner),
            "doctor" => Some(Role::Doctor),
            "front-desk" => Some(Role::FrontDesk),
            _ => None,
        }
    }

    /// The built-in roles' permissions. The owner may do everything; a doctor everything
    /// clinical, but not the money-like points, the backups, the staff, the audit log or
    /// erasures; the front desk registers patients and visits, books and calls, and sees
    /// no clinical notes, reports or exports.
    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        match self {
            Role::Owner => Permission::ALL.to_vec(),
            Role::Doctor => vec![
                ViewClinical,
                EditPatients,
                ArchiveMerge,
                Export,
                ManageSettings,
                ViewReports,
            ],
            Role::FrontDesk => vec![EditPatients],
            Role::Custom => Vec::new(),
        }
    }
}

/// The signed-in person (or the owner's script, for the CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// The role's own name for a custom role (the built-in ones' codes otherwise).
    pub role_name: String,
    permissions: Vec<Permission>,
}

impl Actor {
    /// Whoever unlocked the clinic with its passphrase (the CLI without `--staff`, the
    /// app before anyone signs in while no staff accounts exist) is the owner.
    pub fn owner() -> Self {
        Actor::with_role("owner", Role::Owner)
    }

    /// Someone in a built-in role.
    pub fn with_role(name: &str, role: Role) -> Self {
        Actor {
            name: name.into(),
            role,
            role_name: role.code().into(),
            permissions: role.permissions(),
        }
    }

    /// Someone in a role the owner made.
    pub fn custom(name: &str, role_name: &str, permissions: Vec<Permission>) -> Self {
        Actor {
            name: name.into(),
            role: Role::Custom,
            role_name: role_name.into(),
            permissions,
        }
    }

    pub fn may(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
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
    /// A staff member signing in (checked against their password, not a permission).
    SignIn,
    /// The staff list and roles.
    StaffRead,
    /// Adding, disabling staff, changing roles and passwords.
    StaffWrite,
    /// The audit log: reading it, verifying its chain.
    AuditRead,
    /// Carrying out a patient's erasure request.
    PrivacyErase,
}

impl Action {
    /// Every action (the permission matrix test walks them all).
    pub const ALL: &'static [Action] = &[
        Action::PatientRead,
        Action::PatientWrite,
        Action::PatientArchive,
        Action::PatientMerge,
        Action::PatientImport,
        Action::PatientExport,
        Action::VisitRead,
        Action::VisitWrite,
        Action::HandoutPrint,
        Action::AppointmentRead,
        Action::AppointmentWrite,
        Action::ReminderRead,
        Action::ReminderWrite,
        Action::SettingsRead,
        Action::SettingsWrite,
        Action::Backup,
        Action::KeyManagement,
        Action::PointsRead,
        Action::PointsRedeem,
        Action::PointsAdjust,
        Action::PointsExpire,
        Action::ReportRead,
        Action::SignIn,
        Action::StaffRead,
        Action::StaffWrite,
        Action::AuditRead,
        Action::PrivacyErase,
    ];

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
                | Action::StaffRead
                | Action::AuditRead
        )
    }
}

/// Who is signed in, as the window sees it (to show their name and hide what they may
/// not open; the core refuses it anyway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignedIn {
    pub name: String,
    pub role: Role,
    /// The built-in role's code or the custom role's name.
    pub role_name: String,
    pub permissions: Vec<Permission>,
}

impl From<&Actor> for SignedIn {
    fn from(a: &Actor) -> Self {
        SignedIn {
            name: a.name.clone(),
            role: a.role,
            role_name: a.role_name.clone(),
            permissions: a.permissions.clone(),
        }
    }
}

/// Which permission an action needs: `None` for what every signed-in staff member does
/// (looking patients up, booking, the call list, points statements and redeeming);
/// `Some` otherwise. Key management is the owner's alone (see `authorize`).
pub fn required(action: Action) -> Option<Permission> {
    use Permission::*;
    match action {
        // Visits are read by everyone; their clinical notes only with view-clinical
        // (taken out in `redact`).
        Action::PatientRead
        | Action::VisitRead
        | Action::HandoutPrint
        | Action::AppointmentRead
        | Action::AppointmentWrite
        | Action::ReminderRead
        | Action::ReminderWrite
        | Action::SettingsRead
        | Action::PointsRead
        | Action::PointsRedeem
        | Action::PointsExpire
        | Action::SignIn
        | Action::KeyManagement => None,
        Action::PatientWrite | Action::VisitWrite | Action::PatientImport => Some(EditPatients),
        Action::PatientArchive | Action::PatientMerge => Some(ArchiveMerge),
        Action::PatientExport => Some(Export),
        Action::SettingsWrite => Some(ManageSettings),
        Action::Backup => Some(BackupRestore),
        Action::PointsAdjust => Some(AdjustPoints),
        Action::ReportRead => Some(ViewReports),
        Action::StaffRead | Action::StaffWrite => Some(ManageStaff),
        Action::AuditRead => Some(ViewAudit),
        Action::PrivacyErase => Some(Erase),
    }
}

/// The one check, inside `Clinic::execute` (the one door into the data).
pub fn authorize(actor: &Actor, action: Action) -> Result<()> {
    let allowed = match action {
        // The passphrase and the data key: whoever holds the clinic's passphrase.
        Action::KeyManagement => actor.role == Role::Owner,
        _ => required(action).is_none_or(|p| actor.may(p)),
    };
    if allowed {
        Ok(())
    } else {
        Err(ClinicError::new(
            ErrorCode::PermissionDenied,
            format!("{} ({}) may not {:?}", actor.name, actor.role_name, action),
        ))
    }
}
