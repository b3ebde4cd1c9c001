//! What links a patient to purposes and people: consent (a history per purpose, never
//! edited) and family links (stored both ways, so each side sees the other).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::profile::code_enum;
use super::{load, now_text, parse_id, Patient};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::validate;

code_enum!(
    /// What a patient agrees their data may be used for (PIPL / Taiwan PDPA purposes).
    ConsentPurpose { Care = "care", Reminders = "reminders", Marketing = "marketing",
    Research = "research" });
code_enum!(
    /// How `relative` stands to the patient: "parent" means the relative is the patient's parent.
    Relation { Guardian = "guardian", Ward = "ward", Parent = "parent", Child = "child",
    Spouse = "spouse", Sibling = "sibling" });

impl Relation {
    /// The same link seen from the relative's side.
    pub fn inverse(self) -> Relation {
        match self {
            Relation::Guardian => Relation::Ward,
            Relation::Ward => Relation::Guardian,
            Relation::Parent => Relation::Child,
            Relation::Child => Relation::Parent,
            Relation::Spouse => Relation::Spouse,
            Relation::Sibling => Relation::Sibling,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConsentEntry {
    pub purpose: ConsentPurpose,
    pub given: bool,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FamilyMember {
    pub id: Uuid,
    pub name: String,
    pub relation: Relation,
}

fn by_patient(patient_id: Option<&str>) -> &'static str {
    if patient_id.is_some() {
        "WHERE patient_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    }
}

/// Consent histories, newest first, of one patient or of all.
pub(crate) fn consents_of(
    tx: &Transaction<'_>,
    patient_id: Option<&str>,
) -> Result<HashMap<String, Vec<ConsentEntry>>> {
    let mut out: HashMap<String, Vec<ConsentEntry>> = HashMap::new();
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT patient_id, purpose, given, recorded_at, recorded_by, note FROM consent {}
         ORDER BY id DESC",
        by_patient(patient_id)
    ))?;
    let mut rows = stmt.query([patient_id])?;
    while let Some(r) = rows.next()? {
        let purpose: String = r.get(1)?;
        let at: String = r.get(3)?;
        let (Some(purpose), Ok(at)) = (
            ConsentPurpose::parse(&purpose),
            DateTime::parse_from_rfc3339(&at),
        ) else {
            continue;
        };
        out.entry(r.get(0)?).or_default().push(ConsentEntry {
            purpose,
            given: r.get(2)?,
            recorded_at: at.with_timezone(&Utc),
            recorded_by: r.get(4)?,
            note: r.get(5)?,
        });
    }
    Ok(out)
}

/// Whether the patient's latest word on `purpose` is yes. No entry means no consent.
pub fn consent_given(
    tx: &Transaction<'_>,
    patient_id: Uuid,
    purpose: ConsentPurpose,
) -> Result<bool> {
    let given: Option<bool> = tx
        .prepare_cached(
            "SELECT given FROM consent WHERE patient_id = ?1 AND purpose = ?2 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![patient_id.to_string(), purpose.code()], |r| r.get(0))
        .optional()?;
    Ok(given.unwrap_or(false))
}

pub(crate) fn family_of(
    tx: &Transaction<'_>,
    patient_id: Option<&str>,
) -> Result<HashMap<String, Vec<FamilyMember>>> {
    let mut out: HashMap<String, Vec<FamilyMember>> = HashMap::new();
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT f.patient_id, f.relative_id, p.name, f.relation FROM family_link f
         JOIN patient p ON p.id = f.relative_id {} ORDER BY f.created_at",
        by_patient(patient_id).replace("patient_id", "f.patient_id")
    ))?;
    let mut rows = stmt.query([patient_id])?;
    while let Some(r) = rows.next()? {
        let relative: String = r.get(1)?;
        let relation: String = r.get(3)?;
        let (Ok(id), Some(relation)) = (Uuid::parse_str(&relative), Relation::parse(&relation))
        else {
            continue;
        };
        out.entry(r.get(0)?).or_default().push(FamilyMember {
            id,
            name: r.get(2)?,
            relation,
        });
    }
    Ok(out)
}

// ---- operations ------------------------------------------------------------------------

/// Records that a patient gave or withdrew consent for a purpose, as the signed-in staff member.
pub struct RecordConsent {
    pub patient_id: Uuid,
    /// `care`, `reminders`, `marketing` or `research`.
    pub purpose: String,
    pub given: bool,
    pub note: Option<String>,
}

impl Operation for RecordConsent {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Patient> {
        let purpose = validate::one_of(
            "purpose",
            Some(&self.purpose),
            ConsentPurpose::parse,
            &ConsentPurpose::allowed(),
        )?
        .ok_or_else(|| {
            ClinicError::validation("purpose", ValidationRule::Required, "is required")
        })?;
        let note = validate::optional_text("note", self.note.as_deref(), 500)?;
        load(tx, self.patient_id)?;
        tx.execute(
            "INSERT INTO consent (patient_id, purpose, given, recorded_at, recorded_by, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.patient_id.to_string(),
                purpose.code(),
                self.given,
                now_text(),
                by.name,
                note
            ],
        )?;
        load(tx, self.patient_id)
    }
}

/// Links two patients as family (both directions), replacing any earlier link between them.
pub struct LinkFamily {
    pub patient_id: Uuid,
    pub relative_id: String,
    /// How the relative stands to the patient: `parent`, `child`, `guardian`, `ward`, `spouse`, `sibling`.
    pub relation: String,
}

impl Operation for LinkFamily {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Patient> {
        let relation = validate::one_of(
            "relation",
            Some(&self.relation),
            Relation::parse,
            &Relation::allowed(),
        )?
        .ok_or_else(|| {
            ClinicError::validation("relation", ValidationRule::Required, "is required")
        })?;
        let relative = parse_id("patient", &self.relative_id)?;
        if relative == self.patient_id {
            return Err(ClinicError::validation(
                "relativeId",
                ValidationRule::UnknownValue,
                "a patient cannot be their own relative",
            ));
        }
        load(tx, self.patient_id)?;
        load(tx, relative)?;
        let now = now_text();
        let mut put = tx.prepare_cached(
            "INSERT INTO family_link (patient_id, relative_id, relation, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (patient_id, relative_id) DO UPDATE SET relation = excluded.relation",
        )?;
        put.execute(params![
            self.patient_id.to_string(),
            relative.to_string(),
            relation.code(),
            now
        ])?;
        put.execute(params![
            relative.to_string(),
            self.patient_id.to_string(),
            relation.inverse().code(),
            now
        ])?;
        load(tx, self.patient_id)
    }
}

pub struct UnlinkFamily {
    pub patient_id: Uuid,
    pub relative_id: Uuid,
}

impl Operation for UnlinkFamily {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Patient> {
        load(tx, self.patient_id)?;
        tx.execute(
            "DELETE FROM family_link WHERE (patient_id = ?1 AND relative_id = ?2)
                OR (patient_id = ?2 AND relative_id = ?1)",
            params![self.patient_id.to_string(), self.relative_id.to_string()],
        )?;
        load(tx, self.patient_id)
    }
}
