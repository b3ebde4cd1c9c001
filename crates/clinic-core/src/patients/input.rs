//! The form's text → a checked record, and a stored patient → the form for editing it.

use rusqlite::types::Value;
use uuid::Uuid;

use super::profile::{self, Lists};
use super::*;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::{idnumber, validate};

impl PatientInput {
    pub(crate) fn validate(&self) -> Result<PatientRecord> {
        let today = today_local();
        let text = |field: &str, v: &Option<String>, max: usize| -> Result<(String, Value)> {
            let column = column_of(field);
            Ok((
                column,
                text_value(validate::optional_text(field, v.as_deref(), max)?),
            ))
        };
        macro_rules! coded {
            ($field:literal, $v:expr, $t:ty) => {
                (
                    column_of($field),
                    code_value(
                        validate::one_of($field, $v.as_deref(), <$t>::parse, &<$t>::allowed())?
                            .map(<$t>::code),
                    ),
                )
            };
        }
        let referral_channel = validate::one_of(
            "referralChannel",
            self.referral_channel.as_deref(),
            ReferralChannel::parse,
            &ReferralChannel::allowed(),
        )?;
        let referred_by = match self.referred_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(Uuid::parse_str(id).map_err(|_| {
                ClinicError::validation(
                    "referredBy",
                    ValidationRule::InvalidFormat,
                    format!("{id:?} is not a patient id"),
                )
            })?),
        };
        // A referring patient implies the channel; the channel "patient" needs one.
        let referral_channel = match (referral_channel, referred_by) {
            (None, Some(_)) => Some(ReferralChannel::Patient),
            (c, _) => c,
        };
        let columns = vec![
            (
                "email".into(),
                text_value(validate::email("email", self.email.as_deref())?),
            ),
            text("address", &self.address, 300)?,
            text("region", &self.region, 100)?,
            text("occupation", &self.occupation, 100)?,
            coded!("education", self.education, Education),
            coded!("maritalStatus", self.marital_status, MaritalStatus),
            coded!("incomeBand", self.income_band, IncomeBand),
            coded!("preferredLanguage", self.preferred_language, Language),
            (
                "payment_type".into(),
                code_value(
                    validate::one_of(
                        "paymentType",
                        self.payment_type.as_deref(),
                        PaymentType::parse,
                        PaymentType::ALLOWED,
                    )?
                    .map(PaymentType::code),
                ),
            ),
            text("insurer", &self.insurer, 100)?,
            text("policyNumber", &self.policy_number, 60)?,
            text("pastHistory", &self.past_history, 4000)?,
            text("familyHistory", &self.family_history, 4000)?,
            coded!("smoking", self.smoking, Smoking),
            coded!("alcohol", self.alcohol, Alcohol),
            coded!("exercise", self.exercise, Exercise),
            text("diet", &self.diet, 300)?,
            text("sleep", &self.sleep, 300)?,
            coded!("workPattern", self.work_pattern, WorkPattern),
            text("preferredDoctor", &self.preferred_doctor, 100)?,
            coded!("preferredChannel", self.preferred_channel, ContactChannel),
            coded!("preferredTime", self.preferred_time, ContactTime),
            (
                "referral_channel".into(),
                code_value(referral_channel.map(ReferralChannel::code)),
            ),
            text("notes", &self.notes, 4000)?,
        ];
        Ok(PatientRecord {
            name: validate::required_text("name", &self.name, 100)?,
            sex: validate::one_of("sex", self.sex.as_deref(), Sex::parse, "M, F, O")?,
            birth_date: validate::past_date("birthDate", self.birth_date.as_deref(), today)?,
            phone: validate::phone("phone", self.phone.as_deref())?,
            id_number: idnumber::validate("idNumber", self.id_number.as_deref())?,
            columns,
            referred_by,
            lists: Lists {
                other_phones: profile::validate_phones(&self.other_phones)?,
                conditions: profile::validate_conditions(&self.conditions, today)?,
                allergies: profile::validate_allergies(&self.allergies)?,
                medications: profile::validate_medications(&self.medications, today)?,
            },
        })
    }
}

/// `maritalStatus` → `marital_status`: input fields are camelCase, columns snake_case.
pub(crate) fn column_of(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn opt_text<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|x| x.to_string())
}

impl From<&Patient> for PatientInput {
    /// The form for editing an existing patient.
    fn from(p: &Patient) -> Self {
        PatientInput {
            name: p.name.clone(),
            sex: opt_text(p.sex.map(Sex::code)),
            birth_date: opt_text(p.birth_date),
            phone: p.phone.clone(),
            other_phones: p
                .other_phones
                .iter()
                .map(|x| PhoneInput {
                    number: x.number.clone(),
                    label: x.label.clone(),
                })
                .collect(),
            email: p.email.clone(),
            address: p.address.clone(),
            region: p.region.clone(),
            occupation: p.occupation.clone(),
            education: opt_text(p.education.map(Education::code)),
            marital_status: opt_text(p.marital_status.map(MaritalStatus::code)),
            income_band: opt_text(p.income_band.map(IncomeBand::code)),
            preferred_language: opt_text(p.preferred_language.map(Language::code)),
            id_number: p.id_number.clone(),
            payment_type: opt_text(p.payment_type.map(PaymentType::code)),
            insurer: p.insurer.clone(),
            policy_number: p.policy_number.clone(),
            conditions: p
                .conditions
                .iter()
                .map(|c| ConditionInput {
                    name: c.name.clone(),
                    icd10: c.icd10.clone(),
                    chronic: c.chronic,
                    since: opt_text(c.since),
                })
                .collect(),
            past_history: p.past_history.clone(),
            family_history: p.family_history.clone(),
            allergies: p
                .allergies
                .iter()
                .map(|a| AllergyInput {
                    substance: a.substance.clone(),
                    reaction: a.reaction.clone(),
                    severity: opt_text(a.severity.map(AllergySeverity::code)),
                })
                .collect(),
            medications: p
                .medications
                .iter()
                .map(|m| MedicationInput {
                    name: m.name.clone(),
                    dose: m.dose.clone(),
                    since: opt_text(m.since),
                })
                .collect(),
            smoking: opt_text(p.smoking.map(Smoking::code)),
            alcohol: opt_text(p.alcohol.map(Alcohol::code)),
            exercise: opt_text(p.exercise.map(Exercise::code)),
            diet: p.diet.clone(),
            sleep: p.sleep.clone(),
            work_pattern: opt_text(p.work_pattern.map(WorkPattern::code)),
            preferred_doctor: p.preferred_doctor.clone(),
            preferred_channel: opt_text(p.preferred_channel.map(ContactChannel::code)),
            preferred_time: opt_text(p.preferred_time.map(ContactTime::code)),
            referral_channel: opt_text(p.referral_channel.map(ReferralChannel::code)),
            referred_by: opt_text(p.referred_by),
            notes: p.notes.clone(),
        }
    }
}
