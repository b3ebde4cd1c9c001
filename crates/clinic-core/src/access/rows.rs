//! Before and after of the rows an operation writes, for its audit entry. SQLite's
//! pre-update hook sees every insert, update and delete the operation's own statements make,
//! whatever the operation — a new kind of change cannot forget to say what it changed.
//! What triggers derive from them (a patient's visit count, the search keys, the caches)
//! is left out: it follows from the change itself.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use std::ffi::{c_char, c_int, c_void, CStr};

use rusqlite::{ffi, Connection, Transaction};
use serde_json::{json, Value};

/// Rows shown field by field in one entry; a bulk job (an import) counts the rest per table.
const MAX_ROWS: usize = 50;
/// A long text (a note, a template) is cut here in the log.
const MAX_TEXT: usize = 300;

/// Bookkeeping that follows from other rows, or is a log of its own: not recorded.
const NOT_RECORDED: &[&str] = &[
    "meta",
    "patient_key",
    "visit_digest",
    "visit_change",
    "fact_change",
    "audit_log",
    "audit_head",
    "backup_log",
    "erasure_in_progress",
    "anonymous_visit_total",
];

/// Clinical content: only who may view clinical details sees it in the log.
const CLINICAL_TABLES: &[&str] = &[
    "patient_condition",
    "patient_allergy",
    "patient_medication",
    "check_in_answer",
];
const CLINICAL_COLUMNS: &[(&str, &str)] = &[
    ("patient", "past_history"),
    ("patient", "family_history"),
    ("patient", "notes"),
    ("visit", "chief_complaint"),
    ("visit", "diagnosis"),
    ("visit", "treatment"),
];

/// A credential is never copied into the log, only that it changed.
fn secret(column: &str) -> bool {
    column.contains("password") || column.contains("hash") || column.contains("secret")
}

struct RawRow {
    table: String,
    op: &'static str,
    rowid: i64,
    /// (column number, before, after); before or after is Null for an insert or a delete.
    values: Vec<(i32, Value, Value)>,
}

#[derive(Default)]
struct Recorded {
    rows: Vec<RawRow>,
    /// Rows past `MAX_ROWS`, per table.
    more: BTreeMap<String, u64>,
}

/// One value the hook is shown, as JSON (a long text cut, a blob only its size).
///
/// # Safety
/// `value` is null or a valid `sqlite3_value` from the pre-update hook, read before it returns.
unsafe fn to_json(value: *mut ffi::sqlite3_value) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    // SAFETY: the caller's promise; SQLite owns the value until the hook returns.
    unsafe {
        match ffi::sqlite3_value_type(value) {
            ffi::SQLITE_INTEGER => json!(ffi::sqlite3_value_int64(value)),
            ffi::SQLITE_FLOAT => json!(ffi::sqlite3_value_double(value)),
            ffi::SQLITE_TEXT => {
                let text = ffi::sqlite3_value_text(value);
                let len = ffi::sqlite3_value_bytes(value).max(0) as usize;
                if text.is_null() {
                    return json!("");
                }
                let text = String::from_utf8_lossy(std::slice::from_raw_parts(text, len));
                if text.chars().count() > MAX_TEXT {
                    let cut: String = text.chars().take(MAX_TEXT).collect();
                    json!(format!("{cut}…"))
                } else {
                    json!(text)
                }
            }
            ffi::SQLITE_BLOB => json!(format!("({} bytes)", ffi::sqlite3_value_bytes(value))),
            _ => Value::Null,
        }
    }
}

/// SQLite calls this before each row it inserts, updates or deletes while the hook is set.
unsafe extern "C" fn before_row_write(
    context: *mut c_void,
    db: *mut ffi::sqlite3,
    op: c_int,
    schema: *const c_char,
    table: *const c_char,
    old_rowid: i64,
    new_rowid: i64,
) {
    // SAFETY: `context` is the `Mutex<Recorded>` the `RowRecorder` keeps alive while the
    // hook is set; the names are SQLite's NUL-terminated strings; the preupdate functions
    // are called only here, inside the hook, as SQLite requires.
    unsafe {
        let recorded = &*(context as *const Mutex<Recorded>);
        if CStr::from_ptr(schema).to_bytes() != b"main" || ffi::sqlite3_preupdate_depth(db) > 0 {
            return; // another database, or a trigger's own write
        }
        let table = String::from_utf8_lossy(CStr::from_ptr(table).to_bytes());
        if NOT_RECORDED.contains(&table.as_ref()) || table.starts_with("sqlite_") {
            return;
        }
        let (op, rowid) = match op {
            ffi::SQLITE_INSERT => ("insert", new_rowid),
            ffi::SQLITE_DELETE => ("delete", old_rowid),
            ffi::SQLITE_UPDATE => ("update", old_rowid),
            _ => return,
        };
        let mut recorded = recorded.lock().unwrap_or_else(|e| e.into_inner());
        if recorded.rows.len() >= MAX_ROWS {
            // A bulk job passes here once per row: allocate only for a table not yet counted.
            match recorded.more.get_mut(table.as_ref()) {
                Some(count) => *count += 1,
                None => {
                    recorded.more.insert(table.into_owned(), 1);
                }
            }
            return;
        }
        let mut values = Vec::new();
        for i in 0..ffi::sqlite3_preupdate_count(db) {
            let mut old = std::ptr::null_mut();
            let mut new = std::ptr::null_mut();
            let before = if op == "insert" || ffi::sqlite3_preupdate_old(db, i, &mut old) != 0 {
                Value::Null
            } else {
                to_json(old)
            };
            let after = if op == "delete" || ffi::sqlite3_preupdate_new(db, i, &mut new) != 0 {
                Value::Null
            } else {
                to_json(new)
            };
            // Column 0 (the row's id in every table here) stays, to say which row it was.
            if i == 0 || before != after {
                values.push((i, before, after));
            }
        }
        recorded.rows.push(RawRow {
            table: table.into_owned(),
            op,
            rowid,
            values,
        });
    }
}

/// Two versions of a JSON document kept in one text column: each top-level key that
/// differs, `[before, after]`; `None` when either side is not a JSON object.
fn changed_keys(before: &Value, after: &Value) -> Option<Vec<(String, Value)>> {
    let parse = |v: &Value| match v {
        Value::Null => Some(serde_json::Map::new()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
        _ => None,
    };
    if before.is_null() && after.is_null() {
        return None;
    }
    let (old, new) = (parse(before)?, parse(after)?);
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    Some(
        keys.into_iter()
            .filter(|k| old.get(*k) != new.get(*k))
            .map(|k| {
                let pick =
                    |m: &serde_json::Map<String, Value>| m.get(k).cloned().unwrap_or(Value::Null);
                (k.clone(), json!([pick(&old), pick(&new)]))
            })
            .collect(),
    )
}

/// Records the rows written on a connection from `start` until it is dropped.
pub(crate) struct RowRecorder {
    db: *mut ffi::sqlite3,
    recorded: Arc<Mutex<Recorded>>,
}

impl RowRecorder {
    /// `conn` must outlive the recorder (the hook is taken away when it is dropped).
    pub(crate) fn start(conn: &Connection) -> RowRecorder {
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        // SAFETY: the handle is `conn`'s own; the context stays alive in `recorded` until
        // `drop` takes the hook away again.
        let db = unsafe { conn.handle() };
        unsafe {
            ffi::sqlite3_preupdate_hook(
                db,
                Some(before_row_write),
                Arc::as_ptr(&recorded) as *mut c_void,
            );
        }
        RowRecorder { db, recorded }
    }

    /// Puts what was written so far into the audit entry's `detail`: `rows` (and
    /// `rowsNotShown`, per table), with the columns' names read from the schema.
    pub(crate) fn add_to(&self, tx: &Transaction<'_>, detail: &mut Value) -> rusqlite::Result<()> {
        let recorded =
            std::mem::take(&mut *self.recorded.lock().unwrap_or_else(|e| e.into_inner()));
        if recorded.rows.is_empty() && recorded.more.is_empty() {
            return Ok(());
        }
        let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut rows = Vec::new();
        for row in recorded.rows {
            if !names.contains_key(&row.table) {
                let mut stmt = tx.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
                let columns = stmt
                    .query_map([&row.table], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                names.insert(row.table.clone(), columns);
            }
            let columns = &names[&row.table];
            let mut key = json!(row.rowid);
            let mut fields = serde_json::Map::new();
            for (i, before, after) in row.values {
                let name = columns
                    .get(i as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("column {i}"));
                if i == 0 {
                    let id = if after.is_null() { &before } else { &after };
                    if !id.is_null() {
                        key = id.clone();
                    }
                    // It names the row; only a changed id is a field.
                    if before == after || row.op != "update" {
                        continue;
                    }
                }
                if secret(&name) {
                    fields.insert(name, json!(["…", "(changed)"]));
                } else if let Some(keys) = changed_keys(&before, &after) {
                    // Settings kept as one JSON document: the keys that changed.
                    for (key, pair) in keys {
                        fields.insert(format!("{name}.{key}"), pair);
                    }
                } else {
                    fields.insert(name, json!([before, after]));
                }
            }
            rows.push(json!({ "table": row.table, "op": row.op, "key": key, "fields": fields }));
        }
        detail["rows"] = Value::Array(rows);
        if !recorded.more.is_empty() {
            detail["rowsNotShown"] = json!(recorded.more);
        }
        Ok(())
    }
}

impl Drop for RowRecorder {
    fn drop(&mut self) {
        // SAFETY: the connection is still open (see `start`); no hook runs after this.
        unsafe {
            ffi::sqlite3_preupdate_hook(self.db, None, std::ptr::null_mut());
        }
    }
}

/// An audit entry's detail as someone without `view-clinical` may read it: the clinical
/// fields of recorded rows (and of a correction's `changes`) left out.
pub(crate) fn redact_clinical(detail: &mut Value, clinical_changes: &[&str]) {
    if let Some(changes) = detail.get_mut("changes").and_then(Value::as_object_mut) {
        changes.retain(|k, _| !clinical_changes.contains(&k.as_str()));
    }
    if let Some(rows) = detail.get_mut("rows").and_then(Value::as_array_mut) {
        rows.retain(|row| !CLINICAL_TABLES.contains(&row["table"].as_str().unwrap_or("")));
        for row in rows.iter_mut() {
            let table = row["table"].as_str().unwrap_or("").to_string();
            if let Some(fields) = row.get_mut("fields").and_then(Value::as_object_mut) {
                fields.retain(|column, _| {
                    !CLINICAL_COLUMNS.contains(&(table.as_str(), column.as_str()))
                });
            }
        }
    }
}
