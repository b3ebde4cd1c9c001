//! The programme's rules: what earns points, what does not, when they expire — and the
//! jurisdiction presets that give each market a safe start.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where the clinic practises: decides the programme's starting rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Jurisdiction {
    /// Mainland China: points on, never on what 医保 pays.
    MainlandChina,
    /// Taiwan: the Medical Care Act (醫療法, art. 61) forbids soliciting patients by improper
    /// means, and the health ministry counts gifts, discounts and free services among them —
    /// the programme starts off; the clinic enables what its adviser allows.
    Taiwan,
    Other,
}

/// How points for money spent are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Rounding {
    /// Only whole steps count: ¥99.99 at 1 point per ¥10 is 9 points.
    Down,
    /// Half a step or more counts as a step: ¥95.00 is 10 points, ¥94.99 is 9.
    HalfUp,
}

/// Points for money spent: `points` for every `per` (in the clinic's currency, e.g. 10 for
/// ¥10 or 30 for NT$30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SpendRule {
    pub points: u32,
    #[ts(type = "string")]
    pub per: Decimal,
    pub rounding: Rounding,
}

impl SpendRule {
    /// Points for an amount in minor units (fen, cents).
    pub fn points_for(&self, amount_minor: i64) -> i64 {
        if self.per <= Decimal::ZERO || amount_minor <= 0 {
            return 0;
        }
        let steps = Decimal::new(amount_minor, 2) / self.per;
        let steps = match self.rounding {
            Rounding::Down => steps.round_dp_with_strategy(0, RoundingStrategy::ToZero),
            Rounding::HalfUp => {
                steps.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            }
        };
        (steps * Decimal::from(self.points)).to_i64().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct LoyaltySettings {
    /// None until the owner says where the clinic practises; the programme is off till then.
    pub jurisdiction: Option<Jurisdiction>,
    pub enabled: bool,
    /// Points for each visit that is not the patient's first.
    pub points_per_return_visit: u32,
    pub spend: Option<SpendRule>,
    /// Points for the referrer when the referred patient's first visit is recorded.
    pub referral_bonus: u32,
    /// 0: no birthday bonus.
    pub birthday_bonus: u32,
    /// No points on amounts public insurance (医保 / 健保) pays.
    pub exclude_public_insurance: bool,
    /// Visits in these departments earn nothing (department codes).
    pub excluded_departments: Vec<String>,
    /// Visits whose treatment mentions any of these words earn nothing.
    pub excluded_treatments: Vec<String>,
    /// Points expire this many months after the day they were earned (None: never).
    pub expiry_months: Option<u32>,
    /// Membership tiers, lowest (everyone's base) first; empty: the default ladder.
    pub tiers: Vec<super::tiers::TierRule>,
    /// A redemption may draw on the points of the patient's linked family members, after
    /// their own.
    pub family_pooling: bool,
}

impl Default for LoyaltySettings {
    fn default() -> Self {
        LoyaltySettings {
            jurisdiction: None,
            enabled: false,
            points_per_return_visit: 10,
            spend: None,
            referral_bonus: 50,
            birthday_bonus: 0,
            exclude_public_insurance: true,
            excluded_departments: Vec::new(),
            excluded_treatments: Vec::new(),
            expiry_months: Some(24),
            tiers: super::tiers::default_tiers(),
            family_pooling: false,
        }
    }
}

impl LoyaltySettings {
    /// A jurisdiction's safe starting rules.
    pub fn preset(j: Jurisdiction) -> LoyaltySettings {
        let spend = |per: i64| SpendRule {
            points: 1,
            per: Decimal::from(per),
            rounding: Rounding::Down,
        };
        match j {
            Jurisdiction::MainlandChina => LoyaltySettings {
                jurisdiction: Some(j),
                enabled: true,
                spend: Some(spend(10)),
                ..Default::default()
            },
            Jurisdiction::Taiwan => LoyaltySettings {
                jurisdiction: Some(j),
                enabled: false,
                spend: Some(spend(30)),
                ..Default::default()
            },
            Jurisdiction::Other => LoyaltySettings {
                jurisdiction: Some(j),
                enabled: true,
                spend: Some(spend(10)),
                ..Default::default()
            },
        }
    }

    /// Why a visit earns nothing, if it does not.
    pub fn excludes(&self, department: &str, treatment: Option<&str>) -> Option<String> {
        if self
            .excluded_departments
            .iter()
            .any(|d| d.trim().eq_ignore_ascii_case(department.trim()))
        {
            return Some(format!("department {department} earns no points"));
        }
        let treatment = treatment.unwrap_or_default().to_lowercase();
        self.excluded_treatments
            .iter()
            .map(|w| w.trim().to_lowercase())
            .find(|w| !w.is_empty() && treatment.contains(w.as_str()))
            .map(|w| format!("treatment \"{w}\" earns no points"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(per: i64, rounding: Rounding) -> SpendRule {
        SpendRule {
            points: 1,
            per: Decimal::from(per),
            rounding,
        }
    }

    #[test]
    fn spend_points_round_as_stated() {
        let down = rule(10, Rounding::Down);
        assert_eq!(down.points_for(9999), 9); // ¥99.99
        assert_eq!(down.points_for(10000), 10);
        assert_eq!(down.points_for(999), 0);
        assert_eq!(down.points_for(0), 0);
        assert_eq!(down.points_for(-500), 0);
        let half = rule(10, Rounding::HalfUp);
        assert_eq!(half.points_for(9500), 10); // ¥95.00: 9.5 steps
        assert_eq!(half.points_for(9499), 9);
        let nt = rule(30, Rounding::Down);
        assert_eq!(nt.points_for(8999), 2); // NT$89.99
        assert_eq!(nt.points_for(9000), 3);
        // Odd steps stay exact in decimal: ¥0.30 per point, 3 points per step.
        let odd = SpendRule {
            points: 3,
            per: Decimal::new(30, 2),
            rounding: Rounding::Down,
        };
        assert_eq!(odd.points_for(90), 9);
        assert_eq!(odd.points_for(89), 6);
    }

    #[test]
    fn presets_are_safe_for_each_market() {
        assert!(!LoyaltySettings::default().enabled);
        let tw = LoyaltySettings::preset(Jurisdiction::Taiwan);
        assert!(!tw.enabled && tw.exclude_public_insurance);
        let cn = LoyaltySettings::preset(Jurisdiction::MainlandChina);
        assert!(cn.enabled && cn.exclude_public_insurance);
        assert_eq!(cn.spend.unwrap().points_for(12345), 12);
        assert!(LoyaltySettings::preset(Jurisdiction::Other).enabled);
    }
}
