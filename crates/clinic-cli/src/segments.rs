//! `clinic segments …`: the built-in dimensions counted, any segment's members (a label or
//! a saved rule segment), why a patient carries each label, saved rule segments and their
//! templates, a segment exported as a call list; `clinic tags …`: staff tags, in bulk.

use std::path::PathBuf;

use clap::Subcommand;
use clinic_core::export::{save, ExportFormat};
use clinic_core::patients::{parse_id, ConsentPurpose};
use clinic_core::segments::{
    CountSegments, DeleteSegment, DeleteTag, ExplainPatient, ExportSegment, ListSavedSegments,
    ListSegmentTemplates, ListTags, PatientSavedSegments, ResolveSegment, Rule, RuleReason,
    SaveSegment, SaveTag, SegmentIdByName, SegmentRef, TagColour, TagPatients,
};
use clinic_core::{Clinic, ClinicError, ErrorCode, Result, ValidationRule};
use uuid::Uuid;

use crate::output::Output;

#[derive(Subcommand)]
pub enum SegmentsCommand {
    /// Every dimension with how many patients carry each label, then the saved segments
    List,
    /// A segment's patients: a label such as `visit-frequency:high` or `lifecycle:at-risk`,
    /// or a saved segment's name
    Members { name: String },
    /// Each label of a patient with the facts and the rule behind it
    Explain { patient: String },
    /// The saved rule segments with their counts today
    Saved,
    /// The ready-made rules a segment can start from
    Templates,
    /// Save a rule segment (a new name, or an existing one to change its rule)
    Save {
        name: String,
        /// The rule as JSON (see README "Rule segments"); `-` reads it from stdin
        #[arg(
            long,
            conflicts_with = "template",
            required_unless_present = "template"
        )]
        rule: Option<PathBuf>,
        /// Start from a ready-made rule instead, e.g. `chronic-not-seen-90`
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a saved segment (its patients are not touched)
    Delete { name: String },
    /// Write a segment's patients (contact, visits, why) to a CSV or XLSX file
    Export {
        name: String,
        #[arg(long)]
        out: PathBuf,
        /// csv or xlsx; by default from the file's extension
        #[arg(long)]
        format: Option<String>,
        /// What the list is for: marketing (the default), reminders, care or research.
        /// Only patients whose latest consent for it is yes are listed.
        #[arg(long = "for", default_value = "marketing")]
        purpose: String,
    },
}

#[derive(Subcommand)]
pub enum TagsCommand {
    /// Every tag with its number of patients
    List,
    /// A new tag
    Create {
        name: String,
        /// grey, red, orange, gold, green, teal, blue, purple or pink
        #[arg(long, default_value = "blue")]
        colour: String,
    },
    /// Rename a tag (saved segments that use it follow) or change its colour
    Edit {
        name: String,
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        colour: Option<String>,
    },
    /// Delete a tag (refused while a saved segment uses it)
    Delete { name: String },
    /// Put the tag on patients: ids, and/or every member of a segment
    Apply {
        name: String,
        #[arg(long = "patient")]
        patients: Vec<String>,
        #[arg(long, required_unless_present = "patients")]
        segment: Option<String>,
    },
    /// Take the tag off patients: ids, and/or every member of a segment
    Remove {
        name: String,
        #[arg(long = "patient")]
        patients: Vec<String>,
        #[arg(long, required_unless_present = "patients")]
        segment: Option<String>,
    },
}

/// A segment's member ids, by name (DIMENSION:LABEL or a saved segment).
pub(crate) fn member_ids(clinic: &Clinic, name: &str) -> Result<Vec<Uuid>> {
    Ok(clinic
        .execute(
            &crate::actor(),
            ResolveSegment {
                segment: SegmentRef::parse(name)?,
                today: None,
            },
        )?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

fn read_rule(path: &PathBuf) -> Result<Rule> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            ClinicError::new(
                ErrorCode::Io,
                format!("cannot read {}: {e}", path.display()),
            )
        })?
    };
    serde_json::from_str(&text).map_err(|e| {
        ClinicError::validation(
            "rule",
            ValidationRule::InvalidFormat,
            format!("the rule is not valid JSON for a segment rule: {e}"),
        )
    })
}

/// A saved segment's id by name, without counting any segment.
fn saved_id(clinic: &Clinic, name: &str) -> Result<Option<i64>> {
    clinic.execute(&crate::actor(), SegmentIdByName(name.to_string()))
}

pub fn run(cmd: SegmentsCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
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
                let saved = clinic.execute(&actor, ListSavedSegments { today: None })?;
                if !saved.is_empty() {
                    println!("saved segments");
                    for s in &saved {
                        println!("  {:<40} {:>8}", s.name, s.count);
                    }
                }
            }
        }
        SegmentsCommand::Members { name } => {
            let members = clinic.execute(
                &actor,
                ResolveSegment {
                    segment: SegmentRef::parse(&name)?,
                    today: None,
                },
            )?;
            if out.json {
                out.print_json(&members);
            } else {
                for m in &members {
                    println!("{}  {}  ({})", m.id, m.name, m.why);
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
            let saved = clinic.execute(
                &actor,
                PatientSavedSegments {
                    patient_id,
                    today: None,
                },
            )?;
            if out.json {
                // The labels as before; the saved segments come with `segments saved`.
                out.print_json(&labels);
            } else {
                for l in &labels {
                    println!("{}", l.text);
                }
                for s in &saved {
                    println!("segment {} — {}", s.name, RuleReason::line(&s.why));
                }
            }
        }
        SegmentsCommand::Saved => {
            let saved = clinic.execute(&actor, ListSavedSegments { today: None })?;
            if out.json {
                out.print_json(&saved);
            } else {
                for s in &saved {
                    println!("{:<40} {:>8}", s.name, s.count);
                }
            }
        }
        SegmentsCommand::Templates => {
            let templates = clinic.execute(&actor, ListSegmentTemplates)?;
            if out.json {
                out.print_json(&templates);
            } else {
                for t in &templates {
                    println!("{:<24} {}", t.key, t.name);
                }
            }
        }
        SegmentsCommand::Save {
            name,
            rule,
            template,
            description,
        } => {
            let rule = match (&rule, &template) {
                (Some(path), _) => read_rule(path)?,
                (None, Some(key)) => clinic
                    .execute(&actor, ListSegmentTemplates)?
                    .into_iter()
                    .find(|t| t.key == *key)
                    .map(|t| t.rule)
                    .ok_or_else(|| {
                        ClinicError::validation(
                            "template",
                            ValidationRule::UnknownValue,
                            format!("no template {key}: see `clinic segments templates`"),
                        )
                    })?,
                (None, None) => unreachable!("clap requires --rule or --template"),
            };
            let saved = clinic.execute(
                &actor,
                SaveSegment {
                    id: saved_id(clinic, &name)?,
                    name,
                    description,
                    rule,
                    template,
                },
            )?;
            if out.json {
                out.print_json(&saved);
            } else {
                println!("saved {}: {} patient(s) today", saved.name, saved.count);
            }
        }
        SegmentsCommand::Delete { name } => {
            let id =
                saved_id(clinic, &name)?.ok_or_else(|| ClinicError::not_found("segment", &name))?;
            clinic.execute(&actor, DeleteSegment { id })?;
            println!("deleted {name}");
        }
        SegmentsCommand::Export {
            name,
            out: path,
            format,
            purpose,
        } => {
            let purpose = ConsentPurpose::parse(purpose.trim()).ok_or_else(|| {
                ClinicError::validation(
                    "for",
                    ValidationRule::UnknownValue,
                    format!("--for is one of {}", ConsentPurpose::allowed()),
                )
            })?;
            let format = match format {
                Some(f) => ExportFormat::parse(&f)?,
                None => match path.extension().and_then(|e| e.to_str()) {
                    Some(e) if e.eq_ignore_ascii_case("xlsx") => ExportFormat::Xlsx,
                    _ => ExportFormat::Csv,
                },
            };
            let list = clinic.execute(
                &actor,
                ExportSegment {
                    segment: SegmentRef::parse(&name)?,
                    format,
                    today: None,
                    purpose,
                },
            )?;
            save(&path, &list.bytes)?;
            if list.without_consent > 0 {
                eprintln!(
                    "{} patient(s) left out: no consent for {}",
                    list.without_consent,
                    purpose.code()
                );
            }
            out.exported(&path, list.bytes.len());
        }
    }
    Ok(())
}

fn colour(text: &str) -> Result<TagColour> {
    TagColour::parse(text).ok_or_else(|| {
        ClinicError::validation(
            "colour",
            ValidationRule::UnknownValue,
            format!("a colour is one of {}", TagColour::allowed()),
        )
    })
}

pub fn run_tags(cmd: TagsCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    let find = |name: &str| -> Result<clinic_core::segments::Tag> {
        clinic
            .execute(&actor, ListTags)?
            .into_iter()
            .find(|t| t.name.to_lowercase() == name.trim().to_lowercase())
            .ok_or_else(|| ClinicError::not_found("tag", name))
    };
    match cmd {
        TagsCommand::List => {
            let tags = clinic.execute(&actor, ListTags)?;
            if out.json {
                out.print_json(&tags);
            } else {
                for t in &tags {
                    println!("{:<30} {:<8} {:>8}", t.name, t.colour.code(), t.patients);
                }
            }
        }
        TagsCommand::Create { name, colour: c } => {
            let tag = clinic.execute(
                &actor,
                SaveTag {
                    id: None,
                    name,
                    colour: colour(&c)?,
                },
            )?;
            println!("created {}", tag.name);
        }
        TagsCommand::Edit {
            name,
            rename,
            colour: c,
        } => {
            let tag = find(&name)?;
            let saved = clinic.execute(
                &actor,
                SaveTag {
                    id: Some(tag.id),
                    name: rename.unwrap_or(tag.name),
                    colour: c.as_deref().map(colour).transpose()?.unwrap_or(tag.colour),
                },
            )?;
            println!("saved {} ({})", saved.name, saved.colour.code());
        }
        TagsCommand::Delete { name } => {
            let tag = find(&name)?;
            clinic.execute(&actor, DeleteTag { id: tag.id })?;
            println!("deleted {}", tag.name);
        }
        TagsCommand::Apply {
            name,
            patients,
            segment,
        } => tag_patients(clinic, &find(&name)?, &patients, segment.as_deref(), false)?,
        TagsCommand::Remove {
            name,
            patients,
            segment,
        } => tag_patients(clinic, &find(&name)?, &patients, segment.as_deref(), true)?,
    }
    Ok(())
}

fn tag_patients(
    clinic: &Clinic,
    tag: &clinic_core::segments::Tag,
    patients: &[String],
    segment: Option<&str>,
    remove: bool,
) -> Result<()> {
    let mut ids = Vec::new();
    for p in patients {
        ids.push(parse_id("patient", p)?);
    }
    if let Some(segment) = segment {
        ids.extend(member_ids(clinic, segment)?);
    }
    let changed = clinic.execute(
        &crate::actor(),
        TagPatients {
            tag_id: tag.id,
            patients: ids,
            remove,
        },
    )?;
    let verb = if remove { "taken off" } else { "put on" };
    println!("{} {verb} {changed} patient(s)", tag.name);
    Ok(())
}
