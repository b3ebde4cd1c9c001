//! Which handouts fit a patient, and why: rules per topic (`handouts/topics.toml`) over the
//! patient's conditions, recent visits, age group and habits. Every recommendation carries
//! its reasons as data, so the window can say them in the user's language.

use chrono::{DateTime, FixedOffset, Local};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result};
use crate::patients::profile::Education;
use crate::patients::{self, Patient};

/// One topic's rules, as written in `topics.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Audience {
    pub id: String,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    treatments: Vec<String>,
    #[serde(default = "default_recent_days")]
    recent_days: i64,
    #[serde(default)]
    ages: Vec<String>,
    #[serde(default)]
    smoking: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

fn default_recent_days() -> i64 {
    30
}

#[derive(Deserialize)]
struct Library {
    topic: Vec<Audience>,
}

/// The rules of every built-in topic. The file is ours and a test reads it.
pub(crate) fn audiences() -> Result<Vec<Audience>> {
    let text = include_str!("../../handouts/topics.toml");
    let lib: Library = toml::from_str(text)
        .map_err(|e| ClinicError::new(crate::ErrorCode::Storage, format!("topics.toml: {e}")))?;
    Ok(lib.topic)
}

/// Why a topic is recommended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum Reason {
    /// A condition on the patient's record (`chronic` as recorded).
    Condition {
        name: String,
        chronic: bool,
    },
    /// A recent visit's treatment or diagnosis, `days` ago (one word: ts-rs does not apply
    /// serde's renames to fields inside enum variants).
    RecentVisit {
        treatment: String,
        days: u32,
    },
    AgeGroup {
        group: String,
    },
    Smoking {
        habit: String,
    },
    Work {
        pattern: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Recommendation {
    pub topic: String,
    pub reasons: Vec<Reason>,
    /// The plain-language text suits this patient (primary schooling or none).
    pub plain: bool,
}

/// child 0-12, teenager 13-17, adult 18-64, senior 65+.
pub fn age_group(age: u32) -> &'static str {
    match age {
        0..=12 => "child",
        13..=17 => "teenager",
        18..=64 => "adult",
        _ => "senior",
    }
}

fn contains_any(text: &str, words: &[String]) -> bool {
    let text = text.to_lowercase();
    words.iter().any(|w| text.contains(&w.to_lowercase()))
}

/// A visit's treatment and diagnosis, and when it was.
pub(crate) struct RecentVisit {
    pub at: DateTime<FixedOffset>,
    pub text: String,
}

/// The reasons `audience` fits `patient`, empty when it does not.
pub(crate) fn reasons(
    audience: &Audience,
    patient: &Patient,
    visits: &[RecentVisit],
    now: DateTime<FixedOffset>,
) -> Vec<Reason> {
    let mut out = Vec::new();
    for c in &patient.conditions {
        let code = c.icd10.as_deref().unwrap_or("");
        let by_code = audience
            .conditions
            .iter()
            .any(|w| !code.is_empty() && code.to_uppercase().starts_with(&w.to_uppercase()));
        if by_code || contains_any(&c.name, &audience.conditions) {
            out.push(Reason::Condition {
                name: c.name.clone(),
                chronic: c.chronic,
            });
        }
    }
    if !audience.treatments.is_empty() {
        // The most recent matching visit within the window.
        let found = visits
            .iter()
            .filter(|v| (now - v.at).num_days() <= audience.recent_days && v.at <= now)
            .find(|v| contains_any(&v.text, &audience.treatments));
        if let Some(v) = found {
            let word = audience
                .treatments
                .iter()
                .find(|w| v.text.to_lowercase().contains(&w.to_lowercase()))
                .cloned()
                .unwrap_or_default();
            out.push(Reason::RecentVisit {
                treatment: word,
                days: (now - v.at).num_days().max(0) as u32,
            });
        }
    }
    if let Some(age) = patient.age {
        let group = age_group(age);
        if audience.ages.iter().any(|a| a == group) {
            out.push(Reason::AgeGroup {
                group: group.to_string(),
            });
        }
    }
    if let Some(s) = patient.smoking {
        if audience.smoking.iter().any(|w| w == s.code()) {
            out.push(Reason::Smoking {
                habit: s.code().to_string(),
            });
        }
    }
    if let Some(w) = patient.work_pattern {
        if audience.work.iter().any(|x| x == w.code()) {
            out.push(Reason::Work {
                pattern: w.code().to_string(),
            });
        }
    }
    out
}

/// The handouts that fit one patient, most reasons first.
pub struct RecommendHandouts {
    pub patient_id: Uuid,
}

impl Operation for RecommendHandouts {
    type Output = Vec<Recommendation>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<Recommendation>> {
        let patient = patients::load(tx, self.patient_id)?;
        let mut stmt = tx.prepare(
            "SELECT visited_at, coalesce(treatment, '') || ' ' || coalesce(diagnosis, '')
             FROM visit WHERE patient_id = ?1 AND archived_at IS NULL
             ORDER BY visited_at_ms DESC LIMIT 50",
        )?;
        let visits: Vec<RecentVisit> = stmt
            .query_map([patient.id.to_string()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .filter_map(|r| r.ok())
            .filter_map(|(at, text)| {
                DateTime::parse_from_rfc3339(&at)
                    .ok()
                    .map(|at| RecentVisit { at, text })
            })
            .collect();
        let now = Local::now().fixed_offset();
        let plain = matches!(
            patient.education,
            Some(Education::None | Education::Primary)
        );
        let mut out: Vec<Recommendation> = audiences()?
            .iter()
            .filter_map(|a| {
                let reasons = reasons(a, &patient, &visits, now);
                (!reasons.is_empty()).then(|| Recommendation {
                    topic: a.id.clone(),
                    reasons,
                    plain,
                })
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.reasons.len()));
        Ok(out)
    }
}
