//! The texts: the built-in library (compiled in from `crates/clinic-core/handouts/`) and
//! the clinic's own edited copies, which are used instead of the built-in text for that
//! topic, language and reading level until the clinic resets them.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::pdf::{self, PageFrame, Paper};
use super::template::{self, Block};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::patients::Language;

/// Every built-in text: (topic, language, plain, Markdown).
macro_rules! library {
    ($($topic:literal),* $(,)?) => {
        &[$(
            ($topic, Language::ZhCn, false, include_str!(concat!("../../handouts/", $topic, "/zh-CN.md"))),
            ($topic, Language::ZhCn, true, include_str!(concat!("../../handouts/", $topic, "/zh-CN.plain.md"))),
            ($topic, Language::ZhTw, false, include_str!(concat!("../../handouts/", $topic, "/zh-TW.md"))),
            ($topic, Language::ZhTw, true, include_str!(concat!("../../handouts/", $topic, "/zh-TW.plain.md"))),
            ($topic, Language::En, false, include_str!(concat!("../../handouts/", $topic, "/en.md"))),
            ($topic, Language::En, true, include_str!(concat!("../../handouts/", $topic, "/en.plain.md"))),
        )*]
    };
}

const LIBRARY: &[(&str, Language, bool, &str)] = library!(
    "tooth-extraction",
    "root-canal",
    "orthodontic-care",
    "scaling-gum-care",
    "child-brushing-fluoride",
    "diabetes-diet-exercise",
    "hypertension-home-care",
    "quit-smoking",
    "senior-falls-medicines",
    "teen-habits",
    "office-posture",
    "eating-out",
);

/// The text of a built-in topic.
pub fn builtin(topic: &str, language: Language, plain: bool) -> Option<&'static str> {
    LIBRARY
        .iter()
        .find(|(t, l, p, _)| *t == topic && *l == language && *p == plain)
        .map(|(_, _, _, text)| *text)
}

/// A topic as the library lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Topic {
    pub id: String,
    /// The standard text's title in zh-CN, zh-TW and English.
    pub title_zh_cn: String,
    pub title_zh_tw: String,
    pub title_en: String,
}

/// Every built-in topic, in library order.
pub fn topics() -> Result<Vec<Topic>> {
    let mut ids: Vec<&str> = LIBRARY.iter().map(|(t, ..)| *t).collect();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let title = |language| -> Result<String> {
                let text = builtin(id, language, false).unwrap_or_default();
                Ok(template::parse(text)?.title)
            };
            Ok(Topic {
                id: id.to_string(),
                title_zh_cn: title(Language::ZhCn)?,
                title_zh_tw: title(Language::ZhTw)?,
                title_en: title(Language::En)?,
            })
        })
        .collect()
}

fn unknown_topic(topic: &str) -> ClinicError {
    ClinicError::validation(
        "topic",
        ValidationRule::UnknownValue,
        format!("no handout topic {topic:?}: see `clinic handout topics`"),
    )
}

/// The text printed for a topic: the clinic's edited copy if it has one, else the built-in.
pub(crate) fn text(
    tx: &Transaction<'_>,
    topic: &str,
    language: Language,
    plain: bool,
) -> Result<String> {
    let builtin = builtin(topic, language, plain).ok_or_else(|| unknown_topic(topic))?;
    Ok(edited(tx, topic, language, plain)?
        .map(|e| e.0)
        .unwrap_or_else(|| builtin.to_string()))
}

/// The clinic's copy: (source, updated_at, updated_by).
fn edited(
    tx: &Transaction<'_>,
    topic: &str,
    language: Language,
    plain: bool,
) -> Result<Option<(String, String, String)>> {
    Ok(tx
        .query_row(
            "SELECT source, updated_at, updated_by FROM handout_template
             WHERE topic = ?1 AND language = ?2 AND plain = ?3",
            params![topic, language.code(), plain],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}

/// One text of the library as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TemplateText {
    pub topic: String,
    pub language: Language,
    pub plain: bool,
    /// Markdown with placeholders (see the template format).
    pub source: String,
    /// The clinic's own copy (else the built-in text).
    pub edited: bool,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

/// Which text: a topic in a language at a reading level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TemplateKey {
    pub topic: String,
    pub language: Language,
    pub plain: bool,
}

fn load(tx: &Transaction<'_>, key: &TemplateKey) -> Result<TemplateText> {
    let builtin =
        builtin(&key.topic, key.language, key.plain).ok_or_else(|| unknown_topic(&key.topic))?;
    let edited = edited(tx, &key.topic, key.language, key.plain)?;
    Ok(TemplateText {
        topic: key.topic.clone(),
        language: key.language,
        plain: key.plain,
        edited: edited.is_some(),
        source: edited
            .as_ref()
            .map(|e| e.0.clone())
            .unwrap_or_else(|| builtin.to_string()),
        updated_at: edited.as_ref().map(|e| e.1.clone()),
        updated_by: edited.map(|e| e.2),
    })
}

/// The text the editor opens: the clinic's copy or the built-in one.
pub struct GetTemplate(pub TemplateKey);

impl Operation for GetTemplate {
    type Output = TemplateText;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<TemplateText> {
        load(tx, &self.0)
    }
}

/// Every text the clinic has edited, by topic, language and reading level.
pub struct ListEditedTemplates;

impl Operation for ListEditedTemplates {
    type Output = Vec<TemplateKey>;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<TemplateKey>> {
        let mut stmt = tx.prepare(
            "SELECT topic, language, plain FROM handout_template ORDER BY topic, language, plain",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        let mut keys = Vec::new();
        for row in rows {
            let (topic, language, plain) = row?;
            if let Some(language) = Language::parse(&language) {
                keys.push(TemplateKey {
                    topic,
                    language,
                    plain,
                });
            }
        }
        Ok(keys)
    }
}

/// The longest text a clinic may save (the longest built-in one is under 5 KB).
const MAX_SOURCE: usize = 64 * 1024;

/// Checks a text as it would be printed: placeholders known, a title, something to say.
pub fn check(source: &str) -> Result<template::Template> {
    if source.len() > MAX_SOURCE {
        return Err(ClinicError::validation(
            "template",
            ValidationRule::TooLong,
            format!("a handout's text may be at most {} KB", MAX_SOURCE / 1024),
        ));
    }
    let parsed = template::parse(source)?;
    if parsed.blocks.is_empty() {
        return Err(ClinicError::validation(
            "template",
            ValidationRule::Required,
            "a handout needs some text under its title",
        ));
    }
    Ok(parsed)
}

/// Saves the clinic's own copy of a text; it is printed from now on.
pub struct SaveTemplate {
    pub key: TemplateKey,
    pub source: String,
}

impl Operation for SaveTemplate {
    type Output = TemplateText;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<TemplateText> {
        let key = self.key;
        builtin(&key.topic, key.language, key.plain).ok_or_else(|| unknown_topic(&key.topic))?;
        // Windows editors save CRLF; the text is kept as Markdown with plain newlines.
        let source = self.source.replace("\r\n", "\n");
        check(&source)?;
        tx.execute(
            "INSERT INTO handout_template (topic, language, plain, source, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (topic, language, plain) DO UPDATE SET
                 source = excluded.source, updated_at = excluded.updated_at,
                 updated_by = excluded.updated_by",
            params![
                key.topic,
                key.language.code(),
                key.plain,
                source,
                Utc::now().to_rfc3339(),
                by.name
            ],
        )?;
        load(tx, &key)
    }
}

/// Drops the clinic's copy: the built-in text is printed again.
pub struct ResetTemplate(pub TemplateKey);

impl Operation for ResetTemplate {
    type Output = TemplateText;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<TemplateText> {
        let key = self.0;
        builtin(&key.topic, key.language, key.plain).ok_or_else(|| unknown_topic(&key.topic))?;
        tx.execute(
            "DELETE FROM handout_template WHERE topic = ?1 AND language = ?2 AND plain = ?3",
            params![key.topic, key.language.code(), key.plain],
        )?;
        load(tx, &key)
    }
}

/// A text being edited, filled in for a sample patient, as the editor's live preview
/// shows it; `pages` is how many pages it prints on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TemplatePreview {
    pub title: String,
    pub blocks: Vec<Block>,
    pub pages: u32,
}

/// Previews a text without saving it (an error says what is wrong with it).
pub struct PreviewTemplate {
    pub source: String,
    pub language: Language,
    pub plain: bool,
    pub paper: Paper,
}

/// A made-up patient for previews, named as the language would.
fn sample_values(
    language: Language,
    clinic: &crate::settings::ClinicProfile,
) -> BTreeMap<String, String> {
    let (name, age, doctor, treatment) = match language {
        Language::ZhCn => ("王小明", "46 岁", "李医生", "拔牙"),
        Language::ZhTw => ("王小明", "46 歲", "李醫師", "拔牙"),
        Language::En => ("Alex Chen", "age 46", "Dr Lee", "extraction"),
    };
    let today = chrono::Local::now().date_naive();
    [
        ("patient.name", name.to_string()),
        ("patient.age", age.to_string()),
        ("doctor", doctor.to_string()),
        ("visit.treatment", treatment.to_string()),
        ("clinic.name", clinic.name.clone()),
        ("clinic.phone", clinic.phone.clone()),
        ("clinic.address", clinic.address.clone()),
        ("today", today.to_string()),
        (
            "next_appointment",
            (today + chrono::Days::new(7)).to_string(),
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl Operation for PreviewTemplate {
    type Output = TemplatePreview;
    fn action(&self) -> Action {
        Action::HandoutPrint
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<TemplatePreview> {
        let clinic = crate::settings::load(tx)?;
        check(&self.source)?;
        let filled = template::fill(&self.source, &sample_values(self.language, &clinic))?;
        let parsed = template::parse(&filled)?;
        let laid = pdf::lay_out(
            &parsed,
            self.language,
            self.plain,
            self.paper,
            &PageFrame::default(),
        );
        Ok(TemplatePreview {
            pages: laid.page_count() as u32,
            title: parsed.title,
            blocks: parsed.blocks,
        })
    }
}
