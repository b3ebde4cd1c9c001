//! Staff at a shared desk (sign in, switch, the idle lock), staff accounts and roles, the
//! audit log, and patients' privacy rights, for the window. The core checks every one.

use clinic_core::access::audit::{self, AuditEntry, AuditVerdict, ListAudit, VerifyAudit};
use clinic_core::access::staff::{
    AddStaff, ChangeOwnPassword, CustomRole, DefineRole, DisableStaff, ListRoles, ListStaff,
    ResetStaffPassword, SetStaffRole, StaffMember,
};
use clinic_core::access::Permission;
use clinic_core::export;
use clinic_core::handouts::pdf::Paper;
use clinic_core::patients::Language;
use clinic_core::privacy::{
    ErasePatientData, ErasureOutcome, ExportPatientData, GetPrivacySettings, PrintPatientData,
    PrivacySettings, SavePrivacySettings,
};
use clinic_core::AppStatus;
use tauri::State;

use crate::AppState;
use clinic_core::patients::parse_id;

type Reply<T> = Result<T, clinic_core::ClinicError>;

#[tauri::command]
pub async fn staff_sign_in(
    state: State<'_, AppState>,
    name: String,
    password: String,
) -> Reply<AppStatus> {
    state.sign_in(&name, &password)
}

#[tauri::command]
pub fn staff_sign_out(state: State<'_, AppState>) -> AppStatus {
    state.sign_out()
}

#[tauri::command]
pub async fn staff_list(state: State<'_, AppState>) -> Reply<Vec<StaffMember>> {
    state.execute(ListStaff)
}

/// Adds a staff member. The first account (the owner's) is signed in at once: from then
/// on everyone signs in, starting with the person who just made it.
#[tauri::command]
pub async fn staff_add(
    state: State<'_, AppState>,
    name: String,
    role: String,
    password: String,
) -> Reply<StaffMember> {
    let first = !state.status().staff_accounts;
    let member = state.execute(AddStaff {
        name: name.clone(),
        role,
        password: password.clone(),
    })?;
    if first {
        state.sign_in(&name, &password)?;
    }
    Ok(member)
}

#[tauri::command]
pub async fn staff_disable(state: State<'_, AppState>, name: String) -> Reply<()> {
    state.execute(DisableStaff { name })
}

#[tauri::command]
pub async fn staff_set_role(
    state: State<'_, AppState>,
    name: String,
    role: String,
) -> Reply<StaffMember> {
    state.execute(SetStaffRole { name, role })
}

#[tauri::command]
pub async fn staff_reset_password(
    state: State<'_, AppState>,
    name: String,
    password: String,
) -> Reply<()> {
    state.execute(ResetStaffPassword { name, password })
}

#[tauri::command]
pub async fn staff_change_own_password(
    state: State<'_, AppState>,
    current: String,
    new: String,
) -> Reply<()> {
    state.execute(ChangeOwnPassword { current, new })
}

#[tauri::command]
pub async fn staff_roles(state: State<'_, AppState>) -> Reply<Vec<CustomRole>> {
    state.execute(ListRoles)
}

#[tauri::command]
pub async fn staff_define_role(
    state: State<'_, AppState>,
    name: String,
    permissions: Vec<Permission>,
) -> Reply<CustomRole> {
    state.execute(DefineRole { name, permissions })
}

#[tauri::command]
pub async fn audit_list(state: State<'_, AppState>, filter: AuditFilter) -> Reply<Vec<AuditEntry>> {
    state.execute(filter.into_list(500))
}

/// The log as filtered in the window, saved as CSV in Downloads; answers its path.
#[tauri::command]
pub async fn audit_export(state: State<'_, AppState>, filter: AuditFilter) -> Reply<String> {
    let entries = state.execute(filter.into_list(1_000_000))?;
    let path = export::path_in_downloads(&format!(
        "audit-log-{}.csv",
        chrono::Local::now().format("%Y-%m-%d")
    ))?;
    export::save(&path, audit::to_csv(&entries)?.as_bytes())?;
    Ok(path.display().to_string())
}

/// The audit page's filters.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditFilter {
    patient_id: Option<String>,
    staff: Option<String>,
    action: Option<String>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
}

impl AuditFilter {
    fn into_list(self, limit: u32) -> ListAudit {
        ListAudit {
            patient_id: self.patient_id,
            staff: self.staff,
            action: self.action,
            from: self.from,
            to: self.to,
            limit,
        }
    }
}

#[tauri::command]
pub async fn audit_verify(state: State<'_, AppState>) -> Reply<AuditVerdict> {
    state.execute(VerifyAudit)
}

#[tauri::command]
pub async fn privacy_settings(state: State<'_, AppState>) -> Reply<PrivacySettings> {
    state.execute(GetPrivacySettings)
}

#[tauri::command]
pub async fn privacy_settings_save(
    state: State<'_, AppState>,
    settings: PrivacySettings,
) -> Reply<PrivacySettings> {
    state.execute(SavePrivacySettings(settings))
}

/// Everything held about the patient, as JSON and as a PDF in the user's language, saved
/// to Downloads; answers the PDF's path.
#[tauri::command]
pub async fn privacy_export(
    state: State<'_, AppState>,
    patient_id: String,
    language: Language,
) -> Reply<String> {
    let patient_id = parse_id("patient", &patient_id)?;
    let data = state.execute(ExportPatientData { patient_id })?;
    let pdf = state.execute(PrintPatientData {
        data: data.clone(),
        language,
        paper: Paper::A4,
    })?;
    let json = export::path_in_downloads(&format!("patient-{patient_id}.json"))?;
    let file = export::path_in_downloads(&format!("patient-{patient_id}.pdf"))?;
    export::save(
        &json,
        serde_json::to_string_pretty(&data)
            .expect("serialisable")
            .as_bytes(),
    )?;
    export::save(&file, &pdf)?;
    Ok(file.display().to_string())
}

#[tauri::command]
pub async fn privacy_erase(
    state: State<'_, AppState>,
    patient_id: String,
) -> Reply<ErasureOutcome> {
    state.execute(ErasePatientData {
        patient_id: parse_id("patient", &patient_id)?,
        today: None,
    })
}
