//! Thin adapters: parse ids, call the core, return its types. Errors cross IPC as
//! `ClinicError` data (`{code, message, field?, rule?}`), which the UI translates.

use clinic_core::backup::{
    self, BackupListing, BackupReport, BackupSchedule, BackupStatus, GetBackupFolder,
    GetBackupStatus, SetBackupFolder, SetBackupSchedule,
};
use clinic_core::export::{self, Export, ExportFormat, ExportWhat};
use clinic_core::handouts::pdf::Paper;
use clinic_core::handouts::{
    BatchItem, BatchProgress, GetTemplate, HandoutGiven, ListEditedTemplates, ListHandoutsGiven,
    PreviewTemplate, RecommendHandouts, Recommendation, RenderBatch, RenderHandout, ResetTemplate,
    SaveTemplate, TemplateKey, TemplatePreview, TemplateText, Topic,
};
use clinic_core::import::{
    ImportField, ImportFile, ImportOutcome, ImportProgress, ImportVisitsFile, TextEncoding,
    VisitImportField, VisitImportOutcome,
};
use clinic_core::patients::{
    parse_id, ArchivePatient, CreatePatient, DuplicateCandidate, FindDuplicates, GetPatient,
    Language, LinkFamily, ListPatients, MergePatients, Patient, PatientInput, PatientSummary,
    RecordConsent, SearchPatients, UnlinkFamily, UpdatePatient,
};
use clinic_core::settings::{
    ClinicProfile, GetClinicLogo, GetClinicProfile, SetClinicLogo, SetClinicProfile,
};
use clinic_core::visits::{AddVisit, ListVisits, UpdateVisit, Visit, VisitInput};
use clinic_core::{AppStatus, ClinicError, ErrorCode, ValidationRule};
use tauri::{Emitter, State};

use crate::AppState;

type Reply<T> = Result<T, ClinicError>;

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}

#[tauri::command]
pub fn setup_clinic(state: State<'_, AppState>, passphrase: String) -> Reply<AppStatus> {
    state.set_up(&passphrase)
}

#[tauri::command]
pub fn unlock(state: State<'_, AppState>, passphrase: String) -> Reply<AppStatus> {
    state.unlock(&passphrase)
}

#[tauri::command]
pub fn lock(state: State<'_, AppState>, forget: bool) -> AppStatus {
    state.lock(forget)
}

#[tauri::command]
pub fn patient_create(
    state: State<'_, AppState>,
    input: PatientInput,
    allow_duplicate: bool,
) -> Reply<Patient> {
    state.execute(CreatePatient {
        input,
        allow_duplicate,
    })
}

/// Likely duplicates of the form's patient (`except`: the patient being edited).
#[tauri::command]
pub fn patient_duplicates(
    state: State<'_, AppState>,
    input: PatientInput,
    except: Option<String>,
) -> Reply<Vec<DuplicateCandidate>> {
    let except = except.map(|id| parse_id("patient", &id)).transpose()?;
    state.execute(FindDuplicates { input, except })
}

#[tauri::command]
pub fn patient_merge(
    state: State<'_, AppState>,
    survivor: String,
    merged: String,
) -> Reply<Patient> {
    state.execute(MergePatients {
        survivor: parse_id("patient", &survivor)?,
        merged: parse_id("patient", &merged)?,
    })
}

#[tauri::command]
pub fn patient_consent(
    state: State<'_, AppState>,
    id: String,
    purpose: String,
    given: bool,
    note: Option<String>,
) -> Reply<Patient> {
    state.execute(RecordConsent {
        patient_id: parse_id("patient", &id)?,
        purpose,
        given,
        note,
    })
}

#[tauri::command]
pub fn patient_link_family(
    state: State<'_, AppState>,
    id: String,
    relative: String,
    relation: String,
) -> Reply<Patient> {
    state.execute(LinkFamily {
        patient_id: parse_id("patient", &id)?,
        relative_id: relative,
        relation,
    })
}

#[tauri::command]
pub fn patient_unlink_family(
    state: State<'_, AppState>,
    id: String,
    relative: String,
) -> Reply<Patient> {
    state.execute(UnlinkFamily {
        patient_id: parse_id("patient", &id)?,
        relative_id: parse_id("patient", &relative)?,
    })
}

#[tauri::command]
pub fn patient_update(
    state: State<'_, AppState>,
    id: String,
    input: PatientInput,
    reason: Option<String>,
) -> Reply<Patient> {
    state.execute(UpdatePatient {
        id: parse_id("patient", &id)?,
        input,
        reason,
    })
}

#[tauri::command]
pub fn patient_history(
    state: State<'_, AppState>,
    id: String,
) -> Reply<Vec<clinic_core::patients::history::RecordChange>> {
    state.execute(clinic_core::patients::history::PatientHistory {
        patient_id: parse_id("patient", &id)?,
    })
}

#[tauri::command]
pub fn patient_archive(state: State<'_, AppState>, id: String, archived: bool) -> Reply<Patient> {
    state.execute(ArchivePatient {
        id: parse_id("patient", &id)?,
        archived,
    })
}

#[tauri::command]
pub fn patient_get(state: State<'_, AppState>, id: String) -> Reply<Patient> {
    state.execute(GetPatient(parse_id("patient", &id)?))
}

#[tauri::command]
pub fn patient_list(
    state: State<'_, AppState>,
    include_archived: bool,
    limit: u32,
    offset: u32,
) -> Reply<Vec<PatientSummary>> {
    state.execute(ListPatients {
        include_archived,
        limit,
        offset,
    })
}

#[tauri::command]
pub fn patient_search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Reply<Vec<PatientSummary>> {
    state.execute(SearchPatients { query, limit })
}

#[tauri::command]
pub fn visit_add(state: State<'_, AppState>, input: VisitInput) -> Reply<Visit> {
    state.execute(AddVisit(input))
}

#[tauri::command]
pub fn visit_update(state: State<'_, AppState>, id: String, input: VisitInput) -> Reply<Visit> {
    state.execute(UpdateVisit {
        id: parse_id("visit", &id)?,
        input,
    })
}

#[tauri::command]
pub fn visit_list(state: State<'_, AppState>, patient_id: String) -> Reply<Vec<Visit>> {
    state.execute(ListVisits {
        patient_id: parse_id("patient", &patient_id)?,
    })
}

/// A patient file from the window: the bytes travel as the raw IPC body (no JSON array of
/// numbers for a 5 MB file); `encoding`, `dry-run` and `mapping` (JSON) as headers.
/// Exports patients or visits into the Downloads folder; answers the file's path.
#[tauri::command]
pub fn export_to_downloads(
    state: State<'_, AppState>,
    what: ExportWhat,
    format: ExportFormat,
) -> Reply<String> {
    let bytes = state.execute(Export { what, format })?;
    let path = export::path_in_downloads(&export::file_name_today(what, format))?;
    export::save(&path, &bytes)?;
    Ok(path.display().to_string())
}

/// What an import file holds.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImportKind {
    Patients,
    Visits,
}

/// An import template, in the window's language, into the Downloads folder.
#[tauri::command]
pub fn import_template_to_downloads(language: Language, kind: ImportKind) -> Reply<String> {
    let name = match (kind, language) {
        (ImportKind::Patients, Language::En) => "patients-template.csv",
        (ImportKind::Patients, Language::ZhTw) => "病患匯入範本.csv",
        (ImportKind::Patients, Language::ZhCn) => "患者导入模板.csv",
        (ImportKind::Visits, Language::En) => "visits-template.csv",
        (ImportKind::Visits, Language::ZhTw) => "就診紀錄匯入範本.csv",
        (ImportKind::Visits, Language::ZhCn) => "就诊记录导入模板.csv",
    };
    let bytes = match kind {
        ImportKind::Patients => clinic_core::import::template(language),
        ImportKind::Visits => clinic_core::import::visits_template(language),
    };
    let path = export::path_in_downloads(name)?;
    export::save(&path, &bytes)?;
    Ok(path.display().to_string())
}

/// An import file as the window sends it: raw bytes, the rest in headers.
struct ImportRequest<F> {
    bytes: Vec<u8>,
    encoding: TextEncoding,
    mapping: Option<Vec<Option<F>>>,
    dry_run: bool,
}

impl<F: serde::de::DeserializeOwned> ImportRequest<F> {
    fn read(request: &tauri::ipc::Request<'_>) -> Reply<Self> {
        let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
            return Err(ClinicError::new(
                ErrorCode::BadFile,
                "the file must be sent as raw bytes",
            ));
        };
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let encoding = header("encoding")
            .map(|e| {
                TextEncoding::parse(&e).ok_or_else(|| {
                    ClinicError::validation(
                        "encoding",
                        ValidationRule::UnknownValue,
                        "auto, utf-8, gbk or big5",
                    )
                })
            })
            .transpose()?
            .unwrap_or(TextEncoding::Auto);
        let mapping = header("mapping")
            .map(|m| {
                serde_json::from_str(&m).map_err(|e| {
                    ClinicError::validation("mapping", ValidationRule::InvalidFormat, e.to_string())
                })
            })
            .transpose()?;
        Ok(ImportRequest {
            bytes: bytes.clone(),
            encoding,
            mapping,
            dry_run: header("dry-run").as_deref() != Some("false"),
        })
    }
}

/// Sends the core's progress to the window as `import-progress` events.
fn progress_events<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Option<clinic_core::import::ProgressFn> {
    Some(Box::new(move |p: ImportProgress| {
        // A window that has gone away just misses the bar; the import goes on.
        let _ = app.emit("import-progress", p);
    }))
}

/// Checks (or imports) a file. Async, so it runs off the main thread and the window
/// receives `import-progress` events ([`ImportProgress`]) while a large file is worked on.
#[tauri::command]
pub async fn import_patients<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Reply<ImportOutcome> {
    let r = ImportRequest::<ImportField>::read(&request)?;
    state.execute(ImportFile {
        bytes: r.bytes,
        encoding: r.encoding,
        mapping: r.mapping,
        dry_run: r.dry_run,
        progress: progress_events(app),
    })
}

/// Checks (or imports) a file of past visits, like [`import_patients`]. Times in the file
/// are this computer's local time: where the clinic is.
#[tauri::command]
pub async fn import_visits<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Reply<VisitImportOutcome> {
    let r = ImportRequest::<VisitImportField>::read(&request)?;
    state.execute(ImportVisitsFile {
        bytes: r.bytes,
        encoding: r.encoding,
        mapping: r.mapping,
        dry_run: r.dry_run,
        offset: chrono::Local::now().fixed_offset().timezone(),
        progress: progress_events(app),
    })
}

/// The handout library: ids and titles in the three languages.
#[tauri::command]
pub fn handout_topics() -> Reply<Vec<Topic>> {
    clinic_core::handouts::topics()
}

/// The handouts that fit a patient, with their reasons.
#[tauri::command]
pub fn handout_recommend(
    state: State<'_, AppState>,
    patient_id: String,
) -> Reply<Vec<Recommendation>> {
    let patient_id = parse_id("patientId", &patient_id)?;
    state.execute(RecommendHandouts { patient_id })
}

/// What a patient has been given, newest first.
#[tauri::command]
pub fn handout_given(state: State<'_, AppState>, patient_id: String) -> Reply<Vec<HandoutGiven>> {
    let patient_id = parse_id("patientId", &patient_id)?;
    state.execute(ListHandoutsGiven { patient_id })
}

/// One handout as a PDF in the Downloads folder (named after the topic and the patient);
/// answers the file's path. `language` and `plain` default to the patient's.
#[tauri::command]
pub fn handout_to_downloads(
    state: State<'_, AppState>,
    patient_id: String,
    topic: String,
    language: Option<Language>,
    plain: Option<bool>,
    paper: Paper,
) -> Reply<String> {
    let patient_id = parse_id("patientId", &patient_id)?;
    let patient = state.execute(GetPatient(patient_id))?;
    let handout = state.execute(RenderHandout {
        patient_id,
        topic,
        language,
        plain,
        paper,
    })?;
    let name = format!(
        "{}-{}.pdf",
        safe_file_name(&handout.title),
        safe_file_name(&patient.name)
    );
    let path = export::path_in_downloads(&name)?;
    export::save(&path, &handout.pdf)?;
    Ok(path.display().to_string())
}

/// A file name for the Downloads folder: characters Windows forbids become "-".
fn safe_file_name(s: &str) -> String {
    s.replace(['/', '\\', ':', '*', '?', '"', '<', '>', '|'], "-")
}

/// Many handouts in one PDF in the Downloads folder; answers the file's path. Progress goes
/// to the window as `handout-batch-progress` events ([`BatchProgress`]);
/// [`handout_batch_cancel`] stops it, and then nothing is saved or recorded.
#[tauri::command]
pub async fn handout_batch_to_downloads<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    items: Vec<BatchItem>,
    paper: Paper,
) -> Reply<String> {
    let cancel = state.new_batch();
    let batch = state.execute(RenderBatch {
        items,
        paper,
        progress: Some(Box::new(move |p: BatchProgress| {
            let _ = app.emit("handout-batch-progress", p);
        })),
        cancel: Some(cancel),
    })?;
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M");
    let path = export::path_in_downloads(&format!("handouts-{stamp}.pdf"))?;
    export::save(&path, &batch.pdf)?;
    Ok(path.display().to_string())
}

/// Stops the batch being printed (it answers `CANCELLED`).
#[tauri::command]
pub fn handout_batch_cancel(state: State<'_, AppState>) {
    state.cancel_batch();
}

/// The text the editor opens for a topic, language and reading level.
#[tauri::command]
pub fn handout_template_get(state: State<'_, AppState>, key: TemplateKey) -> Reply<TemplateText> {
    state.execute(GetTemplate(key))
}

/// Saves the clinic's own copy (printed from now on); a text with a mistake is refused.
#[tauri::command]
pub fn handout_template_save(
    state: State<'_, AppState>,
    key: TemplateKey,
    source: String,
) -> Reply<TemplateText> {
    state.execute(SaveTemplate { key, source })
}

/// Back to the built-in text.
#[tauri::command]
pub fn handout_template_reset(state: State<'_, AppState>, key: TemplateKey) -> Reply<TemplateText> {
    state.execute(ResetTemplate(key))
}

/// Which texts the clinic has edited.
#[tauri::command]
pub fn handout_templates_edited(state: State<'_, AppState>) -> Reply<Vec<TemplateKey>> {
    state.execute(ListEditedTemplates)
}

/// The live preview of a draft (not saved).
#[tauri::command]
pub fn handout_template_preview(
    state: State<'_, AppState>,
    source: String,
    language: Language,
    plain: bool,
    paper: Paper,
) -> Reply<TemplatePreview> {
    state.execute(PreviewTemplate {
        source,
        language,
        plain,
        paper,
    })
}

#[tauri::command]
pub fn settings_clinic_get(state: State<'_, AppState>) -> Reply<ClinicProfile> {
    state.execute(GetClinicProfile)
}

#[tauri::command]
pub fn settings_clinic_set(
    state: State<'_, AppState>,
    profile: ClinicProfile,
) -> Reply<ClinicProfile> {
    state.execute(SetClinicProfile(profile))
}

/// The logo's bytes (an empty answer: no logo).
#[tauri::command]
pub fn settings_logo_get(state: State<'_, AppState>) -> Reply<tauri::ipc::Response> {
    let logo = state.execute(GetClinicLogo)?.unwrap_or_default();
    Ok(tauri::ipc::Response::new(logo))
}

/// Sets the logo from the image's raw bytes in the body; an empty body removes it.
#[tauri::command]
pub fn settings_logo_set(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Reply<()> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(ClinicError::new(
            ErrorCode::BadFile,
            "the image must be sent as raw bytes",
        ));
    };
    let logo = (!bytes.is_empty()).then(|| bytes.clone());
    state.execute(SetClinicLogo(logo))
}

/// The backup folder (checked now), the last good backup and the last attempt.
#[tauri::command]
pub fn backup_status(state: State<'_, AppState>) -> Reply<BackupStatus> {
    state.execute(GetBackupStatus)
}

/// A verified backup into `folder` (remembered), or into the remembered folder.
#[tauri::command]
pub async fn backup_now<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    folder: Option<String>,
) -> Reply<BackupReport> {
    let folder = match folder {
        Some(f) if !f.trim().is_empty() => f.trim().to_string(),
        _ => state.execute(GetBackupFolder)?.ok_or_else(|| {
            ClinicError::validation(
                "folder",
                ValidationRule::Required,
                "choose a backup folder first",
            )
        })?,
    };
    let report =
        state.with_clinic(|c, actor| c.backup_and_rotate(actor, std::path::Path::new(&folder)));
    // The "last good backup" badge listens, whatever the outcome.
    let _ = app.emit("backup-finished", report.is_ok());
    let report = report?;
    state.execute(SetBackupFolder(folder))?;
    Ok(report)
}

/// When backups run by themselves and how many are kept; answers what was stored.
#[tauri::command]
pub fn backup_schedule_set(
    state: State<'_, AppState>,
    schedule: BackupSchedule,
) -> Reply<BackupSchedule> {
    state.execute(SetBackupSchedule(schedule))
}

/// The backups in `folder`, newest first.
#[tauri::command]
pub fn backup_list(folder: String) -> Reply<BackupListing> {
    backup::listing(std::path::Path::new(&folder))
}
