//! The reminder work list on the benchmark clinic (100k patients, ~1M visits, plus 2,000
//! appointments over the next two weeks): `cargo bench -p clinic-core --bench reminders`
//! (BENCH_PATIENTS to change the size). Prints the first opening of a day's list (which
//! writes down everything due), opening it again, booking one appointment, logging one
//! outcome, and the effect report over a month.

mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use clinic_core::appointments::{AppointmentInput, BookAppointment, ListAppointments};
use clinic_core::patients::ListPatients;
use clinic_core::reminders::{
    ContactInput, DueReminders, GetReminderRules, LogContact, ReminderEffect, SetReminderRules,
};
use clinic_core::Actor;
use support::benchmark_clinic;

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn main() {
    let (_tmp, clinic, generated) = benchmark_clinic();
    let owner = Actor::owner();
    let today = support::today();
    let now: DateTime<Utc> = "2026-11-23T01:00:00Z".parse().expect("instant");
    // The generator records no consent: measure the list as if every patient had given it.
    let mut rules = clinic.execute(&owner, GetReminderRules).expect("rules");
    rules.require_consent = false;
    clinic
        .execute(&owner, SetReminderRules(rules))
        .expect("rules");
    let ids: Vec<_> = clinic
        .execute(
            &owner,
            ListPatients {
                include_archived: false,
                limit: 2000,
                offset: 0,
            },
        )
        .expect("patients")
        .into_iter()
        .map(|p| p.id)
        .collect();
    let book = |i: usize, p: uuid::Uuid| {
        let day = today + chrono::Duration::days(1 + (i % 14) as i64);
        clinic.execute(
            &owner,
            BookAppointment {
                input: AppointmentInput {
                    patient_id: p.to_string(),
                    at: format!("{day} {:02}:{:02}", 9 + (i / 14) % 8, (i % 4) * 15),
                    minutes: Some(15),
                    doctor: Some(format!("Dr {}", i % 6)),
                    allow_overlap: true,
                    allow_outside_hours: true,
                    ..Default::default()
                },
                now: Some(now),
            },
        )
    };
    for (i, p) in ids.iter().enumerate() {
        book(i, *p).expect("book");
    }
    println!(
        "Reminders benchmark: {} patients, {} visits, {} appointments\n",
        generated.patients,
        generated.visits,
        ids.len()
    );
    println!("| | time |\n|---|---|");
    let row = |what: &str, d: Duration| println!("| {what} | {:.0} ms |", d.as_secs_f64() * 1e3);
    let list = || {
        clinic
            .execute(
                &owner,
                DueReminders {
                    date: None,
                    now: Some(now),
                },
            )
            .expect("list")
    };
    let (first, d) = timed(list);
    let items: usize = first.contacts.iter().map(|c| c.items.len()).sum();
    row(
        &format!(
            "first opening of the day: everything due written down ({} contacts, {items} reminders)",
            first.contacts.len()
        ),
        d,
    );
    let (_, d) = timed(list);
    row("the list opened again", d);
    let (_, d) = timed(|| {
        clinic
            .execute(
                &owner,
                ListAppointments(clinic_core::appointments::AppointmentQuery {
                    from: Some(today + chrono::Duration::days(1)),
                    to: Some(today + chrono::Duration::days(7)),
                    ..Default::default()
                }),
            )
            .expect("week")
    });
    row("the appointment book, one week", d);
    let (_, d) = timed(|| book(7, ids[0]).expect("book"));
    row("one appointment booked (overlap and hours checked)", d);
    let c = &first.contacts[0];
    let (_, d) = timed(|| {
        clinic
            .execute(
                &owner,
                LogContact {
                    input: ContactInput {
                        patient_id: c.patient_id.to_string(),
                        reminder_ids: c.items.iter().filter_map(|i| i.reminder_id).collect(),
                        outcome: "reached".into(),
                        ..Default::default()
                    },
                    now: Some(now),
                },
            )
            .expect("log")
    });
    row("one outcome logged", d);
    let (_, d) = timed(|| {
        clinic
            .execute(
                &owner,
                ReminderEffect {
                    from: today - chrono::Duration::days(30),
                    to: today,
                    days: 30,
                },
            )
            .expect("effect")
    });
    row("reminder effect over 30 days", d);
}
