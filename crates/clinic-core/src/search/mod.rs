//! Instant patient search: by any fragment of a Chinese name, full pinyin or pinyin
//! initials (tone-less, Simplified and Traditional), Latin name, a phone fragment of 4+
//! digits, or an ID number.
//!
//! Every patient has a set of search keys in `patient_key`, each a string that a query may
//! be a prefix of: the suffixes of the name, of its pinyin at syllable boundaries, of its
//! initials, and of each phone number. "Any fragment" then becomes "a prefix of some key",
//! which a B-tree answers with one range scan whatever the size of the clinic. Each key has
//! a rank: 0 starts the name (or number) in its usual reading, 1 starts it in a less usual
//! reading of a heteronym (陳 read "zhen"), 2 lies inside it; better ranks are read first,
//! so exact and prefix matches lead.
//!
//! Keys are derived data: if the way they are made changes, bump [`KEY_VERSION`] and every
//! file rebuilds them when it is next opened.

use std::collections::HashSet;

use pinyin::ToPinyinMulti;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Result;

mod bulk;

pub use bulk::{insert_sorted, KeyBuilder, KeyRow, OwnedSearchable};

/// Bump when [`keys_for`] changes: files rebuild their keys on open.
pub const KEY_VERSION: i64 = 2;

/// At most this many pinyin readings of one name are indexed (heteronyms multiply).
const MAX_READINGS: usize = 8;
/// Readings considered per character; the common one comes first.
const READINGS_PER_CHAR: usize = 3;
/// A phone number is found by a fragment of at least this many digits.
pub const MIN_PHONE_DIGITS: usize = 4;

/// Key ranks, best first.
pub const RANK_START: u8 = 0;
pub const RANK_OTHER_READING: u8 = 1;
pub const RANK_INSIDE: u8 = 2;

/// One search key of a patient.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SearchKey {
    pub rank: u8,
    pub key: String,
}

/// What a patient is found by.
pub struct Searchable<'a> {
    pub name: &'a str,
    pub phone: Option<&'a str>,
    /// Phones besides the primary one: found by any 4+ digits too.
    pub other_phones: Vec<&'a str>,
    pub id_number: Option<&'a str>,
}

/// Lower case, full-width letters and digits as ASCII, runs of spaces as one.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.trim().chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Digits of a phone number as people dial them at home: `+86 138…` → `138…`,
/// `+886 912…` → `0912…`. Other numbers keep all their digits.
pub fn phone_digits(phone: &str) -> String {
    let trimmed = fold(phone);
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = trimmed.starts_with('+') || digits.starts_with("00");
    let national = digits.strip_prefix("00").unwrap_or(&digits);
    if international || national.len() > 11 {
        if let Some(rest) = national.strip_prefix("86").filter(|r| r.len() == 11) {
            return rest.to_string();
        }
        if let Some(rest) = national.strip_prefix("886").filter(|r| r.len() == 9) {
            return format!("0{rest}");
        }
    }
    digits
}

/// One way to read a name: its syllables, and whether every character is read the usual way.
struct Reading {
    usual: bool,
    syllables: Vec<String>,
}

/// The pinyin readings of a name, at most [`MAX_READINGS`], the usual one first. Latin words
/// count as one syllable each; other characters are skipped.
fn readings(folded_name: &str) -> Vec<Reading> {
    // Per character: (spelling, is the usual reading).
    let mut per_char: Vec<Vec<(String, bool)>> = Vec::new();
    let mut latin = String::new();
    let flush = |latin: &mut String, per_char: &mut Vec<Vec<(String, bool)>>| {
        if !latin.is_empty() {
            per_char.push(vec![(std::mem::take(latin), true)]);
        }
    };
    for (c, multi) in folded_name.chars().zip(folded_name.to_pinyin_multi()) {
        if c.is_ascii_alphanumeric() {
            latin.push(c);
            continue;
        }
        flush(&mut latin, &mut per_char);
        let Some(multi) = multi else { continue };
        let mut options: Vec<(String, bool)> = Vec::new();
        for (n, p) in multi.into_iter().enumerate() {
            // ü is typed as v on Chinese keyboards and as u by everyone else.
            for spelled in [p.plain().replace('ü', "v"), p.plain().replace('ü', "u")] {
                if !options.iter().any(|(o, _)| *o == spelled) {
                    options.push((spelled, n == 0));
                }
            }
            if options.len() >= READINGS_PER_CHAR {
                break;
            }
        }
        per_char.push(options);
    }
    flush(&mut latin, &mut per_char);

    let mut out = vec![Reading {
        usual: true,
        syllables: Vec::new(),
    }];
    for options in per_char {
        out = out
            .iter()
            .flat_map(|prefix| {
                options.iter().map(move |(spelling, usual)| {
                    let mut syllables = prefix.syllables.clone();
                    syllables.push(spelling.clone());
                    Reading {
                        usual: prefix.usual && *usual,
                        syllables,
                    }
                })
            })
            .take(MAX_READINGS)
            .collect();
    }
    out.retain(|r| !r.syllables.is_empty());
    out
}

/// Every key of one patient, deduplicated.
pub fn keys_for(p: &Searchable<'_>) -> Vec<SearchKey> {
    let mut keys: HashSet<SearchKey> = HashSet::new();
    let mut add_suffixes = |units: &[String], min_units: usize, start_rank: u8| {
        for start in 0..units.len() {
            if units.len() - start < min_units {
                break;
            }
            let key: String = units[start..].concat();
            if !key.is_empty() {
                let rank = if start == 0 { start_rank } else { RANK_INSIDE };
                keys.insert(SearchKey { rank, key });
            }
        }
    };

    let name = fold(p.name);
    // The name as written, from every character (any fragment of 张伟明; "li wei" and "wei").
    let chars: Vec<String> = name.chars().map(String::from).collect();
    let mut word_starts: Vec<String> = Vec::new();
    for (i, c) in name.char_indices() {
        let starts_word = i == 0 || name[..i].ends_with(' ');
        if starts_word && c != ' ' {
            word_starts.push(name[i..].to_string());
        }
    }
    add_suffixes(&chars, 1, RANK_START);
    for Reading {
        usual,
        syllables: readings,
    } in readings(&name)
    {
        let rank = if usual {
            RANK_START
        } else {
            RANK_OTHER_READING
        };
        // Full pinyin from each syllable: zhangweiming, weiming, ming.
        add_suffixes(&readings, 1, rank);
        // Initials: zwm, wm, m.
        let initials: Vec<String> = readings
            .iter()
            .map(|s| s.chars().next().map(String::from).unwrap_or_default())
            .collect();
        add_suffixes(&initials, 1, rank);
        // Surname in full, given name as initials: zhangwm.
        if readings.len() > 1 {
            let mixed = format!("{}{}", readings[0], initials[1..].concat());
            add_suffixes(&[mixed], 1, rank);
        }
    }
    for phone in p.phone.iter().chain(&p.other_phones) {
        let digits: Vec<String> = phone_digits(phone).chars().map(String::from).collect();
        add_suffixes(&digits, MIN_PHONE_DIGITS, RANK_START);
    }
    if let Some(id) = p.id_number {
        let id = fold(id).to_uppercase().replace(' ', "");
        if !id.is_empty() {
            // The whole number, and its last four as people read them out.
            let tail: String = id
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            keys.insert(SearchKey {
                rank: RANK_START,
                key: id.to_lowercase(),
            });
            keys.insert(SearchKey {
                rank: RANK_INSIDE,
                key: tail.to_lowercase(),
            });
        }
    }
    let mut keys: Vec<SearchKey> = keys.into_iter().collect();
    // A key made more than one way keeps its best rank.
    keys.sort_by(|a, b| a.key.cmp(&b.key).then(a.rank.cmp(&b.rank)));
    keys.dedup_by(|a, b| a.key == b.key);
    keys
}

/// The query as keys are written, or `None` when it cannot match anything (a number shorter
/// than [`MIN_PHONE_DIGITS`], say).
pub fn normalize_query(query: &str) -> Option<String> {
    let q = fold(query);
    if q.is_empty() {
        return None;
    }
    let phone_like = q
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'));
    if phone_like {
        let digits = phone_digits(&q);
        return (digits.len() >= MIN_PHONE_DIGITS).then_some(digits);
    }
    Some(q)
}

/// The smallest string greater than every string that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Replaces the keys of one patient: `old` is what they were found by until now (their
/// keys are recomputed and deleted), `new` what they are found by from now on.
pub fn index_patient(
    conn: &Connection,
    search_no: i64,
    old: Option<&Searchable<'_>>,
    new: &Searchable<'_>,
) -> Result<()> {
    if let Some(old) = old {
        let mut delete = conn.prepare_cached(
            "DELETE FROM patient_key WHERE rank = ?1 AND key = ?2 AND search_no = ?3",
        )?;
        for k in keys_for(old) {
            delete.execute(params![k.rank, k.key, search_no])?;
        }
    }
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO patient_key (rank, key, search_no) VALUES (?1, ?2, ?3)",
    )?;
    for k in keys_for(new) {
        insert.execute(params![k.rank, k.key, search_no])?;
    }
    Ok(())
}

/// Whether the file's keys were made the way this build makes them.
pub fn index_is_current(conn: &Connection) -> Result<bool> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'search_key_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(stored.and_then(|v| v.parse::<i64>().ok()) == Some(KEY_VERSION))
}

/// Rebuilds every key when the file's keys were made by another [`KEY_VERSION`].
pub fn ensure_index(conn: &Connection) -> Result<()> {
    if index_is_current(conn)? {
        return Ok(());
    }
    rebuild_index(conn)?;
    conn.execute(
        "INSERT INTO meta (name, value) VALUES ('search_key_version', ?1)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [KEY_VERSION.to_string()],
    )?;
    Ok(())
}

/// All keys from scratch.
pub fn rebuild_index(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM patient_key", [])?;
    let mut keys = KeyBuilder::new();
    {
        // Runs after every migration (db::migrate), so all columns exist.
        let sql = "SELECT search_no, name, phone, id_number,
                (SELECT group_concat(number, char(31)) FROM patient_phone WHERE patient_id = patient.id)
            FROM patient";
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let no: i64 = row.get(0)?;
            let name: String = row.get(1)?;
            let phone: Option<String> = row.get(2)?;
            let id_number: Option<String> = row.get(3)?;
            let others: Option<String> = row.get(4)?;
            let p = Searchable {
                name: &name,
                phone: phone.as_deref(),
                other_phones: others
                    .as_deref()
                    .map(|o| o.split('\u{1f}').collect())
                    .unwrap_or_default(),
                id_number: id_number.as_deref(),
            };
            keys.add(OwnedSearchable::new(no, &p));
        }
    }
    insert_sorted(conn, &keys.finish())
}

/// Patients whose keys of one rank start with a prefix, in key order.
#[doc(hidden)]
pub const FIND_SQL: &str = "SELECT k.search_no FROM patient_key k
     JOIN patient p ON p.search_no = k.search_no
     WHERE k.rank = ?1 AND k.key >= ?2 AND k.key < ?3 AND p.archived_at IS NULL
     ORDER BY k.key, k.search_no";

/// The `search_no` of active patients matching `query`: exact and prefix matches first (in
/// key order, so an exact match leads; the same key in order of registration), then matches
/// inside names and numbers.
pub fn find(conn: &Connection, query: &str, limit: usize) -> Result<Vec<i64>> {
    let Some(q) = normalize_query(query) else {
        return Ok(Vec::new());
    };
    let end = prefix_end(&q);
    let mut found: Vec<i64> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    for rank in [RANK_START, RANK_OTHER_READING, RANK_INSIDE] {
        // Index order, read lazily until `limit` patients are found: no sort and no LIMIT.
        // (A bound LIMIT after ORDER BY made SQLite re-plan the statement on every search,
        // a fifth of a search's time, and reading rows past `limit` touched more pages.)
        let mut stmt = conn.prepare_cached(FIND_SQL)?;
        let mut rows = stmt.query(params![rank, q, end])?;
        while let Some(row) = rows.next()? {
            let no: i64 = row.get(0)?;
            // A patient found by several keys is listed once.
            if seen.insert(no) {
                found.push(no);
                if found.len() == limit {
                    return Ok(found);
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
