//! Reports read from the appointment book and the reminders: no-shows and cancellations,
//! the busiest slots and how full the hours were, reminder effectiveness.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike};
use rusqlite::types::ValueRef;
use rusqlite::Transaction;

use super::{Cell, ReportTable, Scope};
use crate::access::Actor;
use crate::clinic::Operation;
use crate::error::Result;
use crate::visits::kept::kept_visits;

pub(super) struct Booking {
    weekday: u32,
    hour: u32,
    minutes: i64,
    doctor: String,
    pub status: &'static str,
    /// Days from booking to the appointment's day.
    lead: i64,
}

/// The appointments whose local day falls in the range (the doctor and segment filters
/// apply; moved ones — `rescheduled` — are left out: their replacement counts).
pub(super) fn bookings(tx: &Transaction<'_>, scope: &Scope) -> Result<Vec<Booking>> {
    let schedule = crate::appointments::schedule::load(tx)?;
    let tz = schedule.tz();
    let (lo, _) = schedule.day_bounds(scope.from);
    let (_, hi) = schedule.day_bounds(scope.to);
    let mut stmt = tx.prepare(
        "SELECT patient_id, starts_ms, ends_ms, doctor, status, created_at FROM appointment
         WHERE starts_ms >= ?1 AND starts_ms < ?2 AND status <> 'rescheduled'",
    )?;
    let mut rows = stmt.query([lo.timestamp_millis(), hi.timestamp_millis()])?;
    let mut out = Vec::new();
    // A quarter of a large clinic is ~100k rows: read in place, nothing copied that is
    // not kept.
    while let Some(r) = rows.next()? {
        if !scope.patient(text(r, 0)?) {
            continue;
        }
        let doctor = text(r, 3)?.trim();
        if !scope.doctor(Some(doctor).filter(|d| !d.is_empty())) {
            continue;
        }
        let (starts, ends): (i64, i64) = (r.get(1)?, r.get(2)?);
        let Some(at) = DateTime::from_timestamp_millis(starts).map(|t| t.with_timezone(&tz)) else {
            continue;
        };
        let booked = DateTime::parse_from_rfc3339(text(r, 5)?)
            .map(|t| t.with_timezone(&tz).date_naive())
            .unwrap_or(at.date_naive());
        out.push(Booking {
            weekday: at.weekday().number_from_monday(),
            hour: at.hour(),
            minutes: (ends - starts) / 60_000,
            doctor: doctor.to_string(),
            status: status_code(text(r, 4)?),
            lead: (at.date_naive() - booked).num_days().max(0),
        });
    }
    Ok(out)
}

/// An appointment's status as one of the book's own words (they are checked on the way in).
/// A text column read in place ("" for NULL or bytes that are not UTF-8).
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    Ok(match r.get_ref(i)? {
        ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or(""),
        _ => "",
    })
}

fn status_code(status: &str) -> &'static str {
    match status {
        "scheduled" => "scheduled",
        "confirmed" => "confirmed",
        "arrived" => "arrived",
        "completed" => "completed",
        "no-show" => "no-show",
        "cancelled" => "cancelled",
        "rescheduled" => "rescheduled",
        _ => "unknown",
    }
}

fn lead_band(days: i64) -> &'static str {
    match days {
        0 => "0",
        1..=2 => "1-2",
        3..=7 => "3-7",
        8..=30 => "8-30",
        _ => "31+",
    }
}

/// (kept, missed, cancelled)
type Tally = (u64, u64, u64);

pub(super) fn no_shows(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let all = bookings(tx, scope)?;
    let mut groups: [BTreeMap<String, Tally>; 3] = Default::default();
    let mut total: Tally = (0, 0, 0);
    for b in &all {
        let (kept, missed, cancelled) = match b.status {
            "completed" | "arrived" => (1, 0, 0),
            "no-show" => (0, 1, 0),
            "cancelled" => (0, 0, 1),
            // Still to come (scheduled, confirmed): neither kept nor missed yet.
            _ => continue,
        };
        let keys = [
            b.weekday.to_string(),
            b.doctor.clone(),
            lead_band(b.lead).to_string(),
        ];
        for t in std::iter::once(&mut total).chain(
            groups
                .iter_mut()
                .zip(keys)
                .map(|(g, k)| g.entry(k).or_default()),
        ) {
            t.0 += kept;
            t.1 += missed;
            t.2 += cancelled;
        }
    }
    let columns = [
        "group",
        "appointments",
        "kept",
        "noShows",
        "noShowRate",
        "cancelled",
        "cancellationRate",
    ];
    let row = |name: String, t: &Tally| {
        vec![
            Cell::Text(name),
            Cell::Count((t.0 + t.1 + t.2) as i64),
            Cell::Count(t.0 as i64),
            Cell::Count(t.1 as i64),
            Cell::percent(t.1, t.0 + t.1),
            Cell::Count(t.2 as i64),
            Cell::percent(t.2, t.0 + t.1 + t.2),
        ]
    };
    let mut overall = ReportTable::new("overall", &columns);
    overall.rows.push(row("total".into(), &total));
    let mut tables = vec![overall];
    for (key, g) in ["by-weekday", "by-doctor", "by-lead-days"]
        .iter()
        .zip(groups)
    {
        let mut t = ReportTable::new(key, &columns);
        let mut entries: Vec<(String, Tally)> = g.into_iter().collect();
        if *key == "by-lead-days" {
            let order = ["0", "1-2", "3-7", "8-30", "31+"];
            entries.sort_by_key(|(k, _)| order.iter().position(|o| o == k));
        }
        for (name, tally) in entries {
            t.rows.push(row(name, &tally));
        }
        tables.push(t);
    }
    Ok((
        "Appointments on days in the period that have happened or been called off: kept \
         (arrived or completed), no-shows, cancelled; moved ones count once, as their new \
         booking; ones still to come are left out. No-show rate = no-shows / (kept + \
         no-shows); cancellation rate = cancelled / all three. Weekday 1 is Monday; lead \
         days from the day it was booked to the day of the appointment.",
        tables,
    ))
}

pub(super) fn busiest_slots(
    tx: &Transaction<'_>,
    scope: &Scope,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let all = bookings(tx, scope)?;
    // (weekday, hour) → (appointments, visits)
    let mut slots: BTreeMap<(u32, u32), (i64, i64)> = BTreeMap::new();
    let mut booked_minutes: BTreeMap<u32, i64> = BTreeMap::new();
    for b in all.iter().filter(|b| b.status != "cancelled") {
        slots.entry((b.weekday, b.hour)).or_default().0 += 1;
        *booked_minutes.entry(b.weekday).or_default() += b.minutes;
    }
    let kept = kept_visits(tx)?;
    let within = scope.on(&kept);
    for (_, v) in kept.visits().filter(|(p, v)| within.counts(*p, v)) {
        slots
            .entry((v.date.weekday().number_from_monday(), u32::from(v.hour)))
            .or_default()
            .1 += 1;
    }
    let mut heat = ReportTable::new("slots", &["weekday", "hour", "appointments", "visits"]);
    for ((w, h), (a, v)) in slots {
        heat.rows.push(vec![
            Cell::Count(i64::from(w)),
            Cell::Count(i64::from(h)),
            Cell::Count(a),
            Cell::Count(v),
        ]);
    }
    // Open minutes per weekday over the range, from the opening hours and closed days.
    let schedule = crate::appointments::schedule::load(tx)?;
    let mut open: BTreeMap<u32, i64> = BTreeMap::new();
    let mut day = scope.from;
    while day <= scope.to {
        let minutes: i64 = schedule
            .periods_on(day)
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum();
        *open.entry(day.weekday().number_from_monday()).or_default() += minutes;
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    let mut use_of = ReportTable::new(
        "utilisation",
        &["weekday", "openHours", "bookedHours", "utilisation"],
    );
    for w in 1..=7u32 {
        let (o, b) = (
            open.get(&w).copied().unwrap_or(0),
            booked_minutes.get(&w).copied().unwrap_or(0),
        );
        if o == 0 && b == 0 {
            continue;
        }
        use_of.rows.push(vec![
            Cell::Count(i64::from(w)),
            Cell::Text(format!("{}.{}", o / 60, o % 60 * 10 / 60)),
            Cell::Text(format!("{}.{}", b / 60, b % 60 * 10 / 60)),
            Cell::percent(b.max(0) as u64, o.max(0) as u64),
        ]);
    }
    Ok((
        "Appointments (not cancelled; in the clinic's time zone) and visits (at the time \
         entered) by weekday (1 = Monday) and hour. Utilisation: booked appointment time \
         against the opening hours of the period's days, per weekday — one chair and one \
         doctor at a time, so above 100% means double bookings.",
        vec![heat, use_of],
    ))
}

pub(super) fn reminder_effect(
    tx: &Transaction<'_>,
    scope: &Scope,
    by: &Actor,
) -> Result<(&'static str, Vec<ReportTable>)> {
    let effects = crate::reminders::ReminderEffect {
        from: scope.from,
        to: scope.to,
        days: scope.within_days,
    }
    .run(tx, by)?;
    let mut t = ReportTable::new(
        "by-rule",
        &[
            "kind",
            "contacted",
            "contactedReturned",
            "contactedRate",
            "notContacted",
            "notContactedReturned",
            "notContactedRate",
        ],
    );
    for e in effects {
        t.rows.push(vec![
            Cell::Text(e.kind.code().to_string()),
            Cell::Count(i64::from(e.contacted)),
            Cell::Count(i64::from(e.contacted_returned)),
            Cell::percent(e.contacted_returned.into(), e.contacted.into()),
            Cell::Count(i64::from(e.not_contacted)),
            Cell::Count(i64::from(e.not_contacted_returned)),
            Cell::percent(e.not_contacted_returned.into(), e.not_contacted.into()),
        ]);
    }
    Ok((
        "Reminders that fell due in the period, per rule: those contacted, and those not \
         contacted (no consent, not worked, lapsed) as the comparison; returned = booked \
         or came within {days} days of the contact (or of the due day). The department, \
         doctor and segment filters do not apply.",
        vec![t],
    ))
}
