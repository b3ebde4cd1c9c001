//! A report on paper (PDF, through the handout renderer with its CJK fonts). The window
//! words the report in the user's language and sends the words; the CLI prints the core's
//! own (English) words. Only text travels: the figures were already worked out.

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Cell, Report};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::handouts::pdf::Paper;
use crate::handouts::template::Block;
use crate::patients::Language;

/// A table as it is to be printed: its title, headings and cells as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PrintedTable {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A report worded for print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportDocument {
    pub title: String,
    /// The period and the filters, one line.
    pub subtitle: String,
    pub definition: String,
    pub tables: Vec<PrintedTable>,
}

impl ReportDocument {
    /// The core's own words (English), for the CLI.
    pub fn plain(r: &Report) -> ReportDocument {
        let mut subtitle = format!("{} – {}", r.from, r.to);
        for (what, v) in [
            ("department", &r.department),
            ("doctor", &r.doctor),
            ("segment", &r.segment),
        ] {
            if let Some(v) = v {
                subtitle.push_str(&format!(" · {what}: {v}"));
            }
        }
        ReportDocument {
            title: r.name.code().to_string(),
            subtitle,
            definition: r.definition.clone(),
            tables: r
                .tables
                .iter()
                .map(|t| PrintedTable {
                    title: t.key.clone(),
                    header: t.columns.clone(),
                    rows: t
                        .rows
                        .iter()
                        .map(|row| row.iter().map(Cell::text).collect())
                        .collect(),
                })
                .collect(),
        }
    }
}

pub struct PrintReport {
    pub document: ReportDocument,
    pub language: Language,
    pub paper: Paper,
}

/// Tables wider than this do not fit a portrait page legibly.
const MAX_COLUMNS: usize = 12;

impl Operation for PrintReport {
    type Output = Vec<u8>;
    fn action(&self) -> Action {
        Action::ReportRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<u8>> {
        let d = self.document;
        if d.title.trim().is_empty() {
            return Err(ClinicError::validation(
                "title",
                ValidationRule::Required,
                "a report needs a title",
            ));
        }
        let mut blocks = vec![
            Block::Paragraph(d.subtitle.clone()),
            Block::Paragraph(d.definition.clone()),
        ];
        for t in &d.tables {
            blocks.push(Block::Heading(t.title.clone()));
            if t.header.len() > MAX_COLUMNS {
                return Err(ClinicError::validation(
                    "tables",
                    ValidationRule::OutOfRange,
                    format!("{}: at most {MAX_COLUMNS} columns on a page", t.title),
                ));
            }
            if t.rows.is_empty() {
                blocks.push(Block::Paragraph("—".into()));
            } else {
                blocks.push(Block::Table {
                    header: t.header.clone(),
                    rows: t.rows.clone(),
                });
            }
        }
        crate::handouts::print_document(
            tx,
            d.title.clone(),
            d.subtitle.clone(),
            blocks,
            self.language,
            self.paper,
        )
    }
}
