//! `clinic`: the owner's scripted jobs on the same core as the app.
//! Its commands, flags, JSON output and exit codes are a public interface: keep them stable.

mod appointments;
mod backups;
mod handouts;
mod import_export;
mod keys;
mod output;
mod patients;
mod points;
mod privacy;
mod reports;
mod segments;
mod staff;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use clinic_core::handouts::pdf::Paper;
use clinic_core::patients::Language;
use clinic_core::settings::{GetClinicLogo, GetClinicProfile, SetClinicLogo, SetClinicProfile};
use clinic_core::synth::{GenerateAppointments, GenerateClinic, Region};
use clinic_core::{keychain, Actor, Clinic, ClinicError, ErrorCode, Result, ValidationRule};

use import_export::ImportCommand;
use output::Output;
use patients::{PatientCommand, VisitCommand};

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
        ErrorCode::ClinicFileDamaged => 21,
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
        return import_export::template(file, language, kind, out);
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
        Command::Patient(cmd) => patients::run(cmd, clinic, out)?,
        Command::Export {
            what,
            format,
            out: path,
        } => import_export::export(&what, &format, &path, clinic, out)?,
        Command::Import(cmd) => import_export::run(cmd, clinic, out)?,
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
        Command::Visit(cmd) => patients::run_visits(cmd, clinic, out)?,
    }
    Ok(())
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
