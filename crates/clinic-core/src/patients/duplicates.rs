//! Likely duplicates (same phone, same ID number, or same name and birth date), flagged
//! before a new patient is saved, and the merge of two records of one person.

use std::collections::HashSet;

use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{load, now_text, Patient, PatientInput, PatientRecord};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::search::{fold, phone_digits};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum DuplicateReason {
    Phone,
    IdNumber,
    NameAndBirthDate,
}

/// An existing patient who may be the same person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DuplicateCandidate {
    pub id: Uuid,
    pub name: String,
    pub birth_date: Option<String>,
    pub phone: Option<String>,
    pub reasons: Vec<DuplicateReason>,
}

/// Active patients (other than `except`) who look like `r`. Uses the search keys, which
/// hold every name and whole phone number, so this stays fast on a large clinic.
pub(crate) fn candidates(
    tx: &Transaction<'_>,
    r: &PatientRecord,
    except: Option<Uuid>,
) -> Result<Vec<DuplicateCandidate>> {
    let mut out: Vec<DuplicateCandidate> = Vec::new();
    let mut add = |c: DuplicateCandidate, reason: DuplicateReason| {
        if Some(c.id) == except {
            return;
        }
        match out.iter_mut().find(|o| o.id == c.id) {
            Some(o) if !o.reasons.contains(&reason) => o.reasons.push(reason),
            Some(_) => {}
            None => out.push(DuplicateCandidate {
                reasons: vec![reason],
                ..c
            }),
        }
    };
    let mut by_key = tx.prepare_cached(
        "SELECT p.id, p.name, p.birth_date, p.phone,
             (SELECT group_concat(number, char(31)) FROM patient_phone WHERE patient_id = p.id)
         FROM patient_key k JOIN patient p ON p.search_no = k.search_no
         WHERE k.key = ?1 AND p.archived_at IS NULL",
    )?;
    let mut by_key = |key: &str| -> Result<Vec<(DuplicateCandidate, Vec<String>)>> {
        let rows = by_key.query_map([key], |row| {
            let id: String = row.get(0)?;
            let phone: Option<String> = row.get(3)?;
            let others: Option<String> = row.get(4)?;
            let phones: Vec<String> = phone
                .iter()
                .cloned()
                .chain(
                    others
                        .iter()
                        .flat_map(|o| o.split('\u{1f}').map(str::to_string)),
                )
                .collect();
            Ok((
                DuplicateCandidate {
                    id: Uuid::parse_str(&id).unwrap_or_default(),
                    name: row.get(1)?,
                    birth_date: row.get(2)?,
                    phone,
                    reasons: Vec::new(),
                },
                phones,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let ours: HashSet<String> = r
        .phones()
        .map(phone_digits)
        .filter(|d| d.len() >= 4)
        .collect();
    for digits in &ours {
        // A key equal to the whole number may also be the tail of a longer one: compare.
        for (c, phones) in by_key(digits)? {
            if phones.iter().any(|p| &phone_digits(p) == digits) {
                add(c, DuplicateReason::Phone);
            }
        }
    }
    if let Some(birth) = r.birth_date.map(|b| b.to_string()) {
        let name = fold(&r.name);
        for (c, _) in by_key(&name)? {
            if c.birth_date.as_deref() == Some(birth.as_str()) && fold(&c.name) == name {
                add(c, DuplicateReason::NameAndBirthDate);
            }
        }
    }
    if let Some(idn) = &r.id_number {
        let mut stmt = tx.prepare_cached(
            "SELECT id, name, birth_date, phone FROM patient WHERE id_number = ?1 AND archived_at IS NULL",
        )?;
        let rows = stmt.query_map([idn], |row| {
            let id: String = row.get(0)?;
            Ok(DuplicateCandidate {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                name: row.get(1)?,
                birth_date: row.get(2)?,
                phone: row.get(3)?,
                reasons: Vec::new(),
            })
        })?;
        for c in rows {
            add(c?, DuplicateReason::IdNumber);
        }
    }
    Ok(out)
}

/// The check the form runs before saving a new patient (or an edit: pass `except`).
pub struct FindDuplicates {
    pub input: PatientInput,
    pub except: Option<Uuid>,
}

impl Operation for FindDuplicates {
    type Output = Vec<DuplicateCandidate>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<DuplicateCandidate>> {
        candidates(tx, &self.input.validate()?, self.except)
    }
}

/// The error a create gets when it looks like someone already registered.
pub(crate) fn duplicate_error(found: &[DuplicateCandidate]) -> ClinicError {
    let names: Vec<String> = found
        .iter()
        .map(|c| {
            let why: Vec<&str> = c
                .reasons
                .iter()
                .map(|r| match r {
                    DuplicateReason::Phone => "same phone",
                    DuplicateReason::IdNumber => "same ID number",
                    DuplicateReason::NameAndBirthDate => "same name and birth date",
                })
                .collect();
            format!("{} ({}, id {})", c.name, why.join(", "), c.id)
        })
        .collect();
    ClinicError::new(
        ErrorCode::Duplicate,
        format!(
            "may already be registered as {}; check, then register anyway if it is someone else",
            names.join("; ")
        ),
    )
}

/// A record of one merge, shown on the survivor's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MergeRecord {
    pub merged_id: Uuid,
    pub merged_name: String,
    pub merged_at: String,
    pub merged_by: String,
    pub visits_moved: u32,
}

/// Two records of one person become one. Visits, referrals, family links and consents move
/// to the survivor; blanks in the survivor's profile are filled from the other record and
/// its lists are joined. The other record is archived with `merged_into` set, and the merge
/// is written to `patient_merge` with that record as it was — nothing is lost.
/// Appointments, reminders and unspent points move to the survivor too.
pub struct MergePatients {
    pub survivor: Uuid,
    pub merged: Uuid,
}

impl Operation for MergePatients {
    type Output = Patient;
    fn action(&self) -> Action {
        Action::PatientMerge
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Patient> {
        if self.survivor == self.merged {
            return Err(ClinicError::validation(
                "merged",
                ValidationRule::UnknownValue,
                "a patient cannot be merged into themselves",
            ));
        }
        let survivor = load(tx, self.survivor)?;
        let merged = load(tx, self.merged)?;
        for p in [&survivor, &merged] {
            if p.merged_into.is_some() {
                return Err(ClinicError::validation(
                    "merged",
                    ValidationRule::UnknownValue,
                    format!("{} was already merged into another record", p.name),
                ));
            }
        }
        let (s, m) = (self.survivor.to_string(), self.merged.to_string());

        let visits: Vec<String> = tx
            .prepare("SELECT id FROM visit WHERE patient_id = ?1")?
            .query_map([&m], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute(
            "UPDATE visit SET patient_id = ?1 WHERE patient_id = ?2",
            [&s, &m],
        )?;
        let referred: Vec<String> = tx
            .prepare("SELECT id FROM patient WHERE referred_by = ?1 AND id <> ?2")?
            .query_map([&m, &s], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute(
            "UPDATE patient SET referred_by = ?1 WHERE referred_by = ?2 AND id <> ?1",
            [&s, &m],
        )?;
        tx.execute(
            "UPDATE consent SET patient_id = ?1 WHERE patient_id = ?2",
            [&s, &m],
        )?;
        // Tags: the survivor carries the merged record's too.
        tx.execute(
            "INSERT OR IGNORE INTO patient_tag (patient_id, tag_id, tagged_at, tagged_by)
             SELECT ?1, tag_id, tagged_at, tagged_by FROM patient_tag WHERE patient_id = ?2",
            [&s, &m],
        )?;
        tx.execute("DELETE FROM patient_tag WHERE patient_id = ?1", [&m])?;
        // Family: the merged record's relatives become the survivor's (unless already linked).
        tx.execute(
            "INSERT OR IGNORE INTO family_link (patient_id, relative_id, relation, created_at)
             SELECT ?1, relative_id, relation, created_at FROM family_link
             WHERE patient_id = ?2 AND relative_id <> ?1",
            [&s, &m],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO family_link (patient_id, relative_id, relation, created_at)
             SELECT patient_id, ?1, relation, created_at FROM family_link
             WHERE relative_id = ?2 AND patient_id <> ?1",
            [&s, &m],
        )?;
        tx.execute(
            "DELETE FROM family_link WHERE patient_id = ?1 OR relative_id = ?1",
            [&m],
        )?;
        // Appointments and the reminders about them follow the person.
        for table in ["appointment", "reminder", "contact"] {
            tx.execute(
                &format!("UPDATE {table} SET patient_id = ?1 WHERE patient_id = ?2"),
                [&s, &m],
            )?;
        }
        // Unspent points move lot by lot (the ledgers themselves are never rewritten).
        crate::loyalty::move_points_on_merge(tx, by, &m, &s, super::today_local())?;

        let mut joined = PatientInput::from(&survivor);
        if survivor.referred_by == Some(self.merged) {
            joined.referred_by = None;
        }
        fill_from(&mut joined, PatientInput::from(&merged), self.survivor);
        joined.validate()?.update(tx, self.survivor)?;

        let now = now_text();
        tx.execute(
            "UPDATE patient SET archived_at = coalesce(archived_at, ?2), merged_into = ?3, updated_at = ?2
             WHERE id = ?1",
            params![m, now, s],
        )?;
        let details = serde_json::json!({
            "before": merged,
            "visits": visits,
            "referralsMoved": referred,
        });
        tx.execute(
            "INSERT INTO patient_merge (id, survivor_id, merged_id, merged_at, merged_by, details)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                Uuid::now_v7().to_string(),
                s,
                m,
                now,
                by.name,
                details.to_string()
            ],
        )?;
        load(tx, self.survivor)
    }
}

/// The survivor keeps what it has; blanks come from the other record, lists are joined.
fn fill_from(into: &mut PatientInput, from: PatientInput, survivor: Uuid) {
    macro_rules! blanks {
        ($($f:ident),+) => {$(
            if into.$f.as_deref().is_none_or(|v| v.trim().is_empty()) {
                into.$f = from.$f.clone();
            }
        )+};
    }
    blanks!(
        sex,
        birth_date,
        email,
        address,
        region,
        occupation,
        education,
        marital_status,
        income_band,
        preferred_language,
        id_number,
        payment_type,
        insurer,
        policy_number,
        past_history,
        family_history,
        smoking,
        alcohol,
        exercise,
        diet,
        sleep,
        work_pattern,
        preferred_doctor,
        preferred_channel,
        preferred_time,
        referral_channel
    );
    if into.referred_by.is_none() && from.referred_by != Some(survivor.to_string()) {
        into.referred_by = from.referred_by.clone();
    }
    into.notes = match (into.notes.take(), from.notes) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}\n{b}")),
        (a, b) => a.or(b),
    };
    // Phones: the other record's numbers that the survivor does not have yet.
    let known: HashSet<String> = into
        .phone
        .iter()
        .chain(into.other_phones.iter().map(|p| &p.number))
        .map(|p| phone_digits(p))
        .collect();
    let mut seen = known;
    for (number, label) in from
        .phone
        .into_iter()
        .map(|n| (n, None))
        .chain(from.other_phones.into_iter().map(|p| (p.number, p.label)))
    {
        if seen.insert(phone_digits(&number)) {
            if into.phone.is_none() {
                into.phone = Some(number);
            } else {
                into.other_phones.push(super::PhoneInput { number, label });
            }
        }
    }
    let has = |names: Vec<String>, name: &str| names.iter().any(|n| fold(n) == fold(name));
    for c in from.conditions {
        if !has(
            into.conditions.iter().map(|x| x.name.clone()).collect(),
            &c.name,
        ) {
            into.conditions.push(c);
        }
    }
    for a in from.allergies {
        if !has(
            into.allergies.iter().map(|x| x.substance.clone()).collect(),
            &a.substance,
        ) {
            into.allergies.push(a);
        }
    }
    for m in from.medications {
        if !has(
            into.medications.iter().map(|x| x.name.clone()).collect(),
            &m.name,
        ) {
            into.medications.push(m);
        }
    }
}

/// Merges into `patient_id`, newest first.
pub(crate) fn merges_into(tx: &Transaction<'_>, patient_id: &str) -> Result<Vec<MergeRecord>> {
    let mut stmt = tx.prepare_cached(
        "SELECT m.merged_id, p.name, m.merged_at, m.merged_by,
            json_array_length(m.details, '$.visits')
         FROM patient_merge m JOIN patient p ON p.id = m.merged_id
         WHERE m.survivor_id = ?1 ORDER BY m.merged_at DESC",
    )?;
    let rows = stmt.query_map([patient_id], |r| {
        let id: String = r.get(0)?;
        Ok(MergeRecord {
            merged_id: Uuid::parse_str(&id).unwrap_or_default(),
            merged_name: r.get(1)?,
            merged_at: r.get(2)?,
            merged_by: r.get(3)?,
            visits_moved: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
