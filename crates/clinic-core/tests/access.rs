//! Staff, roles and the audit log (#10): the permission matrix (every action × every
//! role, written out here by hand rather than derived from the code under test), staff
//! accounts and signing in with its back-off, and the audit chain catching an edited,
//! removed or cut-off entry.

mod common;

use chrono::{Duration, Utc};
use clinic_core::access::audit::{ListAudit, VerifyAudit};
use clinic_core::access::staff::{AddStaff, DefineRole, DisableStaff, ListStaff, SignIn};
use clinic_core::access::{authorize, Permission};
use clinic_core::patients::{CreatePatient, GetPatient, PatientInput};
use clinic_core::reports::{ReportFilter, ReportName, RunReport};
use clinic_core::{Action, Actor, Clinic, ErrorCode, Role};

/// Whether each role may: owner, doctor, front desk, and a custom "reception lead" with
/// view-reports and adjust-points.
const MATRIX: &[(Action, [bool; 4])] = &[
    (Action::PatientRead, [true, true, true, true]),
    (Action::PatientWrite, [true, true, true, false]),
    (Action::PatientArchive, [true, true, false, false]),
    (Action::PatientMerge, [true, true, false, false]),
    (Action::PatientImport, [true, true, true, false]),
    (Action::PatientExport, [true, true, false, false]),
    (Action::VisitRead, [true, true, true, true]),
    (Action::VisitWrite, [true, true, true, false]),
    (Action::HandoutPrint, [true, true, true, true]),
    (Action::AppointmentRead, [true, true, true, true]),
    (Action::AppointmentWrite, [true, true, true, true]),
    (Action::ReminderRead, [true, true, true, true]),
    (Action::ReminderWrite, [true, true, true, true]),
    (Action::SettingsRead, [true, true, true, true]),
    (Action::SettingsWrite, [true, true, false, false]),
    (Action::Backup, [true, false, false, false]),
    (Action::KeyManagement, [true, false, false, false]),
    (Action::PointsRead, [true, true, true, true]),
    (Action::PointsRedeem, [true, true, true, true]),
    (Action::PointsAdjust, [true, false, false, true]),
    (Action::PointsExpire, [true, true, true, true]),
    (Action::ReportRead, [true, true, false, true]),
    (Action::SignIn, [true, true, true, true]),
    (Action::StaffRead, [true, false, false, false]),
    (Action::StaffWrite, [true, false, false, false]),
    (Action::AuditRead, [true, false, false, false]),
    (Action::PrivacyErase, [true, false, false, false]),
];

fn actors() -> [Actor; 4] {
    [
        Actor::with_role("王老板", Role::Owner),
        Actor::with_role("陳醫師", Role::Doctor),
        Actor::with_role("前台小林", Role::FrontDesk),
        Actor::custom(
            "lead",
            "reception lead",
            vec![Permission::ViewReports, Permission::AdjustPoints],
        ),
    ]
}

#[test]
fn every_action_against_every_role() {
    assert_eq!(
        MATRIX.len(),
        Action::ALL.len(),
        "the matrix names every action"
    );
    for action in Action::ALL {
        let (_, expected) = MATRIX
            .iter()
            .find(|(a, _)| a == action)
            .unwrap_or_else(|| panic!("{action:?} missing from the matrix"));
        for (actor, may) in actors().iter().zip(expected) {
            let got = authorize(actor, *action);
            assert_eq!(got.is_ok(), *may, "{} {:?}", actor.role_name, action);
            if let Err(e) = got {
                assert_eq!(e.code, ErrorCode::PermissionDenied);
            }
        }
    }
}

/// `None` when the account was added, else the error's code.
fn add(c: &Clinic, by: &Actor, name: &str, role: &str, password: &str) -> Option<ErrorCode> {
    c.execute(
        by,
        AddStaff {
            name: name.into(),
            role: role.into(),
            password: password.into(),
        },
    )
    .err()
    .map(|e| e.code)
}

#[test]
fn staff_accounts_sign_in_back_off_and_switch_off() {
    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    // The first account is the owner's.
    let e = c
        .execute(
            &owner,
            AddStaff {
                name: "陳醫師".into(),
                role: "doctor".into(),
                password: "stethoscope".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("role"));
    assert_eq!(add(&c, &owner, "王老板", "owner", "owner-passphrase"), None);
    assert_eq!(add(&c, &owner, "陳醫師", "doctor", "stethoscope"), None);
    assert_eq!(add(&c, &owner, "小林", "front-desk", "2468"), None, "a PIN");
    assert_eq!(
        add(&c, &owner, "小林", "doctor", "whatever1"),
        Some(ErrorCode::Duplicate)
    );
    let short = c
        .execute(
            &owner,
            AddStaff {
                name: "Amy".into(),
                role: "front-desk".into(),
                password: "abc".into(),
            },
        )
        .unwrap_err();
    assert_eq!(short.field.as_deref(), Some("password"));
    assert_eq!(
        add(&c, &owner, "Amy", "nurse", "long enough"),
        Some(ErrorCode::Validation),
        "no such role"
    );
    // Only who may manage staff adds staff.
    let doctor = c.sign_in("陳醫師", "stethoscope").unwrap();
    assert_eq!(doctor.role, Role::Doctor);
    assert!(doctor.may(Permission::ViewClinical));
    assert_eq!(
        add(&c, &doctor, "Eve", "owner", "takeover!!"),
        Some(ErrorCode::PermissionDenied)
    );

    // A custom role.
    c.execute(
        &owner,
        DefineRole {
            name: "Reception lead".into(),
            permissions: vec![Permission::ViewReports, Permission::EditPatients],
        },
    )
    .unwrap();
    assert_eq!(
        add(&c, &owner, "Mia", "reception lead", "reports-please"),
        None
    );
    let mia = c.sign_in("mia", "reports-please").unwrap();
    assert_eq!(mia.role, Role::Custom);
    assert!(mia.may(Permission::ViewReports) && !mia.may(Permission::Export));

    // Wrong passwords: three free, then a wait that doubles; the right one after it.
    let t0 = Utc::now();
    let attempt = |password: &str, at| {
        c.execute(
            &owner,
            SignIn {
                name: "小林".into(),
                password: password.into(),
                now: Some(at),
            },
        )
        .unwrap()
    };
    for i in 0..3 {
        let e = attempt("1111", t0 + Duration::seconds(i)).unwrap_err();
        assert_eq!(e.code, ErrorCode::SignInFailed);
    }
    // The fourth wrong one starts a 30 s wait; even the right PIN waits.
    assert_eq!(
        attempt("1111", t0 + Duration::seconds(4)).unwrap_err().code,
        ErrorCode::SignInFailed
    );
    let e = attempt("2468", t0 + Duration::seconds(10)).unwrap_err();
    assert_eq!(e.code, ErrorCode::TooManyAttempts);
    assert!(e.message.contains("24 s"), "{}", e.message);
    // The fifth wrong one (after the wait) doubles it.
    assert_eq!(
        attempt("1111", t0 + Duration::seconds(40))
            .unwrap_err()
            .code,
        ErrorCode::SignInFailed
    );
    assert_eq!(
        attempt("2468", t0 + Duration::seconds(90))
            .unwrap_err()
            .code,
        ErrorCode::TooManyAttempts
    );
    let desk = attempt("2468", t0 + Duration::seconds(101)).unwrap();
    assert_eq!(desk.role, Role::FrontDesk);
    // The count starts again after a good one.
    assert_eq!(
        attempt("1111", t0 + Duration::seconds(102))
            .unwrap_err()
            .code,
        ErrorCode::SignInFailed
    );
    assert!(attempt("2468", t0 + Duration::seconds(103)).is_ok());
    // No such person: the same answer as a wrong password.
    assert_eq!(
        c.sign_in("nobody", "2468").unwrap_err().code,
        ErrorCode::SignInFailed
    );

    // Switched off: cannot sign in; the last owner cannot be switched off.
    c.execute(
        &owner,
        DisableStaff {
            name: "小林".into(),
        },
    )
    .unwrap();
    assert_eq!(
        c.sign_in("小林", "2468").unwrap_err().code,
        ErrorCode::SignInFailed
    );
    assert_eq!(
        c.execute(
            &owner,
            DisableStaff {
                name: "王老板".into()
            }
        )
        .unwrap_err()
        .code,
        ErrorCode::InUse
    );
    // Another role, and a new PIN for someone who forgot theirs (their wait lifted).
    use clinic_core::access::staff::{ResetStaffPassword, SetStaffRole};
    let lead = c
        .execute(
            &owner,
            SetStaffRole {
                name: "陳醫師".into(),
                role: "reception lead".into(),
            },
        )
        .unwrap();
    assert_eq!(lead.role, "reception lead");
    assert!(!c
        .sign_in("陳醫師", "stethoscope")
        .unwrap()
        .may(Permission::ViewClinical));
    assert_eq!(
        c.execute(
            &owner,
            SetStaffRole {
                name: "王老板".into(),
                role: "doctor".into(),
            },
        )
        .unwrap_err()
        .code,
        ErrorCode::InUse,
        "the last owner stays an owner"
    );
    for _ in 0..5 {
        let _ = c.sign_in("Mia", "wrong guess");
    }
    assert_eq!(
        c.sign_in("Mia", "reports-please").unwrap_err().code,
        ErrorCode::TooManyAttempts
    );
    c.execute(
        &owner,
        ResetStaffPassword {
            name: "Mia".into(),
            password: "a new start".into(),
        },
    )
    .unwrap();
    let mia = c.sign_in("Mia", "a new start").unwrap();
    // Mia changes her own password: the current one first.
    use clinic_core::access::staff::ChangeOwnPassword;
    let own = |current: &str, new: &str| {
        c.execute(
            &mia,
            ChangeOwnPassword {
                current: current.into(),
                new: new.into(),
            },
        )
    };
    assert_eq!(
        own("not it", "mine alone").unwrap_err().code,
        ErrorCode::SignInFailed
    );
    assert_eq!(
        own("a new start", "12").unwrap_err().field.as_deref(),
        Some("password")
    );
    own("a new start", "mine alone").unwrap();
    assert!(c.sign_in("Mia", "mine alone").is_ok());
    // The owner (no staff account of that name) cannot change anyone's through it.
    assert_eq!(
        c.execute(
            &owner,
            ChangeOwnPassword {
                current: "x".into(),
                new: "whatever1".into()
            }
        )
        .unwrap_err()
        .code,
        ErrorCode::SignInFailed
    );
    let staff = c.execute(&owner, ListStaff).unwrap();
    let names: Vec<(&str, bool)> = staff.iter().map(|m| (m.name.as_str(), m.active)).collect();
    assert_eq!(
        names,
        [
            ("Mia", true),
            ("王老板", true),
            ("陳醫師", true),
            ("小林", false)
        ]
    );
    assert!(staff
        .iter()
        .find(|m| m.name == "陳醫師")
        .unwrap()
        .last_sign_in_at
        .is_some());
}

#[test]
fn every_change_read_and_refusal_is_in_a_chain_that_shows_tampering() {
    let (tmp, c, key) = common::clinic_and_key();
    let owner = Actor::owner();
    let p = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "林美玲".into(),
                phone: Some("0912345678".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    let doctor = Actor::with_role("陳醫師", Role::Doctor);
    c.execute(&doctor, GetPatient(p.id)).unwrap();
    let desk = Actor::with_role("小林", Role::FrontDesk);
    let refused = c
        .execute(
            &desk,
            RunReport {
                name: ReportName::Revenue,
                filter: ReportFilter {
                    from: "2026-01-01".parse().unwrap(),
                    to: "2026-01-31".parse().unwrap(),
                    ..Default::default()
                },
                today: None,
            },
        )
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);
    assert_eq!(
        c.execute(&desk, ListAudit::default()).unwrap_err().code,
        ErrorCode::PermissionDenied,
        "the front desk cannot open the audit log"
    );

    let log = c.execute(&owner, ListAudit::default()).unwrap();
    let seen: Vec<(String, String, Option<String>)> = log
        .iter()
        .rev()
        .map(|e| (e.staff.clone(), e.action.clone(), e.patient_id.clone()))
        .collect();
    let pid = Some(p.id.to_string());
    assert_eq!(
        seen,
        [
            ("owner".into(), "patient-write".into(), pid.clone()),
            ("陳醫師".into(), "patient-read".into(), pid.clone()),
            ("小林".into(), "denied:report-read".into(), None),
            ("小林".into(), "denied:audit-read".into(), None),
        ]
    );
    assert!(log[3].detail.contains("CreatePatient"), "{}", log[3].detail);
    // Handed to an auditor as CSV: a header and one line per entry, names readable.
    let csv = clinic_core::access::audit::to_csv(&log).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.contains("小林,front-desk,denied:report-read"), "{csv}");
    assert!(csv.contains(",林美玲,"), "{csv}");
    // Filters.
    let about = c
        .execute(
            &owner,
            ListAudit {
                patient_id: pid.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(about.len(), 2, "registered, then read");
    let denied = c
        .execute(
            &owner,
            ListAudit {
                action: Some("denied".into()),
                staff: Some("小林".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(denied.len(), 2);

    let verdict = c.execute(&owner, VerifyAudit).unwrap();
    assert!(verdict.intact, "{verdict:?}");
    assert_eq!(verdict.entries, 4);

    // Someone with the key edits the file behind the app's back.
    let conn = common::raw(tmp.path(), &key);
    conn.execute_batch(
        "DROP TRIGGER audit_log_append_only_update; DROP TRIGGER audit_log_append_only_delete;",
    )
    .unwrap();
    let verify = || c.execute(&owner, VerifyAudit).unwrap();
    conn.execute_batch("UPDATE audit_log SET staff = 'owner' WHERE seq = 2")
        .unwrap();
    let v = verify();
    assert!(!v.intact);
    assert_eq!(v.first_broken, Some(2));
    conn.execute_batch("UPDATE audit_log SET staff = '陳醫師' WHERE seq = 2")
        .unwrap();
    assert!(verify().intact, "put back exactly, the chain holds again");
    conn.execute_batch("DELETE FROM audit_log WHERE seq = 3")
        .unwrap();
    let v = verify();
    assert_eq!(v.first_broken, Some(3), "{v:?}");
    assert!(v.problem.unwrap().contains("missing"));

    // A cut-off tail: the last entries removed.
    let (tmp2, c2, key2) = common::clinic_and_key();
    common::add_patient(&c2, "A", "0911111111");
    common::add_patient(&c2, "B", "0922222222");
    assert!(c2.execute(&owner, VerifyAudit).unwrap().intact);
    let conn2 = common::raw(tmp2.path(), &key2);
    conn2
        .execute_batch(
            "DROP TRIGGER audit_log_append_only_delete; DELETE FROM audit_log WHERE seq = 2;",
        )
        .unwrap();
    let v = c2.execute(&owner, VerifyAudit).unwrap();
    assert!(!v.intact);
    assert_eq!(v.first_broken, Some(2));
    // And the application itself can neither edit nor remove an entry.
    let conn3 = common::raw(tmp2.path(), &key2);
    let e = conn3
        .execute_batch("UPDATE audit_log SET detail = '{}' WHERE seq = 1")
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
}

#[test]
fn the_front_desk_never_receives_clinical_notes_or_by_setting_full_phone_numbers() {
    use clinic_core::patients::profile::{AllergyInput, ConditionInput};
    use clinic_core::patients::{SearchPatients, UpdatePatient};
    use clinic_core::privacy::{PrivacySettings, SavePrivacySettings};
    use clinic_core::visits::{AddVisit, ListVisits, VisitInput};

    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let p = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "林美玲".into(),
                phone: Some("0912345678".into()),
                conditions: vec![ConditionInput {
                    name: "diabetes".into(),
                    chronic: true,
                    ..Default::default()
                }],
                allergies: vec![AllergyInput {
                    substance: "penicillin".into(),
                    severity: Some("severe".into()),
                    ..Default::default()
                }],
                notes: Some("anxious about needles".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    c.execute(
        &owner,
        AddVisit(VisitInput {
            patient_id: p.id.to_string(),
            at: "2026-11-20T09:30+08:00".into(),
            department: "Dental".into(),
            visit_type: "return".into(),
            diagnosis: Some("caries".into()),
            treatment: Some("filling".into()),
            ..Default::default()
        }),
    )
    .unwrap();
    let desk = Actor::with_role("小林", Role::FrontDesk);
    let seen = c.execute(&desk, GetPatient(p.id)).unwrap();
    assert_eq!(seen.phone.as_deref(), Some("0912***678"));
    assert!(seen.conditions.is_empty() && seen.allergies.is_empty() && seen.notes.is_none());
    let found = c
        .execute(
            &desk,
            SearchPatients {
                query: "0912345678".into(),
                limit: 10,
            },
        )
        .unwrap();
    assert_eq!(
        found[0].phone.as_deref(),
        Some("0912***678"),
        "found by the number typed"
    );
    let visits = c.execute(&desk, ListVisits { patient_id: p.id }).unwrap();
    assert_eq!(visits.len(), 1);
    assert!(visits[0].diagnosis.is_none() && visits[0].treatment.is_none());
    assert_eq!(visits[0].department, "Dental");
    // Correcting the amount on the visit as shown keeps its diagnosis and treatment.
    let shown = &visits[0];
    c.execute(
        &desk,
        clinic_core::visits::UpdateVisit {
            id: shown.id,
            input: VisitInput {
                patient_id: p.id.to_string(),
                at: shown.at.to_rfc3339(),
                department: shown.department.clone(),
                visit_type: "return".into(),
                amount: Some("80.00".into()),
                ..Default::default()
            },
        },
    )
    .unwrap();
    let kept = c.execute(&owner, ListVisits { patient_id: p.id }).unwrap();
    assert_eq!(kept[0].diagnosis.as_deref(), Some("caries"));
    assert_eq!(kept[0].treatment.as_deref(), Some("filling"));
    assert_eq!(
        kept[0].amount.map(|a| a.to_string()).as_deref(),
        Some("80.00")
    );
    // The visit's change in the record's history: the amount, and nothing hidden.
    let history = c
        .execute(
            &owner,
            clinic_core::patients::history::PatientHistory { patient_id: p.id },
        )
        .unwrap();
    assert_eq!(history[0].action, "visit-write");
    assert_eq!(history[0].staff, "小林");
    assert_eq!(
        history[0].changes.keys().collect::<Vec<_>>(),
        ["amount"],
        "{:?}",
        history[0].changes
    );

    // The front desk corrects the address on what they were shown: nothing hidden is lost.
    let mut input = PatientInput::from(&seen);
    input.address = Some("台北市大安區".into());
    c.execute(
        &desk,
        UpdatePatient {
            id: p.id,
            input,
            reason: None,
        },
    )
    .unwrap();
    let full = c.execute(&owner, GetPatient(p.id)).unwrap();
    assert_eq!(full.address.as_deref(), Some("台北市大安區"));
    assert_eq!(full.phone.as_deref(), Some("0912345678"));
    assert_eq!(full.conditions.len(), 1);
    assert_eq!(full.allergies.len(), 1);
    assert_eq!(full.notes.as_deref(), Some("anxious about needles"));

    // The doctor sees everything; with masking off the front desk sees the number.
    let doctor = Actor::with_role("陳醫師", Role::Doctor);
    assert_eq!(c.execute(&doctor, GetPatient(p.id)).unwrap(), full);
    c.execute(
        &owner,
        SavePrivacySettings(PrivacySettings {
            mask_for_front_desk: false,
            ..Default::default()
        }),
    )
    .unwrap();
    let seen = c.execute(&desk, GetPatient(p.id)).unwrap();
    assert_eq!(seen.phone.as_deref(), Some("0912345678"));
    assert!(seen.conditions.is_empty(), "clinical notes stay hidden");
}

/// The audit entry of each change carries the rows it wrote, field by field, before and
/// after — whatever the operation (not only corrections, which say so themselves) — and a
/// log reader without view-clinical does not read the clinical fields there.
#[test]
fn every_change_records_the_fields_it_wrote_before_and_after() {
    use clinic_core::appointments::{
        AppointmentInput, AppointmentStatus, BookAppointment, SetAppointmentStatus,
    };
    use clinic_core::loyalty::AdjustPoints;
    use clinic_core::privacy::{PrivacySettings, SavePrivacySettings};
    use clinic_core::visits::{AddVisit, VisitInput};

    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let p = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "林美玲".into(),
                phone: Some("0912345678".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    c.execute(
        &owner,
        AddVisit(VisitInput {
            patient_id: p.id.to_string(),
            at: "2026-11-02T10:00:00+08:00".into(),
            department: "牙周科".into(),
            visit_type: "first".into(),
            diagnosis: Some("牙周炎".into()),
            amount: Some("300".into()),
            ..Default::default()
        }),
    )
    .unwrap();
    let booked = c
        .execute(
            &owner,
            BookAppointment::new(AppointmentInput {
                patient_id: p.id.to_string(),
                at: "2030-12-02 10:00".into(),
                minutes: Some(30),
                ..Default::default()
            }),
        )
        .unwrap();
    c.execute(
        &owner,
        SetAppointmentStatus {
            id: booked.id,
            status: AppointmentStatus::Cancelled,
            visit_id: None,
            now: None,
        },
    )
    .unwrap();
    c.execute(
        &owner,
        AdjustPoints {
            patient_id: p.id.to_string(),
            points: 50,
            reason: "goodwill after a long wait".into(),
            on: "2026-11-03".parse().unwrap(),
        },
    )
    .unwrap();
    c.execute(
        &owner,
        SavePrivacySettings(PrivacySettings {
            auto_lock_minutes: 12,
            ..Default::default()
        }),
    )
    .unwrap();

    let log = |by: &Actor| {
        c.execute(
            by,
            ListAudit {
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap()
    };
    let rows = |entries: &[clinic_core::access::audit::AuditEntry], op: &str| {
        let entry = entries
            .iter()
            .find(|e| e.detail.contains(&format!("\"op\":\"{op}\"")))
            .unwrap_or_else(|| panic!("no entry for {op}"));
        let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
        detail["rows"].as_array().cloned().unwrap_or_default()
    };
    let entries = log(&owner);

    let status = rows(&entries, "SetAppointmentStatus");
    assert_eq!(status.len(), 1, "{status:?}");
    assert_eq!(status[0]["table"], "appointment");
    assert_eq!(status[0]["op"], "update");
    assert_eq!(status[0]["key"], booked.id.to_string());
    assert_eq!(
        status[0]["fields"]["status"],
        serde_json::json!(["scheduled", "cancelled"])
    );

    let points = rows(&entries, "AdjustPoints");
    let entry = points
        .iter()
        .find(|r| r["table"] == "points_entry")
        .expect("the ledger row");
    assert_eq!(entry["op"], "insert");
    assert_eq!(entry["fields"]["points"], serde_json::json!([null, 50]));
    assert_eq!(
        entry["fields"]["reason"],
        serde_json::json!([null, "goodwill after a long wait"])
    );

    let settings = rows(&entries, "SavePrivacySettings");
    assert_eq!(settings[0]["table"], "privacy_setting");
    assert_eq!(
        settings[0]["fields"]["value.autoLockMinutes"],
        serde_json::json!([null, 12]),
        "{settings:?}"
    );

    // The visit as written; what triggers derived from it (the patient's visit count, the
    // caches) is not the change and is not listed.
    let visit = rows(&entries, "AddVisit");
    assert_eq!(visit.len(), 1, "{visit:?}");
    assert_eq!(visit[0]["table"], "visit");
    assert_eq!(
        visit[0]["fields"]["diagnosis"],
        serde_json::json!([null, "牙周炎"])
    );
    assert_eq!(
        visit[0]["fields"]["department"],
        serde_json::json!([null, "牙周科"])
    );

    // Someone who reads the log but not clinical details.
    let auditor = Actor::custom("auditor", "auditor", vec![Permission::ViewAudit]);
    let theirs = log(&auditor);
    let visit = rows(&theirs, "AddVisit");
    assert!(visit[0]["fields"].get("diagnosis").is_none(), "{visit:?}");
    assert_eq!(
        visit[0]["fields"]["department"],
        serde_json::json!([null, "牙周科"])
    );
    // The chain still verifies: the reader's copy is redacted, not the log.
    assert!(c.execute(&owner, VerifyAudit).unwrap().intact);
}

/// Labels worked out from clinical details (severity, risk level) and rule reasons that
/// name a condition or diagnosis do not reach someone who may not view clinical details.
#[test]
fn segments_say_no_clinical_detail_to_the_front_desk() {
    use clinic_core::patients::ConditionInput;
    use clinic_core::segments::{
        CountSegments, Dimension, EvaluateRule, ExplainPatient, Rule, SegmentMembers,
    };

    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let p = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "林美玲".into(),
                birth_date: Some("1950-01-02".into()),
                conditions: vec![ConditionInput {
                    name: "糖尿病".into(),
                    chronic: true,
                    ..Default::default()
                }],
                ..Default::default()
            }),
        )
        .unwrap();
    let desk = Actor::with_role("小林", Role::FrontDesk);
    let today = Some("2026-11-25".parse().unwrap());

    let chips = |by: &Actor| {
        c.execute(
            by,
            ExplainPatient {
                patient_id: p.id,
                today,
            },
        )
        .unwrap()
    };
    let theirs = chips(&owner);
    assert!(theirs
        .iter()
        .any(|l| l.dimension == Dimension::RiskLevel && l.text.contains("糖尿病")));
    let desks = chips(&desk);
    assert!(!desks.is_empty());
    assert!(desks
        .iter()
        .all(|l| l.dimension != Dimension::RiskLevel && l.dimension != Dimension::Severity));
    assert!(!format!("{desks:?}").contains("糖尿病"));

    let counts = c.execute(&desk, CountSegments { today }).unwrap();
    assert!(counts.iter().all(|d| d.dimension != Dimension::Severity));
    let refused = c
        .execute(
            &desk,
            SegmentMembers {
                dimension: Dimension::RiskLevel,
                label: "medium".into(),
                today,
            },
        )
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::PermissionDenied);

    let rule = Rule::Chronic {
        terms: vec!["糖尿".into()],
    };
    let evaluate = |by: &Actor| {
        c.execute(
            by,
            EvaluateRule {
                rule: rule.clone(),
                today,
                limit: None,
            },
        )
        .unwrap()
    };
    let full = evaluate(&owner);
    assert_eq!(full.members.len(), 1);
    assert!(format!("{:?}", full.members[0].why).contains("糖尿病"));
    let hidden = evaluate(&desk);
    assert_eq!(hidden.members.len(), 1, "the desk still calls the list");
    assert_eq!(hidden.members[0].why[0].kind, "clinical");
    assert!(!format!("{:?}", hidden.members[0].why).contains("糖尿"));
}
