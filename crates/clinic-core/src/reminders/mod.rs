//! Reminders and the daily work list. Each day what has fallen due is written down as a
//! reminder (so what was due, whom it reached and what came of it can be counted); the
//! work list shows the open ones, one contact per patient with one merged message, call
//! tasks and overdue ones first. Nothing is sent from here: staff call, copy the message,
//! or export a batch for an SMS service, and log the outcome.

pub mod due;
mod effect;
mod falling_due;
pub mod message;
mod outcomes;
mod postcards;
mod preview;
pub mod rules;
mod worklist;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{params, params_from_iter, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::appointments::{schedule, Schedule};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::patients::profile::ContactChannel;
use crate::patients::{now_text, parse_id};
use due::{Birthday, Candidate, DueFacts, OpenAppointment, PastVisit};
pub use effect::{ReminderEffect, RuleEffect};
pub use outcomes::{
    BatchExported, CheckInAnswer, ContactInput, ContactLogged, ExportReminderBatch, LogContact,
    Outcome, PatientCheckIns, VisitCheckIns,
};
pub use postcards::{Postcards, PrintPostcards};
pub use preview::{PreviewReminder, ReminderPreview};
pub use rules::{GetReminderRules, ReminderKind, ReminderRules, SetReminderRules, Words};
pub use worklist::{DueReminders, Priority, WorkContact, WorkList};

fn local_date(schedule: &Schedule, rfc3339: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&schedule.tz()).naive_local())
}

fn uuid(s: String) -> Uuid {
    Uuid::parse_str(&s).unwrap_or_default()
}

/// How a patient can be reached, from their profile.
#[derive(Debug, Clone)]
struct Reach {
    name: String,
    sex: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    channel: Option<String>,
    language: Option<String>,
}

fn reach_of(tx: &Transaction<'_>, id: &str) -> Result<Option<Reach>> {
    Ok(tx
        .prepare_cached(
            "SELECT name, sex, phone, email, address, preferred_channel, preferred_language
             FROM patient WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Reach {
                name: r.get(0)?,
                sex: r.get(1)?,
                phone: r.get(2)?,
                email: r.get(3)?,
                address: r.get(4)?,
                channel: r.get(5)?,
                language: r.get(6)?,
            })
        })
        .optional()?)
}

/// The channel to use: the patient's own if it can work, else a phone call or SMS.
fn channel_for(reach: &Reach, rules: &ReminderRules) -> Option<ContactChannel> {
    let usable = |c: ContactChannel| match c {
        ContactChannel::Email => reach.email.is_some(),
        ContactChannel::Post => reach.address.is_some(),
        _ => reach.phone.is_some(),
    };
    let preferred = reach
        .channel
        .as_deref()
        .or(Some(rules.default_channel.as_str()))
        .and_then(ContactChannel::parse);
    preferred
        .filter(|&c| usable(c))
        .or_else(|| usable(ContactChannel::Phone).then_some(ContactChannel::Phone))
}

/// Why a reminder is not to be sent, if it is not.
fn skip_reason(
    tx: &Transaction<'_>,
    c: &Candidate,
    reach: Option<&Reach>,
    rules: &ReminderRules,
) -> Result<Option<&'static str>> {
    let Some(reach) = reach else {
        return Ok(Some("no-contact-route"));
    };
    if rules.require_consent {
        let purpose = if c.kind.is_marketing() {
            "marketing"
        } else {
            "reminders"
        };
        let given: Option<bool> = tx
            .prepare_cached(
                "SELECT given FROM consent WHERE patient_id = ?1 AND purpose = ?2 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![c.patient_id.to_string(), purpose], |r| r.get(0))
            .optional()?;
        if given != Some(true) {
            return Ok(Some("no-consent"));
        }
    }
    if channel_for(reach, rules).is_none() {
        return Ok(Some("no-contact-route"));
    }
    Ok(None)
}

/// An appointment a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AboutAppointment {
    pub id: Uuid,
    pub starts_at: NaiveDateTime,
    pub doctor: Option<String>,
    pub reason: Option<String>,
}

/// A visit a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AboutVisit {
    pub id: Uuid,
    pub date: NaiveDate,
    pub doctor: Option<String>,
    pub treatment: Option<String>,
    pub follow_up_by: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DueItem {
    /// None for a day not yet reached (a preview); such items cannot be worked yet.
    #[ts(type = "number | null")]
    pub reminder_id: Option<i64>,
    pub kind: ReminderKind,
    /// Follow-up: 1, 2, or 3 (a call by staff); check-in: days after the visit.
    pub step: u32,
    /// The check-in or recall rule's key and name.
    pub rule: Option<String>,
    pub rule_name: Option<Words>,
    pub due: NaiveDate,
    pub overdue_days: u32,
    pub attempts: u32,
    pub appointment: Option<AboutAppointment>,
    pub visit: Option<AboutVisit>,
}

/// A visit as a reminder refers to it: `which` picks it (`id = ?1`, or a patient's latest).
fn about_visit(
    tx: &Transaction<'_>,
    schedule: &Schedule,
    which: &str,
    arg: &str,
) -> Result<Option<AboutVisit>> {
    let row = tx
        .prepare_cached(&format!(
            "SELECT id, visited_at, doctor, treatment, follow_up_by FROM visit WHERE {which}"
        ))?
        .query_row([arg], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;
    Ok(row.and_then(|(id, at, doctor, treatment, follow)| {
        Some(AboutVisit {
            id: uuid(id),
            date: local_date(schedule, &at)?.date(),
            doctor,
            treatment,
            follow_up_by: follow.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        })
    }))
}

/// What a message's placeholders stand for, for one patient and one thing due.
fn values_for(
    reach: &Reach,
    clinic: &crate::settings::ClinicProfile,
    i: &DueItem,
) -> message::Values {
    message::Values {
        name: reach.name.clone(),
        sex: reach.sex.clone(),
        when: i.appointment.as_ref().map(|a| a.starts_at),
        doctor: i
            .appointment
            .as_ref()
            .and_then(|a| a.doctor.clone())
            .or_else(|| i.visit.as_ref().and_then(|v| v.doctor.clone())),
        clinic: clinic.name.clone(),
        phone: clinic.phone.clone(),
        reason: i.appointment.as_ref().and_then(|a| a.reason.clone()),
        return_by: i.visit.as_ref().and_then(|v| v.follow_up_by),
        treatment: i.visit.as_ref().and_then(|v| v.treatment.clone()),
    }
}

fn template_of<'a>(rules: &'a ReminderRules, i: &DueItem) -> &'a Words {
    match i.kind {
        ReminderKind::Confirmation => &rules.confirmation.message,
        ReminderKind::DayBefore => &rules.day_before.message,
        ReminderKind::SameDay => &rules.same_day.message,
        ReminderKind::FollowUp => &rules.follow_up.message,
        ReminderKind::Birthday => &rules.birthday.message,
        ReminderKind::CheckIn => rules
            .check_ins
            .iter()
            .find(|c| Some(&c.key) == i.rule.as_ref())
            .map(|c| &c.message)
            .unwrap_or(&rules.follow_up.message),
        ReminderKind::Recall => rules
            .recalls
            .iter()
            .find(|r| Some(&r.key) == i.rule.as_ref())
            .map(|r| &r.message)
            .unwrap_or(&rules.follow_up.message),
    }
}
