//! What a patient is worth to the clinic and what they risk: value tier (RFM), risk level,
//! severity, membership tier and NPS role.

use chrono::NaiveDate;

use super::*;

/// Money in minor units as a plain decimal ("3450.00"), currency left to the reader.
pub(super) fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// The R, F and M quintile scores of a patient's recency, frequency and money among the
/// clinic's, and the value tier their sum falls in.
pub(super) fn value_band(
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

pub(super) fn value_tier(
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

pub(super) fn risk_level(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> PatientLabel {
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

pub(super) fn severity(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> PatientLabel {
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

pub(super) fn membership_tier(facts: &Facts, x: bool) -> Option<PatientLabel> {
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
pub(super) fn nps_role(
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
