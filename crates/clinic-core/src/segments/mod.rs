//! Patient classification: the built-in dimensions (visit frequency, age group, payment
//! type, service type, satisfaction, NPS role, lifecycle, value tier, risk level,
//! severity), each label with the facts and rule that produced it, counted over the clinic
//! and listed by member; staff tags; clinic-defined rule segments (`custom`, `saved`).
//! Archived patients are left out. Everything is computed from the records when asked, so
//! it is current after any write.

pub mod custom;
mod digest;
pub mod dimensions;
mod facts;
pub mod members;
pub(crate) mod memo;
pub mod rules;
pub mod saved;
pub mod tags;
pub mod templates;

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor, Permission};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result};
use crate::visits::VisitType;

pub use custom::{Rule, RuleReason, Subject};
pub use dimensions::{
    age_on, label_names, labels, rfm, window_start, ClinicContext, Dimension, Facts,
    MembershipFact, PatientLabel, VisitFact, VisitText,
};
pub(crate) use facts::{iso_date, load_facts};
pub use members::{
    members_of, ExportSegment, ExportedList, ListWritten, Member, ResolveSegment, SegmentRef,
};
pub use rules::{GetSegmentRules, SegmentRules, SetSegmentRules};
pub use saved::{
    DeleteSegment, EvaluateRule, ListSavedSegments, ListSegmentTemplates, PatientSavedSegments,
    PatientSegment, RuleMember, RuleResult, SaveSegment, SavedSegment, SavedSegmentMembers,
    SegmentIdByName,
};
pub use tags::{DeleteTag, ListTags, PatientTags, SaveTag, Tag, TagColour, TagPatients};
pub use templates::{templates, SegmentTemplate};

/// The RFM cut points across the clinic (to score one patient against the rest).
pub fn clinic_context(
    tx: &Transaction<'_>,
    rules: &SegmentRules,
    today: NaiveDate,
) -> Result<ClinicContext> {
    Ok(memo::classified(tx, rules, today)?.clinic.clone())
}

/// Every active patient's label in one dimension on `today`, from the kept
/// classification, for reports that group by a label: the labels met, and each patient's
/// (by id) as an index into them.
pub(crate) fn label_of_everyone(
    tx: &Transaction<'_>,
    dimension: Dimension,
    today: NaiveDate,
) -> Result<(Vec<String>, HashMap<Uuid, u32>)> {
    let all = memo::classified(tx, &rules::load(tx)?, today)?;
    let mut names: Vec<String> = Vec::new();
    let mut of = HashMap::with_capacity(all.people.len());
    for (i, p) in all.people.iter().enumerate() {
        let Some(label) = all.label(i, dimension) else {
            continue;
        };
        let code = match names.iter().position(|n| n == label) {
            Some(c) => c,
            None => {
                names.push(label.to_string());
                names.len() - 1
            }
        };
        of.insert(p.0, code as u32);
    }
    Ok((names, of))
}

/// A patient the lifecycle calls at risk, with what the churn call list shows.
pub(crate) struct AtRisk {
    pub id: Uuid,
    pub name: String,
    pub value_tier: Option<String>,
    pub risk_level: Option<String>,
    pub last_visit: NaiveDate,
    pub days_since: i64,
    /// The median gap between their visits, in days.
    pub usual_days: i64,
}

/// Everyone at risk on `today`, from the kept classification (no sentences written).
pub(crate) fn at_risk_everyone(tx: &Transaction<'_>, today: NaiveDate) -> Result<Vec<AtRisk>> {
    let all = memo::classified(tx, &rules::load(tx)?, today)?;
    Ok(all
        .people
        .iter()
        .enumerate()
        .filter(|(i, _)| all.has(*i, Dimension::Lifecycle, "at-risk"))
        .filter_map(|(i, (id, name, facts))| {
            let last = facts.visits.first()?.date;
            Some(AtRisk {
                id: *id,
                name: name.clone(),
                value_tier: all.label(i, Dimension::ValueTier).map(str::to_string),
                risk_level: all.label(i, Dimension::RiskLevel).map(str::to_string),
                last_visit: last,
                days_since: (today - last).num_days(),
                usual_days: dimensions::usual_interval(&facts.visits)?,
            })
        })
        .collect())
}

fn today_or(today: Option<NaiveDate>) -> NaiveDate {
    today.unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// Severity and risk level are worked out from conditions, allergies and emergency visits —
/// clinical details — so who may not view those does not receive them as a label either.
pub fn is_clinical(dimension: Dimension) -> bool {
    matches!(dimension, Dimension::Severity | Dimension::RiskLevel)
}

/// Reasons that name a condition, a diagnosis, a treatment or a clinical label, said
/// without naming it (for who may not view clinical details).
pub(crate) fn hide_clinical_reasons(why: &mut [custom::RuleReason]) {
    for r in why.iter_mut() {
        if r.clinical {
            r.kind = "clinical".into();
            r.facts.clear();
            r.text = "a clinical criterion".into();
        }
    }
}

/// `hide_clinical_reasons` for every member, unless `by` may view clinical details.
pub(crate) fn hide_clinical_members(by: &Actor, result: &mut saved::RuleResult) {
    if !by.may(Permission::ViewClinical) {
        for m in &mut result.members {
            hide_clinical_reasons(&mut m.why);
        }
    }
}

fn refuse_clinical(by: &Actor, dimension: Dimension) -> Result<()> {
    if is_clinical(dimension) && !by.may(Permission::ViewClinical) {
        return Err(ClinicError::new(
            ErrorCode::PermissionDenied,
            format!(
                "{} is worked out from clinical details, which this role may not view",
                dimension.code()
            ),
        ));
    }
    Ok(())
}

/// One patient's labels with their reasons (the chips on the patient page).
pub struct ExplainPatient {
    pub patient_id: Uuid,
    /// The day to judge on; today (local) when `None`.
    pub today: Option<NaiveDate>,
}

impl Operation for ExplainPatient {
    type Output = Vec<PatientLabel>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<PatientLabel>> {
        let rules = rules::load(tx)?;
        let today = today_or(self.today);
        let all = memo::classified(tx, &rules, today)?;
        let &i = all
            .position
            .get(&self.patient_id)
            .ok_or_else(|| ClinicError::not_found("patient", &self.patient_id.to_string()))?;
        let mut chips = labels(&all.people[i].2, &rules, today, &all.clinic);
        if !by.may(Permission::ViewClinical) {
            chips.retain(|l| !is_clinical(l.dimension));
        }
        Ok(chips)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LabelCount {
    pub label: String,
    #[ts(type = "number")]
    pub count: u64,
}

/// A dimension's labels and how many patients carry each (those with none are `unknown`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DimensionCounts {
    pub dimension: Dimension,
    pub counts: Vec<LabelCount>,
}

/// Every dimension with its counts over the active patients.
pub struct CountSegments {
    pub today: Option<NaiveDate>,
}

impl Operation for CountSegments {
    type Output = Vec<DimensionCounts>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<DimensionCounts>> {
        let clinical = by.may(Permission::ViewClinical);
        let rules = rules::load(tx)?;
        let today = today_or(self.today);
        let all = memo::classified(tx, &rules, today)?;
        // Without a loyalty programme nobody has a tier: the dimension is left out.
        let tiers = all.people.iter().any(|p| p.2.membership.is_some());
        Ok(all
            .counts()
            .into_iter()
            .filter(|(d, _)| tiers || *d != Dimension::MembershipTier)
            .filter(|(d, _)| clinical || !is_clinical(*d))
            .map(|(dimension, met)| DimensionCounts {
                dimension,
                counts: met
                    .into_iter()
                    .map(|(label, count)| LabelCount {
                        label: label.into_owned(),
                        count,
                    })
                    .collect(),
            })
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SegmentMember {
    pub id: Uuid,
    pub name: String,
    /// Why this patient is in the segment.
    pub why: PatientLabel,
}

/// The patients carrying `label` in `dimension`, by name.
pub struct SegmentMembers {
    pub dimension: Dimension,
    pub label: String,
    pub today: Option<NaiveDate>,
}

impl Operation for SegmentMembers {
    type Output = Vec<SegmentMember>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<SegmentMember>> {
        refuse_clinical(by, self.dimension)?;
        let rules = rules::load(tx)?;
        let today = today_or(self.today);
        let all = memo::classified(tx, &rules, today)?;
        let wanted = |l: &PatientLabel| l.dimension == self.dimension && l.label == self.label;
        // Names first; the reason is only worked out for the members.
        let mut out: Vec<SegmentMember> = all
            .people
            .iter()
            .enumerate()
            .filter(|(i, _)| all.has(*i, self.dimension, &self.label))
            .filter_map(|(_, (id, name, facts))| {
                labels(facts, &rules, today, &all.clinic)
                    .into_iter()
                    .find(wanted)
                    .map(|why| SegmentMember {
                        id: *id,
                        name: name.clone(),
                        why,
                    })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }
}
