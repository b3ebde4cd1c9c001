//! The appointment book of a generated clinic, written from its visits: most visits of
//! the last year were booked ahead (completed, linked to the visit), some bookings were
//! missed or called off, some were moved, and some patients seen lately have one coming
//! up. With it, the year's reminders as the work list would have left them: a day-before
//! message for each booking (sent, or skipped without consent), and recalls for patients
//! six months past a visit (called — reached or not — or left to expire), so the
//! reminder-effect report has both its groups. A separate step from `GenerateClinic`, so
//! the clinics it makes — and the figures tests expect of them — stay as they were; the
//! benchmark clinic takes both.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rusqlite::{params, Transaction};
use serde::Serialize;

use super::time_ordered_uuid;
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::Result;

/// Days booked ahead, as a front desk sees them: many the same day or the next, a few
/// weeks ahead for reviews.
const LEAD_DAYS: [i64; 13] = [0, 0, 1, 1, 2, 3, 5, 7, 7, 14, 14, 21, 28];
const HOURS: [u32; 12] = [8, 9, 9, 10, 10, 11, 14, 14, 15, 16, 17, 19];
const SLOT_MINUTES: i64 = 30;

/// What `GenerateAppointments` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Booked {
    pub appointments: u64,
    pub reminders: u64,
}

pub struct GenerateAppointments {
    /// The same seed gives the same book.
    pub seed: u64,
    /// The clinic's "today": the book covers the year before it and the month after.
    pub until: NaiveDate,
}

struct Booking<'a> {
    patient: &'a str,
    doctor: Option<&'a str>,
    starts: DateTime<FixedOffset>,
    status: &'static str,
    booked: DateTime<FixedOffset>,
    visit: Option<&'a str>,
    moved_to: Option<String>,
}

impl Operation for GenerateAppointments {
    type Output = Booked;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Booked> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x0A99_01D7);
        let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8"); // as the generator
        let midnight = |day: NaiveDate| {
            tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("valid"))
                .single()
                .expect("fixed offset")
        };
        let from_ms = midnight(self.until - Duration::days(365)).timestamp_millis();
        let visits: Vec<(String, String, String, Option<String>)> = {
            let mut stmt = tx.prepare(
                "SELECT id, patient_id, visited_at, doctor FROM visit
                 WHERE visited_at_ms >= ?1 AND archived_at IS NULL ORDER BY visited_at_ms, id",
            )?;
            let rows = stmt.query_map([from_ms], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut insert = tx.prepare(
            "INSERT INTO appointment (id, patient_id, starts_at, starts_ms, ends_ms, doctor, status,
                 rescheduled_to, visit_id, booked_by, status_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'front desk', ?10, ?11, ?10)",
        )?;
        let mut book = |rng: &mut ChaCha8Rng, b: Booking<'_>| -> Result<String> {
            let id = time_ordered_uuid(rng, b.booked.timestamp_millis()).to_string();
            let settled = if b.status == "scheduled" || b.status == "confirmed" {
                b.booked
            } else {
                b.starts
            };
            insert.execute(params![
                id,
                b.patient,
                b.starts.to_rfc3339(),
                b.starts.timestamp_millis(),
                b.starts.timestamp_millis() + SLOT_MINUTES * 60_000,
                b.doctor,
                b.status,
                b.moved_to,
                b.visit,
                // Bookkeeping times in UTC, as the app writes them.
                utc_text(settled),
                utc_text(b.booked),
            ])?;
            Ok(id)
        };
        let ahead = |rng: &mut ChaCha8Rng, starts: DateTime<FixedOffset>| {
            let lead = *LEAD_DAYS.choose(rng).expect("non-empty");
            let booked = midnight(starts.date_naive() - Duration::days(lead))
                + Duration::minutes(rng.gen_range(8 * 60..18 * 60));
            booked.min(starts - Duration::minutes(30))
        };
        let mut written = 0u64;
        let mut reminders = Reminders::new(tx)?;
        for (visit, patient, visited_at, doctor) in &visits {
            let Ok(at) = DateTime::parse_from_rfc3339(visited_at) else {
                continue;
            };
            // Three visits in four were booked; the rest walked in.
            let kept = if rng.gen_ratio(3, 4) {
                written += 1;
                let booked = ahead(&mut rng, at);
                let id = book(
                    &mut rng,
                    Booking {
                        patient,
                        doctor: doctor.as_deref(),
                        starts: at,
                        status: "completed",
                        booked,
                        visit: Some(visit),
                        moved_to: None,
                    },
                )?;
                reminders.day_before(&mut rng, patient, &id, at.date_naive())?;
                Some(id)
            } else {
                None
            };
            // Before it, now and then: a booking missed, called off, or moved to this one.
            let earlier = at - Duration::days(rng.gen_range(1..=14));
            let status = match rng.gen_range(0..100) {
                0..=6 => "no-show",
                7..=11 => "cancelled",
                12..=14 if kept.is_some() => "rescheduled",
                _ => continue,
            };
            written += 1;
            let booked = ahead(&mut rng, earlier);
            let id = book(
                &mut rng,
                Booking {
                    patient,
                    doctor: doctor.as_deref(),
                    starts: earlier,
                    status,
                    booked,
                    visit: None,
                    moved_to: kept.filter(|_| status == "rescheduled"),
                },
            )?;
            if status == "no-show" {
                reminders.day_before(&mut rng, patient, &id, earlier.date_naive())?;
            }
        }
        // Coming up: one patient in ten of those seen in the last half year.
        let recent: Vec<(String, Option<String>)> = {
            let since = midnight(self.until - Duration::days(182)).timestamp_millis();
            let mut stmt = tx.prepare(
                "SELECT patient_id, max(doctor) FROM visit
                 WHERE visited_at_ms >= ?1 AND archived_at IS NULL
                 GROUP BY patient_id ORDER BY patient_id",
            )?;
            let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let now = midnight(self.until) + Duration::hours(9);
        for (patient, doctor) in &recent {
            if !rng.gen_ratio(1, 10) {
                continue;
            }
            let day = self.until + Duration::days(rng.gen_range(1..=30));
            let starts = midnight(day)
                + Duration::hours(i64::from(*HOURS.choose(&mut rng).expect("non-empty")))
                + Duration::minutes(30 * rng.gen_range(0..2));
            let status = if rng.gen_ratio(2, 5) {
                "confirmed"
            } else {
                "scheduled"
            };
            written += 1;
            let booked = now - Duration::days(rng.gen_range(0..14));
            book(
                &mut rng,
                Booking {
                    patient,
                    doctor: doctor.as_deref(),
                    starts,
                    status,
                    booked,
                    visit: None,
                    moved_to: None,
                },
            )?;
        }
        reminders.recalls(&mut rng, self.until)?;
        Ok(Booked {
            appointments: written,
            reminders: reminders.written,
        })
    }
}

fn utc_text(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The reminders of the generated year, closed as the work list leaves them.
struct Reminders<'t> {
    tx: &'t Transaction<'t>,
    written: u64,
}

impl<'t> Reminders<'t> {
    fn new(tx: &'t Transaction<'t>) -> Result<Self> {
        Ok(Reminders { tx, written: 0 })
    }

    /// One reminder; `contact` is the outcome of the contact that settled it, if any.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        key: &str,
        patient: &str,
        kind: &str,
        rule: Option<&str>,
        appointment: Option<&str>,
        due: NaiveDate,
        expires: NaiveDate,
        contact: Option<(&str, &str)>,
    ) -> Result<()> {
        let at = |day: NaiveDate| {
            let t = FixedOffset::east_opt(8 * 3600)
                .expect("UTC+8")
                .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("valid"))
                .single()
                .expect("fixed offset");
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true)
        };
        let (state, skip) = match contact {
            Some(_) => ("done", None),
            None if kind == "day-before" => ("skipped", Some("no-consent")),
            None => ("expired", None),
        };
        let closed = if contact.is_some() { due } else { expires };
        self.tx
            .prepare_cached(
                "INSERT INTO reminder (key, patient_id, kind, rule, due_date, expires_date, state,
                     skip_reason, created_at, closed_at, appointment_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                key,
                patient,
                kind,
                rule,
                due.to_string(),
                expires.to_string(),
                state,
                skip,
                at(due),
                at(closed),
                appointment
            ])?;
        let reminder = self.tx.last_insert_rowid();
        if let Some((channel, outcome)) = contact {
            self.tx
                .prepare_cached(
                    "INSERT INTO contact (patient_id, day, channel, outcome, staff, at)
                     VALUES (?1, ?2, ?3, ?4, 'front desk', ?5)",
                )?
                .execute(params![patient, due.to_string(), channel, outcome, at(due)])?;
            let contact = self.tx.last_insert_rowid();
            self.tx
                .prepare_cached(
                    "INSERT INTO contact_reminder (contact_id, reminder_id) VALUES (?1, ?2)",
                )?
                .execute([contact, reminder])?;
        }
        self.written += 1;
        Ok(())
    }

    /// The message the day before a booking: sent, or skipped (no consent) for one in seven.
    fn day_before(
        &mut self,
        rng: &mut ChaCha8Rng,
        patient: &str,
        appointment: &str,
        day: NaiveDate,
    ) -> Result<()> {
        let contact = (!rng.gen_ratio(1, 7)).then_some(("sms", "sent"));
        let key = format!("day-before:{appointment}");
        self.add(
            &key,
            patient,
            "day-before",
            None,
            Some(appointment),
            day - Duration::days(1),
            day,
            contact,
        )
    }

    /// Six months after a visit with no other visit in between, a recall fell due; three in
    /// five were called (reached, or not answering), the rest left to expire.
    fn recalls(&mut self, rng: &mut ChaCha8Rng, until: NaiveDate) -> Result<()> {
        let gaps: Vec<(String, NaiveDate)> = {
            let mut stmt = self.tx.prepare(
                "SELECT patient_id, substr(visited_at, 1, 10) AS day,
                        lead(substr(visited_at, 1, 10)) OVER (PARTITION BY patient_id
                                                             ORDER BY visited_at_ms) AS next
                 FROM visit WHERE archived_at IS NULL",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (patient, day, next) = row?;
                let Ok(day) = day.parse::<NaiveDate>() else {
                    continue;
                };
                let next = next.and_then(|n| n.parse::<NaiveDate>().ok());
                let due = day + Duration::days(182);
                let seen_before = next.is_some_and(|n| n <= due);
                if !seen_before && due < until && due >= until - Duration::days(365) {
                    out.push((patient, due));
                }
            }
            out.sort();
            out
        };
        for (patient, due) in gaps {
            let contact = match rng.gen_range(0..10) {
                0..=3 => Some(("phone", "reached")),
                4..=5 => Some(("phone", "no-answer")),
                _ => None,
            };
            let key = format!("recall:scaling:segment:{patient}:{due}");
            let expires = due + Duration::days(30);
            self.add(
                &key,
                &patient,
                "recall",
                Some("scaling"),
                None,
                due,
                expires,
                contact,
            )?;
        }
        Ok(())
    }
}
