//! Reports read from the visits: return-visit rate, new and returning patients, NPS,
//! revenue; and from the classification: churn risk; from loyalty: referrals.

use std::collections::{BTreeMap, HashMap};

use chrono::Days;
use rusqlite::Transaction;

use super::{month_of, Cell, ReportTable, Scope};
use crate::access::Actor;
use crate::clinic::Operation;
use crate::error::Result;
use crate::segments::Dimension;
use crate::visits::kept::{kept_visits, KeptVisit};

/// No doctor, payment type or value tier: the reports' "unknown" (no doctor: blank).
const UNKNOWN: u32 = u32::MAX;

const WINDOWS: [u64; 3] = [30, 90, 180];

type Tally = [(u64, u64); 3];

pub(super) fn return_rate(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let kept = kept_visits(tx)?;
    let within = scope.on(&kept);
    let mut overall: Tally = Default::default();
    let mut groups: [BTreeMap<String, Tally>; 3] = Default::default();
    for (p, patient) in kept.patients.iter().enumerate() {
        // The patient's first visit in the range that the filters take: the index visit
        // (their visits are kept earliest first).
        let Some(v) = patient.visits.iter().find(|v| within.counts(p, v)) else {
            continue;
        };
        for (w, &days) in WINDOWS.iter().enumerate() {
            let Some(until) = v.date.checked_add_days(Days::new(days)) else {
                continue;
            };
            // Not yet judged: the window has not passed.
            if until > scope.today {
                continue;
            }
            let back = patient
                .visits
                .iter()
                .any(|d| d.date > v.date && d.date <= until);
            let keys = [
                kept.department(v).trim(),
                kept.doctor(v).unwrap_or_default().trim(),
                &month_of(v.date),
            ];
            for t in std::iter::once(&mut overall)
                .chain(groups.iter_mut().zip(keys).map(|(g, k)| tally_of(g, k)))
            {
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

/// The entry for `key`, made without allocating when it is already there.
fn tally_of<'a, T: Default>(g: &'a mut BTreeMap<String, T>, key: &str) -> &'a mut T {
    if !g.contains_key(key) {
        g.insert(key.to_string(), T::default());
    }
    g.get_mut(key).expect("just inserted")
}

pub(super) fn new_returning(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let kept = kept_visits(tx)?;
    let within = scope.on(&kept);
    // Per month, each patient once: new when their first visit ever is in that month.
    let mut per: BTreeMap<String, (i64, i64)> =
        scope.months().into_iter().map(|m| (m, (0, 0))).collect();
    let mut channels: BTreeMap<String, u64> = BTreeMap::new();
    let mut new_in_range = 0u64;
    let mut months: Vec<String> = Vec::new();
    for (p, patient) in kept.patients.iter().enumerate() {
        let Some(first_ever) = patient.visits.first() else {
            continue;
        };
        let first_month = month_of(first_ever.date);
        months.clear();
        for v in patient.visits.iter().filter(|v| within.counts(p, v)) {
            let month = month_of(v.date);
            if months.last() != Some(&month) {
                months.push(month);
            }
        }
        for month in &months {
            let e = tally_of(&mut per, month);
            if *month == first_month {
                e.0 += 1;
                // Where the new patients came from (as recorded on their profile).
                new_in_range += 1;
                *tally_of(&mut channels, kept.channel(patient).unwrap_or("unknown")) += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    let mut by_month = ReportTable::new("by-month", &["month", "new", "returning"]);
    for (m, (n, r)) in per {
        by_month
            .rows
            .push(vec![Cell::Text(m), Cell::Count(n), Cell::Count(r)]);
    }
    let mut sources = ReportTable::new("first-visit-source", &["channel", "patients", "share"]);
    for (c, n) in channels {
        sources.rows.push(vec![
            Cell::Text(c),
            Cell::Count(n as i64),
            Cell::percent(n, new_in_range),
        ]);
    }
    Ok((
        "Each month, each patient with a visit counted once: new when their first visit \
         ever falls in that month, returning otherwise. Sources: how the period's new \
         patients found the clinic, as recorded on their profile.",
        vec![by_month, sources],
    ))
}

pub(super) fn nps(tx: &Transaction<'_>, scope: &Scope) -> Result<(&'static str, Vec<ReportTable>)> {
    let kept = kept_visits(tx)?;
    let within = scope.on(&kept);
    // answers, promoters, passives, detractors, satisfaction sum, satisfaction answers
    let mut per: BTreeMap<String, [u64; 6]> =
        scope.months().into_iter().map(|m| (m, [0; 6])).collect();
    let mut comments: Vec<(usize, &KeptVisit, &str)> = Vec::new();
    for (p, v) in kept.visits().filter(|(p, v)| within.counts(*p, v)) {
        let e = tally_of(&mut per, &month_of(v.date));
        if let Some(n) = v.nps() {
            e[0] += 1;
            e[match n {
                9.. => 1,
                7..=8 => 2,
                _ => 3,
            }] += 1;
            if let Some(said) = kept.comment(&kept.patients[p], v).filter(|_| n <= 6) {
                comments.push((p, v, said));
            }
        }
        if let Some(s) = v.satisfaction() {
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
    comments.sort_by_key(|c| std::cmp::Reverse(c.1.date));
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
    for (p, v, feedback) in comments {
        said.rows.push(vec![
            Cell::Text(v.date.to_string()),
            Cell::Text(kept.patients[p].name.clone()),
            Cell::Count(i64::from(v.nps().unwrap_or(0))),
            Cell::Text(kept.department(v).to_string()),
            Cell::Text(kept.doctor(v).unwrap_or_default().to_string()),
            Cell::Text(feedback.to_string()),
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

pub(super) fn revenue(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let kept = kept_visits(tx)?;
    let within = scope.on(&kept);
    let (tier_names, tier_of) =
        crate::segments::label_of_everyone(tx, Dimension::ValueTier, scope.today)?;
    let tiers: Vec<u32> = kept
        .patients
        .iter()
        .map(|p| {
            uuid::Uuid::parse_str(&p.id)
                .ok()
                .and_then(|id| tier_of.get(&id).copied())
                .unwrap_or(UNKNOWN)
        })
        .collect();
    // Tallied by the names' numbers first (department, doctor, payment type, value
    // tier), then put into words once.
    let mut by_code: [HashMap<u32, (i64, i64)>; 4] = Default::default();
    let mut total = (0i64, 0i64);
    for (p, v) in kept.visits().filter(|(p, v)| within.counts(*p, v)) {
        let codes = [
            v.department_code(),
            v.doctor_code().unwrap_or(UNKNOWN),
            kept.payment_code(&kept.patients[p]).unwrap_or(UNKNOWN),
            tiers[p],
        ];
        for (g, c) in by_code.iter_mut().zip(codes) {
            let e = g.entry(c).or_default();
            e.0 += 1;
            e.1 += v.amount;
        }
        total.0 += 1;
        total.1 += v.amount;
    }
    let word = |g: usize, c: u32| -> &str {
        match (g, c) {
            (1, UNKNOWN) => "",
            (_, UNKNOWN) => "unknown",
            (3, c) => tier_names.get(c as usize).map_or("unknown", |t| t.as_str()),
            (_, c) => kept.name(c).trim(),
        }
    };
    let mut groups: [BTreeMap<String, (i64, i64)>; 4] = Default::default();
    for (g, (tallies, named)) in by_code.iter().zip(groups.iter_mut()).enumerate() {
        for (&c, &(n, amount)) in tallies {
            let e = tally_of(named, word(g, c));
            e.0 += n;
            e.1 += amount;
        }
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
    let rank = |d: Dimension, l: &Option<String>| {
        d.labels()
            .iter()
            .position(|x| Some(*x) == l.as_deref())
            .unwrap_or(9)
    };
    let mut rows = Vec::new();
    for m in crate::segments::at_risk_everyone(tx, scope.today)? {
        if !scope.patient(&m.id.to_string()) {
            continue;
        }
        let overdue = m.days_since - m.usual_days;
        rows.push((
            rank(Dimension::ValueTier, &m.value_tier),
            rank(Dimension::RiskLevel, &m.risk_level),
            -overdue,
            vec![
                Cell::Text(m.id.to_string()),
                Cell::Text(m.name),
                Cell::Text(m.value_tier.unwrap_or_default()),
                Cell::Text(m.risk_level.unwrap_or_default()),
                Cell::Text(m.last_visit.to_string()),
                Cell::Count(m.usual_days),
                Cell::Count(m.days_since),
                Cell::Count(overdue),
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
