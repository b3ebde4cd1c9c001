//! Clinic-defined segments: a rule is a tree of AND (`all`) / OR (`any`) / NOT groups over
//! conditions on the profile, the built-in labels, tags and visit facts. Stored as JSON
//! (the shape below is the format, for the window and for `clinic segments save`), checked
//! before it is saved, and evaluated per patient with the facts that decided it, so a
//! member can always be told why they are in.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::dimensions::{age_on, window_start, Dimension, Facts, PatientLabel, VisitFact};
use crate::error::{ClinicError, Result, ValidationRule};

/// One node of a rule. Leaves with `min`/`max` include both ends; a leaf with `months`
/// looks at the trailing window of that many months ending today (none: all time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum Rule {
    /// Every item holds (AND).
    All { items: Vec<Rule> },
    /// At least one item holds (OR).
    Any { items: Vec<Rule> },
    /// The item does not hold.
    Not { item: Box<Rule> },
    /// A built-in label, e.g. value-tier = high-value.
    Label { dimension: Dimension, label: String },
    /// Carries the staff tag of this name.
    Tag { name: String },
    /// Age in whole years today.
    Age { min: Option<u32>, max: Option<u32> },
    /// M, F or O as recorded.
    Sex { sex: String },
    /// never / former / current.
    Smoking { status: String },
    /// A chronic condition (any, or one whose name contains one of the terms).
    Chronic { terms: Vec<String> },
    /// Days since the latest visit; a patient with no visit has none, which counts as
    /// more than any `min` and fails any `max`.
    DaysSinceLastVisit { min: Option<u32>, max: Option<u32> },
    /// The latest visit's date, on or after / on or before.
    LastVisit {
        after: Option<NaiveDate>,
        before: Option<NaiveDate>,
    },
    /// Number of visits in the window.
    Visits {
        months: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
    },
    /// Money spent in the window (decimal, in the clinic's currency).
    Spent {
        months: Option<u32>,
        #[ts(type = "string | null")]
        min: Option<Decimal>,
        #[ts(type = "string | null")]
        max: Option<Decimal>,
    },
    /// A visit to this department in the window.
    Department { name: String, months: Option<u32> },
    /// A visit whose diagnosis contains one of the terms, in the window.
    Diagnosis {
        terms: Vec<String>,
        months: Option<u32>,
    },
    /// A visit whose treatment contains one of the terms, in the window.
    Treatment {
        terms: Vec<String>,
        months: Option<u32>,
    },
    /// The latest recommendation answer (0-10) in the window is between min and max.
    Nps {
        months: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
    },
    /// Has recommended at least this many patients.
    Referrals { min: u32 },
    /// The birthday falls within the next `days` days (0: today).
    BirthdayWithin { days: u32 },
    /// An appointment booked (scheduled or confirmed) within the next `days` days (0:
    /// today); NOT of it finds who has nothing booked.
    AppointmentWithin { days: u32 },
    /// At least `min` missed appointments (no-shows) in the window.
    NoShows { months: Option<u32>, min: u32 },
    /// The loyalty points balance is between min and max.
    Points { min: Option<u32>, max: Option<u32> },
}

/// A fact that decided a rule for one patient: `kind` is the condition's, `facts` its
/// values for the window to word, `text` the same in English for the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RuleReason {
    pub kind: String,
    /// The condition reads clinical facts (a condition, a diagnosis, a treatment, a label
    /// worked out from them): who may not view clinical details gets it unnamed.
    #[serde(skip)]
    #[ts(skip)]
    pub clinical: bool,
    /// Inside a NOT: the fact is why the inner condition failed.
    pub negated: bool,
    pub facts: BTreeMap<String, String>,
    pub text: String,
}

impl RuleReason {
    /// The reasons in one line of English, as the CLI and the call list show them.
    pub fn line(why: &[RuleReason]) -> String {
        why.iter()
            .map(|r| {
                if r.negated {
                    format!("not: {}", r.text)
                } else {
                    r.text.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a rule sees of one patient.
pub struct Subject<'a> {
    pub facts: &'a Facts,
    /// The built-in labels (only filled when the rule has a label condition).
    pub labels: &'a [PatientLabel],
    pub today: NaiveDate,
}

const MAX_DEPTH: usize = 6;
const MAX_NODES: usize = 100;
const MAX_MONTHS: u32 = 240;

fn bad(why: impl Into<String>) -> ClinicError {
    ClinicError::validation("rule", ValidationRule::OutOfRange, why)
}

impl Rule {
    /// Whether evaluating needs the built-in labels.
    pub fn uses_labels(&self) -> bool {
        self.any_node(&|r| matches!(r, Rule::Label { .. }))
    }

    /// Whether evaluating needs the visits' text (department, diagnosis, treatment): the
    /// slow path, through every visit row.
    pub fn uses_visit_text(&self) -> bool {
        self.any_node(&|r| {
            matches!(
                r,
                Rule::Department { .. } | Rule::Diagnosis { .. } | Rule::Treatment { .. }
            )
        })
    }

    /// Whether evaluating needs the other detail facts (tags, sex, smoking, appointments).
    pub fn uses_detail(&self) -> bool {
        self.any_node(&|r| {
            matches!(
                r,
                Rule::Tag { .. }
                    | Rule::Sex { .. }
                    | Rule::Smoking { .. }
                    | Rule::AppointmentWithin { .. }
                    | Rule::NoShows { .. }
                    | Rule::Points { .. }
            )
        })
    }

    fn any_node(&self, f: &dyn Fn(&Rule) -> bool) -> bool {
        f(self)
            || match self {
                Rule::All { items } | Rule::Any { items } => items.iter().any(|i| i.any_node(f)),
                Rule::Not { item } => item.any_node(f),
                _ => false,
            }
    }

    /// Every tag name the rule tests for.
    pub fn tag_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.visit(&mut |r| {
            if let Rule::Tag { name } = r {
                out.push(name.clone());
            }
        });
        out
    }

    fn visit(&self, f: &mut dyn FnMut(&Rule)) {
        f(self);
        match self {
            Rule::All { items } | Rule::Any { items } => items.iter().for_each(|i| i.visit(f)),
            Rule::Not { item } => item.visit(f),
            _ => {}
        }
    }

    /// The same rule with a tag renamed (case-insensitive match, as tag names are unique
    /// without regard to case).
    pub fn with_tag_renamed(&self, from: &str, to: &str) -> Rule {
        match self {
            Rule::All { items } => Rule::All {
                items: items.iter().map(|i| i.with_tag_renamed(from, to)).collect(),
            },
            Rule::Any { items } => Rule::Any {
                items: items.iter().map(|i| i.with_tag_renamed(from, to)).collect(),
            },
            Rule::Not { item } => Rule::Not {
                item: Box::new(item.with_tag_renamed(from, to)),
            },
            Rule::Tag { name } if name.to_lowercase() == from.to_lowercase() => Rule::Tag {
                name: to.to_string(),
            },
            other => other.clone(),
        }
    }

    /// A rule that can be evaluated and means what it says: groups not empty, not too deep
    /// or large, ranges the right way round, known labels and codes, windows of real length.
    /// (Whether a tag exists is checked against the clinic by the caller.)
    pub fn validate(&self) -> Result<()> {
        let mut nodes = 0;
        self.check(1, &mut nodes)?;
        if nodes > MAX_NODES {
            return Err(bad(format!(
                "a rule has at most {MAX_NODES} conditions and groups"
            )));
        }
        Ok(())
    }

    fn check(&self, depth: usize, nodes: &mut usize) -> Result<()> {
        *nodes += 1;
        if depth > MAX_DEPTH {
            return Err(bad(format!("groups nest at most {MAX_DEPTH} deep")));
        }
        let range = |min: Option<u32>, max: Option<u32>, what: &str| match (min, max) {
            (None, None) => Err(bad(format!("{what}: give a lowest or a highest value"))),
            (Some(a), Some(b)) if a > b => Err(bad(format!(
                "{what}: the lowest value is above the highest"
            ))),
            _ => Ok(()),
        };
        let window = |months: Option<u32>| match months {
            Some(m) if m == 0 || m > MAX_MONTHS => {
                Err(bad(format!("a window is 1 to {MAX_MONTHS} months")))
            }
            _ => Ok(()),
        };
        let terms_ok = |terms: &[String], what: &str| {
            if terms.iter().any(|t| t.trim().is_empty()) {
                Err(bad(format!("{what}: a search word is empty")))
            } else {
                Ok(())
            }
        };
        match self {
            Rule::All { items } | Rule::Any { items } => {
                if items.is_empty() {
                    return Err(bad("a group needs at least one condition"));
                }
                for i in items {
                    i.check(depth + 1, nodes)?;
                }
                Ok(())
            }
            Rule::Not { item } => item.check(depth + 1, nodes),
            Rule::Label { dimension, label } => {
                if dimension.is_label(label) {
                    Ok(())
                } else {
                    Err(ClinicError::validation(
                        "rule",
                        ValidationRule::UnknownValue,
                        format!(
                            "{} has the labels {}",
                            dimension.code(),
                            dimension.labels().join(", ")
                        ),
                    ))
                }
            }
            Rule::Tag { name } => {
                if name.trim().is_empty() {
                    Err(bad("a tag condition needs a tag"))
                } else {
                    Ok(())
                }
            }
            Rule::Age { min, max } => range(*min, *max, "age"),
            Rule::Sex { sex } => code_in(sex, &["M", "F", "O"], "sex"),
            Rule::Smoking { status } => code_in(status, &["never", "former", "current"], "smoking"),
            Rule::Chronic { terms } => terms_ok(terms, "chronic condition"),
            Rule::DaysSinceLastVisit { min, max } => range(*min, *max, "days since last visit"),
            Rule::LastVisit { after, before } => match (after, before) {
                (None, None) => Err(bad("last visit: give a first or a last date")),
                (Some(a), Some(b)) if a > b => Err(bad("last visit: the dates are reversed")),
                _ => Ok(()),
            },
            Rule::Visits { months, min, max } | Rule::Nps { months, min, max } => {
                window(*months)?;
                range(*min, *max, "count")?;
                if matches!(self, Rule::Nps { .. }) && max.unwrap_or(0).max(min.unwrap_or(0)) > 10 {
                    return Err(bad("recommendation answers run 0 to 10"));
                }
                Ok(())
            }
            Rule::Spent { months, min, max } => {
                window(*months)?;
                for v in [min, max].into_iter().flatten() {
                    if v.is_sign_negative() || v.scale() > 2 {
                        return Err(ClinicError::validation(
                            "rule",
                            ValidationRule::TooManyDecimals,
                            "amounts are positive with at most two decimals",
                        ));
                    }
                }
                match (min, max) {
                    (None, None) => Err(bad("spent: give a lowest or a highest amount")),
                    (Some(a), Some(b)) if a > b => Err(bad("spent: the amounts are reversed")),
                    _ => Ok(()),
                }
            }
            Rule::Department { name, months } => {
                window(*months)?;
                if name.trim().is_empty() {
                    return Err(bad("a department condition needs a department"));
                }
                Ok(())
            }
            Rule::Diagnosis { terms, months } | Rule::Treatment { terms, months } => {
                window(*months)?;
                if terms.is_empty() {
                    return Err(bad("give at least one word to look for"));
                }
                terms_ok(terms, "words")
            }
            Rule::Referrals { .. } => Ok(()),
            Rule::Points { min, max } => range(*min, *max, "points"),
            Rule::NoShows { months, min } => {
                window(*months)?;
                if *min == 0 {
                    Err(bad("no-shows: at least 1"))
                } else {
                    Ok(())
                }
            }
            Rule::AppointmentWithin { days } | Rule::BirthdayWithin { days } => {
                if *days > 366 {
                    Err(bad("birthdays within 0 to 366 days"))
                } else {
                    Ok(())
                }
            }
        }
    }

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
            Rule::Label { dimension, .. } => super::is_clinical(*dimension),
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

fn code_in(value: &str, allowed: &[&str], what: &str) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ClinicError::validation(
            "rule",
            ValidationRule::UnknownValue,
            format!("{what} is one of {}", allowed.join(", ")),
        ))
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
