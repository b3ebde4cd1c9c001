//! Patients' privacy rights (#10): the access export holds every row the schema ties to
//! the patient; an erasure request within the retention period restricts the record and
//! removes marketing data, tags, points and contact details; after it, a purge leaves
//! nothing but anonymous counts; the retention period follows the jurisdiction.

mod common;

use chrono::NaiveDate;
use clinic_core::access::audit::{ListAudit, VerifyAudit};
use clinic_core::handouts::pdf::Paper;
use clinic_core::loyalty::{AdjustPoints, Jurisdiction, LoyaltySettings, SetLoyaltySettings};
use clinic_core::patients::profile::PhoneInput;
use clinic_core::patients::{ArchivePatient, CreatePatient, Language, PatientInput};
use clinic_core::privacy::{
    ErasePatientData, ExportPatientData, GetPrivacySettings, PrintPatientData, PrivacySettings,
    SavePrivacySettings,
};
use clinic_core::segments::{SaveTag, TagColour, TagPatients};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode};
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A patient with something in most tables: phones, email and address, a referral, a
/// visit, points, a tag, consent; and a friend they referred.
fn rich_patient(c: &Clinic) -> (Uuid, Uuid) {
    let owner = Actor::owner();
    c.execute(
        &owner,
        SetLoyaltySettings(LoyaltySettings::preset(Jurisdiction::MainlandChina)),
    )
    .unwrap();
    let p = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "林美玲".into(),
                phone: Some("13800138000".into()),
                other_phones: vec![PhoneInput {
                    number: "13900139000".into(),
                    label: Some("work".into()),
                }],
                email: Some("mei@example.com".into()),
                address: Some("上海市徐汇区".into()),
                referral_channel: Some("online".into()),
                ..Default::default()
            }),
        )
        .unwrap()
        .id;
    let friend = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "王小明".into(),
                phone: Some("13700137000".into()),
                referral_channel: Some("patient".into()),
                referred_by: Some(p.to_string()),
                ..Default::default()
            }),
        )
        .unwrap()
        .id;
    for (who, at) in [
        (p, "2025-03-02T10:00+08:00"),
        (p, "2025-09-10T09:00+08:00"),
        (friend, "2025-04-01T11:00+08:00"),
    ] {
        c.execute(
            &owner,
            AddVisit(VisitInput {
                patient_id: who.to_string(),
                at: at.into(),
                department: "Dental".into(),
                doctor: Some("Dr. Chen".into()),
                visit_type: "return".into(),
                diagnosis: Some("caries".into()),
                amount: Some("300.00".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    }
    c.execute(
        &owner,
        AdjustPoints {
            patient_id: p.to_string(),
            points: 50,
            reason: "welcome".into(),
            on: d("2025-09-10"),
        },
    )
    .unwrap();
    let tag = c
        .execute(
            &owner,
            SaveTag {
                id: None,
                name: "VIP".into(),
                colour: TagColour::Gold,
            },
        )
        .unwrap();
    c.execute(
        &owner,
        TagPatients {
            tag_id: tag.id,
            patients: vec![p],
            remove: false,
        },
    )
    .unwrap();
    (p, friend)
}

/// Rows in every table whose foreign keys point at the patient, straight from SQL.
fn rows_about(conn: &rusqlite::Connection, id: &str) -> Vec<(String, i64)> {
    let mut stmt = conn
        .prepare(
            "SELECT m.name, f.\"from\" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' AND f.\"table\" = 'patient' AND m.name <> 'patient'
               AND f.\"from\" = 'patient_id'",
        )
        .unwrap();
    let refs: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    refs.into_iter()
        .filter_map(|(t, col)| {
            let n: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM {t} WHERE {col} = ?1"),
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            (n > 0).then_some((t, n))
        })
        .collect()
}

#[test]
fn the_access_export_holds_every_row_about_the_patient() {
    let (tmp, c, key) = common::clinic_and_key();
    let (p, _) = rich_patient(&c);
    let owner = Actor::owner();
    let data = c
        .execute(&owner, ExportPatientData { patient_id: p })
        .unwrap();
    assert_eq!(data.sections[0].table, "patient");
    assert_eq!(data.sections[0].rows[0]["email"], "mei@example.com");
    let conn = common::raw(tmp.path(), &key);
    let expected = rows_about(&conn, &p.to_string());
    assert!(expected.len() >= 4, "{expected:?}");
    for (table, n) in expected {
        let got = data
            .sections
            .iter()
            .find(|s| s.table == table)
            .unwrap_or_else(|| panic!("{table} missing from the export"));
        assert_eq!(got.rows.len() as i64, n, "{table}");
    }
    // The trail of who looked is part of it (this export itself is recorded after it).
    assert!(data.sections.iter().any(|s| s.table == "audit_log"));
    // Nothing of the friend's own record.
    let json = serde_json::to_string(&data).unwrap();
    assert!(!json.contains("王小明") && !json.contains("13700137000"));

    for language in [Language::ZhCn, Language::En] {
        let pdf = c
            .execute(
                &owner,
                PrintPatientData {
                    data: data.clone(),
                    language,
                    paper: Paper::A4,
                },
            )
            .unwrap();
        assert!(pdf.starts_with(b"%PDF") && pdf.len() > 10_000);
    }
    // The export and the print are in the audit log, with the patient.
    let trail = c
        .execute(
            &owner,
            ListAudit {
                patient_id: Some(p.to_string()),
                action: Some("patient-export".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(trail.len(), 3);
    // Only who may export.
    let desk = Actor::with_role("小林", clinic_core::Role::FrontDesk);
    assert_eq!(
        c.execute(&desk, ExportPatientData { patient_id: p })
            .unwrap_err()
            .code,
        ErrorCode::PermissionDenied
    );
}

#[test]
fn erasure_within_retention_restricts_and_removes_what_care_does_not_need() {
    let (tmp, c, key) = common::clinic_and_key();
    let (p, friend) = rich_patient(&c);
    let owner = Actor::owner();
    let out = c
        .execute(
            &owner,
            ErasePatientData {
                patient_id: p,
                today: Some(d("2026-11-25")),
            },
        )
        .unwrap();
    assert_eq!(out.outcome, "restricted");
    // Mainland China (the loyalty programme's jurisdiction): 15 years after the last visit.
    assert_eq!(out.retained_until, Some(d("2040-09-10")));
    let conn = common::raw(tmp.path(), &key);
    let id = p.to_string();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [&id], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM visit WHERE patient_id = ?1"),
        2,
        "clinical records stay"
    );
    assert_eq!(
        count("SELECT count(*) FROM patient_tag WHERE patient_id = ?1"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM points_entry WHERE patient_id = ?1"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM patient_phone WHERE patient_id = ?1"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM patient WHERE id = ?1 AND email IS NULL AND address IS NULL
               AND referral_channel IS NULL AND restricted_at IS NOT NULL AND archived_at IS NOT NULL"),
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM consent WHERE patient_id = ?1 AND given = 0
               AND purpose IN ('reminders', 'marketing', 'research')"
        ),
        3
    );
    // The friend's record is untouched.
    let friend_ref: Option<String> = conn
        .query_row(
            "SELECT referred_by FROM patient WHERE id = ?1",
            [friend.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(friend_ref, Some(id.clone()));
    // A restricted record cannot be brought back into use.
    let back = c
        .execute(
            &owner,
            ArchivePatient {
                id: p,
                archived: false,
            },
        )
        .unwrap_err();
    assert_eq!(back.code, ErrorCode::InUse);
    // Audited, and the chain holds.
    let trail = c
        .execute(
            &owner,
            ListAudit {
                action: Some("privacy-erase".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].patient_id.as_deref(), Some(id.as_str()));
    assert!(c.execute(&owner, VerifyAudit).unwrap().intact);
}

#[test]
fn after_retention_a_purge_leaves_only_anonymous_counts() {
    let (tmp, c, key) = common::clinic_and_key();
    let (p, friend) = rich_patient(&c);
    let owner = Actor::owner();
    // Taiwan keeps records 7 years; a shorter setting is refused.
    let mut s = PrivacySettings {
        jurisdiction: Some(Jurisdiction::Taiwan),
        retention_years: Some(5),
        ..Default::default()
    };
    let e = c
        .execute(&owner, SavePrivacySettings(s.clone()))
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("retentionYears"));
    s.retention_years = None;
    c.execute(&owner, SavePrivacySettings(s)).unwrap();
    assert_eq!(
        c.execute(&owner, GetPrivacySettings)
            .unwrap()
            .effective_retention_years(),
        7
    );
    // The day before the 7 years are up: restricted; on the day: purged.
    let early = c
        .execute(
            &owner,
            ErasePatientData {
                patient_id: p,
                today: Some(d("2032-09-09")),
            },
        )
        .unwrap();
    assert_eq!(early.outcome, "restricted");
    let out = c
        .execute(
            &owner,
            ErasePatientData {
                patient_id: p,
                today: Some(d("2032-09-10")),
            },
        )
        .unwrap();
    assert_eq!(out.outcome, "purged", "{out:?}");
    let conn = common::raw(tmp.path(), &key);
    let id = p.to_string();
    assert!(
        rows_about(&conn, &id).is_empty(),
        "{:?}",
        rows_about(&conn, &id)
    );
    let left: i64 = conn
        .query_row("SELECT count(*) FROM patient WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(left, 0);
    let totals: Vec<(String, String, i64, i64)> = conn
        .prepare("SELECT month, department, visits, amount_minor FROM anonymous_visit_total ORDER BY month")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        totals,
        [
            ("2025-03".to_string(), "Dental".to_string(), 1, 30000),
            ("2025-09".to_string(), "Dental".to_string(), 1, 30000)
        ]
    );
    // The friend keeps their record; who referred them is no longer known.
    let friend_ref: Option<String> = conn
        .query_row(
            "SELECT referred_by FROM patient WHERE id = ?1",
            [friend.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(friend_ref, None);
    assert!(c.execute(&owner, VerifyAudit).unwrap().intact);
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0, "nothing points at what was removed");
}

#[test]
fn a_correction_keeps_its_reason_and_fields_in_the_record_history() {
    use clinic_core::patients::history::PatientHistory;
    use clinic_core::patients::{GetPatient, UpdatePatient};
    let (_tmp, c) = common::clinic();
    let owner = Actor::owner();
    let p = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "林美鈴".into(),
                phone: Some("0912345678".into()),
                notes: Some("needle phobia".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    let mut input = PatientInput::from(&p);
    input.name = "林美玲".into();
    input.phone = Some("0987654321".into());
    input.notes = Some("needle phobia; prefers mornings".into());
    c.execute(
        &owner,
        UpdatePatient {
            id: p.id,
            input,
            reason: Some("the patient spelled her name on the ID card".into()),
        },
    )
    .unwrap();
    let history = c
        .execute(&owner, PatientHistory { patient_id: p.id })
        .unwrap();
    let change = &history[0];
    assert_eq!(change.action, "patient-write");
    assert_eq!(
        change.reason.as_deref(),
        Some("the patient spelled her name on the ID card")
    );
    assert_eq!(
        change.changes["name"],
        [serde_json::json!("林美鈴"), serde_json::json!("林美玲")]
    );
    assert_eq!(
        change.changes["phone"],
        [
            serde_json::json!("0912345678"),
            serde_json::json!("0987654321")
        ]
    );
    assert!(change.changes.contains_key("notes"));
    assert_eq!(change.changes.len(), 3, "{:?}", change.changes.keys());
    // The creation is there too, and nothing else (reads are not changes).
    assert_eq!(history.len(), 2);
    // The front desk sees who changed what, without the clinical note or full numbers.
    c.execute(&owner, GetPatient(p.id)).unwrap();
    let desk = Actor::with_role("小林", clinic_core::Role::FrontDesk);
    let theirs = c
        .execute(&desk, PatientHistory { patient_id: p.id })
        .unwrap();
    assert_eq!(theirs.len(), 2);
    assert!(!theirs[0].changes.contains_key("notes"));
    assert_eq!(
        theirs[0].changes["phone"],
        [
            serde_json::json!("0912***678"),
            serde_json::json!("0987***321")
        ]
    );
}
