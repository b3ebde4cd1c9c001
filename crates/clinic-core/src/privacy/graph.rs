//! The schema's foreign keys, followed from a patient's record to every row that belongs to
//! them: what an access export reads and what a purge removes.

use std::collections::BTreeMap;

use rusqlite::types::ValueRef;
use rusqlite::Transaction;

use crate::error::Result;

/// A foreign key: `table.column` refers to `parent.parent_column`.
pub(super) struct Reference {
    pub(super) table: String,
    pub(super) column: String,
    pub(super) parent_column: String,
    pub(super) not_null: bool,
}

impl Reference {
    /// Whether the referring rows belong to the parent's owner: only what hangs off a
    /// patient's own rows (their visits, a check-in answer on a visit), never other patients'
    /// records that merely point at them (referred by).
    pub(super) fn owned(&self) -> bool {
        (self.not_null || self.column == "patient_id") && self.table != "patient"
    }
}

/// Every column in the schema that refers to `parent`.
pub(super) fn references_to(tx: &Transaction<'_>, parent: &str) -> Result<Vec<Reference>> {
    let mut stmt = tx.prepare(
        "SELECT m.name, f.\"from\", coalesce(f.\"to\", 'rowid'), c.\"notnull\"
         FROM sqlite_master m
         JOIN pragma_foreign_key_list(m.name) f
         JOIN pragma_table_info(m.name) c ON c.name = f.\"from\"
         WHERE m.type = 'table' AND f.\"table\" = ?1
         ORDER BY m.name, f.\"from\"",
    )?;
    let rows = stmt.query_map([parent], |r| {
        Ok(Reference {
            table: r.get(0)?,
            column: r.get(1)?,
            parent_column: r.get(2)?,
            not_null: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).expect("strings serialise")
}

/// Rows of `table` whose `column` is one of `values`, as column → value.
pub(super) fn rows_of(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    values: &[String],
) -> Result<Vec<BTreeMap<String, serde_json::Value>>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT * FROM \"{table}\" WHERE \"{column}\" IN (SELECT value FROM json_each(?1))"
    ))?;
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut rows = stmt.query([json_list(values)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            let v = match r.get_ref(i)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(x) => x.into(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                ValueRef::Blob(b) => format!("({} bytes)", b.len()).into(),
            };
            row.insert(name.clone(), v);
        }
        out.push(row);
    }
    Ok(out)
}

pub(super) fn column_values(
    tx: &Transaction<'_>,
    table: &str,
    wanted: &str,
    column: &str,
    values: &[String],
) -> Result<Vec<String>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT CAST(\"{wanted}\" AS TEXT) FROM \"{table}\"
         WHERE \"{column}\" IN (SELECT value FROM json_each(?1))"
    ))?;
    let rows = stmt.query_map([json_list(values)], |r| r.get::<_, Option<String>>(0))?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}
