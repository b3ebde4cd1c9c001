//! The owner's reports on the benchmark clinic (100k patients, ~1M visits):
//! `cargo bench -p clinic-core --bench reports` (BENCH_PATIENTS to change the size).
//! Prints, for each report over a quarter and for the dashboard, the median of 3 runs in
//! one open clinic. Targets (issue #9): each report < 200 ms, the dashboard < 500 ms.

mod support;

use chrono::NaiveDate;
use clinic_core::reports::{GetDashboard, ReportFilter, ReportName, RunReport};
use clinic_core::Actor;
use support::{benchmark_clinic, median, today};

fn main() {
    let (_tmp, clinic, generated) = benchmark_clinic();
    let owner = Actor::owner();
    let today = today();
    println!(
        "Reports benchmark: {} patients, {} visits; 2026-07-01 to 2026-09-30 (median of 3)\n",
        generated.patients, generated.visits
    );
    println!("| report | time | target |\n|---|---|---|");
    let filter = ReportFilter {
        from: NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 9, 30).expect("date"),
        ..Default::default()
    };
    for name in ReportName::ALL {
        let d = median(&mut || {
            clinic
                .execute(
                    &owner,
                    RunReport {
                        name: *name,
                        filter: filter.clone(),
                        today: Some(today),
                    },
                )
                .expect("report");
        });
        println!(
            "| {} | {:.0} ms | 200 ms |",
            name.code(),
            d.as_secs_f64() * 1e3
        );
    }
    let d = median(&mut || {
        clinic
            .execute(&owner, GetDashboard { today: Some(today) })
            .expect("dashboard");
    });
    println!("| dashboard | {:.0} ms | 500 ms |", d.as_secs_f64() * 1e3);
}
