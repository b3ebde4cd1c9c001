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
mod tests {
    //! Takes its turn with the library's other clinic tests (`ONE_CLINIC_AT_A_TIME`), so
    //! nothing else replaces what is kept between its steps.
    use super::*;
    use crate::patients::{CreatePatient, PatientInput};
    use crate::visits::{AddVisit, VisitInput};
    use crate::{Actor, Clinic};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    /// Each patient in list order with their label in every dimension, and the clinic's
    /// figures: what every question asked of the classification reads.
    fn canonical(c: &Classified) -> (Vec<String>, ClinicContext) {
        let people = c
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                assert_eq!(c.position[&p.0], i, "position of {}", p.0);
                let labels: Vec<_> = Dimension::ALL.iter().map(|d| c.label(i, *d)).collect();
                format!("{} {} {:?} {:?}", p.0, p.1, c.rfm[i], labels)
            })
            .collect();
        assert_eq!(c.position.len(), c.people.len());
        (people, c.clinic.clone())
    }

    /// Brings the classification up to date, checks it against classifying the whole file
    /// afresh, and says how it was brought up to date.
    fn check(c: &Clinic) -> Freshened {
        let mut conn = c.connection();
        let tx = conn.transaction().unwrap();
        let rules = crate::segments::rules::load(&tx).unwrap();
        let (kept, how) = refresh(&tx, &rules, today()).unwrap();
        let fresh = Classified::all(&tx, &rules, today()).unwrap();
        assert!(
            canonical(&kept) == canonical(&fresh),
            "differs after {how:?}"
        );
        tx.commit().unwrap();
        how
    }

    fn sql(c: &Clinic, sql: &str) {
        c.connection().execute_batch(sql).unwrap();
    }

    fn visit(c: &Clinic, patient: &str, at: &str, amount: &str) {
        c.execute(
            &Actor::owner(),
            AddVisit(VisitInput {
                patient_id: patient.into(),
                at: at.into(),
                department: "Dental".into(),
                visit_type: "return".into(),
                amount: Some(amount.into()),
                ..Default::default()
            }),
        )
        .unwrap();
    }

    #[test]
    fn the_kept_classification_always_equals_classifying_afresh() {
        let crate::TestClinic {
            clinic: c,
            key,
            dir: tmp,
            _turn,
        } = crate::generated_clinic(300, 3, 12);
        let owner = Actor::owner();
        let ids: Vec<String> = {
            let conn = c.connection();
            let mut stmt = conn
                .prepare("SELECT id FROM patient WHERE archived_at IS NULL ORDER BY id")
                .unwrap();
            let ids = stmt.query_map([], |r| r.get(0)).unwrap();
            ids.collect::<rusqlite::Result<_>>().unwrap()
        };
        assert_eq!(check(&c), Freshened::All);
        assert_eq!(check(&c), Freshened::AsKept);

        // A visit through the form: a big spender now, which moves the quintiles.
        visit(&c, &ids[0], "2026-11-20T09:30+08:00", "99000.00");
        assert_eq!(check(&c), Freshened::Patients(1));

        // Straight in SQL (an import, a merge, an erasure): the triggers still tell.
        sql(
            &c,
            &format!(
                "UPDATE visit SET amount_minor = coalesce(amount_minor, 0) + 500000 WHERE rowid % 50 = 0;
                 UPDATE visit SET nps = 2, satisfaction = 1 WHERE rowid % 30 = 1;
                 UPDATE visit SET archived_at = '2026-11-21T00:00:00Z' WHERE rowid % 70 = 2;
                 UPDATE visit SET visit_type = 'specialist', follow_up_by = '2026-10-01' WHERE rowid % 40 = 3;
                 UPDATE visit SET patient_id = '{a}' WHERE patient_id = '{b}';
                 DELETE FROM visit WHERE patient_id = '{d}';",
                a = ids[1],
                b = ids[2],
                d = ids[3],
            ),
        );
        assert!(matches!(check(&c), Freshened::Patients(n) if n > 5));

        // The patient's own facts; a rename moves them in the list, archiving takes them
        // out, and a referrer's count follows who names them.
        sql(
            &c,
            &format!(
                "UPDATE patient SET birth_date = '1940-01-01', sex = 'F', smoking = 'current',
                     payment_type = 'commercial-insurance' WHERE id = '{a}';
                 UPDATE patient SET name = 'Aaaa First Now' WHERE id = '{b}';
                 UPDATE patient SET name = 'Zzzz Last Now' WHERE id = '{d}';
                 UPDATE patient SET archived_at = '2026-11-22' WHERE id = '{e}';
                 UPDATE patient SET referred_by = '{f}' WHERE id IN ('{g}', '{h}');",
                a = ids[4],
                b = ids[5],
                d = ids[6],
                e = ids[7],
                f = ids[8],
                g = ids[9],
                h = ids[10],
            ),
        );
        assert!(matches!(check(&c), Freshened::Patients(n) if n >= 6));
        sql(
            &c,
            &format!(
                "UPDATE patient SET archived_at = NULL WHERE id = '{}';",
                ids[7]
            ),
        );
        assert_eq!(check(&c), Freshened::Patients(1));

        // New patients: one with nothing yet, one recommended by another, with a visit.
        let new = |name: &str, by: Option<&String>| {
            c.execute(
                &owner,
                CreatePatient::new(PatientInput {
                    name: name.into(),
                    referred_by: by.cloned(),
                    ..Default::default()
                }),
            )
            .unwrap()
            .id
            .to_string()
        };
        new("Mmm Walk-in", None);
        let referred = new("Bbb Referred", Some(&ids[11]));
        visit(&c, &referred, "2026-11-22T11:00+08:00", "80.00");
        assert!(matches!(check(&c), Freshened::Patients(n) if n >= 3));

        // Conditions, grave allergies, tags (and a tag renamed), appointments, points.
        sql(
            &c,
            &format!(
                "INSERT INTO patient_condition (patient_id, name, chronic) VALUES ('{a}', 'Diabetes', 1);
                 INSERT INTO patient_allergy (patient_id, substance, severity)
                     VALUES ('{b}', 'Penicillin', 'life-threatening');
                 INSERT INTO tag (id, name, colour, created_at) VALUES (900, 'VIP', 'gold', '2026-11-01');
                 INSERT INTO patient_tag (patient_id, tag_id, tagged_at, tagged_by)
                     VALUES ('{d}', 900, '2026-11-01', 'owner');
                 INSERT INTO appointment (id, patient_id, starts_at, starts_ms, ends_ms, status,
                     booked_by, status_at, created_at, updated_at)
                     VALUES ('ap-1', '{e}', '2026-11-10T09:00+08:00', 1, 2, 'no-show', 'owner',
                             'x', 'x', 'x'),
                            ('ap-2', '{e}', '2026-11-30T09:00+08:00', 3, 4, 'scheduled', 'owner',
                             'x', 'x', 'x');
                 INSERT INTO points_entry (patient_id, kind, points, source, reason, effective_on,
                     staff, at) VALUES ('{f}', 'adjust', 250, 'staff', 'welcome', '2026-11-01',
                     'owner', '2026-11-01');",
                a = ids[12],
                b = ids[13],
                d = ids[14],
                e = ids[15],
                f = ids[16],
            ),
        );
        assert_eq!(check(&c), Freshened::Patients(5));
        sql(&c, "UPDATE tag SET name = 'Very important' WHERE id = 900;");
        assert_eq!(check(&c), Freshened::Patients(1));
        sql(
            &c,
            &format!(
                "UPDATE appointment SET status = 'cancelled' WHERE patient_id = '{}';",
                ids[15]
            ),
        );
        assert_eq!(check(&c), Freshened::Patients(1));

        // The loyalty programme switched on: everyone's base tier, so everyone again; then
        // a membership row is one patient again.
        sql(
            &c,
            "UPDATE loyalty_setting SET value = '{\"enabled\": true}';",
        );
        assert_eq!(check(&c), Freshened::All);
        sql(
            &c,
            &format!(
                "INSERT INTO membership (patient_id, tier, since, spend_minor, visits, qualified_on)
                 VALUES ('{}', 'Gold', '2026-11-01', 900000, 12, '2026-11-01');",
                ids[17]
            ),
        );
        assert_eq!(check(&c), Freshened::Patients(1));

        // A patient deleted altogether.
        let gone = new("Short stay", None);
        visit(&c, &gone, "2026-11-21T10:00+08:00", "10.00");
        assert_eq!(check(&c), Freshened::Patients(1));
        sql(
            &c,
            &format!("DELETE FROM visit WHERE patient_id = '{gone}'; DELETE FROM patient WHERE id = '{gone}';"),
        );
        assert_eq!(check(&c), Freshened::Patients(1));

        // Another connection (the CLI) writes: this one sees it.
        let other = Clinic::open_with_key(tmp.path(), &key).unwrap();
        visit(&other, &ids[18], "2026-11-22T16:45+08:00", "45.00");
        drop(other);
        assert_eq!(check(&c), Freshened::Patients(1));

        // Asked inside a write that then rolls back: answered from the file as it is inside
        // the write, and nothing kept changes.
        {
            let mut conn = c.connection();
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .unwrap();
            tx.execute(
                "UPDATE patient SET name = 'Inside' WHERE id = ?1",
                [&ids[19]],
            )
            .unwrap();
            let rules = crate::segments::rules::load(&tx).unwrap();
            let (inside, how) = refresh(&tx, &rules, today()).unwrap();
            assert_eq!(how, Freshened::All);
            assert!(inside.people.iter().any(|p| p.1 == "Inside"));
            tx.rollback().unwrap();
        }
        assert_eq!(check(&c), Freshened::AsKept);

        // Many patients changed (an import): everyone again.
        sql(
            &c,
            "UPDATE visit SET amount_minor = coalesce(amount_minor, 0) + 1;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
             INSERT INTO fact_change (patient_id) SELECT 'nobody-' || i FROM n;",
        );
        assert_eq!(check(&c), Freshened::All);
        // The log trimmed past what was seen: everyone again.
        visit(&c, &ids[20], "2026-11-23T08:00+08:00", "60.00");
        sql(
            &c,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 21000)
             INSERT INTO fact_change (patient_id) SELECT 'nobody' FROM n;",
        );
        assert_eq!(check(&c), Freshened::All);
        assert_eq!(check(&c), Freshened::AsKept);
    }
}
