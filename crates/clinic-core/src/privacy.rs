//! Patients' privacy rights: everything held about a patient, as JSON and as a readable
//! PDF (access); an erasure request carried out within the law on keeping clinical
//! records (restriction, then a full purge once the retention period has passed); and the
//! settings behind them, with a safe default per jurisdiction.
//!
//! "Everything held" and "everything removed" follow the schema's own foreign keys rather
//! than a list kept by hand, so a table added later is neither left out of an access
//! export nor left behind by a purge.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::handouts::pdf::Paper;
use crate::handouts::template::Block;
use crate::loyalty::Jurisdiction;
use crate::patients::{now_text, Language};
use crate::settings::{load_json, save_json};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct PrivacySettings {
    /// Decides the legal minimum for keeping clinical records; when not set, the loyalty
    /// programme's jurisdiction is used.
    pub jurisdiction: Option<Jurisdiction>,
    /// Years clinical records are kept after the last visit; the jurisdiction's minimum
    /// when not set (15 mainland China, 7 Taiwan, 15 elsewhere to be safe).
    pub retention_years: Option<u32>,
    /// The front desk sees phone numbers masked (`0912***678`) and no clinical notes.
    pub mask_for_front_desk: bool,
    /// Lock the window after this many idle minutes (0: never).
    pub auto_lock_minutes: u32,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            jurisdiction: None,
            retention_years: None,
            mask_for_front_desk: true,
            auto_lock_minutes: 5,
        }
    }
}

/// The least a jurisdiction allows: mainland China keeps outpatient records at least 15
/// years after the last visit (医疗机构病历管理规定), Taiwan at least 7 (醫療法 art. 70).
pub fn legal_minimum_years(j: Option<Jurisdiction>) -> u32 {
    match j {
        Some(Jurisdiction::Taiwan) => 7,
        Some(Jurisdiction::MainlandChina) | Some(Jurisdiction::Other) | None => 15,
    }
}

impl PrivacySettings {
    pub(crate) fn load(tx: &Transaction<'_>) -> Result<PrivacySettings> {
        let mut s: PrivacySettings = load_json(tx, "privacy_setting", "value")?;
        if s.jurisdiction.is_none() {
            s.jurisdiction = crate::loyalty::settings(tx)?.jurisdiction;
        }
        Ok(s)
    }

    pub fn effective_retention_years(&self) -> u32 {
        self.retention_years
            .unwrap_or_else(|| legal_minimum_years(self.jurisdiction))
    }
}

pub struct GetPrivacySettings;

impl Operation for GetPrivacySettings {
    type Output = PrivacySettings;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<PrivacySettings> {
        PrivacySettings::load(tx)
    }
}

pub struct SavePrivacySettings(pub PrivacySettings);

impl Operation for SavePrivacySettings {
    type Output = PrivacySettings;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<PrivacySettings> {
        let s = self.0;
        let least = legal_minimum_years(s.jurisdiction);
        if let Some(years) = s.retention_years {
            if years < least || years > 100 {
                return Err(ClinicError::validation(
                    "retentionYears",
                    ValidationRule::OutOfRange,
                    format!("between {least} (the legal minimum here) and 100 years"),
                ));
            }
        }
        save_json(tx, "privacy_setting", "value", &s)?;
        PrivacySettings::load(tx)
    }
}

/// A foreign key: `table.column` refers to `parent.parent_column`.
struct Reference {
    table: String,
    column: String,
    parent_column: String,
    not_null: bool,
}

/// Every column in the schema that refers to `parent`.
fn references_to(tx: &Transaction<'_>, parent: &str) -> Result<Vec<Reference>> {
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

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).expect("strings serialise")
}

/// Rows of `table` whose `column` is one of `values`, as column → value.
fn rows_of(
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

fn column_values(
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

/// One kind of record held about the patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DataSection {
    /// The table it comes from (`visit`, `consent`, `points_entry`, …).
    pub table: String,
    #[ts(type = "Array<Record<string, unknown>>")]
    pub rows: Vec<BTreeMap<String, serde_json::Value>>,
}

/// Everything the clinic holds about one patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PatientData {
    pub patient_id: String,
    pub name: String,
    pub exported_at: String,
    pub sections: Vec<DataSection>,
}

/// Tables derived from others (search keys, packed copies, change logs): nothing in them
/// that is not in the sections already.
const DERIVED: &[&str] = &["visit_digest", "visit_change", "patient_key"];

/// Collects `table`'s rows where `column` is in `values`, then (for rows the patient owns)
/// the rows that belong to those.
fn collect(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    values: &[String],
    out: &mut BTreeMap<String, Vec<BTreeMap<String, serde_json::Value>>>,
) -> Result<()> {
    if values.is_empty() || DERIVED.contains(&table) {
        return Ok(());
    }
    let rows = rows_of(tx, table, column, values)?;
    if rows.is_empty() {
        return Ok(());
    }
    // Reached along two paths (a voucher by its patient and by its points entry): once.
    let held = out.entry(table.to_string()).or_default();
    for row in rows {
        if !held.contains(&row) {
            held.push(row);
        }
    }
    for r in references_to(tx, table)? {
        // Only what hangs off the patient's own rows (their visits, a check-in answer on
        // a visit), never other patients' records that merely point at them (referred by).
        if (r.not_null || r.column == "patient_id") && r.table != "patient" {
            let keys = column_values(tx, table, &r.parent_column, column, values)?;
            collect(tx, &r.table, &r.column, &keys, out)?;
        }
    }
    Ok(())
}

/// Everything held about a patient (the access right): their record, and every row in
/// every table that belongs to them, with the audit trail of who looked at or changed it.
pub struct ExportPatientData {
    pub patient_id: Uuid,
}

impl Operation for ExportPatientData {
    type Output = PatientData;
    fn action(&self) -> Action {
        Action::PatientExport
    }
    fn patient(&self) -> Option<String> {
        Some(self.patient_id.to_string())
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<PatientData> {
        let id = self.patient_id.to_string();
        let name: String = tx
            .query_row("SELECT name FROM patient WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| ClinicError::not_found("patient", &id))?;
        let ids = vec![id.clone()];
        let mut all = BTreeMap::new();
        collect(tx, "patient", "id", &ids, &mut all)?;
        // Who read or changed the record (no foreign key: the log outlives records).
        all.insert(
            "audit_log".into(),
            rows_of(tx, "audit_log", "patient_id", &ids)?,
        );
        // The patient's record first, then the rest by name.
        let mut sections: Vec<DataSection> = all
            .into_iter()
            .map(|(table, rows)| DataSection { table, rows })
            .collect();
        sections.sort_by_key(|s| (s.table != "patient", s.table.clone()));
        Ok(PatientData {
            patient_id: id,
            name,
            exported_at: now_text(),
            sections,
        })
    }
}

/// Section titles in the reader's language (the table's name otherwise).
fn section_title(table: &str, language: Language) -> String {
    let t: Option<[&str; 3]> = match table {
        "patient" => Some(["Patient record", "患者档案", "病患檔案"]),
        "visit" => Some(["Visits", "就诊记录", "就診紀錄"]),
        "consent" => Some(["Consents", "同意记录", "同意紀錄"]),
        "patient_phone" => Some(["Phone numbers", "电话号码", "電話號碼"]),
        "patient_condition" => Some(["Conditions", "疾病", "疾病"]),
        "patient_allergy" => Some(["Allergies", "过敏", "過敏"]),
        "patient_medication" => Some(["Medications", "用药", "用藥"]),
        "appointment" => Some(["Appointments", "预约", "預約"]),
        "reminder" => Some(["Reminders", "提醒", "提醒"]),
        "contact" => Some(["Contacts", "联系记录", "聯繫紀錄"]),
        "points_entry" => Some(["Points", "积分", "點數"]),
        "voucher" => Some(["Vouchers", "兑换券", "兌換券"]),
        "patient_tag" => Some(["Tags", "标签", "標籤"]),
        "handout_given" => Some(["Handouts given", "已发卫教单张", "已發衛教單張"]),
        "family_link" => Some(["Family", "家属", "家屬"]),
        "audit_log" => Some([
            "Who saw or changed this record",
            "查阅与修改记录",
            "查閱與修改紀錄",
        ]),
        _ => None,
    };
    match (t, language) {
        (Some(t), Language::En) => t[0].into(),
        (Some(t), Language::ZhCn) => t[1].into(),
        (Some(t), Language::ZhTw) => t[2].into(),
        (None, _) => table.replace('_', " "),
    }
}

/// Columns the file keeps for its own sake (search keys, sort keys, chain hashes): in the
/// JSON, not on paper.
const BOOKKEEPING: &[&str] = &[
    "name_fold",
    "phone_digits",
    "search_no",
    "last_visit_ms",
    "visited_at_ms",
    "starts_ms",
    "hash",
];

/// The access export as a readable PDF: each record as a two-column table of its fields.
pub struct PrintPatientData {
    pub data: PatientData,
    pub language: Language,
    pub paper: Paper,
}

impl Operation for PrintPatientData {
    type Output = Vec<u8>;
    fn action(&self) -> Action {
        Action::PatientExport
    }
    fn patient(&self) -> Option<String> {
        Some(self.data.patient_id.clone())
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<u8>> {
        let d = self.data;
        let (field, value) = match self.language {
            Language::En => ("Field", "Value"),
            Language::ZhCn => ("项目", "内容"),
            Language::ZhTw => ("項目", "內容"),
        };
        let mut blocks = vec![Block::Paragraph(format!("{} · {}", d.name, d.exported_at))];
        for s in &d.sections {
            blocks.push(Block::Heading(format!(
                "{} ({})",
                section_title(&s.table, self.language),
                s.rows.len()
            )));
            for row in &s.rows {
                let rows = row
                    .iter()
                    .filter(|(k, v)| !v.is_null() && !BOOKKEEPING.contains(&k.as_str()))
                    .map(|(k, v)| {
                        let text = match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        vec![k.replace('_', " "), text]
                    })
                    .collect();
                blocks.push(Block::Table {
                    header: vec![field.into(), value.into()],
                    rows,
                });
            }
        }
        let title = match self.language {
            Language::En => "Personal data held",
            Language::ZhCn => "个人资料副本",
            Language::ZhTw => "個人資料副本",
        };
        crate::handouts::print_document(
            tx,
            title.into(),
            d.name.clone(),
            blocks,
            self.language,
            self.paper,
        )
    }
}

/// What an erasure request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ErasureOutcome {
    /// `restricted`: kept for care until `retainedUntil`, the rest removed;
    /// `purged`: nothing left but anonymous counts.
    pub outcome: String,
    pub retained_until: Option<NaiveDate>,
    /// Rows removed or cleared, by table.
    pub removed: BTreeMap<String, u64>,
}

/// Contact and profile details not needed for care, cleared on restriction.
const NOT_NEEDED_FOR_CARE: &[&str] = &[
    "email",
    "address",
    "region",
    "occupation",
    "education",
    "marital_status",
    "income_band",
    "preferred_channel",
    "preferred_time",
    "referral_channel",
    "referred_by",
];

/// What restriction removes outright: marketing and loyalty data.
const MARKETING_TABLES: &[&str] = &[
    "patient_tag",
    "voucher",
    "points_entry",
    "membership",
    "tier_change",
    "contact",
    "patient_phone",
];

/// A patient's erasure request. Within the retention period (years after the last visit,
/// by the privacy settings) the clinical record stays, restricted (archived, used for
/// care only, never contacted); marketing data, tags, points, outreach history and
/// contact details not needed for care are removed and consent to reminders, marketing
/// and research is withdrawn. After it, the whole record is purged and only anonymous
/// counts (visits and amounts by month and department) remain.
pub struct ErasePatientData {
    pub patient_id: Uuid,
    /// The day of the request (today, local, when `None`).
    pub today: Option<NaiveDate>,
}

impl Operation for ErasePatientData {
    type Output = ErasureOutcome;
    fn action(&self) -> Action {
        Action::PrivacyErase
    }
    fn patient(&self) -> Option<String> {
        Some(self.patient_id.to_string())
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<ErasureOutcome> {
        let id = self.patient_id.to_string();
        let today = self
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let created: String = tx
            .query_row("SELECT created_at FROM patient WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| ClinicError::not_found("patient", &id))?;
        // Every visit counts, archived ones too: they are clinical records.
        let last: Option<String> = tx.query_row(
            "SELECT max(substr(visited_at, 1, 10)) FROM visit WHERE patient_id = ?1",
            [&id],
            |r| r.get(0),
        )?;
        let last_day = last
            .as_deref()
            .unwrap_or(&created[..10.min(created.len())])
            .parse::<NaiveDate>()
            .unwrap_or(today);
        let years = PrivacySettings::load(tx)?.effective_retention_years();
        let retained_until = last_day
            .checked_add_months(Months::new(12 * years))
            .unwrap_or(NaiveDate::MAX);
        // Foreign keys are checked at commit: rows go in whatever order the graph gives.
        // The points ledger lets this transaction (and only it) remove entries.
        tx.execute_batch(
            "PRAGMA defer_foreign_keys = ON; INSERT INTO erasure_in_progress (id) VALUES (1);",
        )?;
        let outcome = erase(tx, by, &id, today, retained_until);
        tx.execute_batch("DELETE FROM erasure_in_progress")?;
        outcome
    }
}

fn erase(
    tx: &Transaction<'_>,
    by: &Actor,
    id: &str,
    today: NaiveDate,
    retained_until: NaiveDate,
) -> Result<ErasureOutcome> {
    let id = id.to_string();
    let mut removed = BTreeMap::new();
    if retained_until <= today {
        keep_anonymous_counts(tx, &id)?;
        let n = tx.execute("DELETE FROM visit_digest WHERE patient_id = ?1", [&id])?;
        add(&mut removed, "visit_digest", n as u64);
        let n = tx.execute(
            "DELETE FROM patient_key WHERE search_no = (SELECT search_no FROM patient WHERE id = ?1)",
            [&id],
        )?;
        add(&mut removed, "patient_key", n as u64);
        remove(tx, "patient", "id", std::slice::from_ref(&id), &mut removed)?;
        return Ok(ErasureOutcome {
            outcome: "purged".into(),
            retained_until: None,
            removed,
        });
    }
    for table in MARKETING_TABLES {
        remove(
            tx,
            table,
            "patient_id",
            std::slice::from_ref(&id),
            &mut removed,
        )?;
    }
    // Others' points for having referred this patient stay theirs; the link goes.
    let n = tx.execute(
        "UPDATE points_entry SET referred_patient_id = NULL WHERE referred_patient_id = ?1",
        [&id],
    )?;
    add(&mut removed, "points_entry.referred_patient_id", n as u64);
    let set: Vec<String> = NOT_NEEDED_FOR_CARE
        .iter()
        .map(|c| format!("{c} = NULL"))
        .collect();
    let now = now_text();
    tx.execute(
        &format!(
            "UPDATE patient SET {}, restricted_at = ?2, archived_at = coalesce(archived_at, ?2),
                 updated_at = ?2
             WHERE id = ?1",
            set.join(", ")
        ),
        params![id, now],
    )?;
    add(
        &mut removed,
        "patient (contact details)",
        NOT_NEEDED_FOR_CARE.len() as u64,
    );
    for purpose in ["reminders", "marketing", "research"] {
        tx.execute(
            "INSERT INTO consent (patient_id, purpose, given, recorded_at, recorded_by, note)
             VALUES (?1, ?2, 0, ?3, ?4, 'erasure request')",
            params![id, purpose, now, by.name],
        )?;
    }
    let n = tx.execute(
        "UPDATE reminder SET state = 'skipped', skip_reason = 'no-consent', closed_at = ?2
         WHERE patient_id = ?1 AND state = 'open'",
        params![id, now],
    )?;
    add(&mut removed, "reminder (closed)", n as u64);
    Ok(ErasureOutcome {
        outcome: "restricted".into(),
        retained_until: Some(retained_until),
        removed,
    })
}

fn add(removed: &mut BTreeMap<String, u64>, what: &str, n: u64) {
    if n > 0 {
        *removed.entry(what.to_string()).or_default() += n;
    }
}

/// Deletes `table`'s rows where `column` is in `values`, and first whatever refers to
/// them: rows that cannot exist without them are removed in turn, optional references
/// are cleared (another patient's "referred by" this one).
fn remove(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    values: &[String],
    removed: &mut BTreeMap<String, u64>,
) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    for r in references_to(tx, table)? {
        let keys = column_values(tx, table, &r.parent_column, column, values)?;
        if keys.is_empty() {
            continue;
        }
        if r.not_null {
            remove(tx, &r.table, &r.column, &keys, removed)?;
        } else {
            let n = tx.execute(
                &format!(
                    "UPDATE \"{}\" SET \"{}\" = NULL WHERE \"{}\" IN (SELECT value FROM json_each(?1))",
                    r.table, r.column, r.column
                ),
                [json_list(&keys)],
            )?;
            add(removed, &format!("{}.{}", r.table, r.column), n as u64);
        }
    }
    let n = tx.execute(
        &format!("DELETE FROM \"{table}\" WHERE \"{column}\" IN (SELECT value FROM json_each(?1))"),
        [json_list(values)],
    )?;
    add(removed, table, n as u64);
    Ok(())
}

/// The purged patient's visits as anonymous counts by month and department.
fn keep_anonymous_counts(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO anonymous_visit_total (month, department, visits, amount_minor)
         SELECT substr(visited_at, 1, 7), trim(department), count(*), coalesce(sum(amount_minor), 0)
         FROM visit WHERE patient_id = ?1 AND archived_at IS NULL
         GROUP BY 1, 2
         ON CONFLICT (month, department) DO UPDATE SET
             visits = visits + excluded.visits,
             amount_minor = amount_minor + excluded.amount_minor",
        [id],
    )?;
    Ok(())
}

/// A restricted record cannot be brought back into use.
pub(crate) fn refuse_if_restricted(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let restricted: Option<Option<String>> = tx
        .query_row(
            "SELECT restricted_at FROM patient WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(Some(at)) = restricted {
        return Err(ClinicError::new(
            ErrorCode::InUse,
            format!(
                "this record was restricted by an erasure request on {}",
                &at[..10.min(at.len())]
            ),
        ));
    }
    Ok(())
}
