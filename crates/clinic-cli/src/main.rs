//! `clinic`: the owner's scripted jobs on the same core as the app.
//! Its commands, flags, JSON output and exit codes are a public interface: keep them stable.

mod appointments;
mod backups;
mod handouts;
mod keys;
mod output;
mod points;
mod privacy;
mod reports;
mod segments;
mod staff;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use clinic_core::export::{Export, ExportFormat, ExportWhat};
use clinic_core::handouts::pdf::Paper;
use clinic_core::import::{read_table, ImportPatients, ImportVisits, TextEncoding};
use clinic_core::patients::profile::split_list;
use clinic_core::patients::{
    parse_id, AllergyInput, ArchivePatient, ConditionInput, CreatePatient, GetPatient, Language,
    LinkFamily, ListPatients, MedicationInput, MergePatients, PatientInput, PhoneInput,
    RecordConsent, SearchPatients, UnlinkFamily, UpdatePatient,
};
use clinic_core::settings::{GetClinicLogo, GetClinicProfile, SetClinicLogo, SetClinicProfile};
use clinic_core::synth::{GenerateAppointments, GenerateClinic, Region};
use clinic_core::visits::{AddVisit, ListVisits, VisitInput};
use clinic_core::{keychain, Actor, Clinic, ClinicError, ErrorCode, Result, ValidationRule};

use output::Output;

#[derive(Parser)]
#[command(name = "clinic", version, about = "Clinic CRM from the command line")]
struct Cli {
    /// Folder holding clinic.db and clinic.key [default: the app's data folder]
    #[arg(long, global = true, env = "CLINIC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Machine-readable JSON on stdout (and errors as JSON on stderr)
    #[arg(long, global = true)]
    json: bool,
    /// Act as this staff member, with their permissions (password from
    /// CLINIC_STAFF_PASSWORD or stdin); without it, whoever unlocks is the owner. Given
    /// before the command (`clinic --staff Lin patient list`): `audit list --staff` is a
    /// filter
    #[arg(long, env = "CLINIC_STAFF")]
    staff: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
enum Command {
    /// Create a new encrypted clinic file; the passphrase comes from CLINIC_PASSPHRASE or stdin
    Init {
        /// Also make the recovery code and write its one-page kit here as PDF
        #[arg(long)]
        recovery_kit: Option<PathBuf>,
        /// The kit's language: zh-CN, zh-TW or en
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
    /// The clinic's keys: recovery kit, passphrase, rotation of the database key
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Register, edit, show, list and search patients
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Record and list visits
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Write patients or visits to a file: CSV (UTF-8 with BOM), XLSX, or a FHIR R4 Bundle
    Export {
        /// patients or visits
        what: String,
        /// csv, xlsx or fhir
        #[arg(long)]
        format: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Bring patients in from a CSV or XLSX file (dry run first with --dry-run)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Encrypted backups: write one (verified before it counts), list, verify, restore
    #[command(subcommand)]
    Backup(backups::BackupCommand),
    /// Education handouts: list the topics, print one for a patient as PDF
    #[command(subcommand)]
    Handout(handouts::HandoutCommand),
    /// The appointment book: book, list, move, change status, export as iCalendar
    #[command(subcommand)]
    Appointments(appointments::AppointmentsCommand),
    /// The daily work list of reminders: due contacts, outcomes, the SMS batch, effect
    #[command(subcommand)]
    Reminders(appointments::RemindersCommand),
    /// Loyalty points: balance, history, redeem, vouchers, adjust, reverse, expiry; the
    /// reward catalogue and the programme's rules
    #[command(subcommand)]
    Points(points::PointsCommand),
    /// Patient classification: counts per dimension, any segment's members, why a patient
    /// carries each label, saved rule segments, a segment exported as a list
    #[command(subcommand)]
    Segments(segments::SegmentsCommand),
    /// Staff tags on patients: create, rename, put on or take off in bulk
    #[command(subcommand)]
    Tags(segments::TagsCommand),
    /// The owner's reports: return-rate, new-returning, no-shows, busiest-slots,
    /// reminder-effect, churn-risk, nps, referrals, revenue
    Report(reports::ReportArgs),
    /// Staff accounts and roles
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// The audit log: who did what, when
    #[command(subcommand)]
    Audit(staff::AuditCommand),
    /// A patient's rights: access export, erasure
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
    /// The clinic's name, address and phone, printed on every handout
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Fill a new, empty clinic with synthetic patients and visits (demos, benchmarks);
    /// refuses a clinic that has any patient
    Generate {
        #[arg(long, default_value_t = 1000)]
        patients: u32,
        /// Average visits per patient, spread over five years
        #[arg(long, default_value_t = 10)]
        visits: u32,
        /// The same seed gives the same clinic
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Names and phones from: cn, tw or mixed
        #[arg(long, default_value = "mixed")]
        region: String,
        /// Also the appointment book: most of the last year's visits booked ahead, some
        /// missed or called off, some coming up in the next month
        #[arg(long)]
        appointments: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
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

#[derive(Subcommand)]
enum SettingsCommand {
    /// Show the clinic's details, or change the ones given
    Clinic {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// A PNG or JPEG (at most 1 MB) printed at the top of every handout
        #[arg(long, conflicts_with = "no_logo")]
        logo: Option<std::path::PathBuf>,
        /// Remove the logo
        #[arg(long)]
        no_logo: bool,
    },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
enum PatientCommand {
    /// Register a patient; prints the new id. Refused (exit 10) when the patient looks
    /// already registered (same phone, ID number, or name and birth date)
    Add {
        #[command(flatten)]
        fields: PatientFields,
        /// Register even though a likely duplicate exists (after checking it is someone else)
        #[arg(long)]
        allow_duplicate: bool,
    },
    /// Merge OTHER into SURVIVOR: visits, referrals, family links and consents move; OTHER
    /// is archived and the merge is recorded
    Merge { survivor: String, other: String },
    /// Record that a patient gave (or withdrew) consent for a purpose
    Consent {
        id: String,
        /// care, reminders, marketing or research
        #[arg(long)]
        purpose: String,
        /// The patient withdraws consent (default: gives it)
        #[arg(long)]
        withdraw: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// Link two patients as family: RELATIVE is the patient's --relation
    Link {
        id: String,
        relative: String,
        /// guardian, ward, parent, child, spouse or sibling
        #[arg(long)]
        relation: String,
    },
    /// Remove the family link between two patients
    Unlink { id: String, relative: String },
    /// Change some fields of a patient (an empty value clears a field)
    Edit {
        id: String,
        #[command(flatten)]
        fields: PatientFields,
        /// Why the record is corrected (kept with the change in its history)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Show one patient
    Show { id: String },
    /// Every change to a patient's record: who, when, each field before and after, why
    History { id: String },
    /// List patients, most recently changed first
    List {
        /// Include archived patients
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Find patients by a fragment of the name or phone number
    Search {
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Archive a patient (kept, but hidden from lists and search)
    Archive { id: String },
    /// Bring an archived patient back
    Restore { id: String },
}

#[derive(Args, Default)]
struct PatientFields {
    #[arg(long)]
    name: Option<String>,
    /// M, F or O
    #[arg(long)]
    sex: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    birth_date: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    /// self-pay, public-insurance or commercial-insurance
    #[arg(long)]
    payment: Option<String>,
    /// Replaces the allergies: "SUBSTANCE[:REACTION[:SEVERITY]]; …" (severity mild, moderate,
    /// severe or life-threatening), e.g. "青霉素:皮疹:severe; 乳胶"
    #[arg(long)]
    allergies: Option<String>,
    /// Replaces the conditions: "NAME[:ICD10[:chronic]]; …", e.g. "高血压:I10:chronic"
    #[arg(long)]
    conditions: Option<String>,
    /// Replaces the current medications: "NAME[:DOSE]; …"
    #[arg(long)]
    medications: Option<String>,
    /// Replaces the phones besides --phone: "NUMBER[:LABEL]; …"
    #[arg(long)]
    other_phones: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// Mainland resident ID (18 characters) or Taiwan ID (a letter and 9 digits)
    #[arg(long)]
    id_number: Option<String>,
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    occupation: Option<String>,
    /// none, primary, secondary, vocational, tertiary or postgraduate
    #[arg(long)]
    education: Option<String>,
    /// single, married, divorced, widowed or other
    #[arg(long)]
    marital_status: Option<String>,
    /// low, lower-middle, middle, upper-middle or high
    #[arg(long)]
    income_band: Option<String>,
    /// zh-CN, zh-TW or en
    #[arg(long)]
    language: Option<String>,
    #[arg(long)]
    insurer: Option<String>,
    #[arg(long)]
    policy_number: Option<String>,
    #[arg(long)]
    past_history: Option<String>,
    #[arg(long)]
    family_history: Option<String>,
    /// never, former or current
    #[arg(long)]
    smoking: Option<String>,
    /// none, occasional or regular
    #[arg(long)]
    alcohol: Option<String>,
    /// rarely, weekly or most-days
    #[arg(long)]
    exercise: Option<String>,
    #[arg(long)]
    diet: Option<String>,
    #[arg(long)]
    sleep: Option<String>,
    /// office, manual, shift, student, retired, homemaker or other
    #[arg(long)]
    work_pattern: Option<String>,
    #[arg(long)]
    preferred_doctor: Option<String>,
    /// phone, sms, wechat, line, email or post
    #[arg(long)]
    preferred_channel: Option<String>,
    /// morning, afternoon, evening or any
    #[arg(long)]
    preferred_time: Option<String>,
    /// patient, walk-in, online, signage, doctor or other
    #[arg(long)]
    referral_channel: Option<String>,
    /// The id of the patient who recommended this one
    #[arg(long)]
    referred_by: Option<String>,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
enum VisitCommand {
    /// Record a visit; prints the new id
    Add {
        /// The patient's id
        #[arg(long)]
        patient: String,
        /// Date and time with its offset, e.g. 2026-11-20T09:30+08:00
        #[arg(long)]
        at: String,
        #[arg(long)]
        department: String,
        /// first, return, specialist or emergency
        #[arg(long = "type")]
        visit_type: String,
        #[arg(long)]
        doctor: Option<String>,
        /// The chief complaint
        #[arg(long)]
        complaint: Option<String>,
        #[arg(long)]
        diagnosis: Option<String>,
        #[arg(long)]
        treatment: Option<String>,
        /// e.g. 350.00 (a negative amount reaches the core, which explains the error)
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        /// 1 to 5
        #[arg(long)]
        satisfaction: Option<i32>,
        /// "Would you recommend us?", 0 to 10
        #[arg(long)]
        nps: Option<i32>,
        #[arg(long)]
        feedback: Option<String>,
        /// "Come back by" date (YYYY-MM-DD): missed follow-up reminders start from it
        #[arg(long)]
        follow_up_by: Option<String>,
    },
    /// A patient's visits, newest first
    List {
        #[arg(long)]
        patient: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    match run(cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            out.error(&err);
            ExitCode::from(exit_code(err.code))
        }
    }
}

/// Exit codes by error family, so scripts can branch without parsing text.
fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::Validation | ErrorCode::BadFile => 3,
        ErrorCode::NotFound => 4,
        ErrorCode::WrongPassphrase
        | ErrorCode::WrongKey
        | ErrorCode::KeyFileMissing
        | ErrorCode::KeyFileInvalid
        | ErrorCode::Locked => 5,
        ErrorCode::NotAClinicFile | ErrorCode::SchemaTooNew => 6,
        ErrorCode::NotInitialized | ErrorCode::AlreadyInitialized => 7,
        ErrorCode::PermissionDenied => 8,
        ErrorCode::DiskFull => 9,
        ErrorCode::Duplicate => 10,
        ErrorCode::Cancelled => 11,
        ErrorCode::BackupInvalid => 12,
        ErrorCode::FolderMissing | ErrorCode::FolderReadOnly => 13,
        ErrorCode::InUse => 14,
        ErrorCode::Conflict => 15,
        ErrorCode::InsufficientPoints => 16,
        ErrorCode::PointsOff => 17,
        ErrorCode::SignInFailed => 18,
        ErrorCode::TooManyAttempts => 19,
        ErrorCode::AuditBroken => 20,
        ErrorCode::Io | ErrorCode::Storage => 1,
    }
}

/// Who the CLI acts as: the staff member signed in with `--staff`, else the owner.
static ACTOR: std::sync::OnceLock<Actor> = std::sync::OnceLock::new();

pub(crate) fn actor() -> Actor {
    ACTOR.get().cloned().unwrap_or_else(Actor::owner)
}

/// One line of stdin (without echo on a terminal).
pub(crate) fn read_line(prompt: &str) -> Option<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(prompt).ok();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).ok()?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    (!line.is_empty()).then_some(line)
}

/// CLINIC_PASSPHRASE, else one line of stdin (without echo on a terminal).
pub(crate) fn read_passphrase(prompt: &str) -> Option<String> {
    if let Ok(p) = std::env::var("CLINIC_PASSPHRASE") {
        return Some(p);
    }
    read_line(prompt)
}

fn run(cli: Cli, out: &Output) -> Result<()> {
    let dir = cli.data_dir.unwrap_or_else(clinic_core::default_data_dir);
    let cache = keychain::from_env();
    if let Command::Init { recovery_kit, lang } = &cli.command {
        let passphrase = read_passphrase("New passphrase: ").ok_or_else(|| {
            ClinicError::new(
                ErrorCode::Locked,
                "no passphrase: set CLINIC_PASSPHRASE or pipe it on stdin",
            )
        })?;
        parse_language(lang)?;
        let (clinic, key) = Clinic::initialize(&dir, &passphrase)?;
        let cached = cache.store(clinic.clinic_id(), &key).is_ok();
        out.initialized(&dir, cached, recovery_kit.is_some());
        if let Some(file) = recovery_kit {
            keys::recovery_kit(&clinic, &passphrase, file, lang, "a4", out)?;
        }
        return Ok(());
    }
    if let Command::Key(cmd) = cli.command {
        return keys::run(cmd, &dir, cache.as_ref(), out);
    }
    // The handout library holds no patient data: no need to unlock.
    if let Command::Handout(handouts::HandoutCommand::Topics) = &cli.command {
        out.topics(&clinic_core::handouts::topics()?);
        return Ok(());
    }
    // The template holds no patient data: no need to unlock.
    if let Command::Import(ImportCommand::Template {
        out: file,
        language,
        kind,
    }) = &cli.command
    {
        let language = Language::parse(language).ok_or_else(|| {
            ClinicError::validation(
                "language",
                ValidationRule::UnknownValue,
                "zh-CN, zh-TW or en",
            )
        })?;
        let bytes = match kind.as_str() {
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
        return Ok(());
    }
    // Verify and restore read the backup's own key file; restore needs the clinic closed.
    if let Command::Backup(cmd) = &cli.command {
        if backups::run_without_clinic(cmd, &dir, cache.as_ref(), out)? {
            return Ok(());
        }
    }
    let clinic = &Clinic::unlock(&dir, cache.as_ref(), || read_passphrase("Passphrase: "))?;
    if let Some(name) = &cli.staff {
        let password = std::env::var("CLINIC_STAFF_PASSWORD")
            .ok()
            .or_else(|| read_line("Staff password: "))
            .unwrap_or_default();
        let signed_in = clinic.sign_in(name, &password)?;
        let _ = ACTOR.set(signed_in);
    }
    let actor = actor();
    match cli.command {
        Command::Backup(cmd) => backups::run(cmd, clinic, out)?,
        Command::Segments(cmd) => segments::run(cmd, clinic, out)?,
        Command::Tags(cmd) => segments::run_tags(cmd, clinic, out)?,
        Command::Init { .. } | Command::Key(_) => unreachable!("handled above"),
        Command::Patient(cmd) => match cmd {
            PatientCommand::Add {
                fields,
                allow_duplicate,
            } => {
                let input = fields.apply(PatientInput::default());
                let p = clinic.execute(
                    &actor,
                    CreatePatient {
                        input,
                        allow_duplicate,
                    },
                )?;
                out.created(&p, &p.id.to_string());
            }
            PatientCommand::Merge { survivor, other } => {
                let survivor = parse_id("patient", &survivor)?;
                let merged = parse_id("patient", &other)?;
                out.patient(&clinic.execute(&actor, MergePatients { survivor, merged })?);
            }
            PatientCommand::Consent {
                id,
                purpose,
                withdraw,
                note,
            } => {
                let patient_id = parse_id("patient", &id)?;
                out.patient(&clinic.execute(
                    &actor,
                    RecordConsent {
                        patient_id,
                        purpose,
                        given: !withdraw,
                        note,
                    },
                )?);
            }
            PatientCommand::Link {
                id,
                relative,
                relation,
            } => {
                let patient_id = parse_id("patient", &id)?;
                out.patient(&clinic.execute(
                    &actor,
                    LinkFamily {
                        patient_id,
                        relative_id: relative,
                        relation,
                    },
                )?);
            }
            PatientCommand::Unlink { id, relative } => {
                let patient_id = parse_id("patient", &id)?;
                let relative_id = parse_id("patient", &relative)?;
                out.patient(&clinic.execute(
                    &actor,
                    UnlinkFamily {
                        patient_id,
                        relative_id,
                    },
                )?);
            }
            PatientCommand::Edit { id, fields, reason } => {
                let id = parse_id("patient", &id)?;
                let current = clinic.execute(&actor, GetPatient(id))?;
                let input = fields.apply(PatientInput::from(&current));
                let p = clinic.execute(&actor, UpdatePatient { id, input, reason })?;
                out.patient(&p);
            }
            PatientCommand::History { id } => {
                let id = parse_id("patient", &id)?;
                let changes = clinic.execute(
                    &actor,
                    clinic_core::patients::history::PatientHistory { patient_id: id },
                )?;
                if out.json {
                    out.print_json(&changes);
                } else {
                    for c in changes {
                        println!("{}\t{} ({})\t{}", c.at, c.staff, c.role, c.action);
                        for (field, [before, after]) in &c.changes {
                            println!("    {field}: {before} → {after}");
                        }
                        if let Some(why) = &c.reason {
                            println!("    reason: {why}");
                        }
                    }
                }
            }
            PatientCommand::Show { id } => {
                let id = parse_id("patient", &id)?;
                out.patient(&clinic.execute(&actor, GetPatient(id))?);
            }
            PatientCommand::List { all, limit, offset } => {
                out.patients(&clinic.execute(
                    &actor,
                    ListPatients {
                        include_archived: all,
                        limit,
                        offset,
                    },
                )?);
            }
            PatientCommand::Search { query, limit } => {
                out.patients(&clinic.execute(&actor, SearchPatients { query, limit })?);
            }
            PatientCommand::Archive { id } => {
                let id = parse_id("patient", &id)?;
                out.patient(&clinic.execute(&actor, ArchivePatient { id, archived: true })?);
            }
            PatientCommand::Restore { id } => {
                let id = parse_id("patient", &id)?;
                out.patient(&clinic.execute(
                    &actor,
                    ArchivePatient {
                        id,
                        archived: false,
                    },
                )?);
            }
        },
        Command::Export {
            what,
            format,
            out: path,
        } => {
            let what = match what.as_str() {
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
            let format = ExportFormat::parse(&format)?;
            let bytes = clinic.execute(&actor, Export { what, format })?;
            clinic_core::export::save(&path, &bytes)?;
            out.exported(&path, bytes.len());
        }
        Command::Import(ImportCommand::Template { .. }) => unreachable!("handled above"),
        Command::Import(ImportCommand::Patients {
            file,
            dry_run,
            encoding,
        }) => {
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
        Command::Import(ImportCommand::Visits {
            file,
            dry_run,
            encoding,
        }) => {
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
        Command::Handout(cmd) => handouts::run(cmd, clinic, out)?,
        Command::Appointments(cmd) => appointments::run(cmd, clinic, out)?,
        Command::Reminders(cmd) => appointments::run_reminders(cmd, clinic, out)?,
        Command::Points(cmd) => points::run(cmd, clinic, out)?,
        Command::Report(args) => reports::run(args, clinic, out)?,
        Command::Staff(cmd) => staff::run(cmd, clinic, out)?,
        Command::Audit(cmd) => staff::run_audit(cmd, clinic, out)?,
        Command::Privacy(cmd) => privacy::run(cmd, clinic, out)?,
        Command::Settings(SettingsCommand::Clinic {
            name,
            address,
            phone,
            logo,
            no_logo,
        }) => {
            if let Some(file) = logo {
                let bytes = std::fs::read(&file).map_err(|e| {
                    ClinicError::new(ErrorCode::Io, format!("{}: {e}", file.display()))
                })?;
                clinic.execute(&actor, SetClinicLogo(Some(bytes)))?;
            } else if no_logo {
                clinic.execute(&actor, SetClinicLogo(None))?;
            }
            let mut profile = clinic.execute(&actor, GetClinicProfile)?;
            if name.is_some() || address.is_some() || phone.is_some() {
                profile.name = name.unwrap_or(profile.name);
                profile.address = address.unwrap_or(profile.address);
                profile.phone = phone.unwrap_or(profile.phone);
                profile = clinic.execute(&actor, SetClinicProfile(profile))?;
            }
            let logo = clinic.execute(&actor, GetClinicLogo)?.map(|b| b.len());
            out.clinic_profile(&profile, logo);
        }
        Command::Generate {
            patients,
            visits,
            seed,
            region,
            appointments,
        } => {
            let region = Region::parse(&region).ok_or_else(|| {
                ClinicError::validation("region", ValidationRule::UnknownValue, "cn, tw or mixed")
            })?;
            let generated = clinic.execute(
                &actor,
                GenerateClinic {
                    patients,
                    mean_visits: visits,
                    seed,
                    region,
                    until: chrono::Local::now().date_naive(),
                },
            )?;
            let booked = if appointments {
                Some(clinic.execute(
                    &actor,
                    GenerateAppointments {
                        seed,
                        until: chrono::Local::now().date_naive(),
                    },
                )?)
            } else {
                None
            };
            out.generated(&generated, booked);
        }
        Command::Visit(cmd) => match cmd {
            VisitCommand::Add {
                patient,
                at,
                department,
                visit_type,
                doctor,
                complaint,
                diagnosis,
                treatment,
                amount,
                satisfaction,
                nps,
                feedback,
                follow_up_by,
            } => {
                let input = VisitInput {
                    patient_id: patient,
                    at,
                    department,
                    doctor,
                    visit_type,
                    chief_complaint: complaint,
                    diagnosis,
                    treatment,
                    amount,
                    satisfaction,
                    nps,
                    feedback,
                    follow_up_by,
                };
                let v = clinic.execute(&actor, AddVisit(input))?;
                out.created(&v, &v.id.to_string());
            }
            VisitCommand::List { patient } => {
                let patient_id = parse_id("patient", &patient)?;
                out.visits(&clinic.execute(&actor, ListVisits { patient_id })?);
            }
        },
    }
    Ok(())
}

impl PatientFields {
    /// Overlays the flags that were given on `base`; `--field ""` clears an optional field.
    fn apply(self, mut base: PatientInput) -> PatientInput {
        if let Some(name) = self.name {
            base.name = name;
        }
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if let Some(v) = v {
                *slot = Some(v);
            }
        };
        set(&mut base.sex, self.sex);
        set(&mut base.birth_date, self.birth_date);
        set(&mut base.phone, self.phone);
        set(&mut base.email, self.email);
        set(&mut base.address, self.address);
        set(&mut base.payment_type, self.payment);
        set(&mut base.notes, self.notes);
        set(&mut base.id_number, self.id_number);
        set(&mut base.region, self.region);
        set(&mut base.occupation, self.occupation);
        set(&mut base.education, self.education);
        set(&mut base.marital_status, self.marital_status);
        set(&mut base.income_band, self.income_band);
        set(&mut base.preferred_language, self.language);
        set(&mut base.insurer, self.insurer);
        set(&mut base.policy_number, self.policy_number);
        set(&mut base.past_history, self.past_history);
        set(&mut base.family_history, self.family_history);
        set(&mut base.smoking, self.smoking);
        set(&mut base.alcohol, self.alcohol);
        set(&mut base.exercise, self.exercise);
        set(&mut base.diet, self.diet);
        set(&mut base.sleep, self.sleep);
        set(&mut base.work_pattern, self.work_pattern);
        set(&mut base.preferred_doctor, self.preferred_doctor);
        set(&mut base.preferred_channel, self.preferred_channel);
        set(&mut base.preferred_time, self.preferred_time);
        set(&mut base.referral_channel, self.referral_channel);
        set(&mut base.referred_by, self.referred_by);
        // Lists: "a:b:c; d" — each entry's parts split on the first colons.
        if let Some(text) = self.allergies {
            base.allergies = entries(&text, 3)
                .map(|p| AllergyInput {
                    substance: p[0].clone(),
                    reaction: some(&p[1]),
                    severity: some(&p[2]),
                })
                .collect();
        }
        if let Some(text) = self.conditions {
            base.conditions = entries(&text, 3)
                .map(|p| ConditionInput {
                    name: p[0].clone(),
                    icd10: some(&p[1]),
                    chronic: p[2].eq_ignore_ascii_case("chronic"),
                    since: None,
                })
                .collect();
        }
        if let Some(text) = self.medications {
            base.medications = entries(&text, 2)
                .map(|p| MedicationInput {
                    name: p[0].clone(),
                    dose: some(&p[1]),
                    since: None,
                })
                .collect();
        }
        if let Some(text) = self.other_phones {
            base.other_phones = entries(&text, 2)
                .map(|p| PhoneInput {
                    number: p[0].clone(),
                    label: some(&p[1]),
                })
                .collect();
        }
        base
    }
}

/// "a:b; c" → [["a", "b", ""], ["c", "", ""]] (always `parts` parts; blanks are unset).
fn entries(text: &str, parts: usize) -> impl Iterator<Item = Vec<String>> + '_ {
    split_list(text).map(move |entry| {
        let mut p: Vec<String> = entry
            .splitn(parts, [':', '：'])
            .map(|s| s.trim().to_string())
            .collect();
        p.resize(parts, String::new());
        p
    })
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

/// Blank parts of an entry are unset, not empty text.
fn some(part: &str) -> Option<String> {
    (!part.is_empty()).then(|| part.to_string())
}

pub(crate) fn parse_language(code: &str) -> Result<Language> {
    Language::parse(code).ok_or_else(|| {
        ClinicError::validation("lang", ValidationRule::UnknownValue, "zh-CN, zh-TW or en")
    })
}

pub(crate) fn parse_paper(text: &str) -> Result<Paper> {
    Paper::parse(text)
        .ok_or_else(|| ClinicError::validation("paper", ValidationRule::UnknownValue, "a4 or a5"))
}
