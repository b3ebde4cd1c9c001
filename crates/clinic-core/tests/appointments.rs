//! The appointment book on a real encrypted clinic: booking in the clinic's time zone,
//! overlaps, opening hours and closed days, moves kept as history, the status path, a day
//! across a clock change, and the iCalendar export.

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use clinic_core::appointments::{
    AppointmentInput, AppointmentQuery, AppointmentStatus, AppointmentsIcs, BookAppointment,
    ClosedDay, GetSchedule, ListAppointments, MoveAppointment, Schedule, SetAppointmentStatus,
    SetSchedule,
};
use clinic_core::patients::{CreatePatient, PatientInput};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode, ValidationRule};
use uuid::Uuid;

fn owner() -> Actor {
    Actor::owner()
}

fn at(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn setup(zone: &str) -> (tempfile::TempDir, Clinic) {
    let (tmp, c) = common::clinic();
    let mut s = c.execute(&owner(), GetSchedule).unwrap();
    s.time_zone = zone.into();
    s.rooms = vec!["Chair 1".into(), "Chair 2".into()];
    s.closed_days = vec![ClosedDay {
        date: d("2027-01-01"),
        reason: "New Year".into(),
    }];
    c.execute(&owner(), SetSchedule(s)).unwrap();
    (tmp, c)
}

fn patient(c: &Clinic, name: &str) -> Uuid {
    c.execute(
        &owner(),
        CreatePatient {
            input: PatientInput {
                name: name.into(),
                phone: Some("13800000000".into()),
                ..Default::default()
            },
            allow_duplicate: true,
        },
    )
    .unwrap()
    .id
}

fn book(
    c: &Clinic,
    p: Uuid,
    when: &str,
    doctor: &str,
    room: Option<&str>,
) -> clinic_core::Result<clinic_core::appointments::Appointment> {
    c.execute(
        &owner(),
        BookAppointment {
            input: AppointmentInput {
                patient_id: p.to_string(),
                at: when.into(),
                minutes: Some(30),
                doctor: Some(doctor.into()),
                room: room.map(Into::into),
                reason: Some("scaling".into()),
                ..Default::default()
            },
            now: at("2026-11-20T09:00:00+08:00"),
        },
    )
}

#[test]
fn booking_overlaps_hours_and_closed_days() {
    let (_t, c) = setup("Asia/Shanghai");
    let (a, b) = (patient(&c, "王小明"), patient(&c, "李华"));
    let first = book(&c, a, "2026-12-02 10:00", "陈医生", Some("Chair 1")).unwrap();
    assert_eq!(first.starts_at.to_rfc3339(), "2026-12-02T10:00:00+08:00");
    assert_eq!(first.status, AppointmentStatus::Scheduled);
    assert_eq!(first.minutes, 30);

    // Same doctor, overlapping: refused, naming the field; nothing written.
    let clash = book(&c, b, "2026-12-02 10:15", "陈医生", None).unwrap_err();
    assert_eq!(clash.code, ErrorCode::Conflict);
    assert_eq!(clash.field.as_deref(), Some("doctor"));
    // Same room, other doctor: refused too.
    let room = book(&c, b, "2026-12-02 10:15", "林医生", Some("Chair 1")).unwrap_err();
    assert_eq!(room.field.as_deref(), Some("room"));
    // Back to back is not an overlap.
    book(&c, b, "2026-12-02 10:30", "陈医生", Some("Chair 1")).unwrap();
    // Staff may double-book on purpose.
    let mut input = AppointmentInput {
        patient_id: b.to_string(),
        at: "2026-12-02 10:00".into(),
        doctor: Some("陈医生".into()),
        allow_overlap: true,
        ..Default::default()
    };
    c.execute(
        &owner(),
        BookAppointment {
            input: input.clone(),
            now: at("2026-11-20T09:00:00+08:00"),
        },
    )
    .unwrap();

    // Lunch break, Sunday, a closed day, a time in the past.
    let lunch = book(&c, a, "2026-12-03 12:00", "陈医生", None).unwrap_err();
    assert_eq!(lunch.rule, Some(ValidationRule::OutsideHours));
    let overrun = book(&c, a, "2026-12-03 11:45", "陈医生", None).unwrap_err();
    assert_eq!(overrun.rule, Some(ValidationRule::OutsideHours));
    let sunday = book(&c, a, "2026-12-06 10:00", "陈医生", None).unwrap_err();
    assert_eq!(sunday.rule, Some(ValidationRule::OutsideHours));
    let holiday = book(&c, a, "2027-01-01 10:00", "陈医生", None).unwrap_err();
    assert_eq!(holiday.rule, Some(ValidationRule::ClosedDay));
    let past = book(&c, a, "2026-11-19 10:00", "陈医生", None).unwrap_err();
    assert_eq!(past.rule, Some(ValidationRule::InPast));
    input.at = "2026-12-06 10:00".into();
    input.allow_outside_hours = true;
    c.execute(
        &owner(),
        BookAppointment {
            input,
            now: at("2026-11-20T09:00:00+08:00"),
        },
    )
    .unwrap();

    // An instant with another offset is kept in the clinic's zone.
    let utc = book(&c, a, "2026-12-04T02:00:00Z", "林医生", None).unwrap();
    assert_eq!(utc.starts_at.to_rfc3339(), "2026-12-04T10:00:00+08:00");

    let day = c
        .execute(
            &owner(),
            ListAppointments(AppointmentQuery {
                from: Some(d("2026-12-02")),
                to: Some(d("2026-12-02")),
                ..Default::default()
            }),
        )
        .unwrap();
    assert_eq!(day.len(), 3);
    assert!(day.windows(2).all(|w| w[0].starts_at <= w[1].starts_at));
    let doctor = c
        .execute(
            &owner(),
            ListAppointments(AppointmentQuery {
                doctor: Some("林医生".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    assert_eq!(doctor.len(), 1);
}

#[test]
fn moves_and_the_status_path() {
    let (_t, c) = setup("Asia/Shanghai");
    let p = patient(&c, "王小明");
    let now = at("2026-11-20T09:00:00+08:00");
    let a = book(&c, p, "2026-12-02 10:00", "陈医生", None).unwrap();
    let moved = c
        .execute(
            &owner(),
            MoveAppointment {
                id: a.id,
                input: AppointmentInput {
                    at: "2026-12-03 15:00".into(),
                    minutes: Some(45),
                    doctor: Some("陈医生".into()),
                    ..Default::default()
                },
                now,
            },
        )
        .unwrap();
    assert_eq!(moved.minutes, 45);
    assert_eq!(
        moved.reason.as_deref(),
        Some("scaling"),
        "the reason travels"
    );
    let all = c
        .execute(
            &owner(),
            ListAppointments(AppointmentQuery {
                patient_id: Some(p),
                ..Default::default()
            }),
        )
        .unwrap();
    let old = all.iter().find(|x| x.id == a.id).unwrap();
    assert_eq!(old.status, AppointmentStatus::Rescheduled);
    assert_eq!(old.rescheduled_to, Some(moved.id));
    // The old slot is free again.
    book(&c, patient(&c, "李华"), "2026-12-02 10:00", "陈医生", None).unwrap();

    let set = |id, status, now| {
        c.execute(
            &owner(),
            SetAppointmentStatus {
                id,
                status,
                visit_id: None,
                now,
            },
        )
    };
    // Not a no-show before it starts.
    let early = set(moved.id, AppointmentStatus::NoShow, now).unwrap_err();
    assert_eq!(early.rule, Some(ValidationRule::InFuture));
    set(moved.id, AppointmentStatus::Confirmed, now).unwrap();
    set(
        moved.id,
        AppointmentStatus::Arrived,
        at("2026-12-03T14:55:00+08:00"),
    )
    .unwrap();
    // Arrived cannot go back to confirmed.
    assert_eq!(
        set(moved.id, AppointmentStatus::Confirmed, now)
            .unwrap_err()
            .rule,
        Some(ValidationRule::OutOfRange)
    );
    // Completed with the visit recorded for it.
    let visit = c
        .execute(
            &owner(),
            AddVisit(VisitInput {
                patient_id: p.to_string(),
                at: "2026-11-20T10:00+08:00".into(),
                department: "牙科".into(),
                visit_type: "return".into(),
                ..Default::default()
            }),
        )
        .unwrap();
    let done = c
        .execute(
            &owner(),
            SetAppointmentStatus {
                id: moved.id,
                status: AppointmentStatus::Completed,
                visit_id: Some(visit.id),
                now,
            },
        )
        .unwrap();
    assert_eq!(done.visit_id, Some(visit.id));
    // A finished appointment stays as it is.
    assert!(set(moved.id, AppointmentStatus::Cancelled, now).is_err());
    let moved_again = c.execute(
        &owner(),
        MoveAppointment {
            id: moved.id,
            input: AppointmentInput {
                at: "2026-12-04 10:00".into(),
                ..Default::default()
            },
            now,
        },
    );
    assert!(moved_again.is_err());
    // A no-show once it has begun.
    let late = book(&c, p, "2026-12-07 09:00", "林医生", None).unwrap();
    set(
        late.id,
        AppointmentStatus::NoShow,
        at("2026-12-07T09:20:00+08:00"),
    )
    .unwrap();
}

#[test]
fn a_day_across_a_clock_change() {
    // London: clocks go forward at 01:00 on 28 March 2027 and back at 02:00 on 31 October.
    let (_t, c) = setup("Europe/London");
    let mut s: Schedule = c.execute(&owner(), GetSchedule).unwrap();
    s.hours = vec![vec![]; 7];
    for day in s.hours.iter_mut() {
        day.push(clinic_core::appointments::Period {
            from: "00:00".into(),
            to: "23:59".into(),
        });
    }
    c.execute(&owner(), SetSchedule(s)).unwrap();
    let p = patient(&c, "Mary Smith");
    let gap = book(&c, p, "2027-03-28 01:30", "Dr Jones", None).unwrap_err();
    assert_eq!(
        gap.rule,
        Some(ValidationRule::InvalidDate),
        "01:30 never happens that night"
    );
    let before = book(&c, p, "2027-03-28 00:30", "Dr Jones", None).unwrap();
    let after = book(&c, p, "2027-03-28 23:00", "Dr Jones", None).unwrap();
    assert_eq!(before.starts_at.offset().local_minus_utc(), 0);
    assert_eq!(after.starts_at.offset().local_minus_utc(), 3600);
    // The 23-hour day holds both; the next day neither.
    let day = |date: &str| {
        c.execute(
            &owner(),
            ListAppointments(AppointmentQuery {
                from: Some(d(date)),
                to: Some(d(date)),
                ..Default::default()
            }),
        )
        .unwrap()
        .len()
    };
    assert_eq!(day("2027-03-28"), 2);
    assert_eq!(day("2027-03-29"), 0);
    // 01:30 happens twice in October: the first (summer time) is taken.
    let twice = book(&c, p, "2027-10-31 01:30", "Dr Jones", None).unwrap();
    assert_eq!(twice.starts_at.to_rfc3339(), "2027-10-31T01:30:00+01:00");
}

#[test]
fn icalendar_export() {
    let (_t, c) = setup("Asia/Taipei");
    let p = patient(&c, "陳美玲, \"Amy\"; 測試");
    let a = book(&c, p, "2026-12-02 10:00", "林醫師", Some("Chair 2")).unwrap();
    let cancelled = book(&c, p, "2026-12-03 10:00", "林醫師", None).unwrap();
    c.execute(
        &owner(),
        SetAppointmentStatus {
            id: cancelled.id,
            status: AppointmentStatus::Cancelled,
            visit_id: None,
            now: None,
        },
    )
    .unwrap();
    let ics = c
        .execute(
            &owner(),
            AppointmentsIcs(AppointmentQuery {
                from: Some(d("2026-12-01")),
                to: Some(d("2026-12-31")),
                ..Default::default()
            }),
        )
        .unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        1,
        "cancelled ones are left out"
    );
    assert!(ics.contains(&format!("UID:{}@clinic-crm", a.id)));
    assert!(
        ics.contains("DTSTART:20261202T020000Z"),
        "10:00 in Taipei is 02:00 UTC"
    );
    assert!(ics.contains("DTEND:20261202T023000Z"));
    assert!(ics.contains("LOCATION:Chair 2"));
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:陳美玲\\, \"Amy\"\\; 測試 · scaling"));
    assert!(ics.split("\r\n").all(|l| l.len() <= 75));
}
