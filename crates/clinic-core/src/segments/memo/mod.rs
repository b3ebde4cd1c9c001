//! The clinic classified once and kept: every patient's facts (without the visits' free
//! text), the clinic-wide RFM figures and every patient's label in each dimension (two
//! bytes each). Counting a dimension or a rule segment then reads memory, not the file.
//!
//! Kept fresh patient by patient, the way `visits::kept` is: triggers on every table the
//! facts come from append the patient to `fact_change` (migration 0024), so no writer can
//! forget to say so; before each use the patients named there since the last look are read
//! again and labelled again, and — since one patient's figures move the clinic's quintiles —
//! everyone's value tier is scored again from their kept recency, frequency and money.
//! Everything is classified again for another opening of the file (the `Clinic`'s random
//! tag, in a TEMP table of each of its connections, tells a reopened or restored file from
//! this one), on a new day, under new thresholds,
//! when the log no longer reaches back far enough, or when many patients changed.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rusqlite::Transaction;
use uuid::Uuid;

use super::dimensions::{
    label_names, rfm, value_tier_name, ClinicContext, Dimension, Facts, PatientLabel,
};
use super::load_facts;
use super::rules::SegmentRules;
use crate::error::Result;

/// A label and how many patients carry it.
pub(crate) type LabelTally = (Cow<'static, str>, u64);

/// No label in this dimension.
const NONE: u16 = u16::MAX;

/// A patient as the list keeps them: id, name, facts.
type Person = (Uuid, String, Facts);
/// Recency in days, visits and money in the value window.
type Figures = (i64, i64, i64);

/// Past this many changed patients, classifying the clinic again is quicker.
const RECLASSIFY_ALL_OVER: usize = 500;

#[derive(Clone)]
pub(crate) struct Classified {
    /// Active patients by name (then id), with the detail facts but no visit text.
    pub people: Vec<Person>,
    pub clinic: ClinicContext,
    pub position: HashMap<Uuid, usize>,
    /// Per patient, per dimension (in `Dimension::ALL` order): an index into `names`.
    codes: Vec<u16>,
    /// Per dimension, the labels met.
    names: Vec<Vec<Cow<'static, str>>>,
    /// Per patient, the recency, frequency and money the value tier scores (`None`: no
    /// visit in the window), to score everyone again when one patient's figures move.
    rfm: Vec<Option<Figures>>,
}

impl Classified {
    fn code(&self, i: usize, d: usize) -> Option<&Cow<'static, str>> {
        let c = self.codes[i * Dimension::ALL.len() + d];
        (c != NONE).then(|| &self.names[d][usize::from(c)])
    }

    /// Patient `i`'s label names (no sentences), into `out`.
    pub fn label_names_into(&self, i: usize, out: &mut Vec<PatientLabel>) {
        out.clear();
        for (d, dimension) in Dimension::ALL.iter().enumerate() {
            if let Some(label) = self.code(i, d) {
                out.push(PatientLabel {
                    dimension: *dimension,
                    label: label.clone(),
                    rule: Cow::Borrowed(""),
                    facts: BTreeMap::new(),
                    text: String::new(),
                });
            }
        }
    }

    /// Patient `i`'s label in `dimension`, if any.
    pub fn label(&self, i: usize, dimension: Dimension) -> Option<&str> {
        Dimension::ALL
            .iter()
            .position(|d| *d == dimension)
            .and_then(|d| self.code(i, d))
            .map(|l| &**l)
    }

    /// Whether patient `i` carries `label` in `dimension`.
    pub fn has(&self, i: usize, dimension: Dimension, label: &str) -> bool {
        Dimension::ALL
            .iter()
            .position(|d| *d == dimension)
            .and_then(|d| self.code(i, d))
            .is_some_and(|l| l == label)
    }

    /// Per dimension, each label and how many carry it (`unknown`: none), by label.
    pub fn counts(&self) -> Vec<(Dimension, Vec<LabelTally>)> {
        let dims = Dimension::ALL.len();
        Dimension::ALL
            .iter()
            .enumerate()
            .map(|(d, dimension)| {
                let mut n = vec![0u64; self.names[d].len() + 1];
                for p in 0..self.people.len() {
                    let c = self.codes[p * dims + d];
                    n[if c == NONE {
                        self.names[d].len()
                    } else {
                        usize::from(c)
                    }] += 1;
                }
                let mut met: Vec<LabelTally> = self.names[d]
                    .iter()
                    .cloned()
                    .zip(n.iter().copied())
                    .chain(std::iter::once((
                        Cow::Borrowed("unknown"),
                        n[self.names[d].len()],
                    )))
                    .filter(|(_, k)| *k > 0)
                    .collect();
                met.sort();
                (*dimension, met)
            })
            .collect()
    }
}

/// What the kept classification was made under; any difference classifies again.
#[derive(PartialEq)]
struct Key {
    connection: i64,
    today: NaiveDate,
    rules: SegmentRules,
}

struct Kept {
    key: Key,
    /// The last `fact_change` entry taken into account.
    seen: i64,
    value: Arc<Classified>,
}

/// One clinic's classification at a time (the app has one clinic open).
static LAST: Mutex<Option<Kept>> = Mutex::new(None);
/// Held while the classification is brought up to date.
static CLASSIFYING: Mutex<()> = Mutex::new(());

/// The tag of this opening of the file (`Clinic`'s connections share one; a connection
/// opened otherwise gets a random one, the same until it is closed): what is kept in
/// memory for one open file is never taken for another's (a reopened or restored file).
pub(crate) fn connection_tag(tx: &Transaction<'_>) -> Result<i64> {
    tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS connection_tag AS SELECT random() AS id")?;
    Ok(tx.query_row("SELECT id FROM temp.connection_tag", [], |r| r.get(0))?)
}

/// Gives `conn` the tag `tag` (before its first question).
pub(crate) fn tag_connection(conn: &rusqlite::Connection, tag: i64) -> Result<()> {
    // A number written into the SQL: DDL takes no parameters.
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS connection_tag AS SELECT {tag} AS id"
    ))?;
    Ok(())
}

/// How the classification was brought up to date (for the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshened {
    AsKept,
    Patients(usize),
    All,
}

pub(crate) fn classified(
    tx: &Transaction<'_>,
    rules: &SegmentRules,
    today: NaiveDate,
) -> Result<Arc<Classified>> {
    Ok(refresh(tx, rules, today)?.0)
}

pub(crate) fn refresh(
    tx: &Transaction<'_>,
    rules: &SegmentRules,
    today: NaiveDate,
) -> Result<(Arc<Classified>, Freshened)> {
    // One at a time: a question asked while the warm-up classifies waits for it and then
    // finds it kept, rather than classifying everyone a second time beside it.
    let _turn = crate::clinic::lock(&CLASSIFYING);
    let key = Key {
        connection: connection_tag(tx)?,
        today,
        rules: rules.clone(),
    };
    let (oldest, newest): (i64, i64) = tx.query_row(
        "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM fact_change",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // Inside a write that has not committed (and may yet roll back, handing the log's
    // numbers out again), nothing kept is changed.
    let keep = tx.transaction_state(Some("main"))? != rusqlite::TransactionState::Write;
    {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = last.as_mut().filter(|k| k.key == key) {
            if k.seen == newest {
                return Ok((Arc::clone(&k.value), Freshened::AsKept));
            }
            // The log still reaches back to just after what was seen (it is trimmed from
            // the oldest end, and numbers only grow).
            if keep && k.seen < newest && oldest <= k.seen + 1 {
                let mut stmt = tx.prepare(
                    "SELECT DISTINCT patient_id FROM fact_change WHERE seq > ?1 LIMIT ?2",
                )?;
                let changed = stmt
                    .query_map([k.seen, RECLASSIFY_ALL_OVER as i64 + 1], |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                if changed.len() <= RECLASSIFY_ALL_OVER && !changed.iter().any(|c| c == "*") {
                    // In place when nobody holds the old one (questions run one at a time).
                    Arc::make_mut(&mut k.value).update(tx, &changed, rules, today)?;
                    k.seen = newest;
                    return Ok((Arc::clone(&k.value), Freshened::Patients(changed.len())));
                }
            }
        }
        if keep {
            // Freed first (a million visits, ~0.1 s on the benchmark clinic), so that two
            // never sit in memory at once.
            *last = None;
        }
    }
    let value = Arc::new(Classified::all(tx, rules, today)?);
    if keep {
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept {
            key,
            seen: newest,
            value: Arc::clone(&value),
        });
    }
    Ok((value, Freshened::All))
}

impl Classified {
    /// The whole clinic, classified from the file.
    fn all(tx: &Transaction<'_>, rules: &SegmentRules, today: NaiveDate) -> Result<Classified> {
        let mut people = load_facts(tx, None, true, false)?;
        people.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let rfm: Vec<_> = people.iter().map(|p| rfm(&p.2, rules, today)).collect();
        let clinic = ClinicContext::from_values(
            rfm.iter().flatten().map(|v| v.0).collect(),
            rfm.iter().flatten().map(|v| v.1).collect(),
            rfm.iter().flatten().map(|v| v.2).collect(),
        );
        let mut value = Classified {
            codes: vec![NONE; people.len() * Dimension::ALL.len()],
            names: vec![Vec::new(); Dimension::ALL.len()],
            position: HashMap::new(),
            people,
            clinic,
            rfm,
        };
        for i in 0..value.people.len() {
            value.classify(i, rules, today);
        }
        value.position = position_of(&value.people);
        Ok(value)
    }

    /// Patient `i`'s codes in every dimension, from their facts.
    fn classify(&mut self, i: usize, rules: &SegmentRules, today: NaiveDate) {
        let dims = Dimension::ALL.len();
        self.codes[i * dims..(i + 1) * dims].fill(NONE);
        for l in label_names(&self.people[i].2, rules, today, &self.clinic) {
            let Some(d) = Dimension::ALL.iter().position(|x| *x == l.dimension) else {
                continue;
            };
            self.codes[i * dims + d] = self.code_for(d, l.label);
        }
    }

    /// The code of `label` in dimension `d`, a new one when first met.
    fn code_for(&mut self, d: usize, label: Cow<'static, str>) -> u16 {
        let met = &mut self.names[d];
        let at = match met.iter().position(|m| *m == label) {
            Some(at) => at,
            None => {
                met.push(label);
                met.len() - 1
            }
        };
        // A dimension has a handful of labels (tiers are the clinic's few names).
        u16::try_from(at).unwrap_or(NONE)
    }

    /// The `changed` patients read again and labelled again; everyone's value tier scored
    /// again against the clinic's figures as they now are. The same result as classifying
    /// the whole clinic (a test holds the two equal).
    fn update(
        &mut self,
        tx: &Transaction<'_>,
        changed: &[String],
        rules: &SegmentRules,
        today: NaiveDate,
    ) -> Result<()> {
        let dims = Dimension::ALL.len();
        // Who leaves their place in the list (archived, erased, renamed) and who takes one.
        let mut leaving = Vec::new();
        let mut arriving = Vec::new();
        let mut relabel = Vec::new();
        for id in changed {
            let Ok(uuid) = Uuid::parse_str(id) else {
                continue; // not a patient's id: nobody's facts
            };
            let now = load_facts(tx, Some(uuid), true, false)?.pop();
            let before = self.position.get(&uuid).copied();
            if let Some(v) = before.and_then(|i| self.rfm[i]) {
                self.clinic.remove(v);
            }
            let figures = now.as_ref().and_then(|p| rfm(&p.2, rules, today));
            if let Some(v) = figures {
                self.clinic.insert(v);
            }
            match (before, now) {
                (Some(i), Some(p)) if self.people[i].1 == p.1 => {
                    self.people[i] = p;
                    self.rfm[i] = figures;
                }
                (before, now) => {
                    leaving.extend(before);
                    arriving.extend(now.map(|p| (p, figures)));
                }
            }
            relabel.push(uuid);
        }
        if !leaving.is_empty() || !arriving.is_empty() {
            self.reorder(&leaving, arriving);
        }
        for uuid in relabel {
            if let Some(&i) = self.position.get(&uuid) {
                self.classify(i, rules, today);
            }
        }
        // One patient's figures move the clinic's quintiles: everyone's value tier again.
        let d = Dimension::ALL
            .iter()
            .position(|x| *x == Dimension::ValueTier)
            .expect("value tier is a dimension");
        let tiers =
            ["high-value", "mid", "regular", "low"].map(|t| (t, self.code_for(d, t.into())));
        for i in 0..self.people.len() {
            let name = value_tier_name(self.rfm[i], rules, &self.clinic);
            self.codes[i * dims + d] = tiers
                .iter()
                .find(|(t, _)| *t == name)
                .map_or_else(|| self.code_for(d, Cow::Borrowed(name)), |(_, c)| *c);
        }
        Ok(())
    }

    /// The list without the patients at `leaving`, with `arriving` in their places by name
    /// (then id), in one pass; the arrivals' labels are left to be worked out.
    fn reorder(&mut self, leaving: &[usize], mut arriving: Vec<(Person, Option<Figures>)>) {
        let dims = Dimension::ALL.len();
        if leaving.len() + arriving.len() <= 4 {
            // A few (a new patient, a rename): moved in place — the list is ~40 MB on a
            // large clinic, and one memmove of it is quicker than rebuilding it.
            let mut leaving = leaving.to_vec();
            leaving.sort_unstable_by(|a, b| b.cmp(a));
            for i in leaving {
                self.people.remove(i);
                self.rfm.remove(i);
                self.codes.drain(i * dims..(i + 1) * dims);
            }
            for (p, figures) in arriving {
                let at = self.people.partition_point(|q| (&q.1, q.0) < (&p.1, p.0));
                self.people.insert(at, p);
                self.rfm.insert(at, figures);
                self.codes
                    .splice(at * dims..at * dims, std::iter::repeat_n(NONE, dims));
            }
            self.position = position_of(&self.people);
            return;
        }
        let n = self.people.len() - leaving.len() + arriving.len();
        let mut gone = vec![false; self.people.len()];
        leaving.iter().for_each(|&i| gone[i] = true);
        arriving.sort_unstable_by(|a, b| (&a.0 .1, a.0 .0).cmp(&(&b.0 .1, b.0 .0)));
        let mut arriving = arriving.into_iter().peekable();
        let (mut people, mut rfm, mut codes) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n * dims),
        );
        let old = std::mem::take(&mut self.people)
            .into_iter()
            .zip(self.rfm.drain(..));
        for (i, (p, figures)) in old.enumerate() {
            if gone[i] {
                continue;
            }
            while let Some((q, q_rfm)) = arriving.next_if(|(q, _)| (&q.1, q.0) < (&p.1, p.0)) {
                people.push(q);
                rfm.push(q_rfm);
                codes.extend(std::iter::repeat_n(NONE, dims));
            }
            people.push(p);
            rfm.push(figures);
            codes.extend_from_slice(&self.codes[i * dims..(i + 1) * dims]);
        }
        for (q, q_rfm) in arriving {
            people.push(q);
            rfm.push(q_rfm);
            codes.extend(std::iter::repeat_n(NONE, dims));
        }
        self.people = people;
        self.rfm = rfm;
        self.codes = codes;
        self.position = position_of(&self.people);
    }
}

fn position_of(people: &[Person]) -> HashMap<Uuid, usize> {
    people.iter().enumerate().map(|(i, p)| (p.0, i)).collect()
}

#[cfg(test)]
mod tests;
