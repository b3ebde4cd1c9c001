//! Patient classification for the window: a patient's labels with their reasons, the
//! clinic's counts per dimension, a label's members, and the thresholds.

use clinic_core::patients::parse_id;
use clinic_core::segments::{
    CountSegments, Dimension, DimensionCounts, ExplainPatient, GetSegmentRules, PatientLabel,
    SegmentMember, SegmentMembers, SegmentRules, SetSegmentRules,
};
use tauri::State;

use crate::AppState;

type Reply<T> = Result<T, clinic_core::ClinicError>;

#[tauri::command]
pub fn segments_explain(
    state: State<'_, AppState>,
    patient_id: String,
) -> Reply<Vec<PatientLabel>> {
    let patient_id = parse_id("patientId", &patient_id)?;
    state.execute(ExplainPatient {
        patient_id,
        today: None,
    })
}

#[tauri::command]
pub async fn segments_counts(state: State<'_, AppState>) -> Reply<Vec<DimensionCounts>> {
    state.execute(CountSegments { today: None })
}

#[tauri::command]
pub async fn segments_members(
    state: State<'_, AppState>,
    dimension: Dimension,
    label: String,
) -> Reply<Vec<SegmentMember>> {
    state.execute(SegmentMembers {
        dimension,
        label,
        today: None,
    })
}

#[tauri::command]
pub fn segment_rules_get(state: State<'_, AppState>) -> Reply<SegmentRules> {
    state.execute(GetSegmentRules)
}

#[tauri::command]
pub fn segment_rules_set(state: State<'_, AppState>, rules: SegmentRules) -> Reply<SegmentRules> {
    state.execute(SetSegmentRules(rules))
}
