//! `clinic handout …`: the topics, what fits a patient, one handout or a batch as PDF
//! (for patients or a whole segment), and the clinic's own copies of the texts.

use clap::{Args, Subcommand};
use clinic_core::handouts::{BatchItem, RecommendHandouts, RenderBatch, RenderHandout};
use clinic_core::patients::parse_id;
use clinic_core::{Actor, Clinic, ClinicError, ErrorCode, Result, ValidationRule};

use crate::output::Output;
use crate::{parse_language, parse_paper, segments};

#[derive(Subcommand)]
pub enum HandoutCommand {
    /// Every topic in the library, with its title in zh-CN, zh-TW and English
    Topics,
    /// The topics that fit a patient, and why (conditions, recent treatments, age, habits)
    Recommend {
        #[arg(long)]
        patient: String,
    },
    /// Many handouts in one PDF: for each patient given, --topic, or else every topic
    /// recommended for them; recorded on each patient's timeline
    Batch {
        /// A patient id; repeat for more
        #[arg(long = "patient", required_unless_present_any = ["segment", "date"])]
        patients: Vec<String>,
        /// Everyone in a segment: a label such as `age-group:senior`, or a saved segment's name
        #[arg(long)]
        segment: Option<String>,
        /// Everyone with an appointment that day (tomorrow's batch, printed the evening before)
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        #[arg(long)]
        topic: Option<String>,
        /// a4 or a5
        #[arg(long, default_value = "a4")]
        paper: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// One topic for one patient as a PDF; recorded on the patient's timeline. Language and
    /// reading level default to the patient's (preferred language; plain for little schooling)
    Render {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        topic: String,
        /// zh-CN, zh-TW or en
        #[arg(long)]
        lang: Option<String>,
        /// The plain-language text: short sentences, larger type
        #[arg(long, conflicts_with = "standard")]
        plain: bool,
        /// The standard text even for a patient who would get the plain one
        #[arg(long)]
        standard: bool,
        /// a4 or a5
        #[arg(long, default_value = "a4")]
        paper: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The clinic's own copies of the texts: show one, save an edited one (printed from
    /// then on), reset to the built-in text, list the edited ones, or preview a draft
    #[command(subcommand)]
    Template(TemplateCommand),
}

/// Which text: a topic in a language at a reading level.
#[derive(Args)]
pub struct TemplateWhich {
    #[arg(long)]
    topic: String,
    /// zh-CN, zh-TW or en
    #[arg(long, default_value = "zh-CN")]
    lang: String,
    /// The plain-language text
    #[arg(long)]
    plain: bool,
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Print the text as it is printed now (the clinic's copy, else the built-in one) —
    /// the starting point for an edit
    Show {
        #[command(flatten)]
        which: TemplateWhich,
    },
    /// Save FILE (Markdown, see the README) as the clinic's text for this topic, language
    /// and reading level; a text with a mistake is refused and the old one kept
    Save {
        #[command(flatten)]
        which: TemplateWhich,
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Drop the clinic's copy: the built-in text is printed again
    Reset {
        #[command(flatten)]
        which: TemplateWhich,
    },
    /// The texts the clinic has edited
    List,
    /// Check a draft without saving it: its title and how many pages it prints on
    Preview {
        #[arg(long)]
        file: std::path::PathBuf,
        /// zh-CN, zh-TW or en
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        #[arg(long)]
        plain: bool,
        /// a4 or a5
        #[arg(long, default_value = "a4")]
        paper: String,
    },
}

pub fn run(cmd: HandoutCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        HandoutCommand::Topics => out.topics(&clinic_core::handouts::topics()?),
        HandoutCommand::Recommend { patient } => {
            let patient_id = parse_id("patient", &patient)?;
            out.recommendations(&clinic.execute(&actor, RecommendHandouts { patient_id })?);
        }
        HandoutCommand::Batch {
            patients,
            segment,
            date,
            topic,
            paper,
            out: path,
        } => {
            let paper = parse_paper(&paper)?;
            let mut ids = Vec::new();
            for p in &patients {
                ids.push(parse_id("patient", p)?);
            }
            if let Some(name) = &segment {
                for id in segments::member_ids(clinic, name)? {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
            if let Some(day) = date {
                let booked = clinic.execute(
                    &actor,
                    clinic_core::appointments::ListAppointments(
                        clinic_core::appointments::AppointmentQuery {
                            from: Some(day),
                            to: Some(day),
                            ..Default::default()
                        },
                    ),
                )?;
                for a in booked.into_iter().filter(|a| a.status.is_open()) {
                    if !ids.contains(&a.patient_id) {
                        ids.push(a.patient_id);
                    }
                }
            }
            let mut items = Vec::new();
            for patient_id in ids {
                let topics: Vec<String> = match &topic {
                    Some(t) => vec![t.clone()],
                    None => clinic
                        .execute(&actor, RecommendHandouts { patient_id })?
                        .into_iter()
                        .map(|r| r.topic)
                        .collect(),
                };
                items.extend(topics.into_iter().map(|topic| BatchItem {
                    patient_id,
                    topic,
                    language: None,
                    plain: None,
                }));
            }
            if items.is_empty() {
                return Err(ClinicError::validation(
                    "topic",
                    ValidationRule::Required,
                    "no handout for these patients (an empty segment, or nothing recommended): name a topic with --topic",
                ));
            }
            let batch = clinic.execute(
                &actor,
                RenderBatch {
                    items,
                    paper,
                    progress: None,
                    cancel: None,
                },
            )?;
            clinic_core::export::save(&path, &batch.pdf)?;
            out.batch(&path, &batch);
        }
        HandoutCommand::Render {
            patient,
            topic,
            lang,
            plain,
            standard,
            paper,
            out: path,
        } => {
            let language = lang.as_deref().map(parse_language).transpose()?;
            let paper = parse_paper(&paper)?;
            let handout = clinic.execute(
                &actor,
                RenderHandout {
                    patient_id: parse_id("patient", &patient)?,
                    topic,
                    language,
                    plain: (plain || standard).then_some(plain),
                    paper,
                },
            )?;
            clinic_core::export::save(&path, &handout.pdf)?;
            out.handout(&path, &handout);
        }
        HandoutCommand::Template(command) => template_command(clinic, &actor, out, command)?,
    }
    Ok(())
}

fn read_text(file: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(file)
        .map_err(|e| ClinicError::new(ErrorCode::Io, format!("{}: {e}", file.display())))
}

/// `clinic handout template …`
fn template_command(
    clinic: &Clinic,
    actor: &Actor,
    out: &Output,
    command: TemplateCommand,
) -> Result<()> {
    use clinic_core::handouts::{
        GetTemplate, ListEditedTemplates, PreviewTemplate, ResetTemplate, SaveTemplate, TemplateKey,
    };
    let key = |w: TemplateWhich| -> Result<TemplateKey> {
        Ok(TemplateKey {
            topic: w.topic,
            language: parse_language(&w.lang)?,
            plain: w.plain,
        })
    };
    match command {
        TemplateCommand::Show { which } => {
            out.template(&clinic.execute(actor, GetTemplate(key(which)?))?)
        }
        TemplateCommand::Save { which, file } => {
            let source = read_text(&file)?;
            let key = key(which)?;
            out.template_saved(&clinic.execute(actor, SaveTemplate { key, source })?);
        }
        TemplateCommand::Reset { which } => {
            out.template_saved(&clinic.execute(actor, ResetTemplate(key(which)?))?)
        }
        TemplateCommand::List => out.templates_edited(&clinic.execute(actor, ListEditedTemplates)?),
        TemplateCommand::Preview {
            file,
            lang,
            plain,
            paper,
        } => {
            let preview = clinic.execute(
                actor,
                PreviewTemplate {
                    source: read_text(&file)?,
                    language: parse_language(&lang)?,
                    plain,
                    paper: parse_paper(&paper)?,
                },
            )?;
            out.template_preview(&preview);
        }
    }
    Ok(())
}
