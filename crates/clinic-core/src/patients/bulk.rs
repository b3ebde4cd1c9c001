//! New patients in batches: one path for a single registration and a 100k-row import.

use rusqlite::types::Value;
use rusqlite::Transaction;
use uuid::Uuid;

use super::profile::Lists;
use super::PatientRecord;
use crate::error::Result;
use crate::search::{self, KeyBuilder, OwnedSearchable};

/// New patients written in batches: rows several to a statement, search keys sorted at
/// the end. A statement per row (and a search number looked up per row) was most of the
/// time of a large import; an import of 100k patients is one `BulkInsert`.
pub(crate) struct BulkInsert {
    /// Column names (the same for every row) and the rows not yet written.
    names: Vec<String>,
    rows: Vec<Vec<Value>>,
    keys: KeyBuilder,
    /// The INSERT for a full batch, made once.
    full_sql: Option<String>,
    next_no: i64,
}

impl BulkInsert {
    /// Rows per INSERT: 40 columns × 24 rows stays well under SQLite's parameter limit.
    const ROWS: usize = 24;

    pub(crate) fn new(tx: &Transaction<'_>) -> Result<Self> {
        let next_no = tx
            .prepare_cached("SELECT coalesce(max(search_no), 0) + 1 FROM patient")?
            .query_row([], |r| r.get(0))?;
        Ok(BulkInsert {
            names: Vec::new(),
            rows: Vec::new(),
            keys: KeyBuilder::new(),
            full_sql: None,
            next_no,
        })
    }

    pub(crate) fn add(
        &mut self,
        tx: &Transaction<'_>,
        record: &PatientRecord,
        external_id: Option<&str>,
    ) -> Result<Uuid> {
        // Time-ordered (UUID v7): new rows append to the primary-key index instead of
        // landing at random pages of it.
        let id = Uuid::now_v7();
        record.check_referrer(tx, id)?;
        let no = self.next_no;
        self.next_no += 1;
        let columns = record.new_row(id, external_id, no);
        if self.names.is_empty() {
            self.names = columns.iter().map(|(n, _)| n.clone()).collect();
        }
        self.rows
            .push(columns.into_iter().map(|(_, v)| v).collect());
        self.keys
            .add(OwnedSearchable::new(no, &record.searchable()));
        let has_lists = record.lists != Lists::default();
        // Lists refer to the patient row: write it first. A referrer may be earlier in the file.
        if has_lists || self.rows.len() == Self::ROWS || record.referred_by.is_some() {
            self.flush(tx)?;
        }
        if has_lists {
            record.lists.save(tx, &id.to_string(), false)?;
        }
        Ok(id)
    }

    fn flush(&mut self, tx: &Transaction<'_>) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let n = self.rows.len();
        if n == Self::ROWS && self.full_sql.is_none() {
            self.full_sql = Some(self.insert_sql(n));
        }
        let sql = match &self.full_sql {
            Some(sql) if n == Self::ROWS => sql.clone(),
            _ => self.insert_sql(n),
        };
        tx.prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(self.rows.drain(..).flatten()))?;
        Ok(())
    }

    /// `INSERT INTO patient (…) VALUES (?1, …), …` for `rows` rows.
    fn insert_sql(&self, rows: usize) -> String {
        let width = self.names.len();
        let groups: Vec<String> = (0..rows)
            .map(|r| {
                let marks: Vec<String> =
                    (1..=width).map(|c| format!("?{}", r * width + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        format!(
            "INSERT INTO patient ({}) VALUES {}",
            self.names.join(", "),
            groups.join(", ")
        )
    }

    /// Writes what is left, then every search key in key order.
    pub(crate) fn finish(mut self, tx: &Transaction<'_>) -> Result<()> {
        self.flush(tx)?;
        let keys = std::mem::take(&mut self.keys).finish();
        search::insert_sorted(tx, &keys)
    }
}
