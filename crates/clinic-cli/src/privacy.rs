//! `clinic privacy …`: a patient's access export (JSON and PDF) and erasure request.

use std::path::PathBuf;

use clap::Subcommand;
use clinic_core::privacy::{ErasePatientData, ExportPatientData, PrintPatientData};
use clinic_core::{Clinic, ClinicError, Result, ValidationRule};
use uuid::Uuid;

use crate::output::Output;

#[derive(Subcommand)]
pub enum PrivacyCommand {
    /// Everything held about a patient: patient-<id>.json and patient-<id>.pdf in DIR
    Export {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        out: PathBuf,
        /// The PDF's language: zh-CN, zh-TW or en
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(long, default_value = "a4")]
        paper: String,
    },
    /// Carry out an erasure request: restricted within the retention period, purged after
    Erase {
        #[arg(long)]
        patient: String,
    },
}

fn patient_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        ClinicError::validation(
            "patient",
            ValidationRule::InvalidFormat,
            "a patient id (UUID)",
        )
    })
}

pub fn run(cmd: PrivacyCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        PrivacyCommand::Export {
            patient,
            out: dir,
            lang,
            paper,
        } => {
            let id = patient_id(&patient)?;
            let language = crate::parse_language(&lang)?;
            let paper = crate::parse_paper(&paper)?;
            let data = clinic.execute(&actor, ExportPatientData { patient_id: id })?;
            let pdf = clinic.execute(
                &actor,
                PrintPatientData {
                    data: data.clone(),
                    language,
                    paper,
                },
            )?;
            std::fs::create_dir_all(&dir)?;
            let json = dir.join(format!("patient-{id}.json"));
            let file = dir.join(format!("patient-{id}.pdf"));
            clinic_core::export::save(
                &json,
                serde_json::to_string_pretty(&data)
                    .expect("serialisable")
                    .as_bytes(),
            )?;
            clinic_core::export::save(&file, &pdf)?;
            if out.json {
                out.print_json(&serde_json::json!({ "json": json, "pdf": file }));
            } else {
                let rows: usize = data.sections.iter().map(|s| s.rows.len()).sum();
                println!(
                    "{} records in {} sections: {} and {}",
                    rows,
                    data.sections.len(),
                    json.display(),
                    file.display()
                );
            }
        }
        PrivacyCommand::Erase { patient } => {
            let id = patient_id(&patient)?;
            let done = clinic.execute(
                &actor,
                ErasePatientData {
                    patient_id: id,
                    today: None,
                },
            )?;
            if out.json {
                out.print_json(&done);
            } else {
                match done.retained_until {
                    Some(until) => println!(
                        "Restricted: the clinical record is kept for care until {until}; removed:"
                    ),
                    None => println!("Purged: only anonymous counts remain; removed:"),
                }
                for (what, n) in &done.removed {
                    println!("  {what}: {n}");
                }
            }
        }
    }
    Ok(())
}
