//! The owner's safety commands: restore from a backup, the recovery kit, the passphrase,
//! rotation of the database key. Thin, like the rest: the work is in `clinic-core`.

use clinic_core::backup::{self, RestoreOutcome, VerifiedBackup};
use clinic_core::export;
use clinic_core::handouts::pdf::Paper;
use clinic_core::patients::Language;
use clinic_core::security::{KeyStatus, RecoveryKitSaved, RotationProgress, RotationReport};
use clinic_core::AppStatus;
use tauri::{Emitter, State};

use crate::AppState;

type Reply<T> = Result<T, clinic_core::ClinicError>;

/// Checks a backup completely with its passphrase or recovery code and says what it holds
/// (the preview before a restore). Nothing changes.
#[tauri::command]
pub async fn backup_inspect(file: String, secret: String) -> Reply<VerifiedBackup> {
    backup::verify_with_passphrase(std::path::Path::new(&file), &secret)
}

/// Replaces this computer's clinic with the backup; answers what was restored and the
/// window's new status (the restored clinic, unlocked).
#[tauri::command]
pub async fn backup_restore(
    state: State<'_, AppState>,
    file: String,
    secret: String,
) -> Reply<RestoreOutcome> {
    let report = state.restore(std::path::Path::new(&file), &secret)?;
    Ok(RestoreOutcome {
        report,
        status: state.status(),
    })
}

#[tauri::command]
pub fn key_status(state: State<'_, AppState>) -> Reply<KeyStatus> {
    state.with_clinic(|c, actor| c.key_status(actor))
}

/// A new recovery code (an earlier one stops working) and its kit in Downloads.
#[tauri::command]
pub fn recovery_kit_to_downloads(
    state: State<'_, AppState>,
    secret: String,
    language: Language,
    paper: Paper,
) -> Reply<RecoveryKitSaved> {
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M");
    let path = export::path_in_downloads(&format!("recovery-kit-{stamp}.pdf"))?;
    let code = state.with_clinic(|c, actor| {
        c.new_recovery_kit(actor, &secret, language, paper, |pdf| {
            export::save(&path, pdf)
        })
    })?;
    Ok(RecoveryKitSaved {
        code: code.display(),
        path: path.display().to_string(),
    })
}

#[tauri::command]
pub fn passphrase_change(
    state: State<'_, AppState>,
    secret: String,
    new_passphrase: String,
) -> Reply<()> {
    state.with_clinic(|c, actor| c.change_passphrase(actor, &secret, &new_passphrase))
}

/// The unlock screen's "forgot the passphrase?": a recovery code and a new passphrase.
#[tauri::command]
pub fn passphrase_reset(
    state: State<'_, AppState>,
    code: String,
    new_passphrase: String,
) -> Reply<AppStatus> {
    state.reset_passphrase(&code, &new_passphrase)
}

/// Re-encrypts the database under a new key; progress as `key-rotation-progress` events.
#[tauri::command]
pub async fn key_rotate<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    secret: String,
) -> Reply<RotationReport> {
    state.rotate_key(&secret, &|p: RotationProgress| {
        let _ = app.emit("key-rotation-progress", p);
    })
}
