//! The owner's reports on the benchmark clinic (100k patients, ~1M visits):
//! `cargo bench -p clinic-core --bench reports` (BENCH_PATIENTS to change the size).
//! Prints, for each report over a quarter and for the dashboard, the median of 3 runs in
//! one open clinic. Targets (issue #9): each report < 200 ms, the dashboard < 500 ms.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clinic_core::reports::{GetDashboard, ReportFilter, ReportName, RunReport};
use clinic_core::synth::{GenerateClinic, Region};
use clinic_core::{Actor, Clinic, KdfParams};

fn median(f: &mut dyn FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[1]
}

fn main() {
    let patients: u32 = std::env::var("BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let fast = KdfParams {
        m_cost: 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let (clinic, _) =
        Clinic::initialize_with(tmp.path(), "benchmark passphrase", fast).expect("init");
    let owner = Actor::owner();
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let generated = clinic
        .execute(
            &owner,
            GenerateClinic {
                patients,
                mean_visits: 10,
                seed: 1,
                region: Region::Mixed,
                until: today,
            },
        )
        .expect("generate");
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
