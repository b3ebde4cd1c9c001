//! A rule's message previewed for a real patient before the rules are saved.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReminderPreview {
    pub language: String,
    pub message: String,
    pub sms_parts: u32,
}

/// A rule's message as one patient would get it, with rules being edited (not yet saved):
/// their next appointment (or tomorrow at 10:00 as an example) and their latest visit fill
/// the placeholders.
pub struct PreviewReminder {
    pub patient_id: Uuid,
    pub kind: ReminderKind,
    /// For a check-in or recall: which rule.
    pub rule: Option<String>,
    pub rules: ReminderRules,
    pub now: Option<DateTime<Utc>>,
}

impl Operation for PreviewReminder {
    type Output = ReminderPreview;
    fn action(&self) -> Action {
        Action::ReminderRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ReminderPreview> {
        self.rules.validate()?;
        let schedule = schedule::load(tx)?;
        let reach = reach_of(tx, &self.patient_id.to_string())?
            .ok_or_else(|| ClinicError::not_found("patient", &self.patient_id.to_string()))?;
        let today = schedule.today(self.now.unwrap_or_else(Utc::now));
        let next: Option<(String, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT starts_at, doctor, reason FROM appointment WHERE patient_id = ?1
                   AND starts_ms >= ?2 AND (status = 'scheduled' OR status = 'confirmed')
                 ORDER BY starts_ms LIMIT 1",
                params![
                    self.patient_id.to_string(),
                    schedule.day_bounds(today).0.timestamp_millis()
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let appointment = Some(match next {
            Some((at, doctor, reason)) => AboutAppointment {
                id: Uuid::nil(),
                starts_at: local_date(&schedule, &at).unwrap_or_default(),
                doctor,
                reason,
            },
            None => AboutAppointment {
                id: Uuid::nil(),
                starts_at: (today + Duration::days(1))
                    .and_hms_opt(10, 0, 0)
                    .unwrap_or_default(),
                doctor: None,
                reason: None,
            },
        });
        // The latest visit; an example return-by date when it set none.
        let visit = about_visit(
            tx,
            &schedule,
            "patient_id = ?1 AND archived_at IS NULL ORDER BY visited_at_ms DESC LIMIT 1",
            &self.patient_id.to_string(),
        )?
        .map(|v| AboutVisit {
            follow_up_by: v.follow_up_by.or(Some(today + Duration::days(14))),
            ..v
        });
        let item = DueItem {
            reminder_id: None,
            kind: self.kind,
            step: 1,
            rule: self.rule,
            rule_name: None,
            due: today,
            overdue_days: 0,
            attempts: 0,
            appointment,
            visit,
        };
        let clinic = crate::settings::load(tx)?;
        let lang = reach
            .language
            .clone()
            .unwrap_or_else(|| self.rules.default_language.clone());
        let values = values_for(&reach, &clinic, &item);
        let body = message::fill(template_of(&self.rules, &item).get(&lang), &values, &lang);
        let msg = message::merge(
            &self.rules.greeting,
            &self.rules.signature,
            &[body],
            &values,
            &lang,
        );
        Ok(ReminderPreview {
            language: lang,
            sms_parts: message::sms_parts(&msg),
            message: msg,
        })
    }
}
