//! Reminders and the daily work list. Each day what has fallen due is written down as a
//! reminder (so what was due, whom it reached and what came of it can be counted); the
//! work list shows the open ones, one contact per patient with one merged message, call
//! tasks and overdue ones first. Nothing is sent from here: staff call, copy the message,
//! or export a batch for an SMS service, and log the outcome.

pub mod due;
pub mod message;
pub mod rules;

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
pub use rules::{GetReminderRules, ReminderKind, ReminderRules, SetReminderRules, Words};

fn local_date(schedule: &Schedule, rfc3339: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.with_timezone(&schedule.tz()).naive_local())
}

fn uuid(s: String) -> Uuid {
    Uuid::parse_str(&s).unwrap_or_default()
}

/// The facts the due-date rules need on `today`, read with windows so a large clinic is
/// not read whole: appointments still to come, visits within the longest recall or
/// check-in, visits with a return-by date, birthdays around today.
fn load_facts(
    tx: &Transaction<'_>,
    schedule: &Schedule,
    rules: &ReminderRules,
    today: NaiveDate,
) -> Result<DueFacts> {
    let mut facts = DueFacts::default();
    let (day_start, _) = schedule.day_bounds(today);
    let mut stmt = tx.prepare_cached(
        "SELECT a.id, a.patient_id, a.starts_at, a.created_at, a.status FROM appointment a
         JOIN patient p ON p.id = a.patient_id
         WHERE a.starts_ms >= ?1 AND (a.status = 'scheduled' OR a.status = 'confirmed')
           AND p.archived_at IS NULL",
    )?;
    let rows = stmt.query_map([day_start.timestamp_millis()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    for row in rows {
        let (id, patient, starts, created, status) = row?;
        let (Some(starts), Some(created)) = (
            local_date(schedule, &starts),
            local_date(schedule, &created),
        ) else {
            continue;
        };
        let patient_id = uuid(patient);
        facts.booked_ahead.insert(patient_id);
        facts.appointments.push(OpenAppointment {
            id: uuid(id),
            patient_id,
            starts,
            booked_on: created.date(),
            confirmed: status == "confirmed",
        });
    }

    let window = schedule
        .day_bounds(today - Duration::days(due::visit_window_days(rules)))
        .0
        .timestamp_millis();
    let f = &rules.follow_up;
    let follow_window = today
        - Duration::days(
            i64::from(f.first_offset_days.max(0))
                + i64::from(f.second_after_days + f.call_after_days)
                + 100,
        );
    let mut stmt = tx.prepare_cached(
        "SELECT v.id, v.patient_id, v.visited_at, coalesce(v.treatment, ''),
                coalesce(v.diagnosis, ''), v.follow_up_by, p.birth_date,
                p.last_visit_ms > v.visited_at_ms,
                EXISTS (SELECT 1 FROM appointment a WHERE a.patient_id = v.patient_id
                        AND a.starts_ms > v.visited_at_ms
                        AND (a.status = 'scheduled' OR a.status = 'confirmed'
                             OR a.status = 'arrived' OR a.status = 'completed'))
         FROM visit v JOIN patient p ON p.id = v.patient_id
         WHERE v.id IN (SELECT id FROM visit WHERE visited_at_ms >= ?1
                        UNION SELECT id FROM visit WHERE follow_up_by >= ?2)
           AND v.archived_at IS NULL AND p.archived_at IS NULL AND p.merged_into IS NULL
         ORDER BY v.patient_id, v.visited_at_ms",
    )?;
    let rows = stmt.query_map(params![window, follow_window.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, bool>(7)?,
            r.get::<_, bool>(8)?,
        ))
    })?;
    let date = |s: Option<String>| s.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    for row in rows {
        let (id, patient, at, treatment, diagnosis, follow, birth, seen, booked) = row?;
        let Some(at) = local_date(schedule, &at) else {
            continue;
        };
        facts.visits.push(PastVisit {
            id: uuid(id),
            patient_id: uuid(patient),
            date: at.date(),
            treatment,
            diagnosis,
            follow_up_by: date(follow),
            seen_since: seen,
            booked_since: booked,
            recalled_since: vec![],
            birth_date: date(birth),
        });
    }
    // A recall waits for the latest matching visit: mark the earlier ones (visits are in
    // patient and time order).
    for r in &rules.recalls {
        let mut latest: HashMap<Uuid, usize> = HashMap::new();
        for (i, v) in facts.visits.iter().enumerate() {
            if due::matches_recall(v, &r.keywords) {
                latest.insert(v.patient_id, i);
            }
        }
        let keep: HashSet<usize> = latest.into_values().collect();
        for (i, v) in facts.visits.iter_mut().enumerate() {
            if !keep.contains(&i) && due::matches_recall(v, &r.keywords) {
                v.recalled_since.push(r.key.clone());
            }
        }
    }

    if rules.birthday.enabled {
        let days: Vec<String> = (-4..=7)
            .map(|i| (today + Duration::days(i)).format("%m-%d").to_string())
            .chain(["02-29".to_string()])
            .collect();
        let sql = format!(
            "SELECT id, birth_date FROM patient WHERE archived_at IS NULL AND merged_into IS NULL
               AND birth_date IS NOT NULL AND substr(birth_date, 6) IN ({})",
            vec!["?"; days.len()].join(", ")
        );
        let mut stmt = tx.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(days.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, birth) = row?;
            if let Ok(b) = NaiveDate::parse_from_str(&birth, "%Y-%m-%d") {
                facts.birthdays.push(Birthday {
                    patient_id: uuid(id),
                    birth_date: b,
                });
            }
        }
    }
    Ok(facts)
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

/// Writes down what is due on `today` and closes what no longer is. Idempotent: run it as
/// often as the work list opens.
fn plan(
    tx: &Transaction<'_>,
    schedule: &Schedule,
    rules: &ReminderRules,
    today: NaiveDate,
) -> Result<()> {
    let facts = load_facts(tx, schedule, rules, today)?;
    let found = due::candidates(&facts, rules, schedule, today);
    let now = now_text();
    let mut reach: HashMap<Uuid, Option<Reach>> = HashMap::new();
    let mut keys = HashSet::new();
    for c in &found {
        keys.insert(c.key.clone());
        if let std::collections::hash_map::Entry::Vacant(e) = reach.entry(c.patient_id) {
            e.insert(reach_of(tx, &c.patient_id.to_string())?);
        }
        let skip = skip_reason(tx, c, reach[&c.patient_id].as_ref(), rules)?;
        // New: written open or skipped. Known and not yet worked: consent given or
        // withdrawn since moves it between open and skipped.
        tx.prepare_cached(
            "INSERT INTO reminder (key, patient_id, kind, step, rule, due_date, expires_date,
                 appointment_id, visit_id, state, skip_reason, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (key) DO UPDATE SET state = excluded.state,
                 skip_reason = excluded.skip_reason
             WHERE reminder.state IN ('open', 'skipped')
               AND (reminder.state IS NOT excluded.state
                    OR reminder.skip_reason IS NOT excluded.skip_reason)",
        )?
        .execute(params![
            c.key,
            c.patient_id.to_string(),
            c.kind.code(),
            c.step,
            c.rule,
            c.due.to_string(),
            c.expires.to_string(),
            c.appointment_id.map(|u| u.to_string()),
            c.visit_id.map(|u| u.to_string()),
            if skip.is_some() { "skipped" } else { "open" },
            skip,
            now,
        ])?;
    }
    // Open ones due by today that are no longer found: their time passed, or they were
    // settled another way (booked, seen, cancelled, moved).
    let mut stmt = tx.prepare_cached(
        "SELECT id, key, expires_date FROM reminder WHERE (state = 'open' OR state = 'skipped')
           AND due_date <= ?1",
    )?;
    let stale: Vec<(i64, String, String)> = stmt
        .query_map([today.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, key, expires) in stale {
        if keys.contains(&key) {
            continue;
        }
        let state = if expires < today.to_string() {
            "expired"
        } else {
            "resolved"
        };
        tx.prepare_cached(
            "UPDATE reminder SET state = CASE WHEN state = 'skipped' THEN 'skipped' ELSE ?2 END,
                 closed_at = ?3 WHERE id = ?1",
        )?
        .execute(params![id, state, now])?;
    }
    Ok(())
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Priority {
    /// A staff call: the last step of a missed follow-up, or two unanswered tries.
    Call,
    Overdue,
    Due,
}

/// One contact to make: a patient, their way to be reached, and everything due for them
/// merged into one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WorkContact {
    pub patient_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub channel: ContactChannel,
    pub language: String,
    pub priority: Priority,
    /// The kind the list groups it under: its most pressing item's.
    pub kind: ReminderKind,
    pub items: Vec<DueItem>,
    pub message: String,
    pub sms_parts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WorkList {
    pub date: NaiveDate,
    /// The list is for a later day than today: a preview, not yet workable.
    pub preview: bool,
    /// It is quiet hours now: call or send later.
    pub quiet_now: bool,
    pub contacts: Vec<WorkContact>,
    /// Reminders due but not to be sent, by reason (`no-consent`, `no-contact-route`).
    pub skipped: BTreeMap<String, u32>,
    /// Contacts already logged for this day.
    pub done: u32,
}

/// The work list of a day (today when `date` is none). Today's is written down first
/// (see [`plan`]); a later day's is a preview of what will fall due by then.
pub struct DueReminders {
    pub date: Option<NaiveDate>,
    pub now: Option<DateTime<Utc>>,
}

impl Operation for DueReminders {
    type Output = WorkList;
    fn action(&self) -> Action {
        Action::ReminderWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<WorkList> {
        let schedule = schedule::load(tx)?;
        let rules = rules::load(tx)?;
        let now = self.now.unwrap_or_else(Utc::now);
        let today = schedule.today(now);
        let date = self.date.unwrap_or(today);
        plan(tx, &schedule, &rules, today)?;
        let mut items: Vec<(Uuid, DueItem)> = vec![];
        let mut stmt = tx.prepare_cached(
            "SELECT id, patient_id, kind, step, rule, due_date, attempts, appointment_id, visit_id
             FROM reminder WHERE state = 'open' AND due_date <= ?1 ORDER BY due_date, id",
        )?;
        let rows = stmt.query_map([date.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let stored: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
        let names = rules::rule_names(&rules);
        let mut seen = HashSet::new();
        for (id, patient, kind, step, rule, due_date, attempts, appt, visit) in stored {
            let kind = ReminderKind::parse(&kind).unwrap_or(ReminderKind::Recall);
            let due = NaiveDate::parse_from_str(&due_date, "%Y-%m-%d").unwrap_or(date);
            seen.insert((appt.clone(), visit.clone(), kind, step));
            items.push((
                uuid(patient),
                about(
                    tx,
                    &schedule,
                    &names,
                    kind,
                    step,
                    rule,
                    due,
                    date,
                    appt,
                    visit,
                    Some(id),
                    attempts,
                )?,
            ));
        }
        let preview = date > today;
        if preview {
            let facts = load_facts(tx, &schedule, &rules, date)?;
            for c in due::candidates(&facts, &rules, &schedule, date) {
                let (appt, visit) = (
                    c.appointment_id.map(|u| u.to_string()),
                    c.visit_id.map(|u| u.to_string()),
                );
                if seen.contains(&(appt.clone(), visit.clone(), c.kind, c.step)) {
                    continue;
                }
                let reach = reach_of(tx, &c.patient_id.to_string())?;
                if skip_reason(tx, &c, reach.as_ref(), &rules)?.is_some() {
                    continue;
                }
                items.push((
                    c.patient_id,
                    about(
                        tx, &schedule, &names, c.kind, c.step, c.rule, c.due, date, appt, visit,
                        None, 0,
                    )?,
                ));
            }
        }
        let contacts = contacts(tx, &rules, items)?;
        let mut skipped = BTreeMap::new();
        let mut stmt = tx.prepare_cached(
            "SELECT skip_reason, count(*) FROM reminder WHERE state = 'skipped'
               AND due_date <= ?1 AND expires_date >= ?1 GROUP BY skip_reason",
        )?;
        for row in stmt.query_map([date.to_string()], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, u32>(1)?))
        })? {
            let (reason, n) = row?;
            skipped.insert(reason.unwrap_or_default(), n);
        }
        let done: u32 = tx.query_row(
            "SELECT count(*) FROM contact WHERE day = ?1",
            [date.to_string()],
            |r| r.get(0),
        )?;
        let local_now = now.with_timezone(&schedule.tz()).time();
        Ok(WorkList {
            date,
            preview,
            quiet_now: rules.is_quiet(local_now),
            contacts,
            skipped,
            done,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn about(
    tx: &Transaction<'_>,
    schedule: &Schedule,
    names: &BTreeMap<String, Words>,
    kind: ReminderKind,
    step: u32,
    rule: Option<String>,
    due: NaiveDate,
    date: NaiveDate,
    appointment: Option<String>,
    visit: Option<String>,
    reminder_id: Option<i64>,
    attempts: u32,
) -> Result<DueItem> {
    let appointment = match appointment {
        Some(id) => tx
            .prepare_cached("SELECT starts_at, doctor, reason FROM appointment WHERE id = ?1")?
            .query_row([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get(2)?,
                ))
            })
            .optional()?
            .and_then(|(at, doctor, reason)| {
                Some(AboutAppointment {
                    id: uuid(id),
                    starts_at: local_date(schedule, &at)?,
                    doctor,
                    reason,
                })
            }),
        None => None,
    };
    let visit = match visit {
        Some(id) => tx
            .prepare_cached(
                "SELECT visited_at, doctor, treatment, follow_up_by FROM visit WHERE id = ?1",
            )?
            .query_row([&id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .optional()?
            .and_then(|(at, doctor, treatment, follow)| {
                Some(AboutVisit {
                    id: uuid(id),
                    date: local_date(schedule, &at)?.date(),
                    doctor,
                    treatment,
                    follow_up_by: follow
                        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                })
            }),
        None => None,
    };
    let rule_name = rule
        .as_ref()
        .and_then(|r| names.get(&format!("{}:{r}", kind.code())).cloned());
    Ok(DueItem {
        reminder_id,
        kind,
        step,
        rule,
        rule_name,
        due,
        overdue_days: (date - due).num_days().max(0) as u32,
        attempts,
        appointment,
        visit,
    })
}

fn item_priority(i: &DueItem) -> Priority {
    if (i.kind == ReminderKind::FollowUp && i.step == 3) || i.attempts >= 2 {
        Priority::Call
    } else if i.overdue_days > 0 {
        Priority::Overdue
    } else {
        Priority::Due
    }
}

/// Groups the items by patient into contacts with one merged message, most pressing first.
fn contacts(
    tx: &Transaction<'_>,
    rules: &ReminderRules,
    items: Vec<(Uuid, DueItem)>,
) -> Result<Vec<WorkContact>> {
    let clinic = crate::settings::load(tx)?;
    let mut by_patient: BTreeMap<Uuid, Vec<DueItem>> = BTreeMap::new();
    for (p, i) in items {
        by_patient.entry(p).or_default().push(i);
    }
    let mut out = vec![];
    for (patient, mut items) in by_patient {
        let Some(reach) = reach_of(tx, &patient.to_string())? else {
            continue;
        };
        items.sort_by_key(|i| (item_priority(i), std::cmp::Reverse(i.overdue_days), i.kind));
        let lang = reach
            .language
            .clone()
            .unwrap_or_else(|| rules.default_language.clone());
        let channel = channel_for(&reach, rules).unwrap_or(ContactChannel::Phone);
        let first = &items[0];
        let values = |i: &DueItem| message::Values {
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
        };
        // One sentence per kind of thing (two recalls due make one line each, a day-before
        // and a confirmation of the same appointment say it once).
        let mut bodies: Vec<String> = vec![];
        let mut said = HashSet::new();
        for i in &items {
            let template = template_of(rules, i);
            let text = message::fill(template.get(&lang), &values(i), &lang);
            let about = (
                i.appointment.as_ref().map(|a| a.id),
                matches!(
                    i.kind,
                    ReminderKind::Confirmation | ReminderKind::DayBefore | ReminderKind::SameDay
                ),
            );
            if about.1 && !said.insert(about.0) {
                continue;
            }
            if !bodies.contains(&text) {
                bodies.push(text);
            }
        }
        let msg = message::merge(
            &rules.greeting,
            &rules.signature,
            &bodies,
            &values(first),
            &lang,
        );
        out.push(WorkContact {
            patient_id: patient,
            name: reach.name.clone(),
            phone: reach.phone.clone(),
            channel,
            language: lang,
            priority: item_priority(first),
            kind: first.kind,
            sms_parts: message::sms_parts(&msg),
            message: msg,
            items,
        });
    }
    out.sort_by(|a, b| {
        (
            a.priority,
            std::cmp::Reverse(a.items[0].overdue_days),
            a.kind,
            &a.name,
        )
            .cmp(&(
                b.priority,
                std::cmp::Reverse(b.items[0].overdue_days),
                b.kind,
                &b.name,
            ))
    });
    Ok(out)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Outcome {
    Reached,
    Sent,
    NoAnswer,
    WrongNumber,
    Booked,
    Declined,
    DoNotContact,
}

impl Outcome {
    pub const ALLOWED: &'static str =
        "reached, sent, no-answer, wrong-number, booked, declined, do-not-contact";
    pub fn code(self) -> &'static str {
        match self {
            Self::Reached => "reached",
            Self::Sent => "sent",
            Self::NoAnswer => "no-answer",
            Self::WrongNumber => "wrong-number",
            Self::Booked => "booked",
            Self::Declined => "declined",
            Self::DoNotContact => "do-not-contact",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Reached,
            Self::Sent,
            Self::NoAnswer,
            Self::WrongNumber,
            Self::Booked,
            Self::Declined,
            Self::DoNotContact,
        ]
        .into_iter()
        .find(|o| o.code() == s.trim())
    }
    /// The patient got the message.
    pub fn reached(self) -> bool {
        matches!(
            self,
            Self::Reached | Self::Sent | Self::Booked | Self::Declined
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ContactInput {
    pub patient_id: String,
    /// The work-list reminders this contact settles (all of the patient's, usually).
    #[ts(type = "number[]")]
    pub reminder_ids: Vec<i64>,
    /// reached, sent, no-answer, wrong-number, booked, declined, do-not-contact
    pub outcome: String,
    /// phone, sms, wechat, line, email or post; the patient's channel when left out.
    pub channel: Option<String>,
    pub message: Option<String>,
    pub note: Option<String>,
    /// A check-in's answers: pain 0-10 and satisfaction 1-5, stored on the visit.
    pub pain: Option<i32>,
    pub satisfaction: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ContactLogged {
    #[ts(type = "number")]
    pub contact_id: i64,
    /// Reminders now settled; the rest roll to tomorrow.
    pub settled: u32,
    pub rolled: u32,
}

/// Logs what came of a contact: a reached/sent/booked/declined/wrong-number settles the
/// reminders; no answer leaves them for tomorrow with one more try counted (two make
/// them a call task); "do not contact again" withdraws consent for reminders and
/// marketing.
pub struct LogContact {
    pub input: ContactInput,
    pub now: Option<DateTime<Utc>>,
}

impl Operation for LogContact {
    type Output = ContactLogged;
    fn action(&self) -> Action {
        Action::ReminderWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<ContactLogged> {
        let input = self.input;
        let patient = parse_id("patientId", &input.patient_id)?;
        let outcome = crate::validate::one_of(
            "outcome",
            Some(&input.outcome),
            Outcome::parse,
            Outcome::ALLOWED,
        )?
        .ok_or_else(|| {
            ClinicError::validation("outcome", ValidationRule::Required, "is required")
        })?;
        let channel = crate::validate::one_of(
            "channel",
            input.channel.as_deref(),
            ContactChannel::parse,
            &ContactChannel::allowed(),
        )?;
        let pain = crate::validate::int_in_range("pain", input.pain.map(i64::from), 0, 10)?;
        let satisfaction =
            crate::validate::int_in_range("satisfaction", input.satisfaction.map(i64::from), 1, 5)?;
        let note = crate::validate::optional_text("note", input.note.as_deref(), 1000)?;
        if input.reminder_ids.is_empty() {
            return Err(ClinicError::validation(
                "reminderIds",
                ValidationRule::Required,
                "name the reminders this contact was about",
            ));
        }
        let schedule = schedule::load(tx)?;
        let rules = rules::load(tx)?;
        let now = self.now.unwrap_or_else(Utc::now);
        let today = schedule.today(now);
        let mut check_ins = vec![];
        for id in &input.reminder_ids {
            let row: Option<(String, String, String, u32, Option<String>)> = tx
                .query_row(
                    "SELECT patient_id, state, kind, step, visit_id FROM reminder WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((owner, state, kind, step, visit)) = row else {
                return Err(ClinicError::not_found("reminder", &id.to_string()));
            };
            if owner != patient.to_string() || state != "open" {
                return Err(ClinicError::validation(
                    "reminderIds",
                    ValidationRule::OutOfRange,
                    format!("reminder {id} is not open for this patient"),
                ));
            }
            if kind == "check-in" {
                check_ins.push((visit, step));
            }
        }
        let reach = reach_of(tx, &patient.to_string())?
            .ok_or_else(|| ClinicError::not_found("patient", &patient.to_string()))?;
        let channel = channel
            .or_else(|| channel_for(&reach, &rules))
            .unwrap_or(ContactChannel::Phone);
        let stamp = now.to_rfc3339();
        tx.execute(
            "INSERT INTO contact (patient_id, day, channel, outcome, message, note, staff, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                patient.to_string(),
                today.to_string(),
                channel.code(),
                outcome.code(),
                input.message,
                note,
                by.name,
                stamp,
            ],
        )?;
        let contact_id = tx.last_insert_rowid();
        for id in &input.reminder_ids {
            tx.execute(
                "INSERT INTO contact_reminder (contact_id, reminder_id) VALUES (?1, ?2)",
                params![contact_id, id],
            )?;
            if outcome == Outcome::NoAnswer {
                tx.execute(
                    "UPDATE reminder SET attempts = attempts + 1 WHERE id = ?1",
                    [id],
                )?;
            } else {
                tx.execute(
                    "UPDATE reminder SET state = 'done', closed_at = ?2 WHERE id = ?1",
                    params![id, stamp],
                )?;
            }
        }
        if outcome == Outcome::DoNotContact {
            for purpose in ["reminders", "marketing"] {
                tx.execute(
                    "INSERT INTO consent (patient_id, purpose, given, recorded_at, recorded_by, note)
                     VALUES (?1, ?2, 0, ?3, ?4, 'asked not to be contacted again (work list)')",
                    params![patient.to_string(), purpose, stamp, by.name],
                )?;
            }
            tx.execute(
                "UPDATE reminder SET state = 'skipped', skip_reason = 'no-consent', closed_at = ?2
                 WHERE patient_id = ?1 AND state = 'open'",
                params![patient.to_string(), stamp],
            )?;
        }
        if outcome.reached() && (pain.is_some() || satisfaction.is_some()) {
            for (visit, day) in check_ins.into_iter().filter_map(|(v, d)| Some((v?, d))) {
                tx.execute(
                    "INSERT INTO check_in_answer (visit_id, day, pain, satisfaction, note, recorded_by, recorded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![visit, day, pain, satisfaction, note, by.name, stamp],
                )?;
            }
        }
        let n = input.reminder_ids.len() as u32;
        Ok(ContactLogged {
            contact_id,
            settled: if outcome == Outcome::NoAnswer { 0 } else { n },
            rolled: if outcome == Outcome::NoAnswer { n } else { 0 },
        })
    }
}

/// A check-in's answers as stored on the visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckInAnswer {
    pub day: u32,
    pub pain: Option<u8>,
    pub satisfaction: Option<u8>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

pub struct VisitCheckIns(pub Uuid);

impl Operation for VisitCheckIns {
    type Output = Vec<CheckInAnswer>;
    fn action(&self) -> Action {
        Action::VisitRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<CheckInAnswer>> {
        let mut stmt = tx.prepare_cached(
            "SELECT day, pain, satisfaction, note, recorded_by, recorded_at FROM check_in_answer
             WHERE visit_id = ?1 ORDER BY day, id",
        )?;
        let rows = stmt.query_map([self.0.to_string()], |r| {
            Ok(CheckInAnswer {
                day: r.get(0)?,
                pain: r.get(1)?,
                satisfaction: r.get(2)?,
                note: r.get(3)?,
                recorded_by: r.get(4)?,
                recorded_at: DateTime::parse_from_rfc3339(&r.get::<_, String>(5)?)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchExported {
    pub messages: u32,
    /// Quiet hours now: the file says not to send before this local time.
    pub send_after: Option<NaiveDateTime>,
}

/// Today's SMS contacts as a CSV for an SMS gateway (phone, message, name, send_after),
/// each logged as sent. The file is written before the log is committed: if it cannot be
/// written, nothing is marked.
pub struct ExportReminderBatch {
    pub out: PathBuf,
    /// Today when none; a later day cannot be marked sent yet.
    pub date: Option<NaiveDate>,
    pub now: Option<DateTime<Utc>>,
}

impl Operation for ExportReminderBatch {
    type Output = BatchExported;
    fn action(&self) -> Action {
        Action::ReminderWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<BatchExported> {
        let list = DueReminders {
            date: self.date,
            now: self.now,
        }
        .run(tx, by)?;
        if list.preview {
            return Err(ClinicError::validation(
                "date",
                ValidationRule::InFuture,
                "only today's messages can be exported and marked sent",
            ));
        }
        let schedule = schedule::load(tx)?;
        let rules = rules::load(tx)?;
        let now = self.now.unwrap_or_else(Utc::now);
        let local = now.with_timezone(&schedule.tz()).naive_local();
        let send_after = list.quiet_now.then(|| {
            let t = local.date().and_time(rules.quiet_to());
            if t > local {
                t
            } else {
                t + Duration::days(1)
            }
        });
        let sms: Vec<&WorkContact> = list
            .contacts
            .iter()
            .filter(|c| c.channel == ContactChannel::Sms && c.phone.is_some())
            .collect();
        let sheet = crate::export::Sheet {
            name: "sms",
            headers: &["phone", "message", "name", "send_after"],
            rows: sms
                .iter()
                .map(|c| {
                    vec![
                        c.phone.clone().unwrap_or_default(),
                        c.message.clone(),
                        c.name.clone(),
                        send_after
                            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
            money_column: None,
        };
        crate::export::save(&self.out, &sheet.bytes(crate::export::ExportFormat::Csv)?)?;
        for c in &sms {
            LogContact {
                input: ContactInput {
                    patient_id: c.patient_id.to_string(),
                    reminder_ids: c.items.iter().filter_map(|i| i.reminder_id).collect(),
                    outcome: "sent".into(),
                    channel: Some("sms".into()),
                    message: Some(c.message.clone()),
                    ..ContactInput::default()
                },
                now: self.now,
            }
            .run(tx, by)?;
        }
        Ok(BatchExported {
            messages: sms.len() as u32,
            send_after,
        })
    }
}

/// One rule's effect over a period: patients contacted against comparable patients the
/// same rule fell due for who were not contacted (no consent, no answer, not worked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RuleEffect {
    pub kind: ReminderKind,
    pub contacted: u32,
    /// Of those, how many booked or came within the window.
    pub contacted_returned: u32,
    pub not_contacted: u32,
    pub not_contacted_returned: u32,
}

/// Reminder effectiveness: reminders due from `from` to `to`, and whether the patient
/// booked or came within `days` of the contact (or of the due date, for those not
/// contacted).
pub struct ReminderEffect {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
}

impl Operation for ReminderEffect {
    type Output = Vec<RuleEffect>;
    fn action(&self) -> Action {
        Action::ReminderRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<RuleEffect>> {
        if self.to < self.from || !(1..=365).contains(&self.days) {
            return Err(ClinicError::validation(
                "to",
                ValidationRule::OutOfRange,
                "the period runs forwards and the window is 1 to 365 days",
            ));
        }
        let schedule = schedule::load(tx)?;
        // Each reminder with the day counting starts (the first successful contact, else
        // the due date) and whether it reached the patient.
        let mut stmt = tx.prepare(
            "SELECT r.kind, r.patient_id, r.due_date,
                    (SELECT min(c.day) FROM contact_reminder cr JOIN contact c ON c.id = cr.contact_id
                      WHERE cr.reminder_id = r.id
                        AND c.outcome IN ('reached', 'sent', 'booked', 'declined')) AS reached_on
             FROM reminder r WHERE r.due_date BETWEEN ?1 AND ?2 AND r.state <> 'resolved'
               AND r.state <> 'open'",
        )?;
        let rows = stmt.query_map(params![self.from.to_string(), self.to.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out: BTreeMap<ReminderKind, RuleEffect> = BTreeMap::new();
        for row in rows {
            let (kind, patient, due, reached_on) = row?;
            let Some(kind) = ReminderKind::parse(&kind) else {
                continue;
            };
            let start = reached_on
                .as_deref()
                .unwrap_or(&due)
                .parse::<NaiveDate>()
                .unwrap_or(self.from);
            let (from, _) = schedule.day_bounds(start);
            let (_, until) = schedule.day_bounds(start + Duration::days(self.days.into()));
            let returned: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM visit WHERE patient_id = ?1 AND archived_at IS NULL
                                      AND visited_at_ms >= ?2 AND visited_at_ms < ?3)
                         OR EXISTS (SELECT 1 FROM appointment WHERE patient_id = ?1
                                      AND created_at >= ?4 AND created_at < ?5)",
                )?
                .query_row(
                    params![
                        patient,
                        from.timestamp_millis(),
                        until.timestamp_millis(),
                        from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    ],
                    |r| r.get(0),
                )?;
            let e = out.entry(kind).or_insert(RuleEffect {
                kind,
                contacted: 0,
                contacted_returned: 0,
                not_contacted: 0,
                not_contacted_returned: 0,
            });
            if reached_on.is_some() {
                e.contacted += 1;
                e.contacted_returned += u32::from(returned);
            } else {
                e.not_contacted += 1;
                e.not_contacted_returned += u32::from(returned);
            }
        }
        Ok(out.into_values().collect())
    }
}
