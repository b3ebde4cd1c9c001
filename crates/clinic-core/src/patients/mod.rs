//! Patient profiles: create, edit, archive (soft delete), read, list and search.

use chrono::{DateTime, Datelike, Local, NaiveDate, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::redact::Redaction;

pub mod history;
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::idnumber;
use crate::search::{self, Searchable};
use crate::validate;

mod bulk;
pub mod duplicates;
mod find;
mod input;
pub mod profile;
mod record;
pub mod relations;

pub(crate) use bulk::BulkInsert;
pub use duplicates::{
    DuplicateCandidate, DuplicateReason, FindDuplicates, MergePatients, MergeRecord,
};
pub use find::{search_summary_sql, ListPatients, SearchPatients};
pub(crate) use input::column_of;
pub(crate) use record::PatientRecord;
use record::{code_value, text_value};

use profile::Lists;
pub use profile::{
    Alcohol, Allergy, AllergyInput, AllergySeverity, Condition, ConditionInput, ContactChannel,
    ContactTime, Education, Exercise, IncomeBand, Language, MaritalStatus, Medication,
    MedicationInput, Phone, PhoneInput, ReferralChannel, Smoking, WorkPattern,
};
pub use relations::{
    consent_given, ConsentEntry, ConsentPurpose, FamilyMember, LinkFamily, RecordConsent, Relation,
    UnlinkFamily,
};

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

/// A patient as typed into the form or the CLI: text, validated by the core. The form
/// sends every field and every list whole; what is left out is cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct PatientInput {
    pub name: String,
    /// `M`, `F` or `O`.
    pub sex: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// The primary phone: the one reminders use and the list shows.
    pub phone: Option<String>,
    pub other_phones: Vec<PhoneInput>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// Province / city / district as the clinic writes it.
    pub region: Option<String>,
    pub occupation: Option<String>,
    pub education: Option<String>,
    pub marital_status: Option<String>,
    pub income_band: Option<String>,
    /// `zh-CN`, `zh-TW` or `en`: for handouts and messages.
    pub preferred_language: Option<String>,
    /// Mainland resident ID (18 characters) or Taiwan ID (a letter and 9 digits).
    pub id_number: Option<String>,
    /// `self-pay`, `public-insurance` or `commercial-insurance`.
    pub payment_type: Option<String>,
    pub insurer: Option<String>,
    pub policy_number: Option<String>,
    pub conditions: Vec<ConditionInput>,
    pub past_history: Option<String>,
    pub family_history: Option<String>,
    pub allergies: Vec<AllergyInput>,
    pub medications: Vec<MedicationInput>,
    pub smoking: Option<String>,
    pub alcohol: Option<String>,
    pub exercise: Option<String>,
    pub diet: Option<String>,
    pub sleep: Option<String>,
    pub work_pattern: Option<String>,
    pub preferred_doctor: Option<String>,
    pub preferred_channel: Option<String>,
    pub preferred_time: Option<String>,
    pub referral_channel: Option<String>,
    /// The id of the patient who recommended this one.
    pub referred_by: Option<String>,
    pub notes: Option<String>,
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
    pub other_phones: Vec<Phone>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub occupation: Option<String>,
    pub education: Option<Education>,
    pub marital_status: Option<MaritalStatus>,
    pub income_band: Option<IncomeBand>,
    pub preferred_language: Option<Language>,
    pub id_number: Option<String>,
    /// What screens and printouts show: `11************002X`.
    pub id_number_masked: Option<String>,
    pub payment_type: Option<PaymentType>,
    pub insurer: Option<String>,
    pub policy_number: Option<String>,
    pub conditions: Vec<Condition>,
    pub past_history: Option<String>,
    pub family_history: Option<String>,
    pub allergies: Vec<Allergy>,
    pub medications: Vec<Medication>,
    pub smoking: Option<Smoking>,
    pub alcohol: Option<Alcohol>,
    pub exercise: Option<Exercise>,
    pub diet: Option<String>,
    pub sleep: Option<String>,
    pub work_pattern: Option<WorkPattern>,
    pub preferred_doctor: Option<String>,
    pub preferred_channel: Option<ContactChannel>,
    pub preferred_time: Option<ContactTime>,
    pub referral_channel: Option<ReferralChannel>,
    pub referred_by: Option<Uuid>,
    pub referred_by_name: Option<String>,
    /// Every consent given or withdrawn, newest first.
    pub consents: Vec<ConsentEntry>,
    pub family: Vec<FamilyMember>,
    /// Records merged into this one.
    pub merged_from: Vec<MergeRecord>,
    pub notes: Option<String>,
    /// Set when this record was merged into another one (and archived).
    pub merged_into: Option<Uuid>,
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

pub(crate) const PATIENT_COLUMNS: &str = "id, name, sex, birth_date, phone, email, address, payment_type, notes,
    created_at, updated_at, archived_at, id_number, region, occupation, education, marital_status,
    income_band, preferred_language, insurer, policy_number, past_history, family_history, smoking,
    alcohol, exercise, diet, sleep, work_pattern, preferred_doctor, preferred_channel, preferred_time,
    referral_channel, referred_by, merged_into,
    (SELECT r.name FROM patient r WHERE r.id = patient.referred_by) AS referred_by_name";

fn parse_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// A coded column read back; a value this build does not know reads as unset.
fn coded<T>(
    row: &Row<'_>,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    Ok(row
        .get::<_, Option<String>>(column)?
        .as_deref()
        .and_then(parse))
}

fn opt_uuid(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<Uuid>> {
    Ok(row
        .get::<_, Option<String>>(column)?
        .and_then(|s| Uuid::parse_str(&s).ok()))
}

/// A patient's own row; lists, consents and family are attached by [`load`] / [`with_details`].
pub(crate) fn patient_from_row(row: &Row<'_>) -> rusqlite::Result<Patient> {
    let birth_date: Option<String> = row.get("birth_date")?;
    let birth_date = birth_date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let archived: Option<String> = row.get("archived_at")?;
    let id_number: Option<String> = row.get("id_number")?;
    Ok(Patient {
        id: uuid_at(row, 0)?,
        name: row.get("name")?,
        sex: coded(row, "sex", Sex::parse)?,
        birth_date,
        age: birth_date.map(|b| age_on(b, today_local())),
        phone: row.get("phone")?,
        other_phones: Vec::new(),
        email: row.get("email")?,
        address: row.get("address")?,
        region: row.get("region")?,
        occupation: row.get("occupation")?,
        education: coded(row, "education", Education::parse)?,
        marital_status: coded(row, "marital_status", MaritalStatus::parse)?,
        income_band: coded(row, "income_band", IncomeBand::parse)?,
        preferred_language: coded(row, "preferred_language", Language::parse)?,
        id_number_masked: id_number.as_deref().map(idnumber::mask),
        id_number,
        payment_type: coded(row, "payment_type", PaymentType::parse)?,
        insurer: row.get("insurer")?,
        policy_number: row.get("policy_number")?,
        conditions: Vec::new(),
        past_history: row.get("past_history")?,
        family_history: row.get("family_history")?,
        allergies: Vec::new(),
        medications: Vec::new(),
        smoking: coded(row, "smoking", Smoking::parse)?,
        alcohol: coded(row, "alcohol", Alcohol::parse)?,
        exercise: coded(row, "exercise", Exercise::parse)?,
        diet: row.get("diet")?,
        sleep: row.get("sleep")?,
        work_pattern: coded(row, "work_pattern", WorkPattern::parse)?,
        preferred_doctor: row.get("preferred_doctor")?,
        preferred_channel: coded(row, "preferred_channel", ContactChannel::parse)?,
        preferred_time: coded(row, "preferred_time", ContactTime::parse)?,
        referral_channel: coded(row, "referral_channel", ReferralChannel::parse)?,
        referred_by: opt_uuid(row, "referred_by")?,
        referred_by_name: row.get("referred_by_name")?,
        consents: Vec::new(),
        family: Vec::new(),
        merged_from: Vec::new(),
        notes: row.get("notes")?,
        merged_into: opt_uuid(row, "merged_into")?,
        created_at: parse_time(&row.get::<_, String>("created_at")?)?,
        updated_at: parse_time(&row.get::<_, String>("updated_at")?)?,
        archived_at: archived.as_deref().map(parse_time).transpose()?,
    })
}

/// Attaches the lists, consents and family of one patient (`one`), or of all (exports).
pub(crate) fn with_details(
    tx: &Transaction<'_>,
    patients: &mut [Patient],
    one: bool,
) -> Result<()> {
    let only = if one {
        patients.first().map(|p| p.id.to_string())
    } else {
        None
    };
    let mut lists = Lists::load_many(tx, only.as_deref())?;
    let mut consents = relations::consents_of(tx, only.as_deref())?;
    let mut family = relations::family_of(tx, only.as_deref())?;
    for p in patients.iter_mut() {
        let id = p.id.to_string();
        if let Some(l) = lists.remove(&id) {
            p.other_phones = l.other_phones;
            p.conditions = l.conditions;
            p.allergies = l.allergies;
            p.medications = l.medications;
        }
        p.consents = consents.remove(&id).unwrap_or_default();
        p.family = family.remove(&id).unwrap_or_default();
        if one {
            p.merged_from = duplicates::merges_into(tx, &id)?;
        }
    }
    Ok(())
}

pub(crate) fn load(tx: &Transaction<'_>, id: Uuid) -> Result<Patient> {
    let p = tx
        .query_row(
            &format!("SELECT {PATIENT_COLUMNS} FROM patient WHERE id = ?1"),
            [id.to_string()],
            patient_from_row,
        )
        .optional()?
        .ok_or_else(|| ClinicError::not_found("patient", &id.to_string()))?;
    let mut one = [p];
    with_details(tx, &mut one, true)?;
    let [p] = one;
    Ok(p)
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

/// Registers a patient. One who looks already registered (see [`duplicates`]) is refused
/// with `DUPLICATE` unless staff have checked and confirmed (`allow_duplicate`).
pub struct CreatePatient {
    pub input: PatientInput,
    pub allow_duplicate: bool,
}

impl CreatePatient {
    pub fn new(input: PatientInput) -> Self {
        CreatePatient {
            input,
            allow_duplicate: false,
        }
    }
}

impl Operation for CreatePatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn audits_itself(&self) -> bool {
        true
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Patient> {
        let record = self.input.validate()?;
        if !self.allow_duplicate {
            let found = duplicates::candidates(tx, &record, None)?;
            if !found.is_empty() {
                return Err(duplicates::duplicate_error(&found));
            }
        }
        let id = record.insert(tx, None)?;
        // Audited here, where the new record's id is known.
        crate::access::audit::append(
            tx,
            by,
            "patient-write",
            Some(&id.to_string()),
            r#"{"op":"CreatePatient"}"#,
        )?;
        shown(tx, by, load(tx, id)?)
    }
}

pub struct UpdatePatient {
    pub id: Uuid,
    pub input: PatientInput,
    /// Why the record was corrected (kept with the change in the audit log).
    pub reason: Option<String>,
}

impl Operation for UpdatePatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn patient(&self) -> Option<String> {
        Some(self.id.to_string())
    }
    fn audits_itself(&self) -> bool {
        true
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Patient> {
        let stored = load(tx, self.id)?;
        let mut input = self.input;
        Redaction::for_actor(tx, by)?.keep_hidden(&mut input, &stored);
        let r = input.validate()?;
        r.update(tx, self.id)?;
        let saved = load(tx, self.id)?;
        // The correction in the audit log: each changed field before and after, and why.
        let changes =
            history::changed_fields(&PatientInput::from(&stored), &PatientInput::from(&saved));
        let reason = self
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        crate::access::audit::append(
            tx,
            by,
            "patient-write",
            Some(&self.id.to_string()),
            &serde_json::json!({ "op": "UpdatePatient", "changes": changes, "reason": reason })
                .to_string(),
        )?;
        shown(tx, by, saved)
    }
}

/// The record as `by` may see it.
fn shown(tx: &Transaction<'_>, by: &Actor, mut p: Patient) -> Result<Patient> {
    Redaction::for_actor(tx, by)?.patient(&mut p);
    Ok(p)
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
    fn patient(&self) -> Option<String> {
        Some(self.id.to_string())
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Patient> {
        load(tx, self.id)?;
        if !self.archived {
            crate::privacy::refuse_if_restricted(tx, &self.id.to_string())?;
        }
        let now = now_text();
        let archived_at = self.archived.then(|| now.clone());
        tx.execute(
            "UPDATE patient SET archived_at = ?2, updated_at = ?3 WHERE id = ?1",
            params![self.id.to_string(), archived_at, now],
        )?;
        shown(tx, by, load(tx, self.id)?)
    }
}

pub struct GetPatient(pub Uuid);

impl Operation for GetPatient {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn patient(&self) -> Option<String> {
        Some(self.0.to_string())
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Patient> {
        shown(tx, by, load(tx, self.0)?)
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
