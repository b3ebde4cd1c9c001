//! Saved clinic-defined segments: named rules, evaluated whenever they are asked for (so
//! always current), with their members and why each is in.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::custom::{Rule, RuleReason, Subject};
use super::dimensions::{label_names, labels, ClinicContext, Facts, PatientLabel};
use super::rules::SegmentRules;
use super::templates::{templates, SegmentTemplate};
use super::{load_facts, memo, rules, tags, today_or};
use crate::access::{Action, Actor, Permission};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::now_text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SavedSegment {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub rule: Rule,
    pub template: Option<String>,
    /// Members today.
    #[ts(type = "number")]
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RuleMember {
    pub id: Uuid,
    pub name: String,
    /// The facts that put the patient in.
    pub why: Vec<RuleReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RuleResult {
    /// Every member (the list may be cut at `limit`).
    #[ts(type = "number")]
    pub count: u64,
    pub members: Vec<RuleMember>,
}

/// Each rule's members among the active patients, by name; `limit` cuts each list (the
/// counts stay whole).
fn evaluate_all(
    tx: &Transaction<'_>,
    rules_to_run: &[&Rule],
    today: NaiveDate,
    limit: Option<usize>,
) -> Result<Vec<RuleResult>> {
    let thresholds = rules::load(tx)?;
    let run = Run {
        rules_to_run,
        thresholds: &thresholds,
        today,
        limit,
    };
    if !rules_to_run.iter().any(|r| r.uses_visit_text()) {
        let all = memo::classified(tx, &thresholds, today)?;
        return Ok(run.over(&all.people, Some(&all), &all.clinic));
    }
    // Words in the visits' text: every visit row is read (the text is not kept in memory).
    let mut people = load_facts(tx, None, true, true)?;
    people.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let clinic = if rules_to_run.iter().any(|r| r.uses_labels()) {
        ClinicContext::from_facts(people.iter().map(|p| &p.2), &thresholds, today)
    } else {
        Default::default()
    };
    Ok(run.over(&people, None, &clinic))
}

struct Run<'a> {
    rules_to_run: &'a [&'a Rule],
    thresholds: &'a SegmentRules,
    today: NaiveDate,
    limit: Option<usize>,
}

impl Run<'_> {
    /// Every rule over `people` (by name); `known` has their label names when already
    /// worked out.
    fn over(
        &self,
        people: &[(Uuid, String, Facts)],
        known: Option<&memo::Classified>,
        clinic: &ClinicContext,
    ) -> Vec<RuleResult> {
        let (thresholds, today) = (self.thresholds, self.today);
        let need_labels = self.rules_to_run.iter().any(|r| r.uses_labels());
        let mut out: Vec<RuleResult> = self
            .rules_to_run
            .iter()
            .map(|_| RuleResult {
                count: 0,
                members: Vec::new(),
            })
            .collect();
        let mut mine: Vec<PatientLabel> = Vec::new();
        for (i, (id, name, facts)) in people.iter().enumerate() {
            // Label names decide; their sentences are only made for a member who is listed.
            if need_labels {
                match known {
                    Some(k) => k.label_names_into(i, &mut mine),
                    None => mine = label_names(facts, thresholds, today, clinic),
                }
            }
            let mine: &[PatientLabel] = &mine;
            let mut explained: Option<Vec<PatientLabel>> = None;
            for (rule, result) in self.rules_to_run.iter().zip(out.iter_mut()) {
                let subject = Subject {
                    facts,
                    labels: mine,
                    today,
                };
                if !rule.matches(&subject) {
                    continue;
                }
                result.count += 1;
                if self.limit.is_some_and(|l| result.members.len() >= l) {
                    continue;
                }
                // A listed member's reasons, with the labels' own sentences.
                let why = if rule.uses_labels() {
                    let full =
                        explained.get_or_insert_with(|| labels(facts, thresholds, today, clinic));
                    rule.evaluate(&Subject {
                        facts,
                        labels: full,
                        today,
                    })
                    .1
                } else {
                    rule.evaluate(&subject).1
                };
                result.members.push(RuleMember {
                    id: *id,
                    name: name.clone(),
                    why,
                });
            }
        }
        out
    }
}

/// A rule checked against the clinic's tags too.
fn check_rule(tx: &Transaction<'_>, rule: &Rule) -> Result<()> {
    rule.validate()?;
    for name in rule.tag_names() {
        if tags::by_name(tx, &name)?.is_none() {
            return Err(ClinicError::validation(
                "rule",
                ValidationRule::UnknownValue,
                format!("there is no tag called {name}"),
            ));
        }
    }
    Ok(())
}

/// A rule's members now, without saving it: the live count while a rule is built.
pub struct EvaluateRule {
    pub rule: Rule,
    pub today: Option<NaiveDate>,
    /// At most this many members listed (the count is always whole).
    pub limit: Option<u32>,
}

impl Operation for EvaluateRule {
    type Output = RuleResult;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<RuleResult> {
        check_rule(tx, &self.rule)?;
        let today = today_or(self.today);
        let limit = self.limit.map(|l| l as usize);
        let mut result = evaluate_all(tx, &[&self.rule], today, limit)?
            .pop()
            .expect("one rule");
        super::hide_clinical_members(by, &mut result);
        Ok(result)
    }
}

/// The ready-made rules.
pub struct ListSegmentTemplates;

impl Operation for ListSegmentTemplates {
    type Output = Vec<SegmentTemplate>;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, _: &Transaction<'_>, _: &Actor) -> Result<Vec<SegmentTemplate>> {
        Ok(templates())
    }
}

/// A row of `segment` with its rule read.
struct Stored {
    id: i64,
    name: String,
    description: Option<String>,
    rule: Rule,
    template: Option<String>,
}

fn stored(tx: &Transaction<'_>) -> Result<Vec<Stored>> {
    let mut stmt = tx.prepare(
        "SELECT id, name, description, rule, template FROM segment ORDER BY name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, description, rule, template) = row?;
        // Written by this code after validation; a rule from a newer version that this one
        // cannot read is skipped rather than failing the whole list.
        if let Ok(rule) = serde_json::from_str::<Rule>(&rule) {
            out.push(Stored {
                id,
                name,
                description,
                rule,
                template,
            });
        }
    }
    Ok(out)
}

/// Every saved segment with its count today, by name (one pass over the patients).
pub struct ListSavedSegments {
    pub today: Option<NaiveDate>,
}

impl Operation for ListSavedSegments {
    type Output = Vec<SavedSegment>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<SavedSegment>> {
        let all = stored(tx)?;
        let rules: Vec<&Rule> = all.iter().map(|s| &s.rule).collect();
        let results = if rules.is_empty() {
            Vec::new()
        } else {
            evaluate_all(tx, &rules, today_or(self.today), Some(0))?
        };
        Ok(all
            .iter()
            .zip(results.iter().map(|r| r.count).chain(std::iter::repeat(0)))
            .map(|(s, count)| SavedSegment {
                id: s.id,
                name: s.name.clone(),
                description: s.description.clone(),
                rule: s.rule.clone(),
                template: s.template.clone(),
                count,
            })
            .collect())
    }
}

/// A new segment (`id` none) or changes to one; the name is unique without regard to case.
pub struct SaveSegment {
    pub id: Option<i64>,
    pub name: String,
    pub description: Option<String>,
    pub rule: Rule,
    pub template: Option<String>,
}

impl Operation for SaveSegment {
    type Output = SavedSegment;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<SavedSegment> {
        let name = self.name.trim().to_string();
        if name.is_empty() {
            return Err(ClinicError::validation(
                "name",
                ValidationRule::Required,
                "a segment needs a name",
            ));
        }
        if name.chars().count() > 80 {
            return Err(ClinicError::validation(
                "name",
                ValidationRule::TooLong,
                "a segment name has at most 80 characters",
            ));
        }
        check_rule(tx, &self.rule)?;
        let other: Option<i64> = tx
            .query_row("SELECT id FROM segment WHERE name = ?1", [&name], |r| {
                r.get(0)
            })
            .optional()?;
        if other.is_some() && other != self.id {
            return Err(ClinicError::validation(
                "name",
                ValidationRule::Taken,
                format!("there is already a segment called {name}"),
            ));
        }
        let description = self
            .description
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        let rule = serde_json::to_string(&self.rule).expect("rule serialises");
        let now = now_text();
        let id = match self.id {
            None => {
                tx.execute(
                    "INSERT INTO segment (name, description, rule, template, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![name, description, rule, self.template, now],
                )?;
                tx.last_insert_rowid()
            }
            Some(id) => {
                let n = tx.execute(
                    "UPDATE segment SET name = ?1, description = ?2, rule = ?3, updated_at = ?4
                     WHERE id = ?5",
                    params![name, description, rule, now, id],
                )?;
                if n == 0 {
                    return Err(ClinicError::not_found("segment", &id.to_string()));
                }
                id
            }
        };
        let count = evaluate_all(tx, &[&self.rule], today_or(None), Some(0))?[0].count;
        Ok(SavedSegment {
            id,
            name,
            description,
            rule: self.rule,
            template: self.template,
            count,
        })
    }
}

pub struct DeleteSegment {
    pub id: i64,
}

impl Operation for DeleteSegment {
    type Output = ();
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<()> {
        if tx.execute("DELETE FROM segment WHERE id = ?1", [self.id])? == 0 {
            return Err(ClinicError::not_found("segment", &self.id.to_string()));
        }
        Ok(())
    }
}

/// A saved segment one patient is in, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PatientSegment {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub why: Vec<RuleReason>,
}

/// The saved segments one patient is in, by name, each with the facts that put them in
/// (the patient page, `clinic segments explain`).
pub struct PatientSavedSegments {
    pub patient_id: Uuid,
    pub today: Option<NaiveDate>,
}

impl Operation for PatientSavedSegments {
    type Output = Vec<PatientSegment>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<PatientSegment>> {
        let clinical = by.may(Permission::ViewClinical);
        let all = stored(tx)?;
        if all.is_empty() {
            return Ok(Vec::new());
        }
        let today = today_or(self.today);
        let thresholds = rules::load(tx)?;
        let clinic = memo::classified(tx, &thresholds, today)?;
        let missing = || ClinicError::not_found("patient", &self.patient_id.to_string());
        let &at = clinic.position.get(&self.patient_id).ok_or_else(missing)?;
        // The visits' text is not kept in memory: read for this one patient when needed.
        let with_text;
        let facts = if all.iter().any(|s| s.rule.uses_visit_text()) {
            with_text = load_facts(tx, Some(self.patient_id), true, true)?;
            &with_text.first().ok_or_else(missing)?.2
        } else {
            &clinic.people[at].2
        };
        let mine = if all.iter().any(|s| s.rule.uses_labels()) {
            labels(facts, &thresholds, today, &clinic.clinic)
        } else {
            Vec::new()
        };
        let subject = Subject {
            facts,
            labels: &mine,
            today,
        };
        Ok(all
            .into_iter()
            .filter_map(|s| {
                let (matched, mut why) = s.rule.evaluate(&subject);
                if !clinical {
                    super::hide_clinical_reasons(&mut why);
                }
                matched.then_some(PatientSegment {
                    id: s.id,
                    name: s.name,
                    why,
                })
            })
            .collect())
    }
}

/// A saved segment's members (by its name, any case), with why each is in.
pub struct SavedSegmentMembers {
    pub name: String,
    pub today: Option<NaiveDate>,
    pub limit: Option<u32>,
}

impl Operation for SavedSegmentMembers {
    type Output = RuleResult;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<RuleResult> {
        let rule = find(tx, &self.name)?.map(|s| s.rule).ok_or_else(|| {
            ClinicError::new(
                ErrorCode::NotFound,
                format!(
                    "no saved segment called {}; a built-in label is named DIMENSION:LABEL (dimensions: {})",
                    self.name.trim(),
                    super::Dimension::allowed()
                ),
            )
        })?;
        let limit = self.limit.map(|l| l as usize);
        let mut result = evaluate_all(tx, &[&rule], today_or(self.today), limit)?
            .pop()
            .expect("one rule");
        super::hide_clinical_members(by, &mut result);
        Ok(result)
    }
}

/// The saved segment called `name` (any case).
fn find(tx: &Transaction<'_>, name: &str) -> Result<Option<Stored>> {
    Ok(stored(tx)?
        .into_iter()
        .find(|s| s.name.to_lowercase() == name.trim().to_lowercase()))
}

/// A saved segment's id by its name (any case), without evaluating anything.
pub struct SegmentIdByName(pub String);

impl Operation for SegmentIdByName {
    type Output = Option<i64>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Option<i64>> {
        Ok(find(tx, &self.0)?.map(|s| s.id))
    }
}

/// Names of the saved segments whose rule tests for the tag.
pub(crate) fn segments_using_tag(tx: &Transaction<'_>, tag: &str) -> Result<Vec<String>> {
    Ok(stored(tx)?
        .into_iter()
        .filter(|s| {
            s.rule
                .tag_names()
                .iter()
                .any(|n| n.to_lowercase() == tag.to_lowercase())
        })
        .map(|s| s.name)
        .collect())
}

/// A tag's new name written into every saved rule that used the old one.
pub(crate) fn rename_tag_in_rules(tx: &Transaction<'_>, from: &str, to: &str) -> Result<()> {
    for Stored { id, rule, .. } in stored(tx)? {
        let renamed = rule.with_tag_renamed(from, to);
        if renamed != rule {
            tx.execute(
                "UPDATE segment SET rule = ?1 WHERE id = ?2",
                params![
                    serde_json::to_string(&renamed).expect("rule serialises"),
                    id
                ],
            )?;
        }
    }
    Ok(())
}
