//! The built-in dimensions: from a patient's facts (profile and active visits) to a label
//! and the reason for it, under the clinic's thresholds. One function per dimension, used
//! alike for one patient's chips and for counting the whole clinic, so the two never drift.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::rules::{SegmentRules, ValueTierRules};

mod care;
mod value;

use crate::patients::profile::code_enum;
use crate::visits::VisitType;
pub(super) use care::usual_interval;
use care::{age_group, lifecycle, payment_type, satisfaction, service_type, visit_frequency};
pub(crate) use value::value_tier_name;
use value::{membership_tier, nps_role, risk_level, severity, value_tier};

code_enum!(
    /// A built-in way of grouping patients.
    Dimension {
        VisitFrequency = "visit-frequency",
        AgeGroup = "age-group",
        PaymentType = "payment-type",
        ServiceType = "service-type",
        Satisfaction = "satisfaction",
        NpsRole = "nps-role",
        Lifecycle = "lifecycle",
        ValueTier = "value-tier",
        RiskLevel = "risk-level",
        Severity = "severity",
        MembershipTier = "membership-tier",
    }
);

impl Dimension {
    /// Every label the dimension can give, in the order the window lists them.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            Dimension::VisitFrequency | Dimension::Satisfaction | Dimension::RiskLevel => {
                &["high", "medium", "low"]
            }
            Dimension::AgeGroup => &["child", "teenager", "adult", "senior"],
            Dimension::PaymentType => &["self-pay", "public-insurance", "commercial-insurance"],
            Dimension::ServiceType => &["first", "return", "specialist"],
            Dimension::NpsRole => &["promoter", "passive", "detractor"],
            Dimension::Lifecycle => &["potential", "new", "active", "at-risk", "lapsed", "loyal"],
            Dimension::ValueTier => &["high-value", "mid", "regular", "low"],
            Dimension::Severity => &["emergency", "severe", "ordinary"],
            // The clinic names its own tiers (loyalty settings).
            Dimension::MembershipTier => &[],
        }
    }

    /// Whether `label` can be given in this dimension (any tier name for membership).
    pub fn is_label(self, label: &str) -> bool {
        match self {
            Dimension::MembershipTier => !label.trim().is_empty(),
            _ => self.labels().contains(&label),
        }
    }
}

/// What the dimensions look at for one patient.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub birth_date: Option<NaiveDate>,
    pub payment_type: Option<String>,
    /// Patients who name this one as their referrer.
    pub referrals: u32,
    /// Chronic conditions by name.
    pub chronic: Vec<String>,
    /// Allergies recorded as life-threatening, by substance.
    pub grave_allergies: Vec<String>,
    /// Active visits, newest first.
    pub visits: Vec<VisitFact>,
    /// What only clinic-defined rules look at (loaded when a rule needs it).
    pub sex: Option<String>,
    pub smoking: Option<String>,
    /// Every recorded condition (chronic or not), by name.
    pub conditions: Vec<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Local dates of appointments still booked (scheduled or confirmed), in time order.
    pub booked: Vec<String>,
    /// Local dates of missed appointments, in time order.
    pub no_shows: Vec<String>,
    /// The loyalty points balance (loaded with the detail).
    pub points: i64,
    /// The membership tier, when the clinic runs a loyalty programme.
    pub membership: Option<MembershipFact>,
}

/// A patient's membership tier as the last requalification left it.
#[derive(Debug, Clone, Default)]
pub struct MembershipFact {
    pub tier: String,
    /// None: the base tier, never qualified for a higher one.
    pub qualified_on: Option<NaiveDate>,
    pub since: Option<NaiveDate>,
    /// The trailing 12 months' spend (minor units) and visits it was given on.
    pub spend_minor: i64,
    pub visits: u32,
}

#[derive(Debug, Clone, Default)]
pub struct VisitFact {
    /// The visit's date as entered (in its own time zone).
    pub date: NaiveDate,
    pub visit_type: VisitType,
    pub satisfaction: Option<u8>,
    /// "Would you recommend us?" 0-10.
    pub nps: Option<u8>,
    /// Amount in minor units (fen, cents).
    pub amount_minor: i64,
    /// "Come back by" this date (the doctor's follow-up).
    pub follow_up_by: Option<NaiveDate>,
    /// Loaded only for clinic-defined rules that look at it; boxed so that a million
    /// visits without it stay small in memory.
    pub text: Option<Box<VisitText>>,
}

/// A visit's free text, as rules about departments, diagnoses and treatments read it.
#[derive(Debug, Clone, Default)]
pub struct VisitText {
    pub department: String,
    pub diagnosis: String,
    pub treatment: String,
}

impl VisitFact {
    pub fn department(&self) -> &str {
        self.text.as_deref().map_or("", |t| &t.department)
    }
    pub fn diagnosis(&self) -> &str {
        self.text.as_deref().map_or("", |t| &t.diagnosis)
    }
    pub fn treatment(&self) -> &str {
        self.text.as_deref().map_or("", |t| &t.treatment)
    }
}

/// What a label needs from the whole clinic: every recency (days since the last visit),
/// frequency (visits) and money of the patients with a visit in the value window, sorted,
/// to score one patient against the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClinicContext {
    pub recency_days: Vec<i64>,
    pub frequency: Vec<i64>,
    pub monetary: Vec<i64>,
}

/// The 24-month (or the clinic's) recency, frequency and money of one patient; `None`
/// without a visit in the window.
pub fn rfm(facts: &Facts, rules: &SegmentRules, today: NaiveDate) -> Option<(i64, i64, i64)> {
    let from = window_start(today, rules.value_tier.window_months);
    let mut recent = facts
        .visits
        .iter()
        .filter(|v| v.date >= from && v.date <= today);
    let latest = recent.next()?;
    let (n, money) = recent.fold((1, latest.amount_minor), |(n, m), v| {
        (n + 1, m + v.amount_minor)
    });
    Some(((today - latest.date).num_days(), n, money))
}

impl ClinicContext {
    /// From every patient's facts (a test holds them equal to figures worked out
    /// patient by patient through the public API).
    pub fn from_facts<'a>(
        all: impl Iterator<Item = &'a Facts>,
        rules: &SegmentRules,
        today: NaiveDate,
    ) -> ClinicContext {
        let (mut r, mut f, mut m) = (Vec::new(), Vec::new(), Vec::new());
        for (rr, ff, mm) in all.filter_map(|facts| rfm(facts, rules, today)) {
            r.push(rr);
            f.push(ff);
            m.push(mm);
        }
        ClinicContext::from_values(r, f, m)
    }

    /// One patient's figures taken out (their facts changed, or they left).
    pub(crate) fn remove(&mut self, (r, f, m): (i64, i64, i64)) {
        for (sorted, value) in [
            (&mut self.recency_days, r),
            (&mut self.frequency, f),
            (&mut self.monetary, m),
        ] {
            let at = sorted.partition_point(|&x| x < value);
            if sorted.get(at) == Some(&value) {
                sorted.remove(at);
            }
        }
    }

    /// One patient's figures put in, in order.
    pub(crate) fn insert(&mut self, (r, f, m): (i64, i64, i64)) {
        for (sorted, value) in [
            (&mut self.recency_days, r),
            (&mut self.frequency, f),
            (&mut self.monetary, m),
        ] {
            let at = sorted.partition_point(|&x| x < value);
            sorted.insert(at, value);
        }
    }

    /// From each patient's recency (days), frequency and money.
    pub fn from_values(mut r: Vec<i64>, mut f: Vec<i64>, mut m: Vec<i64>) -> ClinicContext {
        r.sort_unstable();
        f.sort_unstable();
        m.sort_unstable();
        ClinicContext {
            recency_days: r,
            frequency: f,
            monetary: m,
        }
    }
}

/// The quintile score 1-5 of `value` among `sorted`: 1 + 5 × (the share of patients doing
/// worse), so ties score alike and nobody scores for money nobody spent.
fn score(value: i64, sorted: &[i64], lower_is_better: bool) -> u32 {
    let n = sorted.len().max(1);
    let worse = if lower_is_better {
        sorted.len() - sorted.partition_point(|&x| x <= value)
    } else {
        sorted.partition_point(|&x| x < value)
    };
    (1 + 5 * worse / n).min(5) as u32
}

/// A patient's label in one dimension, and why: `rule` names the reason's sentence (the
/// window translates it, filling in `facts`); `text` is the same in English for the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PatientLabel {
    pub dimension: Dimension,
    #[ts(type = "string")]
    pub label: Cow<'static, str>,
    #[ts(type = "string")]
    pub rule: Cow<'static, str>,
    pub facts: BTreeMap<String, String>,
    pub text: String,
}

/// One label; its facts and sentence are only worked out when `explain` is set (counting
/// 100k patients needs the names alone, and building every sentence cost seconds).
fn label(
    explain: bool,
    dimension: Dimension,
    label: impl Into<Cow<'static, str>>,
    rule: &'static str,
    facts: impl FnOnce() -> Vec<(&'static str, String)>,
    text: impl FnOnce() -> String,
) -> PatientLabel {
    let label = label.into();
    if !explain {
        return PatientLabel {
            dimension,
            label,
            rule: Cow::Borrowed(rule),
            facts: BTreeMap::new(),
            text: String::new(),
        };
    }
    let text = format!("{}: {label} — {}", dimension.code(), text());
    PatientLabel {
        dimension,
        label,
        rule: Cow::Borrowed(rule),
        facts: facts()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        text,
    }
}

/// Whole years from `birth` to `today`; a 29 February birthday comes on 1 March in other
/// years.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// The first day of the trailing window of `months` ending today: 12 months to 2026-11-23
/// start on 2025-11-24 (a visit exactly 12 months ago is outside).
pub fn window_start(today: NaiveDate, months: u32) -> NaiveDate {
    today
        .checked_sub_months(Months::new(months))
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MIN)
}

/// Every dimension's label for one patient with the facts and sentence behind it (a
/// dimension with nothing to go on — no birth date, no payment type, no rated visit —
/// gives none).
pub fn labels(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    clinic: &ClinicContext,
) -> Vec<PatientLabel> {
    labels_with(facts, rules, today, clinic, true)
}

/// The same labels without their facts and sentences: for counting and filtering, where
/// only the names matter.
pub fn label_names(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    clinic: &ClinicContext,
) -> Vec<PatientLabel> {
    labels_with(facts, rules, today, clinic, false)
}

fn labels_with(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    clinic: &ClinicContext,
    x: bool,
) -> Vec<PatientLabel> {
    [
        Some(visit_frequency(facts, rules, today, x)),
        age_group(facts, rules, today, x),
        payment_type(facts, x),
        service_type(facts, x),
        satisfaction(facts, rules, today, x),
        nps_role(facts, rules, today, x),
        Some(lifecycle(facts, rules, today, x)),
        Some(value_tier(facts, rules, today, clinic, x)),
        Some(risk_level(facts, rules, today, x)),
        Some(severity(facts, rules, today, x)),
        membership_tier(facts, x),
    ]
    .into_iter()
    .flatten()
    .collect()
}
