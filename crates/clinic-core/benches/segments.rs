//! Classification of the benchmark clinic (100k patients, ~1M visits):
//! `cargo bench -p clinic-core --bench segments` (BENCH_PATIENTS to change the size).
//! Prints, each the median of 3 runs, both right after a change (a visit recorded: the
//! clinic is classified afresh) and again with nothing changed (the kept classification):
//! every dimension counted (a full recompute of every label), one label's members, one
//! patient explained, a rule's live count, and every shipped template saved and counted
//! in one pass. Targets (issue #6): full recompute < 1 s, counts per segment < 100 ms.

mod support;

use std::time::{Duration, Instant};

use clinic_core::segments::{
    templates, CountSegments, Dimension, EvaluateRule, ExplainPatient, ListSavedSegments,
    SaveSegment, SegmentMembers,
};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::Actor;
use support::{benchmark_clinic, median};

fn main() {
    let (_tmp, clinic, generated) = benchmark_clinic();
    let owner = Actor::owner();
    let today = support::today();
    println!(
        "Segments benchmark: {} patients, {} visits (median of 3)\n",
        generated.patients, generated.visits
    );
    let today = Some(today);
    // The very first question packs every patient's visits (migration 0020's digests).
    let t = Instant::now();
    clinic
        .execute(&owner, CountSegments { today })
        .expect("count");
    println!(
        "First question after the generator wrote every visit (every digest packed): {:.0} ms\n",
        t.elapsed().as_secs_f64() * 1e3
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
    // A change before each run: one visit recorded, so the clinic is classified afresh
    // (the kept classification is dropped, one digest rebuilt).
    let mut day = 0u32;
    let mut change = || {
        day += 1;
        clinic
            .execute(
                &owner,
                AddVisit(VisitInput {
                    patient_id: someone.to_string(),
                    at: format!("2026-10-{:02}T10:00:00+08:00", day % 28 + 1),
                    department: "dental".into(),
                    visit_type: "return".into(),
                    ..Default::default()
                }),
            )
            .expect("visit");
    };
    let mut both = |what: &str, f: &mut dyn FnMut()| {
        let mut fresh: Vec<Duration> = (0..3)
            .map(|_| {
                change();
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        fresh.sort();
        let again = median(&mut *f);
        println!(
            "| {what} | {:.0} ms | {:.0} ms |",
            fresh[1].as_secs_f64() * 1e3,
            again.as_secs_f64() * 1e3
        );
    };
    println!("| | after a change | again, nothing changed |\n|---|---|---|");
    both(
        "every dimension counted (all labels of every patient)",
        &mut || {
            clinic
                .execute(&owner, CountSegments { today })
                .expect("count");
        },
    );
    both("one label's members (value-tier: high-value)", &mut || {
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
    });
    both(
        "one patient's labels explained (the patient page chips)",
        &mut || {
            clinic
                .execute(
                    &owner,
                    ExplainPatient {
                        patient_id: someone,
                        today,
                    },
                )
                .expect("explain");
        },
    );
    let shipped = templates();
    for key in ["chronic-not-seen-90", "high-value-at-risk", "scaling-due"] {
        let rule = shipped
            .iter()
            .find(|t| t.key == key)
            .expect("template")
            .rule
            .clone();
        let run = || {
            clinic
                .execute(
                    &owner,
                    EvaluateRule {
                        rule: rule.clone(),
                        today,
                        limit: Some(5),
                    },
                )
                .expect("evaluate")
                .count
        };
        // Counted first so that the row can say how many match.
        let label = format!("live count of the template {key} ({} patients)", run());
        both(&label, &mut || {
            run();
        });
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
    both(
        &format!("all {} templates saved, counted in one pass", shipped.len()),
        &mut || {
            clinic
                .execute(&owner, ListSavedSegments { today })
                .expect("saved");
        },
    );
}
