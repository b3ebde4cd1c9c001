//! The built-in dimensions: from a patient's facts (profile and active visits) to a label
//! and the reason for it, under the clinic's thresholds. One function per dimension, used
//! alike for one patient's chips and for counting the whole clinic, so the two never drift.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::rules::{SegmentRules, ValueTierRules};
use crate::patients::profile::code_enum;
use crate::visits::VisitType;

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

fn visit_frequency(facts: &Facts, rules: &SegmentRules, today: NaiveDate, x: bool) -> PatientLabel {
    let r = &rules.visit_frequency;
    let from = window_start(today, r.window_months);
    let n = facts
        .visits
        .iter()
        .filter(|v| v.date >= from && v.date <= today)
        .count() as u32;
    let name = if n >= r.high_min {
        "high"
    } else if n >= r.medium_min {
        "medium"
    } else {
        "low"
    };
    // Sentences are only written when asked for (see `label`).
    let threshold = || match name {
        "high" => format!("≥ {}", r.high_min),
        "medium" => format!("{}-{}", r.medium_min, r.high_min - 1),
        _ => format!("< {}", r.medium_min),
    };
    label(
        x,
        Dimension::VisitFrequency,
        name,
        "visitCount",
        || {
            vec![
                ("visits", n.to_string()),
                ("from", from.to_string()),
                ("to", today.to_string()),
                ("threshold", threshold()),
            ]
        },
        || {
            format!(
                "{n} visits between {from} and {today}, threshold {}",
                threshold()
            )
        },
    )
}

fn age_group(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> Option<PatientLabel> {
    let birth = facts.birth_date?;
    let r = &rules.age_group;
    let age = age_on(birth, today);
    let name = if age <= r.child_max {
        "child"
    } else if age <= r.teenager_max {
        "teenager"
    } else if age < r.senior_min {
        "adult"
    } else {
        "senior"
    };
    let range = || match name {
        "child" => format!("0-{}", r.child_max),
        "teenager" => format!("{}-{}", r.child_max + 1, r.teenager_max),
        "adult" => format!("{}-{}", r.teenager_max + 1, r.senior_min - 1),
        _ => format!("{}+", r.senior_min),
    };
    Some(label(
        x,
        Dimension::AgeGroup,
        name,
        "age",
        || {
            vec![
                ("age", age.to_string()),
                ("birthDate", birth.to_string()),
                ("range", range()),
            ]
        },
        || format!("{age} years old (born {birth}), range {}", range()),
    ))
}

fn payment_type(facts: &Facts, x: bool) -> Option<PatientLabel> {
    let p = facts.payment_type.as_deref()?;
    Some(label(
        x,
        Dimension::PaymentType,
        payment_code(p),
        "profile",
        || vec![("field", "paymentType".into())],
        || "as recorded in the profile".into(),
    ))
}

/// The payment types' codes without a copy; anything else (an old value) as it is.
fn payment_code(p: &str) -> Cow<'static, str> {
    match p {
        "self-pay" => Cow::Borrowed("self-pay"),
        "public-insurance" => Cow::Borrowed("public-insurance"),
        "commercial-insurance" => Cow::Borrowed("commercial-insurance"),
        other => Cow::Owned(other.to_string()),
    }
}

fn service_type(facts: &Facts, x: bool) -> Option<PatientLabel> {
    let latest = facts.visits.first()?;
    let n = facts.visits.len();
    let name = if latest.visit_type == VisitType::Specialist {
        "specialist"
    } else if n == 1 {
        "first"
    } else {
        "return"
    };
    Some(label(
        x,
        Dimension::ServiceType,
        name,
        "latestVisit",
        || {
            vec![
                ("date", latest.date.to_string()),
                ("visitType", latest.visit_type.code().to_string()),
                ("visits", n.to_string()),
            ]
        },
        || {
            format!(
                "latest visit {} ({}), {n} visit(s) in all",
                latest.date,
                latest.visit_type.code()
            )
        },
    ))
}

fn satisfaction(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> Option<PatientLabel> {
    let r = &rules.satisfaction;
    let from = window_start(today, r.window_months);
    let scores = || {
        facts
            .visits
            .iter()
            .filter(|v| v.date >= from && v.date <= today)
            .filter_map(|v| v.satisfaction)
            .take(r.last_scores as usize)
    };
    let (count, sum) = scores().fold((0u32, 0u32), |(n, t), s| (n + 1, t + u32::from(s)));
    if count == 0 {
        return None;
    }
    // Tenths, as integers: 4.0 exactly is "high" with a threshold of 4.0, never 3.9999.
    let tenths = (sum * 10 + count / 2) / count;
    let name = if tenths >= r.high_min_tenths {
        "high"
    } else if tenths >= r.medium_min_tenths {
        "medium"
    } else {
        "low"
    };
    let mean = || tenths_text(tenths);
    let threshold = || match name {
        "high" => format!("≥ {}", tenths_text(r.high_min_tenths)),
        "medium" => format!("≥ {}", tenths_text(r.medium_min_tenths)),
        _ => format!("< {}", tenths_text(r.medium_min_tenths)),
    };
    let list = || {
        scores()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(label(
        x,
        Dimension::Satisfaction,
        name,
        "satisfactionMean",
        || {
            vec![
                ("mean", mean()),
                ("scores", list()),
                ("threshold", threshold()),
            ]
        },
        || {
            format!(
                "mean {} of the latest scores ({}), threshold {}",
                mean(),
                list(),
                threshold()
            )
        },
    ))
}

fn tenths_text(t: u32) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// The median number of days between consecutive visits (visits newest first).
pub(super) fn usual_interval(visits: &[VisitFact]) -> Option<i64> {
    let mut gaps: Vec<i64> = visits
        .windows(2)
        .map(|w| (w[0].date - w[1].date).num_days())
        .collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    Some(gaps[gaps.len() / 2])
}

fn lifecycle(facts: &Facts, rules: &SegmentRules, today: NaiveDate, x: bool) -> PatientLabel {
    let r = &rules.lifecycle;
    let Some(latest) = facts.visits.first() else {
        return label(
            x,
            Dimension::Lifecycle,
            "potential",
            "noVisit",
            Vec::new,
            || "registered, no visit yet".into(),
        );
    };
    let first = facts.visits.last().expect("at least one visit");
    let since = (today - latest.date).num_days();
    let lapsed_from = window_start(today, r.lapsed_months);
    if latest.date < lapsed_from {
        return label(
            x,
            Dimension::Lifecycle,
            "lapsed",
            "lapsed",
            || {
                vec![
                    ("lastVisit", latest.date.to_string()),
                    ("months", r.lapsed_months.to_string()),
                ]
            },
            || {
                format!(
                    "last visit {}: none in the last {} months",
                    latest.date, r.lapsed_months
                )
            },
        );
    }
    if let Some(usual) = usual_interval(&facts.visits).filter(|_| facts.visits.len() >= 3) {
        // Overdue against the patient's own rhythm, by at least the clinic's minimum.
        let due = usual * i64::from(r.overdue_percent) / 100;
        if since > due.max(i64::from(r.overdue_min_days)) {
            return label(
                x,
                Dimension::Lifecycle,
                "at-risk",
                "overdue",
                || {
                    vec![
                        ("lastVisit", latest.date.to_string()),
                        ("days", since.to_string()),
                        ("usual", usual.to_string()),
                        ("percent", r.overdue_percent.to_string()),
                    ]
                },
                || {
                    format!(
                    "{since} days since the last visit ({}); usually every {usual} days, overdue after {}%",
                    latest.date, r.overdue_percent
                )
                },
            );
        }
    }
    if (today - first.date).num_days() < i64::from(r.new_days) {
        return label(
            x,
            Dimension::Lifecycle,
            "new",
            "firstVisitRecent",
            || {
                vec![
                    ("firstVisit", first.date.to_string()),
                    ("days", r.new_days.to_string()),
                ]
            },
            || format!("first visit {} (within {} days)", first.date, r.new_days),
        );
    }
    let loyal_from = window_start(today, 24);
    let recent = facts.visits.iter().filter(|v| v.date >= loyal_from).count() as u32;
    if recent >= r.loyal_min_visits && facts.referrals >= r.loyal_min_referrals {
        return label(
            x,
            Dimension::Lifecycle,
            "loyal",
            "loyal",
            || {
                vec![
                    ("visits", recent.to_string()),
                    ("referrals", facts.referrals.to_string()),
                ]
            },
            || {
                format!(
                    "{recent} visits in 24 months and {} referral(s)",
                    facts.referrals
                )
            },
        );
    }
    label(
        x,
        Dimension::Lifecycle,
        "active",
        "active",
        || vec![("lastVisit", latest.date.to_string())],
        || format!("last visit {} ({since} days ago)", latest.date),
    )
}

/// Money in minor units as a plain decimal ("3450.00"), currency left to the reader.
fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// The R, F and M quintile scores of a patient's recency, frequency and money among the
/// clinic's, and the value tier their sum falls in.
fn value_band(
    (days, visits, amount): (i64, i64, i64),
    r: &ValueTierRules,
    clinic: &ClinicContext,
) -> (u32, u32, u32, &'static str) {
    let (rs, fs, ms) = (
        score(days, &clinic.recency_days, true),
        score(visits, &clinic.frequency, false),
        score(amount, &clinic.monetary, false),
    );
    let total = rs + fs + ms;
    let name = if total >= r.high_value_min {
        "high-value"
    } else if total >= r.mid_min {
        "mid"
    } else if total >= r.regular_min {
        "regular"
    } else {
        "low"
    };
    (rs, fs, ms, name)
}

/// The value tier's name from a patient's `rfm` (`None`: no visit in the window), as
/// `value_tier` names it — for re-scoring everyone when the clinic's figures move.
pub(crate) fn value_tier_name(
    rfm: Option<(i64, i64, i64)>,
    rules: &SegmentRules,
    clinic: &ClinicContext,
) -> &'static str {
    rfm.map_or("low", |v| value_band(v, &rules.value_tier, clinic).3)
}

fn value_tier(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    clinic: &ClinicContext,
    x: bool,
) -> PatientLabel {
    let r = &rules.value_tier;
    let Some((days, visits, amount)) = rfm(facts, rules, today) else {
        return label(
            x,
            Dimension::ValueTier,
            "low",
            "noRecentVisit",
            || vec![("months", r.window_months.to_string())],
            || format!("no visit in the last {} months", r.window_months),
        );
    };
    let (rs, fs, ms, name) = value_band((days, visits, amount), r, clinic);
    let total = rs + fs + ms;
    let bands = || {
        format!(
            "high-value from {}, mid from {}, regular from {}",
            r.high_value_min, r.mid_min, r.regular_min
        )
    };
    label(
        x,
        Dimension::ValueTier,
        name,
        "rfm",
        || {
            vec![
                ("recency", rs.to_string()),
                ("frequency", fs.to_string()),
                ("monetary", ms.to_string()),
                ("total", total.to_string()),
                ("days", days.to_string()),
                ("visits", visits.to_string()),
                ("amount", money(amount)),
                ("months", r.window_months.to_string()),
                ("highValueMin", r.high_value_min.to_string()),
                ("midMin", r.mid_min.to_string()),
                ("regularMin", r.regular_min.to_string()),
            ]
        },
        || {
            format!(
            "R{rs} F{fs} M{ms} = {total} (last visit {days} days ago, {visits} visits, {} in {} months; scored by quintile across the clinic); {}",
            money(amount),
            r.window_months,
            bands()
        )
        },
    )
}

fn risk_level(facts: &Facts, rules: &SegmentRules, today: NaiveDate, x: bool) -> PatientLabel {
    let r = &rules.risk_level;
    let age = facts.birth_date.map(|b| age_on(b, today));
    let older = age.is_some_and(|a| a >= r.older_age);
    let chronic = facts.chronic.len() as u32;
    let (mut name, base) = if chronic >= r.high_chronic_min {
        ("high", "chronicMany")
    } else if older && chronic >= 1 {
        ("high", "olderChronic")
    } else if chronic >= 1 {
        ("medium", "chronicOne")
    } else if older {
        ("medium", "older")
    } else if age.is_some() {
        ("low", "none")
    } else {
        ("low", "noneAgeUnknown")
    };
    // A follow-up the doctor asked for and the patient missed (the latest visit set a
    // return-by date that has passed; any later visit would have cleared it) raises the
    // level by one.
    let overdue = facts
        .visits
        .first()
        .and_then(|v| v.follow_up_by)
        .filter(|&by| by < today);
    let mut rule = base;
    if overdue.is_some() {
        name = if name == "low" { "medium" } else { "high" };
        rule = "followUpOverdue";
    }
    let list = || facts.chronic.join(", ");
    let why = || {
        let age_text = age.map_or("age unknown".to_string(), |a| format!("{a} years old"));
        let why = match base {
            "chronicMany" => format!(
                "{chronic} chronic conditions ({}), high from {}",
                list(),
                r.high_chronic_min
            ),
            "olderChronic" => format!("{age_text} with a chronic condition ({})", list()),
            "chronicOne" => format!("a chronic condition ({})", list()),
            "older" => format!("{age_text}, medium from {}", r.older_age),
            _ => format!("no chronic condition, {age_text}"),
        };
        match overdue {
            Some(by) => format!("asked to return by {by}, not seen since; {why}"),
            None => why,
        }
    };
    label(
        x,
        Dimension::RiskLevel,
        name,
        rule,
        || {
            vec![
                ("chronic", chronic.to_string()),
                ("conditions", list()),
                ("age", age.map_or(String::new(), |a| a.to_string())),
                ("olderAge", r.older_age.to_string()),
                (
                    "followUpBy",
                    overdue.map_or(String::new(), |d| d.to_string()),
                ),
            ]
        },
        why,
    )
}

fn severity(facts: &Facts, rules: &SegmentRules, today: NaiveDate, x: bool) -> PatientLabel {
    let r = &rules.severity;
    let from = today - chrono::Days::new(u64::from(r.emergency_days));
    if let Some(v) = facts
        .visits
        .iter()
        .find(|v| v.visit_type == VisitType::Emergency && v.date > from && v.date <= today)
    {
        return label(
            x,
            Dimension::Severity,
            "emergency",
            "emergencyVisit",
            || {
                vec![
                    ("date", v.date.to_string()),
                    ("days", r.emergency_days.to_string()),
                ]
            },
            || {
                format!(
                    "an emergency visit on {} (within {} days)",
                    v.date, r.emergency_days
                )
            },
        );
    }
    let chronic = facts.chronic.len() as u32;
    if !facts.grave_allergies.is_empty() || chronic >= r.severe_chronic_min {
        let allergies = || facts.grave_allergies.join(", ");
        return label(
            x,
            Dimension::Severity,
            "severe",
            if facts.grave_allergies.is_empty() {
                "severeChronic"
            } else {
                "graveAllergy"
            },
            || {
                vec![
                    ("allergies", allergies()),
                    ("chronic", chronic.to_string()),
                    ("conditions", facts.chronic.join(", ")),
                    ("severeMin", r.severe_chronic_min.to_string()),
                ]
            },
            || {
                if facts.grave_allergies.is_empty() {
                    format!(
                        "{chronic} chronic conditions ({}), severe from {}",
                        facts.chronic.join(", "),
                        r.severe_chronic_min
                    )
                } else {
                    format!("life-threatening allergy: {}", allergies())
                }
            },
        );
    }
    label(
        x,
        Dimension::Severity,
        "ordinary",
        "ordinary",
        Vec::new,
        || {
            "no recent emergency, no life-threatening allergy, fewer chronic conditions than the threshold".into()
        },
    )
}

fn membership_tier(facts: &Facts, x: bool) -> Option<PatientLabel> {
    let m = facts.membership.as_ref()?;
    Some(match (m.qualified_on, m.since) {
        (Some(on), since) => label(
            x,
            Dimension::MembershipTier,
            m.tier.clone(),
            "tierQualified",
            || {
                vec![
                    ("tier", m.tier.clone()),
                    ("since", since.map_or(String::new(), |d| d.to_string())),
                    ("qualifiedOn", on.to_string()),
                    ("spend", money(m.spend_minor)),
                    ("visits", m.visits.to_string()),
                ]
            },
            || {
                format!(
                    "requalified on {on} from {} spent and {} visits in the 12 months before",
                    money(m.spend_minor),
                    m.visits
                )
            },
        ),
        (None, _) => label(
            x,
            Dimension::MembershipTier,
            m.tier.clone(),
            "tierBase",
            || vec![("tier", m.tier.clone())],
            || "everyone's base tier: not qualified for a higher one".into(),
        ),
    })
}

/// Promoter / passive / detractor from the latest recommendation score in the window.
fn nps_role(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> Option<PatientLabel> {
    let r = &rules.nps;
    let from = window_start(today, r.window_months);
    let (date, score) = facts
        .visits
        .iter()
        .filter(|v| v.date >= from && v.date <= today)
        .find_map(|v| v.nps.map(|n| (v.date, n)))?;
    let name = if u32::from(score) >= r.promoter_min {
        "promoter"
    } else if u32::from(score) >= r.passive_min {
        "passive"
    } else {
        "detractor"
    };
    let band = || match name {
        "promoter" => format!("{}-10", r.promoter_min),
        "passive" => format!("{}-{}", r.passive_min, r.promoter_min - 1),
        _ => format!("0-{}", r.passive_min - 1),
    };
    Some(label(
        x,
        Dimension::NpsRole,
        name,
        "npsLatest",
        || {
            vec![
                ("score", score.to_string()),
                ("date", date.to_string()),
                ("band", band()),
            ]
        },
        || format!("latest answer {score} on {date}; {name} is {}", band()),
    ))
}
