//! Membership tiers: from each patient's spend and visits over the trailing 12 months,
//! requalified monthly; every change of tier is logged with the facts that made it.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::settings;
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result};

/// One tier: reached by spending at least `min_spend` (in the clinic's currency) **or**
/// visiting at least `min_visits` times in the trailing 12 months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TierRule {
    /// `regular`, `silver`, `gold`, `vip` are translated in the window; any other name is
    /// shown as typed.
    pub name: String,
    #[ts(type = "string")]
    pub min_spend: Decimal,
    pub min_visits: u32,
    /// What members of the tier get, as the desk tells them.
    pub benefits: String,
}

/// The default ladder (the first tier is everyone's base).
pub fn default_tiers() -> Vec<TierRule> {
    let tier = |name: &str, spend: i64, visits: u32| TierRule {
        name: name.into(),
        min_spend: Decimal::from(spend),
        min_visits: visits,
        benefits: String::new(),
    };
    vec![
        tier("regular", 0, 0),
        tier("silver", 2000, 4),
        tier("gold", 5000, 8),
        tier("vip", 10000, 12),
    ]
}

/// The highest tier the facts reach (index into `tiers`; 0 is the base).
pub fn tier_for(tiers: &[TierRule], spend_minor: i64, visits: u32) -> usize {
    let spend = Decimal::new(spend_minor, 2);
    tiers
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, t)| spend >= t.min_spend || (t.min_visits > 0 && visits >= t.min_visits))
        .map(|(i, _)| i)
        .next_back()
        .unwrap_or(0)
}

/// A patient's tier and the change history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Membership {
    pub tier: String,
    pub since: Option<NaiveDate>,
    pub benefits: String,
    /// The facts at the last requalification.
    #[ts(type = "number")]
    pub spend_minor: i64,
    pub visits: u32,
    pub qualified_on: Option<NaiveDate>,
    /// Newest first.
    pub changes: Vec<TierChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TierChange {
    pub from: String,
    pub to: String,
    pub on: NaiveDate,
    #[ts(type = "number")]
    pub spend_minor: i64,
    pub visits: u32,
}

pub(crate) fn membership(tx: &Transaction<'_>, patient: &str) -> Result<Membership> {
    let s = settings(tx)?;
    let tiers = if s.tiers.is_empty() {
        default_tiers()
    } else {
        s.tiers
    };
    let row: Option<(String, NaiveDate, i64, u32, NaiveDate)> = tx
        .query_row(
            "SELECT tier, since, spend_minor, visits, qualified_on FROM membership WHERE patient_id = ?1",
            [patient],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let mut stmt = tx.prepare_cached(
        "SELECT from_tier, to_tier, on_day, spend_minor, visits FROM tier_change
         WHERE patient_id = ?1 ORDER BY id DESC",
    )?;
    let changes = stmt
        .query_map([patient], |r| {
            Ok(TierChange {
                from: r.get(0)?,
                to: r.get(1)?,
                on: r.get(2)?,
                spend_minor: r.get(3)?,
                visits: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let base = tiers[0].name.clone();
    let (tier, since, spend_minor, visits, qualified_on) = match row {
        Some((t, since, spend, visits, q)) => (t, Some(since), spend, visits, Some(q)),
        None => (base, changes.first().map(|c| c.on), 0, 0, None),
    };
    let benefits = tiers
        .iter()
        .find(|t| t.name == tier)
        .map(|t| t.benefits.clone())
        .unwrap_or_default();
    Ok(Membership {
        tier,
        since,
        benefits,
        spend_minor,
        visits,
        qualified_on,
        changes,
    })
}

pub struct GetMembership {
    pub patient_id: String,
}

impl Operation for GetMembership {
    type Output = Membership;
    fn action(&self) -> Action {
        Action::PointsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Membership> {
        membership(tx, &self.patient_id)
    }
}

/// What a requalification did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TierRun {
    pub on: NaiveDate,
    /// False when it had already run this month (or the programme is off): nothing changed.
    pub ran: bool,
    #[ts(type = "number")]
    pub changed: u64,
    /// Members per tier after the run, base tier first.
    pub members: Vec<TierCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TierCount {
    pub tier: String,
    #[ts(type = "number")]
    pub patients: u64,
}

/// Requalifies every patient from the 12 months up to `on`. Runs once a month unless
/// `force` (a changed ladder, a script); changes are logged.
pub struct RequalifyTiers {
    pub on: NaiveDate,
    pub force: bool,
}

impl Operation for RequalifyTiers {
    type Output = TierRun;
    fn action(&self) -> Action {
        Action::PointsExpire
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<TierRun> {
        let s = settings(tx)?;
        let last: Option<NaiveDate> = tx.query_row(
            "SELECT tiers_requalified_on FROM loyalty_setting WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        let same_month = last
            .is_some_and(|d| d.format("%Y-%m").to_string() == self.on.format("%Y-%m").to_string());
        if !s.enabled || (same_month && !self.force) {
            return Ok(TierRun {
                on: self.on,
                ran: false,
                changed: 0,
                members: counts(tx, &tiers_of(&s))?,
            });
        }
        let tiers = tiers_of(&s);
        let from = self
            .on
            .checked_sub_months(Months::new(12))
            .ok_or_else(|| ClinicError::new(ErrorCode::Storage, "date out of range"))?;
        // Visits in (on − 12 months, on], by the day in their own offset: the text's first
        // ten characters are that day.
        let mut facts: HashMap<String, (i64, u32)> = HashMap::new();
        {
            let mut stmt = tx.prepare(
                "SELECT v.patient_id,
                        sum(CASE WHEN ?3 AND p.payment_type = 'public-insurance' THEN 0
                                 ELSE coalesce(v.amount_minor, 0) END),
                        count(*)
                 FROM visit v JOIN patient p ON p.id = v.patient_id
                 WHERE v.archived_at IS NULL AND p.archived_at IS NULL
                   AND substr(v.visited_at, 1, 10) > ?1 AND substr(v.visited_at, 1, 10) <= ?2
                 GROUP BY v.patient_id",
            )?;
            let rows = stmt.query_map(
                params![
                    from.to_string(),
                    self.on.to_string(),
                    s.exclude_public_insurance
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )?;
            for row in rows {
                let (p, spend, n) = row?;
                facts.insert(p, (spend, n.to_u32().unwrap_or(u32::MAX)));
            }
        }
        let current: HashMap<String, String> = tx
            .prepare("SELECT patient_id, tier FROM membership")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let base = tiers[0].name.clone();
        let mut patients: Vec<&String> = facts.keys().chain(current.keys()).collect();
        patients.sort();
        patients.dedup();
        let mut changed = 0;
        for p in patients {
            let (spend, visits) = facts.get(p).copied().unwrap_or((0, 0));
            let to = &tiers[tier_for(&tiers, spend, visits)].name;
            let was = current.get(p).unwrap_or(&base);
            if to != was {
                changed += 1;
                tx.execute(
                    "INSERT INTO tier_change (patient_id, from_tier, to_tier, on_day, spend_minor, visits)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![p, was, to, self.on, spend, visits],
                )?;
            }
            if *to == base {
                tx.execute("DELETE FROM membership WHERE patient_id = ?1", [p])?;
            } else {
                tx.execute(
                    "INSERT INTO membership (patient_id, tier, since, spend_minor, visits, qualified_on)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?3)
                     ON CONFLICT (patient_id) DO UPDATE SET
                         since = CASE WHEN tier = excluded.tier THEN since ELSE excluded.since END,
                         tier = excluded.tier, spend_minor = excluded.spend_minor,
                         visits = excluded.visits, qualified_on = excluded.qualified_on",
                    params![p, to, self.on, spend, visits],
                )?;
            }
        }
        tx.execute(
            "UPDATE loyalty_setting SET tiers_requalified_on = ?1 WHERE id = 1",
            [self.on],
        )?;
        Ok(TierRun {
            on: self.on,
            ran: true,
            changed,
            members: counts(tx, &tiers)?,
        })
    }
}

fn tiers_of(s: &super::LoyaltySettings) -> Vec<TierRule> {
    if s.tiers.is_empty() {
        default_tiers()
    } else {
        s.tiers.clone()
    }
}

fn counts(tx: &Transaction<'_>, tiers: &[TierRule]) -> Result<Vec<TierCount>> {
    let total: i64 = tx.query_row(
        "SELECT count(*) FROM patient WHERE archived_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    let by: HashMap<String, i64> = tx
        .prepare("SELECT tier, count(*) FROM membership GROUP BY tier")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let above: i64 = by.values().sum();
    Ok(tiers
        .iter()
        .enumerate()
        .map(|(i, t)| TierCount {
            tier: t.name.clone(),
            patients: if i == 0 {
                (total - above).max(0) as u64
            } else {
                by.get(&t.name).copied().unwrap_or(0) as u64
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_tier_reached_by_spend_or_visits() {
        let t = default_tiers();
        assert_eq!(t[tier_for(&t, 0, 0)].name, "regular");
        assert_eq!(t[tier_for(&t, 199_999, 3)].name, "regular");
        assert_eq!(t[tier_for(&t, 200_000, 0)].name, "silver");
        assert_eq!(t[tier_for(&t, 0, 8)].name, "gold");
        assert_eq!(t[tier_for(&t, 1_000_000, 1)].name, "vip");
    }
}
