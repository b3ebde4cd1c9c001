//! The erasure right within the law on keeping clinical records: restriction within the
//! retention period, a full purge after it that leaves only anonymous counts.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result};
use crate::patients::now_text;

use super::graph::{column_values, json_list, references_to};
use super::PrivacySettings;

/// What an erasure request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ErasureOutcome {
    /// `restricted`: kept for care until `retainedUntil`, the rest removed;
    /// `purged`: nothing left but anonymous counts.
    pub outcome: String,
    pub retained_until: Option<NaiveDate>,
    /// Rows removed or cleared, by table.
    pub removed: BTreeMap<String, u64>,
}

/// Contact and profile details not needed for care, cleared on restriction.
const NOT_NEEDED_FOR_CARE: &[&str] = &[
    "email",
    "address",
    "region",
    "occupation",
    "education",
    "marital_status",
    "income_band",
    "preferred_channel",
    "preferred_time",
    "referral_channel",
    "referred_by",
];

/// What restriction removes outright: marketing and loyalty data.
const MARKETING_TABLES: &[&str] = &[
    "patient_tag",
    "voucher",
    "points_entry",
    "membership",
    "tier_change",
    "contact",
    "patient_phone",
];

/// A patient's erasure request. Within the retention period (years after the last visit,
/// by the privacy settings) the clinical record stays, restricted (archived, used for
/// care only, never contacted); marketing data, tags, points, outreach history and
/// contact details not needed for care are removed and consent to reminders, marketing
/// and research is withdrawn. After it, the whole record is purged and only anonymous
/// counts (visits and amounts by month and department) remain.
pub struct ErasePatientData {
    pub patient_id: Uuid,
    /// The day of the request (today, local, when `None`).
    pub today: Option<NaiveDate>,
}

impl Operation for ErasePatientData {
    type Output = ErasureOutcome;
    fn action(&self) -> Action {
        Action::PrivacyErase
    }
    fn patient(&self) -> Option<String> {
        Some(self.patient_id.to_string())
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<ErasureOutcome> {
        let id = self.patient_id.to_string();
        let today = self
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let created: String = tx
            .query_row("SELECT created_at FROM patient WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| ClinicError::not_found("patient", &id))?;
        // Every visit counts, archived ones too: they are clinical records.
        let last: Option<String> = tx.query_row(
            "SELECT max(substr(visited_at, 1, 10)) FROM visit WHERE patient_id = ?1",
            [&id],
            |r| r.get(0),
        )?;
        let last_day = last
            .as_deref()
            .unwrap_or(&created[..10.min(created.len())])
            .parse::<NaiveDate>()
            .unwrap_or(today);
        let years = PrivacySettings::load(tx)?.effective_retention_years();
        let retained_until = last_day
            .checked_add_months(Months::new(12 * years))
            .unwrap_or(NaiveDate::MAX);
        // Foreign keys are checked at commit: rows go in whatever order the graph gives.
        // The points ledger lets this transaction (and only it) remove entries.
        tx.execute_batch(
            "PRAGMA defer_foreign_keys = ON; INSERT INTO erasure_in_progress (id) VALUES (1);",
        )?;
        let outcome = erase(tx, by, &id, today, retained_until);
        tx.execute_batch("DELETE FROM erasure_in_progress")?;
        outcome
    }
}

fn erase(
    tx: &Transaction<'_>,
    by: &Actor,
    id: &str,
    today: NaiveDate,
    retained_until: NaiveDate,
) -> Result<ErasureOutcome> {
    let id = id.to_string();
    let mut removed = BTreeMap::new();
    if retained_until <= today {
        keep_anonymous_counts(tx, &id)?;
        let n = tx.execute("DELETE FROM visit_digest WHERE patient_id = ?1", [&id])?;
        add(&mut removed, "visit_digest", n as u64);
        let n = tx.execute(
            "DELETE FROM patient_key WHERE search_no = (SELECT search_no FROM patient WHERE id = ?1)",
            [&id],
        )?;
        add(&mut removed, "patient_key", n as u64);
        remove(tx, "patient", "id", std::slice::from_ref(&id), &mut removed)?;
        return Ok(ErasureOutcome {
            outcome: "purged".into(),
            retained_until: None,
            removed,
        });
    }
    for table in MARKETING_TABLES {
        remove(
            tx,
            table,
            "patient_id",
            std::slice::from_ref(&id),
            &mut removed,
        )?;
    }
    // Others' points for having referred this patient stay theirs; the link goes.
    let n = tx.execute(
        "UPDATE points_entry SET referred_patient_id = NULL WHERE referred_patient_id = ?1",
        [&id],
    )?;
    add(&mut removed, "points_entry.referred_patient_id", n as u64);
    let set: Vec<String> = NOT_NEEDED_FOR_CARE
        .iter()
        .map(|c| format!("{c} = NULL"))
        .collect();
    let now = now_text();
    tx.execute(
        &format!(
            "UPDATE patient SET {}, restricted_at = ?2, archived_at = coalesce(archived_at, ?2),
                 updated_at = ?2
             WHERE id = ?1",
            set.join(", ")
        ),
        params![id, now],
    )?;
    add(
        &mut removed,
        "patient (contact details)",
        NOT_NEEDED_FOR_CARE.len() as u64,
    );
    for purpose in ["reminders", "marketing", "research"] {
        tx.execute(
            "INSERT INTO consent (patient_id, purpose, given, recorded_at, recorded_by, note)
             VALUES (?1, ?2, 0, ?3, ?4, 'erasure request')",
            params![id, purpose, now, by.name],
        )?;
    }
    let n = tx.execute(
        "UPDATE reminder SET state = 'skipped', skip_reason = 'no-consent', closed_at = ?2
         WHERE patient_id = ?1 AND state = 'open'",
        params![id, now],
    )?;
    add(&mut removed, "reminder (closed)", n as u64);
    Ok(ErasureOutcome {
        outcome: "restricted".into(),
        retained_until: Some(retained_until),
        removed,
    })
}

fn add(removed: &mut BTreeMap<String, u64>, what: &str, n: u64) {
    if n > 0 {
        *removed.entry(what.to_string()).or_default() += n;
    }
}

/// Deletes `table`'s rows where `column` is in `values`, and first whatever refers to
/// them: rows that cannot exist without them are removed in turn, optional references
/// are cleared (another patient's "referred by" this one).
fn remove(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    values: &[String],
    removed: &mut BTreeMap<String, u64>,
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    for r in references_to(tx, table)? {
        let keys = column_values(tx, table, &r.parent_column, column, values)?;
        if keys.is_empty() {
            continue;
        }
        if r.not_null {
            remove(tx, &r.table, &r.column, &keys, removed)?;
        } else {
            let n = tx.execute(
                &format!(
                    "UPDATE \"{}\" SET \"{}\" = NULL WHERE \"{}\" IN (SELECT value FROM json_each(?1))",
                    r.table, r.column, r.column
                ),
                [json_list(&keys)],
            )?;
            add(removed, &format!("{}.{}", r.table, r.column), n as u64);
        }
    }
    let n = tx.execute(
        &format!("DELETE FROM \"{table}\" WHERE \"{column}\" IN (SELECT value FROM json_each(?1))"),
        [json_list(values)],
    )?;
    add(removed, table, n as u64);
    Ok(())
}

/// The purged patient's visits as anonymous counts by month and department.
fn keep_anonymous_counts(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO anonymous_visit_total (month, department, visits, amount_minor)
         SELECT substr(visited_at, 1, 7), trim(department), count(*), coalesce(sum(amount_minor), 0)
         FROM visit WHERE patient_id = ?1 AND archived_at IS NULL
         GROUP BY 1, 2
         ON CONFLICT (month, department) DO UPDATE SET
             visits = visits + excluded.visits,
             amount_minor = amount_minor + excluded.amount_minor",
        [id],
    )?;
    Ok(())
}
