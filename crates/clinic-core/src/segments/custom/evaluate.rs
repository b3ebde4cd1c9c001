//! Evaluating a rule for one patient: whether they match, and the facts that decided it.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::{Rule, RuleReason, Subject};
use crate::segments::dimensions::{age_on, window_start, VisitFact};

impl Rule {
    /// Whether the patient matches, and the facts that decided it: for a matching AND
    /// every item's, for a failing one the failing items'; for OR the reverse; NOT passes
    /// its item's on.
    pub fn evaluate(&self, s: &Subject<'_>) -> (bool, Vec<RuleReason>) {
        self.decide(s, true)
    }

    /// Whether the patient matches, without the reasons (counting a whole clinic).
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.decide(s, false).0
    }

    fn decide(&self, s: &Subject<'_>, explain: bool) -> (bool, Vec<RuleReason>) {
        match self {
            Rule::All { items } if !explain => (items.iter().all(|i| i.matches(s)), Vec::new()),
            Rule::Any { items } if !explain => (items.iter().any(|i| i.matches(s)), Vec::new()),
            Rule::All { items } | Rule::Any { items } => {
                let want_all = matches!(self, Rule::All { .. });
                let results: Vec<(bool, Vec<RuleReason>)> =
                    items.iter().map(|i| i.evaluate(s)).collect();
                let matched = if want_all {
                    results.iter().all(|r| r.0)
                } else {
                    results.iter().any(|r| r.0)
                };
                // The deciding items: those that agree with the outcome.
                let reasons = results
                    .into_iter()
                    .filter(|(m, _)| *m == matched)
                    .flat_map(|(_, r)| r)
                    .collect();
                (matched, reasons)
            }
            Rule::Not { item } => {
                let (m, reasons) = item.decide(s, explain);
                let reasons = reasons
                    .into_iter()
                    .map(|r| RuleReason {
                        negated: !r.negated,
                        ..r
                    })
                    .collect();
                (!m, reasons)
            }
            leaf => leaf.evaluate_leaf(s, explain),
        }
    }

    /// A leaf that decides on clinical facts; a new clinical condition belongs here.
    fn reads_clinical(&self) -> bool {
        match self {
            Rule::Chronic { .. } | Rule::Diagnosis { .. } | Rule::Treatment { .. } => true,
            Rule::Label { dimension, .. } => crate::segments::is_clinical(*dimension),
            // Listed one by one, so a new condition cannot pass without being decided on.
            Rule::All { .. }
            | Rule::Any { .. }
            | Rule::Not { .. }
            | Rule::Tag { .. }
            | Rule::Age { .. }
            | Rule::Sex { .. }
            | Rule::Smoking { .. }
            | Rule::DaysSinceLastVisit { .. }
            | Rule::LastVisit { .. }
            | Rule::Visits { .. }
            | Rule::Spent { .. }
            | Rule::Department { .. }
            | Rule::Nps { .. }
            | Rule::Referrals { .. }
            | Rule::BirthdayWithin { .. }
            | Rule::AppointmentWithin { .. }
            | Rule::NoShows { .. }
            | Rule::Points { .. } => false,
        }
    }

    fn evaluate_leaf(&self, s: &Subject<'_>, explain: bool) -> (bool, Vec<RuleReason>) {
        let f = s.facts;
        let today = s.today;
        // The facts and sentence only when asked for: deciding 100k patients needs neither.
        macro_rules! why {
            ($matched:expr, $kind:expr, $facts:expr, $text:expr $(,)?) => {
                if explain {
                    ($matched, $kind, $facts, $text)
                } else {
                    ($matched, $kind, Vec::new(), String::new())
                }
            };
        }
        let (matched, kind, facts, text): (bool, &str, Vec<(&str, String)>, String) = match self {
            Rule::Label { dimension, label } => {
                let mine = s.labels.iter().find(|l| l.dimension == *dimension);
                let got: &str = mine.map_or("unknown", |l| &*l.label);
                why!(
                    got == label.as_str(),
                    "label",
                    vec![
                        ("dimension", dimension.code().into()),
                        ("label", got.to_string()),
                    ],
                    mine.map_or(format!("{}: unknown", dimension.code()), |l| l.text.clone()),
                )
            }
            Rule::Tag { name } => {
                let has = f
                    .tags
                    .iter()
                    .any(|t| t.to_lowercase() == name.to_lowercase());
                why!(
                    has,
                    "tag",
                    vec![("name", name.clone()), ("has", has.to_string())],
                    format!("tag {name}: {}", if has { "yes" } else { "no" }),
                )
            }
            Rule::Age { min, max } => match f.birth_date {
                None => why!(false, "age", vec![], "age unknown".into()),
                Some(b) => {
                    let age = age_on(b, today);
                    why!(
                        within(age, *min, *max),
                        "age",
                        vec![("age", age.to_string())],
                        format!("{age} years old"),
                    )
                }
            },
            Rule::Sex { sex } => {
                let got = f.sex.clone().unwrap_or_default();
                why!(
                    got == *sex,
                    "sex",
                    vec![("sex", got.clone())],
                    format!("sex {}", if got.is_empty() { "unknown" } else { &got }),
                )
            }
            Rule::Smoking { status } => {
                let got = f.smoking.clone().unwrap_or_default();
                why!(
                    got == *status,
                    "smoking",
                    vec![("status", got.clone())],
                    format!("smoking: {}", if got.is_empty() { "unknown" } else { &got }),
                )
            }
            Rule::Chronic { terms } => {
                let hits: Vec<&String> = f
                    .chronic
                    .iter()
                    .filter(|c| terms.is_empty() || contains_any(c, terms))
                    .collect();
                let list = join(&hits);
                why!(
                    !hits.is_empty(),
                    "chronic",
                    vec![("conditions", list.clone())],
                    if hits.is_empty() {
                        "no such chronic condition".into()
                    } else {
                        format!("chronic: {list}")
                    },
                )
            }
            Rule::DaysSinceLastVisit { min, max } => match f.visits.first() {
                None => why!(
                    max.is_none(),
                    "daysSinceLastVisit",
                    vec![],
                    "no visit yet".into(),
                ),
                Some(v) => {
                    let days = (today - v.date).num_days().max(0) as u32;
                    why!(
                        within(days, *min, *max),
                        "daysSinceLastVisit",
                        vec![("days", days.to_string()), ("date", v.date.to_string())],
                        format!("last visit {} ({days} days ago)", v.date),
                    )
                }
            },
            Rule::LastVisit { after, before } => match f.visits.first() {
                None => why!(false, "lastVisit", vec![], "no visit yet".into()),
                Some(v) => why!(
                    after.is_none_or(|a| v.date >= a) && before.is_none_or(|b| v.date <= b),
                    "lastVisit",
                    vec![("date", v.date.to_string())],
                    format!("last visit {}", v.date),
                ),
            },
            Rule::Visits { months, min, max } => {
                let n = in_window(&f.visits, *months, today).count() as u32;
                why!(
                    within(n, *min, *max),
                    "visits",
                    vec![("visits", n.to_string()), ("months", months_text(*months))],
                    format!("{n} visit(s) {}", window_text(*months)),
                )
            }
            Rule::Spent { months, min, max } => {
                let minor: i64 = in_window(&f.visits, *months, today)
                    .map(|v| v.amount_minor)
                    .sum();
                let spent = Decimal::new(minor, 2);
                why!(
                    min.is_none_or(|m| spent >= m) && max.is_none_or(|m| spent <= m),
                    "spent",
                    vec![
                        ("amount", spent.to_string()),
                        ("months", months_text(*months)),
                    ],
                    format!("spent {spent} {}", window_text(*months)),
                )
            }
            Rule::Department { name, months } => {
                let hit = in_window(&f.visits, *months, today)
                    .find(|v| v.department().to_lowercase() == name.trim().to_lowercase());
                visit_reason("department", hit, *months, name.clone(), |v| {
                    v.department().to_string()
                })
            }
            Rule::Diagnosis { terms, months } => {
                let hit = in_window(&f.visits, *months, today)
                    .find(|v| contains_any(v.diagnosis(), terms));
                visit_reason("diagnosis", hit, *months, terms.join(" / "), |v| {
                    v.diagnosis().to_string()
                })
            }
            Rule::Treatment { terms, months } => {
                let hit = in_window(&f.visits, *months, today)
                    .find(|v| contains_any(v.treatment(), terms));
                visit_reason("treatment", hit, *months, terms.join(" / "), |v| {
                    v.treatment().to_string()
                })
            }
            Rule::Nps { months, min, max } => {
                match in_window(&f.visits, *months, today).find_map(|v| v.nps.map(|n| (v, n))) {
                    None => why!(
                        false,
                        "nps",
                        vec![("months", months_text(*months))],
                        format!("no recommendation answer {}", window_text(*months)),
                    ),
                    Some((v, n)) => why!(
                        within(u32::from(n), *min, *max),
                        "nps",
                        vec![("score", n.to_string()), ("date", v.date.to_string())],
                        format!("latest recommendation answer {n} on {}", v.date),
                    ),
                }
            }
            Rule::Referrals { min } => why!(
                f.referrals >= *min,
                "referrals",
                vec![("referrals", f.referrals.to_string())],
                format!("{} patient(s) referred", f.referrals),
            ),
            Rule::BirthdayWithin { days } => match f.birth_date {
                None => why!(false, "birthday", vec![], "birth date unknown".into()),
                Some(b) => {
                    let next = next_birthday(b, today);
                    let until = (next - today).num_days();
                    why!(
                        until <= i64::from(*days),
                        "birthday",
                        vec![("date", next.to_string()), ("days", until.to_string())],
                        format!("birthday {next} (in {until} days)"),
                    )
                }
            },
            Rule::AppointmentWithin { days } => {
                let until = today + chrono::Days::new(u64::from(*days));
                match f
                    .booked
                    .iter()
                    .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .find(|d| *d >= today)
                {
                    Some(next) => why!(
                        next <= until,
                        "appointment",
                        vec![("date", next.to_string())],
                        format!("next appointment {next}"),
                    ),
                    None => why!(false, "appointment", vec![], "no appointment booked".into()),
                }
            }
            Rule::Points { min, max } => why!(
                min.is_none_or(|m| f.points >= i64::from(m))
                    && max.is_none_or(|m| f.points <= i64::from(m)),
                "points",
                vec![("balance", f.points.to_string())],
                format!("{} points", f.points),
            ),
            Rule::NoShows { months, min } => {
                let from = months.map_or(NaiveDate::MIN, |m| window_start(today, m));
                let missed: Vec<&String> = f
                    .no_shows
                    .iter()
                    .filter(|d| {
                        NaiveDate::parse_from_str(d, "%Y-%m-%d")
                            .is_ok_and(|d| d >= from && d <= today)
                    })
                    .collect();
                why!(
                    missed.len() as u32 >= *min,
                    "noShows",
                    vec![
                        ("count", missed.len().to_string()),
                        (
                            "last",
                            missed.last().map_or(String::new(), |d| d.to_string()),
                        ),
                        ("months", months.map_or(String::new(), |m| m.to_string())),
                    ],
                    format!(
                        "{} missed appointment(s) {}",
                        missed.len(),
                        window_text(*months)
                    ),
                )
            }
            Rule::All { .. } | Rule::Any { .. } | Rule::Not { .. } => {
                unreachable!("groups are evaluated by `evaluate`")
            }
        };
        if !explain {
            return (matched, Vec::new());
        }
        (
            matched,
            vec![RuleReason {
                kind: kind.into(),
                clinical: self.reads_clinical(),
                negated: false,
                facts: facts.into_iter().map(|(k, v)| (k.into(), v)).collect(),
                text,
            }],
        )
    }
}

fn within(v: u32, min: Option<u32>, max: Option<u32>) -> bool {
    min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
}

/// Case-insensitive for Latin script; Chinese has no case. Runs for every visit of every
/// patient: text already in lower case (all Chinese text) is not copied.
fn contains_any(text: &str, terms: &[String]) -> bool {
    fn lower(s: &str) -> std::borrow::Cow<'_, str> {
        if s.chars().any(char::is_uppercase) {
            s.to_lowercase().into()
        } else {
            s.into()
        }
    }
    let text = lower(text);
    terms.iter().any(|t| {
        let t = t.trim();
        !t.is_empty() && text.contains(lower(t).as_ref())
    })
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn in_window(
    visits: &[VisitFact],
    months: Option<u32>,
    today: NaiveDate,
) -> impl Iterator<Item = &VisitFact> + '_ {
    let from = months.map_or(NaiveDate::MIN, |m| window_start(today, m));
    visits
        .iter()
        .filter(move |v| v.date >= from && v.date <= today)
}

fn months_text(months: Option<u32>) -> String {
    months.map_or(String::new(), |m| m.to_string())
}

fn window_text(months: Option<u32>) -> String {
    months.map_or("in all".into(), |m| format!("in {m} months"))
}

/// A visit condition's reason: the latest visit that matched, or that none did.
fn visit_reason(
    kind: &'static str,
    hit: Option<&VisitFact>,
    months: Option<u32>,
    wanted: String,
    shown: impl Fn(&VisitFact) -> String,
) -> (bool, &'static str, Vec<(&'static str, String)>, String) {
    match hit {
        Some(v) => (
            true,
            kind,
            vec![
                ("date", v.date.to_string()),
                ("value", shown(v)),
                ("wanted", wanted),
                ("months", months_text(months)),
            ],
            format!("{kind} on {}: {}", v.date, shown(v)),
        ),
        None => (
            false,
            kind,
            vec![("wanted", wanted.clone()), ("months", months_text(months))],
            format!("no visit with {kind} {wanted} {}", window_text(months)),
        ),
    }
}

/// The next birthday on or after today; 29 February is kept on 1 March in other years.
fn next_birthday(birth: NaiveDate, today: NaiveDate) -> NaiveDate {
    let on = |year: i32| {
        NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
            .expect("a real date")
    };
    let this_year = on(today.year());
    if this_year >= today {
        this_year
    } else {
        on(today.year() + 1)
    }
}
