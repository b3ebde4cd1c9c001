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

/// What a new patient is found by, owned, so it can travel to the key thread.
pub struct OwnedSearchable {
    pub search_no: i64,
    pub name: String,
    pub phones: Vec<String>,
    pub id_number: Option<String>,
}

impl OwnedSearchable {
    pub fn new(search_no: i64, p: &Searchable<'_>) -> Self {
        OwnedSearchable {
            search_no,
            name: p.name.to_string(),
            phones: p
                .phone
                .iter()
                .chain(&p.other_phones)
                .map(|s| s.to_string())
                .collect(),
            id_number: p.id_number.map(str::to_string),
        }
    }

    fn keys(&self) -> impl Iterator<Item = KeyRow> {
        let no = self.search_no;
        keys_for(&Searchable {
            name: &self.name,
            phone: self.phones.first().map(String::as_str),
            other_phones: self.phones.iter().skip(1).map(String::as_str).collect(),
            id_number: self.id_number.as_deref(),
        })
        .into_iter()
        .map(move |k| (k.rank, k.key, no))
    }
}

/// One row of `patient_key`: (rank, key, search_no).
pub type KeyRow = (u8, String, i64);

/// The search keys of many new patients, written in key order at the end. A few patients
/// are keyed here; past [`KeyBuilder::BATCH`] the keys are made, sorted and merged on a
/// second thread while this one writes the patient rows (making and sorting keys was a
/// third of a 100k import).
pub struct KeyBuilder {
    pending: Vec<OwnedSearchable>,
    worker: Option<KeyWorker>,
}

struct KeyWorker {
    send: std::sync::mpsc::Sender<Vec<OwnedSearchable>>,
    done: std::thread::JoinHandle<Vec<KeyRow>>,
}

impl Default for KeyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyBuilder {
    /// Patients per hand-over to the key thread.
    const BATCH: usize = 2048;

    pub fn new() -> Self {
        KeyBuilder {
            pending: Vec::new(),
            worker: None,
        }
    }

    pub fn add(&mut self, patient: OwnedSearchable) {
        self.pending.push(patient);
        if self.pending.len() == Self::BATCH {
            self.hand_over();
        }
    }

    fn hand_over(&mut self) {
        let batch = std::mem::take(&mut self.pending);
        let worker = self.worker.get_or_insert_with(KeyWorker::start);
        if let Err(returned) = worker.send.send(batch) {
            // The thread is gone (it can only have panicked): key them here instead.
            self.pending = returned.0;
        }
    }

    /// Every key, sorted.
    pub fn finish(mut self) -> Vec<KeyRow> {
        if self.worker.is_some() && !self.pending.is_empty() {
            self.hand_over();
        }
        let mut runs = Runs::default();
        if let Some(KeyWorker { send, done }) = self.worker {
            drop(send);
            // A panic on the key thread is a bug; let it surface here.
            runs.push(done.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        runs.push(sorted_keys(&self.pending));
        runs.into_sorted()
    }
}

fn sorted_keys(patients: &[OwnedSearchable]) -> Vec<KeyRow> {
    let mut run: Vec<KeyRow> = patients.iter().flat_map(OwnedSearchable::keys).collect();
    run.sort_unstable();
    run
}

impl KeyWorker {
    fn start() -> Self {
        let (send, receive) = std::sync::mpsc::channel::<Vec<OwnedSearchable>>();
        let done = std::thread::spawn(move || {
            let mut runs = Runs::default();
            for batch in receive {
                runs.push(sorted_keys(&batch));
            }
            runs.into_sorted()
        });
        KeyWorker { send, done }
    }
}

/// Sorted runs of keys, merged as they come in whenever the newest is about as long as the
/// one before it (like a binary counter): each key is moved about log₂(runs) times, and
/// what is left to merge at the end is a few runs, mostly one long one.
#[derive(Default)]
struct Runs(Vec<Vec<KeyRow>>);

impl Runs {
    fn push(&mut self, run: Vec<KeyRow>) {
        self.0.push(run);
        while let [.., before, last] = self.0.as_slice() {
            if before.len() > last.len() * 2 {
                break;
            }
            self.merge_last_two();
        }
    }

    fn merge_last_two(&mut self) {
        let (Some(last), Some(before)) = (self.0.pop(), self.0.pop()) else {
            unreachable!("called with two runs or more")
        };
        self.0.push(merge(before, last));
    }

    fn into_sorted(mut self) -> Vec<KeyRow> {
        while self.0.len() > 1 {
            self.merge_last_two();
        }
        self.0.pop().unwrap_or_default()
    }
}

/// Two sorted runs as one.
fn merge(a: Vec<KeyRow>, b: Vec<KeyRow>) -> Vec<KeyRow> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x <= y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

/// Inserts many keys in key order: B-tree appends, several times faster than at random.
/// Rows go in `BATCH` at a time, in one statement: the per-statement cost (step, reset,
/// statement journal) was most of the time per key, not the B-tree.
pub fn insert_sorted(conn: &Connection, keys: &[KeyRow]) -> Result<()> {
    const BATCH: usize = 256;
    debug_assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    let sql = |n: usize| {
        let rows: Vec<String> = (0..n)
            .map(|i| format!("(?{}, ?{}, ?{})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        format!(
            "INSERT INTO patient_key (rank, key, search_no) VALUES {}",
            rows.join(", ")
        )
    };
    let full = sql(BATCH);
    for chunk in keys.chunks(BATCH) {
        let mut stmt = if chunk.len() == BATCH {
            conn.prepare_cached(&full)?
        } else {
            conn.prepare_cached(&sql(chunk.len()))?
        };
        for (i, (rank, key, no)) in chunk.iter().enumerate() {
            stmt.raw_bind_parameter(3 * i + 1, rank)?;
            stmt.raw_bind_parameter(3 * i + 2, key)?;
            stmt.raw_bind_parameter(3 * i + 3, no)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
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
mod tests {
    use super::*;

    fn keys(name: &str, phone: &[&str]) -> Vec<String> {
        keys_for(&Searchable {
            name,
            phone: phone.first().copied(),
            other_phones: phone.iter().skip(1).copied().collect(),
            id_number: None,
        })
        .into_iter()
        .map(|k| format!("{}{}", ["=", "≈", "~"][k.rank as usize], k.key))
        .collect()
    }

    fn has(keys: &[String], k: &str) -> bool {
        keys.iter().any(|x| x == k)
    }

    #[test]
    fn chinese_name_keys() {
        let k = keys("张伟明", &[]);
        for want in [
            "=张伟明",
            "~伟明",
            "~明",
            "=zhangweiming",
            "~weiming",
            "=zwm",
            "~wm",
            "=zhangwm",
        ] {
            assert!(has(&k, want), "{want} missing from {k:?}");
        }
    }

    #[test]
    fn traditional_characters_have_the_same_pinyin() {
        let k = keys("張偉明", &[]);
        assert!(has(&k, "=zhangweiming") && has(&k, "=zwm"), "{k:?}");
    }

    #[test]
    fn surname_heteronyms_are_indexed() {
        // 单 is "shan" as a surname, 曾 is "zeng".
        assert!(has(&keys("单田芳", &[]), "≈shantianfang"));
        assert!(has(&keys("曾志伟", &[]), "≈zengzhiwei"));
        // ü: both spellings are the usual reading.
        assert!(has(&keys("吕布", &[]), "=lvbu") && has(&keys("吕布", &[]), "=lubu"));
    }

    #[test]
    fn latin_names_by_word_and_initials() {
        let k = keys("Li Wei", &[]);
        for want in ["=li wei", "=liwei", "~wei", "=lw"] {
            assert!(has(&k, want), "{want} missing from {k:?}");
        }
    }

    #[test]
    fn phones_by_any_fragment_of_four_digits() {
        let k = keys("x", &["+86 138-1234-5678"]);
        assert!(has(&k, "=13812345678"));
        assert!(has(&k, "~5678"));
        assert!(!k.iter().any(|x| x.ends_with("~678")));
        assert_eq!(phone_digits("+886 912 345 678"), "0912345678");
        assert_eq!(phone_digits("02-2345-6789"), "0223456789");
        assert_eq!(phone_digits("１３８１２３４５６７８"), "13812345678");
    }

    #[test]
    fn queries() {
        assert_eq!(normalize_query("  ZWM "), Some("zwm".into()));
        assert_eq!(normalize_query("567"), None);
        assert_eq!(normalize_query("5678"), Some("5678".into()));
        assert_eq!(normalize_query("138 1234"), Some("1381234".into()));
        assert_eq!(normalize_query("Li  Wei"), Some("li wei".into()));
        assert_eq!(normalize_query(""), None);
    }

    /// Keys of `count` made-up patients, every one the slow obvious way, in key order.
    fn people(count: usize) -> Vec<OwnedSearchable> {
        let given: Vec<char> = "伟芳娜敏静丽强磊军洋".chars().collect();
        (0..count)
            .map(|i| OwnedSearchable {
                search_no: i as i64 + 1,
                name: format!("{}{}", ["王", "陳", "Li"][i % 3], given[(i / 3) % 10]),
                phones: vec![format!("139{:08}", (i * 7919) % 100_000_000)],
                id_number: (i % 5 == 0).then(|| format!("A1{:08}", i)),
            })
            .collect()
    }

    #[test]
    fn many_patients_keyed_on_the_second_thread_come_out_in_order() {
        // Sizes around the batch: none handed over, exactly one batch, several plus a rest.
        for count in [10, KeyBuilder::BATCH, KeyBuilder::BATCH * 5 + 77] {
            let patients = people(count);
            let mut expected: Vec<KeyRow> =
                patients.iter().flat_map(OwnedSearchable::keys).collect();
            expected.sort();
            let mut builder = KeyBuilder::new();
            for p in patients {
                builder.add(p);
            }
            assert_eq!(builder.finish(), expected, "{count} patients");
        }
    }

    #[test]
    fn runs_merge_into_one_sorted_run() {
        let row = |k: &str, n: i64| (0u8, k.to_string(), n);
        let mut runs = Runs::default();
        runs.push(vec![row("b", 1), row("d", 1)]);
        runs.push(vec![row("a", 2), row("e", 2)]);
        runs.push(vec![]);
        runs.push(vec![row("c", 3)]);
        assert_eq!(
            runs.into_sorted(),
            vec![
                row("a", 2),
                row("b", 1),
                row("c", 3),
                row("d", 1),
                row("e", 2)
            ]
        );
    }
}
