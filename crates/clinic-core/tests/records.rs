//! Patients and visits through the one door, on a real encrypted file.

use clinic_core::patients::{
    ArchivePatient, CreatePatient, GetPatient, ListPatients, PatientInput, PaymentType,
    SearchPatients, Sex, UpdatePatient,
};
use clinic_core::visits::{AddVisit, ListVisits, UpdateVisit, VisitInput, VisitType};
use clinic_core::{Actor, Clinic, ErrorCode, KdfParams, Role, ValidationRule};

fn clinic() -> (tempfile::TempDir, Clinic) {
    let tmp = tempfile::tempdir().unwrap();
    let params = KdfParams {
        m_cost: 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let clinic = Clinic::initialize_with(tmp.path(), "correct horse battery", params)
        .unwrap()
        .0;
    (tmp, clinic)
}

fn owner() -> Actor {
    Actor::owner()
}

fn zhang() -> PatientInput {
    PatientInput {
        name: "  张伟明 ".into(),
        sex: Some("M".into()),
        birth_date: Some("1980-05-17".into()),
        phone: Some("138 1234 5678".into()),
        email: Some("zhang@example.cn".into()),
        address: Some("上海市徐汇区".into()),
        payment_type: Some("self-pay".into()),
        allergies: vec![clinic_core::patients::AllergyInput {
            substance: "青霉素".into(),
            ..Default::default()
        }],
        notes: None,
        id_number: None,
        ..Default::default()
    }
}

fn visit(patient: &str, at: &str) -> VisitInput {
    VisitInput {
        patient_id: patient.into(),
        at: at.into(),
        department: "dental".into(),
        doctor: Some("林医生".into()),
        visit_type: "return".into(),
        chief_complaint: Some("牙痛".into()),
        amount: Some("350.00".into()),
        satisfaction: Some(5),
        ..Default::default()
    }
}

#[test]
fn patient_round_trip_edit_and_archive() {
    let (_tmp, c) = clinic();
    let p = c.execute(&owner(), CreatePatient::new(zhang())).unwrap();
    assert_eq!(p.name, "张伟明", "trimmed");
    assert_eq!(p.sex, Some(Sex::Male));
    assert_eq!(p.payment_type, Some(PaymentType::SelfPay));
    assert_eq!(p.birth_date.unwrap().to_string(), "1980-05-17");
    assert!(p.age.unwrap() >= 46);
    assert_eq!(c.execute(&owner(), GetPatient(p.id)).unwrap(), p);

    let mut edit = PatientInput::from(&p);
    edit.phone = Some("13900000000".into());
    edit.payment_type = Some("public-insurance".into());
    let edited = c
        .execute(
            &owner(),
            UpdatePatient {
                id: p.id,
                input: edit,
                reason: None,
            },
        )
        .unwrap();
    assert_eq!(edited.phone.as_deref(), Some("13900000000"));
    assert_eq!(edited.payment_type, Some(PaymentType::PublicInsurance));
    assert!(edited.updated_at >= p.updated_at);
    assert_eq!(edited.created_at, p.created_at);

    let archived = c
        .execute(
            &owner(),
            ArchivePatient {
                id: p.id,
                archived: true,
            },
        )
        .unwrap();
    assert!(archived.archived_at.is_some());
    let list = c
        .execute(
            &owner(),
            ListPatients {
                include_archived: false,
                limit: 50,
                offset: 0,
            },
        )
        .unwrap();
    assert!(list.is_empty(), "archived patients leave the list");
    let all = c
        .execute(
            &owner(),
            ListPatients {
                include_archived: true,
                limit: 50,
                offset: 0,
            },
        )
        .unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].archived);
    assert!(c
        .execute(
            &owner(),
            SearchPatients {
                query: "张".into(),
                limit: 10
            }
        )
        .unwrap()
        .is_empty());
    // still readable: clinical records are kept
    assert!(c.execute(&owner(), GetPatient(p.id)).is_ok());
    let restored = c
        .execute(
            &owner(),
            ArchivePatient {
                id: p.id,
                archived: false,
            },
        )
        .unwrap();
    assert!(restored.archived_at.is_none());
}

#[test]
fn search_by_name_fragment_any_case_and_by_phone_fragment() {
    let (_tmp, c) = clinic();
    c.execute(&owner(), CreatePatient::new(zhang())).unwrap();
    for (name, phone) in [
        ("张小凡", "13700001111"),
        ("Margaret Thornbury", "0912-345-678"),
        ("王五", "02012345678"),
        ("50%_off", "1"),
    ] {
        let input = PatientInput {
            name: name.into(),
            phone: (phone.len() > 2).then(|| phone.into()),
            ..Default::default()
        };
        c.execute(&owner(), CreatePatient::new(input)).unwrap();
    }
    let search = |q: &str| -> Vec<String> {
        c.execute(
            &owner(),
            SearchPatients {
                query: q.into(),
                limit: 20,
            },
        )
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect()
    };
    assert_eq!(search("张"), vec!["张伟明", "张小凡"]);
    assert_eq!(search("伟明"), vec!["张伟明"]);
    assert_eq!(search("thorn"), vec!["Margaret Thornbury"]);
    assert_eq!(search("MARGARET"), vec!["Margaret Thornbury"]);
    let mut by_phone = search("12345678");
    by_phone.sort();
    assert_eq!(by_phone, vec!["Margaret Thornbury", "张伟明", "王五"]);
    assert_eq!(
        search("0912 345"),
        vec!["Margaret Thornbury"],
        "spaces and dashes ignored"
    );
    assert_eq!(search("%"), vec!["50%_off"], "wildcards are literal");
    assert!(search("nobody").is_empty());
    let summary = &c
        .execute(
            &owner(),
            SearchPatients {
                query: "伟明".into(),
                limit: 5,
            },
        )
        .unwrap()[0];
    assert!(summary.has_allergies);
    assert_eq!(summary.visit_count, 0);
}

#[test]
fn patient_validation_errors_are_typed_and_write_nothing() {
    let (_tmp, c) = clinic();
    let cases: Vec<(PatientInput, &str, ValidationRule)> = vec![
        (
            PatientInput {
                name: "   ".into(),
                ..zhang()
            },
            "name",
            ValidationRule::Required,
        ),
        (
            PatientInput {
                birth_date: Some("2026-02-30".into()),
                ..zhang()
            },
            "birthDate",
            ValidationRule::InvalidDate,
        ),
        (
            PatientInput {
                birth_date: Some("2999-01-01".into()),
                ..zhang()
            },
            "birthDate",
            ValidationRule::InFuture,
        ),
        (
            PatientInput {
                sex: Some("X".into()),
                ..zhang()
            },
            "sex",
            ValidationRule::UnknownValue,
        ),
        (
            PatientInput {
                payment_type: Some("cash".into()),
                ..zhang()
            },
            "paymentType",
            ValidationRule::UnknownValue,
        ),
        (
            PatientInput {
                phone: Some("call me".into()),
                ..zhang()
            },
            "phone",
            ValidationRule::InvalidFormat,
        ),
        (
            PatientInput {
                email: Some("nope".into()),
                ..zhang()
            },
            "email",
            ValidationRule::InvalidFormat,
        ),
        (
            PatientInput {
                name: "名".repeat(101),
                ..zhang()
            },
            "name",
            ValidationRule::TooLong,
        ),
    ];
    for (input, field, rule) in cases {
        let err = c.execute(&owner(), CreatePatient::new(input)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.field.as_deref(), Some(field));
        assert_eq!(err.rule, Some(rule), "{field}");
    }
    assert!(c
        .execute(
            &owner(),
            ListPatients {
                include_archived: true,
                limit: 10,
                offset: 0
            }
        )
        .unwrap()
        .is_empty());

    // a failed edit leaves the stored record as it was
    let p = c.execute(&owner(), CreatePatient::new(zhang())).unwrap();
    let bad = PatientInput {
        birth_date: Some("1980-13-01".into()),
        ..zhang()
    };
    assert!(c
        .execute(
            &owner(),
            UpdatePatient {
                id: p.id,
                input: bad,
                reason: None,
            }
        )
        .is_err());
    assert_eq!(c.execute(&owner(), GetPatient(p.id)).unwrap(), p);
    let missing = c
        .execute(&owner(), GetPatient(uuid::Uuid::new_v4()))
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
}

#[test]
fn visits_round_trip_newest_first_with_exact_money() {
    let (_tmp, c) = clinic();
    let p = c.execute(&owner(), CreatePatient::new(zhang())).unwrap();
    let pid = p.id.to_string();
    let first = c
        .execute(&owner(), AddVisit(visit(&pid, "2026-10-01T09:00+08:00")))
        .unwrap();
    let mut later = visit(&pid, "2026-11-20T09:30+08:00");
    later.amount = Some("0.10".into());
    later.visit_type = "first".into();
    let second = c.execute(&owner(), AddVisit(later)).unwrap();
    // Same instant written in UTC sorts by instant, not by text.
    let third = c
        .execute(&owner(), AddVisit(visit(&pid, "2026-11-20T02:00:00Z")))
        .unwrap();

    let list = c
        .execute(&owner(), ListVisits { patient_id: p.id })
        .unwrap();
    assert_eq!(
        list.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![third.id, second.id, first.id]
    );
    assert_eq!(first.amount.unwrap().to_string(), "350.00");
    assert_eq!(second.amount.unwrap().to_string(), "0.10");
    assert_eq!(second.visit_type, VisitType::First);
    assert_eq!(
        second.at.to_rfc3339(),
        "2026-11-20T09:30:00+08:00",
        "the offset is kept"
    );
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(
        json["amount"], "350.00",
        "money crosses IPC as text, never a float"
    );

    let mut edit = visit(&pid, "2026-10-01T09:00+08:00");
    edit.diagnosis = Some("龋齿".into());
    edit.satisfaction = Some(3);
    let edited = c
        .execute(
            &owner(),
            UpdateVisit {
                id: first.id,
                input: edit,
            },
        )
        .unwrap();
    assert_eq!(edited.diagnosis.as_deref(), Some("龋齿"));
    assert_eq!(edited.satisfaction, Some(3));

    let summary = &c
        .execute(
            &owner(),
            SearchPatients {
                query: "张伟明".into(),
                limit: 1,
            },
        )
        .unwrap()[0];
    assert_eq!(summary.visit_count, 3);
    assert_eq!(
        summary.last_visit_at.as_deref(),
        Some("2026-11-20T02:00:00+00:00")
    );

    // The latest visit was entered with the wrong date: the list's last visit follows.
    let latest = list[0].clone();
    c.execute(
        &owner(),
        UpdateVisit {
            id: latest.id,
            input: visit(&pid, "2026-09-01T10:00+08:00"),
        },
    )
    .unwrap();
    let summary = &c
        .execute(
            &owner(),
            SearchPatients {
                query: "张伟明".into(),
                limit: 1,
            },
        )
        .unwrap()[0];
    assert_eq!(summary.visit_count, 3);
    assert_eq!(
        summary.last_visit_at.as_deref(),
        Some("2026-11-20T09:30:00+08:00")
    );
}

#[test]
fn visit_validation_errors_are_typed_and_write_nothing() {
    let (_tmp, c) = clinic();
    let p = c.execute(&owner(), CreatePatient::new(zhang())).unwrap();
    let pid = p.id.to_string();
    let ok = visit(&pid, "2026-11-20T09:30+08:00");
    let cases: Vec<(VisitInput, &str, ValidationRule)> = vec![
        (
            VisitInput {
                amount: Some("-1".into()),
                ..ok.clone()
            },
            "amount",
            ValidationRule::Negative,
        ),
        (
            VisitInput {
                amount: Some("12.345".into()),
                ..ok.clone()
            },
            "amount",
            ValidationRule::TooManyDecimals,
        ),
        (
            VisitInput {
                satisfaction: Some(6),
                ..ok.clone()
            },
            "satisfaction",
            ValidationRule::OutOfRange,
        ),
        (
            VisitInput {
                visit_type: "walk-in".into(),
                ..ok.clone()
            },
            "visitType",
            ValidationRule::UnknownValue,
        ),
        (
            VisitInput {
                at: "2026-02-30T09:00+08:00".into(),
                ..ok.clone()
            },
            "at",
            ValidationRule::InvalidDate,
        ),
        (
            VisitInput {
                at: "2026-11-20T09:30".into(),
                ..ok.clone()
            },
            "at",
            ValidationRule::MissingTimeZone,
        ),
        (
            VisitInput {
                at: "2999-01-01T09:00+08:00".into(),
                ..ok.clone()
            },
            "at",
            ValidationRule::InFuture,
        ),
        (
            VisitInput {
                department: " ".into(),
                ..ok.clone()
            },
            "department",
            ValidationRule::Required,
        ),
        (
            VisitInput {
                patient_id: "nope".into(),
                ..ok.clone()
            },
            "patientId",
            ValidationRule::InvalidFormat,
        ),
    ];
    for (input, field, rule) in cases {
        let err = c.execute(&owner(), AddVisit(input)).unwrap_err();
        assert_eq!((err.field.as_deref(), err.rule), (Some(field), Some(rule)));
    }
    let unknown = visit(&uuid::Uuid::new_v4().to_string(), "2026-11-20T09:30+08:00");
    assert_eq!(
        c.execute(&owner(), AddVisit(unknown)).unwrap_err().code,
        ErrorCode::NotFound
    );
    assert!(c
        .execute(&owner(), ListVisits { patient_id: p.id })
        .unwrap()
        .is_empty());

    c.execute(
        &owner(),
        ArchivePatient {
            id: p.id,
            archived: true,
        },
    )
    .unwrap();
    assert_eq!(
        c.execute(&owner(), AddVisit(ok)).unwrap_err().code,
        ErrorCode::NotFound,
        "no visits for archived patients"
    );
}

#[test]
fn the_door_checks_permissions() {
    let (_tmp, c) = clinic();
    let desk = Actor::with_role("前台小李", Role::FrontDesk);
    let p = c.execute(&desk, CreatePatient::new(zhang())).unwrap();
    let err = c
        .execute(
            &desk,
            ArchivePatient {
                id: p.id,
                archived: true,
            },
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied);
    assert!(c
        .execute(&owner(), GetPatient(p.id))
        .unwrap()
        .archived_at
        .is_none());
}

#[test]
fn errors_serialise_as_code_and_message() {
    let (_tmp, c) = clinic();
    let err = c
        .execute(&owner(), CreatePatient::new(PatientInput::default()))
        .unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"code": "VALIDATION", "message": "name: is required", "field": "name", "rule": "required"})
    );
}

#[test]
fn a_visit_keeps_its_recommendation_score_from_0_to_10() {
    let (_tmp, c) = clinic();
    let p = c.execute(&owner(), CreatePatient::new(zhang())).unwrap();
    let pid = p.id.to_string();
    for bad in [-1, 11] {
        let mut v = visit(&pid, "2026-11-20T09:30+08:00");
        v.nps = Some(bad);
        let err = c.execute(&owner(), AddVisit(v)).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("nps"), "{bad}");
        assert_eq!(err.rule, Some(ValidationRule::OutOfRange));
    }
    for (n, at) in [
        (0, "2026-11-19T09:30+08:00"),
        (10, "2026-11-20T09:30+08:00"),
    ] {
        let mut v = visit(&pid, at);
        v.nps = Some(n);
        c.execute(&owner(), AddVisit(v)).unwrap();
    }
    let mut list = c
        .execute(&owner(), ListVisits { patient_id: p.id })
        .unwrap();
    let scores: Vec<Option<u8>> = list.iter().map(|v| v.nps).collect();
    assert_eq!(scores, [Some(10), Some(0)]);
    // Edited away: no answer.
    let first = list.remove(0);
    let mut input = visit(&pid, "2026-11-20T09:30+08:00");
    input.nps = None;
    let edited = c
        .execute(
            &owner(),
            UpdateVisit {
                id: first.id,
                input,
            },
        )
        .unwrap();
    assert_eq!(edited.nps, None);
}
