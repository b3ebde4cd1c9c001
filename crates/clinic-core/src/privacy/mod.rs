//! Patients' privacy rights: everything held about a patient, as JSON and as a readable
//! PDF (access); an erasure request carried out within the law on keeping clinical
//! records (restriction, then a full purge once the retention period has passed); and the
//! settings behind them, with a safe default per jurisdiction.
//!
//! "Everything held" and "everything removed" follow the schema's own foreign keys rather
//! than a list kept by hand, so a table added later is neither left out of an access
//! export nor left behind by a purge.

mod access;
mod erase;
mod graph;
mod labels;

pub use access::{DataSection, ExportPatientData, PatientData, PrintPatientData};
pub use erase::{ErasePatientData, ErasureOutcome};

use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::loyalty::Jurisdiction;
use crate::settings::{load_json, save_json};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct PrivacySettings {
    /// Decides the legal minimum for keeping clinical records; when not set, the loyalty
    /// programme's jurisdiction is used.
    pub jurisdiction: Option<Jurisdiction>,
    /// Years clinical records are kept after the last visit; the jurisdiction's minimum
    /// when not set (15 mainland China, 7 Taiwan, 15 elsewhere to be safe).
    pub retention_years: Option<u32>,
    /// The front desk sees phone numbers masked (`0912***678`) and no clinical notes.
    pub mask_for_front_desk: bool,
    /// Lock the window after this many idle minutes (0: never).
    pub auto_lock_minutes: u32,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            jurisdiction: None,
            retention_years: None,
            mask_for_front_desk: true,
            auto_lock_minutes: 5,
        }
    }
}

/// The least a jurisdiction allows: mainland China keeps outpatient records at least 15
/// years after the last visit (医疗机构病历管理规定), Taiwan at least 7 (醫療法 art. 70).
pub fn legal_minimum_years(j: Option<Jurisdiction>) -> u32 {
    match j {
        Some(Jurisdiction::Taiwan) => 7,
        Some(Jurisdiction::MainlandChina) | Some(Jurisdiction::Other) | None => 15,
    }
}

impl PrivacySettings {
    pub(crate) fn load(tx: &Transaction<'_>) -> Result<PrivacySettings> {
        let mut s: PrivacySettings = load_json(tx, "privacy_setting", "value")?;
        if s.jurisdiction.is_none() {
            s.jurisdiction = crate::loyalty::settings(tx)?.jurisdiction;
        }
        Ok(s)
    }

    pub fn effective_retention_years(&self) -> u32 {
        self.retention_years
            .unwrap_or_else(|| legal_minimum_years(self.jurisdiction))
    }
}

pub struct GetPrivacySettings;

impl Operation for GetPrivacySettings {
    type Output = PrivacySettings;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<PrivacySettings> {
        PrivacySettings::load(tx)
    }
}

pub struct SavePrivacySettings(pub PrivacySettings);

impl Operation for SavePrivacySettings {
    type Output = PrivacySettings;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<PrivacySettings> {
        let s = self.0;
        let least = legal_minimum_years(s.jurisdiction);
        if let Some(years) = s.retention_years {
            if years < least || years > 100 {
                return Err(ClinicError::validation(
                    "retentionYears",
                    ValidationRule::OutOfRange,
                    format!("between {least} (the legal minimum here) and 100 years"),
                ));
            }
        }
        save_json(tx, "privacy_setting", "value", &s)?;
        PrivacySettings::load(tx)
    }
}

/// A restricted record cannot be brought back into use.
pub(crate) fn refuse_if_restricted(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let restricted: Option<Option<String>> = tx
        .query_row(
            "SELECT restricted_at FROM patient WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(Some(at)) = restricted {
        return Err(ClinicError::new(
            ErrorCode::InUse,
            format!(
                "this record was restricted by an erasure request on {}",
                &at[..10.min(at.len())]
            ),
        ));
    }
    Ok(())
}
