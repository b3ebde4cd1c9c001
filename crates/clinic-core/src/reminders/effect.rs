//! Reminder effectiveness: contacted against comparable patients not contacted.

use rusqlite::types::ValueRef;

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

/// Up to this many patients' bookings are looked up one by one (~3 µs each through the
/// index); more, and every booking in the period is read once instead.
const LOOK_UP_AT_MOST: usize = 10_000;

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
        self.effect(tx, LOOK_UP_AT_MOST)
    }
}

impl ReminderEffect {
    /// The figures, with bookings looked up one patient at a time for up to
    /// `look_up_at_most` patients (a test holds both ways equal).
    fn effect(self, tx: &Transaction<'_>, look_up_at_most: usize) -> Result<Vec<RuleEffect>> {
        let schedule = schedule::load(tx)?;
        // The clinic's visits, kept in memory; patients are known by their place in it.
        let visits = crate::visits::kept::kept_visits(tx)?;
        let window = Duration::days(self.days.into());
        // Each reminder with the day counting starts (the first contact that reached the
        // patient, kept on the reminder by triggers — migration 0025 —, else the due date),
        // whether it reached them, and whether they came: a visit on one of the window's
        // days (the visit's own date). One pass over one index; nothing copied per row.
        struct Due {
            kind: ReminderKind,
            patient: usize,
            start: NaiveDate,
            reached: bool,
            came: bool,
        }
        let mut due: Vec<Due> = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT kind, patient_id, due_date, reached_on FROM reminder
                 INDEXED BY reminder_effect
                 WHERE due_date BETWEEN ?1 AND ?2 AND state IN ('done', 'expired', 'skipped')",
            )?;
            let mut rows = stmt.query(params![self.from.to_string(), self.to.to_string()])?;
            while let Some(r) = rows.next()? {
                let str_at = |i: usize| match r.get_ref(i) {
                    Ok(rusqlite::types::ValueRef::Text(t)) => std::str::from_utf8(t).ok(),
                    _ => None,
                };
                let (Some(kind), Some(patient)) = (
                    str_at(0).and_then(ReminderKind::parse),
                    str_at(1).and_then(|p| visits.position(p)),
                ) else {
                    continue;
                };
                let reached_on = str_at(3).and_then(crate::segments::iso_date);
                let start = reached_on
                    .or_else(|| str_at(2).and_then(crate::segments::iso_date))
                    .unwrap_or(self.from);
                due.push(Due {
                    kind,
                    patient,
                    start,
                    reached: reached_on.is_some(),
                    came: false,
                });
            }
        }
        // In the order the visits are kept, so that they are read front to back (a quarter
        // is ~150k reminders: in row order, each would be a jump through memory).
        due.sort_unstable_by_key(|d| (d.patient, d.start));
        for d in &mut due {
            let v = &visits.patients[d.patient].visits;
            let at = v.partition_point(|v| v.date < d.start);
            d.came = v.get(at).is_some_and(|v| v.date <= d.start + window);
        }
        // Booked: an appointment made within the window (creation times are UTC text,
        // compared as text), read only for the patients who did not come — through the
        // (patient, creation time) index one by one when they are few (as they are when
        // most come), else in one pass over it.
        let bounds = |start: NaiveDate| {
            let (from, _) = schedule.day_bounds(start);
            let (_, until) = schedule.day_bounds(start + window);
            let text = |t: chrono::DateTime<chrono::Utc>| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            };
            (text(from), text(until))
        };
        let mut asked = vec![false; visits.patients.len()];
        let mut few = Vec::new();
        for d in due.iter().filter(|d| !d.came) {
            if !std::mem::replace(&mut asked[d.patient], true) {
                few.push(d.patient);
            }
        }
        let mut booked: HashMap<usize, Vec<Box<str>>> = HashMap::new();
        let pending = due.iter().filter(|d| !d.came).map(|d| d.start);
        if let (Some(first), Some(last)) = (pending.clone().min(), pending.max()) {
            let (lo, _) = bounds(first);
            let (_, hi) = bounds(last);
            if few.len() <= look_up_at_most {
                let mut stmt = tx.prepare(
                    "SELECT created_at FROM appointment INDEXED BY appointment_created
                     WHERE patient_id = ?1 AND created_at >= ?2 AND created_at < ?3",
                )?;
                for i in few {
                    let mut rows = stmt.query(params![visits.patients[i].id, lo, hi])?;
                    while let Some(r) = rows.next()? {
                        booked
                            .entry(i)
                            .or_default()
                            .push(r.get::<_, String>(0)?.into());
                    }
                }
            } else {
                let mut stmt = tx.prepare(
                    "SELECT patient_id, created_at FROM appointment INDEXED BY appointment_created
                     WHERE created_at >= ?1 AND created_at < ?2",
                )?;
                let mut rows = stmt.query([lo, hi])?;
                while let Some(r) = rows.next()? {
                    let (ValueRef::Text(p), ValueRef::Text(made)) = (r.get_ref(0)?, r.get_ref(1)?)
                    else {
                        continue;
                    };
                    let Some(i) = std::str::from_utf8(p).ok().and_then(|p| visits.position(p))
                    else {
                        continue;
                    };
                    if asked[i] {
                        let made = String::from_utf8_lossy(made).into();
                        booked.entry(i).or_default().push(made);
                    }
                }
            }
        }
        let mut windows: HashMap<NaiveDate, (String, String)> = HashMap::new();
        let mut out: BTreeMap<ReminderKind, RuleEffect> = BTreeMap::new();
        for d in due {
            let returned = d.came
                || booked.get(&d.patient).is_some_and(|made| {
                    let (from, until) = windows.entry(d.start).or_insert_with(|| bounds(d.start));
                    made.iter().any(|m| **m >= **from && **m < **until)
                });
            let e = out.entry(d.kind).or_insert(RuleEffect {
                kind: d.kind,
                contacted: 0,
                contacted_returned: 0,
                not_contacted: 0,
                not_contacted_returned: 0,
            });
            if d.reached {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::GenerateAppointments;

    /// Bookings looked up patient by patient or read in one pass: the same figures.
    #[test]
    fn both_ways_of_reading_bookings_agree() {
        let t = crate::generated_clinic(200, 6, 3);
        let c = &t.clinic;
        let until = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let owner = Actor::owner();
        c.execute(&owner, GenerateAppointments { seed: 3, until })
            .unwrap();
        let mut conn = c.connection();
        let tx = conn.transaction().unwrap();
        let asked = |days| ReminderEffect {
            from: until - Duration::days(365),
            to: until,
            days,
        };
        for days in [3, 30] {
            let one_by_one = asked(days).effect(&tx, usize::MAX).unwrap();
            let one_pass = asked(days).effect(&tx, 0).unwrap();
            assert_eq!(one_by_one, one_pass, "within {days} days");
            assert!(one_pass.iter().any(|e| e.not_contacted_returned > 0));
        }
    }
}
