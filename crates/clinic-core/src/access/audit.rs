//! The audit log: who did what, when, to which patient — appended by `Clinic::execute` for
//! every change, every read of a patient's record, every export, print, backup, sign-in
//! and staff change, and for every refusal. Tamper-evident: each entry's hash covers the
//! previous entry's hash and its own fields, and `audit_head` holds the last link, so
//! `VerifyAudit` finds an edited, removed or cut-off entry. (Anyone holding the database
//! key could rewrite the whole chain; the chain catches edits that do not.)

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::{Action, Actor};
use crate::clinic::Operation;
use crate::error::Result;
use crate::patients::now_text;

/// The link before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub seq: i64,
    /// UTC, RFC 3339.
    pub at: String,
    pub staff: String,
    pub role: String,
    /// What was done (`patient-write`, `sign-in`, `denied:patient-export`, …).
    pub action: String,
    pub patient_id: Option<String>,
    /// What exactly (the operation, the fields changed), as JSON.
    pub detail: String,
    /// The patient's name today, for reading the log (not part of the entry: a purged
    /// patient's entries keep only their id).
    pub patient_name: Option<String>,
}

fn link(prev: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &e.seq.to_string(),
        &e.at,
        &e.staff,
        &e.role,
        &e.action,
        e.patient_id.as_deref().unwrap_or(""),
        &e.detail,
    ] {
        h.update(part.as_bytes());
        // A separator no field contains, so that moving text between fields changes the hash.
        h.update([0x1f]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The kebab-case name of an action, as the log and its filters write it.
pub fn action_code(action: Action) -> String {
    let name = format!("{action:?}");
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Appends one entry, chained to the last, in `tx` (it commits or rolls back with the
/// change it records).
pub(crate) fn append(
    tx: &Transaction<'_>,
    by: &Actor,
    action: &str,
    patient_id: Option<&str>,
    detail: &str,
) -> Result<()> {
    let (last_seq, prev): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .unwrap_or((0, GENESIS.to_string()));
    let entry = AuditEntry {
        seq: last_seq + 1,
        at: now_text(),
        staff: by.name.clone(),
        role: by.role_name.clone(),
        action: action.to_string(),
        patient_id: patient_id.map(str::to_string),
        detail: detail.to_string(),
        patient_name: None,
    };
    let hash = link(&prev, &entry);
    tx.execute(
        "INSERT INTO audit_log (seq, at, staff, role, action, patient_id, detail, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            entry.seq,
            entry.at,
            entry.staff,
            entry.role,
            entry.action,
            entry.patient_id,
            entry.detail,
            hash
        ],
    )?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![entry.seq, hash],
    )?;
    Ok(())
}

/// An entry from `seq, at, staff, role, action, patient_id, detail` (no name).
fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        staff: r.get(2)?,
        role: r.get(3)?,
        action: r.get(4)?,
        patient_id: r.get(5)?,
        detail: r.get(6)?,
        patient_name: None,
    })
}

/// The log, newest first, filtered.
#[derive(Debug, Clone, Default)]
pub struct ListAudit {
    pub patient_id: Option<String>,
    pub staff: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: u32,
}

impl Operation for ListAudit {
    type Output = Vec<AuditEntry>;
    fn action(&self) -> Action {
        Action::AuditRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<AuditEntry>> {
        let clinical = by.may(super::Permission::ViewClinical);
        let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let mut stmt = tx.prepare(
            "SELECT a.seq, a.at, a.staff, a.role, a.action, a.patient_id, a.detail, p.name
             FROM audit_log a LEFT JOIN patient p ON p.id = a.patient_id
             WHERE (?1 IS NULL OR a.patient_id = ?1)
               AND (?2 IS NULL OR a.staff = ?2 COLLATE NOCASE)
               AND (?3 IS NULL OR a.action = ?3 OR a.action LIKE ?3 || ':%')
               AND (?4 IS NULL OR substr(a.at, 1, 10) >= ?4)
               AND (?5 IS NULL OR substr(a.at, 1, 10) <= ?5)
             ORDER BY a.seq DESC LIMIT ?6",
        )?;
        let rows = stmt.query_map(
            params![
                clean(self.patient_id),
                clean(self.staff),
                clean(self.action),
                self.from.map(|d| d.to_string()),
                self.to.map(|d| d.to_string()),
                if self.limit == 0 { 500 } else { self.limit }
            ],
            |r| {
                Ok(AuditEntry {
                    patient_name: r.get(7)?,
                    ..entry_from_row(r)?
                })
            },
        )?;
        let mut entries: Vec<AuditEntry> = rows.collect::<rusqlite::Result<_>>()?;
        if !clinical {
            // A log reader who may not see clinical details does not read them here either.
            for entry in &mut entries {
                if let Ok(mut detail) = serde_json::from_str::<serde_json::Value>(&entry.detail) {
                    super::rows::redact_clinical(&mut detail, crate::patients::history::CLINICAL);
                    entry.detail = detail.to_string();
                }
            }
        }
        Ok(entries)
    }
}

/// Entries as CSV (UTF-8 with a BOM, so that Excel reads the Chinese names), for
/// handing the log to an auditor.
pub fn to_csv(entries: &[AuditEntry]) -> Result<String> {
    let err = |e: String| crate::error::ClinicError::new(crate::error::ErrorCode::Storage, e);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "seq",
        "at",
        "staff",
        "role",
        "action",
        "patientId",
        "patient",
        "detail",
    ])
    .map_err(|e| err(e.to_string()))?;
    for e in entries {
        w.write_record([
            e.seq.to_string().as_str(),
            &e.at,
            &e.staff,
            &e.role,
            &e.action,
            e.patient_id.as_deref().unwrap_or(""),
            e.patient_name.as_deref().unwrap_or(""),
            &e.detail,
        ])
        .map_err(|e| err(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| err(e.to_string()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditVerdict {
    #[ts(type = "number")]
    pub entries: u64,
    pub intact: bool,
    /// The first entry whose link does not hold (or where one is missing).
    #[ts(type = "number | null")]
    pub first_broken: Option<i64>,
    pub problem: Option<String>,
}

/// Walks the chain from the first entry.
pub struct VerifyAudit;

impl Operation for VerifyAudit {
    type Output = AuditVerdict;
    fn action(&self) -> Action {
        Action::AuditRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<AuditVerdict> {
        let mut stmt = tx.prepare(
            "SELECT seq, at, staff, role, action, patient_id, detail, hash FROM audit_log
             ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_string();
        let mut expected = 1i64;
        let mut entries = 0u64;
        let broken = |seq: i64, problem: String, entries: u64| AuditVerdict {
            entries,
            intact: false,
            first_broken: Some(seq),
            problem: Some(problem),
        };
        while let Some(r) = rows.next()? {
            let e = entry_from_row(r)?;
            let stored: String = r.get(7)?;
            entries += 1;
            if e.seq != expected {
                return Ok(broken(
                    expected,
                    format!("entry {expected} is missing (the next one is {})", e.seq),
                    entries,
                ));
            }
            if link(&prev, &e) != stored {
                return Ok(broken(
                    e.seq,
                    format!("entry {} was changed after it was written", e.seq),
                    entries,
                ));
            }
            prev = stored;
            expected += 1;
        }
        let head: Option<(i64, String)> = tx
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((seq, hash)) = head {
            if seq != expected - 1 || hash != prev {
                return Ok(broken(
                    expected,
                    format!(
                        "the log ends at entry {} but was written up to {seq}",
                        expected - 1
                    ),
                    entries,
                ));
            }
        }
        Ok(AuditVerdict {
            entries,
            intact: true,
            first_broken: None,
            problem: None,
        })
    }
}
