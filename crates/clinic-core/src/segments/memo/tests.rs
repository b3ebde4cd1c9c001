//! Takes its turn with the library's other clinic tests (`ONE_CLINIC_AT_A_TIME`), so
//! nothing else replaces what is kept between its steps.
use super::*;
use crate::patients::{CreatePatient, PatientInput};
use crate::visits::{AddVisit, VisitInput};
use crate::{Actor, Clinic};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// Each patient in list order with their label in every dimension, and the clinic's
/// figures: what every question asked of the classification reads.
fn canonical(c: &Classified) -> (Vec<String>, ClinicContext) {
    let people = c
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            assert_eq!(c.position[&p.0], i, "position of {}", p.0);
            let labels: Vec<_> = Dimension::ALL.iter().map(|d| c.label(i, *d)).collect();
            format!("{} {} {:?} {:?}", p.0, p.1, c.rfm[i], labels)
        })
        .collect();
    assert_eq!(c.position.len(), c.people.len());
    (people, c.clinic.clone())
}

/// Brings the classification up to date, checks it against classifying the whole file
/// afresh, and says how it was brought up to date.
fn check(c: &Clinic) -> Freshened {
    let mut conn = c.connection();
    let tx = conn.transaction().unwrap();
    let rules = crate::segments::rules::load(&tx).unwrap();
    let (kept, how) = refresh(&tx, &rules, today()).unwrap();
    let fresh = Classified::all(&tx, &rules, today()).unwrap();
    assert!(
        canonical(&kept) == canonical(&fresh),
        "differs after {how:?}"
    );
    tx.commit().unwrap();
    how
}

fn sql(c: &Clinic, sql: &str) {
    c.connection().execute_batch(sql).unwrap();
}

fn visit(c: &Clinic, patient: &str, at: &str, amount: &str) {
    c.execute(
        &Actor::owner(),
        AddVisit(VisitInput {
            patient_id: patient.into(),
            at: at.into(),
            department: "Dental".into(),
            visit_type: "return".into(),
            amount: Some(amount.into()),
            ..Default::default()
        }),
    )
    .unwrap();
}

#[test]
fn the_kept_classification_always_equals_classifying_afresh() {
    let crate::TestClinic {
        clinic: c,
        key,
        dir: tmp,
        _turn,
    } = crate::generated_clinic(300, 3, 12);
    let owner = Actor::owner();
    let ids: Vec<String> = {
        let conn = c.connection();
        let mut stmt = conn
            .prepare("SELECT id FROM patient WHERE archived_at IS NULL ORDER BY id")
            .unwrap();
        let ids = stmt.query_map([], |r| r.get(0)).unwrap();
        ids.collect::<rusqlite::Result<_>>().unwrap()
    };
    assert_eq!(check(&c), Freshened::All);
    assert_eq!(check(&c), Freshened::AsKept);

    // A visit through the form: a big spender now, which moves the quintiles.
    visit(&c, &ids[0], "2026-11-20T09:30+08:00", "99000.00");
    assert_eq!(check(&c), Freshened::Patients(1));

    // Straight in SQL (an import, a merge, an erasure): the triggers still tell.
    sql(
        &c,
        &format!(
            "UPDATE visit SET amount_minor = coalesce(amount_minor, 0) + 500000 WHERE rowid % 50 = 0;
             UPDATE visit SET nps = 2, satisfaction = 1 WHERE rowid % 30 = 1;
             UPDATE visit SET archived_at = '2026-11-21T00:00:00Z' WHERE rowid % 70 = 2;
             UPDATE visit SET visit_type = 'specialist', follow_up_by = '2026-10-01' WHERE rowid % 40 = 3;
             UPDATE visit SET patient_id = '{a}' WHERE patient_id = '{b}';
             DELETE FROM visit WHERE patient_id = '{d}';",
            a = ids[1],
            b = ids[2],
            d = ids[3],
        ),
    );
    assert!(matches!(check(&c), Freshened::Patients(n) if n > 5));

    // The patient's own facts; a rename moves them in the list, archiving takes them
    // out, and a referrer's count follows who names them.
    sql(
        &c,
        &format!(
            "UPDATE patient SET birth_date = '1940-01-01', sex = 'F', smoking = 'current',
                 payment_type = 'commercial-insurance' WHERE id = '{a}';
             UPDATE patient SET name = 'Aaaa First Now' WHERE id = '{b}';
             UPDATE patient SET name = 'Zzzz Last Now' WHERE id = '{d}';
             UPDATE patient SET archived_at = '2026-11-22' WHERE id = '{e}';
             UPDATE patient SET referred_by = '{f}' WHERE id IN ('{g}', '{h}');",
            a = ids[4],
            b = ids[5],
            d = ids[6],
            e = ids[7],
            f = ids[8],
            g = ids[9],
            h = ids[10],
        ),
    );
    assert!(matches!(check(&c), Freshened::Patients(n) if n >= 6));
    sql(
        &c,
        &format!(
            "UPDATE patient SET archived_at = NULL WHERE id = '{}';",
            ids[7]
        ),
    );
    assert_eq!(check(&c), Freshened::Patients(1));

    // New patients: one with nothing yet, one recommended by another, with a visit.
    let new = |name: &str, by: Option<&String>| {
        c.execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: name.into(),
                referred_by: by.cloned(),
                ..Default::default()
            }),
        )
        .unwrap()
        .id
        .to_string()
    };
    new("Mmm Walk-in", None);
    let referred = new("Bbb Referred", Some(&ids[11]));
    visit(&c, &referred, "2026-11-22T11:00+08:00", "80.00");
    assert!(matches!(check(&c), Freshened::Patients(n) if n >= 3));

    // Conditions, grave allergies, tags (and a tag renamed), appointments, points.
    sql(
        &c,
        &format!(
            "INSERT INTO patient_condition (patient_id, name, chronic) VALUES ('{a}', 'Diabetes', 1);
             INSERT INTO patient_allergy (patient_id, substance, severity)
                 VALUES ('{b}', 'Penicillin', 'life-threatening');
             INSERT INTO tag (id, name, colour, created_at) VALUES (900, 'VIP', 'gold', '2026-11-01');
             INSERT INTO patient_tag (patient_id, tag_id, tagged_at, tagged_by)
                 VALUES ('{d}', 900, '2026-11-01', 'owner');
             INSERT INTO appointment (id, patient_id, starts_at, starts_ms, ends_ms, status,
                 booked_by, status_at, created_at, updated_at)
                 VALUES ('ap-1', '{e}', '2026-11-10T09:00+08:00', 1, 2, 'no-show', 'owner',
                         'x', 'x', 'x'),
                        ('ap-2', '{e}', '2026-11-30T09:00+08:00', 3, 4, 'scheduled', 'owner',
                         'x', 'x', 'x');
             INSERT INTO points_entry (patient_id, kind, points, source, reason, effective_on,
                 staff, at) VALUES ('{f}', 'adjust', 250, 'staff', 'welcome', '2026-11-01',
                 'owner', '2026-11-01');",
            a = ids[12],
            b = ids[13],
            d = ids[14],
            e = ids[15],
            f = ids[16],
        ),
    );
    assert_eq!(check(&c), Freshened::Patients(5));
    sql(&c, "UPDATE tag SET name = 'Very important' WHERE id = 900;");
    assert_eq!(check(&c), Freshened::Patients(1));
    sql(
        &c,
        &format!(
            "UPDATE appointment SET status = 'cancelled' WHERE patient_id = '{}';",
            ids[15]
        ),
    );
    assert_eq!(check(&c), Freshened::Patients(1));

    // The loyalty programme switched on: everyone's base tier, so everyone again; then
    // a membership row is one patient again.
    sql(
        &c,
        "UPDATE loyalty_setting SET value = '{\"enabled\": true}';",
    );
    assert_eq!(check(&c), Freshened::All);
    sql(
        &c,
        &format!(
            "INSERT INTO membership (patient_id, tier, since, spend_minor, visits, qualified_on)
             VALUES ('{}', 'Gold', '2026-11-01', 900000, 12, '2026-11-01');",
            ids[17]
        ),
    );
    assert_eq!(check(&c), Freshened::Patients(1));

    // A patient deleted altogether.
    let gone = new("Short stay", None);
    visit(&c, &gone, "2026-11-21T10:00+08:00", "10.00");
    assert_eq!(check(&c), Freshened::Patients(1));
    sql(
        &c,
        &format!("DELETE FROM visit WHERE patient_id = '{gone}'; DELETE FROM patient WHERE id = '{gone}';"),
    );
    assert_eq!(check(&c), Freshened::Patients(1));

    // Another connection (the CLI) writes: this one sees it.
    let other = Clinic::open_with_key(tmp.path(), &key).unwrap();
    visit(&other, &ids[18], "2026-11-22T16:45+08:00", "45.00");
    drop(other);
    assert_eq!(check(&c), Freshened::Patients(1));

    // Asked inside a write that then rolls back: answered from the file as it is inside
    // the write, and nothing kept changes.
    {
        let mut conn = c.connection();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "UPDATE patient SET name = 'Inside' WHERE id = ?1",
            [&ids[19]],
        )
        .unwrap();
        let rules = crate::segments::rules::load(&tx).unwrap();
        let (inside, how) = refresh(&tx, &rules, today()).unwrap();
        assert_eq!(how, Freshened::All);
        assert!(inside.people.iter().any(|p| p.1 == "Inside"));
        tx.rollback().unwrap();
    }
    assert_eq!(check(&c), Freshened::AsKept);

    // Many patients changed (an import): everyone again.
    sql(
        &c,
        "UPDATE visit SET amount_minor = coalesce(amount_minor, 0) + 1;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
         INSERT INTO fact_change (patient_id) SELECT 'nobody-' || i FROM n;",
    );
    assert_eq!(check(&c), Freshened::All);
    // The log trimmed past what was seen: everyone again.
    visit(&c, &ids[20], "2026-11-23T08:00+08:00", "60.00");
    sql(
        &c,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 21000)
         INSERT INTO fact_change (patient_id) SELECT 'nobody' FROM n;",
    );
    assert_eq!(check(&c), Freshened::All);
    assert_eq!(check(&c), Freshened::AsKept);
}
