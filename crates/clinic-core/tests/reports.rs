//! Every report on a small hand-built clinic whose right answers are worked out by hand
//! in the comments, on a real encrypted file.

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use clinic_core::appointments::{
    AppointmentInput, AppointmentStatus, BookAppointment, GetSchedule, Period,
    SetAppointmentStatus, SetSchedule,
};
use clinic_core::patients::{CreatePatient, PatientInput};
use clinic_core::reports::{Cell, Report, ReportFilter, ReportName, RunReport};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode};
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(&format!("{s}T01:00:00+08:00"))
            .unwrap()
            .with_timezone(&Utc),
    )
}

fn patient(c: &Clinic, name: &str, pay: &str, channel: &str, by: Option<Uuid>) -> Uuid {
    c.execute(
        &Actor::owner(),
        CreatePatient {
            input: PatientInput {
                name: name.into(),
                payment_type: Some(pay.into()),
                referral_channel: Some(channel.into()),
                referred_by: by.map(|b| b.to_string()),
                ..Default::default()
            },
            allow_duplicate: true,
        },
    )
    .unwrap()
    .id
}

#[allow(clippy::too_many_arguments)]
fn visit(
    c: &Clinic,
    p: Uuid,
    date: &str,
    dept: &str,
    doctor: &str,
    amount: &str,
    nps: Option<i32>,
    sat: Option<i32>,
    feedback: Option<&str>,
) {
    c.execute(
        &Actor::owner(),
        AddVisit(VisitInput {
            patient_id: p.to_string(),
            at: format!("{date}T10:30+08:00"),
            department: dept.into(),
            doctor: Some(doctor.into()),
            visit_type: "return".into(),
            amount: Some(amount.into()),
            nps,
            satisfaction: sat,
            feedback: feedback.map(Into::into),
            ..Default::default()
        }),
    )
    .unwrap();
}

struct Clinic4 {
    _tmp: tempfile::TempDir,
    c: Clinic,
    a: Uuid,
    b: Uuid,
    cc: Uuid,
    dd: Uuid,
}

/// A (self-pay, walk-in): 5 Jan dental/Chen 100.00 NPS 10 sat 5; 20 Jan dental/Chen 50.00.
/// B (public insurance, referred by A): 10 Jan ortho/Lin 200.00 NPS 3 sat 2 "waited too
/// long"; 1 May ortho/Lin 80.00. C (self-pay, online): 1 Dec 2025 dental/Chen 30.00;
/// 15 Feb dental/Chen 60.00 NPS 8 sat 4. D: no visit.
fn clinic() -> Clinic4 {
    let (tmp, c) = common::clinic();
    let a = patient(&c, "Alice", "self-pay", "walk-in", None);
    let b = patient(&c, "Bob", "public-insurance", "patient", Some(a));
    let cc = patient(&c, "Carol", "self-pay", "online", None);
    let dd = patient(&c, "Dan", "self-pay", "signage", None);
    visit(
        &c,
        a,
        "2026-01-05",
        "dental",
        "Chen",
        "100.00",
        Some(10),
        Some(5),
        None,
    );
    visit(
        &c,
        a,
        "2026-01-20",
        "dental",
        "Chen",
        "50.00",
        None,
        None,
        None,
    );
    let long = Some("waited too long");
    visit(
        &c,
        b,
        "2026-01-10",
        "ortho",
        "Lin",
        "200.00",
        Some(3),
        Some(2),
        long,
    );
    visit(
        &c,
        b,
        "2026-05-01",
        "ortho",
        "Lin",
        "80.00",
        None,
        None,
        None,
    );
    visit(
        &c,
        cc,
        "2025-12-01",
        "dental",
        "Chen",
        "30.00",
        None,
        None,
        None,
    );
    visit(
        &c,
        cc,
        "2026-02-15",
        "dental",
        "Chen",
        "60.00",
        Some(8),
        Some(4),
        None,
    );
    Clinic4 {
        _tmp: tmp,
        c,
        a,
        b,
        cc,
        dd,
    }
}

fn run(
    c: &Clinic,
    name: ReportName,
    from: &str,
    to: &str,
    f: impl Fn(&mut ReportFilter),
) -> Report {
    let mut filter = ReportFilter {
        from: d(from),
        to: d(to),
        ..Default::default()
    };
    f(&mut filter);
    c.execute(
        &Actor::owner(),
        RunReport {
            name,
            filter,
            today: Some(d("2026-11-23")),
        },
    )
    .unwrap()
}

/// A table's rows as text, for comparing with what was worked out by hand.
fn rows(r: &Report, key: &str) -> Vec<Vec<String>> {
    r.tables
        .iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no table {key}"))
        .rows
        .iter()
        .map(|row| row.iter().map(Cell::text).collect())
        .collect()
}

fn s(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|x| x.to_string()).collect())
        .collect()
}

#[test]
fn return_rate_by_window_department_doctor_and_month() {
    let k = clinic();
    let r = run(
        &k.c,
        ReportName::ReturnRate,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    // Starts: A 5 Jan, B 10 Jan, C 15 Feb. A back 20 Jan (15 days); B back 1 May (111
    // days: within 180 only); C never.
    assert_eq!(
        rows(&r, "overall"),
        s(&[
            &["30", "3", "1", "33.3"],
            &["90", "3", "1", "33.3"],
            &["180", "3", "2", "66.7"]
        ])
    );
    assert_eq!(
        rows(&r, "by-department"),
        s(&[
            &["dental", "2", "50.0", "50.0", "50.0"],
            &["ortho", "1", "0.0", "0.0", "100.0"]
        ])
    );
    assert_eq!(
        rows(&r, "by-doctor")[1],
        ["Lin", "1", "0.0", "0.0", "100.0"]
    );
    assert_eq!(
        rows(&r, "by-month"),
        s(&[
            &["2026-01", "2", "50.0", "50.0", "100.0"],
            &["2026-02", "1", "0.0", "0.0", "0.0"]
        ])
    );
    assert!(r.definition.contains("180"));
    // The department filter picks the start visits: dental only.
    let dental = run(
        &k.c,
        ReportName::ReturnRate,
        "2026-01-01",
        "2026-03-31",
        |f| f.department = Some("Dental".into()),
    );
    assert_eq!(rows(&dental, "overall")[0], ["30", "2", "1", "50.0"]);
    // A window not yet over does not count: judged on 2026-11-23, visits in November
    // have not had 30 days.
    let recent = run(
        &k.c,
        ReportName::ReturnRate,
        "2026-04-01",
        "2026-11-23",
        |_| {},
    );
    assert_eq!(rows(&recent, "overall")[0], ["30", "1", "0", "0.0"]);
    // The segment filter: only patients paying themselves.
    let own = run(
        &k.c,
        ReportName::ReturnRate,
        "2026-01-01",
        "2026-03-31",
        |f| f.segment = Some("payment-type:self-pay".into()),
    );
    assert_eq!(rows(&own, "overall")[2], ["180", "2", "1", "50.0"]);
}

#[test]
fn new_and_returning_patients_and_where_the_new_ones_came_from() {
    let k = clinic();
    let r = run(
        &k.c,
        ReportName::NewReturning,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    // January: A and B have their first visits ever (A twice: once). February: C, first
    // seen in December 2025, returns. March: nobody.
    assert_eq!(
        rows(&r, "by-month"),
        s(&[
            &["2026-01", "2", "0"],
            &["2026-02", "0", "1"],
            &["2026-03", "0", "0"]
        ])
    );
    assert_eq!(
        rows(&r, "first-visit-source"),
        s(&[&["patient", "1", "50.0"], &["walk-in", "1", "50.0"]])
    );
}

#[test]
fn nps_and_satisfaction_by_month_with_the_detractors_words() {
    let k = clinic();
    let r = run(&k.c, ReportName::Nps, "2026-01-01", "2026-03-31", |_| {});
    // January: A 10 (promoter), B 3 (detractor): NPS 50 − 50 = 0; satisfaction (5+2)/2.
    // February: C 8 (passive): NPS 0; satisfaction 4. Total satisfaction 11/3 = 3.7.
    assert_eq!(
        rows(&r, "by-month"),
        s(&[
            &["2026-01", "2", "1", "0", "1", "0", "3.5"],
            &["2026-02", "1", "0", "1", "0", "0", "4.0"],
            &["2026-03", "0", "0", "0", "0", "", ""],
            &["total", "3", "1", "1", "1", "0", "3.7"]
        ])
    );
    assert_eq!(
        rows(&r, "detractor-comments"),
        s(&[&["2026-01-10", "Bob", "3", "ortho", "Lin", "waited too long"]])
    );
    // Only Dr Chen's visits: one promoter of one passive and one... of two answers.
    let chen = run(&k.c, ReportName::Nps, "2026-01-01", "2026-03-31", |f| {
        f.doctor = Some("chen".into())
    });
    assert_eq!(
        rows(&chen, "by-month")[3],
        ["total", "2", "1", "1", "0", "50", "4.5"]
    );
}

#[test]
fn revenue_by_department_payment_type_and_points_owed() {
    let k = clinic();
    let r = run(
        &k.c,
        ReportName::Revenue,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    // In the period: A 100 + 50, B 200, C 60 (December's 30 and May's 80 are outside).
    assert_eq!(
        rows(&r, "by-department"),
        s(&[
            &["dental", "3", "210.00", "51.2"],
            &["ortho", "1", "200.00", "48.8"],
            &["total", "4", "410.00", "100.0"]
        ])
    );
    assert_eq!(
        rows(&r, "by-payment-type"),
        s(&[
            &["public-insurance", "1", "200.00", "48.8"],
            &["self-pay", "3", "210.00", "51.2"],
            &["total", "4", "410.00", "100.0"]
        ])
    );
    let tiers = rows(&r, "by-value-tier");
    assert_eq!(tiers.last().unwrap()[2], "410.00");
    assert_eq!(rows(&r, "points-liability"), s(&[&["0", "0"]]));
    // CSV: every table, its key first.
    let csv = r.to_csv().unwrap();
    assert!(csv.contains("by-department,dental,3,210.00,51.2"), "{csv}");
    assert!(csv.starts_with("table,group,visits,amount,share"));
    // Excel: a worksheet per table (an XLSX is a zip: its first bytes say so).
    let xlsx = r.to_xlsx().unwrap();
    assert_eq!(&xlsx[..2], b"PK");
    assert!(xlsx.len() > 4_000);
}

#[test]
fn no_shows_cancellations_and_the_busiest_slots() {
    let k = clinic();
    let c = &k.c;
    let owner = Actor::owner();
    let mut sched = c.execute(&owner, GetSchedule).unwrap();
    sched.time_zone = "Asia/Shanghai".into();
    let morning = vec![Period {
        from: "09:00".into(),
        to: "12:00".into(),
    }];
    sched.hours = (0..7)
        .map(|i| if i < 5 { morning.clone() } else { vec![] })
        .collect();
    c.execute(&owner, SetSchedule(sched)).unwrap();
    let book = |p: Uuid, when: &str, doctor: &str, booked: &str| {
        c.execute(
            &owner,
            BookAppointment {
                input: AppointmentInput {
                    patient_id: p.to_string(),
                    at: when.into(),
                    doctor: Some(doctor.into()),
                    ..Default::default()
                },
                now: at(booked),
            },
        )
        .unwrap()
        .id
    };
    let set = |id: Uuid, status: AppointmentStatus, now: &str| {
        c.execute(
            &owner,
            SetAppointmentStatus {
                id,
                status,
                visit_id: None,
                now: Some(
                    DateTime::parse_from_rfc3339(now)
                        .unwrap()
                        .with_timezone(&Utc),
                ),
            },
        )
        .unwrap();
    };
    // Monday 2 March, booked 3 days ahead, kept; Tuesday 3 March booked that morning,
    // missed; Tuesday 3 March booked a month ahead (30 days), cancelled; Wednesday 4
    // March still only scheduled (left out).
    let kept = book(k.a, "2026-03-02 10:00", "Chen", "2026-02-27");
    set(
        kept,
        AppointmentStatus::Arrived,
        "2026-03-02T10:01:00+08:00",
    );
    let missed = book(k.b, "2026-03-03 10:00", "Lin", "2026-03-03");
    set(
        missed,
        AppointmentStatus::NoShow,
        "2026-03-03T11:00:00+08:00",
    );
    let off = book(k.cc, "2026-03-03 11:00", "Lin", "2026-02-01");
    set(
        off,
        AppointmentStatus::Cancelled,
        "2026-02-20T09:00:00+08:00",
    );
    book(k.dd, "2026-03-04 10:00", "Chen", "2026-03-01");

    let r = run(c, ReportName::NoShows, "2026-03-01", "2026-03-31", |_| {});
    let head = ["total", "3", "1", "1", "50.0", "1", "33.3"];
    assert_eq!(rows(&r, "overall"), s(&[&head]));
    assert_eq!(
        rows(&r, "by-weekday"),
        s(&[
            &["1", "1", "1", "0", "0.0", "0", "0.0"],
            &["2", "2", "0", "1", "100.0", "1", "50.0"]
        ])
    );
    assert_eq!(
        rows(&r, "by-lead-days"),
        s(&[
            &["0", "1", "0", "1", "100.0", "0", "0.0"],
            &["3-7", "1", "1", "0", "0.0", "0", "0.0"],
            &["8-30", "1", "0", "0", "", "1", "100.0"]
        ])
    );
    let lin = run(c, ReportName::NoShows, "2026-03-01", "2026-03-31", |f| {
        f.doctor = Some("Lin".into())
    });
    assert_eq!(rows(&lin, "overall")[0][1], "2");

    let slots = run(
        c,
        ReportName::BusiestSlots,
        "2026-03-01",
        "2026-03-31",
        |_| {},
    );
    // Not cancelled: Monday 10h, Tuesday 10h, Wednesday 10h (the scheduled one).
    assert_eq!(
        rows(&slots, "slots"),
        s(&[
            &["1", "10", "1", "0"],
            &["2", "10", "1", "0"],
            &["3", "10", "1", "0"]
        ])
    );
    // Five Mondays in March 2026 of three hours: 15 h open, one 15-minute booking.
    let util = rows(&slots, "utilisation");
    assert_eq!(util[0], ["1", "15.0", "0.2", "1.7"]);
    assert_eq!(util.len(), 5, "weekdays open, weekend closed: {util:?}");
    // Visits at the hour entered: January's three at 10:30 on their weekdays.
    let jan = run(
        c,
        ReportName::BusiestSlots,
        "2026-01-01",
        "2026-01-31",
        |_| {},
    );
    let visits: i64 = rows(&jan, "slots")
        .iter()
        .map(|r| r[3].parse::<i64>().unwrap())
        .sum();
    assert_eq!(visits, 3);
}

#[test]
fn churn_risk_referrals_and_reminder_effect_tables_and_bad_ranges() {
    let k = clinic();
    let refs = run(
        &k.c,
        ReportName::Referrals,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    // New in the period: A and B; B referred by A.
    assert_eq!(rows(&refs, "summary"), s(&[&["2", "1", "50.0"]]));
    assert_eq!(rows(&refs, "top-referrers")[0][1], "Alice");
    // Bob, whom Alice brought, brings Fay, who brings Gus: Alice's tree is three people.
    let fay = patient(&k.c, "Fay", "self-pay", "patient", Some(k.b));
    patient(&k.c, "Gus", "self-pay", "patient", Some(fay));
    let refs = run(
        &k.c,
        ReportName::Referrals,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    let alice = &rows(&refs, "top-referrers")[0];
    assert_eq!(alice[1..], ["Alice", "1", "1", "3"]);
    let churn = run(
        &k.c,
        ReportName::ChurnRisk,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    // Nobody has three visits: nobody is overdue against their own rhythm.
    assert!(rows(&churn, "call-list").is_empty());
    // Eve came every 30 days until 1 April: 236 days since, 206 over her usual gap.
    let eve = patient(&k.c, "Eve", "self-pay", "online", None);
    for day in ["2026-01-01", "2026-01-31", "2026-03-02", "2026-04-01"] {
        visit(&k.c, eve, day, "dental", "Chen", "10.00", None, None, None);
    }
    let churn = run(
        &k.c,
        ReportName::ChurnRisk,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    let list = rows(&churn, "call-list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0][1..3], ["Eve".to_string(), list[0][2].clone()]);
    assert_eq!(list[0][4..], ["2026-04-01", "30", "236", "206"]);
    let effect = run(
        &k.c,
        ReportName::ReminderEffect,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    assert_eq!(effect.tables[0].key, "by-rule");
    let e =
        k.c.execute(
            &Actor::owner(),
            RunReport {
                name: ReportName::Nps,
                filter: ReportFilter {
                    from: d("2026-03-01"),
                    to: d("2026-02-01"),
                    ..Default::default()
                },
                today: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert_eq!(e.field.as_deref(), Some("to"));
}

#[test]
fn the_dashboard_sets_this_month_so_far_against_the_same_days_of_last_month() {
    use clinic_core::reports::GetDashboard;
    let k = clinic();
    let dash = |day: &str| {
        k.c.execute(
            &Actor::owner(),
            GetDashboard {
                today: Some(d(day)),
            },
        )
        .unwrap()
    };
    let feb = dash("2026-02-20");
    assert_eq!(
        (feb.this_from, feb.this_to, feb.last_from, feb.last_to),
        (
            d("2026-02-01"),
            d("2026-02-20"),
            d("2026-01-01"),
            d("2026-01-20")
        )
    );
    let figures: Vec<(String, String, String)> = feb
        .figures
        .iter()
        .map(|f| (f.key.clone(), f.this.text(), f.last.text()))
        .collect();
    // 1-20 February: Carol's 60.00 visit (NPS 8, satisfied 4; first seen in December).
    // 1-20 January: Alice twice (100.00 with 10 and 5; 50.00) and Bob (200.00, 3 and 2),
    // both new.
    let want = [
        ("visits", "1", "3"),
        ("patients", "1", "2"),
        ("newPatients", "0", "2"),
        ("revenue", "60.00", "350.00"),
        ("nps", "0", "0"),
        ("satisfaction", "4.0", "3.5"),
        ("noShowRate", "", ""),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(figures, want);
    // The last day of a long month is set against the last day of a short one.
    let march = dash("2026-03-31");
    assert_eq!(
        (march.last_from, march.last_to),
        (d("2026-02-01"), d("2026-02-28"))
    );
}

#[test]
fn a_report_on_paper_in_the_users_words_and_in_the_cores() {
    use clinic_core::handouts::pdf::Paper;
    use clinic_core::patients::Language;
    use clinic_core::reports::{PrintReport, PrintedTable, ReportDocument};
    let k = clinic();
    let r = run(
        &k.c,
        ReportName::Revenue,
        "2026-01-01",
        "2026-03-31",
        |_| {},
    );
    let words = ReportDocument {
        title: "收入".into(),
        subtitle: "2026-01-01 – 2026-03-31".into(),
        definition: "期间内就诊记录的金额。".into(),
        tables: vec![PrintedTable {
            title: "按科室".into(),
            header: vec!["分组".into(), "就诊".into(), "金额".into(), "占比".into()],
            rows: rows(&r, "by-department"),
        }],
    };
    let read = |pdf: Vec<u8>| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.pdf");
        std::fs::write(&file, pdf).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils)");
        String::from_utf8(out.stdout).unwrap().replace(' ', "")
    };
    let print = |document: ReportDocument, language| {
        k.c.execute(
            &Actor::owner(),
            PrintReport {
                document,
                language,
                paper: Paper::A4,
            },
        )
    };
    let text = read(print(words.clone(), Language::ZhCn).unwrap());
    for want in ["收入", "按科室", "占比", "dental", "210.00", "48.8"] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    let text = read(print(ReportDocument::plain(&r), Language::En).unwrap());
    assert!(
        text.contains("by-payment-type") && text.contains("410.00"),
        "{text}"
    );
    let mut wide = words;
    wide.tables[0].header = (0..13).map(|i| i.to_string()).collect();
    let e = print(wide, Language::ZhCn).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("tables"));
}

/// Three reports on a generated clinic against plain SQL written straight from the tables.
#[test]
fn revenue_new_patients_and_nps_agree_with_plain_sql_on_a_generated_clinic() {
    use clinic_core::synth::{GenerateClinic, Region};
    let (tmp, c, key) = common::clinic_and_key();
    c.execute(
        &Actor::owner(),
        GenerateClinic {
            patients: 1_500,
            mean_visits: 8,
            seed: 5,
            region: Region::Mixed,
            until: d("2026-11-23"),
        },
    )
    .unwrap();
    let conn = common::raw(tmp.path(), &key);
    let sql = |q: &str| -> Vec<Vec<String>> {
        let mut stmt = conn.prepare(q).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Integer(x) => x.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                        _ => String::new(),
                    })
                })
                .collect()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let (from, to) = ("2026-01-01", "2026-06-30");
    let revenue_agrees = || {
        let revenue = run(&c, ReportName::Revenue, from, to, |_| {});
        let mut ours: Vec<Vec<String>> = rows(&revenue, "by-department")
            .into_iter()
            .filter(|r| r[0] != "total")
            .map(|r| r[..3].to_vec())
            .collect();
        ours.sort();
        let theirs: Vec<Vec<String>> = sql(
            "SELECT trim(department), count(*), printf('%d.%02d', sum(coalesce(amount_minor, 0)) / 100,
                    sum(coalesce(amount_minor, 0)) % 100)
             FROM visit WHERE archived_at IS NULL
               AND substr(visited_at, 1, 10) BETWEEN '2026-01-01' AND '2026-06-30'
             GROUP BY 1 ORDER BY 1",
        );
        assert!(theirs.len() > 3);
        assert_eq!(ours, theirs);
    };
    revenue_agrees();
    // Changed behind the app's back by another connection (the CLI, an import): the
    // visits the reports keep in memory follow (patient by patient, migration 0021).
    conn.execute_batch(
        "UPDATE visit SET amount_minor = coalesce(amount_minor, 0) + 123 WHERE rowid % 3 = 0;
         UPDATE visit SET archived_at = '2026-11-23T00:00:00Z' WHERE rowid % 11 = 0;
         UPDATE visit SET department = 'Dermatology' WHERE rowid % 13 = 0;
         UPDATE visit SET visited_at = '2026-02-03T09:00:00+08:00' WHERE rowid % 17 = 0;",
    )
    .unwrap();
    revenue_agrees();

    // New patients per month: patients whose first visit ever falls in that month.
    let new = run(&c, ReportName::NewReturning, from, to, |_| {});
    let ours: Vec<Vec<String>> = rows(&new, "by-month")
        .into_iter()
        .map(|r| r[..2].to_vec())
        .collect();
    let theirs = sql(
        "SELECT m, count(*) FROM (SELECT patient_id, substr(min(substr(visited_at, 1, 10)), 1, 7) AS m
                                  FROM visit WHERE archived_at IS NULL GROUP BY patient_id)
         WHERE m BETWEEN '2026-01' AND '2026-06' GROUP BY m ORDER BY m",
    );
    let theirs: Vec<Vec<String>> = (1..=6)
        .map(|m| {
            let month = format!("2026-{m:02}");
            let n = theirs
                .iter()
                .find(|r| r[0] == month)
                .map_or("0".to_string(), |r| r[1].clone());
            vec![month, n]
        })
        .collect();
    assert_eq!(ours, theirs);

    // NPS answers, promoters, passives and detractors per month.
    let nps = run(&c, ReportName::Nps, from, to, |_| {});
    let ours: Vec<Vec<String>> = rows(&nps, "by-month")
        .into_iter()
        .filter(|r| r[0] != "total" && r[1] != "0")
        .map(|r| r[..5].to_vec())
        .collect();
    let theirs = sql(
        "SELECT substr(visited_at, 1, 7), count(*), sum(nps >= 9), sum(nps BETWEEN 7 AND 8),
                sum(nps <= 6)
         FROM visit WHERE archived_at IS NULL AND nps IS NOT NULL
           AND substr(visited_at, 1, 10) BETWEEN '2026-01-01' AND '2026-06-30'
         GROUP BY 1 ORDER BY 1",
    );
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs);
}
