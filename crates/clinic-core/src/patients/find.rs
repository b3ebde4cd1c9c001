//! The patient list and the search box: rows read from the compact summary index.

use chrono::NaiveDate;
use rusqlite::{params, Row, Transaction};

use super::{age_on, today_local, uuid_at, PatientSummary, PaymentType, Sex};
use crate::access::redact::Redaction;
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::search;

const SUMMARY_SELECT: &str = "SELECT p.id, p.name, p.sex, p.birth_date, p.phone, p.payment_type,
        p.has_allergies,
        p.visit_count, p.last_visit_at,
        p.archived_at IS NOT NULL
    FROM patient p";

/// One search hit's row, read from the compact index alone (migration 0007): SQLite would
/// otherwise pick the unique index on search_no and read the table page. A test checks
/// the plan, so a column added to the row but not to the index is caught.
#[doc(hidden)]
pub fn search_summary_sql() -> String {
    format!("{SUMMARY_SELECT} INDEXED BY patient_summary WHERE p.search_no = ?1")
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<PatientSummary> {
    let birth: Option<String> = row.get(3)?;
    Ok(PatientSummary {
        id: uuid_at(row, 0)?,
        name: row.get(1)?,
        sex: row
            .get::<_, Option<String>>(2)?
            .as_deref()
            .and_then(Sex::parse),
        age: birth
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .map(|b| age_on(b, today_local())),
        phone: row.get(4)?,
        payment_type: row
            .get::<_, Option<String>>(5)?
            .as_deref()
            .and_then(PaymentType::parse),
        has_allergies: row.get(6)?,
        visit_count: row.get(7)?,
        last_visit_at: row.get(8)?,
        archived: row.get(9)?,
    })
}

/// The list: most recently changed first.
pub struct ListPatients {
    pub include_archived: bool,
    pub limit: u32,
    pub offset: u32,
}

impl Operation for ListPatients {
    type Output = Vec<PatientSummary>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<PatientSummary>> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE (?1 OR p.archived_at IS NULL) ORDER BY p.updated_at DESC, p.id LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map(
            params![self.include_archived, self.limit.min(1000), self.offset],
            summary_from_row,
        )?;
        let redact = Redaction::for_actor(tx, by)?;
        let mut out: Vec<PatientSummary> = rows.collect::<rusqlite::Result<_>>()?;
        out.iter_mut().for_each(|s| redact.summary(s));
        Ok(out)
    }
}

/// Search active patients by any fragment of the name, its pinyin or initials, a phone
/// fragment of 4+ digits (see [`crate::search`]). Exact and prefix matches come first.
pub struct SearchPatients {
    pub query: String,
    pub limit: u32,
}

impl Operation for SearchPatients {
    type Output = Vec<PatientSummary>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<PatientSummary>> {
        if self.query.trim().is_empty() {
            return ListPatients {
                include_archived: false,
                limit: self.limit,
                offset: 0,
            }
            .run(tx, by);
        }
        if self.query.chars().count() > 100 {
            return Err(ClinicError::validation(
                "query",
                ValidationRule::TooLong,
                "at most 100 characters",
            ));
        }
        let found = search::find(tx, &self.query, self.limit.clamp(1, 500) as usize)?;
        let mut stmt = tx.prepare_cached(&search_summary_sql())?;
        let redact = Redaction::for_actor(tx, by)?;
        let mut out = Vec::with_capacity(found.len());
        for no in found {
            let mut row = stmt.query_row([no], summary_from_row)?;
            redact.summary(&mut row);
            out.push(row);
        }
        Ok(out)
    }
}
