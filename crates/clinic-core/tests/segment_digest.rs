//! The packed visit digests (migration 0020) give exactly what the visit table gives, on
//! every path (none yet, a few stale, all stale, a damaged one), and no write can leave a
//! stale one behind: a visit added, edited or moved by a merge shows in the next labels.

mod common;

use chrono::NaiveDate;
use clinic_core::patients::{CreatePatient, MergePatients, PatientInput};
use clinic_core::segments::{CountSegments, Dimension, ExplainPatient, PatientLabel};
use clinic_core::synth::{GenerateClinic, Region};
use clinic_core::visits::{AddVisit, UpdateVisit, VisitInput};
use clinic_core::{Actor, Clinic};
use uuid::Uuid;

const TODAY: &str = "2026-11-23";

fn today() -> NaiveDate {
    NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap()
}

fn digests(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM visit_digest", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn digests_give_the_same_counts_as_the_visit_table_on_every_path() {
    let (tmp, c, key) = common::clinic_and_key();
    let owner = Actor::owner();
    // More patients than are ever rebuilt one by one, so the first count reads the table.
    let generated = c
        .execute(
            &owner,
            GenerateClinic {
                patients: 2_600,
                mean_visits: 4,
                seed: 7,
                region: Region::Mixed,
                until: today(),
            },
        )
        .unwrap();
    let count = || {
        c.execute(
            &owner,
            CountSegments {
                today: Some(today()),
            },
        )
        .unwrap()
    };
    let conn = common::raw(tmp.path(), &key);
    assert_eq!(digests(&conn), 0, "nothing is packed before it is needed");
    let from_the_table = count();
    let total: u64 = from_the_table[0].counts.iter().map(|l| l.count).sum();
    assert_eq!(total, generated.patients);
    assert_eq!(
        digests(&conn),
        generated.patients as i64,
        "every patient packed once"
    );

    // From the digests alone.
    assert_eq!(count(), from_the_table);
    // A few stale (read one by one through the visit index), and a damaged one.
    conn.execute_batch(
        "DELETE FROM visit_digest WHERE rowid % 7 = 0;
         UPDATE visit_digest SET visits = x'02' WHERE rowid = 3;
         UPDATE visit_digest SET visits = substr(visits, 1, length(visits) - 1) WHERE rowid = 5;",
    )
    .unwrap();
    assert_eq!(count(), from_the_table);
    assert_eq!(digests(&conn), generated.patients as i64);
    // All of them gone (an older copy of the file restored, say).
    conn.execute_batch("DELETE FROM visit_digest").unwrap();
    assert_eq!(count(), from_the_table);
}

fn explain(c: &Clinic, id: Uuid, dimension: Dimension) -> PatientLabel {
    c.execute(
        &Actor::owner(),
        ExplainPatient {
            patient_id: id,
            today: Some(today()),
        },
    )
    .unwrap()
    .into_iter()
    .find(|l| l.dimension == dimension)
    .unwrap()
}

fn patient(c: &Clinic, name: &str) -> Uuid {
    c.execute(
        &Actor::owner(),
        CreatePatient {
            input: PatientInput {
                name: name.into(),
                birth_date: Some("1980-05-01".into()),
                ..Default::default()
            },
            allow_duplicate: true,
        },
    )
    .unwrap()
    .id
}

fn visit(c: &Clinic, id: Uuid, date: &str, kind: &str) -> Uuid {
    c.execute(&Actor::owner(), AddVisit(input(id, date, kind)))
        .unwrap()
        .id
}

fn input(id: Uuid, date: &str, kind: &str) -> VisitInput {
    VisitInput {
        patient_id: id.to_string(),
        at: format!("{date}T10:00+08:00"),
        department: "dental".into(),
        visit_type: kind.into(),
        ..Default::default()
    }
}

#[test]
fn every_write_to_a_visit_shows_in_the_next_labels() {
    let (tmp, c, key) = common::clinic_and_key();
    let conn = common::raw(tmp.path(), &key);
    let li = patient(&c, "李雷");
    assert_eq!(explain(&c, li, Dimension::Lifecycle).label, "potential");
    let packed = |id: Uuid| -> i64 {
        conn.query_row(
            "SELECT count(*) FROM visit_digest WHERE patient_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(packed(li), 1, "a patient without visits is packed too");

    // Added: the digest is dropped by the trigger and rebuilt with the new visit.
    let first = visit(&c, li, "2026-11-20", "first");
    assert_eq!(packed(li), 0);
    assert_eq!(explain(&c, li, Dimension::ServiceType).label, "first");
    assert_eq!(packed(li), 1);
    for date in [
        "2026-10-01",
        "2026-09-01",
        "2026-08-01",
        "2026-07-01",
        "2026-06-01",
    ] {
        visit(&c, li, date, "return");
    }
    let frequency = explain(&c, li, Dimension::VisitFrequency);
    assert_eq!(frequency.label, "high", "{}", frequency.text);
    assert_eq!(frequency.facts["visits"], "6");

    // Edited: the latest visit becomes an emergency.
    c.execute(
        &Actor::owner(),
        UpdateVisit {
            id: first,
            input: input(li, "2026-11-20", "emergency"),
        },
    )
    .unwrap();
    assert_eq!(packed(li), 0);
    assert_eq!(explain(&c, li, Dimension::Severity).label, "emergency");
    // Moved a year back: no longer an emergency, one visit fewer in the 12 months.
    c.execute(
        &Actor::owner(),
        UpdateVisit {
            id: first,
            input: input(li, "2025-11-20", "emergency"),
        },
    )
    .unwrap();
    assert_eq!(explain(&c, li, Dimension::Severity).label, "ordinary");
    assert_eq!(
        explain(&c, li, Dimension::VisitFrequency).facts["visits"],
        "5"
    );

    // Merged: the other record's visits now count for the survivor.
    let twin = patient(&c, "李雷 (2)");
    visit(&c, twin, "2026-11-22", "specialist");
    assert_eq!(
        explain(&c, twin, Dimension::ServiceType).label,
        "specialist"
    );
    c.execute(
        &Actor::owner(),
        MergePatients {
            survivor: li,
            merged: twin,
        },
    )
    .unwrap();
    assert_eq!(explain(&c, li, Dimension::ServiceType).label, "specialist");
    assert_eq!(
        explain(&c, li, Dimension::VisitFrequency).facts["visits"],
        "6"
    );
}
