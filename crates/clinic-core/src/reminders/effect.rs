//! Reminder effectiveness: contacted against comparable patients not contacted.

use super::*;

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
