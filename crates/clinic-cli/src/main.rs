//! `clinic`: the owner's scripted jobs on the same core as the app.
//! Its commands, flags, JSON output and exit codes are a public interface: keep them stable.

mod output;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use clinic_core::export::{Export, ExportFormat, ExportWhat};
use clinic_core::import::{read_table, ImportPatients, TextEncoding};
use clinic_core::patients::{
    ArchivePatient, CreatePatient, GetPatient, ListPatients, PatientInput, SearchPatients,
    UpdatePatient,
};
use clinic_core::synth::{GenerateClinic, Region};
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new encrypted clinic file; the passphrase comes from CLINIC_PASSPHRASE or stdin
    Init,
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
}

#[derive(Subcommand)]
enum PatientCommand {
    /// Register a patient; prints the new id
    Add(PatientFields),
    /// Change some fields of a patient (an empty value clears a field)
    Edit {
        id: String,
        #[command(flatten)]
        fields: PatientFields,
    },
    /// Show one patient
    Show { id: String },
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
    #[arg(long)]
    allergies: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// Mainland resident ID (18 characters) or Taiwan ID (a letter and 9 digits)
    #[arg(long)]
    id_number: Option<String>,
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
        #[arg(long)]
        feedback: Option<String>,
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
        ErrorCode::Io | ErrorCode::Storage => 1,
    }
}

/// CLINIC_PASSPHRASE, else one line of stdin (without echo on a terminal).
fn read_passphrase(prompt: &str) -> Option<String> {
    if let Ok(p) = std::env::var("CLINIC_PASSPHRASE") {
        return Some(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(prompt).ok();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).ok()?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    (!line.is_empty()).then_some(line)
}

fn run(cli: Cli, out: &Output) -> Result<()> {
    let dir = cli.data_dir.unwrap_or_else(clinic_core::default_data_dir);
    let actor = Actor::owner();
    let cache = keychain::from_env();
    if let Command::Init = cli.command {
        let passphrase = read_passphrase("New passphrase: ").ok_or_else(|| {
            ClinicError::new(
                ErrorCode::Locked,
                "no passphrase: set CLINIC_PASSPHRASE or pipe it on stdin",
            )
        })?;
        let (clinic, key) = Clinic::initialize(&dir, &passphrase)?;
        let cached = cache.store(clinic.clinic_id(), &key).is_ok();
        out.initialized(&dir, cached);
        return Ok(());
    }
    let clinic = &Clinic::unlock(&dir, cache.as_ref(), || read_passphrase("Passphrase: "))?;
    match cli.command {
        Command::Init => unreachable!("handled above"),
        Command::Patient(cmd) => match cmd {
            PatientCommand::Add(f) => {
                let p =
                    clinic.execute(&actor, CreatePatient::new(f.apply(PatientInput::default())))?;
                out.created(&p, &p.id.to_string());
            }
            PatientCommand::Edit { id, fields } => {
                let id = clinic_core::patients::parse_id("patient", &id)?;
                let current = clinic.execute(&actor, GetPatient(id))?;
                let input = fields.apply(PatientInput::from(&current));
                let p = clinic.execute(&actor, UpdatePatient { id, input })?;
                out.patient(&p);
            }
            PatientCommand::Show { id } => {
                let id = clinic_core::patients::parse_id("patient", &id)?;
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
                let id = clinic_core::patients::parse_id("patient", &id)?;
                out.patient(&clinic.execute(&actor, ArchivePatient { id, archived: true })?);
            }
            PatientCommand::Restore { id } => {
                let id = clinic_core::patients::parse_id("patient", &id)?;
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
        Command::Import(ImportCommand::Patients {
            file,
            dry_run,
            encoding,
        }) => {
            let encoding = TextEncoding::parse(&encoding).ok_or_else(|| {
                ClinicError::validation(
                    "encoding",
                    ValidationRule::UnknownValue,
                    "auto, utf-8, gbk, gb18030 or big5",
                )
            })?;
            let bytes = std::fs::read(&file).map_err(|e| {
                ClinicError::new(
                    ErrorCode::Io,
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            let table = read_table(&bytes, encoding)?;
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
        Command::Generate {
            patients,
            visits,
            seed,
            region,
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
            out.generated(&generated);
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
                feedback,
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
                    feedback,
                };
                let v = clinic.execute(&actor, AddVisit(input))?;
                out.created(&v, &v.id.to_string());
            }
            VisitCommand::List { patient } => {
                let patient_id = clinic_core::patients::parse_id("patient", &patient)?;
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
        set(&mut base.allergies, self.allergies);
        set(&mut base.notes, self.notes);
        set(&mut base.id_number, self.id_number);
        base
    }
}
