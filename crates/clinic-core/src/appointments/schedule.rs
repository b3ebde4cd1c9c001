//! The clinic's week: its time zone, opening hours per weekday (with a lunch break if it
//! has one), closed days, the length of a booking slot, and the rooms or chairs. Appointments
//! are checked against it; the appointment book draws it.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};

/// One opening period of a day, `"09:00"` to `"12:00"` (local time of the clinic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Period {
    pub from: String,
    pub to: String,
}

/// A day the clinic is shut (a public holiday, the owner's leave).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClosedDay {
    pub date: NaiveDate,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct Schedule {
    /// IANA name, e.g. `Asia/Shanghai`, `Asia/Taipei`, `Europe/London`.
    pub time_zone: String,
    /// Opening periods Monday first (index 0) to Sunday (6); an empty day is closed.
    pub hours: Vec<Vec<Period>>,
    pub closed_days: Vec<ClosedDay>,
    /// The grid of the appointment book and the default length of a booking.
    pub slot_minutes: u32,
    /// Rooms or dental chairs, offered when booking.
    pub rooms: Vec<String>,
}

fn period(from: &str, to: &str) -> Period {
    Period {
        from: from.into(),
        to: to.into(),
    }
}

impl Default for Schedule {
    /// Weekdays 09:00-12:00 and 14:00-18:00, Saturday morning, Sunday closed; the time
    /// zone of this computer.
    fn default() -> Self {
        let weekday = vec![period("09:00", "12:00"), period("14:00", "18:00")];
        Schedule {
            time_zone: system_time_zone(),
            hours: vec![
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday.clone(),
                weekday,
                vec![period("09:00", "12:00")],
                vec![],
            ],
            closed_days: vec![],
            slot_minutes: 15,
            rooms: vec![],
        }
    }
}

/// This computer's IANA zone; Asia/Shanghai when the system does not say.
fn system_time_zone() -> String {
    iana_time_zone::get_timezone()
        .ok()
        .filter(|z| z.parse::<Tz>().is_ok())
        .unwrap_or_else(|| "Asia/Shanghai".into())
}

fn hhmm(field: &str, s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
        ClinicError::validation(
            field,
            ValidationRule::InvalidFormat,
            format!("{s:?} is not a time of day (HH:MM)"),
        )
    })
}

impl Schedule {
    pub fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::Asia__Shanghai)
    }

    pub fn validate(&self) -> Result<()> {
        if self.time_zone.parse::<Tz>().is_err() {
            return Err(ClinicError::validation(
                "timeZone",
                ValidationRule::UnknownValue,
                format!(
                    "{:?} is not a time zone name such as Asia/Shanghai",
                    self.time_zone
                ),
            ));
        }
        if self.hours.len() != 7 {
            return Err(ClinicError::validation(
                "hours",
                ValidationRule::OutOfRange,
                "give the opening hours of seven days, Monday first",
            ));
        }
        for day in &self.hours {
            let mut last_end: Option<NaiveTime> = None;
            for p in day {
                let (from, to) = (hhmm("hours", &p.from)?, hhmm("hours", &p.to)?);
                if from >= to || last_end.is_some_and(|end| from < end) {
                    return Err(ClinicError::validation(
                        "hours",
                        ValidationRule::OutOfRange,
                        format!(
                            "{}-{}: periods must run forwards, in order, without overlapping",
                            p.from, p.to
                        ),
                    ));
                }
                last_end = Some(to);
            }
        }
        if !(5..=120).contains(&self.slot_minutes) {
            return Err(ClinicError::validation(
                "slotMinutes",
                ValidationRule::OutOfRange,
                "a slot is 5 to 120 minutes",
            ));
        }
        for r in &self.rooms {
            crate::validate::required_text("rooms", r, 40)?;
        }
        Ok(())
    }

    pub fn closed_on(&self, date: NaiveDate) -> Option<&ClosedDay> {
        self.closed_days.iter().find(|c| c.date == date)
    }

    /// The opening periods of a date as local times; none on a closed day.
    pub fn periods_on(&self, date: NaiveDate) -> Vec<(NaiveTime, NaiveTime)> {
        if self.closed_on(date).is_some() {
            return vec![];
        }
        let day = &self.hours[date.weekday().num_days_from_monday() as usize];
        day.iter()
            .filter_map(|p| Some((hhmm("", &p.from).ok()?, hhmm("", &p.to).ok()?)))
            .collect()
    }

    /// Whether the clinic is open for the whole of `[start, start + minutes)`: inside one
    /// opening period of that day.
    pub fn is_open(&self, start: NaiveDateTime, minutes: u32) -> bool {
        let end = start + chrono::Duration::minutes(minutes.into());
        end.date() == start.date()
            && self
                .periods_on(start.date())
                .iter()
                .any(|&(from, to)| start.time() >= from && end.time() <= to)
    }

    /// A local date and time in the clinic's zone. A time that occurs twice (clocks go
    /// back) is the first of the two; one that never occurs (clocks go forward) is refused.
    pub fn local(&self, field: &str, naive: NaiveDateTime) -> Result<DateTime<Tz>> {
        match self.tz().from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(t),
            LocalResult::Ambiguous(first, _) => Ok(first),
            LocalResult::None => Err(ClinicError::validation(
                field,
                ValidationRule::InvalidDate,
                format!(
                    "{naive} does not exist in {} (the clocks go forward then)",
                    self.time_zone
                ),
            )),
        }
    }

    /// The instants a local date begins and ends (the next day's start) in the clinic's zone.
    pub fn day_bounds(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.day_start(date),
            self.day_start(date.succ_opt().unwrap_or(date)),
        )
    }

    fn day_start(&self, date: NaiveDate) -> DateTime<Utc> {
        // Midnight can fall in a gap in a few zones: then the day starts at the first
        // instant that exists.
        let mut t = date.and_time(NaiveTime::MIN);
        for _ in 0..4 {
            match self.tz().from_local_datetime(&t) {
                LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => {
                    return d.with_timezone(&Utc)
                }
                LocalResult::None => t += chrono::Duration::minutes(30),
            }
        }
        Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
    }

    /// Today's date in the clinic's zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.tz()).date_naive()
    }
}

pub(crate) fn load(tx: &Transaction<'_>) -> Result<Schedule> {
    crate::settings::load_json(tx, "schedule_setting", "value")
}

pub struct GetSchedule;

impl Operation for GetSchedule {
    type Output = Schedule;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Schedule> {
        load(tx)
    }
}

pub struct SetSchedule(pub Schedule);

impl Operation for SetSchedule {
    type Output = Schedule;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Schedule> {
        let mut s = self.0;
        s.validate()?;
        s.closed_days.sort_by_key(|c| c.date);
        s.closed_days.dedup_by_key(|c| c.date);
        crate::settings::save_json(tx, "schedule_setting", "value", &s)?;
        load(tx)
    }
}
