//! The access right: everything held about a patient, as JSON and as a readable PDF.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result};
use crate::handouts::pdf::Paper;
use crate::handouts::template::Block;
use crate::patients::{now_text, Language};

use super::graph::{column_values, references_to, rows_of};
use super::labels::{column_label, local_time, machine_column, value_text};

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
pub(super) const DERIVED: &[&str] = &["visit_digest", "visit_change", "fact_change", "patient_key"];

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
        if r.owned() {
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
pub(super) fn section_title(table: &str, language: Language) -> String {
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
        "membership" => Some(["Membership", "会员等级", "會員等級"]),
        "tier_change" => Some(["Membership changes", "会员等级变更", "會員等級變更"]),
        "patient_merge" => Some(["Merged records", "合并的档案", "合併的病歷"]),
        "contact_reminder" => Some([
            "Which contact was about which reminder",
            "联系与提醒的对应",
            "聯繫與提醒的對應",
        ]),
        "check_in_answer" => Some(["Check-in answers", "治疗后关怀回复", "治療後關懷回覆"]),
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
pub(super) const BOOKKEEPING: &[&str] = &[
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
        let zone = crate::appointments::schedule::load(tx)?.tz();
        let exported = chrono::DateTime::parse_from_rfc3339(&d.exported_at)
            .map(|t| local_time(t, zone))
            .unwrap_or_else(|_| d.exported_at.clone());
        let mut blocks = vec![Block::Paragraph(format!("{} · {exported}", d.name))];
        for s in &d.sections {
            blocks.push(Block::Heading(format!(
                "{} ({})",
                section_title(&s.table, self.language),
                s.rows.len()
            )));
            for row in &s.rows {
                let rows = row
                    .iter()
                    .filter(|(k, v)| {
                        !v.is_null() && !BOOKKEEPING.contains(&k.as_str()) && !machine_column(k)
                    })
                    .map(|(k, v)| {
                        vec![
                            column_label(&s.table, k, self.language),
                            value_text(&s.table, k, v, self.language, zone),
                        ]
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
