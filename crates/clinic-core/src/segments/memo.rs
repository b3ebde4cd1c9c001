//! The clinic classified once and kept until something changes: every patient's facts
//! (without the visits' free text), the clinic-wide RFM cut points and every patient's
//! label in each dimension (two bytes each). Counting a dimension or a rule segment then
//! reads memory, not the file.
//!
//! "Until something changes" is SQLite's own bookkeeping, so no writer can forget to say
//! so: `total_changes` counts every row this connection has inserted, updated or deleted
//! (triggers included), `PRAGMA data_version` moves when another connection (the CLI, a
//! restore) commits, and a random tag in a TEMP table tells this connection from any
//! other — a reopened file starts a new one. The day and the thresholds are part of the
//! key too: a new day or new settings classify again.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use rusqlite::Transaction;
use uuid::Uuid;

use super::dimensions::{label_names, ClinicContext, Dimension, Facts, PatientLabel};
use super::load_facts;
use super::rules::SegmentRules;
use crate::error::Result;

/// A label and how many patients carry it.
pub(crate) type LabelTally = (Cow<'static, str>, u64);

/// No label in this dimension.
const NONE: u16 = u16::MAX;

pub(crate) struct Classified {
    /// Active patients by name (then id), with the detail facts but no visit text.
    pub people: Vec<(Uuid, String, Facts)>,
    pub clinic: ClinicContext,
    pub position: HashMap<Uuid, usize>,
    /// Per patient, per dimension (in `Dimension::ALL` order): an index into `names`.
    codes: Vec<u16>,
    /// Per dimension, the labels met.
    names: Vec<Vec<Cow<'static, str>>>,
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

#[derive(PartialEq)]
struct Key {
    connection: i64,
    data_version: i64,
    changes: u64,
    today: NaiveDate,
    rules: SegmentRules,
}

/// One clinic's classification at a time (the app has one clinic open).
static LAST: Mutex<Option<(Key, Arc<Classified>)>> = Mutex::new(None);

/// A random number for this connection, the same until it is closed: what is kept in
/// memory for one open file is never taken for another's (a reopened or restored file).
pub(crate) fn connection_tag(tx: &Transaction<'_>) -> Result<i64> {
    tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS connection_tag AS SELECT random() AS id")?;
    Ok(tx.query_row("SELECT id FROM temp.connection_tag", [], |r| r.get(0))?)
}

fn key(tx: &Transaction<'_>, rules: &SegmentRules, today: NaiveDate) -> Result<Key> {
    Ok(Key {
        connection: connection_tag(tx)?,
        data_version: tx.query_row("PRAGMA data_version", [], |r| r.get(0))?,
        // Audit entries (a read of a patient's record writes one) change no facts.
        changes: tx
            .total_changes()
            .saturating_sub(crate::access::audit::changes_on(tx)?),
        today,
        rules: rules.clone(),
    })
}

pub(crate) fn classified(
    tx: &Transaction<'_>,
    rules: &SegmentRules,
    today: NaiveDate,
) -> Result<Arc<Classified>> {
    let now = key(tx, rules, today)?;
    // Inside a write that has not committed (and may yet roll back), nothing is kept.
    let keep = tx.transaction_state(Some("main"))? != rusqlite::TransactionState::Write;
    let stale = {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        match last.as_ref() {
            Some((k, value)) if *k == now => return Ok(Arc::clone(value)),
            _ if keep => last.take(),
            _ => None,
        }
    };
    // Freed first (a million visits, ~0.1 s on the benchmark clinic), so that two never
    // sit in memory at once; on a thread of its own it slowed the new one's loading more.
    drop(stale);
    let mut people = load_facts(tx, None, true, false)?;
    people.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let clinic = ClinicContext::from_facts(people.iter().map(|p| &p.2), rules, today);
    let dims = Dimension::ALL.len();
    let mut codes = vec![NONE; people.len() * dims];
    let mut names: Vec<Vec<Cow<'static, str>>> = vec![Vec::new(); dims];
    for (i, p) in people.iter().enumerate() {
        for l in label_names(&p.2, rules, today, &clinic) {
            let Some(d) = Dimension::ALL.iter().position(|x| *x == l.dimension) else {
                continue;
            };
            let met = &mut names[d];
            let at = match met.iter().position(|m| *m == l.label) {
                Some(at) => at,
                None => {
                    met.push(l.label);
                    met.len() - 1
                }
            };
            // A dimension has a handful of labels (tiers are the clinic's few names).
            codes[i * dims + d] = u16::try_from(at).unwrap_or(NONE);
        }
    }
    let position = people.iter().enumerate().map(|(i, p)| (p.0, i)).collect();
    let value = Arc::new(Classified {
        people,
        clinic,
        position,
        codes,
        names,
    });
    if keep {
        // Loading may have written digests back: the key is taken after it.
        let after = key(tx, rules, today)?;
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some((after, Arc::clone(&value)));
    }
    Ok(value)
}
