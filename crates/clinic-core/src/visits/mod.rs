//! Visits: add, edit and list a patient's visits, newest first.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::{self, now_text, uuid_at};
use crate::validate;

pub(crate) mod kept;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum VisitType {
    First,
    #[default]
    Return,
    Specialist,
    Emergency,
}

impl VisitType {
    pub const ALLOWED: &'static str = "first, return, specialist, emergency";
    pub fn code(self) -> &'static str {
        match self {
            VisitType::First => "first",
            VisitType::Return => "return",
            VisitType::Specialist => "specialist",
            VisitType::Emergency => "emergency",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "first" => Some(VisitType::First),
            "return" => Some(VisitType::Return),
            "specialist" => Some(VisitType::Specialist),
            "emergency" => Some(VisitType::Emergency),
            _ => None,
        }
    }
}

/// A visit as typed into the form or the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct VisitInput {
    pub patient_id: String,
    /// Date and time with its UTC offset, e.g. `2026-11-20T09:30+08:00`.
    pub at: String,
    pub department: String,
    pub doctor: Option<String>,
    /// `first`, `return`, `specialist` or `emergency`.
    pub visit_type: String,
    pub chief_complaint: Option<String>,
    pub diagnosis: Option<String>,
    pub treatment: Option<String>,
    /// Decimal text, e.g. `350.00`; at most two decimals, never negative.
    pub amount: Option<String>,
    /// 1 to 5.
    pub satisfaction: Option<i32>,
    /// "Would you recommend us?", 0 to 10.
    pub nps: Option<i32>,
    pub feedback: Option<String>,
    /// "Come back by": an ISO date after the visit; missed follow-up reminders start here.
    pub follow_up_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Visit {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// With the UTC offset it was recorded in.
    pub at: DateTime<FixedOffset>,
    pub department: String,
    pub doctor: Option<String>,
    pub visit_type: VisitType,
    pub chief_complaint: Option<String>,
    pub diagnosis: Option<String>,
    pub treatment: Option<String>,
    /// Exact decimal as text (e.g. `"350.00"`), never a float.
    #[ts(type = "string | null")]
    pub amount: Option<Decimal>,
    pub satisfaction: Option<u8>,
    pub nps: Option<u8>,
    pub feedback: Option<String>,
    pub follow_up_by: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct VisitRecord {
    patient_id: Uuid,
    at: DateTime<FixedOffset>,
    department: String,
    doctor: Option<String>,
    visit_type: VisitType,
    chief_complaint: Option<String>,
    diagnosis: Option<String>,
    treatment: Option<String>,
    amount_minor: Option<i64>,
    satisfaction: Option<i64>,
    nps: Option<i64>,
    feedback: Option<String>,
    follow_up_by: Option<NaiveDate>,
}

impl VisitInput {
    fn validate(&self) -> Result<VisitRecord> {
        let patient_id = Uuid::parse_str(self.patient_id.trim()).map_err(|_| {
            ClinicError::validation(
                "patientId",
                ValidationRule::InvalidFormat,
                format!("{:?} is not a patient id", self.patient_id),
            )
        })?;
        let at = validate::date_time("at", &self.at)?;
        // A visit is something that happened; a day of slack covers clocks and time zones.
        if at.with_timezone(&Utc) > Utc::now() + Duration::days(1) {
            return Err(ClinicError::validation(
                "at",
                ValidationRule::InFuture,
                "a visit cannot be in the future; book an appointment instead",
            ));
        }
        if at.with_timezone(&Utc)
            < DateTime::parse_from_rfc3339("1900-01-01T00:00:00Z").expect("valid")
        {
            return Err(ClinicError::validation(
                "at",
                ValidationRule::OutOfRange,
                "is before 1900",
            ));
        }
        let visit_type = validate::one_of(
            "visitType",
            Some(&self.visit_type),
            VisitType::parse,
            VisitType::ALLOWED,
        )?
        .ok_or_else(|| {
            ClinicError::validation("visitType", ValidationRule::Required, "is required")
        })?;
        Ok(VisitRecord {
            patient_id,
            at,
            department: validate::required_text("department", &self.department, 60)?,
            doctor: validate::optional_text("doctor", self.doctor.as_deref(), 60)?,
            visit_type,
            chief_complaint: validate::optional_text(
                "chiefComplaint",
                self.chief_complaint.as_deref(),
                1000,
            )?,
            diagnosis: validate::optional_text("diagnosis", self.diagnosis.as_deref(), 1000)?,
            treatment: validate::optional_text("treatment", self.treatment.as_deref(), 2000)?,
            amount_minor: validate::amount_minor("amount", self.amount.as_deref())?,
            satisfaction: validate::int_in_range(
                "satisfaction",
                self.satisfaction.map(i64::from),
                1,
                5,
            )?,
            nps: validate::int_in_range("nps", self.nps.map(i64::from), 0, 10)?,
            feedback: validate::optional_text("feedback", self.feedback.as_deref(), 2000)?,
            follow_up_by: follow_up_date(self.follow_up_by.as_deref(), at)?,
        })
    }
}

/// The return-by date: optional, a real date, after the visit and within two years.
fn follow_up_date(value: Option<&str>, at: DateTime<FixedOffset>) -> Result<Option<NaiveDate>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        ClinicError::validation(
            "followUpBy",
            ValidationRule::InvalidDate,
            format!("{v:?} is not a date (YYYY-MM-DD)"),
        )
    })?;
    let visit_day = at.date_naive();
    if date <= visit_day || date > visit_day + Duration::days(731) {
        return Err(ClinicError::validation(
            "followUpBy",
            ValidationRule::OutOfRange,
            "must be after the visit and within two years of it",
        ));
    }
    Ok(Some(date))
}

pub(crate) const VISIT_COLUMNS: &str = "id, patient_id, visited_at, department, doctor, visit_type, chief_complaint, diagnosis, treatment, amount_minor, satisfaction, feedback, created_at, updated_at, nps, follow_up_by";

fn conversion_error(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

pub(crate) fn visit_from_row(row: &Row<'_>) -> rusqlite::Result<Visit> {
    let utc = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&row.get::<_, String>(i)?)
            .map(|d| d.with_timezone(&Utc))
            .map_err(conversion_error)
    };
    let visit_type: String = row.get(5)?;
    Ok(Visit {
        id: uuid_at(row, 0)?,
        patient_id: uuid_at(row, 1)?,
        at: DateTime::parse_from_rfc3339(&row.get::<_, String>(2)?).map_err(conversion_error)?,
        department: row.get(3)?,
        doctor: row.get(4)?,
        visit_type: VisitType::parse(&visit_type).unwrap_or(VisitType::Return),
        chief_complaint: row.get(6)?,
        diagnosis: row.get(7)?,
        treatment: row.get(8)?,
        amount: row
            .get::<_, Option<i64>>(9)?
            .map(validate::minor_to_decimal),
        satisfaction: row.get::<_, Option<u8>>(10)?,
        feedback: row.get(11)?,
        created_at: utc(12)?,
        updated_at: utc(13)?,
        nps: row.get::<_, Option<u8>>(14)?,
        follow_up_by: row
            .get::<_, Option<String>>(15)?
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(conversion_error))
            .transpose()?,
    })
}

fn load(tx: &Transaction<'_>, id: Uuid) -> Result<Visit> {
    tx.query_row(
        &format!("SELECT {VISIT_COLUMNS} FROM visit WHERE id = ?1 AND archived_at IS NULL"),
        [id.to_string()],
        visit_from_row,
    )
    .optional()?
    .ok_or_else(|| ClinicError::not_found("visit", &id.to_string()))
}

/// Visits are recorded only for a patient who exists and is not archived.
fn require_active_patient(tx: &Transaction<'_>, id: Uuid) -> Result<()> {
    let patient = patients::load(tx, id)?;
    if patient.archived_at.is_some() {
        return Err(ClinicError::new(
            ErrorCode::NotFound,
            format!("patient {id} is archived; restore the patient first"),
        ));
    }
    Ok(())
}

pub struct AddVisit(pub VisitInput);

impl Operation for AddVisit {
    type Output = Visit;
    fn action(&self) -> Action {
        Action::VisitWrite
    }
    fn patient(&self) -> Option<String> {
        Some(self.0.patient_id.trim().to_string())
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Visit> {
        let r = self.0.validate()?;
        require_active_patient(tx, r.patient_id)?;
        let id = r.insert(tx)?;
        // Points for the visit (and a referrer's bonus), in the same transaction.
        crate::loyalty::earn_for_visit(tx, by, &id.to_string())?;
        load(tx, id)
    }
}

impl VisitRecord {
    fn insert(&self, tx: &Transaction<'_>) -> Result<Uuid> {
        let r = self;
        // Time-ordered (UUID v7): new rows append to the primary-key index instead of
        // landing at random pages of it, which is what slowed large imports down.
        let id = Uuid::now_v7();
        let now = now_text();
        tx.prepare_cached(
            &format!("INSERT INTO visit ({VISIT_COLUMNS}, visited_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?15, ?16, ?14)"))?
            .execute(params![
                id.to_string(),
                r.patient_id.to_string(),
                r.at.to_rfc3339(),
                r.department,
                r.doctor,
                r.visit_type.code(),
                r.chief_complaint,
                r.diagnosis,
                r.treatment,
                r.amount_minor,
                r.satisfaction,
                r.feedback,
                now,
                r.at.timestamp_millis(),
                r.nps,
                r.follow_up_by.map(|d| d.to_string()),
            ])?;
        Ok(id)
    }
}

/// For the visits import: a checked visit, written unless `dry_run`. `Ok(false)` when the
/// patient already has a visit at that instant in that department (a second import of the
/// same file).
pub(crate) fn import_one(tx: &Transaction<'_>, input: &VisitInput, dry_run: bool) -> Result<bool> {
    let r = input.validate()?;
    require_active_patient(tx, r.patient_id)?;
    let known: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM visit WHERE patient_id = ?1 AND visited_at_ms = ?2
                 AND department = ?3 AND archived_at IS NULL)",
        )?
        .query_row(
            params![
                r.patient_id.to_string(),
                r.at.timestamp_millis(),
                r.department
            ],
            |row| row.get(0),
        )?;
    if known {
        return Ok(false);
    }
    if !dry_run {
        r.insert(tx)?;
    }
    Ok(true)
}

pub struct UpdateVisit {
    pub id: Uuid,
    pub input: VisitInput,
}

impl Operation for UpdateVisit {
    type Output = Visit;
    fn action(&self) -> Action {
        Action::VisitWrite
    }
    fn audits_itself(&self) -> bool {
        true
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Visit> {
        let mut r = self.input.validate()?;
        let existing = load(tx, self.id)?;
        // Someone shown the visit without its clinical notes keeps them as they were.
        if !by.may(crate::access::Permission::ViewClinical) {
            r.chief_complaint = existing.chief_complaint.clone();
            r.diagnosis = existing.diagnosis.clone();
            r.treatment = existing.treatment.clone();
        }
        if existing.patient_id != r.patient_id {
            return Err(ClinicError::validation(
                "patientId",
                ValidationRule::InvalidFormat,
                "a visit cannot be moved to another patient",
            ));
        }
        tx.execute(
            "UPDATE visit SET visited_at = ?2, visited_at_ms = ?3, department = ?4, doctor = ?5, visit_type = ?6,
                 chief_complaint = ?7, diagnosis = ?8, treatment = ?9, amount_minor = ?10, satisfaction = ?11,
                 feedback = ?12, updated_at = ?13, nps = ?14, follow_up_by = ?15
             WHERE id = ?1",
            params![
                self.id.to_string(),
                r.at.to_rfc3339(),
                r.at.timestamp_millis(),
                r.department,
                r.doctor,
                r.visit_type.code(),
                r.chief_complaint,
                r.diagnosis,
                r.treatment,
                r.amount_minor,
                r.satisfaction,
                r.feedback,
                now_text(),
                r.nps,
                r.follow_up_by.map(|d| d.to_string()),
            ],
        )?;
        let mut saved = load(tx, self.id)?;
        // The change in the audit log, field by field, on the patient's record.
        let changes = crate::patients::history::changed_fields(&existing, &saved);
        crate::access::audit::append(
            tx,
            by,
            "visit-write",
            Some(&saved.patient_id.to_string()),
            &serde_json::json!({ "op": "UpdateVisit", "visit": self.id, "changes": changes })
                .to_string(),
        )?;
        crate::access::redact::Redaction::for_actor(tx, by)?.visit(&mut saved);
        Ok(saved)
    }
}

/// One patient's visits, newest first.
pub struct ListVisits {
    pub patient_id: Uuid,
}

impl Operation for ListVisits {
    type Output = Vec<Visit>;
    fn action(&self) -> Action {
        Action::VisitRead
    }
    fn patient(&self) -> Option<String> {
        Some(self.patient_id.to_string())
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<Visit>> {
        patients::load(tx, self.patient_id)?;
        let mut stmt = tx.prepare(&format!(
            "SELECT {VISIT_COLUMNS} FROM visit WHERE patient_id = ?1 AND archived_at IS NULL ORDER BY visited_at_ms DESC, created_at DESC"
        ))?;
        let rows = stmt.query_map([self.patient_id.to_string()], visit_from_row)?;
        let redact = crate::access::redact::Redaction::for_actor(tx, by)?;
        let mut visits: Vec<Visit> = rows.collect::<rusqlite::Result<_>>()?;
        visits.iter_mut().for_each(|v| redact.visit(v));
        Ok(visits)
    }
}
