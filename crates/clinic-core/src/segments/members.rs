//! A segment named either way — a built-in label (`value-tier:high-value`) or a saved rule
//! segment by name — resolved to its members, for everything that targets "a segment":
//! handouts for a whole segment, tagging in bulk, exporting the list.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::custom::RuleReason;
use super::dimensions::Dimension;
use super::saved::SavedSegmentMembers;
use super::SegmentMembers;
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::export::{ExportFormat, Sheet};
use crate::patients::ConsentPurpose;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum SegmentRef {
    /// The patients carrying a built-in label.
    Label { dimension: Dimension, label: String },
    /// A saved rule segment, by name (any case).
    Saved { name: String },
}

impl SegmentRef {
    /// `dimension:label` when the part before the colon is a dimension, else a saved
    /// segment's name (which may itself contain a colon).
    pub fn parse(text: &str) -> Result<SegmentRef> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ClinicError::validation(
                "segment",
                ValidationRule::Required,
                "name a segment: DIMENSION:LABEL or a saved segment's name",
            ));
        }
        if let Some((d, label)) = text.split_once(':') {
            if let Some(dimension) = Dimension::parse(d) {
                return Ok(SegmentRef::Label {
                    dimension,
                    label: label.trim().to_string(),
                });
            }
        }
        Ok(SegmentRef::Saved {
            name: text.to_string(),
        })
    }

    /// How the CLI and the export name it.
    pub fn title(&self) -> String {
        match self {
            SegmentRef::Label { dimension, label } => format!("{}:{label}", dimension.code()),
            SegmentRef::Saved { name } => name.clone(),
        }
    }
}

/// A member of any segment: who, and why in one line of English (the window words it from
/// the structured reasons instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub why: String,
}

/// The segment's members by name. A label no patient could carry is an error, so a typo
/// in a script does not quietly select nobody.
pub fn members_of(
    tx: &Transaction<'_>,
    by: &Actor,
    segment: &SegmentRef,
    today: Option<NaiveDate>,
) -> Result<Vec<Member>> {
    match segment {
        SegmentRef::Label { dimension, label } => {
            if !dimension.is_label(label) {
                return Err(ClinicError::validation(
                    "segment",
                    ValidationRule::UnknownValue,
                    format!(
                        "{} has the labels {}",
                        dimension.code(),
                        dimension.labels().join(", ")
                    ),
                ));
            }
            Ok(SegmentMembers {
                dimension: *dimension,
                label: label.clone(),
                today,
            }
            .run(tx, by)?
            .into_iter()
            .map(|m| Member {
                id: m.id,
                name: m.name,
                why: m.why.text,
            })
            .collect())
        }
        SegmentRef::Saved { name } => Ok(SavedSegmentMembers {
            name: name.clone(),
            today,
            limit: None,
        }
        .run(tx, by)?
        .members
        .into_iter()
        .map(|m| Member {
            id: m.id,
            name: m.name,
            why: RuleReason::line(&m.why),
        })
        .collect()),
    }
}

/// Any segment's members.
pub struct ResolveSegment {
    pub segment: SegmentRef,
    pub today: Option<NaiveDate>,
}

impl Operation for ResolveSegment {
    type Output = Vec<Member>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<Member>> {
        members_of(tx, by, &self.segment, self.today)
    }
}

const MEMBER_HEADERS: &[&str] = &[
    "id",
    "name",
    "sex",
    "birthDate",
    "phone",
    "paymentType",
    "visits",
    "lastVisit",
    "why",
];

/// A segment's members as a CSV or XLSX list for calling or mailing: contact details,
/// visits, and why each is in. Only members whose latest word on `purpose` is yes are
/// listed, so a campaign list never reaches someone who said no (or was never asked).
pub struct ExportSegment {
    pub segment: SegmentRef,
    pub format: ExportFormat,
    pub today: Option<NaiveDate>,
    /// What the list will be used for: marketing, reminders, care, research.
    pub purpose: ConsentPurpose,
}

/// The list, and how many members it leaves out for want of consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedList {
    pub bytes: Vec<u8>,
    pub listed: usize,
    pub without_consent: usize,
}

/// Where the window saved an exported list, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ListWritten {
    pub path: String,
    pub listed: u32,
    /// Members left out: their latest consent for the list's purpose is not a yes.
    pub without_consent: u32,
}

/// Patients whose latest consent entry for `purpose` says yes.
fn consenting(tx: &Transaction<'_>, purpose: ConsentPurpose) -> Result<HashSet<String>> {
    let mut stmt = tx.prepare(
        "SELECT c.patient_id FROM consent c
         WHERE c.purpose = ?1 AND c.given = 1
           AND c.id = (SELECT max(id) FROM consent
                       WHERE patient_id = c.patient_id AND purpose = ?1)",
    )?;
    let ids = stmt
        .query_map([purpose.code()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<HashSet<_>>>()?;
    Ok(ids)
}

impl Operation for ExportSegment {
    type Output = ExportedList;
    fn action(&self) -> Action {
        Action::PatientExport
    }
    fn audit_detail(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "segment": self.segment.title(),
            "purpose": self.purpose.code(),
        }))
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<ExportedList> {
        let mut members = members_of(tx, by, &self.segment, self.today)?;
        let allowed = consenting(tx, self.purpose)?;
        let before = members.len();
        members.retain(|m| allowed.contains(&m.id.to_string()));
        let without_consent = before - members.len();
        let listed = members.len();
        type Row = [Option<String>; 6];
        let mut details: HashMap<String, Row> = HashMap::new();
        {
            let mut stmt = tx.prepare(
                "SELECT id, sex, birth_date, phone, payment_type, visit_count,
                        substr(last_visit_at, 1, 10)
                 FROM patient WHERE archived_at IS NULL",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                details.insert(
                    r.get(0)?,
                    [
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        Some(r.get::<_, i64>(5)?.to_string()),
                        r.get(6)?,
                    ],
                );
            }
        }
        let rows = members
            .into_iter()
            .map(|m| {
                let d = details.remove(&m.id.to_string()).unwrap_or_default();
                let mut row = vec![m.id.to_string(), m.name];
                row.extend(d.into_iter().map(Option::unwrap_or_default));
                row.push(m.why);
                row
            })
            .collect();
        let bytes = Sheet {
            name: "segment",
            headers: MEMBER_HEADERS,
            rows,
            money_column: None,
        }
        .bytes(self.format)?;
        Ok(ExportedList {
            bytes,
            listed,
            without_consent,
        })
    }
}
