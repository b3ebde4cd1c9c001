//! Reports read from the visits: return-visit rate, new and returning patients, NPS,
//! revenue; and from the classification: churn risk; from loyalty: referrals.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use chrono::{Days, NaiveDate};
use rusqlite::Transaction;

use super::{month_of, Cell, ReportTable, Scope};
use crate::access::Actor;
use crate::clinic::Operation;
use crate::error::Result;
use crate::segments::{Dimension, PatientLabel, SegmentMembers};

/// One active visit as the reports read it.
pub(super) struct VisitRow {
    pub patient: usize,
    pub date: NaiveDate,
    /// The hour as entered (the visit's own clock).
    pub hour: u32,
    /// Shared: a clinic has a dozen departments and doctors over a million visits.
    pub department: Rc<str>,
    pub doctor: Option<Rc<str>>,
    pub amount: i64,
    pub nps: Option<u8>,
    pub satisfaction: Option<u8>,
    pub feedback: Option<String>,
}

/// Every active visit (one pass over the table, in table order), with the patients' ids
/// by index; `feedback` only when asked for.
pub(super) fn load(tx: &Transaction<'_>, feedback: bool) -> Result<(Vec<String>, Vec<VisitRow>)> {
    let mut ids: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let text = if feedback { "feedback" } else { "NULL" };
    let mut stmt = tx.prepare(&format!(
        "SELECT patient_id, visited_at, department, doctor, coalesce(amount_minor, 0), nps,
                satisfaction, {text}
         FROM visit WHERE archived_at IS NULL"
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    let mut names: HashMap<String, Rc<str>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let at: String = r.get(1)?;
        let Some(date) = at.get(..10).and_then(|d| d.parse().ok()) else {
            continue;
        };
        let hour = at.get(11..13).and_then(|h| h.parse().ok()).unwrap_or(0);
        let pid: String = r.get(0)?;
        let patient = match index.get(&pid) {
            Some(&i) => i,
            None => {
                index.insert(pid.clone(), ids.len());
                ids.push(pid);
                ids.len() - 1
            }
        };
        out.push(VisitRow {
            patient,
            date,
            hour,
            department: shared(&mut names, r.get_ref(2)?.as_str().unwrap_or("")),
            doctor: match r.get_ref(3)? {
                rusqlite::types::ValueRef::Text(t) => {
                    Some(shared(&mut names, std::str::from_utf8(t).unwrap_or("")))
                }
                _ => None,
            },
            amount: r.get(4)?,
            nps: r.get::<_, Option<i64>>(5)?.map(|n| n as u8),
            satisfaction: r.get::<_, Option<i64>>(6)?.map(|n| n as u8),
            feedback: r.get(7)?,
        });
    }
    Ok((ids, out))
}

/// One copy of each name.
fn shared(names: &mut HashMap<String, Rc<str>>, name: &str) -> Rc<str> {
    if let Some(n) = names.get(name) {
        return Rc::clone(n);
    }
    let n: Rc<str> = Rc::from(name);
    names.insert(name.to_string(), Rc::clone(&n));
    n
}

impl VisitRow {
    fn counts(&self, scope: &Scope, ids: &[String]) -> bool {
        scope.within(self.date)
            && scope.department(&self.department)
            && scope.doctor(self.doctor.as_deref())
            && scope.patient(&ids[self.patient])
    }
}

/// Each patient's visit dates, earliest first.
fn dates_by_patient(n: usize, visits: &[VisitRow]) -> Vec<Vec<NaiveDate>> {
    let mut by: Vec<Vec<NaiveDate>> = vec![Vec::new(); n];
    for v in visits {
        by[v.patient].push(v.date);
    }
    for d in &mut by {
        d.sort_unstable();
    }
    by
}

const WINDOWS: [u64; 3] = [30, 90, 180];

type Tally = [(u64, u64); 3];

pub(super) fn return_rate(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let (ids, visits) = load(tx, false)?;
    let dates = dates_by_patient(ids.len(), &visits);
    // Each patient's first visit in the range that the filters take: the index visit.
    let mut first: HashMap<usize, &VisitRow> = HashMap::new();
    for v in visits.iter().filter(|v| v.counts(scope, &ids)) {
        first
            .entry(v.patient)
            .and_modify(|f| {
                if v.date < f.date {
                    *f = v;
                }
            })
            .or_insert(v);
    }
    let mut overall: Tally = Default::default();
    let mut groups: [BTreeMap<String, Tally>; 3] = Default::default();
    for (&p, v) in &first {
        for (w, &days) in WINDOWS.iter().enumerate() {
            let Some(until) = v.date.checked_add_days(Days::new(days)) else {
                continue;
            };
            // Not yet judged: the window has not passed.
            if until > scope.today {
                continue;
            }
            let back = dates[p].iter().any(|&d| d > v.date && d <= until);
            let keys = [
                v.department.trim().to_string(),
                v.doctor.as_deref().unwrap_or_default().trim().to_string(),
                month_of(v.date),
            ];
            for t in std::iter::once(&mut overall).chain(
                groups
                    .iter_mut()
                    .zip(&keys)
                    .map(|(g, k)| g.entry(k.clone()).or_default()),
            ) {
                t[w].0 += 1;
                t[w].1 += u64::from(back);
            }
        }
    }
    let mut summary = ReportTable::new("overall", &["days", "patients", "returned", "rate"]);
    for (w, days) in WINDOWS.iter().enumerate() {
        summary.rows.push(vec![
            Cell::Count(*days as i64),
            Cell::Count(overall[w].0 as i64),
            Cell::Count(overall[w].1 as i64),
            Cell::percent(overall[w].1, overall[w].0),
        ]);
    }
    let mut tables = vec![summary];
    for (key, g) in ["by-department", "by-doctor", "by-month"]
        .iter()
        .zip(groups)
    {
        let mut t = ReportTable::new(key, &["group", "patients", "rate30", "rate90", "rate180"]);
        for (name, tally) in g {
            t.rows.push(vec![
                Cell::Text(name),
                Cell::Count(tally[0].0.max(tally[1].0).max(tally[2].0) as i64),
                Cell::percent(tally[0].1, tally[0].0),
                Cell::percent(tally[1].1, tally[1].0),
                Cell::percent(tally[2].1, tally[2].0),
            ]);
        }
        tables.push(t);
    }
    Ok((
        "Patients with a visit in the period (the department, doctor and segment filters \
         apply to that visit); their first such visit is the start. Returned: any later \
         visit on a later day, to any department, within 30, 90 or 180 days. A patient \
         counts for a window only once it has passed.",
        tables,
    ))
}

pub(super) fn new_returning(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let (ids, visits) = load(tx, false)?;
    let dates = dates_by_patient(ids.len(), &visits);
    // Per month, each patient once: new when their first visit ever is in that month.
    let mut seen: HashMap<(String, usize), bool> = HashMap::new();
    let mut new_in_range: Vec<usize> = Vec::new();
    for v in visits.iter().filter(|v| v.counts(scope, &ids)) {
        let first_ever = dates[v.patient][0];
        let month = month_of(v.date);
        let is_new = month_of(first_ever) == month;
        if seen.insert((month, v.patient), is_new).is_none() && is_new {
            new_in_range.push(v.patient);
        }
    }
    let mut per: BTreeMap<String, (i64, i64)> =
        scope.months().into_iter().map(|m| (m, (0, 0))).collect();
    for ((month, _), is_new) in seen {
        let e = per.entry(month).or_default();
        if is_new {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let mut months = ReportTable::new("by-month", &["month", "new", "returning"]);
    for (m, (n, r)) in per {
        months
            .rows
            .push(vec![Cell::Text(m), Cell::Count(n), Cell::Count(r)]);
    }
    // Where the new patients came from (as recorded on their profile).
    let channel_of = patient_column(tx, "coalesce(referral_channel, 'unknown')")?;
    let mut channels: BTreeMap<String, u64> = BTreeMap::new();
    for p in &new_in_range {
        let c = channel_of
            .get(&ids[*p])
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        *channels.entry(c).or_default() += 1;
    }
    let total = new_in_range.len() as u64;
    let mut sources = ReportTable::new("first-visit-source", &["channel", "patients", "share"]);
    for (c, n) in channels {
        sources.rows.push(vec![
            Cell::Text(c),
            Cell::Count(n as i64),
            Cell::percent(n, total),
        ]);
    }
    Ok((
        "Each month, each patient with a visit counted once: new when their first visit \
         ever falls in that month, returning otherwise. Sources: how the period's new \
         patients found the clinic, as recorded on their profile.",
        vec![months, sources],
    ))
}

pub(super) fn nps(tx: &Transaction<'_>, scope: &Scope) -> Result<(&'static str, Vec<ReportTable>)> {
    let (ids, visits) = load(tx, true)?;
    // answers, promoters, passives, detractors, satisfaction sum, satisfaction answers
    let mut per: BTreeMap<String, [u64; 6]> =
        scope.months().into_iter().map(|m| (m, [0; 6])).collect();
    let mut comments: Vec<&VisitRow> = Vec::new();
    for v in visits.iter().filter(|v| v.counts(scope, &ids)) {
        let e = per.entry(month_of(v.date)).or_default();
        if let Some(n) = v.nps {
            e[0] += 1;
            e[match n {
                9.. => 1,
                7..=8 => 2,
                _ => 3,
            }] += 1;
            if n <= 6 && v.feedback.as_deref().is_some_and(|f| !f.trim().is_empty()) {
                comments.push(v);
            }
        }
        if let Some(s) = v.satisfaction {
            e[4] += u64::from(s);
            e[5] += 1;
        }
    }
    let mut all = [0u64; 6];
    let mut months = ReportTable::new(
        "by-month",
        &[
            "month",
            "answers",
            "promoters",
            "passives",
            "detractors",
            "nps",
            "satisfaction",
        ],
    );
    let row = |label: String, e: &[u64; 6]| {
        vec![
            Cell::Text(label),
            Cell::Count(e[0] as i64),
            Cell::Count(e[1] as i64),
            Cell::Count(e[2] as i64),
            Cell::Count(e[3] as i64),
            score(e),
            // Tenths, rounded half up, as integers.
            (e[4] * 10 + e[5] / 2)
                .checked_div(e[5])
                .map_or(Cell::Missing, |t| {
                    Cell::Text(format!("{}.{}", t / 10, t % 10))
                }),
        ]
    };
    for (m, e) in &per {
        for (a, b) in all.iter_mut().zip(e) {
            *a += b;
        }
        months.rows.push(row(m.clone(), e));
    }
    months.rows.push(row("total".into(), &all));
    let names = patient_column(tx, "name")?;
    comments.sort_by_key(|v| std::cmp::Reverse(v.date));
    let mut said = ReportTable::new(
        "detractor-comments",
        &[
            "date",
            "patient",
            "score",
            "department",
            "doctor",
            "feedback",
        ],
    );
    for v in comments {
        said.rows.push(vec![
            Cell::Text(v.date.to_string()),
            Cell::Text(names.get(&ids[v.patient]).cloned().unwrap_or_default()),
            Cell::Count(i64::from(v.nps.unwrap_or(0))),
            Cell::Text(v.department.to_string()),
            Cell::Text(v.doctor.as_deref().unwrap_or_default().to_string()),
            Cell::Text(v.feedback.clone().unwrap_or_default()),
        ]);
    }
    Ok((
        "Recommendation answers (0-10) given at visits in the period: promoters 9-10, \
         passives 7-8, detractors 0-6; NPS = % promoters − % detractors (−100 to 100). \
         Satisfaction: the mean of the 1-5 scores. Detractors' comments, newest first.",
        vec![months, said],
    ))
}

fn score(e: &[u64; 6]) -> Cell {
    nps_score(e[0], e[1], e[3])
}

/// NPS as a whole number: % promoters − % detractors, rounded half away from zero.
pub(super) fn nps_score(answers: u64, promoters: u64, detractors: u64) -> Cell {
    if answers == 0 {
        return Cell::Missing;
    }
    let diff = promoters as i64 - detractors as i64;
    let n = answers as i64;
    Cell::Count((200 * diff + n * diff.signum()) / (2 * n))
}

/// One text column (or expression) of every patient, archived too, by id.
fn patient_column(tx: &Transaction<'_>, column: &str) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut stmt = tx.prepare(&format!("SELECT id, {column} FROM patient"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        out.insert(r.get(0)?, r.get(1)?);
    }
    Ok(out)
}

pub(super) fn revenue(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let (ids, visits) = load(tx, false)?;
    let payment = patient_column(tx, "coalesce(payment_type, 'unknown')")?;
    let tiers = crate::segments::label_of_everyone(tx, Dimension::ValueTier, scope.today)?;
    // department, doctor, payment type, value tier → (visits, amount)
    let mut groups: [BTreeMap<String, (i64, i64)>; 4] = Default::default();
    let mut total = (0i64, 0i64);
    for v in visits.iter().filter(|v| v.counts(scope, &ids)) {
        let id = &ids[v.patient];
        let keys = [
            v.department.trim().to_string(),
            v.doctor.as_deref().unwrap_or_default().trim().to_string(),
            payment.get(id).cloned().unwrap_or_else(|| "unknown".into()),
            tiers.get(id).cloned().unwrap_or_else(|| "unknown".into()),
        ];
        for (g, k) in groups.iter_mut().zip(keys) {
            let e = g.entry(k).or_default();
            e.0 += 1;
            e.1 += v.amount;
        }
        total.0 += 1;
        total.1 += v.amount;
    }
    let mut tables = Vec::new();
    for (key, g) in [
        "by-department",
        "by-doctor",
        "by-payment-type",
        "by-value-tier",
    ]
    .iter()
    .zip(groups)
    {
        let mut t = ReportTable::new(key, &["group", "visits", "amount", "share"]);
        for (name, (n, amount)) in g {
            t.rows.push(vec![
                Cell::Text(name),
                Cell::Count(n),
                Cell::money(amount),
                Cell::percent(amount.max(0) as u64, total.1.max(0) as u64),
            ]);
        }
        t.rows.push(vec![
            Cell::Text("total".into()),
            Cell::Count(total.0),
            Cell::money(total.1),
            Cell::percent(1, 1),
        ]);
        tables.push(t);
    }
    // What the clinic owes in points not yet spent or expired (today, not the period).
    let (points, holders): (i64, i64) = tx.query_row(
        "SELECT coalesce(sum(b), 0), count(*) FROM
           (SELECT sum(points) AS b FROM points_entry GROUP BY patient_id HAVING sum(points) > 0)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut liability = ReportTable::new("points-liability", &["points", "patients"]);
    liability
        .rows
        .push(vec![Cell::Count(points), Cell::Count(holders)]);
    tables.push(liability);
    Ok((
        "Amounts recorded on visits in the period, by the visit's department and doctor, \
         the patient's payment type and today's value tier. Points liability: points \
         earned and not yet redeemed or expired, today.",
        tables,
    ))
}

pub(super) fn churn_risk(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let at_risk = SegmentMembers {
        dimension: Dimension::Lifecycle,
        label: "at-risk".into(),
        today: Some(scope.today),
    }
    .run(tx, &Actor::owner())?;
    let explain = |id| {
        crate::segments::ExplainPatient {
            patient_id: id,
            today: Some(scope.today),
        }
        .run(tx, &Actor::owner())
    };
    let rank = |d: Dimension, l: &str| d.labels().iter().position(|x| *x == l).unwrap_or(9);
    let mut rows = Vec::new();
    for m in at_risk {
        if !scope.patient(&m.id.to_string()) {
            continue;
        }
        let labels = explain(m.id)?;
        let of =
            |d: Dimension| -> Option<&PatientLabel> { labels.iter().find(|l| l.dimension == d) };
        let tier = of(Dimension::ValueTier).map_or(String::new(), |l| l.label.to_string());
        let risk = of(Dimension::RiskLevel).map_or(String::new(), |l| l.label.to_string());
        let fact = |k: &str| m.why.facts.get(k).cloned().unwrap_or_default();
        let days: i64 = fact("days").parse().unwrap_or(0);
        let usual: i64 = fact("usual").parse().unwrap_or(0);
        rows.push((
            rank(Dimension::ValueTier, &tier),
            rank(Dimension::RiskLevel, &risk),
            -(days - usual),
            vec![
                Cell::Text(m.id.to_string()),
                Cell::Text(m.name),
                Cell::Text(tier),
                Cell::Text(risk),
                Cell::Text(fact("lastVisit")),
                Cell::Count(usual),
                Cell::Count(days),
                Cell::Count(days - usual),
            ],
        ));
    }
    rows.sort_by_key(|r| (r.0, r.1, r.2));
    let mut t = ReportTable::new(
        "call-list",
        &[
            "patientId",
            "patient",
            "valueTier",
            "riskLevel",
            "lastVisit",
            "usualDays",
            "daysSince",
            "daysOverdue",
        ],
    );
    t.rows = rows.into_iter().map(|r| r.3).collect();
    Ok((
        "Patients overdue against their own usual interval (the lifecycle label at-risk: \
         three visits or more, more days since the last than their median gap allows), \
         today, highest value tier first, then highest health risk, then most overdue. \
         The segment filter applies; the date range and the department and doctor \
         filters do not.",
        vec![t],
    ))
}

/// Who referred whom (every patient, archived too): the size of anyone's referral tree
/// — everyone below them, each counted once even if the records loop.
fn tree_sizes(tx: &Transaction<'_>) -> Result<impl Fn(&str) -> usize> {
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    let mut stmt =
        tx.prepare("SELECT id, referred_by FROM patient WHERE referred_by IS NOT NULL")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        children.entry(r.get(1)?).or_default().push(r.get(0)?);
    }
    Ok(move |root: &str| {
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut stack: Vec<&str> = vec![root];
        while let Some(p) = stack.pop() {
            for c in children.get(p).into_iter().flatten() {
                if c != root && seen.insert(c) {
                    stack.push(c);
                }
            }
        }
        seen.len()
    })
}

pub(super) fn referrals(
    tx: &Transaction<'_>,
    scope: &Scope,
    by: &Actor,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let r = crate::loyalty::referrals::Referrals {
        from: scope.from,
        to: scope.to,
        limit: 20,
    }
    .run(tx, by)?;
    let mut summary = ReportTable::new("summary", &["newPatients", "referred", "share"]);
    summary.rows.push(vec![
        Cell::Count(r.new_patients as i64),
        Cell::Count(r.referred as i64),
        Cell::percent(r.referred, r.new_patients),
    ]);
    let mut channels = ReportTable::new("channels", &["channel", "patients"]);
    for c in r.channels {
        channels
            .rows
            .push(vec![Cell::Text(c.channel), Cell::Count(c.patients as i64)]);
    }
    let mut top = ReportTable::new(
        "top-referrers",
        &["patientId", "patient", "newPatients", "allTime", "treeSize"],
    );
    let sizes = tree_sizes(tx)?;
    for p in r.top_referrers {
        let tree = sizes(&p.patient_id);
        top.rows.push(vec![
            Cell::Text(p.patient_id),
            Cell::Text(p.name),
            Cell::Count(p.new_patients as i64),
            Cell::Count(p.all_time as i64),
            Cell::Count(tree as i64),
        ]);
    }
    Ok((
        "New patients: their first visit fell in the period; referred: by a patient. Top \
         referrers by new patients referred in the period (then all time); tree size: \
         everyone they brought in, directly or through the people they referred. The \
         department, doctor and segment filters do not apply.",
        vec![summary, channels, top],
    ))
}
