//! What the benchmarks share: the benchmark clinic (BENCH_PATIENTS patients, 100k by
//! default, ~10 visits each up to 2026-11-23 and the last year's appointment book, in an
//! encrypted file with a cheap key derivation) and the median of three runs.
#![allow(dead_code)] // each benchmark uses a different part

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clinic_core::synth::{GenerateAppointments, GenerateClinic, Generated, Region};
use clinic_core::{Actor, Clinic, KdfParams};

/// The benchmark clinic's "today".
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

/// The benchmark clinic's passphrase (its key file is wrapped with quick KDF settings).
pub const PASSPHRASE: &str = "benchmark passphrase";

/// A new benchmark clinic in a temporary folder (kept alive by the `TempDir`).
pub fn benchmark_clinic() -> (tempfile::TempDir, Clinic, Generated) {
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
    let (clinic, _) = Clinic::initialize_with(tmp.path(), PASSPHRASE, fast).expect("init");
    let generated = clinic
        .execute(
            &Actor::owner(),
            GenerateClinic {
                patients,
                mean_visits: 10,
                seed: 1,
                region: Region::Mixed,
                until: today(),
            },
        )
        .expect("generate");
    clinic
        .execute(
            &Actor::owner(),
            GenerateAppointments {
                seed: 1,
                until: today(),
            },
        )
        .expect("appointments");
    (tmp, clinic, generated)
}

/// The median of three runs.
pub fn median(f: &mut dyn FnMut()) -> Duration {
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
