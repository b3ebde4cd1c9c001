//! Every active visit of the clinic kept in memory, compact, for the whole-clinic questions
//! (the owner's reports, the dashboard, referral shares): asking them again reads memory,
//! not ~1M visit rows through SQLCipher.
//!
//! Kept fresh patient by patient: triggers append the patient of every visit change (and
//! of every new patient and change to the patient details the reports group by) to
//! `visit_change` (migrations 0021, 0027); before each use the patients named there since
//! the last look are read again, through the patient index. For another opening of the
//! file (a reopened or restored one: `Clinic`'s tag) they start from the image saved in
//! the file (`image`), caught up the same way; everything is read from the table when
//! there is no such image, when the log no longer reaches back that far, or when many
//! patients changed (an import). Any connection of the same `Clinic` — the desk's, the
//! warm-up's — fills it for the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rusqlite::types::ValueRef;
use rusqlite::{OptionalExtension, Row, Transaction};

use crate::error::Result;
use crate::segments::memo::connection_tag;

mod image;

/// No doctor, no NPS answer, no satisfaction score, no comment.
const NONE: u32 = u32::MAX;
const NO_SCORE: u8 = u8::MAX;
const NO_COMMENT: u16 = u16::MAX;

/// Past this many changed patients one pass over the table is quicker than one by one.
const RELOAD_ALL_OVER: usize = 3000;

/// One active visit, 32 bytes.
#[derive(Debug, Clone)]
pub(crate) struct KeptVisit {
    pub date: NaiveDate,
    pub amount: i64,
    department: u32,
    doctor: u32,
    /// The hour as entered (the visit's own clock).
    pub hour: u8,
    nps: u8,
    satisfaction: u8,
    comment: u16,
}

impl KeptVisit {
    pub fn nps(&self) -> Option<u8> {
        (self.nps != NO_SCORE).then_some(self.nps)
    }
    pub fn satisfaction(&self) -> Option<u8> {
        (self.satisfaction != NO_SCORE).then_some(self.satisfaction)
    }
    pub fn department_code(&self) -> u32 {
        self.department
    }
    /// `None` when no doctor was entered.
    pub fn doctor_code(&self) -> Option<u32> {
        (self.doctor != NONE).then_some(self.doctor)
    }
}

/// A patient (archived too) with their active visits, earliest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeptPatient {
    pub id: String,
    pub name: String,
    pub archived: bool,
    payment: u32,
    channel: u32,
    pub referred_by: Option<String>,
    pub visits: Vec<KeptVisit>,
    /// Feedback given with an NPS answer of 0-6 (what the NPS report lists), by `comment`.
    comments: Vec<Box<str>>,
}

/// A patient's id as the position map keys it: a UUID (the app's ids) as its 128 bits,
/// held in the table itself — one memory access per look-up instead of two, and reports
/// look a patient up per row (~150k for a quarter's reminders) — anything else as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum IdKey {
    Uuid(u128),
    Text(Box<str>),
}

impl IdKey {
    fn of(id: &str) -> IdKey {
        match uuid::Uuid::try_parse(id) {
            // Only the canonical spelling: another spelling of the same UUID is another id.
            Ok(u)
                if u.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    == id =>
            {
                IdKey::Uuid(u.as_u128())
            }
            _ => IdKey::Text(id.into()),
        }
    }
}

/// The clinic's visits by patient. Departments, doctors, payment types and channels are
/// each stored once (`names`) and referred to by number.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeptVisits {
    pub patients: Vec<KeptPatient>,
    position: HashMap<IdKey, usize>,
    names: Vec<Box<str>>,
    codes: HashMap<Box<str>, u32>,
}

impl KeptVisits {
    pub fn name(&self, code: u32) -> &str {
        self.names.get(code as usize).map_or("", |n| n)
    }
    pub fn department(&self, v: &KeptVisit) -> &str {
        self.name(v.department)
    }
    pub fn doctor(&self, v: &KeptVisit) -> Option<&str> {
        v.doctor_code().map(|c| self.name(c))
    }
    /// The payment type (`self-pay`, …) as its number among the names, `None` when not
    /// recorded.
    pub fn payment_code(&self, p: &KeptPatient) -> Option<u32> {
        (p.payment != NONE).then_some(p.payment)
    }
    /// How the patient found the clinic, `None` when not recorded.
    pub fn channel(&self, p: &KeptPatient) -> Option<&str> {
        (p.channel != NONE).then(|| self.name(p.channel))
    }
    pub fn comment<'a>(&self, p: &'a KeptPatient, v: &KeptVisit) -> Option<&'a str> {
        p.comments.get(usize::from(v.comment)).map(|c| &**c)
    }
    pub fn position(&self, id: &str) -> Option<usize> {
        self.position.get(&IdKey::of(id)).copied()
    }
    /// Each name's number, for filters that compare names once rather than per visit.
    pub fn names(&self) -> impl Iterator<Item = (u32, &str)> {
        self.names.iter().enumerate().map(|(i, n)| (i as u32, &**n))
    }
    /// Every active visit with its patient's position.
    pub fn visits(&self) -> impl Iterator<Item = (usize, &KeptVisit)> {
        self.patients
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.visits.iter().map(move |v| (i, v)))
    }

    fn code(&mut self, name: &str) -> u32 {
        if let Some(&c) = self.codes.get(name) {
            return c;
        }
        let c = self.names.len() as u32;
        self.names.push(name.into());
        self.codes.insert(name.into(), c);
        c
    }

    fn optional_code(&mut self, v: ValueRef<'_>) -> u32 {
        match v {
            ValueRef::Text(t) => self.code(std::str::from_utf8(t).unwrap_or("")),
            _ => NONE,
        }
    }

    fn patient_at(&mut self, id: &str) -> usize {
        if let Some(i) = self.position(id) {
            return i;
        }
        self.patients.push(KeptPatient {
            id: id.to_string(),
            payment: NONE,
            channel: NONE,
            ..Default::default()
        });
        self.position.insert(IdKey::of(id), self.patients.len() - 1);
        self.patients.len() - 1
    }

    /// A `VISIT_COLUMNS` row onto patient `p` (rows that are not a visit are skipped).
    fn add_visit(&mut self, p: usize, r: &Row<'_>) -> Result<()> {
        let ValueRef::Text(at) = r.get_ref(0)? else {
            return Ok(());
        };
        let at = std::str::from_utf8(at).unwrap_or("");
        let Some(date) = at.get(..10).and_then(|d| d.parse().ok()) else {
            return Ok(());
        };
        let department = self.code(r.get_ref(1)?.as_str().unwrap_or(""));
        let doctor = self.optional_code(r.get_ref(2)?);
        let score = |v: Option<i64>| v.and_then(|n| u8::try_from(n).ok()).unwrap_or(NO_SCORE);
        let feedback: Option<String> = r.get(6)?;
        let patient = &mut self.patients[p];
        let comment = match feedback.filter(|f| !f.trim().is_empty()) {
            Some(f) if patient.comments.len() < usize::from(NO_COMMENT) => {
                patient.comments.push(f.into());
                (patient.comments.len() - 1) as u16
            }
            _ => NO_COMMENT,
        };
        patient.visits.push(KeptVisit {
            date,
            amount: r.get(3)?,
            department,
            doctor,
            hour: at.get(11..13).and_then(|h| h.parse().ok()).unwrap_or(0),
            nps: score(r.get(4)?),
            satisfaction: score(r.get(5)?),
            comment,
        });
        Ok(())
    }

    /// A `PATIENT_COLUMNS` row (after the id).
    fn set_patient(&mut self, p: usize, r: &Row<'_>) -> Result<()> {
        let payment = self.optional_code(r.get_ref(2)?);
        let channel = self.optional_code(r.get_ref(3)?);
        let patient = &mut self.patients[p];
        patient.name = r.get(1)?;
        patient.payment = payment;
        patient.channel = channel;
        patient.referred_by = r.get(4)?;
        patient.archived = r.get(5)?;
        Ok(())
    }

    fn read_all(tx: &Transaction<'_>) -> Result<KeptVisits> {
        let mut kept = KeptVisits::default();
        let mut stmt = tx.prepare(&format!("SELECT {PATIENT_COLUMNS} FROM patient"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let p = kept.patient_at(r.get_ref(0)?.as_str().unwrap_or(""));
            kept.set_patient(p, r)?;
        }
        let mut stmt = tx.prepare(&format!(
            "SELECT {VISIT_COLUMNS}, patient_id FROM visit WHERE archived_at IS NULL"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let p = kept.patient_at(r.get_ref(7)?.as_str().unwrap_or(""));
            kept.add_visit(p, r)?;
        }
        for p in &mut kept.patients {
            p.visits.sort_by_key(|v| v.date);
        }
        Ok(kept)
    }

    /// Patient `id` read again (gone from the file: no visits, no details).
    fn read_patient(&mut self, tx: &Transaction<'_>, id: &str) -> Result<()> {
        let p = self.patient_at(id);
        self.patients[p] = KeptPatient {
            id: id.to_string(),
            payment: NONE,
            channel: NONE,
            ..Default::default()
        };
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {PATIENT_COLUMNS} FROM patient WHERE id = ?1"
        ))?;
        let mut rows = stmt.query([id])?;
        if let Some(r) = rows.next()? {
            self.set_patient(p, r)?;
        }
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {VISIT_COLUMNS} FROM visit WHERE patient_id = ?1 AND archived_at IS NULL"
        ))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            self.add_visit(p, r)?;
        }
        self.patients[p].visits.sort_by_key(|v| v.date);
        Ok(())
    }
}

const PATIENT_COLUMNS: &str =
    "id, name, payment_type, referral_channel, referred_by, archived_at IS NOT NULL";
/// Feedback only where the NPS report shows it: with a detractor's answer.
const VISIT_COLUMNS: &str = "visited_at, department, doctor, coalesce(amount_minor, 0), nps, \
     satisfaction, CASE WHEN nps <= 6 THEN feedback END";

struct Kept {
    connection: i64,
    /// The last `visit_change` entry taken into account.
    seen: i64,
    visits: Arc<KeptVisits>,
}

/// One clinic at a time (the app has one clinic open).
static KEPT: Mutex<Option<Kept>> = Mutex::new(None);

/// The clinic's visits as they are in `tx`.
pub(crate) fn kept_visits(tx: &Transaction<'_>) -> Result<Arc<KeptVisits>> {
    Ok(refresh(tx)?.0)
}

/// How the kept visits were brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshened {
    AsKept,
    Patients(usize),
    /// From the image saved in the file, then these patients read again.
    FromImage(usize),
    ReadAll,
}

pub(crate) fn refresh(tx: &Transaction<'_>) -> Result<(Arc<KeptVisits>, Freshened)> {
    let connection = connection_tag(tx)?;
    // Inside a write that may yet roll back, the log's numbers may be handed out again:
    // read afresh and keep nothing.
    if tx.transaction_state(Some("main"))? == rusqlite::TransactionState::Write {
        return Ok((Arc::new(KeptVisits::read_all(tx)?), Freshened::ReadAll));
    }
    let (oldest, newest): (i64, i64) = tx.query_row(
        "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM visit_change",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // The log still reaches back to just after `seen` (it is trimmed from the oldest end,
    // and its numbers only grow).
    let reaches_back = |seen: i64| seen == newest || (seen < newest && oldest <= seen + 1);
    let mut last = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = last.as_mut().filter(|k| k.connection == connection) {
        if k.seen == newest {
            return Ok((Arc::clone(&k.visits), Freshened::AsKept));
        }
        if reaches_back(k.seen) {
            // In place when no report holds the old one (reports run one at a time).
            if let Some(n) = catch_up(tx, Arc::make_mut(&mut k.visits), k.seen)? {
                k.seen = newest;
                return Ok((Arc::clone(&k.visits), Freshened::Patients(n)));
            }
        }
    }
    // Freed before the new one is read, so that two never sit in memory at once.
    *last = None;
    let (visits, how) = match image::load(tx)? {
        Some((mut visits, seen)) if reaches_back(seen) => match catch_up(tx, &mut visits, seen)? {
            Some(n) => (visits, Freshened::FromImage(n)),
            None => (KeptVisits::read_all(tx)?, Freshened::ReadAll),
        },
        _ => (KeptVisits::read_all(tx)?, Freshened::ReadAll),
    };
    let visits = Arc::new(visits);
    *last = Some(Kept {
        connection,
        seen: newest,
        visits: Arc::clone(&visits),
    });
    Ok((visits, how))
}

/// Reads again the patients named in the log after `seen`; `None` when so many changed
/// (an import) that one pass over the table is quicker.
fn catch_up(tx: &Transaction<'_>, visits: &mut KeptVisits, seen: i64) -> Result<Option<usize>> {
    let mut stmt =
        tx.prepare_cached("SELECT DISTINCT patient_id FROM visit_change WHERE seq > ?1 LIMIT ?2")?;
    let changed = stmt
        .query_map([seen, RELOAD_ALL_OVER as i64 + 1], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if changed.len() > RELOAD_ALL_OVER {
        return Ok(None);
    }
    for id in &changed {
        visits.read_patient(tx, id)?;
    }
    Ok(Some(changed.len()))
}

/// Saves the kept visits of `tx`'s clinic in the file (`kept_visits_image`) unless the
/// image there is already this one; `tx` must be a write transaction on a connection of
/// the same opening of the file. Answers whether it wrote.
pub(crate) fn save_image(tx: &Transaction<'_>) -> Result<bool> {
    let connection = connection_tag(tx)?;
    let kept = KEPT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .filter(|k| k.connection == connection)
        .map(|k| (Arc::clone(&k.visits), k.seen));
    let Some((visits, seen)) = kept else {
        return Ok(false);
    };
    let saved: Option<i64> = tx
        .query_row(
            "SELECT seen FROM kept_visits_image WHERE id = 1 AND format = ?1",
            [image::FORMAT],
            |r| r.get(0),
        )
        .optional()?;
    if saved == Some(seen) {
        return Ok(false);
    }
    image::save(tx, &visits, seen)
}

#[cfg(test)]
mod tests;
