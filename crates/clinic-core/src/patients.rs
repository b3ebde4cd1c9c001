//! Patient profiles: create, edit, archive (soft delete), read, list and search.

use chrono::{DateTime, Datelike, Local, NaiveDate, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::Action;
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::idnumber;
use crate::search::{self, Searchable};
use crate::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
    #[serde(rename = "O")]
    Other,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
            Sex::Other => "O",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "m" | "male" | "男" => Some(Sex::Male),
            "f" | "female" | "女" => Some(Sex::Female),
            "o" | "other" | "其他" => Some(Sex::Other),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PaymentType {
    SelfPay,
    PublicInsurance,
    CommercialInsurance,
}

impl PaymentType {
    pub const ALLOWED: &'static str = "self-pay, public-insurance, commercial-insurance";
    pub fn code(self) -> &'static str {
        match self {
            PaymentType::SelfPay => "self-pay",
            PaymentType::PublicInsurance => "public-insurance",
            PaymentType::CommercialInsurance => "commercial-insurance",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "self-pay" => Some(PaymentType::SelfPay),
            "public-insurance" => Some(PaymentType::PublicInsurance),
            "commercial-insurance" => Some(PaymentType::CommercialInsurance),
            _ => None,
        }
    }
}

/// A patient as typed into the form or the CLI: text, validated by the core.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct PatientInput {
    pub name: String,
    /// `M`, `F` or `O`.
    pub sex: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// `self-pay`, `public-insurance` or `commercial-insurance`.
    pub payment_type: Option<String>,
    pub allergies: Option<String>,
    pub notes: Option<String>,
    /// Mainland resident ID (18 characters) or Taiwan ID (a letter and 9 digits).
    pub id_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Patient {
    pub id: Uuid,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// Whole years today, computed on read.
    pub age: Option<u32>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub payment_type: Option<PaymentType>,
    pub allergies: Option<String>,
    pub notes: Option<String>,
    pub id_number: Option<String>,
    /// What screens and printouts show: `11************002X`.
    pub id_number_masked: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// One row of the patient list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PatientSummary {
    pub id: Uuid,
    pub name: String,
    pub sex: Option<Sex>,
    pub age: Option<u32>,
    pub phone: Option<String>,
    pub payment_type: Option<PaymentType>,
    pub has_allergies: bool,
    pub visit_count: u32,
    /// RFC 3339 with the offset it was recorded in.
    pub last_visit_at: Option<String>,
    pub archived: bool,
}

/// Validated values, ready to store.
pub(crate) struct PatientRecord {
    pub(crate) name: String,
    pub(crate) sex: Option<Sex>,
    pub(crate) birth_date: Option<NaiveDate>,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) payment_type: Option<PaymentType>,
    pub(crate) allergies: Option<String>,
    pub(crate) notes: Option<String>,
    pub(crate) id_number: Option<String>,
}

/// A search key row: (rank, key, search_no).
pub(crate) type KeyRow = (u8, String, i64);

impl PatientRecord {
    /// Registers a new patient. Its search keys are written now, or, for a bulk import,
    /// pushed onto `bulk_keys` to be inserted sorted at the end.
    pub(crate) fn insert(
        &self,
        tx: &Transaction<'_>,
        external_id: Option<&str>,
        bulk_keys: Option<&mut Vec<KeyRow>>,
    ) -> Result<Uuid> {
        // Time-ordered (UUID v7): new rows append to the primary-key index instead of
        // landing at random pages of it, which is what slowed large imports down.
        let id = Uuid::now_v7();
        let now = now_text();
        let no: i64 = tx.prepare_cached(&format!(
            "INSERT INTO patient ({PATIENT_COLUMNS}, name_fold, phone_digits, external_id, search_no)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, NULL, ?14, ?12, ?13, ?15,
                     coalesce((SELECT max(search_no) FROM patient), 0) + 1)
             RETURNING search_no"
        ))?
        .query_row(
            params![
                id.to_string(),
                self.name,
                self.sex.map(Sex::code),
                self.birth_date.map(|d| d.to_string()),
                self.phone,
                self.email,
                self.address,
                self.payment_type.map(PaymentType::code),
                self.allergies,
                self.notes,
                now,
                self.name.to_lowercase(),
                self.phone.as_deref().map(validate::digits_only),
                self.id_number,
                external_id,
            ],
            |r| r.get(0),
        )?;
        match bulk_keys {
            Some(keys) => keys.extend(
                search::keys_for(&self.searchable())
                    .into_iter()
                    .map(|k| (k.rank, k.key, no)),
            ),
            None => self.index(tx, no)?,
        }
        Ok(id)
    }

    /// Replaces every field of patient `id` and its search keys.
    pub(crate) fn update(&self, tx: &Transaction<'_>, id: Uuid) -> Result<()> {
        // What the patient was found by until now, so exactly those keys are replaced.
        let before = tx.query_row(
            "SELECT search_no, name, phone, id_number FROM patient WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok(SearchedAs {
                    search_no: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    id_number: r.get(3)?,
                })
            },
        )?;
        tx.prepare_cached(
            "UPDATE patient SET name = ?2, sex = ?3, birth_date = ?4, phone = ?5, email = ?6, address = ?7,
                 payment_type = ?8, allergies = ?9, notes = ?10, updated_at = ?11, name_fold = ?12,
                 phone_digits = ?13, id_number = ?14
             WHERE id = ?1",
        )?
        .execute(params![
            id.to_string(),
            self.name,
            self.sex.map(Sex::code),
            self.birth_date.map(|d| d.to_string()),
            self.phone,
            self.email,
            self.address,
            self.payment_type.map(PaymentType::code),
            self.allergies,
            self.notes,
            now_text(),
            self.name.to_lowercase(),
            self.phone.as_deref().map(validate::digits_only),
            self.id_number,
        ])?;
        let old = Searchable {
            name: &before.name,
            phone: before.phone.as_deref(),
            id_number: before.id_number.as_deref(),
        };
        search::index_patient(tx, before.search_no, Some(&old), &self.searchable())
    }

    fn searchable(&self) -> Searchable<'_> {
        Searchable {
            name: &self.name,
            phone: self.phone.as_deref(),
            id_number: self.id_number.as_deref(),
        }
    }

    fn index(&self, tx: &Transaction<'_>, no: i64) -> Result<()> {
        search::index_patient(tx, no, None, &self.searchable())
    }
}

/// The stored fields a patient's search keys are made from.
struct SearchedAs {
    search_no: i64,
    name: String,
    phone: Option<String>,
    id_number: Option<String>,
}

pub(crate) fn today_local() -> NaiveDate {
    Local::now().date_naive()
}

pub(crate) fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

impl PatientInput {
    pub(crate) fn validate(&self) -> Result<PatientRecord> {
        let today = today_local();
        Ok(PatientRecord {
            name: validate::required_text("name", &self.name, 100)?,
            sex: validate::one_of("sex", self.sex.as_deref(), Sex::parse, "M, F, O")?,
            birth_date: validate::past_date("birthDate", self.birth_date.as_deref(), today)?,
            phone: validate::phone("phone", self.phone.as_deref())?,
            email: validate::email("email", self.email.as_deref())?,
            address: validate::optional_text("address", self.address.as_deref(), 300)?,
            payment_type: validate::one_of(
                "paymentType",
                self.payment_type.as_deref(),
                PaymentType::parse,
                PaymentType::ALLOWED,
            )?,
            allergies: validate::optional_text("allergies", self.allergies.as_deref(), 1000)?,
            notes: validate::optional_text("notes", self.notes.as_deref(), 4000)?,
            id_number: idnumber::validate("idNumber", self.id_number.as_deref())?,
        })
    }
}

impl From<&Patient> for PatientInput {
    /// The form for editing an existing patient.
    fn from(p: &Patient) -> Self {
        PatientInput {
            name: p.name.clone(),
            sex: p.sex.map(|s| s.code().to_string()),
            birth_date: p.birth_date.map(|d| d.to_string()),
            phone: p.phone.clone(),
            email: p.email.clone(),
            address: p.address.clone(),
            payment_type: p.payment_type.map(|t| t.code().to_string()),
            allergies: p.allergies.clone(),
            notes: p.notes.clone(),
            id_number: p.id_number.clone(),
        }
    }
}

pub(crate) const PATIENT_COLUMNS: &str = "id, name, sex, birth_date, phone, email, address, payment_type, allergies, notes, created_at, updated_at, archived_at, id_number";

fn parse_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

pub(crate) fn patient_from_row(row: &Row<'_>) -> rusqlite::Result<Patient> {
    let birth_date: Option<String> = row.get(3)?;
    let birth_date = birth_date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let archived: Option<String> = row.get(12)?;
    let id_number: Option<String> = row.get(13)?;
    Ok(Patient {
        id: uuid_at(row, 0)?,
        name: row.get(1)?,
        sex: row
            .get::<_, Option<String>>(2)?
            .as_deref()
            .and_then(Sex::parse),
        birth_date,
        age: birth_date.map(|b| age_on(b, today_local())),
        phone: row.get(4)?,
        email: row.get(5)?,
        address: row.get(6)?,
        payment_type: row
            .get::<_, Option<String>>(7)?
            .as_deref()
            .and_then(PaymentType::parse),
        allergies: row.get(8)?,
        notes: row.get(9)?,
        created_at: parse_time(&row.get::<_, String>(10)?)?,
        updated_at: parse_time(&row.get::<_, String>(11)?)?,
        archived_at: archived.as_deref().map(parse_time).transpose()?,
        id_number_masked: id_number.as_deref().map(idnumber::mask),
        id_number,
    })
}

pub(crate) fn load(tx: &Transaction<'_>, id: Uuid) -> Result<Patient> {
    tx.query_row(
        &format!("SELECT {PATIENT_COLUMNS} FROM patient WHERE id = ?1"),
        [id.to_string()],
        patient_from_row,
    )
    .optional()?
    .ok_or_else(|| ClinicError::not_found("patient", &id.to_string()))
}

/// Ids are stored as text (readable, and what a future sync protocol will exchange).
pub(crate) fn uuid_at(row: &Row<'_>, i: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(i)?;
    Uuid::parse_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Accepts an id as text so a malformed id is a clear "not found", not a parse panic.
pub fn parse_id(what: &str, id: &str) -> Result<Uuid> {
    Uuid::parse_str(id.trim()).map_err(|_| ClinicError::not_found(what, id))
}

// ---- operations ------------------------------------------------------------------------

pub struct CreatePatient(pub PatientInput);

impl Operation for CreatePatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>) -> Result<Patient> {
        let id = self.0.validate()?.insert(tx, None, None)?;
        load(tx, id)
    }
}

pub struct UpdatePatient {
    pub id: Uuid,
    pub input: PatientInput,
}

impl Operation for UpdatePatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>) -> Result<Patient> {
        let r = self.input.validate()?;
        load(tx, self.id)?;
        r.update(tx, self.id)?;
        load(tx, self.id)
    }
}

/// Soft delete: the record stays (clinical records must be kept) but leaves lists and search.
pub struct ArchivePatient {
    pub id: Uuid,
    /// `false` restores an archived patient.
    pub archived: bool,
}

impl Operation for ArchivePatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientArchive
    }
    fn run(self, tx: &Transaction<'_>) -> Result<Patient> {
        load(tx, self.id)?;
        let now = now_text();
        let archived_at = self.archived.then(|| now.clone());
        tx.execute(
            "UPDATE patient SET archived_at = ?2, updated_at = ?3 WHERE id = ?1",
            params![self.id.to_string(), archived_at, now],
        )?;
        load(tx, self.id)
    }
}

pub struct GetPatient(pub Uuid);

impl Operation for GetPatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>) -> Result<Patient> {
        load(tx, self.0)
    }
}

const SUMMARY_SELECT: &str = "SELECT p.id, p.name, p.sex, p.birth_date, p.phone, p.payment_type,
        p.allergies IS NOT NULL AND p.allergies <> '',
        (SELECT count(*) FROM visit v WHERE v.patient_id = p.id AND v.archived_at IS NULL),
        (SELECT v.visited_at FROM visit v WHERE v.patient_id = p.id AND v.archived_at IS NULL
            ORDER BY v.visited_at_ms DESC LIMIT 1),
        p.archived_at IS NOT NULL
    FROM patient p";

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
    fn run(self, tx: &Transaction<'_>) -> Result<Vec<PatientSummary>> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE (?1 OR p.archived_at IS NULL) ORDER BY p.updated_at DESC, p.id LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map(
            params![self.include_archived, self.limit.min(1000), self.offset],
            summary_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
    fn run(self, tx: &Transaction<'_>) -> Result<Vec<PatientSummary>> {
        if self.query.trim().is_empty() {
            return ListPatients {
                include_archived: false,
                limit: self.limit,
                offset: 0,
            }
            .run(tx);
        }
        if self.query.chars().count() > 100 {
            return Err(ClinicError::validation(
                "query",
                ValidationRule::TooLong,
                "at most 100 characters",
            ));
        }
        let found = search::find(tx, &self.query, self.limit.clamp(1, 500) as usize)?;
        let mut stmt = tx.prepare_cached(&format!("{SUMMARY_SELECT} WHERE p.search_no = ?1"))?;
        let mut out = Vec::with_capacity(found.len());
        for no in found {
            out.push(stmt.query_row([no], summary_from_row)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let b = NaiveDate::from_ymd_opt(1980, 5, 17).unwrap();
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2026, 5, 16).unwrap()), 45);
        assert_eq!(age_on(b, NaiveDate::from_ymd_opt(2026, 5, 17).unwrap()), 46);
    }

    #[test]
    fn sex_and_payment_parse() {
        assert_eq!(Sex::parse("m"), Some(Sex::Male));
        assert_eq!(Sex::parse("x"), None);
        assert_eq!(
            PaymentType::parse("public-insurance"),
            Some(PaymentType::PublicInsurance)
        );
        assert_eq!(PaymentType::parse("cash"), None);
    }
}
