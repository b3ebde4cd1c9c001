//! `clinic segments …`: the built-in dimensions counted, a label's members, and why a
//! patient carries each label.

use clap::Subcommand;
use clinic_core::patients::parse_id;
use clinic_core::segments::{CountSegments, Dimension, ExplainPatient, SegmentMembers};
use clinic_core::{Actor, Clinic, ClinicError, Result, ValidationRule};

use crate::output::Output;

#[derive(Subcommand)]
pub enum SegmentsCommand {
    /// Every dimension with how many patients carry each label
    List,
    /// The patients with a label, e.g. `visit-frequency:high` or `lifecycle:at-risk`
    Members { name: String },
    /// Each label of a patient with the facts and the rule behind it
    Explain { patient: String },
}

/// `dimension:label` → its parts.
pub(crate) fn segment_name(name: &str) -> Result<(Dimension, String)> {
    let bad = || {
        ClinicError::validation(
            "name",
            ValidationRule::UnknownValue,
            format!(
                "a dimension and a label as DIMENSION:LABEL; dimensions: {}",
                Dimension::allowed()
            ),
        )
    };
    let (dimension, label) = name.split_once(':').ok_or_else(bad)?;
    let dimension = Dimension::parse(dimension).ok_or_else(bad)?;
    Ok((dimension, label.trim().to_string()))
}

pub fn run(cmd: SegmentsCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = Actor::owner();
    match cmd {
        SegmentsCommand::List => {
            let counts = clinic.execute(&actor, CountSegments { today: None })?;
            if out.json {
                out.print_json(&counts);
            } else {
                for d in &counts {
                    let total: u64 = d.counts.iter().map(|c| c.count).sum();
                    println!("{} ({total} patients)", d.dimension.code());
                    for c in &d.counts {
                        println!("  {:<20} {:>8}", c.label, c.count);
                    }
                }
            }
        }
        SegmentsCommand::Members { name } => {
            let (dimension, label) = segment_name(&name)?;
            let members = clinic.execute(
                &actor,
                SegmentMembers {
                    dimension,
                    label,
                    today: None,
                },
            )?;
            if out.json {
                out.print_json(&members);
            } else {
                for m in &members {
                    println!("{}  {}  ({})", m.id, m.name, m.why.text);
                }
                eprintln!("{} patient(s)", members.len());
            }
        }
        SegmentsCommand::Explain { patient } => {
            let patient_id = parse_id("patient", &patient)?;
            let labels = clinic.execute(
                &actor,
                ExplainPatient {
                    patient_id,
                    today: None,
                },
            )?;
            if out.json {
                out.print_json(&labels);
            } else {
                for l in &labels {
                    println!("{}", l.text);
                }
            }
        }
    }
    Ok(())
}
