//! The work list: what falls due written down each day, then the open reminders grouped
//! into one contact per patient with one merged message, most pressing first.

use super::falling_due::{load_facts, plan};
use super::*;

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
        // One contact per patient per day: whoever was contacted today (reached or not)
        // waits until tomorrow for anything that fell due since.
        let contacted_today: HashSet<String> = tx
            .prepare_cached("SELECT DISTINCT patient_id FROM contact WHERE day = ?1")?
            .query_map([today.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let names = rules::rule_names(&rules);
        let mut seen = HashSet::new();
        for (id, patient, kind, step, rule, due_date, attempts, appt, visit) in stored {
            if contacted_today.contains(&patient) {
                continue;
            }
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
        Some(id) => about_visit(tx, schedule, "id = ?1", &id)?,
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
        let values = |i: &DueItem| values_for(&reach, &clinic, i);
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
