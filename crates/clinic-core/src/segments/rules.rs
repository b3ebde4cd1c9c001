//! The thresholds of the built-in dimensions: defaults from the issue, every one editable,
//! stored as one JSON value so a new threshold needs no migration (a missing one takes its
//! default).

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct SegmentRules {
    pub visit_frequency: VisitFrequencyRules,
    pub age_group: AgeGroupRules,
    pub satisfaction: SatisfactionRules,
    pub nps: NpsRules,
    pub lifecycle: LifecycleRules,
    pub value_tier: ValueTierRules,
    pub risk_level: RiskLevelRules,
    pub severity: SeverityRules,
}

/// RFM over 24 months, each 1-5 by quintile across the clinic, summed (3-15): high-value
/// from 13, mid from 10, regular from 7, low below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ValueTierRules {
    pub window_months: u32,
    pub high_value_min: u32,
    pub mid_min: u32,
    pub regular_min: u32,
}

impl Default for ValueTierRules {
    fn default() -> Self {
        ValueTierRules {
            window_months: 24,
            high_value_min: 13,
            mid_min: 10,
            regular_min: 7,
        }
    }
}

/// High: two or more chronic conditions, or one at 65 or older; medium: one chronic
/// condition, or 65 or older; low otherwise. (Overdue follow-ups join with reminders.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct RiskLevelRules {
    pub older_age: u32,
    pub high_chronic_min: u32,
}

impl Default for RiskLevelRules {
    fn default() -> Self {
        RiskLevelRules {
            older_age: 65,
            high_chronic_min: 2,
        }
    }
}

/// Emergency: an emergency visit in the last 30 days; severe: a life-threatening allergy
/// or three or more chronic conditions; ordinary otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct SeverityRules {
    pub emergency_days: u32,
    pub severe_chronic_min: u32,
}

impl Default for SeverityRules {
    fn default() -> Self {
        SeverityRules {
            emergency_days: 30,
            severe_chronic_min: 3,
        }
    }
}

/// Visits in the trailing window: high ≥ 6, medium 2-5, low 0-1 over 12 months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct VisitFrequencyRules {
    pub window_months: u32,
    pub high_min: u32,
    pub medium_min: u32,
}

impl Default for VisitFrequencyRules {
    fn default() -> Self {
        VisitFrequencyRules {
            window_months: 12,
            high_min: 6,
            medium_min: 2,
        }
    }
}

/// Child 0-12, teenager 13-17, adult 18-64, senior 65+.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AgeGroupRules {
    pub child_max: u32,
    pub teenager_max: u32,
    pub senior_min: u32,
}

impl Default for AgeGroupRules {
    fn default() -> Self {
        AgeGroupRules {
            child_max: 12,
            teenager_max: 17,
            senior_min: 65,
        }
    }
}

/// The mean of the latest scores (1-5) in the window, in tenths: high ≥ 4.0, medium ≥ 3.0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct SatisfactionRules {
    pub window_months: u32,
    pub last_scores: u32,
    pub high_min_tenths: u32,
    pub medium_min_tenths: u32,
}

impl Default for SatisfactionRules {
    fn default() -> Self {
        SatisfactionRules {
            window_months: 24,
            last_scores: 3,
            high_min_tenths: 40,
            medium_min_tenths: 30,
        }
    }
}

/// The latest recommendation answer (0-10) in 12 months: promoter 9-10, passive 7-8,
/// detractor 0-6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct NpsRules {
    pub window_months: u32,
    pub promoter_min: u32,
    pub passive_min: u32,
}

impl Default for NpsRules {
    fn default() -> Self {
        NpsRules {
            window_months: 12,
            promoter_min: 9,
            passive_min: 7,
        }
    }
}

/// New: first visit within 90 days; at risk: at least three visits and more than 150% of
/// the patient's usual interval (and 30 days) since the last; lapsed: none in 18 months;
/// loyal: 4 visits in 24 months and a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct LifecycleRules {
    pub new_days: u32,
    pub overdue_percent: u32,
    pub overdue_min_days: u32,
    pub lapsed_months: u32,
    pub loyal_min_visits: u32,
    pub loyal_min_referrals: u32,
}

impl Default for LifecycleRules {
    fn default() -> Self {
        LifecycleRules {
            new_days: 90,
            overdue_percent: 150,
            overdue_min_days: 30,
            lapsed_months: 18,
            loyal_min_visits: 4,
            loyal_min_referrals: 1,
        }
    }
}

fn out_of_range(field: &str, why: &str) -> ClinicError {
    ClinicError::validation(field, ValidationRule::OutOfRange, why)
}

impl SegmentRules {
    /// Thresholds that make sense together (each band non-empty, windows of real length).
    pub fn validate(&self) -> Result<()> {
        let v = &self.visit_frequency;
        if !(1..=120).contains(&v.window_months) {
            return Err(out_of_range(
                "visitFrequency.windowMonths",
                "1 to 120 months",
            ));
        }
        if v.medium_min == 0 || v.high_min <= v.medium_min {
            return Err(out_of_range(
                "visitFrequency.highMin",
                "high must need more visits than medium, and medium at least 1",
            ));
        }
        let a = &self.age_group;
        if !(a.child_max < a.teenager_max && a.teenager_max < a.senior_min && a.senior_min <= 130) {
            return Err(out_of_range(
                "ageGroup.seniorMin",
                "child, teenager, adult and senior ages must follow one another",
            ));
        }
        let s = &self.satisfaction;
        if !(1..=120).contains(&s.window_months) || !(1..=50).contains(&s.last_scores) {
            return Err(out_of_range(
                "satisfaction.lastScores",
                "1 to 50 scores in 1 to 120 months",
            ));
        }
        if !(10..=50).contains(&s.medium_min_tenths)
            || s.high_min_tenths <= s.medium_min_tenths
            || s.high_min_tenths > 50
        {
            return Err(out_of_range(
                "satisfaction.highMinTenths",
                "scores are 1.0 to 5.0, and high above medium",
            ));
        }
        let n = &self.nps;
        if !(1..=120).contains(&n.window_months)
            || n.passive_min == 0
            || n.promoter_min <= n.passive_min
            || n.promoter_min > 10
        {
            return Err(out_of_range(
                "nps.promoterMin",
                "detractor, passive and promoter bands must each hold a score of 0-10",
            ));
        }
        let t = &self.value_tier;
        let rising = 3 < t.regular_min
            && t.regular_min < t.mid_min
            && t.mid_min < t.high_value_min
            && t.high_value_min <= 15;
        if !rising || !(1..=120).contains(&t.window_months) {
            return Err(out_of_range(
                "valueTier.highValueMin",
                "RFM totals run 3-15: regular, mid and high-value must rise within them",
            ));
        }
        if self.risk_level.high_chronic_min < 1 || self.severity.severe_chronic_min < 1 {
            return Err(out_of_range(
                "riskLevel.highChronicMin",
                "at least one condition",
            ));
        }
        if !(1..=365).contains(&self.severity.emergency_days) {
            return Err(out_of_range("severity.emergencyDays", "1 to 365 days"));
        }
        let l = &self.lifecycle;
        if l.overdue_percent < 100 || l.new_days == 0 || !(1..=120).contains(&l.lapsed_months) {
            return Err(out_of_range(
                "lifecycle.overduePercent",
                "overdue from 100% of the usual interval; new and lapsed windows of real length",
            ));
        }
        Ok(())
    }
}

/// The clinic's thresholds (the defaults until changed).
pub struct GetSegmentRules;

impl Operation for GetSegmentRules {
    type Output = SegmentRules;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<SegmentRules> {
        load(tx)
    }
}

pub(crate) fn load(tx: &Transaction<'_>) -> Result<SegmentRules> {
    crate::settings::load_json(tx, "segment_setting", "rules")
}

pub struct SetSegmentRules(pub SegmentRules);

impl Operation for SetSegmentRules {
    type Output = SegmentRules;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<SegmentRules> {
        self.0.validate()?;
        crate::settings::save_json(tx, "segment_setting", "rules", &self.0)?;
        Ok(self.0)
    }
}
