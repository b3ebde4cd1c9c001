//! A patient's record history: every change to it, by whom and when, each corrected field
//! before and after, and the reason given — read from the audit log, where corrections are
//! written in the same transaction as the change.

use std::collections::BTreeMap;

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::redact::{mask_phone, Redaction};
use crate::access::{Action, Actor, Permission};
use crate::clinic::Operation;
use crate::error::Result;

/// The fields of the record whose clinical content only `view-clinical` may see.
pub(crate) const CLINICAL: &[&str] = &[
    "chiefComplaint",
    "diagnosis",
    "treatment",
    "conditions",
    "pastHistory",
    "familyHistory",
    "allergies",
    "medications",
    "notes",
];

/// Each field that differs between two versions of a record: `{field: [before, after]}`
/// (its own bookkeeping — when it was last saved — left out).
pub(crate) fn changed_fields<T: Serialize>(
    before: &T,
    after: &T,
) -> BTreeMap<String, [serde_json::Value; 2]> {
    let (serde_json::Value::Object(b), serde_json::Value::Object(a)) = (
        serde_json::to_value(before).unwrap_or_default(),
        serde_json::to_value(after).unwrap_or_default(),
    ) else {
        return BTreeMap::new();
    };
    a.into_iter()
        .filter(|(k, _)| k != "updatedAt")
        .filter_map(|(k, new)| {
            let old = b.get(&k).cloned().unwrap_or(serde_json::Value::Null);
            (old != new).then_some((k, [old, new]))
        })
        .collect()
}

/// One change to the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecordChange {
    pub at: String,
    pub staff: String,
    pub role: String,
    /// `patient-write`, `visit-write`, `patient-archive`, `patient-merge`, `privacy-erase`…
    pub action: String,
    /// Field → [before, after] (a correction of the profile).
    #[ts(type = "Record<string, [unknown, unknown]>")]
    pub changes: BTreeMap<String, [serde_json::Value; 2]>,
    pub reason: Option<String>,
}

/// The changes to one patient's record, newest first.
pub struct PatientHistory {
    pub patient_id: Uuid,
}

impl Operation for PatientHistory {
    type Output = Vec<RecordChange>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<RecordChange>> {
        super::load(tx, self.patient_id)?;
        let clinical = by.may(Permission::ViewClinical);
        let masked = Redaction::for_actor(tx, by)?.masks_phones();
        let mut stmt = tx.prepare(
            "SELECT at, staff, role, action, detail FROM audit_log
             WHERE patient_id = ?1 AND action NOT LIKE 'denied:%'
               AND action NOT IN ('patient-read', 'visit-read')
             ORDER BY seq DESC",
        )?;
        let rows = stmt.query_map([self.patient_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, staff, role, action, detail) = row?;
            let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            let mut changes: BTreeMap<String, [serde_json::Value; 2]> =
                serde_json::from_value(detail["changes"].clone()).unwrap_or_default();
            if !clinical {
                changes.retain(|k, _| !CLINICAL.contains(&k.as_str()));
            }
            if masked {
                changes.retain(|k, _| k != "idNumber" && k != "policyNumber");
                for (k, values) in changes.iter_mut() {
                    if k == "phone" {
                        for v in values.iter_mut() {
                            if let Some(n) = v.as_str() {
                                *v = mask_phone(n).into();
                            }
                        }
                    } else if k == "otherPhones" {
                        *values = [serde_json::Value::Null, serde_json::Value::Null];
                    }
                }
            }
            out.push(RecordChange {
                at,
                staff,
                role,
                action,
                changes,
                reason: detail["reason"].as_str().map(str::to_string),
            });
        }
        Ok(out)
    }
}
