//! The full profile: every section stored and read back, list entries validated with the
//! entry named, consents as a history, family links both ways, duplicates flagged and
//! merged without losing anything.

mod common;

use clinic_core::patients::{
    AllergyInput, AllergySeverity, ArchivePatient, ConditionInput, ConsentPurpose, CreatePatient,
    DuplicateReason, FindDuplicates, GetPatient, LinkFamily, ListPatients, MedicationInput,
    MergePatients, Patient, PatientInput, PhoneInput, RecordConsent, Relation, SearchPatients,
    UnlinkFamily, UpdatePatient,
};
use clinic_core::visits::{AddVisit, ListVisits, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode, ValidationRule};
use common::{clinic, clinic_and_key, first_release_file};

fn owner() -> Actor {
    Actor::owner()
}

fn full() -> PatientInput {
    PatientInput {
        name: "陳美玲".into(),
        sex: Some("F".into()),
        birth_date: Some("1958-03-09".into()),
        phone: Some("0912-345-678".into()),
        other_phones: vec![
            PhoneInput {
                number: "02-2345-6789".into(),
                label: Some("家".into()),
            },
            PhoneInput::default(), // a blank row left in the form
        ],
        email: Some("meiling@example.tw".into()),
        address: Some("台北市大安區復興南路一段 100 號".into()),
        region: Some("台北市".into()),
        occupation: Some("退休教師".into()),
        education: Some("tertiary".into()),
        marital_status: Some("widowed".into()),
        income_band: Some("middle".into()),
        preferred_language: Some("zh-TW".into()),
        id_number: Some("A234567893".into()),
        payment_type: Some("public-insurance".into()),
        insurer: Some("國泰人壽".into()),
        policy_number: Some("CT-2024-0099".into()),
        conditions: vec![
            ConditionInput {
                name: "高血壓".into(),
                icd10: Some("i10".into()),
                chronic: true,
                since: Some("2015-06-01".into()),
            },
            ConditionInput {
                name: "第二型糖尿病".into(),
                icd10: Some("E11.9".into()),
                chronic: true,
                since: None,
            },
        ],
        past_history: Some("2019 年膽囊切除".into()),
        family_history: Some("母親：中風".into()),
        allergies: vec![AllergyInput {
            substance: "盤尼西林".into(),
            reaction: Some("呼吸困難".into()),
            severity: Some("life-threatening".into()),
        }],
        medications: vec![MedicationInput {
            name: "Amlodipine".into(),
            dose: Some("5 mg 每日一次".into()),
            since: Some("2016-01-01".into()),
        }],
        smoking: Some("former".into()),
        alcohol: Some("occasional".into()),
        exercise: Some("most-days".into()),
        diet: Some("少鹽".into()),
        sleep: Some("6 小時".into()),
        work_pattern: Some("retired".into()),
        preferred_doctor: Some("林醫師".into()),
        preferred_channel: Some("line".into()),
        preferred_time: Some("morning".into()),
        referral_channel: Some("signage".into()),
        referred_by: None,
        notes: Some("聽力較弱，請說慢一點".into()),
    }
}

fn create(c: &Clinic, input: PatientInput) -> Patient {
    c.execute(&owner(), CreatePatient::new(input)).unwrap()
}

fn named(name: &str, phone: Option<&str>) -> PatientInput {
    PatientInput {
        name: name.into(),
        phone: phone.map(Into::into),
        ..Default::default()
    }
}

#[test]
fn every_section_is_stored_and_read_back() {
    let (_tmp, c) = clinic();
    let p = create(&c, full());
    let again = c.execute(&owner(), GetPatient(p.id)).unwrap();
    assert_eq!(p, again);
    assert_eq!(p.other_phones.len(), 1, "the blank phone row is dropped");
    assert_eq!(p.other_phones[0].label.as_deref(), Some("家"));
    assert_eq!(
        p.conditions[0].icd10.as_deref(),
        Some("I10"),
        "codes are upper-cased"
    );
    assert!(p.conditions.iter().all(|x| x.chronic));
    assert_eq!(
        p.allergies[0].severity,
        Some(AllergySeverity::LifeThreatening)
    );
    assert_eq!(p.id_number_masked.as_deref(), Some("A2****7893"));
    // The form round-trips: what the page shows is what the form sends back.
    assert_eq!(PatientInput::from(&p).other_phones.len(), 1);
    let edited = c
        .execute(
            &owner(),
            UpdatePatient {
                id: p.id,
                input: PatientInput::from(&p),
                reason: None,
            },
        )
        .unwrap();
    assert_eq!(edited.conditions, p.conditions);
    assert_eq!(edited.medications, p.medications);
    assert_eq!(edited.insurer, p.insurer);
}

#[test]
fn editing_replaces_lists_and_every_phone_is_searchable() {
    let (_tmp, c) = clinic();
    let p = create(&c, full());
    let find = |q: &str| -> Vec<String> {
        c.execute(
            &owner(),
            SearchPatients {
                query: q.into(),
                limit: 5,
            },
        )
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect()
    };
    assert_eq!(
        find("6789"),
        vec!["陳美玲"],
        "the home phone, not only the mobile"
    );
    assert_eq!(find("5678"), vec!["陳美玲"]);
    let mut input = PatientInput::from(&p);
    input.other_phones = vec![PhoneInput {
        number: "07-111-2222".into(),
        label: None,
    }];
    input.allergies.clear();
    input.conditions.remove(0);
    let edited = c
        .execute(
            &owner(),
            UpdatePatient {
                id: p.id,
                input,
                reason: None,
            },
        )
        .unwrap();
    assert!(edited.allergies.is_empty());
    assert_eq!(edited.conditions.len(), 1);
    assert_eq!(
        find("6789"),
        Vec::<String>::new(),
        "the old phone's keys are gone"
    );
    assert_eq!(find("2222"), vec!["陳美玲"]);
    let list = c
        .execute(
            &owner(),
            SearchPatients {
                query: "陳美".into(),
                limit: 5,
            },
        )
        .unwrap();
    assert!(!list[0].has_allergies);
}

/// A change to the full profile that the core must reject.
type Change = Box<dyn Fn(&mut PatientInput)>;

#[test]
fn list_entries_are_validated_with_the_entry_named() {
    let (_tmp, c) = clinic();
    let cases: Vec<(Change, &str, ValidationRule)> = vec![
        (
            Box::new(|p| p.conditions[1].icd10 = Some("diabetes".into())),
            "conditions.1.icd10",
            ValidationRule::InvalidFormat,
        ),
        (
            Box::new(|p| p.conditions[0].since = Some("2099-01-01".into())),
            "conditions.0.since",
            ValidationRule::InFuture,
        ),
        (
            Box::new(|p| p.allergies[0].severity = Some("deadly".into())),
            "allergies.0.severity",
            ValidationRule::UnknownValue,
        ),
        (
            Box::new(|p| p.allergies[0].substance = " ".into()),
            "allergies.0.substance",
            ValidationRule::Required,
        ),
        (
            Box::new(|p| p.other_phones[0].number = "call me".into()),
            "otherPhones.0.number",
            ValidationRule::InvalidFormat,
        ),
        (
            Box::new(|p| p.medications[0].name = "".into()),
            "medications.0.name",
            ValidationRule::Required,
        ),
        (
            Box::new(|p| p.education = Some("phd".into())),
            "education",
            ValidationRule::UnknownValue,
        ),
        (
            Box::new(|p| p.preferred_channel = Some("pigeon".into())),
            "preferredChannel",
            ValidationRule::UnknownValue,
        ),
        (
            Box::new(|p| p.work_pattern = Some("astronaut".into())),
            "workPattern",
            ValidationRule::UnknownValue,
        ),
        (
            Box::new(|p| p.referred_by = Some("nobody".into())),
            "referredBy",
            ValidationRule::InvalidFormat,
        ),
        (
            Box::new(|p| p.referred_by = Some(uuid::Uuid::nil().to_string())),
            "referredBy",
            ValidationRule::UnknownValue,
        ),
    ];
    for (change, field, rule) in cases {
        let mut input = full();
        change(&mut input);
        let e = c.execute(&owner(), CreatePatient::new(input)).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref(), e.rule),
            (ErrorCode::Validation, Some(field), Some(rule)),
            "{e:?}"
        );
    }
    assert!(c
        .execute(
            &owner(),
            SearchPatients {
                query: "".into(),
                limit: 10
            }
        )
        .unwrap()
        .is_empty());
}

#[test]
fn consent_is_a_history_and_the_latest_word_holds() {
    let (_tmp, c) = clinic();
    let p = create(&c, named("王芳", None));
    let clerk = Actor::with_role("小李", clinic_core::access::Role::FrontDesk);
    let consent = |purpose: &str, given: bool| RecordConsent {
        patient_id: p.id,
        purpose: purpose.into(),
        given,
        note: Some("signed form".into()),
    };
    c.execute(&clerk, consent("reminders", true)).unwrap();
    c.execute(&clerk, consent("marketing", true)).unwrap();
    let after = c.execute(&owner(), consent("marketing", false)).unwrap();
    assert_eq!(after.consents.len(), 3);
    assert_eq!(after.consents[0].purpose, ConsentPurpose::Marketing);
    assert!(!after.consents[0].given, "newest first: withdrawn");
    assert_eq!(after.consents[0].recorded_by, "owner");
    assert_eq!(
        after.consents[2].recorded_by, "小李",
        "who recorded it comes from the signed-in actor"
    );
    let e = c.execute(&owner(), consent("spam", true)).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("purpose"));
}

#[test]
fn family_links_are_seen_from_both_sides_and_referrals_name_the_referrer() {
    let (_tmp, c) = clinic();
    let mother = create(&c, named("林淑芬", Some("0933111222")));
    let child = create(
        &c,
        PatientInput {
            referred_by: Some(mother.id.to_string()),
            ..named("林小安", None)
        },
    );
    assert_eq!(child.referred_by_name.as_deref(), Some("林淑芬"));
    assert_eq!(
        child.referral_channel.map(|r| r.code()),
        Some("patient"),
        "a referrer implies the channel"
    );
    let child = c
        .execute(
            &owner(),
            LinkFamily {
                patient_id: child.id,
                relative_id: mother.id.to_string(),
                relation: "guardian".into(),
            },
        )
        .unwrap();
    assert_eq!(child.family[0].name, "林淑芬");
    assert_eq!(child.family[0].relation, Relation::Guardian);
    let mother_seen = c.execute(&owner(), GetPatient(mother.id)).unwrap();
    assert_eq!(mother_seen.family[0].relation, Relation::Ward);
    let e = c
        .execute(
            &owner(),
            LinkFamily {
                patient_id: child.id,
                relative_id: child.id.to_string(),
                relation: "sibling".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    c.execute(
        &owner(),
        UnlinkFamily {
            patient_id: mother.id,
            relative_id: child.id,
        },
    )
    .unwrap();
    assert!(c
        .execute(&owner(), GetPatient(child.id))
        .unwrap()
        .family
        .is_empty());
}

#[test]
fn likely_duplicates_are_flagged_before_saving() {
    let (_tmp, c) = clinic();
    let first = create(
        &c,
        PatientInput {
            birth_date: Some("1980-05-17".into()),
            id_number: Some("11010519491231002X".into()),
            ..named("张伟明", Some("138 1234 5678"))
        },
    );
    let check = |input: PatientInput| {
        c.execute(
            &owner(),
            FindDuplicates {
                input,
                except: None,
            },
        )
        .unwrap()
    };
    // Same phone written another way.
    let found = check(named("张卫民", Some("+86 138-1234-5678")));
    assert_eq!(
        (found.len(), found[0].reasons.clone()),
        (1, vec![DuplicateReason::Phone])
    );
    // Same name and birth date; same ID number; all three at once.
    let found = check(PatientInput {
        birth_date: Some("1980-05-17".into()),
        ..named("張偉明", None)
    });
    assert!(found.is_empty(), "a different spelling is a different name");
    let found = check(PatientInput {
        birth_date: Some("1980-05-17".into()),
        ..named("张伟明", None)
    });
    assert_eq!(found[0].reasons, vec![DuplicateReason::NameAndBirthDate]);
    let found = check(PatientInput {
        id_number: Some("11010519491231002x".into()),
        ..named("某人", None)
    });
    assert_eq!(found[0].reasons, vec![DuplicateReason::IdNumber]);
    // A number that merely ends the same way is not the same phone.
    assert!(check(named("别人", Some("12345678"))).is_empty());
    // An edit is not its own duplicate.
    let own = c
        .execute(
            &owner(),
            FindDuplicates {
                input: PatientInput::from(&first),
                except: Some(first.id),
            },
        )
        .unwrap();
    assert!(own.is_empty());

    let e = c
        .execute(
            &owner(),
            CreatePatient::new(named("张卫民", Some("13812345678"))),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Duplicate);
    assert!(e.message.contains("张伟明"), "{}", e.message);
    assert_eq!(
        c.execute(
            &owner(),
            SearchPatients {
                query: "".into(),
                limit: 10
            }
        )
        .unwrap()
        .len(),
        1,
        "nothing saved"
    );
    c.execute(
        &owner(),
        CreatePatient {
            input: named("张卫民", Some("13812345678")),
            allow_duplicate: true,
        },
    )
    .unwrap();
    // Archived patients are not flagged.
    c.execute(
        &owner(),
        ArchivePatient {
            id: first.id,
            archived: true,
        },
    )
    .unwrap();
    let found = check(PatientInput {
        birth_date: Some("1980-05-17".into()),
        ..named("张伟明", None)
    });
    assert!(found.is_empty());
}

fn visit(c: &Clinic, patient: &Patient, at: &str) {
    c.execute(
        &owner(),
        AddVisit(VisitInput {
            patient_id: patient.id.to_string(),
            at: at.into(),
            department: "牙科".into(),
            visit_type: "return".into(),
            ..Default::default()
        }),
    )
    .unwrap();
}

#[test]
fn merging_moves_everything_to_the_survivor_and_keeps_the_other_record() {
    let (_tmp, c) = clinic();
    let keep = create(
        &c,
        PatientInput {
            allergies: vec![AllergyInput {
                substance: "青霉素".into(),
                ..Default::default()
            }],
            ..named("王建国", Some("13900001111"))
        },
    );
    let other = c
        .execute(
            &owner(),
            CreatePatient {
                input: PatientInput {
                    birth_date: Some("1975-02-03".into()),
                    other_phones: vec![PhoneInput {
                        number: "021-5555-0000".into(),
                        label: Some("office".into()),
                    }],
                    allergies: vec![
                        AllergyInput {
                            substance: "青霉素".into(),
                            ..Default::default()
                        },
                        AllergyInput {
                            substance: "乳胶".into(),
                            ..Default::default()
                        },
                    ],
                    email: Some("wjg@example.cn".into()),
                    ..named("王建國", Some("13900001111"))
                },
                allow_duplicate: true,
            },
        )
        .unwrap();
    let referred = create(
        &c,
        PatientInput {
            referred_by: Some(other.id.to_string()),
            ..named("赵六", None)
        },
    );
    let spouse = create(&c, named("李梅", None));
    c.execute(
        &owner(),
        LinkFamily {
            patient_id: other.id,
            relative_id: spouse.id.to_string(),
            relation: "spouse".into(),
        },
    )
    .unwrap();
    c.execute(
        &owner(),
        RecordConsent {
            patient_id: other.id,
            purpose: "reminders".into(),
            given: true,
            note: None,
        },
    )
    .unwrap();
    visit(&c, &keep, "2026-01-05T09:00:00+08:00");
    visit(&c, &other, "2026-02-05T09:00:00+08:00");
    visit(&c, &other, "2026-03-05T09:00:00+08:00");

    let front_desk = Actor::with_role("desk", clinic_core::access::Role::FrontDesk);
    let e = c
        .execute(
            &front_desk,
            MergePatients {
                survivor: keep.id,
                merged: other.id,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);

    let merged = c
        .execute(
            &owner(),
            MergePatients {
                survivor: keep.id,
                merged: other.id,
            },
        )
        .unwrap();
    let visits = c
        .execute(
            &owner(),
            ListVisits {
                patient_id: keep.id,
            },
        )
        .unwrap();
    assert_eq!(visits.len(), 3);
    // The list's figures follow the visits that moved (kept on the patient row by triggers).
    let summary = c
        .execute(
            &owner(),
            ListPatients {
                include_archived: true,
                limit: 10,
                offset: 0,
            },
        )
        .unwrap();
    let figures = |id| {
        let s = summary.iter().find(|s| s.id == id).unwrap();
        (s.visit_count, s.last_visit_at.clone())
    };
    assert_eq!(
        figures(keep.id),
        (3, Some("2026-03-05T09:00:00+08:00".to_string()))
    );
    assert_eq!(figures(other.id), (0, None));
    assert_eq!(
        merged.birth_date.map(|d| d.to_string()).as_deref(),
        Some("1975-02-03"),
        "blanks filled"
    );
    assert_eq!(merged.email.as_deref(), Some("wjg@example.cn"));
    let substances: Vec<&str> = merged
        .allergies
        .iter()
        .map(|a| a.substance.as_str())
        .collect();
    assert_eq!(
        substances,
        ["青霉素", "乳胶"],
        "lists joined without repeats"
    );
    assert_eq!(merged.other_phones[0].number, "021-5555-0000");
    assert_eq!(merged.family[0].name, "李梅");
    assert_eq!(merged.consents.len(), 1);
    assert_eq!(
        (merged.merged_from.len(), merged.merged_from[0].visits_moved),
        (1, 2)
    );
    let referred = c.execute(&owner(), GetPatient(referred.id)).unwrap();
    assert_eq!(referred.referred_by, Some(keep.id));
    let gone = c.execute(&owner(), GetPatient(other.id)).unwrap();
    assert_eq!(gone.merged_into, Some(keep.id));
    assert!(gone.archived_at.is_some());
    assert!(c
        .execute(&owner(), GetPatient(spouse.id))
        .unwrap()
        .family
        .iter()
        .all(|f| f.id == keep.id));
    // Found once, under the survivor; the office phone now finds the survivor.
    let found = c
        .execute(
            &owner(),
            SearchPatients {
                query: "5555".into(),
                limit: 5,
            },
        )
        .unwrap();
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![keep.id]
    );
    let e = c
        .execute(
            &owner(),
            MergePatients {
                survivor: keep.id,
                merged: other.id,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation, "a record is merged once");
}

#[test]
fn free_text_allergies_from_an_older_file_become_entries() {
    let (tmp, c, key) = clinic_and_key();
    drop(c);
    {
        let conn = first_release_file(tmp.path(), &key);
        conn.execute(
            "INSERT INTO patient (id, name, name_fold, allergies, created_at, updated_at)
             VALUES ('00000000-0000-4000-8000-000000000001', '张伟明', '张伟明', ' 青霉素 ',
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }
    let c = Clinic::open_with_key(tmp.path(), &key).unwrap();
    let id = uuid::Uuid::parse_str("00000000-0000-4000-8000-000000000001").unwrap();
    let p = c.execute(&owner(), GetPatient(id)).unwrap();
    assert_eq!(p.allergies.len(), 1);
    assert_eq!(p.allergies[0].substance, "青霉素");
}

#[test]
fn visit_figures_of_an_older_file_are_counted_when_it_is_upgraded() {
    let (tmp, c, key) = clinic_and_key();
    drop(c);
    {
        let conn = first_release_file(tmp.path(), &key);
        conn.execute_batch(
            "INSERT INTO patient (id, name, name_fold, created_at, updated_at)
             VALUES ('00000000-0000-4000-8000-000000000001', '张伟明', '张伟明',
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO visit (id, patient_id, visited_at, visited_at_ms, department, visit_type,
                                created_at, updated_at, archived_at)
             VALUES
               ('v1', '00000000-0000-4000-8000-000000000001', '2026-02-01T09:00:00+08:00',
                1769907600000, 'dental', 'first', '2026-02-01T01:00:00Z', '2026-02-01T01:00:00Z', NULL),
               ('v2', '00000000-0000-4000-8000-000000000001', '2026-03-01T09:00:00+08:00',
                1772326800000, 'dental', 'return', '2026-03-01T01:00:00Z', '2026-03-01T01:00:00Z', NULL),
               ('v3', '00000000-0000-4000-8000-000000000001', '2026-04-01T09:00:00+08:00',
                1775005200000, 'dental', 'return', '2026-04-01T01:00:00Z', '2026-04-01T01:00:00Z',
                '2026-04-02T00:00:00Z');",
        )
        .unwrap();
    }
    let c = Clinic::open_with_key(tmp.path(), &key).unwrap();
    let list = c
        .execute(
            &owner(),
            ListPatients {
                include_archived: false,
                limit: 10,
                offset: 0,
            },
        )
        .unwrap();
    // The archived visit is not counted.
    assert_eq!(
        (list[0].visit_count, list[0].last_visit_at.as_deref()),
        (2, Some("2026-03-01T09:00:00+08:00"))
    );
}
