//! Handout templates are data: Markdown with an optional TOML front matter, so a clinic can
//! copy one and edit it as text. Headings (`#` is the title, `##` a section), paragraphs,
//! bulleted and numbered lists, tables, `>` for a boxed warning ("call us at once if…"),
//! and a fenced code block tagged `log` for a diary to fill in by hand, whose lines are
//! `columns: Date | Morning | Evening | Notes` and `rows: 14`.
//!
//! Placeholders such as `{{patient.name}}` are filled in when a handout is printed; an
//! unknown one is an error when the template is read, not a blank on paper.

use std::collections::BTreeMap;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use crate::error::{ClinicError, Result, ValidationRule};

/// Everything a template may ask for.
pub const PLACEHOLDERS: [&str; 10] = [
    "patient.name",
    "patient.age",
    "doctor",
    "clinic.name",
    "clinic.phone",
    "clinic.address",
    "next_appointment",
    "today",
    "visit.treatment",
    // A line to write on.
    "blank",
];

/// One block of a handout, in reading order (the editor's preview shows these).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "value", rename_all = "camelCase")]
#[ts(export)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    List {
        ordered: bool,
        items: Vec<String>,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A table with a header and empty rows, filled in by hand (a blood-pressure diary).
    Log {
        columns: Vec<String>,
        rows: u32,
    },
    /// A boxed warning.
    Note(String),
}

/// The optional `+++` front matter.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub title: String,
    pub blocks: Vec<Block>,
}

fn invalid(message: impl Into<String>) -> ClinicError {
    ClinicError::validation("template", ValidationRule::InvalidFormat, message)
}

/// Every `{{name}}` in `text`; an error names the first unknown or unclosed one.
pub fn placeholders(text: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| invalid("a placeholder opened with {{ is not closed with }}"))?;
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(ClinicError::validation(
                "template",
                ValidationRule::UnknownValue,
                format!(
                    "unknown placeholder {{{{{name}}}}}; known: {}",
                    PLACEHOLDERS.join(", ")
                ),
            ));
        }
        found.push(name.to_string());
        rest = &after[end + 2..];
    }
    Ok(found)
}

/// A line to write on, escaped so Markdown does not read the underscores as emphasis.
const BLANK: &str = "\\_\\_\\_\\_\\_\\_\\_\\_";

/// A value as literal Markdown text: a name with `*` or `_` in it stays as written.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if "\\`*_{}[]<>()#+-.!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` with every placeholder replaced; a value missing from `values` (and `blank`)
/// becomes a line to write on.
pub fn fill(text: &str, values: &BTreeMap<String, String>) -> Result<String> {
    placeholders(text)?;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or(after.len());
        let name = after[..end].trim();
        match values.get(name).filter(|v| !v.trim().is_empty()) {
            Some(v) => out.push_str(&escape(v)),
            None => out.push_str(BLANK),
        }
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// Splits `+++` TOML front matter from the Markdown body.
fn front_matter(source: &str) -> Result<(FrontMatter, &str)> {
    let trimmed = source.trim_start_matches('\u{feff}');
    let Some(rest) = trimmed.strip_prefix("+++") else {
        return Ok((FrontMatter::default(), trimmed));
    };
    let end = rest
        .find("\n+++")
        .ok_or_else(|| invalid("the front matter opened with +++ is not closed"))?;
    let meta: FrontMatter =
        toml::from_str(&rest[..end]).map_err(|e| invalid(format!("front matter: {e}")))?;
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    Ok((meta, body))
}

fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF)
}

/// A soft line break in the source: nothing between two CJK characters, a space elsewhere.
const SOFT: char = '\u{1}';

fn finish_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == SOFT {
            let before = out.chars().last();
            let after = chars.get(i + 1);
            if !(before.is_some_and(is_wide) || after.is_some_and(|c| is_wide(*c))) {
                out.push(' ');
            }
        } else {
            out.push(*c);
        }
    }
    out.trim().to_string()
}

fn parse_log(code: &str) -> Result<Block> {
    let mut columns = Vec::new();
    let mut rows = 10;
    for line in code.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (key, value) = line.split_once(':').ok_or_else(|| {
            invalid(format!(
                "log block: {line:?} is not `columns: …` or `rows: N`"
            ))
        })?;
        match key.trim() {
            "columns" => {
                columns = value.split('|').map(|c| c.trim().to_string()).collect();
            }
            "rows" => {
                rows = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=60).contains(n))
                    .ok_or_else(|| invalid("log block: rows is a number from 1 to 60"))?;
            }
            other => return Err(invalid(format!("log block: unknown line {other:?}"))),
        }
    }
    if columns.iter().all(|c| c.is_empty()) {
        return Err(invalid("log block: `columns: A | B | …` is required"));
    }
    Ok(Block::Log { columns, rows })
}

/// Reads a template. Placeholders are checked, not filled (see [`fill`]).
pub fn parse(source: &str) -> Result<Template> {
    let (meta, body) = front_matter(source)?;
    placeholders(body)?;
    let mut title = meta.title;
    let mut blocks = Vec::new();
    let mut text = String::new();
    // Open containers: list items, table cells.
    let mut list: Option<(bool, Vec<String>)> = None;
    let mut table: Option<(Vec<String>, Vec<Vec<String>>)> = None;
    let mut row: Vec<String> = Vec::new();
    let mut in_quote = false;
    let mut code: Option<(String, String)> = None;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(body, options) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((info, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, content)) = code.take() {
                    if info.trim() != "log" {
                        return Err(invalid(format!(
                            "a code block is only allowed as ```log (found {info:?})"
                        )));
                    }
                    blocks.push(parse_log(&content)?);
                }
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, content)) = code.as_mut() {
                    content.push_str(&t);
                }
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak => text.push(SOFT),
            Event::HardBreak => text.push('\n'),
            Event::Start(Tag::BlockQuote(_)) => in_quote = true,
            Event::End(TagEnd::BlockQuote(_)) => {
                in_quote = false;
            }
            Event::Start(Tag::List(first)) => list = Some((first.is_some(), Vec::new())),
            Event::End(TagEnd::List(_)) => {
                if let Some((ordered, items)) = list.take() {
                    blocks.push(Block::List { ordered, items });
                }
            }
            Event::End(TagEnd::Item) => {
                let item = finish_text(&std::mem::take(&mut text));
                if let Some((_, items)) = list.as_mut() {
                    items.push(item);
                }
            }
            Event::End(TagEnd::Heading(level)) => {
                let heading = finish_text(&std::mem::take(&mut text));
                if level == HeadingLevel::H1 && title.is_none() {
                    title = Some(heading);
                } else {
                    blocks.push(Block::Heading(heading));
                }
            }
            Event::End(TagEnd::Paragraph) => {
                // Inside a list item the item's end takes the text.
                if list.is_none() {
                    let paragraph = finish_text(&std::mem::take(&mut text));
                    if in_quote {
                        blocks.push(Block::Note(paragraph));
                    } else {
                        blocks.push(Block::Paragraph(paragraph));
                    }
                } else {
                    text.push('\n');
                }
            }
            Event::Start(Tag::Table(_)) => table = Some((Vec::new(), Vec::new())),
            Event::End(TagEnd::TableCell) => row.push(finish_text(&std::mem::take(&mut text))),
            Event::End(TagEnd::TableHead) => {
                if let Some((header, _)) = table.as_mut() {
                    *header = std::mem::take(&mut row);
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some((_, rows)) = table.as_mut() {
                    rows.push(std::mem::take(&mut row));
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some((header, rows)) = table.take() {
                    blocks.push(Block::Table { header, rows });
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                return Err(invalid(format!("HTML is not allowed in a handout: {h:?}")))
            }
            Event::Start(Tag::Image { .. }) => {
                return Err(invalid("images are not allowed in a handout's text"))
            }
            _ => {}
        }
    }
    // List items keep a trailing newline from their last paragraph.
    for block in &mut blocks {
        if let Block::List { items, .. } = block {
            for item in items.iter_mut() {
                *item = item.trim_end().to_string();
            }
        }
    }
    let title = title.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        ClinicError::validation(
            "template",
            ValidationRule::Required,
            "a handout needs a title: a first line `# Title`",
        )
    })?;
    Ok(Template { title, blocks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_block() {
        let t = parse(
            "# 拔牙后注意事项\n\n{{patient.name}}，您好：\n今天拔牙后\n请注意。\n\n## 24 小时内\n\n- 咬紧纱布\n  30 分钟\n- 不要漱口\n\n1. first\n2. second\n\n| 时间 | 做法 |\n|---|---|\n| 当天 | 冷敷 |\n\n> 出血不止请立即来电 {{clinic.phone}}。\n\n```log\ncolumns: 日期 | 早上 | 晚上\nrows: 14\n```\n",
        )
        .unwrap();
        assert_eq!(t.title, "拔牙后注意事项");
        assert_eq!(
            t.blocks,
            vec![
                Block::Paragraph("{{patient.name}}，您好：今天拔牙后请注意。".into()),
                Block::Heading("24 小时内".into()),
                Block::List {
                    ordered: false,
                    items: vec!["咬紧纱布30 分钟".into(), "不要漱口".into()]
                },
                Block::List {
                    ordered: true,
                    items: vec!["first".into(), "second".into()]
                },
                Block::Table {
                    header: vec!["时间".into(), "做法".into()],
                    rows: vec![vec!["当天".into(), "冷敷".into()]]
                },
                Block::Note("出血不止请立即来电 {{clinic.phone}}。".into()),
                Block::Log {
                    columns: vec!["日期".into(), "早上".into(), "晚上".into()],
                    rows: 14
                },
            ]
        );
    }

    #[test]
    fn latin_soft_breaks_become_spaces_and_front_matter_may_name_the_title() {
        let t = parse(
            "+++\ntitle = \"After an extraction\"\n+++\nBite on the gauze\nfor 30 minutes.\n",
        )
        .unwrap();
        assert_eq!(t.title, "After an extraction");
        assert_eq!(
            t.blocks,
            vec![Block::Paragraph("Bite on the gauze for 30 minutes.".into())]
        );
    }

    #[test]
    fn mistakes_are_clear_errors() {
        for (source, words) in [
            (
                "# T\n\nHello {{patient.nmae}}",
                "unknown placeholder {{patient.nmae}}",
            ),
            ("# T\n\nHello {{patient.name", "not closed"),
            ("no title here", "needs a title"),
            ("# T\n\n```log\nrows: 5\n```", "columns"),
            ("# T\n\n```log\ncolumns: A\nrows: 500\n```", "1 to 60"),
            ("# T\n\n```python\nprint()\n```", "only allowed as ```log"),
            ("# T\n\n<b>x</b>", "HTML"),
            ("+++\ntitel = \"x\"\n+++\n# T", "front matter"),
        ] {
            let e = parse(source).unwrap_err();
            assert!(e.message.contains(words), "{source:?}: {}", e.message);
        }
    }

    #[test]
    fn filling_placeholders() {
        let mut v = BTreeMap::new();
        v.insert("patient.name".to_string(), "张伟明".to_string());
        v.insert("doctor".to_string(), "Dr *Lee*".to_string());
        let filled = fill(
            "{{patient.name}}，下次复诊：{{ next_appointment }}；目标 {{blank}}/{{blank}} mmHg；{{doctor}}",
            &v,
        )
        .unwrap();
        // Read back as Markdown: blanks are underscores, a value is never formatting.
        let t = parse(&format!("# T\n\n{filled}")).unwrap();
        assert_eq!(
            t.blocks,
            vec![Block::Paragraph(
                "张伟明，下次复诊：________；目标 ________/________ mmHg；Dr *Lee*".into()
            )]
        );
    }
}
