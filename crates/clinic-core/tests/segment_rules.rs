//! Clinic-defined rule segments and staff tags on a real encrypted clinic: rules saved,
//! loaded and evaluated (nested AND/OR/NOT) with the facts that put each member in; the
//! ready-made templates; rejected rules; tags in bulk, renamed into rules, kept while used.

mod common;

use chrono::NaiveDate;
use clinic_core::patients::{ConditionInput, CreatePatient, MergePatients, PatientInput};
use clinic_core::segments::{
    templates, DeleteSegment, DeleteTag, EvaluateRule, Facts, ListSavedSegments,
    ListSegmentTemplates, ListTags, PatientSavedSegments, PatientTags, Rule, RuleResult,
    SaveSegment, SaveTag, SavedSegmentMembers, Subject, TagColour, TagPatients, VisitFact,
    VisitText,
};
use clinic_core::visits::VisitType;
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode, ValidationRule};
use uuid::Uuid;

const TODAY: &str = "2026-11-23";

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn patient(c: &Clinic, name: &str, birth: &str, chronic: &[&str]) -> Uuid {
    c.execute(
        &Actor::owner(),
        CreatePatient {
            input: PatientInput {
                name: name.into(),
                birth_date: Some(birth.into()),
                sex: Some("F".into()),
                conditions: chronic
                    .iter()
                    .map(|n| ConditionInput {
                        name: n.to_string(),
                        icd10: None,
                        chronic: true,
                        since: None,
                    })
                    .collect(),
                ..Default::default()
            },
            allow_duplicate: true,
        },
    )
    .unwrap()
    .id
}

fn visit(c: &Clinic, p: Uuid, date: &str, treatment: &str, amount: &str, nps: Option<i32>) {
    c.execute(
        &Actor::owner(),
        AddVisit(VisitInput {
            patient_id: p.to_string(),
            at: format!("{date}T10:00+08:00"),
            department: "牙科".into(),
            visit_type: "return".into(),
            treatment: Some(treatment.into()),
            amount: Some(amount.into()),
            nps,
            ..Default::default()
        }),
    )
    .unwrap();
}

fn eval(c: &Clinic, rule: &Rule) -> RuleResult {
    c.execute(
        &Actor::owner(),
        EvaluateRule {
            rule: rule.clone(),
            today: Some(d(TODAY)),
            limit: None,
        },
    )
    .unwrap()
}

fn names(r: &RuleResult) -> Vec<&str> {
    r.members.iter().map(|m| m.name.as_str()).collect()
}

fn json(text: &str) -> Rule {
    serde_json::from_str(text).unwrap()
}

/// Four patients: a diabetic senior last seen 120 days ago, a child with fluoride 2 months
/// ago, a child never given fluoride, and an adult detractor with scaling 8 months ago.
fn small_clinic() -> (tempfile::TempDir, Clinic, [Uuid; 4]) {
    let (tmp, c) = common::clinic();
    let old = patient(&c, "王老伯", "1950-05-01", &["2型糖尿病", "高血压"]);
    visit(&c, old, "2026-07-26", "复诊", "200", None);
    visit(&c, old, "2026-01-10", "复诊", "150", None);
    let kid = patient(&c, "陳小明", "2019-12-01", &[]);
    visit(&c, kid, "2026-09-20", "塗氟", "300", Some(10));
    let kid2 = patient(&c, "Amy Lin", "2020-11-25", &[]);
    visit(&c, kid2, "2026-11-01", "exam", "80", None);
    let adult = patient(&c, "李娜", "1990-02-28", &[]);
    visit(
        &c,
        adult,
        "2026-03-15",
        "Scaling and polishing",
        "600",
        Some(3),
    );
    visit(&c, adult, "2026-10-30", "consultation", "50", Some(5));
    (tmp, c, [old, kid, kid2, adult])
}

#[test]
fn a_nested_rule_is_saved_loaded_and_evaluated_with_the_facts_that_decided_it() {
    let (_tmp, c, [old, _, kid2, adult]) = small_clinic();
    let owner = Actor::owner();
    // (chronic diabetes AND not seen for 90 days) OR (adult AND NOT (spent ≥ 1000 in 12 months))
    let rule = json(
        r#"{"kind":"any","items":[
            {"kind":"all","items":[
                {"kind":"chronic","terms":["糖尿病","diabetes"]},
                {"kind":"daysSinceLastVisit","min":90,"max":null}]},
            {"kind":"all","items":[
                {"kind":"label","dimension":"age-group","label":"adult"},
                {"kind":"not","item":{"kind":"spent","months":12,"min":"1000","max":null}}]}
        ]}"#,
    );
    let saved = c
        .execute(
            &owner,
            SaveSegment {
                id: None,
                name: "Call list".into(),
                description: Some(" check-ins ".into()),
                rule: rule.clone(),
                template: None,
            },
        )
        .unwrap();
    assert_eq!(saved.description.as_deref(), Some("check-ins"));
    assert!(saved.count <= 2);

    // Loaded back exactly, and counted as of the given day.
    let list = c
        .execute(
            &owner,
            ListSavedSegments {
                today: Some(d(TODAY)),
            },
        )
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].rule, rule);
    assert_eq!(list[0].count, 2);
    let members = c
        .execute(
            &owner,
            SavedSegmentMembers {
                name: "call LIST".into(),
                today: Some(d(TODAY)),
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(names(&members), ["李娜", "王老伯"]);
    let ids: Vec<Uuid> = members.members.iter().map(|m| m.id).collect();
    assert_eq!(ids, [adult, old]);
    let why = |i: usize| -> Vec<String> {
        members.members[i]
            .why
            .iter()
            .map(|r| format!("{}{}", if r.negated { "NOT " } else { "" }, r.text))
            .collect()
    };
    assert_eq!(
        why(0),
        [
            "age-group: adult — 36 years old (born 1990-02-28), range 18-64",
            "NOT spent 650.00 in 12 months"
        ]
    );
    assert_eq!(
        why(1),
        ["chronic: 2型糖尿病", "last visit 2026-07-26 (120 days ago)"]
    );
    let facts = &members.members[1].why[1].facts;
    assert_eq!(facts["days"], "120");

    // Kid2 is in neither branch; a child whose "adult" test fails.
    assert!(!ids.contains(&kid2));
    // One patient's saved segments, with the same reasons (the patient page).
    let of = |p: Uuid| {
        c.execute(
            &owner,
            PatientSavedSegments {
                patient_id: p,
                today: Some(d(TODAY)),
            },
        )
        .unwrap()
    };
    let theirs = of(old);
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].name, "Call list");
    assert_eq!(theirs[0].why, members.members[1].why);
    assert!(of(kid2).is_empty());

    // Changing the rule and the name keeps the id; the same name in other case is taken.
    let narrower = json(r#"{"kind":"chronic","terms":[]}"#);
    let changed = c
        .execute(
            &owner,
            SaveSegment {
                id: Some(saved.id),
                name: "Chronic".into(),
                description: None,
                rule: narrower,
                template: None,
            },
        )
        .unwrap();
    assert_eq!((changed.id, changed.count), (saved.id, 1));
    let err = c
        .execute(
            &owner,
            SaveSegment {
                id: None,
                name: "CHRONIC".into(),
                description: None,
                rule: json(r#"{"kind":"referrals","min":1}"#),
                template: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.rule, Some(ValidationRule::Taken));

    c.execute(&owner, DeleteSegment { id: saved.id }).unwrap();
    assert!(c
        .execute(&owner, ListSavedSegments { today: None })
        .unwrap()
        .is_empty());
    let gone = c
        .execute(&owner, DeleteSegment { id: saved.id })
        .unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound);
}

#[test]
fn every_template_is_valid_round_trips_and_finds_the_right_patients() {
    let (_tmp, c, _) = small_clinic();
    let shipped = c.execute(&Actor::owner(), ListSegmentTemplates).unwrap();
    assert!(shipped.len() >= 10, "{} templates", shipped.len());
    assert_eq!(shipped, templates());
    let mut keys: Vec<&str> = shipped.iter().map(|t| t.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), shipped.len(), "keys are unique");
    for t in &shipped {
        t.rule.validate().unwrap();
        let text = serde_json::to_string(&t.rule).unwrap();
        assert_eq!(serde_json::from_str::<Rule>(&text).unwrap(), t.rule);
    }
    let members = |key: &str| -> Vec<String> {
        let t = shipped.iter().find(|t| t.key == key).unwrap();
        names(&eval(&c, &t.rule))
            .into_iter()
            .map(String::from)
            .collect()
    };
    assert_eq!(members("chronic-not-seen-90"), ["王老伯"]);
    assert_eq!(members("diabetes-review-due"), ["王老伯"]);
    // Fluoride 2 months ago (in Traditional Chinese) counts; the other child had none.
    assert_eq!(members("children-fluoride-due"), ["Amy Lin"]);
    // Scaling (English, any case) 8 months ago: due.
    assert_eq!(members("scaling-due"), ["李娜"]);
    // The latest answer in 3 months is 5: a detractor (the 3 in March is older).
    assert_eq!(members("detractors-3-months"), ["李娜"]);
    assert_eq!(members("unhappy-recently"), ["李娜"]);
    // Birthday on 25 November, two days away; 28 February and 1 December are not.
    assert_eq!(members("birthdays-this-week"), ["Amy Lin"]);
    assert_eq!(members("promoters-no-referral"), ["陳小明"]);
    // One visit 64 days ago: in; one 22 days ago is too recent; two visits are not "no
    // second visit".
    assert_eq!(members("no-second-visit"), ["陳小明"]);
}

fn facts_with(visits: &[(&str, &str)]) -> Facts {
    Facts {
        birth_date: Some(d("2000-02-29")),
        visits: visits
            .iter()
            .map(|(date, treatment)| VisitFact {
                date: d(date),
                visit_type: VisitType::Return,
                text: Some(Box::new(VisitText {
                    treatment: treatment.to_string(),
                    ..Default::default()
                })),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn matches(rule: &str, facts: &Facts, today: &str) -> bool {
    json(rule)
        .evaluate(&Subject {
            facts,
            labels: &[],
            today: d(today),
        })
        .0
}

#[test]
fn conditions_at_their_edges() {
    let none = facts_with(&[]);
    // No visit at all: more days than any minimum, never within a maximum.
    assert!(matches(
        r#"{"kind":"daysSinceLastVisit","min":90,"max":null}"#,
        &none,
        TODAY
    ));
    assert!(!matches(
        r#"{"kind":"daysSinceLastVisit","min":null,"max":9999}"#,
        &none,
        TODAY
    ));
    let f = facts_with(&[("2026-08-25", "洗牙"), ("2025-11-23", "洗牙")]);
    // Exactly 90 days: min is inclusive.
    assert!(matches(
        r#"{"kind":"daysSinceLastVisit","min":90,"max":90}"#,
        &f,
        TODAY
    ));
    // 12 months to 2026-11-23 start on 2025-11-24: the visit exactly a year ago is outside.
    assert!(matches(
        r#"{"kind":"visits","months":12,"min":1,"max":1}"#,
        &f,
        TODAY
    ));
    assert!(matches(
        r#"{"kind":"visits","months":null,"min":2,"max":null}"#,
        &f,
        TODAY
    ));
    assert!(matches(
        r#"{"kind":"lastVisit","after":"2026-08-25","before":null}"#,
        &f,
        TODAY
    ));
    assert!(!matches(
        r#"{"kind":"lastVisit","after":"2026-08-26","before":null}"#,
        &f,
        TODAY
    ));
    // A 29 February birthday falls on 1 March in other years.
    assert!(matches(
        r#"{"kind":"birthdayWithin","days":0}"#,
        &f,
        "2027-03-01"
    ));
    assert!(!matches(
        r#"{"kind":"birthdayWithin","days":0}"#,
        &f,
        "2027-02-28"
    ));
    assert!(matches(
        r#"{"kind":"birthdayWithin","days":0}"#,
        &f,
        "2028-02-29"
    ));
    // Across the new year: 29 Dec → 1 March is 62 days.
    assert!(matches(
        r#"{"kind":"birthdayWithin","days":62}"#,
        &f,
        "2026-12-29"
    ));
    assert!(!matches(
        r#"{"kind":"birthdayWithin","days":61}"#,
        &f,
        "2026-12-29"
    ));
    // Age turns on the birthday.
    assert!(matches(
        r#"{"kind":"age","min":27,"max":null}"#,
        &f,
        "2027-03-01"
    ));
    assert!(!matches(
        r#"{"kind":"age","min":27,"max":null}"#,
        &f,
        "2027-02-28"
    ));

    // NOT flips the outcome and marks the reasons; OR gives only the items that held.
    let not = json(r#"{"kind":"not","item":{"kind":"treatment","terms":["洗牙"],"months":6}}"#);
    let (m, why) = not.evaluate(&Subject {
        facts: &f,
        labels: &[],
        today: d(TODAY),
    });
    assert!(!m);
    assert!(why[0].negated);
    assert_eq!(why[0].text, "treatment on 2026-08-25: 洗牙");
    let any = json(
        r#"{"kind":"any","items":[{"kind":"referrals","min":1},{"kind":"visits","months":null,"min":2,"max":null}]}"#,
    );
    let (m, why) = any.evaluate(&Subject {
        facts: &f,
        labels: &[],
        today: d(TODAY),
    });
    assert!(m);
    assert_eq!(why.len(), 1);
    assert_eq!(why[0].kind, "visits");
}

#[test]
fn rules_that_cannot_mean_anything_are_refused() {
    let (_tmp, c) = common::clinic();
    for (rule, expected) in [
        (r#"{"kind":"all","items":[]}"#, ValidationRule::OutOfRange),
        (
            r#"{"kind":"age","min":40,"max":30}"#,
            ValidationRule::OutOfRange,
        ),
        (
            r#"{"kind":"age","min":null,"max":null}"#,
            ValidationRule::OutOfRange,
        ),
        (
            r#"{"kind":"label","dimension":"lifecycle","label":"gold"}"#,
            ValidationRule::UnknownValue,
        ),
        (
            r#"{"kind":"tag","name":"VIP"}"#,
            ValidationRule::UnknownValue,
        ),
        (
            r#"{"kind":"visits","months":0,"min":1,"max":null}"#,
            ValidationRule::OutOfRange,
        ),
        (
            r#"{"kind":"spent","months":12,"min":"10.005","max":null}"#,
            ValidationRule::TooManyDecimals,
        ),
        (
            r#"{"kind":"treatment","terms":[" "],"months":null}"#,
            ValidationRule::OutOfRange,
        ),
        (
            r#"{"kind":"nps","months":3,"min":null,"max":11}"#,
            ValidationRule::OutOfRange,
        ),
        (r#"{"kind":"sex","sex":"X"}"#, ValidationRule::UnknownValue),
    ] {
        let err = c
            .execute(
                &Actor::owner(),
                EvaluateRule {
                    rule: json(rule),
                    today: None,
                    limit: None,
                },
            )
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation, "{rule}");
        assert_eq!(err.rule, Some(expected), "{rule}: {}", err.message);
    }
    // Seven groups deep is too deep.
    let mut deep = json(r#"{"kind":"referrals","min":1}"#);
    for _ in 0..6 {
        deep = Rule::All { items: vec![deep] };
    }
    assert!(deep.validate().is_err());
    // Unknown fields of a newer version are not silently dropped into a wrong rule.
    assert!(serde_json::from_str::<Rule>(r#"{"kind":"claims","min":100}"#).is_err());
}

#[test]
fn tags_in_bulk_renamed_into_rules_kept_while_used_and_carried_by_a_merge() {
    let (_tmp, c, [old, kid, kid2, adult]) = small_clinic();
    let owner = Actor::owner();
    let vip = c
        .execute(
            &owner,
            SaveTag {
                id: None,
                name: " VIP ".into(),
                colour: TagColour::Gold,
            },
        )
        .unwrap();
    assert_eq!((vip.name.as_str(), vip.patients), ("VIP", 0));
    let taken = c
        .execute(
            &owner,
            SaveTag {
                id: None,
                name: "vip".into(),
                colour: TagColour::Red,
            },
        )
        .unwrap_err();
    assert_eq!(taken.rule, Some(ValidationRule::Taken));

    // Bulk: from a segment's members (here: the children), then a list with a repeat.
    let children = eval(
        &c,
        &json(r#"{"kind":"label","dimension":"age-group","label":"child"}"#),
    );
    let ids: Vec<Uuid> = children.members.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 2);
    let tag = |patients: Vec<Uuid>, remove: bool| {
        c.execute(
            &owner,
            TagPatients {
                tag_id: vip.id,
                patients,
                remove,
            },
        )
    };
    assert_eq!(tag(ids.clone(), false).unwrap(), 2);
    assert_eq!(tag(vec![kid, adult, adult], false).unwrap(), 1);
    assert_eq!(tag(vec![kid2], true).unwrap(), 1);
    assert_eq!(tag(vec![kid2], true).unwrap(), 0);
    // An unknown patient fails the whole batch: nobody was tagged.
    let err = tag(vec![old, Uuid::now_v7()], false).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let listed = c.execute(&owner, ListTags).unwrap();
    assert_eq!(listed[0].patients, 2);
    let mine = c.execute(&owner, PatientTags { patient_id: kid }).unwrap();
    assert_eq!(mine[0].colour, TagColour::Gold);

    let rule = json(r#"{"kind":"all","items":[{"kind":"tag","name":"vip"}]}"#);
    assert_eq!(names(&eval(&c, &rule)), ["李娜", "陳小明"]);
    let seg = c
        .execute(
            &owner,
            SaveSegment {
                id: None,
                name: "VIPs".into(),
                description: None,
                rule,
                template: None,
            },
        )
        .unwrap();
    // Renamed: the saved rule follows; deleting is refused while the rule uses it.
    c.execute(
        &owner,
        SaveTag {
            id: Some(vip.id),
            name: "Gold members".into(),
            colour: TagColour::Gold,
        },
    )
    .unwrap();
    let saved = &c
        .execute(&owner, ListSavedSegments { today: None })
        .unwrap()[0];
    assert_eq!(saved.rule.tag_names(), ["Gold members"]);
    assert_eq!(saved.count, 2);
    let err = c.execute(&owner, DeleteTag { id: vip.id }).unwrap_err();
    assert_eq!(err.code, ErrorCode::InUse);
    assert!(err.message.contains("VIPs"), "{}", err.message);

    // A merge carries the merged record's tags to the survivor.
    c.execute(
        &owner,
        MergePatients {
            survivor: kid2,
            merged: kid,
        },
    )
    .unwrap();
    let survivor = c.execute(&owner, PatientTags { patient_id: kid2 }).unwrap();
    assert_eq!(survivor.len(), 1);

    c.execute(&owner, DeleteSegment { id: seg.id }).unwrap();
    c.execute(&owner, DeleteTag { id: vip.id }).unwrap();
    assert!(c.execute(&owner, ListTags).unwrap().is_empty());
}

#[test]
fn appointments_booked_and_missed_in_rules() {
    let (_t, c) = common::clinic();
    let booked = patient(&c, "预约者", "1980-01-01", &[]);
    let missed = patient(&c, "爽约者", "1980-01-01", &[]);
    let at = |s: &str| {
        Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc),
        )
    };
    let book = |p: Uuid, when: &str, now: &str| {
        c.execute(
            &Actor::owner(),
            clinic_core::appointments::BookAppointment {
                input: clinic_core::appointments::AppointmentInput {
                    patient_id: p.to_string(),
                    at: when.into(),
                    allow_outside_hours: true,
                    ..Default::default()
                },
                now: at(now),
            },
        )
        .unwrap()
        .id
    };
    book(
        booked,
        "2026-11-26T10:00+08:00",
        "2026-11-20T10:00:00+08:00",
    );
    let gone = book(
        missed,
        "2026-11-02T10:00+08:00",
        "2026-10-30T10:00:00+08:00",
    );
    c.execute(
        &Actor::owner(),
        clinic_core::appointments::SetAppointmentStatus {
            id: gone,
            status: clinic_core::appointments::AppointmentStatus::NoShow,
            visit_id: None,
            now: at("2026-11-02T12:00:00+08:00"),
        },
    )
    .unwrap();
    let within = eval(&c, &Rule::AppointmentWithin { days: 7 });
    assert_eq!(names(&within), ["预约者"]);
    assert_eq!(
        within.members[0].why[0]
            .facts
            .get("date")
            .map(String::as_str),
        Some("2026-11-26")
    );
    assert!(eval(&c, &Rule::AppointmentWithin { days: 2 })
        .members
        .is_empty());
    let no_shows = eval(
        &c,
        &Rule::NoShows {
            months: Some(3),
            min: 1,
        },
    );
    assert_eq!(names(&no_shows), ["爽约者"]);
    assert_eq!(
        no_shows.members[0].why[0].text,
        "1 missed appointment(s) in 3 months"
    );
    // Nothing booked: NOT of "booked within 30 days".
    let none = eval(
        &c,
        &Rule::Not {
            item: Box::new(Rule::AppointmentWithin { days: 30 }),
        },
    );
    assert_eq!(names(&none), ["爽约者"]);
}
