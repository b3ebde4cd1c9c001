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
    // A few stale (read one by one through the visit index), and a damaged one. A digest
    // is no fact (the kept classification stays right without it): '*' in the change log
    // has everyone classified again, so the digests are read.
    conn.execute_batch(
        "DELETE FROM visit_digest WHERE rowid % 7 = 0;
         UPDATE visit_digest SET visits = x'02' WHERE rowid = 3;
         UPDATE visit_digest SET visits = substr(visits, 1, length(visits) - 1) WHERE rowid = 5;
         INSERT INTO fact_change (patient_id) VALUES ('*');",
    )
    .unwrap();
    assert_eq!(count(), from_the_table);
    assert_eq!(digests(&conn), generated.patients as i64);
    // All of them gone (an older copy of the file restored, say).
    conn.execute_batch(
        "DELETE FROM visit_digest; INSERT INTO fact_change (patient_id) VALUES ('*');",
    )
    .unwrap();
    assert_eq!(count(), from_the_table);
    assert_eq!(digests(&conn), generated.patients as i64);
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

/// The classification kept in memory between questions is dropped by any change: a write
/// through the app, a write by another connection (the CLI), a new day, new thresholds,
/// a reopened file.
#[test]
fn the_classification_kept_between_questions_never_goes_stale() {
    use clinic_core::segments::{
        EvaluateRule, GetSegmentRules, Rule, SaveTag, SetSegmentRules, TagColour, TagPatients,
    };
    let (tmp, c, key) = common::clinic_and_key();
    let owner = Actor::owner();
    let li = patient(&c, "李雷");
    let han = patient(&c, "韩梅梅");
    visit(&c, li, "2026-11-20", "first");
    let frequency = |c: &Clinic, day: &str| -> Vec<(String, u64)> {
        c.execute(
            &owner,
            CountSegments {
                today: Some(NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap()),
            },
        )
        .unwrap()
        .into_iter()
        .find(|d| d.dimension == Dimension::Lifecycle)
        .unwrap()
        .counts
        .into_iter()
        .map(|l| (l.label, l.count))
        .collect()
    };
    let pair = |a: &str, n: u64, b: &str, m: u64| vec![(a.to_string(), n), (b.to_string(), m)];
    assert_eq!(frequency(&c, TODAY), pair("new", 1, "potential", 1));
    assert_eq!(frequency(&c, TODAY), pair("new", 1, "potential", 1));

    // Through the app.
    visit(&c, han, "2026-11-21", "first");
    assert_eq!(frequency(&c, TODAY), vec![("new".to_string(), 2)]);

    // Through another connection to the same file, as the CLI would.
    let other = common::raw(tmp.path(), &key);
    other
        .execute(
            "UPDATE visit SET archived_at = '2026-11-23T09:00:00+08:00' WHERE patient_id = ?1",
            [han.to_string()],
        )
        .unwrap();
    assert_eq!(frequency(&c, TODAY), pair("new", 1, "potential", 1));

    // A new day: 100 days on, the first visit is no longer new.
    assert_eq!(
        frequency(&c, "2027-03-03"),
        pair("active", 1, "potential", 1)
    );

    // New thresholds.
    let mut rules = c.execute(&owner, GetSegmentRules).unwrap();
    rules.lifecycle.new_days = 200;
    c.execute(&owner, SetSegmentRules(rules)).unwrap();
    assert_eq!(frequency(&c, "2027-03-03"), pair("new", 1, "potential", 1));

    // A tag (not a label: a fact rule segments read) shows in the next count.
    let tagged = |c: &Clinic| {
        c.execute(
            &owner,
            EvaluateRule {
                rule: Rule::Tag { name: "VIP".into() },
                today: Some(today()),
                limit: None,
            },
        )
        .unwrap()
        .count
    };
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
    assert_eq!(tagged(&c), 0);
    c.execute(
        &owner,
        TagPatients {
            tag_id: tag.id,
            patients: vec![li, han],
            remove: false,
        },
    )
    .unwrap();
    assert_eq!(tagged(&c), 2);

    // The file closed and opened again (a restore does this) is classified afresh.
    drop(other);
    let closed = c.close();
    let raw = common::raw(tmp.path(), &key);
    raw.execute("DELETE FROM patient_tag", []).unwrap();
    drop(raw);
    let reopened = closed.reopen().unwrap();
    assert_eq!(tagged(&reopened), 0);
}

/// Four dimensions recomputed with plain SQL straight from the tables, independently of
/// the classification code, on a generated clinic: the counts agree.
#[test]
fn plain_sql_on_a_generated_clinic_gives_the_same_counts() {
    let (tmp, c, key) = common::clinic_and_key();
    let owner = Actor::owner();
    c.execute(
        &owner,
        GenerateClinic {
            patients: 1_500,
            mean_visits: 6,
            seed: 3,
            region: Region::Mixed,
            until: today(),
        },
    )
    .unwrap();
    let counts = c
        .execute(
            &owner,
            CountSegments {
                today: Some(today()),
            },
        )
        .unwrap();
    let ours = |d: Dimension| -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = counts
            .iter()
            .find(|x| x.dimension == d)
            .unwrap()
            .counts
            .iter()
            .map(|l| (l.label.clone(), l.count as i64))
            .collect();
        v.sort();
        v
    };
    let conn = common::raw(tmp.path(), &key);
    let sql = |q: &str| -> Vec<(String, i64)> {
        let mut stmt = conn.prepare(q).unwrap();
        let mut v: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        v.sort();
        v
    };
    // Whole years on 2026-11-23; the birthday counts from its own day.
    let age_groups = sql("SELECT CASE WHEN birth_date IS NULL THEN 'unknown'
                     WHEN age <= 12 THEN 'child' WHEN age <= 17 THEN 'teenager'
                     WHEN age <= 64 THEN 'adult' ELSE 'senior' END AS g, count(*)
         FROM (SELECT birth_date,
                      2026 - CAST(substr(birth_date, 1, 4) AS INTEGER)
                        - (substr(birth_date, 6, 5) > '11-23') AS age
               FROM patient WHERE archived_at IS NULL)
         GROUP BY g");
    assert_eq!(ours(Dimension::AgeGroup), age_groups);
    let payment = sql(
        "SELECT coalesce(payment_type, 'unknown'), count(*) FROM patient
         WHERE archived_at IS NULL GROUP BY 1",
    );
    assert_eq!(ours(Dimension::PaymentType), payment);
    // Visits dated 2025-11-24 to 2026-11-23: high from 6, medium from 2.
    let frequency = sql(
        "SELECT CASE WHEN n >= 6 THEN 'high' WHEN n >= 2 THEN 'medium' ELSE 'low' END AS f,
                count(*)
         FROM (SELECT p.id, (SELECT count(*) FROM visit v WHERE v.patient_id = p.id
                 AND v.archived_at IS NULL
                 AND substr(v.visited_at, 1, 10) BETWEEN '2025-11-24' AND '2026-11-23') AS n
               FROM patient p WHERE p.archived_at IS NULL)
         GROUP BY f",
    );
    assert_eq!(ours(Dimension::VisitFrequency), frequency);
    // Lifecycle at its two ends: no visit at all, and none since 2025-05-24 (18 months).
    let ends = sql(
        "SELECT CASE WHEN last IS NULL THEN 'potential' ELSE 'lapsed' END, count(*)
         FROM (SELECT (SELECT max(substr(v.visited_at, 1, 10)) FROM visit v
                       WHERE v.patient_id = p.id AND v.archived_at IS NULL) AS last
               FROM patient p WHERE p.archived_at IS NULL)
         WHERE last IS NULL OR last < '2025-05-24' GROUP BY 1",
    );
    let lifecycle: Vec<(String, i64)> = ours(Dimension::Lifecycle)
        .into_iter()
        .filter(|(l, _)| l == "potential" || l == "lapsed")
        .collect();
    assert_eq!(lifecycle, ends);
    assert!(ends.iter().map(|e| e.1).sum::<i64>() > 0);
}
