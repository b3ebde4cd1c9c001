//! The owner's reports: what works and what does not, over a date range, filtered by
//! department, doctor or segment. Every report is a few tables of plain figures with its
//! definition in words, so the window can chart it, the CLI can print or script it, and
//! any of them can be written to CSV the same way.
//!
//! Dates are the visit's own calendar date as entered (its own time zone) and the
//! appointment's local date in the clinic's zone; `from` and `to` are both included.

mod appointments;
mod dashboard;
mod print;
mod visits;

pub use dashboard::{Dashboard, DashboardFigure, GetDashboard};
pub use print::{PrintReport, PrintedTable, ReportDocument};

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::patients::profile::code_enum;
use crate::segments::{members_of, SegmentRef};
use crate::visits::kept::{KeptVisit, KeptVisits};

code_enum!(
    /// The reports, by the names the CLI takes.
    ReportName {
        ReturnRate = "return-rate",
        NewReturning = "new-returning",
        NoShows = "no-shows",
        BusiestSlots = "busiest-slots",
        ReminderEffect = "reminder-effect",
        ChurnRisk = "churn-risk",
        Nps = "nps",
        Referrals = "referrals",
        Revenue = "revenue",
    }
);

/// One figure of a table: a count, a rate in percent (one decimal), money or a date or a
/// name as text (money is exact decimal text, never a float), or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    Count(i64),
    Percent(f64),
    Text(String),
    Missing,
}

impl Cell {
    pub fn percent(part: u64, whole: u64) -> Cell {
        if whole == 0 {
            Cell::Missing
        } else {
            Cell::Percent((1000.0 * part as f64 / whole as f64).round() / 10.0)
        }
    }
    pub fn money(minor: i64) -> Cell {
        Cell::Text(money_text(minor))
    }
    /// The cell as CSV text.
    pub fn text(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Percent(p) => format!("{p:.1}"),
            Cell::Text(t) => t.clone(),
            Cell::Missing => String::new(),
        }
    }
}

pub(crate) fn money_text(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

/// A table of a report: `columns` name each cell (stable keys the window translates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportTable {
    pub key: String,
    pub columns: Vec<String>,
    #[ts(type = "Array<Array<number | string | null>>")]
    pub rows: Vec<Vec<Cell>>,
}

impl ReportTable {
    fn new(key: &str, columns: &[&str]) -> ReportTable {
        ReportTable {
            key: key.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Report {
    pub name: ReportName,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub department: Option<String>,
    pub doctor: Option<String>,
    pub segment: Option<String>,
    /// How the figures are counted, in English (the window words it per report).
    pub definition: String,
    pub tables: Vec<ReportTable>,
}

impl Report {
    /// Every table as CSV: a header line per table, its key in the first column.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        for t in &self.tables {
            let mut head = vec!["table".to_string()];
            head.extend(t.columns.iter().cloned());
            w.write_record(&head).map_err(csv_error)?;
            for r in &t.rows {
                let mut line = vec![t.key.clone()];
                line.extend(r.iter().map(Cell::text));
                w.write_record(&line).map_err(csv_error)?;
            }
        }
        let bytes = w.into_inner().map_err(|e| csv_error(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl Report {
    /// Every table on a worksheet of its own: counts and percentages as numbers, money
    /// as numbers with two decimals (a spreadsheet number is a double; amounts stay exact
    /// far beyond any clinic's), names and dates as text.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        use rust_xlsxwriter::{Format, Workbook};
        let err = |e: rust_xlsxwriter::XlsxError| csv_error(e);
        let mut book = Workbook::new();
        let bold = Format::new().set_bold();
        let money = Format::new().set_num_format("#,##0.00");
        for t in &self.tables {
            let ws = book.add_worksheet();
            // Sheet names: at most 31 characters.
            ws.set_name(t.key.chars().take(31).collect::<String>())
                .map_err(err)?;
            for (c, h) in t.columns.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, h, &bold)
                    .map_err(err)?;
            }
            for (r, row) in t.rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        Cell::Count(n) => ws.write_number(r, c, *n as f64).map(|_| ()),
                        Cell::Percent(p) => ws.write_number(r, c, *p).map(|_| ()),
                        Cell::Text(s) if is_money(s) => ws
                            .write_number_with_format(r, c, s.parse().unwrap_or(0.0), &money)
                            .map(|_| ()),
                        Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                        Cell::Missing => Ok(()),
                    }
                    .map_err(err)?;
                }
            }
            ws.set_freeze_panes(1, 0).map_err(err)?;
        }
        book.save_to_buffer().map_err(err)
    }
}

/// "1234.50", "-3.00": money as the reports write it (two decimals, nothing else).
fn is_money(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    matches!(digits.split_once('.'), Some((a, b))
        if !a.is_empty() && b.len() == 2
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit()))
}

fn csv_error(e: impl std::fmt::Display) -> ClinicError {
    ClinicError::new(crate::error::ErrorCode::Storage, e.to_string())
}

/// What a report looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReportFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Visits to this department (any case), appointments are not filtered by it.
    pub department: Option<String>,
    pub doctor: Option<String>,
    /// A saved segment's name or `dimension:label`: only its members today.
    pub segment: Option<String>,
    /// reminder-effect: "came back" means booked or came within this many days of the
    /// contact (or of the due day); 30 when not given, 1 to 365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub within_days: Option<u32>,
}

/// The reminder-effect window when none is asked for.
pub const DEFAULT_WITHIN_DAYS: u32 = 30;

/// The filter made ready: the patients of the segment, the words folded.
pub(crate) struct Scope {
    pub from: NaiveDate,
    pub to: NaiveDate,
    department: Option<String>,
    doctor: Option<String>,
    members: Option<HashSet<String>>,
    /// "Today" for figures that need time to have passed (return within N days).
    pub today: NaiveDate,
    /// reminder-effect's window, in days.
    pub within_days: u32,
}

impl Scope {
    /// The whole clinic over a range (no filters).
    pub fn plain(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Scope {
        Scope {
            from,
            to,
            department: None,
            doctor: None,
            members: None,
            today,
            within_days: DEFAULT_WITHIN_DAYS,
        }
    }

    pub fn patient(&self, id: &str) -> bool {
        self.members.as_ref().is_none_or(|m| m.contains(id))
    }
    pub fn department(&self, d: &str) -> bool {
        self.department
            .as_deref()
            .is_none_or(|want| want.eq_ignore_ascii_case(d.trim()))
    }
    pub fn doctor(&self, d: Option<&str>) -> bool {
        self.doctor
            .as_deref()
            .is_none_or(|want| d.is_some_and(|d| want.eq_ignore_ascii_case(d.trim())))
    }
    pub fn within(&self, d: NaiveDate) -> bool {
        d >= self.from && d <= self.to
    }
    /// Each month from `from` to `to`, as `YYYY-MM`.
    pub fn months(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut m = self.from.with_day(1).unwrap_or(self.from);
        while m <= self.to {
            out.push(month_of(m));
            m = m
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX);
        }
        out
    }
}

/// The filter matched against the kept visits once: which names are the department and
/// doctor asked for, which patients are in the segment — so that each of a million visits
/// is judged by looking up numbers, not by comparing text.
pub(crate) struct Within<'a> {
    pub scope: &'a Scope,
    departments: Option<Vec<bool>>,
    doctors: Option<Vec<bool>>,
    members: Option<Vec<bool>>,
}

impl Scope {
    pub fn on<'a>(&'a self, kept: &KeptVisits) -> Within<'a> {
        let names = |keep: &dyn Fn(&str) -> bool| -> Vec<bool> {
            kept.names().map(|(_, n)| keep(n)).collect()
        };
        Within {
            scope: self,
            departments: self
                .department
                .as_ref()
                .map(|_| names(&|n| self.department(n))),
            doctors: self
                .doctor
                .as_ref()
                .map(|_| names(&|n| self.doctor(Some(n)))),
            members: self.members.as_ref().map(|m| {
                kept.patients
                    .iter()
                    .map(|p| m.contains(p.id.as_str()))
                    .collect()
            }),
        }
    }
}

impl Within<'_> {
    /// Patient `p` is in the segment (when one is asked for).
    pub fn patient(&self, p: usize) -> bool {
        self.members.as_ref().is_none_or(|m| m[p])
    }
    /// Visit `v` of patient `p` is in the period and passes every filter.
    pub fn counts(&self, p: usize, v: &KeptVisit) -> bool {
        let named = |want: &Option<Vec<bool>>, code: Option<u32>| {
            want.as_ref()
                .is_none_or(|w| code.is_some_and(|c| w[c as usize]))
        };
        self.scope.within(v.date)
            && named(&self.departments, Some(v.department_code()))
            && named(&self.doctors, v.doctor_code())
            && self.patient(p)
    }
}

pub(crate) fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Runs one report.
pub struct RunReport {
    pub name: ReportName,
    pub filter: ReportFilter,
    /// The day figures are judged on (today, local, when `None`).
    pub today: Option<NaiveDate>,
}

impl Operation for RunReport {
    type Output = Report;
    fn action(&self) -> Action {
        Action::ReportRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Report> {
        let f = &self.filter;
        if f.to < f.from {
            return Err(ClinicError::validation(
                "to",
                ValidationRule::OutOfRange,
                "the range ends before it starts",
            ));
        }
        if (f.to - f.from).num_days() > 366 * 10 {
            return Err(ClinicError::validation(
                "from",
                ValidationRule::OutOfRange,
                "at most ten years at a time",
            ));
        }
        let within_days = f.within_days.unwrap_or(DEFAULT_WITHIN_DAYS);
        if !(1..=365).contains(&within_days) {
            return Err(ClinicError::validation(
                "withinDays",
                ValidationRule::OutOfRange,
                "came back within 1 to 365 days",
            ));
        }
        let today = self
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let segment = clean(&f.segment);
        let members = match &segment {
            Some(s) => Some(
                members_of(tx, by, &SegmentRef::parse(s)?, Some(today))?
                    .into_iter()
                    .map(|m| m.id.to_string())
                    .collect(),
            ),
            None => None,
        };
        let scope = Scope {
            from: f.from,
            to: f.to,
            department: clean(&f.department),
            doctor: clean(&f.doctor),
            members,
            today,
            within_days,
        };
        let (definition, tables) = match self.name {
            ReportName::ReturnRate => visits::return_rate(tx, &scope)?,
            ReportName::NewReturning => visits::new_returning(tx, &scope)?,
            ReportName::Nps => visits::nps(tx, &scope)?,
            ReportName::Revenue => visits::revenue(tx, &scope)?,
            ReportName::NoShows => appointments::no_shows(tx, &scope)?,
            ReportName::BusiestSlots => appointments::busiest_slots(tx, &scope)?,
            ReportName::ReminderEffect => appointments::reminder_effect(tx, &scope, by)?,
            ReportName::ChurnRisk => visits::churn_risk(tx, &scope)?,
            ReportName::Referrals => visits::referrals(tx, &scope, by)?,
        };
        Ok(Report {
            name: self.name,
            from: f.from,
            to: f.to,
            department: scope.department.clone(),
            doctor: scope.doctor.clone(),
            segment,
            // A definition that depends on the filter says so with a placeholder.
            definition: definition.replace("{days}", &within_days.to_string()),
            tables,
        })
    }
}
