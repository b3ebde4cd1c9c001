//! Importing patients from CSV and Excel files made elsewhere: Excel on Chinese Windows
//! (GB18030/GBK), Taiwan (Big5), UTF-8 with or without BOM, and XLSX.
//!
//! Two steps, as the front desk sees them: [`read_table`] turns the file into rows of text
//! and guesses which column is which ([`guess_mapping`], headers in zh-CN, zh-TW and
//! English); [`ImportPatients`] checks every row (a dry run lists each problem by row and
//! column) and then imports the valid rows in one transaction — all of them or none.

mod table;
mod template;
mod visits;

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::patients::profile::{split_allergy_text, split_list};
use crate::patients::{BulkInsert, ConditionInput, MedicationInput, PatientInput};
use crate::search::{fold, phone_digits};

pub use table::{read_table, Table, TableRow, TextEncoding};
pub use template::{template, visits_template};
pub use visits::{
    guess_visit_mapping, ImportVisits, ImportVisitsFile, VisitImportColumn, VisitImportField,
    VisitImportOutcome, VisitImportReport,
};

/// What a column of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ImportField {
    Name,
    Sex,
    BirthDate,
    Phone,
    Email,
    Address,
    PaymentType,
    Allergies,
    /// Conditions as text ("高血压、糖尿病"): one entry each.
    Conditions,
    Medications,
    Region,
    Occupation,
    Notes,
    IdNumber,
    /// The patient's number in the old system: a second import updates instead of adding.
    ExternalId,
}

impl ImportField {
    /// The field's name in [`PatientInput`] (and in validation errors).
    pub fn input_name(self) -> &'static str {
        match self {
            ImportField::Name => "name",
            ImportField::Sex => "sex",
            ImportField::BirthDate => "birthDate",
            ImportField::Phone => "phone",
            ImportField::Email => "email",
            ImportField::Address => "address",
            ImportField::PaymentType => "paymentType",
            ImportField::Allergies => "allergies",
            ImportField::Conditions => "conditions",
            ImportField::Medications => "medications",
            ImportField::Region => "region",
            ImportField::Occupation => "occupation",
            ImportField::Notes => "notes",
            ImportField::IdNumber => "idNumber",
            ImportField::ExternalId => "externalId",
        }
    }

    /// Header words that mean this field (compared folded, without spaces and punctuation).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            ImportField::Name => &[
                "姓名",
                "名字",
                "患者姓名",
                "病患姓名",
                "病人姓名",
                "客户姓名",
                "name",
                "fullname",
                "patientname",
                "patient",
            ],
            ImportField::Sex => &["性别", "性別", "sex", "gender"],
            ImportField::BirthDate => &[
                "出生日期",
                "生日",
                "出生年月日",
                "出生年月",
                "dob",
                "birthdate",
                "dateofbirth",
                "birthday",
            ],
            ImportField::Phone => &[
                "电话",
                "電話",
                "手机",
                "手機",
                "手机号",
                "手机号码",
                "手機號碼",
                "联系电话",
                "聯絡電話",
                "電話號碼",
                "电话号码",
                "phone",
                "mobile",
                "tel",
                "telephone",
                "phonenumber",
                "cell",
            ],
            ImportField::Email => &["邮箱", "电子邮件", "電子郵件", "email", "e-mail", "mail"],
            ImportField::Address => &["地址", "住址", "联系地址", "聯絡地址", "address"],
            ImportField::PaymentType => &[
                "付费方式",
                "付費方式",
                "支付方式",
                "医保类型",
                "保险类型",
                "保險類型",
                "payment",
                "paymenttype",
                "insurance",
            ],
            ImportField::Allergies => &[
                "过敏",
                "過敏",
                "过敏史",
                "過敏史",
                "药物过敏",
                "藥物過敏",
                "allergies",
                "allergy",
            ],
            ImportField::Conditions => &[
                "慢性病",
                "疾病",
                "慢性病史",
                "诊断",
                "診斷",
                "conditions",
                "chronicconditions",
                "diagnoses",
            ],
            ImportField::Medications => &[
                "用药",
                "用藥",
                "目前用药",
                "目前用藥",
                "长期用药",
                "長期用藥",
                "medications",
                "medication",
                "drugs",
            ],
            ImportField::Region => &["地区", "地區", "区域", "區域", "城市", "region", "city"],
            ImportField::Occupation => &["职业", "職業", "occupation", "job"],
            ImportField::Notes => &[
                "备注", "備註", "说明", "說明", "notes", "note", "remarks", "comment", "comments",
            ],
            ImportField::IdNumber => &[
                "身份证号",
                "身份证",
                "身份证号码",
                "身分證字號",
                "身分證",
                "身分證號",
                "idnumber",
                "nationalid",
                "idcard",
            ],
            ImportField::ExternalId => &[
                "病历号",
                "病歷號",
                "编号",
                "編號",
                "旧编号",
                "舊編號",
                "患者编号",
                "病患編號",
                "oldid",
                "patientid",
                "recordno",
                "id",
                "no",
            ],
        }
    }

    const ALL: [ImportField; 15] = [
        ImportField::Name,
        ImportField::Sex,
        ImportField::BirthDate,
        ImportField::Phone,
        ImportField::Email,
        ImportField::Address,
        ImportField::PaymentType,
        ImportField::Allergies,
        ImportField::Conditions,
        ImportField::Medications,
        ImportField::Region,
        ImportField::Occupation,
        ImportField::Notes,
        ImportField::IdNumber,
        ImportField::ExternalId,
    ];
}

pub(crate) fn header_key(h: &str) -> String {
    fold(h).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Which field each column holds, from its header; `None` for columns to leave out.
pub fn guess_mapping(headers: &[String]) -> Vec<Option<ImportField>> {
    let mut used = Vec::new();
    headers
        .iter()
        .map(|h| {
            let key = header_key(h);
            let field = ImportField::ALL
                .into_iter()
                .find(|f| !used.contains(f) && f.aliases().iter().any(|a| header_key(a) == key));
            used.extend(field);
            field
        })
        .collect()
}

/// A date as people write it: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105,
/// Taiwan's 民國113年1月5日 or 113/1/5, or an Excel serial number (45296). Anything
/// else is passed on unchanged for validation to reject.
pub fn normalize_date(text: &str) -> String {
    let t = fold(text);
    let (roc, t) = match t.strip_prefix("民國").or_else(|| t.strip_prefix("民国")) {
        Some(rest) => (true, rest.trim().to_string()),
        None => (false, t.clone()),
    };
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月', '日', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let date = match parts.as_slice() {
        [ymd] if ymd.len() == 8 && ymd.chars().all(|c| c.is_ascii_digit()) => {
            NaiveDate::parse_from_str(ymd, "%Y%m%d").ok()
        }
        [serial] if !roc && serial.len() == 5 && serial.chars().all(|c| c.is_ascii_digit()) => {
            let n: i64 = serial.parse().unwrap_or(0);
            NaiveDate::from_ymd_opt(1899, 12, 30).map(|epoch| epoch + Duration::days(n))
        }
        [y, m, d] => {
            let (y, m, d) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>());
            match (y, m, d) {
                // A three-digit (or shorter) year is a Republic of China year.
                (Ok(y), Ok(m), Ok(d)) if roc || (1..1000).contains(&y) => {
                    NaiveDate::from_ymd_opt(y + 1911, m, d)
                }
                (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d),
                _ => None,
            }
        }
        _ => None,
    };
    date.map(|d| d.to_string())
        .unwrap_or_else(|| text.trim().to_string())
}

/// 自费/自費/健保/医保/商保 … as the codes the core knows; anything else unchanged.
fn normalize_payment(text: &str) -> String {
    let t = header_key(text);
    let code = match t.as_str() {
        "自费" | "自費" | "自付" | "现金" | "現金" | "self" | "selfpay" | "cash" => {
            "self-pay"
        }
        "医保" | "醫保" | "健保" | "社保" | "公保" | "农合" | "public" | "publicinsurance" => {
            "public-insurance"
        }
        "商保"
        | "商业保险"
        | "商業保險"
        | "商业"
        | "commercial"
        | "commercialinsurance"
        | "private" => "commercial-insurance",
        _ => return text.trim().to_string(),
    };
    code.into()
}

/// Why a row was not (or would not be) imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ProblemKind {
    /// A value the core rejects; `field` and `rule` say which and why.
    Invalid,
    /// Same phone, ID number, or name and birth date as a patient already registered.
    DuplicateExisting,
    /// Same as an earlier row of this file.
    DuplicateInFile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportProblem {
    pub row: u32,
    pub kind: ProblemKind,
    /// The column's header as written in the file.
    pub column: Option<String>,
    pub field: Option<String>,
    pub rule: Option<ValidationRule>,
    /// For duplicates: the existing patient's name, or the earlier row's number. For a
    /// visit whose patient is not found: the record number or phone looked for.
    pub other: Option<String>,
    /// English, for logs and the CLI; the window shows its own words.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportReport {
    pub read_as: String,
    pub total_rows: u32,
    /// Rows that will be (or were) registered as new patients.
    pub new_patients: u32,
    /// Rows whose old-system id matched a patient imported before: updated in place.
    pub updated_patients: u32,
    pub problems: Vec<ImportProblem>,
    /// `false` for a dry run.
    pub imported: bool,
}

/// Checks every row; unless `dry_run`, imports the valid ones in this one transaction.
pub struct ImportPatients {
    pub table: Table,
    /// Column → field; `None` uses [`guess_mapping`].
    pub mapping: Option<Vec<Option<ImportField>>>,
    pub dry_run: bool,
}

/// Who is already registered, to find duplicates: by phone, ID number, name + birth date.
struct Existing {
    by_phone: HashMap<String, String>,
    by_id_number: HashMap<String, String>,
    by_name_birth: HashMap<(String, String), String>,
    by_external_id: HashMap<String, Uuid>,
}

impl Existing {
    fn load(tx: &Transaction<'_>) -> Result<Self> {
        let mut e = Existing {
            by_phone: HashMap::new(),
            by_id_number: HashMap::new(),
            by_name_birth: HashMap::new(),
            by_external_id: HashMap::new(),
        };
        let mut stmt = tx.prepare(
            "SELECT id, name, phone, id_number, birth_date, external_id FROM patient WHERE archived_at IS NULL",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let name: String = r.get(1)?;
            if let Some(phone) = r.get::<_, Option<String>>(2)? {
                e.by_phone.insert(phone_digits(&phone), name.clone());
            }
            if let Some(idn) = r.get::<_, Option<String>>(3)? {
                e.by_id_number.insert(idn, name.clone());
            }
            if let Some(birth) = r.get::<_, Option<String>>(4)? {
                e.by_name_birth.insert((fold(&name), birth), name.clone());
            }
            if let (Some(ext), Ok(uuid)) = (r.get::<_, Option<String>>(5)?, Uuid::parse_str(&id)) {
                e.by_external_id.insert(ext, uuid);
            }
        }
        Ok(e)
    }

    /// Why `input` looks like someone already known to `self`, if it does.
    fn duplicate_of(&self, p: &crate::patients::PatientRecord) -> Option<(&'static str, String)> {
        if let Some(name) = p
            .phone
            .as_deref()
            .and_then(|ph| self.by_phone.get(&phone_digits(ph)))
        {
            return Some(("phone", name.clone()));
        }
        if let Some(name) = p.id_number.as_ref().and_then(|i| self.by_id_number.get(i)) {
            return Some(("idNumber", name.clone()));
        }
        let birth = p.birth_date?.to_string();
        self.by_name_birth
            .get(&(fold(&p.name), birth))
            .map(|name| ("name", name.clone()))
    }

    fn remember(&mut self, p: &crate::patients::PatientRecord, label: String) {
        if let Some(ph) = &p.phone {
            self.by_phone.insert(phone_digits(ph), label.clone());
        }
        if let Some(i) = &p.id_number {
            self.by_id_number.insert(i.clone(), label.clone());
        }
        if let Some(b) = p.birth_date {
            self.by_name_birth
                .insert((fold(&p.name), b.to_string()), label);
        }
    }
}

/// How far a large import has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportProgress {
    pub done: u32,
    pub total: u32,
    pub dry_run: bool,
}

/// Called every [`PROGRESS_EVERY`] rows (and at the end) while a file is checked or imported.
pub type ProgressFn = Box<dyn FnMut(ImportProgress) + Send>;
pub const PROGRESS_EVERY: usize = 2000;

impl Operation for ImportPatients {
    type Output = ImportReport;
    fn action(&self) -> Action {
        Action::PatientImport
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ImportReport> {
        self.run_reporting(tx, None)
    }
}

impl ImportPatients {
    fn run_reporting(
        self,
        tx: &Transaction<'_>,
        mut progress: Option<ProgressFn>,
    ) -> Result<ImportReport> {
        let total = self.table.rows.len() as u32;
        let dry_run = self.dry_run;
        let mut tell = |done: usize| {
            if let Some(f) = progress.as_mut() {
                f(ImportProgress {
                    done: done as u32,
                    total,
                    dry_run,
                });
            }
        };
        let mapping = self
            .mapping
            .unwrap_or_else(|| guess_mapping(&self.table.headers));
        if !mapping.contains(&Some(ImportField::Name)) {
            return Err(ClinicError::validation(
                "mapping",
                ValidationRule::Required,
                "no column holds the patient's name: choose it in the mapping",
            ));
        }
        let column_of = |field: ImportField| mapping.iter().position(|m| *m == Some(field));
        let header_of = |field: &str| {
            ImportField::ALL
                .into_iter()
                .find(|f| f.input_name() == field)
                .and_then(column_of)
                .and_then(|i| self.table.headers.get(i).cloned())
        };

        let existing = Existing::load(tx)?;
        let mut in_file = Existing {
            by_phone: HashMap::new(),
            by_id_number: HashMap::new(),
            by_name_birth: HashMap::new(),
            by_external_id: HashMap::new(),
        };
        let mut report = ImportReport {
            read_as: self.table.read_as.clone(),
            total_rows: self.table.rows.len() as u32,
            new_patients: 0,
            updated_patients: 0,
            problems: Vec::new(),
            imported: !self.dry_run,
        };
        let mut bulk = BulkInsert::new(tx)?;
        for (n, row) in self.table.rows.iter().enumerate() {
            if n % PROGRESS_EVERY == 0 && n > 0 {
                tell(n);
            }
            let cell = |field: ImportField| -> Option<String> {
                column_of(field)
                    .and_then(|i| row.cells.get(i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let input = PatientInput {
                name: cell(ImportField::Name).unwrap_or_default(),
                sex: cell(ImportField::Sex),
                birth_date: cell(ImportField::BirthDate).map(|d| normalize_date(&d)),
                phone: cell(ImportField::Phone).map(|p| fold(&p)),
                email: cell(ImportField::Email),
                address: cell(ImportField::Address),
                payment_type: cell(ImportField::PaymentType).map(|p| normalize_payment(&p)),
                allergies: cell(ImportField::Allergies)
                    .map(|a| split_allergy_text(&a))
                    .unwrap_or_default(),
                conditions: cell(ImportField::Conditions)
                    .map(|c| {
                        split_list(&c)
                            .map(|name| ConditionInput {
                                name,
                                ..Default::default()
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                medications: cell(ImportField::Medications)
                    .map(|c| {
                        split_list(&c)
                            .map(|name| MedicationInput {
                                name,
                                ..Default::default()
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                region: cell(ImportField::Region),
                occupation: cell(ImportField::Occupation),
                notes: cell(ImportField::Notes),
                id_number: cell(ImportField::IdNumber),
                ..Default::default()
            };
            let record = match input.validate() {
                Ok(r) => r,
                Err(e) => {
                    report.problems.push(ImportProblem {
                        row: row.number,
                        kind: ProblemKind::Invalid,
                        // `allergies.0.substance` is in the allergies column.
                        column: e
                            .field
                            .as_deref()
                            .and_then(|f| header_of(f.split('.').next().unwrap_or(f))),
                        field: e.field.clone(),
                        rule: e.rule,
                        other: None,
                        message: format!("row {}: {}", row.number, e.message),
                    });
                    continue;
                }
            };
            let external_id = cell(ImportField::ExternalId);
            if let Some(id) = external_id
                .as_ref()
                .and_then(|x| existing.by_external_id.get(x))
            {
                report.updated_patients += 1;
                if !self.dry_run {
                    record.update(tx, *id)?;
                }
                continue;
            }
            let duplicate = |kind, (field, other): (&'static str, String)| ImportProblem {
                row: row.number,
                kind,
                column: header_of(field),
                field: Some(field.to_string()),
                rule: None,
                message: format!(
                    "row {}: same {} as {other}",
                    row.number,
                    match field {
                        "phone" => "phone",
                        "idNumber" => "ID number",
                        _ => "name and birth date",
                    }
                ),
                other: Some(other),
            };
            if let Some(d) = existing.duplicate_of(&record) {
                report
                    .problems
                    .push(duplicate(ProblemKind::DuplicateExisting, d));
                continue;
            }
            if let Some(d) = in_file.duplicate_of(&record) {
                report
                    .problems
                    .push(duplicate(ProblemKind::DuplicateInFile, d));
                continue;
            }
            in_file.remember(&record, format!("row {}", row.number));
            report.new_patients += 1;
            if !self.dry_run {
                bulk.add(tx, &record, external_id.as_deref())?;
            }
        }
        bulk.finish(tx)?;
        tell(total as usize);
        Ok(report)
    }
}

/// One column as the mapping step shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportColumn {
    pub header: String,
    pub field: Option<ImportField>,
    /// The first few values, so staff can see what the column holds.
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportOutcome {
    pub columns: Vec<ImportColumn>,
    pub report: ImportReport,
}

/// The first few values of column `i`, so staff can see what it holds.
fn column_samples(table: &Table, i: usize) -> Vec<String> {
    table
        .rows
        .iter()
        .filter_map(|r| r.cells.get(i).filter(|c| !c.is_empty()).cloned())
        .take(3)
        .collect()
}

/// A whole file, as the window sends it: read, map, check, and (unless `dry_run`) import.
pub struct ImportFile {
    pub bytes: Vec<u8>,
    pub encoding: TextEncoding,
    pub mapping: Option<Vec<Option<ImportField>>>,
    pub dry_run: bool,
    pub progress: Option<ProgressFn>,
}

impl Operation for ImportFile {
    type Output = ImportOutcome;
    fn action(&self) -> Action {
        Action::PatientImport
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ImportOutcome> {
        let table = read_table(&self.bytes, self.encoding)?;
        let mut mapping = self
            .mapping
            .unwrap_or_else(|| guess_mapping(&table.headers));
        mapping.resize(table.headers.len(), None);
        let columns = table
            .headers
            .iter()
            .enumerate()
            .map(|(i, header)| ImportColumn {
                header: header.clone(),
                field: mapping[i],
                samples: column_samples(&table, i),
            })
            .collect();
        let report = ImportPatients {
            table,
            mapping: Some(mapping),
            dry_run: self.dry_run,
        }
        .run_reporting(tx, self.progress)?;
        Ok(ImportOutcome { columns, report })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_people_write_them() {
        for (written, iso) in [
            ("2024-01-05", "2024-01-05"),
            ("2024/1/5", "2024-01-05"),
            ("2024.1.5", "2024-01-05"),
            ("2024年1月5日", "2024-01-05"),
            ("20240105", "2024-01-05"),
            ("民國113年1月5日", "2024-01-05"),
            ("民国113年1月5日", "2024-01-05"),
            ("113/1/5", "2024-01-05"),
            ("45296", "2024-01-05"),
            ("２０２４／１／５", "2024-01-05"),
        ] {
            assert_eq!(normalize_date(written), iso, "{written}");
        }
        assert_eq!(
            normalize_date("2024-02-30"),
            "2024-02-30",
            "left for validation to reject"
        );
        assert_eq!(normalize_date("soon"), "soon");
    }

    #[test]
    fn headers_in_three_languages() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            guess_mapping(&h(&[
                "姓名",
                "手机",
                "出生日期",
                "性别",
                "备注",
                "whatever"
            ])),
            vec![
                Some(ImportField::Name),
                Some(ImportField::Phone),
                Some(ImportField::BirthDate),
                Some(ImportField::Sex),
                Some(ImportField::Notes),
                None
            ]
        );
        assert_eq!(
            guess_mapping(&h(&[
                "病歷號",
                "姓名",
                "電話",
                "生日",
                "身分證字號",
                "過敏史"
            ])),
            vec![
                Some(ImportField::ExternalId),
                Some(ImportField::Name),
                Some(ImportField::Phone),
                Some(ImportField::BirthDate),
                Some(ImportField::IdNumber),
                Some(ImportField::Allergies)
            ]
        );
        assert_eq!(
            guess_mapping(&h(&[
                "Name",
                "Date of Birth",
                "E-mail",
                "Phone Number",
                "Payment Type"
            ])),
            vec![
                Some(ImportField::Name),
                Some(ImportField::BirthDate),
                Some(ImportField::Email),
                Some(ImportField::Phone),
                Some(ImportField::PaymentType)
            ]
        );
    }

    #[test]
    fn payment_words() {
        assert_eq!(normalize_payment("健保"), "public-insurance");
        assert_eq!(normalize_payment("医保"), "public-insurance");
        assert_eq!(normalize_payment("自費"), "self-pay");
        assert_eq!(normalize_payment("商业保险"), "commercial-insurance");
        assert_eq!(normalize_payment("barter"), "barter");
    }
}
