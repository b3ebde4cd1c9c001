//! Reading what the dimensions and rules look at: every active patient's profile, loyalty
//! and visits (or one patient's), in as few passes over the file as it takes.

use super::*;

/// Every active patient's facts (or one patient's), by id, with their name. `detail` also
/// loads what only clinic-defined rules look at: sex, smoking, every condition, the tags
/// and appointments; `visit_text` the visits' departments, diagnoses and treatments.
pub(crate) fn load_facts(
    tx: &Transaction<'_>,
    only: Option<Uuid>,
    detail: bool,
    visit_text: bool,
) -> Result<Vec<(Uuid, String, Facts)>> {
    let only = only.map(|id| id.to_string());
    let mut people: Vec<(Uuid, String, Facts)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // The ids as stored (the digest is keyed by them).
    let mut ids: Vec<String> = Vec::new();
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT id, name, birth_date, payment_type, sex, smoking FROM patient
             WHERE archived_at IS NULL AND {}",
            only_where("id", only.as_deref())
        ))?;
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let Ok(uuid) = Uuid::parse_str(&id) else {
                continue;
            };
            let birth: Option<String> = r.get(2)?;
            index.insert(id.clone(), people.len());
            ids.push(id);
            people.push((
                uuid,
                r.get(1)?,
                Facts {
                    birth_date: birth.as_deref().and_then(iso_date),
                    payment_type: r.get(3)?,
                    sex: r.get(4)?,
                    smoking: r.get(5)?,
                    ..Default::default()
                },
            ));
        }
    }
    load_visits(tx, &mut people, &ids, &index, only.as_deref(), visit_text)?;
    load_loyalty(tx, &mut people, &index, only.as_deref(), detail)?;
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT referred_by, count(*) FROM patient
             WHERE referred_by IS NOT NULL AND archived_at IS NULL AND {}
             GROUP BY referred_by",
            only_where("referred_by", only.as_deref())
        ))?;
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let by: String = r.get(0)?;
            if let Some(&i) = index.get(&by) {
                people[i].2.referrals = r.get::<_, i64>(1)? as u32;
            }
        }
    }
    // (table, column, which rows, order, only with detail, the list it fills)
    type Pick = fn(&mut Facts) -> &mut Vec<String>;
    let lists: [(&str, &str, &str, &str, bool, Pick); 6] = [
        (
            "patient_condition",
            "name",
            "chronic = 1",
            "id",
            false,
            |f| &mut f.chronic,
        ),
        (
            "patient_allergy",
            "substance",
            "severity = 'life-threatening'",
            "id",
            false,
            |f| &mut f.grave_allergies,
        ),
        ("patient_condition", "name", "1", "id", true, |f| {
            &mut f.conditions
        }),
        (
            "patient_tag x JOIN tag t ON t.id = x.tag_id",
            "t.name",
            "1",
            "t.name",
            true,
            |f| &mut f.tags,
        ),
        (
            "appointment",
            "substr(starts_at, 1, 10)",
            "(status = 'scheduled' OR status = 'confirmed')",
            "starts_ms",
            true,
            |f| &mut f.booked,
        ),
        (
            "appointment",
            "substr(starts_at, 1, 10)",
            "status = 'no-show'",
            "starts_ms",
            true,
            |f| &mut f.no_shows,
        ),
    ];
    for (table, column, filter, order, needs_detail, pick) in lists {
        if needs_detail && !detail {
            continue;
        }
        let mut stmt = tx.prepare(&format!(
            "SELECT patient_id, {column} FROM {table}
             WHERE {filter} AND {} ORDER BY {order}",
            only_where("patient_id", only.as_deref())
        ))?;
        let mut rows = stmt.query([&only])?;
        while let Some(r) = rows.next()? {
            let pid: String = r.get(0)?;
            if let Some(&i) = index.get(&pid) {
                pick(&mut people[i].2).push(r.get(1)?);
            }
        }
    }
    Ok(people)
}

/// The condition that picks one patient's rows by `column` (the patient's id is `?1`),
/// or every row (`?1` is then NULL). Written out rather than `(?1 IS NULL OR column = ?1)`,
/// which SQLite cannot answer from the column's index: one patient would read the table.
fn only_where(column: &str, only: Option<&str>) -> String {
    match only {
        Some(_) => format!("{column} = ?1"),
        None => "?1 IS NULL".into(),
    }
}

/// Membership tiers (when the clinic runs a loyalty programme: everyone is in the base
/// tier unless requalified higher) and, with the detail, points balances.
fn load_loyalty(
    tx: &Transaction<'_>,
    people: &mut [(Uuid, String, Facts)],
    index: &HashMap<String, usize>,
    only: Option<&str>,
    detail: bool,
) -> Result<()> {
    let settings = crate::loyalty::settings(tx)?;
    if settings.enabled {
        let ladder = if settings.tiers.is_empty() {
            crate::loyalty::tiers::default_tiers()
        } else {
            settings.tiers
        };
        let base = ladder.first().map(|t| t.name.clone()).unwrap_or_default();
        for p in people.iter_mut() {
            p.2.membership = Some(MembershipFact {
                tier: base.clone(),
                ..Default::default()
            });
        }
        let mut stmt = tx.prepare(&format!(
            "SELECT patient_id, tier, since, spend_minor, visits, qualified_on FROM membership
             WHERE {}",
            only_where("patient_id", only)
        ))?;
        let mut rows = stmt.query([only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = text_ref(r, 0)?.and_then(|pid| index.get(pid)) else {
                continue;
            };
            people[i].2.membership = Some(MembershipFact {
                tier: r.get(1)?,
                since: text_ref(r, 2)?.and_then(iso_date),
                spend_minor: r.get(3)?,
                visits: r.get(4)?,
                qualified_on: text_ref(r, 5)?.and_then(iso_date),
            });
        }
    }
    if detail {
        let mut stmt = tx.prepare(&format!(
            "SELECT patient_id, sum(points) FROM points_entry WHERE {} GROUP BY patient_id",
            only_where("patient_id", only)
        ))?;
        let mut rows = stmt.query([only])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = text_ref(r, 0)?.and_then(|pid| index.get(pid)) {
                people[i].2.points = r.get(1)?;
            }
        }
    }
    Ok(())
}

/// Up to this many patients without a digest are read one by one through the visit index;
/// more (a first run, a large import) and the whole visit table is read once.
const FEW_STALE: usize = 2_000;

/// Each patient's visits, newest first: from the digests, the stale ones rebuilt (and
/// written back when this transaction may write; a reader that cannot simply goes on).
fn load_visits(
    tx: &Transaction<'_>,
    people: &mut [(Uuid, String, Facts)],
    ids: &[String],
    index: &HashMap<String, usize>,
    only: Option<&str>,
    visit_text: bool,
) -> Result<()> {
    if visit_text {
        return scan_visits(tx, people, index, only, None, true);
    }
    let mut fresh = vec![false; people.len()];
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT patient_id, visits FROM visit_digest WHERE {}",
            only_where("patient_id", only)
        ))?;
        let mut rows = stmt.query([only])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = text_ref(r, 0)?.and_then(|pid| index.get(pid)) else {
                continue;
            };
            if let rusqlite::types::ValueRef::Blob(b) = r.get_ref(1)? {
                if let Some(visits) = digest::decode(b) {
                    people[i].2.visits = visits;
                    fresh[i] = true;
                }
            }
        }
    }
    let stale: Vec<usize> = (0..people.len()).filter(|&i| !fresh[i]).collect();
    if stale.is_empty() {
        return Ok(());
    }
    if stale.len() > FEW_STALE {
        scan_visits(tx, people, index, only, Some(&fresh), false)?;
    } else {
        let mut stmt = tx.prepare_cached(
            "SELECT substr(visited_at, 1, 10), visit_type, satisfaction, amount_minor, nps,
                    follow_up_by
             FROM visit WHERE patient_id = ?1 AND archived_at IS NULL
             ORDER BY visited_at_ms DESC, rowid",
        )?;
        for &i in &stale {
            let mut rows = stmt.query([&ids[i]])?;
            while let Some(r) = rows.next()? {
                if let Some(v) = visit_fact(r, 0, None)? {
                    people[i].2.visits.push(v);
                }
            }
        }
    }
    // Best effort: a read-only or busy database keeps working from the visit table.
    let _ = (|| -> rusqlite::Result<()> {
        let mut put =
            tx.prepare("INSERT OR REPLACE INTO visit_digest (patient_id, visits) VALUES (?1, ?2)")?;
        for &i in &stale {
            put.execute(rusqlite::params![
                ids[i],
                digest::encode(&people[i].2.visits)
            ])?;
        }
        Ok(())
    })();
    Ok(())
}

/// One visit's facts from the columns starting at `at`: date, type, satisfaction, amount,
/// NPS, follow-up date; then, when `text` is given, department, diagnosis, treatment.
fn visit_fact(r: &rusqlite::Row<'_>, at: usize, text: Option<usize>) -> Result<Option<VisitFact>> {
    let Some(date) = text_ref(r, at)?.and_then(iso_date) else {
        return Ok(None);
    };
    let mut v = VisitFact {
        date,
        visit_type: text_ref(r, at + 1)?
            .and_then(VisitType::parse)
            .unwrap_or_default(),
        satisfaction: r.get::<_, Option<i64>>(at + 2)?.map(|s| s as u8),
        amount_minor: r.get::<_, Option<i64>>(at + 3)?.unwrap_or(0),
        nps: r.get::<_, Option<i64>>(at + 4)?.map(|n| n as u8),
        follow_up_by: text_ref(r, at + 5)?.and_then(iso_date),
        ..Default::default()
    };
    if let Some(t) = text {
        v.text = Some(Box::new(VisitText {
            department: r.get::<_, Option<String>>(t)?.unwrap_or_default(),
            diagnosis: r.get::<_, Option<String>>(t + 1)?.unwrap_or_default(),
            treatment: r.get::<_, Option<String>>(t + 2)?.unwrap_or_default(),
        }));
    }
    Ok(Some(v))
}

/// The visits of every patient not marked in `skip`, in one pass over the visit table (in
/// table order, not sorted by SQL — a million-row sort): each patient's few visits are put
/// newest first here.
fn scan_visits(
    tx: &Transaction<'_>,
    people: &mut [(Uuid, String, Facts)],
    index: &HashMap<String, usize>,
    only: Option<&str>,
    skip: Option<&[bool]>,
    text: bool,
) -> Result<()> {
    // Text columns cost a million strings on a large clinic: only when asked for.
    let columns = if text {
        ", department, diagnosis, treatment"
    } else {
        ""
    };
    let mut stmt = tx.prepare(&format!(
        "SELECT patient_id, visited_at_ms, substr(visited_at, 1, 10), visit_type, satisfaction,
                amount_minor, nps, follow_up_by{columns}
         FROM visit WHERE archived_at IS NULL AND {}",
        only_where("patient_id", only)
    ))?;
    let mut when: Vec<Vec<i64>> = vec![Vec::new(); people.len()];
    let mut rows = stmt.query([only])?;
    while let Some(r) = rows.next()? {
        let Some(&i) = text_ref(r, 0)?.and_then(|pid| index.get(pid)) else {
            continue;
        };
        if skip.is_some_and(|s| s[i]) {
            continue;
        }
        if let Some(v) = visit_fact(r, 2, text.then_some(8))? {
            when[i].push(r.get(1)?);
            people[i].2.visits.push(v);
        }
    }
    for (person, ms) in people.iter_mut().zip(when) {
        let visits = &mut person.2.visits;
        if ms.windows(2).all(|w| w[0] >= w[1]) {
            continue;
        }
        let mut order: Vec<usize> = (0..visits.len()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(ms[k]));
        let mut taken: Vec<Option<VisitFact>> = visits.drain(..).map(Some).collect();
        visits.extend(order.into_iter().filter_map(|k| taken[k].take()));
    }
    Ok(())
}

/// A text column borrowed from the row (no copy), `None` when NULL.
fn text_ref<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>> {
    match row.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => Ok(std::str::from_utf8(t).ok()),
        _ => Ok(None),
    }
}

/// `YYYY-MM-DD` read by hand: a million of them per count, where a general parser shows.
pub(crate) fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}
