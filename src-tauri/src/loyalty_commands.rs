//! Loyalty for the window: thin adapters over the core's points operations. "Today" is the
//! clinic's day in its own time zone (Settings → opening hours).

use chrono::NaiveDate;
use clinic_core::appointments::GetSchedule;
use clinic_core::loyalty::{
    AdjustPoints, ExpirePoints, GetLoyaltySettings, GetPoints, Jurisdiction, ListRewards,
    LoyaltySettings, PointsRun, PointsStatement, RedeemReward, RetireReward, ReverseEntry, Reward,
    RewardInput, SaveReward, SetLoyaltySettings, SettleVoucher, Voucher, VoucherState,
};
use tauri::State;

use crate::AppState;

type Reply<T> = Result<T, clinic_core::ClinicError>;

fn today(state: &AppState) -> Reply<NaiveDate> {
    Ok(state.execute(GetSchedule)?.today(chrono::Utc::now()))
}

#[tauri::command]
pub async fn points_get(state: State<'_, AppState>, patient_id: String) -> Reply<PointsStatement> {
    let on = today(&state)?;
    state.execute(GetPoints { patient_id, on })
}

#[tauri::command]
pub async fn points_adjust(
    state: State<'_, AppState>,
    patient_id: String,
    points: i64,
    reason: String,
) -> Reply<PointsStatement> {
    let on = today(&state)?;
    state.execute(AdjustPoints {
        patient_id,
        points,
        reason,
        on,
    })
}

#[tauri::command]
pub async fn points_reverse(
    state: State<'_, AppState>,
    entry_id: i64,
    reason: String,
) -> Reply<PointsStatement> {
    let on = today(&state)?;
    state.execute(ReverseEntry {
        entry_id,
        reason,
        on,
    })
}

#[tauri::command]
pub async fn points_redeem(
    state: State<'_, AppState>,
    patient_id: String,
    reward_id: String,
) -> Reply<Voucher> {
    let on = today(&state)?;
    state.execute(RedeemReward {
        patient_id,
        reward_id,
        on,
    })
}

#[tauri::command]
pub async fn voucher_settle(
    state: State<'_, AppState>,
    code: String,
    state_to: VoucherState,
) -> Reply<Voucher> {
    let on = today(&state)?;
    state.execute(SettleVoucher {
        code,
        state: state_to,
        on,
    })
}

#[tauri::command]
pub async fn rewards_list(state: State<'_, AppState>, include_retired: bool) -> Reply<Vec<Reward>> {
    state.execute(ListRewards { include_retired })
}

#[tauri::command]
pub async fn reward_save(state: State<'_, AppState>, input: RewardInput) -> Reply<Reward> {
    state.execute(SaveReward(input))
}

#[tauri::command]
pub async fn reward_retire(state: State<'_, AppState>, id: String) -> Reply<Reward> {
    state.execute(RetireReward(id))
}

#[tauri::command]
pub async fn loyalty_settings_get(state: State<'_, AppState>) -> Reply<LoyaltySettings> {
    state.execute(GetLoyaltySettings)
}

#[tauri::command]
pub async fn loyalty_settings_set(
    state: State<'_, AppState>,
    settings: LoyaltySettings,
) -> Reply<LoyaltySettings> {
    state.execute(SetLoyaltySettings(settings))
}

/// A jurisdiction's safe starting rules (not saved until the owner saves them).
#[tauri::command]
pub async fn loyalty_preset(jurisdiction: Jurisdiction) -> Reply<LoyaltySettings> {
    Ok(LoyaltySettings::preset(jurisdiction))
}

/// Posts birthday bonuses and expired points once a day (at the first tick of the day,
/// and at start).
pub fn expire_points_daily(state: &AppState) -> Option<Reply<PointsRun>> {
    let on = today(state).ok()?;
    if !state.points_expiry_due(on) {
        return None;
    }
    let _ = state.execute(clinic_core::loyalty::PostBirthdayBonuses { on });
    Some(state.execute(ExpirePoints { on }))
}

/// The patient's points statement as a PDF in Downloads; returns its path.
#[tauri::command]
pub async fn points_statement(
    state: State<'_, AppState>,
    patient_id: String,
    paper: clinic_core::handouts::pdf::Paper,
) -> Reply<String> {
    let on = today(&state)?;
    let pdf = state.execute(clinic_core::loyalty::PrintPointsStatement {
        patient_id: patient_id.clone(),
        on,
        language: None,
        paper,
    })?;
    let path = clinic_core::export::path_in_downloads(&format!("points {on} {patient_id}.pdf"))?;
    clinic_core::export::save(&path, &pdf)?;
    Ok(path.display().to_string())
}

#[tauri::command]
pub async fn membership_get(
    state: State<'_, AppState>,
    patient_id: String,
) -> Reply<clinic_core::loyalty::Membership> {
    state.execute(clinic_core::loyalty::GetMembership { patient_id })
}

/// Requalifies membership tiers (the core runs it once a month; asked every tick, it
/// returns at once the rest of the month).
pub fn requalify_tiers_monthly(state: &AppState) -> Option<Reply<clinic_core::loyalty::TierRun>> {
    let on = today(state).ok()?;
    Some(state.execute(clinic_core::loyalty::RequalifyTiers { on, force: false }))
}

/// Requalifies every patient now (after the ladder changed), whatever the month.
#[tauri::command]
pub async fn tiers_requalify(state: State<'_, AppState>) -> Reply<clinic_core::loyalty::TierRun> {
    let on = today(&state)?;
    state.execute(clinic_core::loyalty::RequalifyTiers { on, force: true })
}
