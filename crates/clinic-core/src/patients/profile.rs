//! The profile beyond name and contact: coded facts (education, habits, preferred channel…)
//! and the lists a patient has (extra phones, conditions, allergies, medications), with
//! their validation and storage. Consents and family links are histories and relations of
//! their own: see `consent.rs` and `family.rs`.

use chrono::NaiveDate;
use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ClinicError, Result, ValidationRule};
use crate::validate;

/// A closed set of values stored as stable text codes (also the CHECKs of migration 0006).
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[ts(export)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.code().eq_ignore_ascii_case(s))
            }
            /// The codes, for an error message.
            pub fn allowed() -> String {
                Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}
pub(crate) use code_enum;

code_enum!(Education { None = "none", Primary = "primary", Secondary = "secondary",
    Vocational = "vocational", Tertiary = "tertiary", Postgraduate = "postgraduate" });
code_enum!(MaritalStatus { Single = "single", Married = "married", Divorced = "divorced",
    Widowed = "widowed", Other = "other" });
code_enum!(
    /// Household income band; the amounts behind each band differ by region and stay the clinic's call.
    IncomeBand { Low = "low", LowerMiddle = "lower-middle", Middle = "middle",
    UpperMiddle = "upper-middle", High = "high" });
code_enum!(Language { ZhCn = "zh-CN", ZhTw = "zh-TW", En = "en" });
code_enum!(Smoking { Never = "never", Former = "former", Current = "current" });
code_enum!(Alcohol { None = "none", Occasional = "occasional", Regular = "regular" });
code_enum!(Exercise { Rarely = "rarely", Weekly = "weekly", MostDays = "most-days" });
code_enum!(WorkPattern { Office = "office", Manual = "manual", Shift = "shift",
    Student = "student", Retired = "retired", Homemaker = "homemaker", Other = "other" });
code_enum!(ContactChannel { Phone = "phone", Sms = "sms", Wechat = "wechat", Line = "line",
    Email = "email", Post = "post" });
code_enum!(ContactTime { Morning = "morning", Afternoon = "afternoon", Evening = "evening",
    Any = "any" });
code_enum!(
    /// How a patient first came: recommended by another patient (see `referred_by`) or a channel.
    ReferralChannel { Patient = "patient", WalkIn = "walk-in", Online = "online",
    Signage = "signage", Doctor = "doctor", Other = "other" });
code_enum!(AllergySeverity { Mild = "mild", Moderate = "moderate", Severe = "severe",
    LifeThreatening = "life-threatening" });

// ---- lists -----------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct PhoneInput {
    pub number: String,
    /// What staff call it: "work", "mother's phone"…
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ConditionInput {
    pub name: String,
    /// ICD-10 code such as `E11.9`, optional.
    pub icd10: Option<String>,
    pub chronic: bool,
    /// `YYYY-MM-DD`; a year or month is entered as its first day.
    pub since: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AllergyInput {
    pub substance: String,
    pub reaction: Option<String>,
    /// `mild`, `moderate`, `severe` or `life-threatening`.
    pub severity: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct MedicationInput {
    pub name: String,
    pub dose: Option<String>,
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Phone {
    pub number: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Condition {
    pub name: String,
    pub icd10: Option<String>,
    pub chronic: bool,
    pub since: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Allergy {
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: Option<AllergySeverity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Medication {
    pub name: String,
    pub dose: Option<String>,
    pub since: Option<NaiveDate>,
}

impl Allergy {
    /// Reaction and severity, the parts that are known: for printouts and exports.
    pub fn details(&self) -> Vec<&str> {
        self.reaction
            .as_deref()
            .into_iter()
            .chain(self.severity.map(AllergySeverity::code))
            .collect()
    }
}

/// More entries than this in one list is a slip of the hand (or a broken import), not a patient.
const MAX_ENTRIES: usize = 50;

fn check_count<T>(field: &str, list: &[T]) -> Result<()> {
    if list.len() > MAX_ENTRIES {
        return Err(ClinicError::validation(
            field,
            ValidationRule::TooLong,
            format!("at most {MAX_ENTRIES} entries"),
        ));
    }
    Ok(())
}

/// `J45`, `E11.9`, `K02.1`: a letter, two digits, optionally a dot and up to four more.
fn icd10(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(v) = validate::optional_text(field, value, 8)? else {
        return Ok(None);
    };
    let v = v.to_ascii_uppercase();
    let b = v.as_bytes();
    let (head, tail) = v.split_at(3.min(v.len()));
    let ok = b.len() >= 3
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_alphanumeric()
        && (tail.is_empty()
            || (tail.len() >= 2
                && tail.starts_with('.')
                && tail[1..].bytes().all(|c| c.is_ascii_alphanumeric())));
    if !ok {
        return Err(ClinicError::validation(
            field,
            ValidationRule::InvalidFormat,
            format!("{v:?} is not an ICD-10 code like E11.9 (after {head:?})"),
        ));
    }
    Ok(Some(v))
}

/// A list entry's field name in errors: `allergies.2.substance`, so the form can point at it.
fn at(list: &str, i: usize, field: &str) -> String {
    format!("{list}.{i}.{field}")
}

pub(crate) fn validate_phones(list: &[PhoneInput]) -> Result<Vec<Phone>> {
    check_count("otherPhones", list)?;
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let number = validate::phone(&at("otherPhones", i, "number"), Some(&p.number))?;
        let label =
            validate::optional_text(&at("otherPhones", i, "label"), p.label.as_deref(), 40)?;
        match number {
            Some(number) => out.push(Phone { number, label }),
            // A row left blank in the form is not an error; a label without a number is.
            None if label.is_none() => {}
            None => {
                return Err(ClinicError::validation(
                    &at("otherPhones", i, "number"),
                    ValidationRule::Required,
                    "is required",
                ))
            }
        }
    }
    Ok(out)
}

pub(crate) fn validate_conditions(
    list: &[ConditionInput],
    today: NaiveDate,
) -> Result<Vec<Condition>> {
    check_count("conditions", list)?;
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        if c.name.trim().is_empty() && c.icd10.as_deref().is_none_or(|s| s.trim().is_empty()) {
            continue;
        }
        out.push(Condition {
            name: validate::required_text(&at("conditions", i, "name"), &c.name, 200)?,
            icd10: icd10(&at("conditions", i, "icd10"), c.icd10.as_deref())?,
            chronic: c.chronic,
            since: validate::past_date(&at("conditions", i, "since"), c.since.as_deref(), today)?,
        });
    }
    Ok(out)
}

pub(crate) fn validate_allergies(list: &[AllergyInput]) -> Result<Vec<Allergy>> {
    check_count("allergies", list)?;
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let reaction =
            validate::optional_text(&at("allergies", i, "reaction"), a.reaction.as_deref(), 200)?;
        if a.substance.trim().is_empty() && reaction.is_none() && a.severity.is_none() {
            continue;
        }
        out.push(Allergy {
            substance: validate::required_text(
                &at("allergies", i, "substance"),
                &a.substance,
                200,
            )?,
            reaction,
            severity: validate::one_of(
                &at("allergies", i, "severity"),
                a.severity.as_deref(),
                AllergySeverity::parse,
                &AllergySeverity::allowed(),
            )?,
        });
    }
    Ok(out)
}

pub(crate) fn validate_medications(
    list: &[MedicationInput],
    today: NaiveDate,
) -> Result<Vec<Medication>> {
    check_count("medications", list)?;
    let mut out = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let dose = validate::optional_text(&at("medications", i, "dose"), m.dose.as_deref(), 100)?;
        if m.name.trim().is_empty() && dose.is_none() {
            continue;
        }
        out.push(Medication {
            name: validate::required_text(&at("medications", i, "name"), &m.name, 200)?,
            dose,
            since: validate::past_date(&at("medications", i, "since"), m.since.as_deref(), today)?,
        });
    }
    Ok(out)
}

/// A cell that lists several things: "高血压、糖尿病", "metformin; aspirin".
pub fn split_list(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split([',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Free-text allergies as spreadsheets hold them ("青霉素、花粉; latex") → one entry each.
pub fn split_allergy_text(text: &str) -> Vec<AllergyInput> {
    split_list(text)
        .map(|substance| AllergyInput {
            substance,
            ..Default::default()
        })
        .collect()
}

/// A patient's lists, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lists {
    pub(crate) other_phones: Vec<Phone>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) allergies: Vec<Allergy>,
    pub(crate) medications: Vec<Medication>,
}

fn date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

impl Lists {
    /// Replaces the patient's lists with `self` (the form always sends every list whole).
    pub(crate) fn save(&self, tx: &Transaction<'_>, patient_id: &str, replace: bool) -> Result<()> {
        if replace {
            for table in [
                "patient_phone",
                "patient_condition",
                "patient_allergy",
                "patient_medication",
            ] {
                tx.prepare_cached(&format!("DELETE FROM {table} WHERE patient_id = ?1"))?
                    .execute([patient_id])?;
            }
        }
        if replace || !self.allergies.is_empty() {
            tx.prepare_cached("UPDATE patient SET has_allergies = ?2 WHERE id = ?1")?
                .execute(params![patient_id, !self.allergies.is_empty()])?;
        }
        if self.other_phones.is_empty()
            && self.conditions.is_empty()
            && self.allergies.is_empty()
            && self.medications.is_empty()
        {
            return Ok(()); // most imported rows: no statement to look up at all
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO patient_phone (patient_id, position, number, label) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, p) in self.other_phones.iter().enumerate() {
            stmt.execute(params![patient_id, i as i64, p.number, p.label])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO patient_condition (patient_id, name, icd10, chronic, since) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for c in &self.conditions {
            stmt.execute(params![
                patient_id,
                c.name,
                c.icd10,
                c.chronic,
                c.since.map(|d| d.to_string())
            ])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO patient_allergy (patient_id, substance, reaction, severity) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for a in &self.allergies {
            stmt.execute(params![
                patient_id,
                a.substance,
                a.reaction,
                a.severity.map(AllergySeverity::code)
            ])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO patient_medication (patient_id, name, dose, since) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for m in &self.medications {
            stmt.execute(params![
                patient_id,
                m.name,
                m.dose,
                m.since.map(|d| d.to_string())
            ])?;
        }
        Ok(())
    }

    /// One patient's lists (`Some(id)`), or every patient's, keyed by id, for exports.
    pub(crate) fn load_many(
        tx: &Transaction<'_>,
        patient_id: Option<&str>,
    ) -> Result<std::collections::HashMap<String, Lists>> {
        let mut all: std::collections::HashMap<String, Lists> = Default::default();
        let filter = if patient_id.is_some() {
            "WHERE patient_id = ?1"
        } else {
            "WHERE ?1 IS NULL"
        };
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT patient_id, number, label FROM patient_phone {filter} ORDER BY patient_id, position"
        ))?;
        let mut rows = stmt.query([patient_id])?;
        while let Some(r) = rows.next()? {
            all.entry(r.get(0)?).or_default().other_phones.push(Phone {
                number: r.get(1)?,
                label: r.get(2)?,
            });
        }
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT patient_id, name, icd10, chronic, since FROM patient_condition {filter} ORDER BY id"
        ))?;
        let mut rows = stmt.query([patient_id])?;
        while let Some(r) = rows.next()? {
            all.entry(r.get(0)?)
                .or_default()
                .conditions
                .push(Condition {
                    name: r.get(1)?,
                    icd10: r.get(2)?,
                    chronic: r.get(3)?,
                    since: date(r.get(4)?),
                });
        }
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT patient_id, substance, reaction, severity FROM patient_allergy {filter} ORDER BY id"
        ))?;
        let mut rows = stmt.query([patient_id])?;
        while let Some(r) = rows.next()? {
            let severity: Option<String> = r.get(3)?;
            all.entry(r.get(0)?).or_default().allergies.push(Allergy {
                substance: r.get(1)?,
                reaction: r.get(2)?,
                severity: severity.as_deref().and_then(AllergySeverity::parse),
            });
        }
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT patient_id, name, dose, since FROM patient_medication {filter} ORDER BY id"
        ))?;
        let mut rows = stmt.query([patient_id])?;
        while let Some(r) = rows.next()? {
            all.entry(r.get(0)?)
                .or_default()
                .medications
                .push(Medication {
                    name: r.get(1)?,
                    dose: r.get(2)?,
                    since: date(r.get(3)?),
                });
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icd10_codes() {
        assert_eq!(icd10("c", Some("e11.9")).unwrap().as_deref(), Some("E11.9"));
        assert_eq!(icd10("c", Some("J45")).unwrap().as_deref(), Some("J45"));
        assert_eq!(icd10("c", Some("K02.1")).unwrap().as_deref(), Some("K02.1"));
        for bad in ["11.9", "E1", "E11.", "E11-9", "糖尿病"] {
            assert!(icd10("c", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for v in AllergySeverity::ALL {
            assert_eq!(AllergySeverity::parse(v.code()), Some(*v));
        }
        assert_eq!(Language::parse("zh-tw"), Some(Language::ZhTw));
        assert_eq!(WorkPattern::parse("astronaut"), None);
    }

    #[test]
    fn allergy_text_splits_on_chinese_and_latin_separators() {
        let names: Vec<String> = split_allergy_text("青霉素、花粉; latex，海鲜")
            .into_iter()
            .map(|a| a.substance)
            .collect();
        assert_eq!(names, ["青霉素", "花粉", "latex", "海鲜"]);
    }

    #[test]
    fn blank_rows_are_dropped_half_filled_rows_are_errors() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let list = vec![
            ConditionInput::default(),
            ConditionInput {
                name: "高血压".into(),
                icd10: Some("I10".into()),
                chronic: true,
                since: Some("2019-03-01".into()),
            },
        ];
        assert_eq!(validate_conditions(&list, today).unwrap().len(), 1);
        let half = vec![AllergyInput {
            reaction: Some("rash".into()),
            ..Default::default()
        }];
        let e = validate_allergies(&half).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("allergies.0.substance"));
        let bad = vec![AllergyInput {
            substance: "latex".into(),
            severity: Some("deadly".into()),
            ..Default::default()
        }];
        assert_eq!(
            validate_allergies(&bad).unwrap_err().rule,
            Some(ValidationRule::UnknownValue)
        );
    }
}
