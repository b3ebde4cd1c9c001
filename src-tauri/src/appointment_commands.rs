//! The appointment book and the reminder work list for the window: thin adapters over the
//! core's operations (the clock is the real one here; tests of the rules inject theirs).

use chrono::NaiveDate;
use clinic_core::appointments::{
    Appointment, AppointmentInput, AppointmentQuery, AppointmentStatus, AppointmentsIcs,
    BookAppointment, GetSchedule, ListAppointments, MoveAppointment, Schedule,
    SetAppointmentStatus, SetSchedule,
};
use clinic_core::export;
use clinic_core::patients::parse_id;
use clinic_core::reminders::{
    BatchExported, CheckInAnswer, ContactInput, ContactLogged, DueReminders, ExportReminderBatch,
    GetReminderRules, LogContact, PatientCheckIns, PreviewReminder, PrintPostcards, ReminderEffect,
    ReminderKind, ReminderPreview, ReminderRules, RuleEffect, SetReminderRules, WorkList,
};
use tauri::State;

use crate::AppState;

type Reply<T> = Result<T, clinic_core::ClinicError>;

#[tauri::command]
pub async fn appointments_list(
    state: State<'_, AppState>,
    query: AppointmentQuery,
) -> Reply<Vec<Appointment>> {
    state.execute(ListAppointments(query))
}

#[tauri::command]
pub async fn appointment_book(
    state: State<'_, AppState>,
    input: AppointmentInput,
) -> Reply<Appointment> {
    state.execute(BookAppointment::new(input))
}

#[tauri::command]
pub async fn appointment_move(
    state: State<'_, AppState>,
    id: String,
    input: AppointmentInput,
) -> Reply<Appointment> {
    state.execute(MoveAppointment {
        id: parse_id("id", &id)?,
        input,
        now: None,
    })
}

#[tauri::command]
pub async fn appointment_status(
    state: State<'_, AppState>,
    id: String,
    status: AppointmentStatus,
    visit_id: Option<String>,
) -> Reply<Appointment> {
    state.execute(SetAppointmentStatus {
        id: parse_id("id", &id)?,
        status,
        visit_id: visit_id.map(|v| parse_id("visitId", &v)).transpose()?,
        now: None,
    })
}

/// The range as an .ics file in Downloads; returns its path.
#[tauri::command]
pub async fn appointments_ics(
    state: State<'_, AppState>,
    query: AppointmentQuery,
) -> Reply<String> {
    let name = format!(
        "appointments {} - {}.ics",
        query.from.map(|d| d.to_string()).unwrap_or_default(),
        query.to.map(|d| d.to_string()).unwrap_or_default()
    );
    let ics = state.execute(AppointmentsIcs(query))?;
    let path = export::path_in_downloads(&name)?;
    export::save(&path, ics.as_bytes())?;
    Ok(path.display().to_string())
}

#[tauri::command]
pub async fn schedule_get(state: State<'_, AppState>) -> Reply<Schedule> {
    state.execute(GetSchedule)
}

#[tauri::command]
pub async fn schedule_set(state: State<'_, AppState>, schedule: Schedule) -> Reply<Schedule> {
    state.execute(SetSchedule(schedule))
}

#[tauri::command]
pub async fn reminders_due(state: State<'_, AppState>, date: Option<NaiveDate>) -> Reply<WorkList> {
    state.execute(DueReminders { date, now: None })
}

#[tauri::command]
pub async fn reminder_log(state: State<'_, AppState>, input: ContactInput) -> Reply<ContactLogged> {
    state.execute(LogContact { input, now: None })
}

/// Today's SMS batch as a CSV in Downloads, each contact logged as sent.
#[tauri::command]
pub async fn reminders_export(state: State<'_, AppState>) -> Reply<(String, BatchExported)> {
    let day = chrono::Local::now().date_naive();
    let path = export::path_in_downloads(&format!("sms {day}.csv"))?;
    let done = state.execute(ExportReminderBatch {
        out: path.clone(),
        date: None,
        now: None,
    })?;
    Ok((path.display().to_string(), done))
}

#[tauri::command]
pub async fn reminder_rules_get(state: State<'_, AppState>) -> Reply<ReminderRules> {
    state.execute(GetReminderRules)
}

#[tauri::command]
pub async fn reminder_rules_set(
    state: State<'_, AppState>,
    rules: ReminderRules,
) -> Reply<ReminderRules> {
    state.execute(SetReminderRules(rules))
}

#[tauri::command]
pub async fn reminder_effect(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
    days: u32,
) -> Reply<Vec<RuleEffect>> {
    state.execute(ReminderEffect { from, to, days })
}

#[tauri::command]
pub async fn reminder_preview(
    state: State<'_, AppState>,
    patient_id: String,
    kind: ReminderKind,
    rule: Option<String>,
    rules: ReminderRules,
) -> Reply<ReminderPreview> {
    state.execute(PreviewReminder {
        patient_id: parse_id("patientId", &patient_id)?,
        kind,
        rule,
        rules,
        now: None,
    })
}

/// Today's postcards for patients who prefer post, as one PDF in Downloads with a sheet of
/// address labels beside it; each is logged as sent. Returns the postcards' path and how
/// many cards.
#[tauri::command]
pub async fn reminders_postcards(state: State<'_, AppState>) -> Reply<(String, u32)> {
    let cards = state.execute(PrintPostcards { now: None })?;
    let day = chrono::Local::now().date_naive();
    let path = export::path_in_downloads(&format!("postcards {day}.pdf"))?;
    export::save(&path, &cards.pdf)?;
    let labels = export::path_in_downloads(&format!("address labels {day}.pdf"))?;
    export::save(&labels, &cards.labels)?;
    Ok((path.display().to_string(), cards.cards))
}

#[tauri::command]
pub async fn patient_check_ins(
    state: State<'_, AppState>,
    patient_id: String,
) -> Reply<Vec<CheckInAnswer>> {
    state.execute(PatientCheckIns(parse_id("patientId", &patient_id)?))
}
