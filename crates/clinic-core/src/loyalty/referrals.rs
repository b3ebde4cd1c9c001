//! Referrals: who recommended whom (a patient, or a channel), a patient's referral tree,
//! the top referrers of a period and the share of new patients who came by referral.
//! "New in the period" means the patient's first visit on record falls in it.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result};

/// One patient in a referral tree, with the people they brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReferralNode {
    pub patient_id: String,
    pub name: String,
    /// Whether they have come for a visit yet.
    pub visited: bool,
    pub referred: Vec<ReferralNode>,
    /// Everyone below this patient in the tree.
    pub tree_size: u32,
}

/// The people a patient referred, and whom those referred in turn (to `depth` levels).
pub struct ReferralTree {
    pub patient_id: String,
    pub depth: u32,
}

struct Person {
    name: String,
    visited: bool,
}

impl Operation for ReferralTree {
    type Output = ReferralNode;
    fn action(&self) -> Action {
        Action::PointsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ReferralNode> {
        // The whole referral graph is small (one row per referred patient): read it once.
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut people: HashMap<String, Person> = HashMap::new();
        let mut stmt = tx.prepare(
            "SELECT p.id, p.name, p.referred_by, p.visit_count > 0 FROM patient p
             WHERE p.archived_at IS NULL AND (p.referred_by IS NOT NULL OR p.id = ?1
                 OR EXISTS (SELECT 1 FROM patient c WHERE c.referred_by = p.id))",
        )?;
        let rows = stmt.query_map([&self.patient_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        for row in rows {
            let (id, name, by, visited) = row?;
            if let Some(by) = by {
                children.entry(by).or_default().push(id.clone());
            }
            people.insert(id, Person { name, visited });
        }
        if !people.contains_key(&self.patient_id) {
            return Err(ClinicError::new(
                ErrorCode::NotFound,
                format!("no active patient {}", self.patient_id),
            ));
        }
        fn build(
            id: &str,
            depth: u32,
            children: &HashMap<String, Vec<String>>,
            people: &HashMap<String, Person>,
            seen: &mut std::collections::HashSet<String>,
        ) -> ReferralNode {
            seen.insert(id.to_string());
            let mut referred = Vec::new();
            if depth > 0 {
                for c in children.get(id).into_iter().flatten() {
                    // A loop in hand-entered data (A referred B, B referred A) stops here.
                    if !seen.contains(c) && people.contains_key(c) {
                        referred.push(build(c, depth - 1, children, people, seen));
                    }
                }
            }
            let p = &people[id];
            ReferralNode {
                patient_id: id.to_string(),
                name: p.name.clone(),
                visited: p.visited,
                tree_size: referred.iter().map(|n| 1 + n.tree_size).sum(),
                referred,
            }
        }
        let mut seen = Default::default();
        Ok(build(
            &self.patient_id,
            self.depth.clamp(1, 10),
            &children,
            &people,
            &mut seen,
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Referrer {
    pub patient_id: String,
    pub name: String,
    /// Patients they referred whose first visit fell in the period.
    #[ts(type = "number")]
    pub new_patients: u64,
    /// Everyone they have ever referred.
    #[ts(type = "number")]
    pub all_time: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChannelCount {
    /// `patient` (referred by a patient), `walk-in`, `online`, `signage`, `doctor`, `other`,
    /// or `unknown` (not recorded).
    pub channel: String,
    #[ts(type = "number")]
    pub patients: u64,
}

/// A period's referral figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReferralReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Patients whose first visit fell in the period.
    #[ts(type = "number")]
    pub new_patients: u64,
    /// Of those, referred by a patient.
    #[ts(type = "number")]
    pub referred: u64,
    /// `referred / new_patients`, 0 when there were none; rounded to 0.1 %.
    pub referred_percent: f64,
    pub channels: Vec<ChannelCount>,
    /// Most new patients first (ties: most ever), at most `limit`.
    pub top_referrers: Vec<Referrer>,
}

/// Referral share and top referrers for the period `from..=to` (local days).
pub struct Referrals {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub limit: u32,
}

impl Operation for Referrals {
    type Output = ReferralReport;
    fn action(&self) -> Action {
        Action::PointsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ReferralReport> {
        if self.to < self.from {
            return Err(ClinicError::validation(
                "to",
                crate::error::ValidationRule::OutOfRange,
                "the period ends before it starts",
            ));
        }
        // Each patient's first visit day (the day of its text, the visit's own clock), from
        // the visits kept in memory for whole-clinic questions.
        let kept = crate::visits::kept::kept_visits(tx)?;
        let rows: Vec<_> = kept
            .patients
            .iter()
            .filter(|p| !p.archived)
            .filter(|p| {
                p.visits
                    .first()
                    .is_some_and(|v| v.date >= self.from && v.date <= self.to)
            })
            .collect();
        let mut channels: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_referrer: HashMap<&str, u64> = HashMap::new();
        let mut referred = 0u64;
        for p in &rows {
            let channel = match (&p.referred_by, kept.channel(p)) {
                (Some(_), _) => "patient",
                (None, Some(c)) => c,
                (None, None) => "unknown",
            };
            if let Some(by) = &p.referred_by {
                referred += 1;
                *by_referrer.entry(by).or_default() += 1;
            }
            *channels.entry(channel.to_string()).or_default() += 1;
        }
        // Everyone each referrer brought in, archived patients too.
        let mut all_time: HashMap<&str, u64> = HashMap::new();
        for p in &kept.patients {
            if let Some(by) = &p.referred_by {
                *all_time.entry(by).or_default() += 1;
            }
        }
        let mut top: Vec<Referrer> = Vec::new();
        for (id, n) in by_referrer {
            let name = kept
                .position(id)
                .map(|i| kept.patients[i].name.clone())
                .unwrap_or_default();
            top.push(Referrer {
                patient_id: id.to_string(),
                name,
                new_patients: n,
                all_time: all_time.get(id).copied().unwrap_or(0),
            });
        }
        top.sort_by(|a, b| {
            (b.new_patients, b.all_time, &a.name).cmp(&(a.new_patients, a.all_time, &b.name))
        });
        top.truncate(self.limit.max(1) as usize);
        let new_patients = rows.len() as u64;
        let mut channels: Vec<ChannelCount> = channels
            .into_iter()
            .map(|(channel, patients)| ChannelCount { channel, patients })
            .collect();
        channels.sort_by(|a, b| b.patients.cmp(&a.patients).then(a.channel.cmp(&b.channel)));
        Ok(ReferralReport {
            from: self.from,
            to: self.to,
            new_patients,
            referred,
            referred_percent: if new_patients == 0 {
                0.0
            } else {
                (referred as f64 * 1000.0 / new_patients as f64).round() / 10.0
            },
            channels,
            top_referrers: top,
        })
    }
}
