//! Writing down each day what falls due: the facts the due-date rules need, read in windows,
//! then each rule's reminders written and the ones no longer due closed.

use super::*;
use crate::segments::{members_of, SegmentRef};

/// The facts the due-date rules need on `today`, read with windows so a large clinic is
/// not read whole: appointments still to come, visits within the longest recall or
/// check-in, visits with a return-by date, birthdays around today.
pub(super) fn load_facts(
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
    // One pass over the visit table, not an index walk: a window of months is a large share
    // of all visits, and looking each up by rowid decrypted a random page per visit (30 s
    // on the 1M-visit benchmark clinic, against about 2 s for the scan). Patients and
    // bookings are read once into maps for the same reason.
    let mut active: HashMap<String, (Option<String>, Option<i64>)> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT id, birth_date, last_visit_ms FROM patient
         WHERE archived_at IS NULL AND merged_into IS NULL",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))? {
        let (id, facts) = row?;
        active.insert(id, facts);
    }
    let mut bookings: HashMap<String, Vec<i64>> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT patient_id, starts_ms FROM appointment
         WHERE status = 'scheduled' OR status = 'confirmed' OR status = 'arrived'
            OR status = 'completed'",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (patient, starts) = row?;
        bookings.entry(patient).or_default().push(starts);
    }
    // Only visits a check-in or recall could be about (their words, any case for Latin
    // letters as SQLite's LIKE has it; the exact match is made below) or with a return-by
    // date: most visits are neither, and are not copied out of the scan.
    let words: Vec<String> = rules
        .check_ins
        .iter()
        .flat_map(|c| &c.keywords)
        .chain(rules.recalls.iter().flat_map(|r| &r.keywords))
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .map(|k| {
            format!(
                "%{}%",
                k.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            )
        })
        .collect();
    let matching = if words.is_empty() {
        "0".to_string()
    } else {
        (0..words.len())
            .map(|i| {
                let n = i + 3;
                format!("treatment LIKE ?{n} ESCAPE '\\' OR diagnosis LIKE ?{n} ESCAPE '\\'")
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let mut stmt = tx.prepare(&format!(
        "SELECT id, patient_id, visited_at, visited_at_ms, coalesce(treatment, ''),
                coalesce(diagnosis, ''), follow_up_by
         FROM visit
         WHERE archived_at IS NULL
           AND ((+visited_at_ms >= ?1 AND ({matching})) OR +follow_up_by >= ?2)"
    ))?;
    let mut args: Vec<rusqlite::types::Value> =
        vec![window.into(), follow_window.to_string().into()];
    args.extend(words.into_iter().map(rusqlite::types::Value::from));
    let rows = stmt.query_map(params_from_iter(args), |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    let date = |s: Option<&str>| s.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let mut visits: Vec<(i64, PastVisit)> = vec![];
    for row in rows {
        let (id, patient, at, ms, treatment, diagnosis, follow) = row?;
        let Some((birth, last_visit_ms)) = active.get(&patient) else {
            continue;
        };
        let Some(at) = local_date(schedule, &at) else {
            continue;
        };
        let booked_since = bookings
            .get(&patient)
            .is_some_and(|starts| starts.iter().any(|&s| s > ms));
        visits.push((
            ms,
            PastVisit {
                id: uuid(id),
                patient_id: uuid(patient),
                date: at.date(),
                treatment,
                diagnosis,
                follow_up_by: date(follow.as_deref()),
                seen_since: last_visit_ms.is_some_and(|last| last > ms),
                booked_since,
                recalled_since: vec![],
                birth_date: date(birth.as_deref()),
            },
        ));
    }
    visits.sort_by_key(|a| (a.1.patient_id, a.0));
    facts.visits = visits.into_iter().map(|(_, v)| v).collect();
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
    for r in &rules.recalls {
        let Some(name) = r.segment.as_deref().filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        // A segment deleted since the rule was saved selects nobody; it must not stop the
        // work list. Read as the owner: planning is the clinic's, whoever opens the list.
        let members = SegmentRef::parse(name)
            .and_then(|s| members_of(tx, &Actor::owner(), &s, Some(today)))
            .map(|m| m.into_iter().map(|m| m.id).collect())
            .unwrap_or_default();
        facts.segment_members.insert(r.key.clone(), members);
        let mut last = tx.prepare_cached(
            "SELECT patient_id, max(due_date) FROM reminder
             WHERE kind = 'recall' AND rule = ?1 AND key LIKE 'recall:' || ?1 || ':segment:%'
             GROUP BY patient_id",
        )?;
        let rows = last.query_map([&r.key], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (patient, day) = row?;
            if let Ok(day) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                facts
                    .segment_last
                    .insert((r.key.clone(), uuid(patient)), day);
            }
        }
    }
    Ok(facts)
}

/// Writes down what is due on `today` and closes what no longer is. Idempotent: run it as
/// often as the work list opens.
pub(super) fn plan(
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
                 skip_reason = excluded.skip_reason, closed_at = NULL
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
    // settled another way (booked, seen, cancelled, moved). Skipped ones keep their state
    // and are closed, so this pass never walks them again.
    let mut stmt = tx.prepare_cached(
        "SELECT id, key, expires_date FROM reminder
         WHERE (state = 'open' OR (state = 'skipped' AND closed_at IS NULL)) AND due_date <= ?1",
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
