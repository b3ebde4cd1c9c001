//! Clinic-defined segments: a rule is a tree of AND (`all`) / OR (`any`) / NOT groups over
//! conditions on the profile, the built-in labels, tags and visit facts. Stored as JSON
//! (the shape below is the format, for the window and for `clinic segments save`), checked
//! before it is saved, and evaluated per patient with the facts that decided it, so a
//! member can always be told why they are in.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::dimensions::{Dimension, Facts, PatientLabel};
use crate::error::{ClinicError, Result, ValidationRule};

mod evaluate;

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
