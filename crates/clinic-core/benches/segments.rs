//! Classification of the benchmark clinic (100k patients, ~1M visits):
//! `cargo bench -p clinic-core --bench segments` (BENCH_PATIENTS to change the size).
//! Prints, each the median of 3 runs: every dimension counted (a full recompute of every
//! label), one label's members, one patient explained, a rule's live count, and every
//! shipped template saved and counted in one pass. Targets (issue #6): full recompute < 1 s,
//! counts per segment < 100 ms.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clinic_core::segments::{
    templates, CountSegments, Dimension, EvaluateRule, ExplainPatient, ListSavedSegments,
    SaveSegment, SegmentMembers,
};
use clinic_core::synth::{GenerateClinic, Region};
use clinic_core::{Actor, Clinic, KdfParams};

const PASS: &str = "benchmark passphrase";

fn median(mut f: impl FnMut()) -> Duration {
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
    let (clinic, _) = Clinic::initialize_with(tmp.path(), PASS, fast).expect("init");
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
        "Segments benchmark: {} patients, {} visits (median of 3)\n",
        generated.patients, generated.visits
    );
    println!("| | time |\n|---|---|");
    let row = |what: &str, d: Duration| println!("| {what} | {:.0} ms |", d.as_secs_f64() * 1e3);
    let today = Some(today);

    row(
        "every dimension counted (all labels of every patient recomputed)",
        median(|| {
            clinic
                .execute(&owner, CountSegments { today })
                .expect("count");
        }),
    );
    row(
        "one label's members (value-tier: high-value)",
        median(|| {
            clinic
                .execute(
                    &owner,
                    SegmentMembers {
                        dimension: Dimension::ValueTier,
                        label: "high-value".into(),
                        today,
                    },
                )
                .expect("members");
        }),
    );
    let someone = clinic
        .execute(
            &owner,
            SegmentMembers {
                dimension: Dimension::Lifecycle,
                label: "active".into(),
                today,
            },
        )
        .expect("members")[0]
        .id;
    row(
        "one patient's labels explained (the patient page chips)",
        median(|| {
            clinic
                .execute(
                    &owner,
                    ExplainPatient {
                        patient_id: someone,
                        today,
                    },
                )
                .expect("explain");
        }),
    );
    let shipped = templates();
    for key in ["chronic-not-seen-90", "high-value-at-risk", "scaling-due"] {
        let rule = shipped
            .iter()
            .find(|t| t.key == key)
            .expect("template")
            .rule
            .clone();
        let mut count = 0;
        let d = median(|| {
            count = clinic
                .execute(
                    &owner,
                    EvaluateRule {
                        rule: rule.clone(),
                        today,
                        limit: Some(5),
                    },
                )
                .expect("evaluate")
                .count;
        });
        row(
            &format!("live count of the template {key} ({count} patients)"),
            d,
        );
    }
    for t in &shipped {
        clinic
            .execute(
                &owner,
                SaveSegment {
                    id: None,
                    name: t.name.clone(),
                    description: None,
                    rule: t.rule.clone(),
                    template: Some(t.key.clone()),
                },
            )
            .expect("save");
    }
    row(
        &format!("all {} templates saved, counted in one pass", shipped.len()),
        median(|| {
            clinic
                .execute(&owner, ListSavedSegments { today })
                .expect("saved");
        }),
    );
}
