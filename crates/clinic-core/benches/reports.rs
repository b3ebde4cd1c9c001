//! The owner's reports on the benchmark clinic (100k patients, ~1M visits):
//! `cargo bench -p clinic-core --bench reports` (BENCH_PATIENTS to change the size).
//! Prints, for each report over a quarter and for the dashboard, the median of 3 runs in
//! one open clinic: right after a visit was recorded (the kept visits are brought up to
//! date for that patient; anything classified clinic-wide is classified again), and again
//! with nothing changed. Targets (issue #9): each report < 200 ms, the dashboard < 500 ms.

mod support;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clinic_core::patients::{CreatePatient, PatientInput};
use clinic_core::reports::{GetDashboard, ReportFilter, ReportName, RunReport};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic};
use support::{benchmark_clinic, median, today};

/// A new patient seen today: what the front desk does all day between two reports.
fn record_a_visit(clinic: &Clinic) {
    let owner = Actor::owner();
    let p = clinic
        .execute(
            &owner,
            CreatePatient {
                input: PatientInput {
                    name: "Walk-in".into(),
                    payment_type: Some("self-pay".into()),
                    ..Default::default()
                },
                allow_duplicate: true,
            },
        )
        .expect("patient");
    clinic
        .execute(
            &owner,
            AddVisit(VisitInput {
                patient_id: p.id.to_string(),
                at: "2026-09-15T10:00+08:00".into(),
                department: "Dental".into(),
                visit_type: "first".into(),
                amount: Some("80.00".into()),
                ..Default::default()
            }),
        )
        .expect("visit");
}

fn main() {
    let (tmp, clinic, generated) = benchmark_clinic();
    let owner = Actor::owner();
    let today = today();
    let clinic = first_dashboard_of_the_day(clinic, tmp.path(), today);
    println!(
        "Reports benchmark: {} patients, {} visits; 2026-07-01 to 2026-09-30 (median of 3)\n",
        generated.patients, generated.visits
    );
    let filter = ReportFilter {
        from: NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 9, 30).expect("date"),
        ..Default::default()
    };
    let run = |name: ReportName| {
        clinic
            .execute(
                &owner,
                RunReport {
                    name,
                    filter: filter.clone(),
                    today: Some(today),
                },
            )
            .expect("report");
    };
    let dashboard = || {
        clinic
            .execute(&owner, GetDashboard { today: Some(today) })
            .expect("dashboard");
    };
    println!("| report | after a visit was recorded | again | target |\n|---|---|---|---|");
    let row = |name: &str, changed: Duration, again: Duration, target: u32| {
        println!(
            "| {name} | {:.0} ms | {:.0} ms | {target} ms |",
            changed.as_secs_f64() * 1e3,
            again.as_secs_f64() * 1e3
        );
    };
    for name in ReportName::ALL {
        let changed = timed_median(&clinic, &|| run(*name));
        let again = median(&mut || run(*name));
        row(name.code(), changed, again, 200);
    }
    let changed = timed_median(&clinic, &dashboard);
    let again = median(&mut || dashboard());
    row("dashboard", changed, again, 500);
}

/// The dashboard as the first question after the clinic is opened: with nothing saved,
/// read cold; after the warm-up the app runs on unlock (which also saves the kept visits
/// in the file); cold again on the next opening, from that image; and asked at once while
/// that opening's warm-up runs. Answers the clinic, open, for the rest of the benchmark.
fn first_dashboard_of_the_day(clinic: Clinic, dir: &std::path::Path, today: NaiveDate) -> Clinic {
    let owner = Actor::owner();
    let reopen = |clinic: Clinic| {
        drop(clinic);
        Clinic::unlock_with_passphrase(dir, support::PASSPHRASE)
            .expect("reopen")
            .0
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let dashboard = |clinic: &Clinic| {
        let t = Instant::now();
        clinic
            .execute(&owner, GetDashboard { today: Some(today) })
            .expect("dashboard");
        t.elapsed()
    };
    let clinic = reopen(clinic);
    let cold = dashboard(&clinic);
    let clinic = reopen(clinic);
    let t = Instant::now();
    let warmed = clinic.warm_up(Some(today)).expect("warm-up");
    let warm_up = t.elapsed();
    let after = dashboard(&clinic);
    let image = std::fs::metadata(dir.join(clinic_core::DB_FILE)).map_or(0, |m| m.len());
    let clinic = reopen(clinic);
    let from_image = dashboard(&clinic);
    let clinic = reopen(clinic);
    let at_once = std::thread::scope(|s| {
        let warming = s.spawn(|| clinic.warm_up(Some(today)).expect("warm-up"));
        // The owner clicks Reports the moment the window opens.
        std::thread::sleep(Duration::from_millis(50));
        let d = dashboard(&clinic);
        warming.join().expect("warm-up thread");
        d
    });
    println!(
        "The first dashboard after opening the clinic:\n\
         - nothing saved yet, every visit read: {:.0} ms\n\
         - after the warm-up on unlock ({:.0} ms in all: every visit {:.0} ms and everyone's \
         labels {:.0} ms side by side, on connections of their own; kept visits saved: {}; \
         file now {:.0} MiB): {:.0} ms\n\
         - the next opening, cold, from the saved image: {:.0} ms\n\
         - asked 50 ms into that opening's warm-up: {:.0} ms\n",
        ms(cold),
        ms(warm_up),
        ms(warmed.visits),
        ms(warmed.classification),
        warmed.saved,
        image as f64 / 1048576.0,
        ms(after),
        ms(from_image),
        ms(at_once)
    );
    clinic
}

/// The median of three: a visit recorded (not timed), then `f` (timed).
fn timed_median(clinic: &Clinic, f: &dyn Fn()) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            record_a_visit(clinic);
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}
