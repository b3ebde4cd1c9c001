//! Education handouts (衛教單張): a library of topics, each in zh-CN, zh-TW and English and
//! in a plain-language variant, filled in for one patient and rendered to PDF.
//!
//! The built-in texts live in `crates/clinic-core/handouts/<topic>/<language>[.plain].md`
//! (templates are data: see [`template`]); printing one records it on the patient's
//! timeline.

mod fonts;
mod layout;
pub mod library;
pub mod pdf;
pub mod recommend;
pub mod template;

use std::collections::BTreeMap;

use chrono::Local;
use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::patients::profile::Education;
use crate::patients::{self, Language};
pub use library::{
    builtin, topics, GetTemplate, ListEditedTemplates, PreviewTemplate, ResetTemplate,
    SaveTemplate, TemplateKey, TemplatePreview, TemplateText, Topic,
};
use pdf::Paper;
pub use recommend::{age_group, Reason, RecommendHandouts, Recommendation};

/// One topic printed for one patient. Language and reading level default to the
/// patient's own (preferred language; plain language for little schooling).
pub struct RenderHandout {
    pub patient_id: Uuid,
    pub topic: String,
    pub language: Option<Language>,
    pub plain: Option<bool>,
    pub paper: Paper,
}

/// The PDF and what it was made as.
#[derive(Debug, Clone)]
pub struct RenderedHandout {
    pub pdf: Vec<u8>,
    pub language: Language,
    pub plain: bool,
    pub title: String,
}

fn age_text(age: u32, language: Language) -> String {
    match language {
        Language::ZhCn => format!("{age} 岁"),
        Language::ZhTw => format!("{age} 歲"),
        Language::En => format!("age {age}"),
    }
}

impl Operation for RenderHandout {
    type Output = RenderedHandout;
    fn action(&self) -> Action {
        Action::HandoutPrint
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<RenderedHandout> {
        let clinic = Branding::load(tx)?;
        let item = BatchItem {
            patient_id: self.patient_id,
            topic: self.topic,
            language: self.language,
            plain: self.plain,
        };
        let (laid, title, language, plain) = prepare(tx, &item, self.paper, &clinic, by)?;
        Ok(RenderedHandout {
            pdf: pdf::draw_all(&[laid]),
            language,
            plain,
            title,
        })
    }
}

/// One handout of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchItem {
    pub patient_id: Uuid,
    pub topic: String,
    pub language: Option<Language>,
    pub plain: Option<bool>,
}

/// How far a batch has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchProgress {
    pub done: u32,
    pub total: u32,
}

/// Many handouts in one PDF — tomorrow's patients, or one topic for a whole segment —
/// each with its own patient line and page numbers. `cancel` set from another thread stops
/// it before the next handout; a stopped batch writes nothing (`CANCELLED`).
pub struct RenderBatch {
    pub items: Vec<BatchItem>,
    pub paper: Paper,
    pub progress: Option<Box<dyn FnMut(BatchProgress) + Send>>,
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

#[derive(Debug, Clone)]
pub struct RenderedBatch {
    pub pdf: Vec<u8>,
    pub handouts: u32,
    pub pages: u32,
}

impl Operation for RenderBatch {
    type Output = RenderedBatch;
    fn action(&self) -> Action {
        Action::HandoutPrint
    }
    fn run(mut self, tx: &Transaction<'_>, by: &Actor) -> Result<RenderedBatch> {
        if self.items.is_empty() {
            return Err(ClinicError::validation(
                "items",
                ValidationRule::Required,
                "a batch needs at least one patient and topic",
            ));
        }
        let clinic = Branding::load(tx)?;
        let total = self.items.len() as u32;
        let mut laid = Vec::with_capacity(self.items.len());
        for (i, item) in self.items.iter().enumerate() {
            let stopped = self
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
            if stopped {
                return Err(ClinicError::new(
                    crate::ErrorCode::Cancelled,
                    format!(
                        "the batch was stopped after {i} of {total} handouts; nothing was saved"
                    ),
                ));
            }
            laid.push(prepare(tx, item, self.paper, &clinic, by)?.0);
            if let Some(tell) = self.progress.as_mut() {
                tell(BatchProgress {
                    done: i as u32 + 1,
                    total,
                });
            }
        }
        let pages = laid.iter().map(|l| l.page_count() as u32).sum();
        Ok(RenderedBatch {
            pdf: pdf::draw_all(&laid),
            handouts: total,
            pages,
        })
    }
}

/// The clinic's details and its logo, decoded once for all the handouts of a batch.
pub(crate) struct Branding {
    pub(crate) profile: crate::settings::ClinicProfile,
    pub(crate) logo: Option<std::sync::Arc<printpdf::RawImage>>,
}

/// A document of the clinic's own (a report, a patient's data) on its letterhead: the
/// blocks under `title`, `line` under the clinic's name on every page.
pub(crate) fn print_document(
    tx: &Transaction<'_>,
    title: String,
    line: String,
    blocks: Vec<template::Block>,
    language: Language,
    paper: pdf::Paper,
) -> Result<Vec<u8>> {
    let frame = Branding::load(tx)?.frame(line, title.clone());
    let template = template::Template { title, blocks };
    Ok(pdf::render(&template, language, false, paper, &frame))
}

impl Branding {
    pub(crate) fn load(tx: &Transaction<'_>) -> Result<Branding> {
        let logo = crate::settings::load_logo(tx)?
            // A stored logo that no longer decodes is left off rather than stopping printing.
            .and_then(|bytes| crate::settings::decode_logo(&bytes).ok())
            .map(std::sync::Arc::new);
        Ok(Branding {
            profile: crate::settings::load(tx)?,
            logo,
        })
    }

    /// The head and foot of every page: the clinic's name, logo, address and phone; the
    /// patient's (or the period's) line top right; the document's title.
    pub(crate) fn frame(&self, patient_line: String, title: String) -> pdf::PageFrame {
        let clinic = &self.profile;
        pdf::PageFrame {
            clinic_name: clinic.name.clone(),
            clinic_contact: [clinic.address.as_str(), clinic.phone.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            patient_line,
            logo: self.logo.clone(),
            title,
        }
    }
}

/// The patient's next appointment still in the book, as "2026-12-02 10:00 林医生"; none
/// leaves the line to write on.
fn next_appointment(tx: &Transaction<'_>, patient: uuid::Uuid) -> Result<Option<String>> {
    let schedule = crate::appointments::schedule::load(tx)?;
    let (start, _) = schedule.day_bounds(schedule.today(chrono::Utc::now()));
    let next = crate::appointments::list(
        tx,
        &schedule,
        &crate::appointments::AppointmentQuery {
            from: None,
            to: None,
            doctor: None,
            room: None,
            patient_id: Some(patient),
        },
    )?
    .into_iter()
    .find(|a| a.status.is_open() && a.starts_at.timestamp_millis() >= start.timestamp_millis());
    Ok(next.map(|a| {
        let when = a.starts_at.format("%Y-%m-%d %H:%M").to_string();
        match a.doctor {
            Some(d) => format!("{when} {d}"),
            None => when,
        }
    }))
}

/// One patient's handout laid out and recorded as given: (pages, title, language, plain).
fn prepare(
    tx: &Transaction<'_>,
    item: &BatchItem,
    paper: Paper,
    brand: &Branding,
    by: &Actor,
) -> Result<(pdf::Laid, String, Language, bool)> {
    let clinic = &brand.profile;
    let patient = patients::load(tx, item.patient_id)?;
    let language = item
        .language
        .or(patient.preferred_language)
        .unwrap_or(Language::ZhCn);
    let plain = item.plain.unwrap_or(matches!(
        patient.education,
        Some(Education::None | Education::Primary)
    ));
    let source = library::text(tx, &item.topic, language, plain)?;
    let latest: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT doctor, treatment FROM visit WHERE patient_id = ?1 AND archived_at IS NULL
             ORDER BY visited_at_ms DESC LIMIT 1",
            [patient.id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let (last_doctor, last_treatment) = latest.unwrap_or_default();
    let today = Local::now().date_naive().to_string();
    let mut values = BTreeMap::new();
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            values.insert(k.to_string(), v);
        }
    };
    set("patient.name", Some(patient.name.clone()));
    set("patient.age", patient.age.map(|a| age_text(a, language)));
    set("doctor", patient.preferred_doctor.clone().or(last_doctor));
    set("visit.treatment", last_treatment);
    set("clinic.name", Some(clinic.name.clone()));
    set("clinic.phone", Some(clinic.phone.clone()));
    set("clinic.address", Some(clinic.address.clone()));
    set("today", Some(today.clone()));
    set("next_appointment", next_appointment(tx, patient.id)?);
    let filled = template::fill(&source, &values)?;
    let parsed = template::parse(&filled)?;
    let patient_line = [
        Some(patient.name.clone()),
        patient.age.map(|a| age_text(a, language)),
        Some(today),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let frame = brand.frame(patient_line, format!("{} · {}", parsed.title, patient.name));
    let laid = pdf::lay_out(&parsed, language, plain, paper, &frame);
    tx.execute(
        "INSERT INTO handout_given (id, patient_id, topic, language, plain, given_at, given_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            Uuid::now_v7().to_string(),
            patient.id.to_string(),
            item.topic,
            language.code(),
            plain,
            chrono::Utc::now().to_rfc3339(),
            by.name
        ],
    )?;
    Ok((laid, parsed.title, language, plain))
}

/// A handout given to a patient, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HandoutGiven {
    pub topic: String,
    pub language: Language,
    pub plain: bool,
    pub given_at: String,
    pub given_by: String,
}

/// What a patient has been given, newest first.
pub struct ListHandoutsGiven {
    pub patient_id: Uuid,
}

impl Operation for ListHandoutsGiven {
    type Output = Vec<HandoutGiven>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<HandoutGiven>> {
        patients::load(tx, self.patient_id)?;
        let mut stmt = tx.prepare(
            "SELECT topic, language, plain, given_at, given_by FROM handout_given
             WHERE patient_id = ?1 ORDER BY given_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([self.patient_id.to_string()], |r| {
            let language: String = r.get(1)?;
            Ok(HandoutGiven {
                topic: r.get(0)?,
                language: Language::parse(&language).unwrap_or(Language::ZhCn),
                plain: r.get(2)?,
                given_at: r.get(3)?,
                given_by: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_rules_and_every_rule_a_topic() {
        let mut with_rules: Vec<String> = recommend::audiences()
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect();
        let mut texts: Vec<String> = topics().unwrap().into_iter().map(|t| t.id).collect();
        with_rules.sort();
        texts.sort();
        assert_eq!(with_rules, texts);
    }
}
