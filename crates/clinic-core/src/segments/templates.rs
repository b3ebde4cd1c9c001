//! The ready-made rule segments a clinic can start from: what small clinics ask for most
//! (recalls, chronic follow-ups, unhappy patients, birthdays), with treatment and condition
//! words in Simplified and Traditional Chinese and English as clinics write them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::custom::Rule;
use super::dimensions::Dimension;

/// A ready-made rule a clinic can start from. `key` names it for the window's
/// translations; `name` is the English name for the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SegmentTemplate {
    pub key: String,
    pub name: String,
    pub rule: Rule,
}

fn label(dimension: Dimension, label: &str) -> Rule {
    Rule::Label {
        dimension,
        label: label.into(),
    }
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

fn all(items: Vec<Rule>) -> Rule {
    Rule::All { items }
}

fn not(item: Rule) -> Rule {
    Rule::Not {
        item: Box::new(item),
    }
}

/// The ready-made segments. Treatment and condition words are given in Simplified and
/// Traditional Chinese and English, as clinics write them.
pub fn templates() -> Vec<SegmentTemplate> {
    let scaling = words(&["洁治", "潔治", "洗牙", "洁牙", "scaling", "cleaning"]);
    let fluoride = words(&["氟", "fluorid"]);
    let t = |key: &str, name: &str, rule: Rule| SegmentTemplate {
        key: key.into(),
        name: name.into(),
        rule,
    };
    vec![
        t(
            "chronic-not-seen-90",
            "Chronic patients not seen in 90 days",
            all(vec![
                Rule::Chronic { terms: vec![] },
                Rule::DaysSinceLastVisit {
                    min: Some(90),
                    max: None,
                },
            ]),
        ),
        t(
            "children-fluoride-due",
            "Children due for fluoride",
            all(vec![
                label(Dimension::AgeGroup, "child"),
                not(Rule::Treatment {
                    terms: fluoride,
                    months: Some(6),
                }),
            ]),
        ),
        t(
            "detractors-3-months",
            "Detractors in the last 3 months",
            Rule::Nps {
                months: Some(3),
                min: None,
                max: Some(6),
            },
        ),
        t(
            "high-value-at-risk",
            "High-value patients at risk",
            all(vec![
                label(Dimension::ValueTier, "high-value"),
                label(Dimension::Lifecycle, "at-risk"),
            ]),
        ),
        t(
            "scaling-due",
            "Due for scaling (none in 6 months)",
            all(vec![
                Rule::Treatment {
                    terms: scaling.clone(),
                    months: None,
                },
                not(Rule::Treatment {
                    terms: scaling,
                    months: Some(6),
                }),
            ]),
        ),
        t(
            "diabetes-review-due",
            "Diabetes patients due for a 3-month review",
            all(vec![
                Rule::Chronic {
                    terms: words(&["糖尿病", "diabet"]),
                },
                Rule::DaysSinceLastVisit {
                    min: Some(90),
                    max: None,
                },
            ]),
        ),
        t(
            "no-second-visit",
            "First visit 30-180 days ago, no second visit",
            all(vec![
                Rule::Visits {
                    months: None,
                    min: Some(1),
                    max: Some(1),
                },
                Rule::DaysSinceLastVisit {
                    min: Some(30),
                    max: Some(180),
                },
            ]),
        ),
        t(
            "lapsed-regulars",
            "Lapsed regulars (3+ visits, none in 18 months)",
            all(vec![
                label(Dimension::Lifecycle, "lapsed"),
                Rule::Visits {
                    months: None,
                    min: Some(3),
                    max: None,
                },
            ]),
        ),
        t(
            "promoters-no-referral",
            "Promoters who have not referred anyone yet",
            all(vec![
                label(Dimension::NpsRole, "promoter"),
                not(Rule::Referrals { min: 1 }),
            ]),
        ),
        t(
            "birthdays-this-week",
            "Birthdays in the next 7 days",
            Rule::BirthdayWithin { days: 7 },
        ),
        t(
            "unhappy-recently",
            "Unhappy recently (low satisfaction or a low recommendation in 6 months)",
            Rule::Any {
                items: vec![
                    label(Dimension::Satisfaction, "low"),
                    Rule::Nps {
                        months: Some(6),
                        min: None,
                        max: Some(6),
                    },
                ],
            },
        ),
    ]
}
