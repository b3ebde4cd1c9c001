//! What falls due on a day: pure date logic over facts loaded from the file, so every rule
//! can be tested on any day (month ends, 29 February, clocks changing, closed days)
//! without a clock. Dates are the clinic's local dates.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::rules::{ReminderKind, ReminderRules};
use crate::appointments::Schedule;

/// An appointment still in the book (scheduled, confirmed or arrived).
#[derive(Debug, Clone)]
pub struct OpenAppointment {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub starts: NaiveDateTime,
    /// The local date it was booked.
    pub booked_on: NaiveDate,
    pub confirmed: bool,
}

/// A visit that may lead to a check-in, a recall or a follow-up.
#[derive(Debug, Clone)]
pub struct PastVisit {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub date: NaiveDate,
    pub treatment: String,
    pub diagnosis: String,
    pub follow_up_by: Option<NaiveDate>,
    /// The patient came again after this visit (any visit).
    pub seen_since: bool,
    /// The patient has booked since this visit (an appointment starting after it that was
    /// not cancelled or moved).
    pub booked_since: bool,
    /// For recalls: a later visit matched the same recall rule.
    pub recalled_since: Vec<String>,
    pub birth_date: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Birthday {
    pub patient_id: Uuid,
    pub birth_date: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct DueFacts {
    pub appointments: Vec<OpenAppointment>,
    pub visits: Vec<PastVisit>,
    pub birthdays: Vec<Birthday>,
    /// Patients with an appointment still to come (a recall waits for it).
    pub booked_ahead: std::collections::HashSet<Uuid>,
    /// The members of each recall rule's segment today, by the rule's key.
    pub segment_members: std::collections::HashMap<String, Vec<Uuid>>,
    /// When each member was last due under that rule (rule key, patient).
    pub segment_last: std::collections::HashMap<(String, Uuid), NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub key: String,
    pub patient_id: Uuid,
    pub kind: ReminderKind,
    pub step: u32,
    pub rule: Option<String>,
    pub due: NaiveDate,
    pub expires: NaiveDate,
    pub appointment_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
}

/// Whether anyone is at the desk that day (an opening weekday, not a closed day).
fn open(schedule: &Schedule, d: NaiveDate) -> bool {
    !schedule.periods_on(d).is_empty()
}

/// The first open day on or after `d` (a recall that falls on a Sunday is worked Monday).
pub fn next_open(schedule: &Schedule, d: NaiveDate) -> NaiveDate {
    (0..31)
        .map(|i| d + Duration::days(i))
        .find(|&x| open(schedule, x))
        .unwrap_or(d)
}

/// The last open day on or before `d`, not before `floor` (a reminder for a Monday
/// appointment goes out on Saturday); `None` when there is no such day.
pub fn previous_open(schedule: &Schedule, d: NaiveDate, floor: NaiveDate) -> Option<NaiveDate> {
    (0..31)
        .map(|i| d - Duration::days(i))
        .take_while(|&x| x >= floor)
        .find(|&x| open(schedule, x))
}

/// `months` after `d`; a day the month lacks becomes its last day (31 Aug + 6 months is
/// 28 or 29 Feb).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months)).unwrap_or(d)
}

/// The birthday in `year`; 29 February is kept on 1 March in other years.
pub fn birthday_in(birth: NaiveDate, year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 3, 1).expect("1 March exists"))
}

fn contains_any(text: &str, keywords: &[String]) -> bool {
    let t = text.to_lowercase();
    keywords
        .iter()
        .map(|k| k.trim().to_lowercase())
        .any(|k| !k.is_empty() && t.contains(&k))
}

pub(crate) fn matches_recall(v: &PastVisit, keywords: &[String]) -> bool {
    contains_any(&v.treatment, keywords) || contains_any(&v.diagnosis, keywords)
}

/// Everything live on `today`: fallen due on or before it, not yet expired, and still
/// needed (not booked, not seen, not cancelled).
pub fn candidates(
    facts: &DueFacts,
    rules: &ReminderRules,
    schedule: &Schedule,
    today: NaiveDate,
) -> Vec<Candidate> {
    let mut out = vec![];
    let mut push = |c: Candidate| {
        if c.due <= today && today <= c.expires {
            out.push(c);
        }
    };
    for a in &facts.appointments {
        let day = a.starts.date();
        let base = |kind: ReminderKind, due: NaiveDate, expires: NaiveDate| Candidate {
            key: format!("{}:{}", kind.code(), a.id),
            patient_id: a.patient_id,
            kind,
            step: 1,
            rule: None,
            due,
            expires,
            appointment_id: Some(a.id),
            visit_id: None,
        };
        // Booked for a later day: confirm it the day it was booked (or the next open one).
        if rules.confirmation.enabled && a.booked_on < day {
            let due = next_open(schedule, a.booked_on).min(day);
            if due < day {
                push(base(
                    ReminderKind::Confirmation,
                    due,
                    day - Duration::days(1),
                ));
            }
        }
        // The day before (or N days before), moved back to an open day; not when that
        // day is the booking day (the confirmation says it all).
        if rules.day_before.enabled {
            let target = day - Duration::days(rules.day_before.days_before.into());
            if let Some(due) = previous_open(schedule, target, a.booked_on + Duration::days(1)) {
                if due < day {
                    push(base(ReminderKind::DayBefore, due, day - Duration::days(1)));
                }
            }
        }
        if rules.same_day.enabled && a.booked_on < day && !a.confirmed {
            push(base(ReminderKind::SameDay, day, day));
        }
    }
    for v in &facts.visits {
        let base = |kind: ReminderKind, key: String, due, expires, step, rule| Candidate {
            key,
            patient_id: v.patient_id,
            kind,
            step,
            rule,
            due,
            expires,
            appointment_id: None,
            visit_id: Some(v.id),
        };
        // Missed follow-up: not seen and not booked since; first, second, then a call.
        if let (true, Some(by)) = (rules.follow_up.enabled, v.follow_up_by) {
            if !v.seen_since && !v.booked_since {
                let f = &rules.follow_up;
                let first = next_open(
                    schedule,
                    (by + Duration::days(f.first_offset_days.into()))
                        .max(v.date + Duration::days(1)),
                );
                let second =
                    next_open(schedule, first + Duration::days(f.second_after_days.into()));
                let call = next_open(schedule, second + Duration::days(f.call_after_days.into()));
                let steps = [
                    (1, first, second - Duration::days(1)),
                    (2, second, call - Duration::days(1)),
                    (3, call, call + Duration::days(60)),
                ];
                for (step, due, expires) in steps {
                    push(base(
                        ReminderKind::FollowUp,
                        format!("follow-up:{}:{step}", v.id),
                        due,
                        expires,
                        step,
                        None,
                    ));
                }
            }
        }
        for c in &rules.check_ins {
            if !contains_any(&v.treatment, &c.keywords) {
                continue;
            }
            for &d in &c.days {
                let due = next_open(schedule, v.date + Duration::days(d.into()));
                // A check-in a fortnight late is no check-in: it lapses.
                let expires = due + Duration::days(i64::from((d / 4).clamp(2, 14)));
                push(base(
                    ReminderKind::CheckIn,
                    format!("check-in:{}:{}:{d}", c.key, v.id),
                    due,
                    expires,
                    d,
                    Some(c.key.clone()),
                ));
            }
        }
        for r in &rules.recalls {
            if !matches_recall(v, &r.keywords)
                || v.recalled_since.contains(&r.key)
                || facts.booked_ahead.contains(&v.patient_id)
            {
                continue;
            }
            let due = next_open(schedule, add_months(v.date, r.months));
            if let (Some(max), Some(b)) = (r.max_age, v.birth_date) {
                if crate::patients::age_on(b, due) > max {
                    continue;
                }
            }
            push(base(
                ReminderKind::Recall,
                format!("recall:{}:{}", r.key, v.id),
                due,
                due + Duration::days(60),
                1,
                Some(r.key.clone()),
            ));
        }
    }
    // A recall aimed at a segment: each member not already booked, due today, and again
    // `months` months after the last time for as long as they stay in it (the key is the
    // day it first fell due, so until then it is the same reminder, worked or not).
    for r in &rules.recalls {
        let Some(members) = facts.segment_members.get(&r.key) else {
            continue;
        };
        for &patient_id in members {
            if facts.booked_ahead.contains(&patient_id) {
                continue;
            }
            let last = facts.segment_last.get(&(r.key.clone(), patient_id));
            let due = match last {
                Some(&l) if add_months(l, r.months) > today => l,
                _ => next_open(schedule, today),
            };
            push(Candidate {
                key: format!("recall:{}:segment:{patient_id}:{due}", r.key),
                patient_id,
                kind: ReminderKind::Recall,
                step: 1,
                rule: Some(r.key.clone()),
                due,
                expires: due + Duration::days(60),
                appointment_id: None,
                visit_id: None,
            });
        }
    }
    if rules.birthday.enabled {
        for b in &facts.birthdays {
            for year in [today.year() - 1, today.year()] {
                let day = birthday_in(b.birth_date, year);
                if day <= b.birth_date {
                    continue;
                }
                // Greet on the last open day up to the birthday; never late by more than 3 days.
                let due = previous_open(schedule, day, day - Duration::days(6)).unwrap_or(day);
                push(Candidate {
                    key: format!("birthday:{}:{year}", b.patient_id),
                    patient_id: b.patient_id,
                    kind: ReminderKind::Birthday,
                    step: 1,
                    rule: None,
                    due,
                    expires: day + Duration::days(3),
                    appointment_id: None,
                    visit_id: None,
                });
            }
        }
    }
    out
}

/// How far back visits matter on `today` for each rule: the loader's window.
pub fn visit_window_days(rules: &ReminderRules) -> i64 {
    let recall = rules.recalls.iter().map(|r| r.months).max().unwrap_or(0);
    let check = rules
        .check_ins
        .iter()
        .flat_map(|c| c.days.iter().copied())
        .max()
        .unwrap_or(0);
    (i64::from(recall) * 31 + 70).max(i64::from(check) + 45)
}
