//! What came of a contact (one click on the work list), check-in answers, and the SMS
//! batch logged as sent.

use super::*;

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
    pub visit_id: Uuid,
    /// Days after the visit.
    pub day: u32,
    pub pain: Option<u8>,
    pub satisfaction: Option<u8>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The check-in answers of one visit.
pub struct VisitCheckIns(pub Uuid);

impl Operation for VisitCheckIns {
    type Output = Vec<CheckInAnswer>;
    fn action(&self) -> Action {
        Action::VisitRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<CheckInAnswer>> {
        check_ins(tx, "visit_id = ?1", &self.0.to_string())
    }
}

/// The check-in answers on all of a patient's visits (the patient page shows them under
/// each visit).
pub struct PatientCheckIns(pub Uuid);

impl Operation for PatientCheckIns {
    type Output = Vec<CheckInAnswer>;
    fn action(&self) -> Action {
        Action::VisitRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<CheckInAnswer>> {
        check_ins(
            tx,
            "visit_id IN (SELECT id FROM visit WHERE patient_id = ?1)",
            &self.0.to_string(),
        )
    }
}

fn check_ins(tx: &Transaction<'_>, which: &str, arg: &str) -> Result<Vec<CheckInAnswer>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT visit_id, day, pain, satisfaction, note, recorded_by, recorded_at
         FROM check_in_answer WHERE {which} ORDER BY day, id"
    ))?;
    let rows = stmt.query_map([arg], |r| {
        Ok(CheckInAnswer {
            visit_id: uuid(r.get(0)?),
            day: r.get(1)?,
            pain: r.get(2)?,
            satisfaction: r.get(3)?,
            note: r.get(4)?,
            recorded_by: r.get(5)?,
            recorded_at: DateTime::parse_from_rfc3339(&r.get::<_, String>(6)?)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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
            log_sent(tx, by, c, ContactChannel::Sms, self.now)?;
        }
        Ok(BatchExported {
            messages: sms.len() as u32,
            send_after,
        })
    }
}

/// A contact sent in a batch (SMS file, postcards), logged with its message.
pub(super) fn log_sent(
    tx: &Transaction<'_>,
    by: &Actor,
    c: &WorkContact,
    channel: ContactChannel,
    now: Option<DateTime<Utc>>,
) -> Result<ContactLogged> {
    LogContact {
        input: ContactInput {
            patient_id: c.patient_id.to_string(),
            reminder_ids: c.items.iter().filter_map(|i| i.reminder_id).collect(),
            outcome: "sent".into(),
            channel: Some(channel.code().into()),
            message: Some(c.message.clone()),
            ..ContactInput::default()
        },
        now,
    }
    .run(tx, by)
}
