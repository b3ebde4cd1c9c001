//! How a patient comes and what they think of it: visit frequency, age group, payment type,
//! service type, satisfaction and lifecycle.

use chrono::NaiveDate;

use super::*;

pub(super) fn visit_frequency(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> PatientLabel {
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

pub(super) fn age_group(
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

pub(super) fn payment_type(facts: &Facts, x: bool) -> Option<PatientLabel> {
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
pub(super) fn payment_code(p: &str) -> Cow<'static, str> {
    match p {
        "self-pay" => Cow::Borrowed("self-pay"),
        "public-insurance" => Cow::Borrowed("public-insurance"),
        "commercial-insurance" => Cow::Borrowed("commercial-insurance"),
        other => Cow::Owned(other.to_string()),
    }
}

pub(super) fn service_type(facts: &Facts, x: bool) -> Option<PatientLabel> {
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

pub(super) fn satisfaction(
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

pub(super) fn tenths_text(t: u32) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// The median number of days between consecutive visits (visits newest first).
pub(in crate::segments) fn usual_interval(visits: &[VisitFact]) -> Option<i64> {
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

pub(super) fn lifecycle(
    facts: &Facts,
    rules: &SegmentRules,
    today: NaiveDate,
    x: bool,
) -> PatientLabel {
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
