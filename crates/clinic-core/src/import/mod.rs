//! Importing patients from CSV and Excel files made elsewhere: Excel on Chinese Windows
//! (GB18030/GBK), Taiwan (Big5), UTF-8 with or without BOM, and XLSX.
//!
//! Two steps, as the front desk sees them: [`read_table`] turns the file into rows of text
//! and guesses which column is which ([`guess_mapping`], headers in zh-CN, zh-TW and
//! English); [`ImportPatients`] checks every row (a dry run lists each problem by row and
//! column) and then imports the valid rows in one transaction — all of them or none.

mod fields;
mod table;
mod template;
mod visits;

use std::collections::HashMap;

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

pub(crate) use fields::header_key;
use fields::normalize_payment;
pub use fields::{guess_mapping, normalize_date, ImportField};
pub use table::{read_table, Table, TableRow, TextEncoding};
pub use template::{template, visits_template};
pub use visits::{
    guess_visit_mapping, ImportVisits, ImportVisitsFile, VisitImportColumn, VisitImportField,
    VisitImportOutcome, VisitImportReport,
};

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
mod tests;
