//! `clinic appointments …`: book, list, move, change status, export as iCalendar;
//! `clinic reminders …`: the day's work list, outcomes, the SMS batch, effect per rule.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;
use clinic_core::appointments::{
    Appointment, AppointmentInput, AppointmentQuery, AppointmentStatus, AppointmentsIcs,
    BookAppointment, ListAppointments, MoveAppointment, SetAppointmentStatus,
};
use clinic_core::patients::parse_id;
use clinic_core::reminders::{
    ContactInput, DueReminders, ExportReminderBatch, LogContact, PrintPostcards, ReminderEffect,
};
use clinic_core::{Clinic, ClinicError, Result, ValidationRule};

use crate::output::Output;

#[derive(Subcommand)]
pub enum AppointmentsCommand {
    /// Book an appointment (local time of the clinic, e.g. "2026-12-02 10:00")
    Add {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        at: String,
        /// Length; the clinic's slot length when left out
        #[arg(long)]
        minutes: Option<u32>,
        #[arg(long)]
        doctor: Option<String>,
        /// Room or dental chair
        #[arg(long)]
        room: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        /// Book even though the doctor, room or patient is already booked then
        #[arg(long)]
        allow_overlap: bool,
        /// Book even though the clinic is closed then
        #[arg(long)]
        outside_hours: bool,
    },
    /// The appointments of a day (today when left out), or of a range
    List {
        #[arg(long, conflicts_with_all = ["from", "to"])]
        date: Option<NaiveDate>,
        #[arg(long, requires = "to")]
        from: Option<NaiveDate>,
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
        #[arg(long)]
        doctor: Option<String>,
        #[arg(long)]
        room: Option<String>,
    },
    /// Move an appointment to another time (the old one is kept as rescheduled)
    Move {
        id: String,
        #[arg(long)]
        at: String,
        #[arg(long)]
        minutes: Option<u32>,
        #[arg(long)]
        doctor: Option<String>,
        #[arg(long)]
        room: Option<String>,
        #[arg(long)]
        allow_overlap: bool,
        #[arg(long)]
        outside_hours: bool,
    },
    /// Change the status: confirmed, arrived, completed, no-show or cancelled
    Status {
        id: String,
        status: String,
        /// For completed: the visit recorded for it
        #[arg(long)]
        visit: Option<String>,
    },
    /// Write the appointments of a range as an iCalendar (.ics) file
    Ics {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        doctor: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum RemindersCommand {
    /// The work list of a day (today when left out): who to contact, why, the message
    Due {
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Today's SMS contacts as a CSV (phone, message, name, send_after) for an SMS
    /// service; each is logged as sent
    Export {
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Today's postcards for patients who prefer post (A5, one each) as a PDF; each is
    /// logged as sent
    Postcards {
        #[arg(long)]
        out: PathBuf,
        /// Also the same names and addresses on A4 sheets of 24 labels (70 × 37 mm)
        #[arg(long)]
        labels: Option<PathBuf>,
    },
    /// Log what came of contacting a patient about today's reminders
    Log {
        #[arg(long)]
        patient: String,
        /// reached, sent, no-answer, wrong-number, booked, declined or do-not-contact
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        note: Option<String>,
        /// A check-in's answers: pain 0-10
        #[arg(long)]
        pain: Option<i32>,
        /// A check-in's answers: satisfaction 1-5
        #[arg(long)]
        satisfaction: Option<i32>,
    },
    /// Each rule's contacts and how many booked or came within --days, against those not
    /// contacted
    Effect {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

fn print_appointment(a: &Appointment) {
    println!(
        "{}  {}  {:>3} min  {:<11} {:<8} {:<8} {}  {}",
        a.id,
        a.starts_at.format("%Y-%m-%d %H:%M"),
        a.minutes,
        a.status.code(),
        a.doctor.as_deref().unwrap_or("-"),
        a.room.as_deref().unwrap_or("-"),
        a.patient_name,
        a.reason.as_deref().unwrap_or(""),
    );
}

pub fn run(cmd: AppointmentsCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    let show = |a: &Appointment| {
        if out.json {
            out.print_json(a);
        } else {
            print_appointment(a);
        }
    };
    match cmd {
        AppointmentsCommand::Add {
            patient,
            at,
            minutes,
            doctor,
            room,
            reason,
            allow_overlap,
            outside_hours,
        } => {
            let a = clinic.execute(
                &actor,
                BookAppointment::new(AppointmentInput {
                    patient_id: patient,
                    at,
                    minutes,
                    doctor,
                    room,
                    reason,
                    note: None,
                    allow_overlap,
                    allow_outside_hours: outside_hours,
                }),
            )?;
            show(&a);
        }
        AppointmentsCommand::List {
            date,
            from,
            to,
            doctor,
            room,
        } => {
            let today = clinic
                .execute(&actor, clinic_core::appointments::GetSchedule)?
                .today(chrono::Utc::now());
            let (from, to) = match (date, from, to) {
                (Some(d), _, _) => (d, d),
                (None, Some(f), Some(t)) => (f, t),
                _ => (today, today),
            };
            let list = clinic.execute(
                &actor,
                ListAppointments(AppointmentQuery {
                    from: Some(from),
                    to: Some(to),
                    doctor,
                    room,
                    patient_id: None,
                }),
            )?;
            if out.json {
                out.print_json(&list);
            } else {
                list.iter().for_each(print_appointment);
                eprintln!("{} appointment(s)", list.len());
            }
        }
        AppointmentsCommand::Move {
            id,
            at,
            minutes,
            doctor,
            room,
            allow_overlap,
            outside_hours,
        } => {
            let a = clinic.execute(
                &actor,
                MoveAppointment {
                    id: parse_id("id", &id)?,
                    input: AppointmentInput {
                        at,
                        minutes,
                        doctor,
                        room,
                        allow_overlap,
                        allow_outside_hours: outside_hours,
                        ..Default::default()
                    },
                    now: None,
                },
            )?;
            show(&a);
        }
        AppointmentsCommand::Status { id, status, visit } => {
            let status = AppointmentStatus::parse(&status).ok_or_else(|| {
                ClinicError::validation(
                    "status",
                    ValidationRule::UnknownValue,
                    format!("{status:?} is not one of {}", AppointmentStatus::ALLOWED),
                )
            })?;
            let a = clinic.execute(
                &actor,
                SetAppointmentStatus {
                    id: parse_id("id", &id)?,
                    status,
                    visit_id: visit.map(|v| parse_id("visit", &v)).transpose()?,
                    now: None,
                },
            )?;
            show(&a);
        }
        AppointmentsCommand::Ics {
            from,
            to,
            doctor,
            out: file,
        } => {
            let ics = clinic.execute(
                &actor,
                AppointmentsIcs(AppointmentQuery {
                    from: Some(from),
                    to: Some(to),
                    doctor,
                    ..Default::default()
                }),
            )?;
            clinic_core::export::save(&file, ics.as_bytes())?;
            let n = ics.matches("BEGIN:VEVENT").count();
            if out.json {
                out.print_json(&serde_json::json!({ "file": file, "events": n }));
            } else {
                println!("Wrote {n} appointment(s) to {}", file.display());
            }
        }
    }
    Ok(())
}

pub fn run_reminders(cmd: RemindersCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        RemindersCommand::Due { date } => {
            let list = clinic.execute(&actor, DueReminders { date, now: None })?;
            if out.json {
                out.print_json(&list);
                return Ok(());
            }
            if list.preview {
                println!("Preview of {}: not yet due", list.date);
            }
            if list.quiet_now {
                println!("Quiet hours now: call or send later.");
            }
            for c in &list.contacts {
                let what: Vec<String> = c
                    .items
                    .iter()
                    .map(|i| match i.overdue_days {
                        0 => i.kind.code().to_string(),
                        n => format!("{} ({n} days overdue)", i.kind.code()),
                    })
                    .collect();
                println!(
                    "[{}] {}  {}  {}  {}",
                    serde_json::to_value(c.priority)
                        .expect("serialises")
                        .as_str()
                        .unwrap_or(""),
                    c.name,
                    c.phone.as_deref().unwrap_or("-"),
                    c.channel.code(),
                    what.join(", ")
                );
                println!("    {}", c.message);
            }
            for (reason, n) in &list.skipped {
                println!("not contacted ({reason}): {n}");
            }
            eprintln!(
                "{} contact(s) to make, {} done",
                list.contacts.len(),
                list.done
            );
        }
        RemindersCommand::Export { date, out: file } => {
            let done = clinic.execute(
                &actor,
                ExportReminderBatch {
                    out: file.clone(),
                    date,
                    now: None,
                },
            )?;
            if out.json {
                out.print_json(&done);
            } else {
                println!(
                    "Wrote {} message(s) to {}; each is logged as sent",
                    done.messages,
                    file.display()
                );
                if let Some(t) = done.send_after {
                    println!("Quiet hours now: send after {}", t.format("%Y-%m-%d %H:%M"));
                }
            }
        }
        RemindersCommand::Postcards { out: file, labels } => {
            let cards = clinic.execute(&actor, PrintPostcards { now: None })?;
            clinic_core::export::save(&file, &cards.pdf)?;
            if let Some(path) = &labels {
                clinic_core::export::save(path, &cards.labels)?;
            }
            if out.json {
                out.print_json(&serde_json::json!({ "file": file, "cards": cards.cards }));
            } else {
                println!(
                    "Wrote {} postcard(s) to {}; each is logged as sent",
                    cards.cards,
                    file.display()
                );
            }
        }
        RemindersCommand::Log {
            patient,
            outcome,
            note,
            pain,
            satisfaction,
        } => {
            let patient_id = parse_id("patient", &patient)?;
            let list = clinic.execute(
                &actor,
                DueReminders {
                    date: None,
                    now: None,
                },
            )?;
            let ids: Vec<i64> = list
                .contacts
                .iter()
                .filter(|c| c.patient_id == patient_id)
                .flat_map(|c| c.items.iter().filter_map(|i| i.reminder_id))
                .collect();
            let logged = clinic.execute(
                &actor,
                LogContact {
                    input: ContactInput {
                        patient_id: patient,
                        reminder_ids: ids,
                        outcome,
                        note,
                        pain,
                        satisfaction,
                        ..Default::default()
                    },
                    now: None,
                },
            )?;
            if out.json {
                out.print_json(&logged);
            } else {
                println!(
                    "Logged: {} reminder(s) settled, {} roll to tomorrow",
                    logged.settled, logged.rolled
                );
            }
        }
        RemindersCommand::Effect { from, to, days } => {
            let rows = clinic.execute(&actor, ReminderEffect { from, to, days })?;
            if out.json {
                out.print_json(&rows);
            } else {
                println!("rule           contacted  returned  not contacted  returned");
                for r in &rows {
                    println!(
                        "{:<14} {:>9} {:>9} {:>14} {:>9}",
                        r.kind.code(),
                        r.contacted,
                        r.contacted_returned,
                        r.not_contacted,
                        r.not_contacted_returned
                    );
                }
            }
        }
    }
    Ok(())
}
