//! The kept visits against a fresh read of the file, after every kind of write and
//! across openings. Each test takes its turn with the library's other clinic tests
//! (`ONE_CLINIC_AT_A_TIME`), so nothing else replaces what is kept between its steps.

use super::*;
use crate::patients::{CreatePatient, PatientInput};
use crate::visits::{AddVisit, VisitInput};
use crate::{Actor, Clinic};

/// Everything kept, in a form that does not depend on the order it was read in.
fn canonical(k: &KeptVisits) -> Vec<String> {
    let mut out: Vec<String> = k
        .patients
        .iter()
        // A patient deleted from the file stays as an empty entry.
        .filter(|p| !(p.visits.is_empty() && p.name.is_empty()))
        .map(|p| {
            let mut visits: Vec<String> = p
                .visits
                .iter()
                .map(|v| {
                    format!(
                        "{} {} {:?} {:?} {} {:?} {:?} {:?}",
                        v.date,
                        v.amount,
                        k.department(v),
                        k.doctor(v),
                        v.hour,
                        v.nps(),
                        v.satisfaction(),
                        k.comment(p, v)
                    )
                })
                .collect();
            visits.sort();
            format!(
                "{} {} {} {:?} {:?} {:?} {visits:?}",
                p.id,
                p.name,
                p.archived,
                k.payment_code(p).map(|c| k.name(c)),
                k.channel(p),
                p.referred_by
            )
        })
        .collect();
    out.sort();
    out
}

/// Brings the kept visits up to date, checks them against a fresh read of the whole
/// file, and says how they were brought up to date.
fn check(c: &Clinic) -> Freshened {
    let mut conn = c.connection();
    let tx = conn.transaction().unwrap();
    let (kept, how) = refresh(&tx).unwrap();
    let fresh = KeptVisits::read_all(&tx).unwrap();
    assert_eq!(canonical(&kept), canonical(&fresh), "after {how:?}");
    tx.commit().unwrap();
    how
}

fn sql(c: &Clinic, sql: &str) {
    c.connection().execute_batch(sql).unwrap();
}

fn visit(c: &Clinic, patient: &str, at: &str) {
    c.execute(
        &Actor::owner(),
        AddVisit(VisitInput {
            patient_id: patient.into(),
            at: at.into(),
            department: "Dental".into(),
            doctor: Some("Dr. Lin".into()),
            visit_type: "return".into(),
            amount: Some("120.50".into()),
            ..Default::default()
        }),
    )
    .unwrap();
}

/// Every patient's id, in id order.
fn patient_ids(c: &Clinic) -> Vec<String> {
    let conn = c.connection();
    let mut stmt = conn.prepare("SELECT id FROM patient ORDER BY id").unwrap();
    let ids = stmt.query_map([], |r| r.get(0)).unwrap();
    ids.collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn the_kept_visits_always_equal_the_file() {
    let crate::TestClinic {
        clinic: c,
        key,
        dir: tmp,
        _turn,
    } = crate::generated_clinic(300, 3, 11);
    let owner = Actor::owner();
    let ids = patient_ids(&c);
    assert_eq!(check(&c), Freshened::ReadAll);
    assert_eq!(check(&c), Freshened::AsKept);

    // One visit through the form.
    visit(&c, &ids[0], "2026-11-20T09:30+08:00");
    assert_eq!(check(&c), Freshened::Patients(1));

    // Straight in SQL (an import, a merge, an erasure): the triggers still tell.
    sql(
        &c,
        "UPDATE visit SET amount_minor = coalesce(amount_minor, 0) + 1 WHERE rowid % 50 = 0;
         UPDATE visit SET nps = 3, feedback = 'waited an hour' WHERE rowid % 30 = 1;
         UPDATE visit SET archived_at = '2026-11-21T00:00:00Z' WHERE rowid % 70 = 2;
         UPDATE visit SET department = 'Orthodontics', doctor = NULL WHERE rowid % 40 = 3;",
    );
    assert!(matches!(check(&c), Freshened::Patients(n) if n > 5));
    sql(
        &c,
        &format!(
            "UPDATE visit SET patient_id = '{a}' WHERE patient_id = '{b}';
             DELETE FROM visit WHERE patient_id = '{d}';
             UPDATE patient SET payment_type = 'commercial-insurance', name = 'Renamed',
                 referral_channel = 'online' WHERE id = '{e}';
             UPDATE patient SET referred_by = '{a}', archived_at = '2026-11-22' WHERE id = '{f}';",
            a = ids[1],
            b = ids[2],
            d = ids[3],
            e = ids[4],
            f = ids[5],
        ),
    );
    assert!(matches!(check(&c), Freshened::Patients(5)));
    // A patient deleted altogether.
    let gone = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "Short stay".into(),
                ..Default::default()
            }),
        )
        .unwrap()
        .id
        .to_string();
    // Registered, no visit yet: in what is kept too (whom they were referred by).
    assert_eq!(check(&c), Freshened::Patients(1));
    visit(&c, &gone, "2026-11-21T10:00+08:00");
    sql(
        &c,
        &format!("DELETE FROM visit WHERE patient_id = '{gone}'; DELETE FROM patient WHERE id = '{gone}';"),
    );
    assert!(matches!(check(&c), Freshened::Patients(1)));

    // Another connection (the CLI) writes: this one sees it.
    let other = Clinic::open_with_key(tmp.path(), &key).unwrap();
    visit(&other, &ids[6], "2026-11-22T16:45+08:00");
    drop(other);
    assert_eq!(check(&c), Freshened::Patients(1));

    // A write that rolls back leaves nothing behind, even if the visits were asked for
    // inside it.
    {
        let mut conn = c.connection();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "UPDATE visit SET amount_minor = 999999 WHERE patient_id = ?1",
            [&ids[7]],
        )
        .unwrap();
        let (inside, how) = refresh(&tx).unwrap();
        assert_eq!(how, Freshened::ReadAll);
        assert!(inside
            .patients
            .iter()
            .any(|p| p.visits.iter().any(|v| v.amount == 999999)));
        tx.rollback().unwrap();
    }
    assert_eq!(check(&c), Freshened::AsKept);

    // Many patients changed (an import): one pass over the table instead.
    sql(
        &c,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3500)
         INSERT INTO visit_change (patient_id) SELECT 'nobody-' || i FROM n;",
    );
    assert_eq!(check(&c), Freshened::ReadAll);
    // The log trimmed past what was seen: everything again.
    visit(&c, &ids[8], "2026-11-23T08:00+08:00");
    sql(
        &c,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 21000)
         INSERT INTO visit_change (patient_id) SELECT 'nobody' FROM n;",
    );
    let oldest: i64 = c
        .connection()
        .query_row("SELECT min(seq) FROM visit_change", [], |r| r.get(0))
        .unwrap();
    assert!(
        oldest > 3600,
        "the log keeps only its last 20,000 or so: {oldest}"
    );
    assert_eq!(check(&c), Freshened::ReadAll);
    assert_eq!(check(&c), Freshened::AsKept);

    // A reopened file is another opening of it: read again.
    drop(c);
    let c = Clinic::open_with_key(tmp.path(), &key).unwrap();
    assert_eq!(check(&c), Freshened::ReadAll);
}

/// Saves the kept visits in the file as the warm-up does; whether it wrote.
fn save(c: &Clinic) -> bool {
    let mut conn = c.connection();
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let saved = save_image(&tx).unwrap();
    tx.commit().unwrap();
    saved
}

fn images(c: &Clinic) -> i64 {
    c.connection()
        .query_row("SELECT count(*) FROM kept_visits_image", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_image_in_the_file_serves_the_next_opening_and_keeps_no_stale_names() {
    let crate::TestClinic {
        clinic: c,
        key,
        dir: tmp,
        _turn,
    } = crate::generated_clinic(200, 3, 5);
    let reopen = |c: Clinic| {
        drop(c);
        Clinic::open_with_key(tmp.path(), &key).unwrap()
    };
    let ids = patient_ids(&c);
    assert!(!save(&c), "nothing kept yet, nothing to save");
    assert_eq!(check(&c), Freshened::ReadAll);
    assert!(save(&c));
    assert!(!save(&c), "the image there is this one already");

    // The image reads back as what was kept, and a damaged one is refused, not misread.
    let bytes: Vec<u8> = c
        .connection()
        .query_row("SELECT image FROM kept_visits_image", [], |r| r.get(0))
        .unwrap();
    {
        let mut conn = c.connection();
        let tx = conn.transaction().unwrap();
        let fresh = KeptVisits::read_all(&tx).unwrap();
        let decoded = image::decode(&bytes).expect("decodes");
        assert_eq!(canonical(&decoded), canonical(&fresh));
        assert_eq!(decoded.position(&ids[3]), fresh.position(&ids[3]));
    }
    for cut in (0..bytes.len()).step_by(89) {
        assert!(image::decode(&bytes[..cut]).is_none(), "cut at {cut}");
    }
    for at in (0..bytes.len()).step_by(41) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x5a;
        let _ = image::decode(&flipped); // never a panic or a runaway allocation
    }

    // The next opening starts from it; what was written while the app was closed (the
    // CLI) is caught up from the log.
    let c = reopen(c);
    assert_eq!(check(&c), Freshened::FromImage(0));
    let c = reopen(c);
    visit(&c, &ids[0], "2026-11-20T09:30+08:00");
    let c = reopen(c);
    assert_eq!(check(&c), Freshened::FromImage(1));

    // Cut short in the file: read from the table instead.
    sql(
        &c,
        "UPDATE kept_visits_image SET image = substr(image, 1, length(image) - 7)",
    );
    let c = reopen(c);
    assert_eq!(check(&c), Freshened::ReadAll);

    // A name or a comment changed, a visit or a patient deleted: the image goes with
    // them (it would otherwise keep the old text in the file).
    let lone = c
        .execute(
            &Actor::owner(),
            CreatePatient::new(PatientInput {
                name: "No visits".into(),
                ..Default::default()
            }),
        )
        .unwrap()
        .id
        .to_string();
    for change in [
        format!("UPDATE patient SET name = 'Renamed' WHERE id = '{}'", ids[1]),
        "UPDATE visit SET feedback = 'too long a wait' WHERE rowid = (SELECT min(rowid) FROM visit)".into(),
        "DELETE FROM visit WHERE rowid = (SELECT max(rowid) FROM visit)".into(),
        format!("DELETE FROM patient WHERE id = '{lone}'"),
    ] {
        check(&c);
        assert!(save(&c), "{change}");
        assert_eq!(images(&c), 1);
        sql(&c, &change);
        assert_eq!(images(&c), 0, "{change}");
    }
    // Other changes leave it, to be caught up.
    check(&c);
    assert!(save(&c));
    sql(
        &c,
        "UPDATE visit SET amount_minor = 12345 WHERE rowid % 20 = 0",
    );
    assert_eq!(images(&c), 1);
    let c = reopen(c);
    assert!(matches!(check(&c), Freshened::FromImage(n) if n > 5));

    // The log trimmed past the image: read from the table.
    check(&c);
    save(&c);
    sql(
        &c,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 21000)
         INSERT INTO visit_change (patient_id) SELECT 'nobody' FROM n;",
    );
    let c = reopen(c);
    assert_eq!(check(&c), Freshened::ReadAll);
}
