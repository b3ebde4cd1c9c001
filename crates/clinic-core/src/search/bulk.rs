//! Search keys for many patients at once (an import, a rebuild): made on a thread of their
//! own while rows are read, sorted, and written in key order.

use rusqlite::Connection;

use super::{keys_for, Searchable};
use crate::error::Result;

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

#[cfg(test)]
mod tests {
    use super::*;

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
