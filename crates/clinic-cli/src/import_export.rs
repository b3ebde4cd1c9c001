//! `clinic import …` and `clinic export`: patients and past visits in from CSV/XLSX (any of
//! the encodings clinics' old systems write), the whole clinic out, and the templates to
//! fill in.

use clap::Subcommand;
use clinic_core::export::{Export, ExportFormat, ExportWhat};
use clinic_core::import::{read_table, ImportPatients, ImportVisits, TextEncoding};
use clinic_core::patients::Language;
use clinic_core::{Clinic, ClinicError, ErrorCode, Result, ValidationRule};

use crate::output::Output;

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// Patients from CSV (UTF-8, GBK/GB18030, Big5) or XLSX; headers in Chinese or English.
    /// Valid rows are imported in one transaction; every problem is listed by row
    Patients {
        file: std::path::PathBuf,
        /// Check every row and report, without importing anything
        #[arg(long)]
        dry_run: bool,
        /// auto, utf-8, gbk (= gb18030) or big5
        #[arg(long, default_value = "auto")]
        encoding: String,
    },
    /// Past visits of patients already here (matched by old record number, or by phone), from
    /// CSV or XLSX; dates without a time are taken as 09:00 local time
    Visits {
        file: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
        #[arg(long, default_value = "auto")]
        encoding: String,
    },
    /// Write a CSV template (headers and one example row) to fill in and import
    Template {
        #[arg(long)]
        out: std::path::PathBuf,
        /// zh-CN, zh-TW or en: the language of the headers
        #[arg(long, default_value = "zh-CN")]
        language: String,
        /// patients, or visits (past visits of patients imported before)
        #[arg(long, default_value = "patients")]
        kind: String,
    },
}

/// `clinic import template`: needs no clinic (it holds no patient data).
pub(crate) fn template(
    file: &std::path::Path,
    language: &str,
    kind: &str,
    out: &Output,
) -> Result<()> {
    let language = Language::parse(language).ok_or_else(|| {
        ClinicError::validation(
            "language",
            ValidationRule::UnknownValue,
            "zh-CN, zh-TW or en",
        )
    })?;
    let bytes = match kind {
        "patients" => clinic_core::import::template(language),
        "visits" => clinic_core::import::visits_template(language),
        _ => {
            return Err(ClinicError::validation(
                "kind",
                ValidationRule::UnknownValue,
                "patients or visits",
            ))
        }
    };
    clinic_core::export::save(file, &bytes)?;
    out.exported(file, bytes.len());
    Ok(())
}

pub(crate) fn run(cmd: ImportCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        ImportCommand::Template {
            out: file,
            language,
            kind,
        } => template(&file, &language, &kind, out)?,
        ImportCommand::Patients {
            file,
            dry_run,
            encoding,
        } => {
            let table = read_import_file(&file, &encoding)?;
            let report = clinic.execute(
                &actor,
                ImportPatients {
                    table,
                    mapping: None,
                    dry_run,
                },
            )?;
            out.import_report(&report);
        }
        ImportCommand::Visits {
            file,
            dry_run,
            encoding,
        } => {
            let table = read_import_file(&file, &encoding)?;
            // Times in the file are this computer's local time: where the clinic is.
            let offset = chrono::Local::now().fixed_offset().timezone();
            let report = clinic.execute(
                &actor,
                ImportVisits {
                    table,
                    mapping: None,
                    dry_run,
                    offset,
                    progress: None,
                },
            )?;
            out.visit_import_report(&report);
        }
    }
    Ok(())
}

/// `clinic export WHAT --format F --out FILE`.
pub(crate) fn export(
    what: &str,
    format: &str,
    path: &std::path::Path,
    clinic: &Clinic,
    out: &Output,
) -> Result<()> {
    let actor = crate::actor();
    let what = match what {
        "patients" => ExportWhat::Patients,
        "visits" => ExportWhat::Visits,
        _ => {
            return Err(ClinicError::validation(
                "what",
                ValidationRule::UnknownValue,
                "patients or visits",
            ))
        }
    };
    let format = ExportFormat::parse(format)?;
    let bytes = clinic.execute(&actor, Export { what, format })?;
    clinic_core::export::save(path, &bytes)?;
    out.exported(path, bytes.len());
    Ok(())
}

/// A CSV or spreadsheet file to import, read with the encoding asked for.
fn read_import_file(file: &std::path::Path, encoding: &str) -> Result<clinic_core::import::Table> {
    let encoding = TextEncoding::parse(encoding).ok_or_else(|| {
        ClinicError::validation(
            "encoding",
            ValidationRule::UnknownValue,
            "auto, utf-8, gbk, gb18030 or big5",
        )
    })?;
    let bytes = std::fs::read(file).map_err(|e| {
        ClinicError::new(
            ErrorCode::Io,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    read_table(&bytes, encoding)
}
