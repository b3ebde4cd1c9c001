//! Patient classification: the built-in dimensions (visit frequency, age group, payment
//! type, service type, satisfaction, NPS role, lifecycle, value tier, risk level,
//! severity), each label with the facts and rule that produced it, counted over the clinic
//! and listed by member; staff tags; clinic-defined rule segments (`custom`, `saved`).
//! Archived patients are left out. Everything is computed from the records when asked, so
//! it is current after any write.

pub mod custom;
pub mod dimensions;
pub mod members;
pub mod rules;
pub mod saved;
pub mod tags;
pub mod templates;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result};

pub use custom::{Rule, RuleReason, Subject};
pub use dimensions::{
    age_on, label_names, labels, rfm, window_start, ClinicContext, Dimension, Facts, PatientLabel,
    VisitFact,
};
pub use members::{members_of, ExportSegment, Member, ResolveSegment, SegmentRef};
pub use rules::{GetSegmentRules, SegmentRules, SetSegmentRules};
pub use saved::{
    DeleteSegment, EvaluateRule, ListSavedSegments, ListSegmentTemplates, PatientSavedSegments,
    PatientSegment, RuleMember, RuleResult, SaveSegment, SavedSegment, SavedSegmentMembers,
    SegmentIdByName,
};
pub use tags::{DeleteTag, ListTags, PatientTags, SaveTag, Tag, TagColour, TagPatients};
pub use templates::{templates, SegmentTemplate};

/// Every active patient's facts (or one patient's), by id, with their name. `detail` also
/// loads what only clinic-defined rules look at: visit departments, diagnoses and
/// treatments, sex, smoking, every condition and the tags.
pub(crate) fn load_facts(
    tx: &Transaction<'_>,
    only: Option<Uuid>,
    detail: bool,
) -> Result<Vec<(Uuid, String, Facts)>> {
    let only = only.map(|id| id.to_string());
    let mut people: Vec<(Uuid, String, Facts)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, name, birth_date, payment_type, sex, smoking FROM patient
             WHERE archived_at IS NULL AND (?1 IS NULL OR id = ?1)",
        )?;
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let Ok(uuid) = Uuid::parse_str(&id) else {
                continue;
            };
            let birth: Option<String> = r.get(2)?;
            index.insert(id, people.len());
            people.push((
                uuid,
                r.get(1)?,
                Facts {
                    birth_date: birth.and_then(|b| NaiveDate::parse_from_str(&b, "%Y-%m-%d").ok()),
                    payment_type: r.get(3)?,
                    sex: r.get(4)?,
                    smoking: r.get(5)?,
                    ..Default::default()
                },
            ));
        }
    }
    {
        // Text columns cost a million strings on a large clinic: only when asked for.
        let text = if detail {
            "department, coalesce(diagnosis, ''), coalesce(treatment, '')"
        } else {
            "'', '', ''"
        };
        // In table order, not sorted by SQL (a million-row sort): each patient's few visits
        // are put newest first below.
        let mut stmt = tx.prepare(&format!(
            "SELECT patient_id, substr(visited_at, 1, 10), visited_at_ms, visit_type, satisfaction,
                    amount_minor, nps, {text}, follow_up_by
             FROM visit WHERE archived_at IS NULL AND (?1 IS NULL OR patient_id = ?1)"
        ))?;
        let mut when: Vec<Vec<i64>> = vec![Vec::new(); people.len()];
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = text_ref(r, 0)?.and_then(|pid| index.get(pid)) else {
                continue;
            };
            let Some(date) = text_ref(r, 1)?.and_then(iso_date) else {
                continue;
            };
            when[i].push(r.get(2)?);
            people[i].2.visits.push(VisitFact {
                date,
                visit_type: r.get(3)?,
                satisfaction: r.get::<_, Option<i64>>(4)?.map(|s| s as u8),
                amount_minor: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                nps: r.get::<_, Option<i64>>(6)?.map(|n| n as u8),
                department: r.get(7)?,
                diagnosis: r.get(8)?,
                treatment: r.get(9)?,
                follow_up_by: text_ref(r, 10)?.and_then(iso_date),
            });
        }
        for (person, ms) in people.iter_mut().zip(when) {
            let visits = &mut person.2.visits;
            if ms.windows(2).all(|w| w[0] >= w[1]) {
                continue;
            }
            let mut order: Vec<usize> = (0..visits.len()).collect();
            order.sort_by_key(|&k| std::cmp::Reverse(ms[k]));
            let mut taken: Vec<Option<VisitFact>> = visits.drain(..).map(Some).collect();
            visits.extend(order.into_iter().filter_map(|k| taken[k].take()));
        }
    }
    {
        let mut stmt = tx.prepare(
            "SELECT referred_by, count(*) FROM patient
             WHERE referred_by IS NOT NULL AND archived_at IS NULL
               AND (?1 IS NULL OR referred_by = ?1)
             GROUP BY referred_by",
        )?;
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let by: String = r.get(0)?;
            if let Some(&i) = index.get(&by) {
                people[i].2.referrals = r.get::<_, i64>(1)? as u32;
            }
        }
    }
    // (table, column, which rows, order, only with detail, the list it fills)
    type Pick = fn(&mut Facts) -> &mut Vec<String>;
    let lists: [(&str, &str, &str, &str, bool, Pick); 6] = [
        (
            "patient_condition",
            "name",
            "chronic = 1",
            "id",
            false,
            |f| &mut f.chronic,
        ),
        (
            "patient_allergy",
            "substance",
            "severity = 'life-threatening'",
            "id",
            false,
            |f| &mut f.grave_allergies,
        ),
        ("patient_condition", "name", "1", "id", true, |f| {
            &mut f.conditions
        }),
        (
            "patient_tag x JOIN tag t ON t.id = x.tag_id",
            "t.name",
            "1",
            "t.name",
            true,
            |f| &mut f.tags,
        ),
        (
            "appointment",
            "substr(starts_at, 1, 10)",
            "(status = 'scheduled' OR status = 'confirmed')",
            "starts_ms",
            true,
            |f| &mut f.booked,
        ),
        (
            "appointment",
            "substr(starts_at, 1, 10)",
            "status = 'no-show'",
            "starts_ms",
            true,
            |f| &mut f.no_shows,
        ),
    ];
    for (table, column, filter, order, needs_detail, pick) in lists {
        if needs_detail && !detail {
            continue;
        }
        let mut stmt = tx.prepare(&format!(
            "SELECT patient_id, {column} FROM {table}
             WHERE {filter} AND (?1 IS NULL OR patient_id = ?1) ORDER BY {order}"
        ))?;
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let pid: String = r.get(0)?;
            if let Some(&i) = index.get(&pid) {
                pick(&mut people[i].2).push(r.get(1)?);
            }
        }
    }
    Ok(people)
}

/// A text column borrowed from the row (no copy), `None` when NULL.
fn text_ref<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    match row.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => Ok(std::str::from_utf8(t).ok()),
        _ => Ok(None),
    }
}

/// `YYYY-MM-DD` read by hand: a million of them per count, where a general parser shows.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// The RFM cut points across the clinic, straight from the visits (no need to load every
/// patient to explain one). Same definitions as `dimensions::rfm`: visits dated in the
/// window up to today (their own calendar date), active patients only. One pass over the
/// visit table, grouped here: SQL's GROUP BY walked the patient index and fetched each
/// visit row at random (3.9 s on the benchmark clinic).
pub fn clinic_context(
    tx: &Transaction<'_>,
    rules: &SegmentRules,
    today: NaiveDate,
) -> Result<ClinicContext> {
    let from = window_start(today, rules.value_tier.window_months);
    // Per active patient: (latest date in the window, visits, money).
    let mut per: HashMap<String, (Option<NaiveDate>, i64, i64)> = HashMap::new();
    {
        let mut stmt = tx.prepare("SELECT id FROM patient WHERE archived_at IS NULL")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            per.insert(r.get(0)?, (None, 0, 0));
        }
    }
    let mut stmt = tx.prepare(
        "SELECT patient_id, substr(visited_at, 1, 10), coalesce(amount_minor, 0)
         FROM visit WHERE archived_at IS NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let Some(date) = text_ref(r, 1)?.and_then(iso_date) else {
            continue;
        };
        if date < from || date > today {
            continue;
        }
        let Some(entry) = text_ref(r, 0)?.and_then(|pid| per.get_mut(pid)) else {
            continue;
        };
        entry.0 = entry.0.max(Some(date));
        entry.1 += 1;
        entry.2 += r.get::<_, i64>(2)?;
    }
    let (mut r, mut f, mut m) = (Vec::new(), Vec::new(), Vec::new());
    for (last, visits, money) in per.into_values() {
        if let Some(last) = last {
            r.push((today - last).num_days());
            f.push(visits);
            m.push(money);
        }
    }
    Ok(ClinicContext::from_values(r, f, m))
}

fn today_or(today: Option<NaiveDate>) -> NaiveDate {
    today.unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// One patient's labels with their reasons (the chips on the patient page).
pub struct ExplainPatient {
    pub patient_id: Uuid,
    /// The day to judge on; today (local) when `None`.
    pub today: Option<NaiveDate>,
}

impl Operation for ExplainPatient {
    type Output = Vec<PatientLabel>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<PatientLabel>> {
        let rules = rules::load(tx)?;
        let today = today_or(self.today);
        let people = load_facts(tx, Some(self.patient_id), false)?;
        let (_, _, facts) = people
            .first()
            .ok_or_else(|| ClinicError::not_found("patient", &self.patient_id.to_string()))?;
        let clinic = clinic_context(tx, &rules, today)?;
        Ok(labels(facts, &rules, today, &clinic))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LabelCount {
    pub label: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// A dimension's labels and how many patients carry each (those with none are `unknown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DimensionCounts {
    pub dimension: Dimension,
    pub counts: Vec<LabelCount>,
}

/// Every dimension with its counts over the active patients.
pub struct CountSegments {
    pub today: Option<NaiveDate>,
}

impl Operation for CountSegments {
    type Output = Vec<DimensionCounts>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<DimensionCounts>> {
        let rules = rules::load(tx)?;
        let today = today_or(self.today);
        let mut counts: BTreeMap<(usize, String), u64> = BTreeMap::new();
        let people = load_facts(tx, None, false)?;
        // Every patient is loaded anyway: the cut points from their facts, not a second pass.
        let clinic = ClinicContext::from_facts(people.iter().map(|p| &p.2), &rules, today);
        for (_, _, facts) in &people {
            let mine = label_names(facts, &rules, today, &clinic);
            for (d, dimension) in Dimension::ALL.iter().enumerate() {
                let name = mine
                    .iter()
                    .find(|l| l.dimension == *dimension)
                    .map_or("unknown", |l| l.label.as_str());
                *counts.entry((d, name.to_string())).or_default() += 1;
            }
        }
        Ok(Dimension::ALL
            .iter()
            .enumerate()
            .map(|(d, dimension)| DimensionCounts {
                dimension: *dimension,
                counts: counts
                    .iter()
                    .filter(|((i, _), _)| *i == d)
                    .map(|((_, label), n)| LabelCount {
                        label: label.clone(),
                        count: *n,
                    })
                    .collect(),
            })
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SegmentMember {
    pub id: Uuid,
    pub name: String,
    /// Why this patient is in the segment.
    pub why: PatientLabel,
}

/// The patients carrying `label` in `dimension`, by name.
pub struct SegmentMembers {
    pub dimension: Dimension,
    pub label: String,
    pub today: Option<NaiveDate>,
}

impl Operation for SegmentMembers {
    type Output = Vec<SegmentMember>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<SegmentMember>> {
        let rules = rules::load(tx)?;
        let today = today_or(self.today);
        let people = load_facts(tx, None, false)?;
        let clinic = ClinicContext::from_facts(people.iter().map(|p| &p.2), &rules, today);
        let mut out: Vec<SegmentMember> = people
            .into_iter()
            .filter_map(|(id, name, facts)| {
                let wanted =
                    |l: &PatientLabel| l.dimension == self.dimension && l.label == self.label;
                // Names first; the reason is only worked out for the members.
                if !label_names(&facts, &rules, today, &clinic)
                    .iter()
                    .any(wanted)
                {
                    return None;
                }
                labels(&facts, &rules, today, &clinic)
                    .into_iter()
                    .find(wanted)
                    .map(|why| SegmentMember { id, name, why })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }
}
