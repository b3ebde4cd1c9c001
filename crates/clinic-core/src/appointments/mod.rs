//! The appointment book: book, move, confirm, check in, complete, cancel, no-show; the
//! same doctor or room is never double-booked by accident; bookings outside opening hours
//! or on closed days need staff to say so. Times are the clinic's local time zone.

pub mod ics;
pub mod schedule;
mod slot;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::patients::{now_text, uuid_at};
use crate::validate;
pub use schedule::{ClosedDay, GetSchedule, Period, Schedule, SetSchedule};
use slot::{checked_slot, Slot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum AppointmentStatus {
    Scheduled,
    Confirmed,
    Arrived,
    Completed,
    NoShow,
    Cancelled,
    Rescheduled,
}

impl AppointmentStatus {
    pub const ALLOWED: &'static str =
        "scheduled, confirmed, arrived, completed, no-show, cancelled, rescheduled";
    pub fn code(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Confirmed => "confirmed",
            Self::Arrived => "arrived",
            Self::Completed => "completed",
            Self::NoShow => "no-show",
            Self::Cancelled => "cancelled",
            Self::Rescheduled => "rescheduled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Scheduled,
            Self::Confirmed,
            Self::Arrived,
            Self::Completed,
            Self::NoShow,
            Self::Cancelled,
            Self::Rescheduled,
        ]
        .into_iter()
        .find(|st| st.code() == s.trim().to_ascii_lowercase())
    }
    /// Still holds its slot in the book (counts for overlaps and reminders).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Scheduled | Self::Confirmed | Self::Arrived)
    }
    /// The moves staff may make: forward through the day, or out (cancel, no-show). A
    /// finished appointment is history and stays as it is.
    fn may_become(self, next: Self) -> bool {
        use AppointmentStatus::*;
        match self {
            Scheduled => matches!(next, Confirmed | Arrived | Completed | NoShow | Cancelled),
            Confirmed => matches!(next, Arrived | Completed | NoShow | Cancelled),
            Arrived => matches!(next, Completed | Cancelled),
            Completed | NoShow | Cancelled | Rescheduled => false,
        }
    }
}

/// A booking as staff type it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AppointmentInput {
    pub patient_id: String,
    /// Local time in the clinic's zone (`2026-11-25T09:30` or `2026-11-25 09:30`), or any
    /// instant with its UTC offset.
    pub at: String,
    /// Length in minutes, 5 to 480; the slot length when left out.
    pub minutes: Option<u32>,
    pub doctor: Option<String>,
    pub room: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    /// Book even though the doctor or room is taken then.
    pub allow_overlap: bool,
    /// Book even though the clinic is closed then.
    pub allow_outside_hours: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Appointment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub patient_phone: Option<String>,
    /// Local time of the clinic, with its UTC offset.
    pub starts_at: DateTime<FixedOffset>,
    pub minutes: u32,
    pub doctor: Option<String>,
    pub room: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub status: AppointmentStatus,
    /// For a moved appointment: the one that replaced it.
    pub rescheduled_to: Option<Uuid>,
    /// For a completed one: the visit recorded.
    pub visit_id: Option<Uuid>,
    pub booked_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "a.id, a.patient_id, p.name, p.phone, a.starts_at, a.starts_ms, a.ends_ms, a.doctor, a.room, a.reason, a.note, a.status, a.rescheduled_to, a.visit_id, a.booked_by, a.created_at, a.updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Appointment> {
    let bad = |e: chrono::ParseError| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    };
    let utc = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        Ok(DateTime::parse_from_rfc3339(&r.get::<_, String>(i)?)
            .map_err(bad)?
            .with_timezone(&Utc))
    };
    let opt_uuid = |i: usize| -> rusqlite::Result<Option<Uuid>> {
        Ok(r.get::<_, Option<String>>(i)?
            .and_then(|s| Uuid::parse_str(&s).ok()))
    };
    let (starts, ends): (i64, i64) = (r.get(5)?, r.get(6)?);
    Ok(Appointment {
        id: uuid_at(r, 0)?,
        patient_id: uuid_at(r, 1)?,
        patient_name: r.get(2)?,
        patient_phone: r.get(3)?,
        starts_at: DateTime::parse_from_rfc3339(&r.get::<_, String>(4)?).map_err(bad)?,
        minutes: ((ends - starts) / 60_000) as u32,
        doctor: r.get(7)?,
        room: r.get(8)?,
        reason: r.get(9)?,
        note: r.get(10)?,
        status: AppointmentStatus::parse(&r.get::<_, String>(11)?)
            .unwrap_or(AppointmentStatus::Scheduled),
        rescheduled_to: opt_uuid(12)?,
        visit_id: opt_uuid(13)?,
        booked_by: r.get(14)?,
        created_at: utc(15)?,
        updated_at: utc(16)?,
    })
}

pub(crate) fn load(tx: &Transaction<'_>, id: Uuid) -> Result<Appointment> {
    tx.query_row(
        &format!(
            "SELECT {COLUMNS} FROM appointment a JOIN patient p ON p.id = a.patient_id WHERE a.id = ?1"
        ),
        [id.to_string()],
        from_row,
    )
    .optional()?
    .ok_or_else(|| ClinicError::not_found("appointment", &id.to_string()))
}

/// `at` as the clinic's local time: a naive date-time is read in the clinic's zone, one
/// with an offset is converted to it.
pub fn parse_local(schedule: &Schedule, field: &str, at: &str) -> Result<DateTime<FixedOffset>> {
    let v = at.trim().replacen(' ', "T", 1);
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&v, fmt) {
            return Ok(schedule.local(field, naive)?.fixed_offset());
        }
    }
    let instant = validate::date_time(field, at)?;
    Ok(instant.with_timezone(&schedule.tz()).fixed_offset())
}

fn insert(
    tx: &Transaction<'_>,
    slot: &Slot,
    reason: Option<String>,
    note: Option<String>,
    by: &Actor,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tx.execute(
        "INSERT INTO appointment (id, patient_id, starts_at, starts_ms, ends_ms, doctor, room,
             reason, note, status, booked_by, status_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'scheduled', ?10, ?11, ?11, ?11)",
        params![
            id.to_string(),
            slot.patient_id.to_string(),
            slot.starts_at.to_rfc3339(),
            slot.starts_at.timestamp_millis(),
            slot.ends_ms(),
            slot.doctor,
            slot.room,
            reason,
            note,
            by.name,
            now,
        ],
    )?;
    Ok(id)
}

/// Book an appointment. `now` is the clock (tests set it).
pub struct BookAppointment {
    pub input: AppointmentInput,
    pub now: Option<DateTime<Utc>>,
}

impl BookAppointment {
    pub fn new(input: AppointmentInput) -> Self {
        BookAppointment { input, now: None }
    }
}

impl Operation for BookAppointment {
    type Output = Appointment;
    fn action(&self) -> Action {
        Action::AppointmentWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Appointment> {
        let schedule = schedule::load(tx)?;
        let input = &self.input;
        let now = self.now.unwrap_or_else(Utc::now);
        let slot = checked_slot(tx, &schedule, input, now)?;
        slot.check(tx, &schedule, input, None)?;
        let id = insert(
            tx,
            &slot,
            validate::optional_text("reason", input.reason.as_deref(), 200)?,
            validate::optional_text("note", input.note.as_deref(), 1000)?,
            by,
            now,
        )?;
        load(tx, id)
    }
}

/// Move an appointment to another time, doctor or room. The old one is kept as
/// `rescheduled` pointing at the new one (which starts as `scheduled`), so moves can be
/// counted; the patient cannot be changed.
pub struct MoveAppointment {
    pub id: Uuid,
    pub input: AppointmentInput,
    pub now: Option<DateTime<Utc>>,
}

impl Operation for MoveAppointment {
    type Output = Appointment;
    fn action(&self) -> Action {
        Action::AppointmentWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Appointment> {
        let old = load(tx, self.id)?;
        if !matches!(
            old.status,
            AppointmentStatus::Scheduled | AppointmentStatus::Confirmed
        ) {
            return Err(ClinicError::validation(
                "status",
                ValidationRule::OutOfRange,
                format!("a {} appointment cannot be moved", old.status.code()),
            ));
        }
        let schedule = schedule::load(tx)?;
        let input = AppointmentInput {
            patient_id: old.patient_id.to_string(),
            ..self.input
        };
        let now = self.now.unwrap_or_else(Utc::now);
        let slot = checked_slot(tx, &schedule, &input, now)?;
        slot.check(tx, &schedule, &input, Some(old.id))?;
        let reason = match input.reason.as_deref() {
            Some(r) => validate::optional_text("reason", Some(r), 200)?,
            None => old.reason,
        };
        let note = match input.note.as_deref() {
            Some(n) => validate::optional_text("note", Some(n), 1000)?,
            None => old.note,
        };
        let id = insert(tx, &slot, reason, note, by, now)?;
        let now = now_text();
        tx.execute(
            "UPDATE appointment SET status = 'rescheduled', rescheduled_to = ?2, status_at = ?3,
                 updated_at = ?3 WHERE id = ?1",
            params![old.id.to_string(), id.to_string(), now],
        )?;
        load(tx, id)
    }
}

/// Confirm, check in, complete (with the visit recorded), cancel or mark a no-show.
pub struct SetAppointmentStatus {
    pub id: Uuid,
    pub status: AppointmentStatus,
    /// For `completed`: the visit recorded for it.
    pub visit_id: Option<Uuid>,
    pub now: Option<DateTime<Utc>>,
}

impl Operation for SetAppointmentStatus {
    type Output = Appointment;
    fn action(&self) -> Action {
        Action::AppointmentWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Appointment> {
        let a = load(tx, self.id)?;
        if a.status == self.status {
            return Ok(a);
        }
        if !a.status.may_become(self.status) {
            return Err(ClinicError::validation(
                "status",
                ValidationRule::OutOfRange,
                format!(
                    "a {} appointment cannot become {}",
                    a.status.code(),
                    self.status.code()
                ),
            ));
        }
        let now = self.now.unwrap_or_else(Utc::now);
        if self.status == AppointmentStatus::NoShow && a.starts_at.with_timezone(&Utc) > now {
            return Err(ClinicError::validation(
                "status",
                ValidationRule::InFuture,
                "a patient can only miss an appointment once it has begun",
            ));
        }
        let visit = match self.visit_id {
            Some(v) if self.status == AppointmentStatus::Completed => {
                let owner: Option<String> = tx
                    .query_row(
                        "SELECT patient_id FROM visit WHERE id = ?1 AND archived_at IS NULL",
                        [v.to_string()],
                        |r| r.get(0),
                    )
                    .optional()?;
                if owner.as_deref() != Some(&a.patient_id.to_string()) {
                    return Err(ClinicError::validation(
                        "visitId",
                        ValidationRule::UnknownValue,
                        "that visit is not this patient's",
                    ));
                }
                Some(v.to_string())
            }
            _ => None,
        };
        tx.execute(
            "UPDATE appointment SET status = ?2, visit_id = coalesce(?3, visit_id), status_at = ?4,
                 updated_at = ?4 WHERE id = ?1",
            params![a.id.to_string(), self.status.code(), visit, now_text()],
        )?;
        load(tx, a.id)
    }
}

/// Appointments starting on the clinic's local dates `from` to `to` (inclusive), in time
/// order, optionally of one doctor, room or patient; cancelled and moved ones included
/// (the book greys them out).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct AppointmentQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub doctor: Option<String>,
    pub room: Option<String>,
    pub patient_id: Option<Uuid>,
}

pub struct ListAppointments(pub AppointmentQuery);

impl Operation for ListAppointments {
    type Output = Vec<Appointment>;
    fn action(&self) -> Action {
        Action::AppointmentRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<Appointment>> {
        let schedule = schedule::load(tx)?;
        list(tx, &schedule, &self.0)
    }
}

pub(crate) fn list(
    tx: &Transaction<'_>,
    schedule: &Schedule,
    q: &AppointmentQuery,
) -> Result<Vec<Appointment>> {
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if t < f || (t - f).num_days() > 400 {
            return Err(ClinicError::validation(
                "to",
                ValidationRule::OutOfRange,
                "the range runs forwards and spans at most 400 days",
            ));
        }
    }
    let from = q
        .from
        .map_or(i64::MIN, |d| schedule.day_bounds(d).0.timestamp_millis());
    let to =
        q.to.map_or(i64::MAX, |d| schedule.day_bounds(d).1.timestamp_millis());
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM appointment a JOIN patient p ON p.id = a.patient_id
         WHERE a.starts_ms >= ?1 AND a.starts_ms < ?2
           AND (?3 IS NULL OR a.doctor = ?3) AND (?4 IS NULL OR a.room = ?4)
           AND (?5 IS NULL OR a.patient_id = ?5)
         ORDER BY a.starts_ms, a.doctor, a.id"
    ))?;
    let rows = stmt.query_map(
        params![
            from,
            to,
            q.doctor,
            q.room,
            q.patient_id.map(|u| u.to_string())
        ],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One appointment.
pub struct GetAppointment(pub Uuid);

impl Operation for GetAppointment {
    type Output = Appointment;
    fn action(&self) -> Action {
        Action::AppointmentRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Appointment> {
        load(tx, self.0)
    }
}

/// The appointments in a range as an iCalendar file (RFC 5545) for a phone or a shared
/// calendar; cancelled and moved ones are left out.
pub struct AppointmentsIcs(pub AppointmentQuery);

impl Operation for AppointmentsIcs {
    type Output = String;
    fn action(&self) -> Action {
        Action::PatientExport
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<String> {
        let schedule = schedule::load(tx)?;
        let clinic = crate::settings::load(tx)?;
        let all = list(tx, &schedule, &self.0)?;
        let open: Vec<_> = all
            .into_iter()
            .filter(|a| a.status.is_open() || a.status == AppointmentStatus::Completed)
            .collect();
        Ok(ics::calendar(&clinic.name, &open, Utc::now()))
    }
}
