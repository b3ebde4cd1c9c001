//! The built-in dimensions at their boundaries (thresholds, a visit exactly 12 months ago,
//! a birthday today, leap days), each label's explanation, and counting and listing a real
//! clinic's patients with the clinic's own thresholds.

mod common;

use chrono::NaiveDate;
use clinic_core::patients::{ArchivePatient, CreatePatient, PatientInput};
use clinic_core::segments::{
    age_on, label_names, labels, window_start, ClinicContext, CountSegments, Dimension,
    ExplainPatient, Facts, GetSegmentRules, SegmentMembers, SegmentRules, SetSegmentRules,
    VisitFact,
};
use clinic_core::visits::VisitType;
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode, ValidationRule};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

const TODAY: &str = "2026-11-23";

fn visit(date: &str) -> VisitFact {
    VisitFact {
        date: d(date),
        visit_type: VisitType::Return,
        satisfaction: None,
        amount_minor: 0,
        nps: None,
        ..Default::default()
    }
}

/// Facts with visits on these dates (given newest first).
fn with_visits(dates: &[&str]) -> Facts {
    Facts {
        visits: dates.iter().map(|x| visit(x)).collect(),
        ..Default::default()
    }
}

fn label_in(
    facts: &Facts,
    dimension: Dimension,
    today: &str,
) -> Option<clinic_core::segments::PatientLabel> {
    labels(
        facts,
        &SegmentRules::default(),
        d(today),
        &ClinicContext::default(),
    )
    .into_iter()
    .find(|l| l.dimension == dimension)
}

fn label_of(facts: &Facts, dimension: Dimension, today: &str) -> Option<String> {
    label_in(facts, dimension, today).map(|l| l.label.into_owned())
}

fn text_of(facts: &Facts, dimension: Dimension, today: &str) -> String {
    label_in(facts, dimension, today).unwrap().text
}

#[test]
fn visit_frequency_counts_the_trailing_twelve_months_and_says_so() {
    assert_eq!(window_start(d(TODAY), 12), d("2025-11-24"));
    // A visit exactly 12 months ago is outside the window; the day after is inside.
    let f = with_visits(&["2026-11-01", "2025-11-23"]);
    assert_eq!(
        label_of(&f, Dimension::VisitFrequency, TODAY).unwrap(),
        "low"
    );
    let f = with_visits(&["2026-11-01", "2025-11-24"]);
    assert_eq!(
        label_of(&f, Dimension::VisitFrequency, TODAY).unwrap(),
        "medium"
    );
    // A visit dated after "today" (entered ahead) does not count yet.
    let f = with_visits(&["2026-11-24", "2026-11-01"]);
    assert_eq!(
        label_of(&f, Dimension::VisitFrequency, TODAY).unwrap(),
        "low"
    );
    let dates =
        |n: usize| -> Vec<String> { (0..n).map(|i| format!("2026-{:02}-10", 11 - i)).collect() };
    for (n, expected) in [
        (0, "low"),
        (1, "low"),
        (2, "medium"),
        (5, "medium"),
        (6, "high"),
        (7, "high"),
    ] {
        let ds = dates(n);
        let f = with_visits(&ds.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            label_of(&f, Dimension::VisitFrequency, TODAY).unwrap(),
            expected,
            "{n}"
        );
    }
    let ds = dates(7);
    let f = with_visits(&ds.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        text_of(&f, Dimension::VisitFrequency, TODAY),
        "visit-frequency: high — 7 visits between 2025-11-24 and 2026-11-23, threshold ≥ 6"
    );
}

#[test]
fn age_groups_turn_on_the_birthday_and_leap_day_birthdays_on_the_first_of_march() {
    assert_eq!(age_on(d("2013-11-23"), d(TODAY)), 13);
    assert_eq!(age_on(d("2013-11-24"), d(TODAY)), 12);
    assert_eq!(age_on(d("2012-02-29"), d("2025-02-28")), 12);
    assert_eq!(age_on(d("2012-02-29"), d("2025-03-01")), 13);
    assert_eq!(age_on(d("2012-02-29"), d("2024-02-29")), 12);
    for (birth, expected) in [
        ("2014-11-24", "child"),    // 11 until tomorrow
        ("2013-11-24", "child"),    // 12
        ("2013-11-23", "teenager"), // 13 today
        ("2008-11-24", "teenager"), // 17
        ("2008-11-23", "adult"),    // 18 today
        ("1961-11-24", "adult"),    // 64
        ("1961-11-23", "senior"),   // 65 today
    ] {
        let f = Facts {
            birth_date: Some(d(birth)),
            ..Default::default()
        };
        assert_eq!(
            label_of(&f, Dimension::AgeGroup, TODAY).unwrap(),
            expected,
            "{birth}"
        );
    }
    let f = Facts {
        birth_date: Some(d("1961-11-23")),
        ..Default::default()
    };
    assert_eq!(
        text_of(&f, Dimension::AgeGroup, TODAY),
        "age-group: senior — 65 years old (born 1961-11-23), range 65+"
    );
    // No birth date: no age group (counted as unknown), never a guess.
    assert_eq!(
        label_of(&Facts::default(), Dimension::AgeGroup, TODAY),
        None
    );
}

#[test]
fn payment_and_service_type_come_from_the_profile_and_the_latest_visit() {
    let mut f = with_visits(&["2026-11-01"]);
    assert_eq!(label_of(&f, Dimension::PaymentType, TODAY), None);
    f.payment_type = Some("public-insurance".into());
    assert_eq!(
        label_of(&f, Dimension::PaymentType, TODAY).unwrap(),
        "public-insurance"
    );
    assert_eq!(
        label_of(&f, Dimension::ServiceType, TODAY).unwrap(),
        "first"
    );
    let mut f = with_visits(&["2026-11-01", "2026-10-01"]);
    assert_eq!(
        label_of(&f, Dimension::ServiceType, TODAY).unwrap(),
        "return"
    );
    f.visits[0].visit_type = VisitType::Specialist;
    assert_eq!(
        label_of(&f, Dimension::ServiceType, TODAY).unwrap(),
        "specialist"
    );
    assert_eq!(
        text_of(&f, Dimension::ServiceType, TODAY),
        "service-type: specialist — latest visit 2026-11-01 (specialist), 2 visit(s) in all"
    );
    assert_eq!(
        label_of(&Facts::default(), Dimension::ServiceType, TODAY),
        None
    );
}

fn rated(scores: &[(&str, u8)]) -> Facts {
    Facts {
        visits: scores
            .iter()
            .map(|(date, s)| VisitFact {
                satisfaction: Some(*s),
                ..visit(date)
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn satisfaction_is_the_mean_of_the_latest_scores_with_exact_thresholds() {
    let day = [
        "2026-11-01",
        "2026-10-01",
        "2026-09-01",
        "2026-08-01",
        "2026-07-01",
    ];
    let f = |s: &[u8]| rated(&s.iter().zip(day).map(|(s, d)| (d, *s)).collect::<Vec<_>>());
    assert_eq!(
        label_of(&f(&[4, 4, 4]), Dimension::Satisfaction, TODAY).unwrap(),
        "high"
    );
    assert_eq!(
        label_of(&f(&[4, 4, 3]), Dimension::Satisfaction, TODAY).unwrap(),
        "medium"
    );
    assert_eq!(
        label_of(&f(&[3, 3, 3]), Dimension::Satisfaction, TODAY).unwrap(),
        "medium"
    );
    assert_eq!(
        label_of(&f(&[3, 3, 2]), Dimension::Satisfaction, TODAY).unwrap(),
        "low"
    );
    // Only the latest three count.
    assert_eq!(
        label_of(&f(&[5, 5, 5, 1, 1]), Dimension::Satisfaction, TODAY).unwrap(),
        "high"
    );
    assert_eq!(
        text_of(&f(&[4, 4, 3]), Dimension::Satisfaction, TODAY),
        "satisfaction: medium — mean 3.7 of the latest scores (4, 4, 3), threshold ≥ 3.0"
    );
    // Scores older than 24 months, or none at all: no label.
    let old = rated(&[("2024-11-23", 5)]);
    assert_eq!(label_of(&old, Dimension::Satisfaction, TODAY), None);
    assert_eq!(
        label_of(
            &with_visits(&["2026-11-01"]),
            Dimension::Satisfaction,
            TODAY
        ),
        None
    );
}

#[test]
fn lifecycle_from_potential_to_lapsed_against_the_patients_own_rhythm() {
    assert_eq!(
        label_of(&Facts::default(), Dimension::Lifecycle, TODAY).unwrap(),
        "potential"
    );
    // Lapsed: no visit in the 18 months from 2025-05-24.
    assert_eq!(window_start(d(TODAY), 18), d("2025-05-24"));
    let f = with_visits(&["2025-05-23", "2024-01-01"]);
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "lapsed");
    let f = with_visits(&["2025-05-24", "2024-01-01"]);
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "active");
    // New: the first visit less than 90 days ago.
    let f = with_visits(&["2026-08-26"]); // 89 days
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "new");
    let f = with_visits(&["2026-08-25"]); // 90 days
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "active");
    // At risk: every 30 days until 46 days ago (> 150% of 30 = 45); 45 days is still fine.
    let f = with_visits(&["2026-10-08", "2026-09-08", "2026-08-09", "2026-07-10"]);
    assert_eq!(
        label_of(&f, Dimension::Lifecycle, TODAY).unwrap(),
        "at-risk"
    );
    assert_eq!(
        text_of(&f, Dimension::Lifecycle, TODAY),
        "lifecycle: at-risk — 46 days since the last visit (2026-10-08); usually every 30 days, overdue after 150%"
    );
    let f = with_visits(&["2026-10-09", "2026-09-09", "2026-08-10", "2026-07-11"]);
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "active");
    // Loyal: four visits in 24 months and someone they referred.
    let mut f = with_visits(&["2026-11-01", "2026-06-01", "2026-01-01", "2025-06-01"]);
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "active");
    f.referrals = 1;
    assert_eq!(label_of(&f, Dimension::Lifecycle, TODAY).unwrap(), "loyal");
}

fn add(c: &Clinic, name: &str, birth: Option<&str>, payment: Option<&str>) -> String {
    c.execute(
        &Actor::owner(),
        CreatePatient {
            input: PatientInput {
                name: name.into(),
                birth_date: birth.map(Into::into),
                payment_type: payment.map(Into::into),
                ..Default::default()
            },
            allow_duplicate: true,
        },
    )
    .unwrap()
    .id
    .to_string()
}

fn add_visit(c: &Clinic, patient: &str, date: &str, satisfaction: Option<i32>) {
    c.execute(
        &Actor::owner(),
        AddVisit(VisitInput {
            patient_id: patient.into(),
            at: format!("{date}T10:00+08:00"),
            department: "dental".into(),
            visit_type: "return".into(),
            satisfaction,
            ..Default::default()
        }),
    )
    .unwrap();
}

#[test]
fn a_clinic_counted_listed_and_explained_with_its_own_thresholds() {
    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let today = Some(d(TODAY));
    let zhang = add(&c, "张伟明", Some("1961-11-23"), Some("public-insurance"));
    for date in ["2026-11-01", "2026-10-01", "2026-06-01"] {
        add_visit(&c, &zhang, date, Some(5));
    }
    let chen = add(&c, "陳美玲", Some("2015-03-02"), Some("self-pay"));
    add_visit(&c, &chen, "2026-11-20", Some(3));
    let _wang = add(&c, "王芳", None, None);
    let gone = add(&c, "李娜", Some("1990-01-01"), None);
    c.execute(
        &owner,
        ArchivePatient {
            id: clinic_core::patients::parse_id("patient", &gone).unwrap(),
            archived: true,
        },
    )
    .unwrap();

    let explained = c
        .execute(
            &owner,
            ExplainPatient {
                patient_id: clinic_core::patients::parse_id("patient", &zhang).unwrap(),
                today,
            },
        )
        .unwrap();
    let texts: Vec<&str> = explained.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "visit-frequency: medium — 3 visits between 2025-11-24 and 2026-11-23, threshold 2-5",
            "age-group: senior — 65 years old (born 1961-11-23), range 65+",
            "payment-type: public-insurance — as recorded in the profile",
            "service-type: return — latest visit 2026-11-01 (return), 3 visit(s) in all",
            "satisfaction: high — mean 5.0 of the latest scores (5, 5, 5), threshold ≥ 4.0",
            "lifecycle: active — last visit 2026-11-01 (22 days ago)",
            "value-tier: low — R1 F3 M1 = 5 (last visit 22 days ago, 3 visits, 0.00 in 24 months; scored by quintile across the clinic); high-value from 13, mid from 10, regular from 7",
            "risk-level: medium — 65 years old, medium from 65",
            "severity: ordinary — no recent emergency, no life-threatening allergy, fewer chronic conditions than the threshold",
        ]
    );
    assert_eq!(explained[0].rule, "visitCount");
    assert_eq!(explained[0].facts["visits"], "3");

    // Counts over the active patients (the archived one is left out).
    let counts = c.execute(&owner, CountSegments { today }).unwrap();
    let of = |dim: Dimension| -> Vec<(String, u64)> {
        counts
            .iter()
            .find(|x| x.dimension == dim)
            .unwrap()
            .counts
            .iter()
            .map(|l| (l.label.clone(), l.count))
            .collect()
    };
    let pairs = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    };
    assert_eq!(
        of(Dimension::VisitFrequency),
        pairs(&[("low", 2), ("medium", 1)])
    );
    assert_eq!(
        of(Dimension::AgeGroup),
        pairs(&[("child", 1), ("senior", 1), ("unknown", 1)])
    );
    assert_eq!(
        of(Dimension::Lifecycle),
        pairs(&[("active", 1), ("new", 1), ("potential", 1)])
    );

    // The clinic's own threshold: high from 3 visits.
    let mut rules = c.execute(&owner, GetSegmentRules).unwrap();
    assert_eq!(rules, SegmentRules::default());
    rules.visit_frequency.high_min = 3;
    c.execute(&owner, SetSegmentRules(rules.clone())).unwrap();
    let high = c
        .execute(
            &owner,
            SegmentMembers {
                dimension: Dimension::VisitFrequency,
                label: "high".into(),
                today,
            },
        )
        .unwrap();
    assert_eq!(high.len(), 1);
    assert_eq!(high[0].name, "张伟明");
    assert!(
        high[0].why.text.contains("threshold ≥ 3"),
        "{}",
        high[0].why.text
    );

    // Thresholds that contradict each other are refused, and nothing changes.
    let mut bad = rules.clone();
    bad.age_group.teenager_max = 70;
    let err = c.execute(&owner, SetSegmentRules(bad)).unwrap_err();
    assert_eq!(
        (err.code, err.rule),
        (ErrorCode::Validation, Some(ValidationRule::OutOfRange))
    );
    assert_eq!(c.execute(&owner, GetSegmentRules).unwrap(), rules);
}

#[test]
fn value_tier_scores_recency_frequency_and_money_by_quintile_across_the_clinic() {
    // Five patients: one visit each 10, 20, 30, 40, 50 days ago, 1-5 visits, ¥100-500.
    let today = d(TODAY);
    let people: Vec<Facts> = (1..=5)
        .map(|i| Facts {
            visits: (0..i)
                .map(|k| VisitFact {
                    date: today - chrono::Days::new(10 * (6 - i) as u64 + 30 * k as u64),
                    visit_type: VisitType::Return,
                    satisfaction: None,
                    amount_minor: 10_000,
                    nps: None,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    let rules = SegmentRules::default();
    let clinic = ClinicContext::from_facts(people.iter(), &rules, today);
    let tiers: Vec<String> = people
        .iter()
        .map(|f| {
            labels(f, &rules, today, &clinic)
                .into_iter()
                .find(|l| l.dimension == Dimension::ValueTier)
                .unwrap()
                .label
                .into_owned()
        })
        .collect();
    // The best on all three (most recent, most visits, most money) scores 5+5+5.
    assert_eq!(tiers, ["low", "low", "regular", "mid", "high-value"]);
    let best = labels(&people[4], &rules, today, &clinic)
        .into_iter()
        .find(|l| l.dimension == Dimension::ValueTier)
        .unwrap();
    assert_eq!(
        best.text,
        "value-tier: high-value — R5 F5 M5 = 15 (last visit 10 days ago, 5 visits, 500.00 in 24 months; scored by quintile across the clinic); high-value from 13, mid from 10, regular from 7"
    );
    // No visit in 24 months: low, and said why.
    assert_eq!(
        text_of(&with_visits(&["2024-11-23"]), Dimension::ValueTier, TODAY),
        "value-tier: low — no visit in the last 24 months"
    );
}

#[test]
fn a_missed_follow_up_raises_the_risk_level_by_one() {
    let mut f = with_visits(&["2026-10-01"]);
    f.visits[0].follow_up_by = Some(d("2026-11-01"));
    assert_eq!(label_of(&f, Dimension::RiskLevel, TODAY).unwrap(), "medium");
    assert_eq!(
        text_of(&f, Dimension::RiskLevel, TODAY),
        "risk-level: medium — asked to return by 2026-11-01, not seen since; no chronic condition, age unknown"
    );
    f.chronic = vec!["糖尿病".into()];
    assert_eq!(label_of(&f, Dimension::RiskLevel, TODAY).unwrap(), "high");
    // Not yet due: no change.
    f.visits[0].follow_up_by = Some(d("2026-12-01"));
    assert_eq!(label_of(&f, Dimension::RiskLevel, TODAY).unwrap(), "medium");
}

#[test]
fn risk_level_and_severity_follow_age_chronic_conditions_allergies_and_emergencies() {
    let older = Facts {
        birth_date: Some(d("1961-11-23")),
        ..Default::default()
    };
    assert_eq!(
        label_of(&older, Dimension::RiskLevel, TODAY).unwrap(),
        "medium"
    );
    let mut f = Facts {
        birth_date: Some(d("1961-11-24")), // 64
        chronic: vec!["高血压".into()],
        ..Default::default()
    };
    assert_eq!(label_of(&f, Dimension::RiskLevel, TODAY).unwrap(), "medium");
    f.birth_date = Some(d("1961-11-23")); // 65 today
    assert_eq!(label_of(&f, Dimension::RiskLevel, TODAY).unwrap(), "high");
    assert_eq!(
        text_of(&f, Dimension::RiskLevel, TODAY),
        "risk-level: high — 65 years old with a chronic condition (高血压)"
    );
    f.birth_date = None;
    f.chronic.push("糖尿病".into());
    assert_eq!(label_of(&f, Dimension::RiskLevel, TODAY).unwrap(), "high");
    assert_eq!(
        label_of(&Facts::default(), Dimension::RiskLevel, TODAY).unwrap(),
        "low"
    );

    // Severity: an emergency visit within 30 days (30 days ago is outside), then allergies.
    let mut e = with_visits(&["2026-10-25"]);
    e.visits[0].visit_type = VisitType::Emergency;
    assert_eq!(
        label_of(&e, Dimension::Severity, TODAY).unwrap(),
        "emergency"
    );
    e.visits[0].date = d("2026-10-24");
    assert_eq!(
        label_of(&e, Dimension::Severity, TODAY).unwrap(),
        "ordinary"
    );
    e.grave_allergies.push("青霉素".into());
    assert_eq!(
        text_of(&e, Dimension::Severity, TODAY),
        "severity: severe — life-threatening allergy: 青霉素"
    );
    let three = Facts {
        chronic: vec!["a".into(), "b".into(), "c".into()],
        ..Default::default()
    };
    assert_eq!(
        label_of(&three, Dimension::Severity, TODAY).unwrap(),
        "severe"
    );
}

#[test]
fn the_sql_cut_points_agree_with_the_facts_on_a_generated_clinic() {
    use clinic_core::segments::{clinic_context, rfm};
    let (_tmp, c) = common::clinic();
    c.execute(
        &Actor::owner(),
        clinic_core::synth::GenerateClinic {
            patients: 400,
            mean_visits: 6,
            seed: 11,
            region: clinic_core::synth::Region::Mixed,
            until: d(TODAY),
        },
    )
    .unwrap();
    let today = d(TODAY);
    let rules = SegmentRules::default();
    // Independent: every patient's visits through the public API, R/F/M by hand.
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = c
            .execute(
                &Actor::owner(),
                clinic_core::patients::ListPatients {
                    include_archived: false,
                    limit: 200,
                    offset,
                },
            )
            .unwrap();
        if page.is_empty() {
            break;
        }
        offset += page.len() as u32;
        for p in page {
            let visits = c
                .execute(
                    &Actor::owner(),
                    clinic_core::visits::ListVisits { patient_id: p.id },
                )
                .unwrap();
            all.push(Facts {
                visits: visits
                    .iter()
                    .map(|v| VisitFact {
                        date: v.at.date_naive(),
                        visit_type: VisitType::Return,
                        satisfaction: None,
                        nps: None,
                        amount_minor: v
                            .amount
                            .map(|a| (a * rust_decimal::Decimal::from(100)).try_into().unwrap())
                            .unwrap_or(0),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            });
        }
    }
    assert_eq!(all.len(), 400);
    assert!(
        all.iter()
            .filter(|f| rfm(f, &rules, today).is_some())
            .count()
            > 100
    );
    let by_hand = ClinicContext::from_facts(all.iter(), &rules, today);
    let by_sql = c.execute(&Actor::owner(), ContextOp).unwrap();
    assert_eq!(by_sql, by_hand);
    // Counting uses the names alone: the same names as the explained labels, no sentences.
    for f in &all {
        let named: Vec<(Dimension, String)> = label_names(f, &rules, today, &by_hand)
            .into_iter()
            .map(|l| {
                assert!(l.text.is_empty() && l.facts.is_empty());
                (l.dimension, l.label.into_owned())
            })
            .collect();
        let explained: Vec<(Dimension, String)> = labels(f, &rules, today, &by_hand)
            .into_iter()
            .map(|l| (l.dimension, l.label.into_owned()))
            .collect();
        assert_eq!(named, explained);
    }

    /// Reads the cut points inside a transaction, as the operations do.
    struct ContextOp;
    impl clinic_core::Operation for ContextOp {
        type Output = ClinicContext;
        fn action(&self) -> clinic_core::Action {
            clinic_core::Action::PatientRead
        }
        fn run(
            self,
            tx: &rusqlite::Transaction<'_>,
            _: &Actor,
        ) -> clinic_core::Result<ClinicContext> {
            clinic_context(tx, &SegmentRules::default(), d(TODAY))
        }
    }
}

#[test]
fn nps_role_is_the_latest_answer_in_twelve_months_at_the_band_edges() {
    let answered = |pairs: &[(&str, u8)]| Facts {
        visits: pairs
            .iter()
            .map(|(date, n)| VisitFact {
                nps: Some(*n),
                ..visit(date)
            })
            .collect(),
        ..Default::default()
    };
    for (score, expected) in [
        (10, "promoter"),
        (9, "promoter"),
        (8, "passive"),
        (7, "passive"),
        (6, "detractor"),
        (0, "detractor"),
    ] {
        let f = answered(&[("2026-11-01", score)]);
        assert_eq!(
            label_of(&f, Dimension::NpsRole, TODAY).unwrap(),
            expected,
            "{score}"
        );
    }
    // The latest answer counts, not the best; a visit without an answer is skipped.
    let mut f = answered(&[("2026-11-01", 3), ("2026-06-01", 10)]);
    f.visits.insert(0, visit("2026-11-20"));
    assert_eq!(
        text_of(&f, Dimension::NpsRole, TODAY),
        "nps-role: detractor — latest answer 3 on 2026-11-01; detractor is 0-6"
    );
    // Answers older than 12 months (exactly 12 months ago included) do not count.
    assert_eq!(
        label_of(&answered(&[("2025-11-23", 10)]), Dimension::NpsRole, TODAY),
        None
    );
    assert_eq!(
        label_of(&answered(&[("2025-11-24", 10)]), Dimension::NpsRole, TODAY).unwrap(),
        "promoter"
    );
}

/// A list exported from a segment holds only the members whose latest word on the list's
/// purpose is yes: never asked, or asked and later withdrawn, is left out and counted.
#[test]
fn an_exported_list_obeys_each_members_latest_consent_for_its_purpose() {
    use clinic_core::export::ExportFormat;
    use clinic_core::patients::{ConsentPurpose, RecordConsent};
    use clinic_core::segments::{ExportSegment, SegmentRef};

    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let add = |name: &str, phone: &str| {
        c.execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: name.into(),
                birth_date: Some("1950-03-04".into()),
                phone: Some(phone.into()),
                ..Default::default()
            }),
        )
        .unwrap()
        .id
    };
    let consent = |id, purpose: &str, given: bool| {
        c.execute(
            &owner,
            RecordConsent {
                patient_id: id,
                purpose: purpose.into(),
                given,
                note: None,
            },
        )
        .unwrap();
    };
    let (yes, withdrawn, _never, reminders_only) = (
        add("甲", "13800000001"),
        add("乙", "13800000002"),
        add("丙", "13800000003"),
        add("丁", "13800000004"),
    );
    consent(yes, "marketing", true);
    consent(withdrawn, "marketing", true);
    consent(withdrawn, "marketing", false);
    consent(reminders_only, "reminders", true);

    let export = |purpose| {
        c.execute(
            &owner,
            ExportSegment {
                segment: SegmentRef::parse("age-group:senior").unwrap(),
                format: ExportFormat::Csv,
                today: Some(d("2026-11-25")),
                purpose,
            },
        )
        .unwrap()
    };
    let marketing = export(ConsentPurpose::Marketing);
    let text = String::from_utf8(marketing.bytes).unwrap();
    assert_eq!((marketing.listed, marketing.without_consent), (1, 3));
    assert!(text.contains("甲"), "{text}");
    for left_out in ["乙", "丙", "丁"] {
        assert!(!text.contains(left_out), "{left_out} in {text}");
    }
    let reminders = export(ConsentPurpose::Reminders);
    assert_eq!((reminders.listed, reminders.without_consent), (1, 3));
    assert!(String::from_utf8(reminders.bytes).unwrap().contains("丁"));
}
