//! Reading a patient file into rows of text: CSV in the encodings Chinese spreadsheets are
//! saved in (UTF-8 with or without BOM, GB18030/GBK, Big5 — detected or chosen) and XLSX.
//! Nothing here knows what a patient is; checking happens in the parent module.

use std::io::Cursor;

use calamine::{Data, Reader};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ClinicError, ErrorCode, Result};

/// The text encoding of a CSV file; `Auto` detects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum TextEncoding {
    Auto,
    Utf8,
    /// GB18030, a superset of GBK and GB2312 (Excel on Chinese Windows).
    Gb18030,
    /// Big5 (Excel in Taiwan and Hong Kong).
    Big5,
}

impl TextEncoding {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Some(TextEncoding::Auto),
            "utf-8" | "utf8" => Some(TextEncoding::Utf8),
            "gbk" | "gb2312" | "gb18030" => Some(TextEncoding::Gb18030),
            "big5" | "big-5" => Some(TextEncoding::Big5),
            _ => None,
        }
    }
}

/// A file as rows of text, before any checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Table {
    pub headers: Vec<String>,
    /// Each row with its line (CSV) or row (spreadsheet) number as the user sees it.
    pub rows: Vec<TableRow>,
    /// What the file was read as: "UTF-8", "GB18030", "Big5" or "XLSX".
    pub read_as: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TableRow {
    pub number: u32,
    pub cells: Vec<String>,
}

fn bad_file(message: impl Into<String>) -> ClinicError {
    ClinicError::new(ErrorCode::BadFile, message)
}

/// Reads a CSV or XLSX file (told apart by content, not by name).
pub fn read_table(bytes: &[u8], encoding: TextEncoding) -> Result<Table> {
    let table = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes, encoding)?
    };
    if table.headers.iter().all(|h| h.trim().is_empty()) {
        return Err(bad_file("the file has no header row"));
    }
    Ok(table)
}

fn decode(bytes: &[u8], encoding: TextEncoding) -> Result<(String, &'static str)> {
    let (bytes, encoding) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, TextEncoding::Utf8),
        None => (bytes, encoding),
    };
    let chosen = match encoding {
        TextEncoding::Utf8 => encoding_rs::UTF_8,
        TextEncoding::Gb18030 => encoding_rs::GB18030,
        TextEncoding::Big5 => encoding_rs::BIG5,
        TextEncoding::Auto if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        TextEncoding::Auto => {
            let mut detector =
                chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
            // Only the encodings Chinese spreadsheets are saved in.
            if guess == encoding_rs::BIG5 {
                encoding_rs::BIG5
            } else {
                encoding_rs::GB18030
            }
        }
    };
    let (text, had_errors) = chosen.decode_without_bom_handling(bytes);
    if had_errors || text.contains('\0') {
        return Err(bad_file(format!(
            "the file is not valid {} text (choose another encoding, or it is not a CSV file)",
            chosen.name()
        )));
    }
    let name = if chosen == encoding_rs::GB18030 {
        "GB18030"
    } else {
        chosen.name()
    };
    Ok((text.into_owned(), name))
}

fn read_csv(bytes: &[u8], encoding: TextEncoding) -> Result<Table> {
    let (text, name) = decode(bytes, encoding)?;
    // Excel in some locales saves with semicolons or tabs.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| first_line.matches(*d as char).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    // The line a record starts on, as people count: newlines before its first byte, plus
    // one. (The reader's own line count came out one apart for LF and CRLF files.)
    let (mut counted_to, mut line) = (0usize, 1u32);
    for record in reader.records() {
        let record = record.map_err(|e| bad_file(format!("the CSV is malformed: {e}")))?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
        // After a CRLF the reader places the next record at the LF: step over line ends.
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += text.as_bytes()[counted_to..start.max(counted_to)]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        counted_to = start.max(counted_to);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue; // blank lines
        }
        match headers {
            None => headers = Some(cells),
            Some(_) => rows.push(TableRow {
                number: line,
                cells,
            }),
        }
    }
    // An unterminated quote swallows the rest of the file into one cell: a truncated file.
    if text.matches('"').count() % 2 == 1 {
        return Err(bad_file(
            "the CSV ends inside a quoted value: the file is truncated or malformed",
        ));
    }
    Ok(Table {
        headers: headers.ok_or_else(|| bad_file("the file is empty"))?,
        rows,
        read_as: name.to_string(),
    })
}

fn read_xlsx(bytes: &[u8]) -> Result<Table> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| bad_file(format!("the spreadsheet cannot be read: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| bad_file("the spreadsheet has no sheet"))?
        .map_err(|e| bad_file(format!("the first sheet cannot be read: {e}")))?;
    let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match headers {
            None => headers = Some(cells),
            Some(_) => rows.push(TableRow {
                number: first_row + i as u32 + 1,
                cells,
            }),
        }
    }
    Ok(Table {
        headers: headers.ok_or_else(|| bad_file("the first sheet is empty"))?,
        rows,
        read_as: "XLSX".into(),
    })
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_string(),
        // Phone numbers typed into Excel become numbers: 13812345678, not 1.38e10.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
    }
}
