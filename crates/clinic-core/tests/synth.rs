//! The synthetic benchmark clinic: deterministic, plausible, searchable, and never mixed
//! into a clinic that has real patients.

use chrono::NaiveDate;
use clinic_core::patients::{ListPatients, SearchPatients};
use clinic_core::synth::{GenerateAppointments, GenerateClinic, Region};
use clinic_core::{Actor, Clinic, ErrorCode, KdfParams, DB_FILE};

const FAST: KdfParams = KdfParams {
    m_cost: 1024,
    t_cost: 1,
    p_cost: 1,
};

fn generate(seed: u64, region: Region) -> (tempfile::TempDir, Clinic, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let (c, _) = Clinic::initialize_with(tmp.path(), "correct horse battery", FAST).unwrap();
    let op = GenerateClinic {
        patients: 300,
        mean_visits: 10,
        seed,
        region,
        until: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    let g = c.execute(&Actor::owner(), op).unwrap();
    assert_eq!(g.patients, 300);
    (tmp, c, g.visits)
}

fn dump(dir: &std::path::Path, key: &clinic_core::DbKey) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT p.id, p.name, group_concat(v.visited_at || v.department || coalesce(v.amount_minor, ''), ';')
             FROM patient p JOIN visit v ON v.patient_id = p.id GROUP BY p.id ORDER BY p.id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

#[test]
fn the_same_seed_gives_the_same_clinic_and_another_seed_another() {
    let tmp_a = tempfile::tempdir().unwrap();
    let tmp_b = tempfile::tempdir().unwrap();
    let tmp_c = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    for (tmp, seed) in [(&tmp_a, 42), (&tmp_b, 42), (&tmp_c, 43)] {
        let (c, key) = Clinic::initialize_with(tmp.path(), "correct horse battery", FAST).unwrap();
        let op = GenerateClinic {
            patients: 200,
            mean_visits: 10,
            seed,
            region: Region::Mixed,
            until: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        };
        c.execute(&Actor::owner(), op).unwrap();
        drop(c);
        dumps.push(dump(tmp.path(), &key));
    }
    assert_eq!(dumps[0], dumps[1]);
    assert_ne!(dumps[0], dumps[2]);
}

#[test]
fn plausible_patients_and_visits() {
    let (_t, c, visits) = generate(7, Region::Mixed);
    // About ten visits each: between 1 and 19, averaging 10.
    assert!((2400..=3600).contains(&visits), "{visits} visits");
    let all = c
        .execute(
            &Actor::owner(),
            ListPatients {
                include_archived: false,
                limit: 1000,
                offset: 0,
            },
        )
        .unwrap();
    assert_eq!(all.len(), 300);
    let taiwanese = all
        .iter()
        .filter(|p| p.phone.as_deref().unwrap().starts_with("09"))
        .count();
    assert!(
        (60..=140).contains(&taiwanese),
        "{taiwanese} of 300 with Taiwanese phones"
    );
    assert!(all
        .iter()
        .all(|p| (2..=3).contains(&p.name.chars().count())));
    assert!(all
        .iter()
        .all(|p| p.age.unwrap() < 90 && p.visit_count >= 1));
    // Every generated patient is findable by the last four digits of their phone.
    for p in all.iter().take(50) {
        let phone = p.phone.clone().unwrap();
        let found = c
            .execute(
                &Actor::owner(),
                SearchPatients {
                    query: phone[phone.len() - 4..].to_string(),
                    limit: 500,
                },
            )
            .unwrap();
        assert!(
            found.iter().any(|f| f.id == p.id),
            "{} not found by {}",
            p.name,
            phone
        );
    }
}

#[test]
fn refuses_a_clinic_that_has_patients() {
    let (_t, c, _) = generate(1, Region::Taiwan);
    let again = GenerateClinic {
        patients: 10,
        mean_visits: 10,
        seed: 2,
        region: Region::Taiwan,
        until: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    };
    let err = c.execute(&Actor::owner(), again).unwrap_err();
    assert_eq!(err.code, ErrorCode::AlreadyInitialized);
}

#[test]
fn generated_profiles_have_conditions_and_allergies_and_the_list_flag_agrees() {
    use clinic_core::patients::GetPatient;
    let (_tmp, c, _) = generate(7, Region::Mixed);
    let list = c
        .execute(
            &Actor::owner(),
            ListPatients {
                include_archived: false,
                limit: 1000,
                offset: 0,
            },
        )
        .unwrap();
    let (mut chronic, mut allergic) = (0, 0);
    for s in &list {
        let p = c.execute(&Actor::owner(), GetPatient(s.id)).unwrap();
        assert_eq!(s.has_allergies, !p.allergies.is_empty(), "{}", p.name);
        chronic += usize::from(p.conditions.iter().any(|x| x.chronic && x.icd10.is_some()));
        allergic += usize::from(!p.allergies.is_empty());
    }
    // Roughly the prevalence the generator aims at (hypertension alone ~20 % of adults).
    assert!(chronic > list.len() / 10, "{chronic} of {}", list.len());
    assert!(
        allergic > list.len() / 25 && allergic < list.len() / 4,
        "{allergic} of {}",
        list.len()
    );
}

/// A generated clinic with its appointment book, and the book's rows (id, status, patient,
/// starts, booked at, visit, moved to) read straight from the file.
type Book = Vec<[Option<String>; 7]>;
fn with_appointments(seed: u64) -> (tempfile::TempDir, u64, Book, rusqlite::Connection) {
    let tmp = tempfile::tempdir().unwrap();
    let (c, key) = Clinic::initialize_with(tmp.path(), "correct horse battery", FAST).unwrap();
    let until = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let op = GenerateClinic {
        patients: 300,
        mean_visits: 10,
        seed,
        region: Region::Mixed,
        until,
    };
    c.execute(&Actor::owner(), op).unwrap();
    let booked = c
        .execute(&Actor::owner(), GenerateAppointments { seed, until })
        .unwrap();
    // The reminder-effect report over the year: both of its groups have members.
    let effect = c
        .execute(
            &Actor::owner(),
            clinic_core::reminders::ReminderEffect {
                from: until - chrono::Duration::days(365),
                to: until,
                days: 30,
            },
        )
        .unwrap();
    for kind in ["day-before", "recall"] {
        let e = effect.iter().find(|e| e.kind.code() == kind).expect(kind);
        assert!(e.contacted > 0 && e.not_contacted > 0, "{kind}: {e:?}");
        assert!(e.contacted_returned > 0, "{kind}: {e:?}");
    }
    let written = booked.appointments;
    drop(c);
    let conn = rusqlite::Connection::open(tmp.path().join(DB_FILE)).unwrap();
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .unwrap();
    // Each day-before message belongs to a booking of its patient, the day before it.
    let (reminders, orphans): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(*) FILTER (WHERE r.kind = 'day-before' AND NOT EXISTS (
                 SELECT 1 FROM appointment a WHERE a.id = r.appointment_id
                   AND a.patient_id = r.patient_id
                   AND date(r.due_date, '+1 day') = substr(a.starts_at, 1, 10)))
             FROM reminder r",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((reminders as u64, orphans), (booked.reminders, 0));
    let rows = {
        let mut stmt = conn
            .prepare(
                "SELECT id, status, patient_id, starts_at, created_at, visit_id, rescheduled_to
                 FROM appointment ORDER BY id",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(std::array::from_fn(|i| {
                    r.get::<_, Option<String>>(i).unwrap()
                }))
            })
            .unwrap();
        rows.collect::<Result<Vec<_>, _>>().unwrap()
    };
    (tmp, written, rows, conn)
}

#[test]
fn the_appointment_book_follows_the_visits() {
    let (_tmp, written, book, conn) = with_appointments(5);
    assert_eq!(written as usize, book.len());
    let count = |status: &str| {
        book.iter()
            .filter(|r| r[1].as_deref() == Some(status))
            .count()
    };
    let (completed, missed) = (count("completed"), count("no-show"));
    let upcoming = count("scheduled") + count("confirmed");
    let in_year: i64 = conn
        .query_row(
            "SELECT count(*) FROM visit WHERE visited_at_ms >= unixepoch('2025-11-22T16:00:00Z') * 1000
               AND archived_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // Three visits in four of the last year were booked; about one booking in fifteen missed.
    let booked = completed as f64 / in_year as f64;
    assert!(
        (0.7..0.8).contains(&booked),
        "{completed} of {in_year} visits booked"
    );
    let missed_share = missed as f64 / (completed + missed) as f64;
    assert!((0.04..0.12).contains(&missed_share), "{missed} missed");
    assert!(count("cancelled") > 0 && count("rescheduled") > 0 && upcoming > 0);
    // Each completed one is its visit: same patient, same moment.
    let mismatched: i64 = conn
        .query_row(
            "SELECT count(*) FROM appointment a LEFT JOIN visit v ON v.id = a.visit_id
             WHERE a.status = 'completed'
               AND (v.id IS NULL OR v.patient_id <> a.patient_id OR v.visited_at_ms <> a.starts_ms)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatched, 0);
    // Booked before it starts; a moved one points at the one it became; coming-up ones
    // are in the month after the clinic's today.
    let bad: i64 = conn
        .query_row(
            "SELECT count(*) FROM appointment a
             WHERE unixepoch(a.created_at) * 1000 > a.starts_ms
                OR (a.status = 'rescheduled' AND NOT EXISTS (
                        SELECT 1 FROM appointment b WHERE b.id = a.rescheduled_to
                          AND b.patient_id = a.patient_id))
                OR (a.status IN ('scheduled', 'confirmed')
                    AND (a.starts_at < '2026-11-24' OR a.starts_at > '2026-12-24'))
                OR (a.status NOT IN ('scheduled', 'confirmed') AND a.starts_at > '2026-11-24')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0);
    // The same seed gives the same book.
    assert_eq!(with_appointments(5).2, book);
}
