//! The desktop app: app state and thin `#[tauri::command]` adapters over `clinic-core`.
//! No domain logic lives here; every data command goes through `Clinic::execute`.

mod appointment_commands;
mod commands;
mod key_commands;
mod loyalty_commands;
mod report_commands;
mod segment_commands;
mod staff_commands;
mod state;

use std::sync::atomic::Ordering;
use std::time::Duration;

use clinic_core::backup::Trigger;
use tauri::{Emitter, Manager, Runtime};

pub use state::AppState;

/// How often the app looks whether the daily backup is due.
const BACKUP_TICK: Duration = Duration::from_secs(60);

/// Registers state and commands; shared by `run()` and the mock-runtime tests.
pub fn setup<R: tauri::Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .on_window_event(back_up_on_close)
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::setup_clinic,
            commands::unlock,
            commands::lock,
            commands::patient_create,
            commands::patient_history,
            commands::patient_duplicates,
            commands::patient_merge,
            commands::patient_consent,
            commands::patient_link_family,
            commands::patient_unlink_family,
            commands::patient_update,
            commands::patient_archive,
            commands::patient_get,
            commands::patient_list,
            commands::patient_search,
            commands::visit_add,
            commands::visit_update,
            commands::visit_list,
            commands::import_patients,
            commands::import_visits,
            commands::handout_topics,
            commands::handout_recommend,
            commands::handout_given,
            commands::handout_to_downloads,
            commands::handout_batch_to_downloads,
            commands::handout_batch_cancel,
            commands::handout_template_get,
            commands::handout_template_save,
            commands::handout_template_reset,
            commands::handout_templates_edited,
            commands::handout_template_preview,
            commands::settings_clinic_get,
            commands::settings_clinic_set,
            commands::settings_logo_get,
            commands::settings_logo_set,
            commands::backup_status,
            commands::backup_now,
            commands::backup_list,
            commands::backup_schedule_set,
            key_commands::backup_inspect,
            key_commands::backup_restore,
            key_commands::key_status,
            key_commands::recovery_kit_to_downloads,
            key_commands::passphrase_change,
            key_commands::passphrase_reset,
            key_commands::key_rotate,
            appointment_commands::appointments_list,
            appointment_commands::appointment_book,
            appointment_commands::appointment_move,
            appointment_commands::appointment_status,
            appointment_commands::appointments_ics,
            appointment_commands::schedule_get,
            appointment_commands::schedule_set,
            appointment_commands::reminders_due,
            appointment_commands::reminder_log,
            appointment_commands::reminders_export,
            appointment_commands::reminder_rules_get,
            appointment_commands::reminder_rules_set,
            appointment_commands::reminder_effect,
            appointment_commands::reminder_preview,
            appointment_commands::reminders_postcards,
            appointment_commands::patient_check_ins,
            report_commands::report_run,
            report_commands::report_dashboard,
            report_commands::report_pdf,
            report_commands::report_export,
            staff_commands::staff_sign_in,
            staff_commands::staff_sign_out,
            staff_commands::staff_list,
            staff_commands::staff_add,
            staff_commands::staff_disable,
            staff_commands::staff_set_role,
            staff_commands::staff_reset_password,
            staff_commands::staff_change_own_password,
            staff_commands::staff_roles,
            staff_commands::staff_define_role,
            staff_commands::audit_list,
            staff_commands::audit_verify,
            staff_commands::audit_export,
            staff_commands::privacy_settings,
            staff_commands::privacy_settings_save,
            staff_commands::privacy_export,
            staff_commands::privacy_erase,
            segment_commands::segments_explain,
            segment_commands::segments_counts,
            segment_commands::segments_members,
            segment_commands::segment_rules_get,
            segment_commands::segment_rules_set,
            segment_commands::segment_rule_evaluate,
            segment_commands::segment_templates,
            segment_commands::segments_saved,
            segment_commands::segment_save,
            segment_commands::segment_delete,
            segment_commands::segment_saved_members,
            segment_commands::segment_export,
            segment_commands::tags_list,
            segment_commands::tag_save,
            segment_commands::tag_delete,
            segment_commands::tag_patients,
            segment_commands::patient_tags,
            segment_commands::patient_saved_segments,
            loyalty_commands::points_get,
            loyalty_commands::points_adjust,
            loyalty_commands::points_reverse,
            loyalty_commands::points_redeem,
            loyalty_commands::voucher_settle,
            loyalty_commands::rewards_list,
            loyalty_commands::reward_save,
            loyalty_commands::reward_retire,
            loyalty_commands::loyalty_settings_get,
            loyalty_commands::loyalty_settings_set,
            loyalty_commands::loyalty_preset,
            loyalty_commands::points_statement,
            loyalty_commands::membership_get,
            loyalty_commands::tiers_requalify,
            commands::export_to_downloads,
            commands::import_template_to_downloads,
        ])
}

/// Closing the window backs up first when the schedule asks for it (the window says
/// "backing up…"). A missing disk or a failed backup is logged and never keeps the app
/// open; a second close request closes at once.
fn back_up_on_close<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    let tauri::WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let state = window.state::<AppState>();
    if state.closing.swap(true, Ordering::SeqCst) || !state.backup_on_close_wanted() {
        return;
    }
    api.prevent_close();
    let _ = window.emit("backup-on-close", ());
    let window = window.clone();
    std::thread::spawn(move || {
        let _ = window.state::<AppState>().scheduled_backup(Trigger::Close);
        let _ = window.destroy();
    });
}

/// Every minute: expired points posted once a day, tiers requalified once a month; the daily backup when its time has passed (a day missed while the app was
/// closed is caught up at the next start). The window hears of each attempt.
fn start_backup_timer<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(BACKUP_TICK);
        let _ = loyalty_commands::expire_points_daily(&app.state::<AppState>());
        let _ = loyalty_commands::requalify_tiers_monthly(&app.state::<AppState>());
        if let Some(result) = app.state::<AppState>().scheduled_backup(Trigger::Daily) {
            let _ = app.emit("backup-finished", result.is_ok());
        }
    });
}

/// After each unlock (the keychain's at start, a passphrase, a restore), the clinic's first
/// questions of the day are prepared in the background (`AppState::warm_up_when_opened`).
fn start_warm_up<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || loop {
        app.state::<AppState>().warm_up_when_opened();
    });
}

pub fn run() {
    let state = AppState::from_env();
    // The keychain first: staff are not asked for the passphrase every morning.
    state.try_keychain_unlock();
    setup(tauri::Builder::default(), state)
        .setup(|app| {
            start_backup_timer(app.handle().clone());
            start_warm_up(app.handle().clone());
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running Clinic CRM");
}
