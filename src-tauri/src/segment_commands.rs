//! Patient classification for the window: a patient's labels with their reasons, the
//! clinic's counts per dimension, a label's members, the thresholds; rule segments (live
//! count, save, members, export) and tags.

use clinic_core::export::{self, ExportFormat};
use clinic_core::patients::{parse_id, ConsentPurpose};
use clinic_core::segments::{
    CountSegments, DeleteSegment, DeleteTag, Dimension, DimensionCounts, EvaluateRule,
    ExplainPatient, ExportSegment, GetSegmentRules, ListSavedSegments, ListSegmentTemplates,
    ListTags, ListWritten, PatientLabel, PatientSavedSegments, PatientSegment, PatientTags,
    ResolveSegment, Rule, RuleResult, SaveSegment, SaveTag, SavedSegment, SavedSegmentMembers,
    SegmentMember, SegmentMembers, SegmentRef, SegmentRules, SegmentTemplate, SetSegmentRules, Tag,
    TagColour, TagPatients,
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

/// A rule's count and first members while it is being built (not saved).
#[tauri::command]
pub async fn segment_rule_evaluate(
    state: State<'_, AppState>,
    rule: Rule,
    limit: Option<u32>,
) -> Reply<RuleResult> {
    state.execute(EvaluateRule {
        rule,
        today: None,
        limit,
    })
}

#[tauri::command]
pub fn segment_templates(state: State<'_, AppState>) -> Reply<Vec<SegmentTemplate>> {
    state.execute(ListSegmentTemplates)
}

#[tauri::command]
pub async fn segments_saved(state: State<'_, AppState>) -> Reply<Vec<SavedSegment>> {
    state.execute(ListSavedSegments { today: None })
}

#[tauri::command]
pub async fn segment_save(
    state: State<'_, AppState>,
    id: Option<i64>,
    name: String,
    description: Option<String>,
    rule: Rule,
    template: Option<String>,
) -> Reply<SavedSegment> {
    state.execute(SaveSegment {
        id,
        name,
        description,
        rule,
        template,
    })
}

#[tauri::command]
pub fn segment_delete(state: State<'_, AppState>, id: i64) -> Reply<()> {
    state.execute(DeleteSegment { id })
}

/// A saved segment's members with why each is in.
#[tauri::command]
pub async fn segment_saved_members(state: State<'_, AppState>, name: String) -> Reply<RuleResult> {
    state.execute(SavedSegmentMembers {
        name,
        today: None,
        limit: None,
    })
}

/// Any segment's members as a CSV or XLSX call list in the Downloads folder, only those
/// who agreed to be contacted for `purpose`; answers the file's path and the counts.
#[tauri::command]
pub async fn segment_export(
    state: State<'_, AppState>,
    segment: SegmentRef,
    format: ExportFormat,
    purpose: ConsentPurpose,
) -> Reply<ListWritten> {
    let list = state.execute(ExportSegment {
        segment: segment.clone(),
        format,
        today: None,
        purpose,
    })?;
    // File names cannot hold ':' everywhere (Windows); the rest of a name is the clinic's.
    let title: String = segment
        .title()
        .chars()
        .map(|c| if "/\\:*?\"<>|".contains(c) { '-' } else { c })
        .collect();
    let ext = if format == ExportFormat::Xlsx {
        "xlsx"
    } else {
        "csv"
    };
    let day = chrono::Local::now().date_naive();
    let path = export::path_in_downloads(&format!("{title} {day}.{ext}"))?;
    export::save(&path, &list.bytes)?;
    Ok(ListWritten {
        path: path.display().to_string(),
        listed: list.listed as u32,
        without_consent: list.without_consent as u32,
    })
}

#[tauri::command]
pub fn tags_list(state: State<'_, AppState>) -> Reply<Vec<Tag>> {
    state.execute(ListTags)
}

#[tauri::command]
pub fn tag_save(
    state: State<'_, AppState>,
    id: Option<i64>,
    name: String,
    colour: TagColour,
) -> Reply<Tag> {
    state.execute(SaveTag { id, name, colour })
}

#[tauri::command]
pub fn tag_delete(state: State<'_, AppState>, id: i64) -> Reply<()> {
    state.execute(DeleteTag { id })
}

/// Puts a tag on (or takes it off) patients: the ids given and every member of `segment`.
#[tauri::command]
pub async fn tag_patients(
    state: State<'_, AppState>,
    tag_id: i64,
    patient_ids: Vec<String>,
    segment: Option<SegmentRef>,
    remove: bool,
) -> Reply<u64> {
    let mut patients = Vec::new();
    for id in &patient_ids {
        patients.push(parse_id("patientIds", id)?);
    }
    if let Some(segment) = segment {
        let members = state.execute(ResolveSegment {
            segment,
            today: None,
        })?;
        patients.extend(members.into_iter().map(|m| m.id));
    }
    state.execute(TagPatients {
        tag_id,
        patients,
        remove,
    })
}

#[tauri::command]
pub fn patient_tags(state: State<'_, AppState>, patient_id: String) -> Reply<Vec<Tag>> {
    let patient_id = parse_id("patientId", &patient_id)?;
    state.execute(PatientTags { patient_id })
}

/// The saved segments a patient is in, with why (chips on the patient page).
#[tauri::command]
pub fn patient_saved_segments(
    state: State<'_, AppState>,
    patient_id: String,
) -> Reply<Vec<PatientSegment>> {
    let patient_id = parse_id("patientId", &patient_id)?;
    state.execute(PatientSavedSegments {
        patient_id,
        today: None,
    })
}
