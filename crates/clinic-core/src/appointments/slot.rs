//! A booking's time checked before it is written: in the future, of a sensible length,
//! within opening hours and not on a closed day, and not over the same doctor's or room's
//! other bookings — unless staff say to book anyway.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use uuid::Uuid;

use super::{from_row, parse_local, AppointmentInput, Schedule, COLUMNS};
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients;
use crate::validate;

/// A checked booking, ready to write.
pub(super) struct Slot {
    pub(super) patient_id: Uuid,
    pub(super) starts_at: DateTime<FixedOffset>,
    pub(super) minutes: u32,
    pub(super) doctor: Option<String>,
    pub(super) room: Option<String>,
}

impl Slot {
    pub(super) fn ends_ms(&self) -> i64 {
        self.starts_at.timestamp_millis() + i64::from(self.minutes) * 60_000
    }

    /// Opening hours, closed days and overlaps, unless staff said to book anyway.
    pub(super) fn check(
        &self,
        tx: &Transaction<'_>,
        schedule: &Schedule,
        input: &AppointmentInput,
        except: Option<Uuid>,
    ) -> Result<()> {
        let local = self.starts_at.naive_local();
        if !input.allow_outside_hours {
            if let Some(closed) = schedule.closed_on(local.date()) {
                return Err(ClinicError::validation(
                    "at",
                    ValidationRule::ClosedDay,
                    format!(
                        "the clinic is closed on {} ({})",
                        closed.date, closed.reason
                    ),
                ));
            }
            if !schedule.is_open(local, self.minutes) {
                return Err(ClinicError::validation(
                    "at",
                    ValidationRule::OutsideHours,
                    format!(
                        "{} for {} minutes is outside opening hours",
                        local.format("%Y-%m-%d %H:%M"),
                        self.minutes
                    ),
                ));
            }
        }
        if input.allow_overlap {
            return Ok(());
        }
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM appointment a JOIN patient p ON p.id = a.patient_id
             WHERE a.starts_ms < ?1 AND a.ends_ms > ?2
               AND (a.status = 'scheduled' OR a.status = 'confirmed' OR a.status = 'arrived')
               AND a.id IS NOT ?3
               AND ((?4 IS NOT NULL AND a.doctor = ?4) OR (?5 IS NOT NULL AND a.room = ?5)
                    OR a.patient_id = ?6)
             ORDER BY a.starts_ms LIMIT 1"
        ))?;
        let clash = stmt
            .query_row(
                params![
                    self.ends_ms(),
                    self.starts_at.timestamp_millis(),
                    except.map(|u| u.to_string()),
                    self.doctor,
                    self.room,
                    self.patient_id.to_string(),
                ],
                from_row,
            )
            .optional()?;
        let Some(other) = clash else { return Ok(()) };
        let (field, whom) = if other.patient_id == self.patient_id {
            ("patientId", format!("the patient ({})", other.patient_name))
        } else if self.doctor.is_some() && other.doctor == self.doctor {
            (
                "doctor",
                format!("doctor {}", other.doctor.unwrap_or_default()),
            )
        } else {
            ("room", format!("room {}", other.room.unwrap_or_default()))
        };
        Err(ClinicError {
            field: Some(field.into()),
            ..ClinicError::new(
                ErrorCode::Conflict,
                format!(
                    "{whom} already has an appointment at {} for {} minutes",
                    other.starts_at.format("%Y-%m-%d %H:%M"),
                    other.minutes
                ),
            )
        })
    }
}

pub(super) fn checked_slot(
    tx: &Transaction<'_>,
    schedule: &Schedule,
    input: &AppointmentInput,
    now: DateTime<Utc>,
) -> Result<Slot> {
    let patient_id = patients::parse_id("patientId", &input.patient_id)?;
    let patient = patients::load(tx, patient_id)?;
    if patient.archived_at.is_some() {
        return Err(ClinicError::new(
            ErrorCode::NotFound,
            format!("patient {patient_id} is archived; restore the patient first"),
        ));
    }
    let starts_at = parse_local(schedule, "at", &input.at)?;
    // A booking is for later today or the future; an hour's slack covers a booking typed
    // while the patient stands at the desk.
    if starts_at.with_timezone(&Utc) < now - Duration::hours(1) {
        return Err(ClinicError::validation(
            "at",
            ValidationRule::InPast,
            "an appointment cannot start in the past; record a visit instead",
        ));
    }
    let minutes = input.minutes.unwrap_or(schedule.slot_minutes.max(5));
    if !(5..=480).contains(&minutes) {
        return Err(ClinicError::validation(
            "minutes",
            ValidationRule::OutOfRange,
            "an appointment lasts 5 to 480 minutes",
        ));
    }
    Ok(Slot {
        patient_id,
        starts_at,
        minutes,
        doctor: validate::optional_text("doctor", input.doctor.as_deref(), 60)?,
        room: validate::optional_text("room", input.room.as_deref(), 40)?,
    })
}
