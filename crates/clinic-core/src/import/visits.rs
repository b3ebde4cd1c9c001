//! Importing past visits of patients already in the clinic (imported first, with their
//! old record numbers). Same reader, same checks as a visit typed in the window, every
//! problem listed by row, the valid rows in one transaction.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveTime, TimeZone};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{header_key, normalize_date, ImportProblem, ProblemKind, Table};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::search::{fold, phone_digits};
use crate::visits::{import_one, VisitInput};

/// What a column of a visits file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum VisitColumn {
    RecordNo,
    Phone,
    Date,
    Time,
    Department,
    Doctor,
    VisitType,
    Complaint,
    Diagnosis,
    Treatment,
    Amount,
    Satisfaction,
    Feedback,
}

impl VisitColumn {
    const ALL: [VisitColumn; 13] = [
        VisitColumn::RecordNo,
        VisitColumn::Phone,
        VisitColumn::Date,
        VisitColumn::Time,
        VisitColumn::Department,
        VisitColumn::Doctor,
        VisitColumn::VisitType,
        VisitColumn::Complaint,
        VisitColumn::Diagnosis,
        VisitColumn::Treatment,
        VisitColumn::Amount,
        VisitColumn::Satisfaction,
        VisitColumn::Feedback,
    ];

    fn aliases(self) -> &'static [&'static str] {
        match self {
            VisitColumn::RecordNo => &[
                "病历号",
                "病歷號",
                "编号",
                "編號",
                "患者编号",
                "病患編號",
                "recordno",
                "patientid",
                "oldid",
            ],
            VisitColumn::Phone => &["电话", "電話", "手机", "手機", "phone", "mobile"],
            VisitColumn::Date => &[
                "就诊日期",
                "就診日期",
                "日期",
                "就诊时间",
                "就診時間",
                "date",
                "visitdate",
                "visitedat",
            ],
            VisitColumn::Time => &["时间", "時間", "time"],
            VisitColumn::Department => &["科室", "科別", "科别", "department", "dept"],
            VisitColumn::Doctor => &["医生", "醫師", "医师", "doctor"],
            VisitColumn::VisitType => {
                &["就诊类型", "就診類型", "类型", "類型", "visittype", "type"]
            }
            VisitColumn::Complaint => &["主诉", "主訴", "complaint", "chiefcomplaint"],
            VisitColumn::Diagnosis => &["诊断", "診斷", "diagnosis"],
            VisitColumn::Treatment => &["治疗", "治療", "处置", "處置", "treatment"],
            VisitColumn::Amount => &["金额", "金額", "费用", "費用", "amount", "fee"],
            VisitColumn::Satisfaction => &["满意度", "滿意度", "satisfaction"],
            VisitColumn::Feedback => &["反馈", "回饋", "意见", "意見", "feedback"],
        }
    }

    /// The visit form's field a problem in this column is reported under.
    fn field(self) -> &'static str {
        match self {
            VisitColumn::RecordNo | VisitColumn::Phone => "patientId",
            VisitColumn::Date | VisitColumn::Time => "at",
            VisitColumn::Department => "department",
            VisitColumn::Doctor => "doctor",
            VisitColumn::VisitType => "visitType",
            VisitColumn::Complaint => "chiefComplaint",
            VisitColumn::Diagnosis => "diagnosis",
            VisitColumn::Treatment => "treatment",
            VisitColumn::Amount => "amount",
            VisitColumn::Satisfaction => "satisfaction",
            VisitColumn::Feedback => "feedback",
        }
    }
}

/// 初诊 / 複診 / 回診 / Emergency … → the core's codes. Blank is a return visit: a visit
/// list from another system is mostly returns, and a first visit is usually marked.
fn normalize_visit_type(text: &str) -> String {
    let t = fold(text);
    let code = match t.as_str() {
        "" => "return",
        "初诊" | "初診" | "首诊" | "首診" | "新患" | "first" | "new" => "first",
        "复诊" | "複診" | "回诊" | "回診" | "return" | "followup" | "follow-up" => "return",
        "专科" | "專科" | "specialist" => "specialist",
        "急诊" | "急診" | "emergency" => "emergency",
        _ => return text.to_string(),
    };
    code.to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VisitImportReport {
    pub read_as: String,
    pub total_rows: u32,
    pub new_visits: u32,
    pub problems: Vec<ImportProblem>,
    pub imported: bool,
}

/// Visits of known patients: each row names its patient by old record number (the
/// `external_id` a patients import kept) or by phone. Dates without a time are taken as
/// 09:00; times are in `offset` (the computer's UTC offset: where the clinic is).
pub struct ImportVisits {
    pub table: Table,
    pub dry_run: bool,
    pub offset: FixedOffset,
}

impl Operation for ImportVisits {
    type Output = VisitImportReport;
    fn action(&self) -> Action {
        Action::PatientImport
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<VisitImportReport> {
        let headers = &self.table.headers;
        let column = |c: VisitColumn| {
            headers
                .iter()
                .position(|h| c.aliases().iter().any(|a| header_key(a) == header_key(h)))
        };
        let columns: HashMap<VisitColumn, usize> = VisitColumn::ALL
            .into_iter()
            .filter_map(|c| column(c).map(|i| (c, i)))
            .collect();
        let has = |c| columns.contains_key(&c);
        if !(has(VisitColumn::RecordNo) || has(VisitColumn::Phone)) || !has(VisitColumn::Date) {
            return Err(ClinicError::validation(
                "mapping",
                ValidationRule::Required,
                "a visits file needs the patient's record number or phone, and the date",
            ));
        }
        let patients = Patients::load(tx)?;
        let mut report = VisitImportReport {
            read_as: self.table.read_as.clone(),
            total_rows: self.table.rows.len() as u32,
            new_visits: 0,
            problems: Vec::new(),
            imported: !self.dry_run,
        };
        for row in &self.table.rows {
            let cell = |c: VisitColumn| -> Option<String> {
                columns
                    .get(&c)
                    .and_then(|i| row.cells.get(*i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let problem = |c: VisitColumn, rule, message: String| ImportProblem {
                row: row.number,
                kind: ProblemKind::Invalid,
                column: columns.get(&c).and_then(|i| headers.get(*i).cloned()),
                field: Some(c.field().to_string()),
                rule,
                other: None,
                message: format!("row {}: {message}", row.number),
            };
            let found = match (cell(VisitColumn::RecordNo), cell(VisitColumn::Phone)) {
                (Some(no), _) => patients
                    .by_record_no
                    .get(&no)
                    .copied()
                    .ok_or((VisitColumn::RecordNo, no)),
                (None, Some(phone)) => patients.by_phone(&phone).ok_or((VisitColumn::Phone, phone)),
                (None, None) => Err((VisitColumn::RecordNo, String::new())),
            };
            let patient = match found {
                Ok(p) => p,
                Err((c, value)) => {
                    let rule = if value.is_empty() {
                        ValidationRule::Required
                    } else {
                        ValidationRule::UnknownValue
                    };
                    report.problems.push(problem(
                        c,
                        Some(rule),
                        format!("no single patient has {} {value:?}", c.field()),
                    ));
                    continue;
                }
            };
            let Some(at) = cell(VisitColumn::Date).and_then(|d| {
                let (date, time) = match d.split_once([' ', 'T']) {
                    Some((date, time)) => (date.to_string(), Some(time.to_string())),
                    None => (d.clone(), cell(VisitColumn::Time)),
                };
                let date =
                    chrono::NaiveDate::parse_from_str(&normalize_date(&date), "%Y-%m-%d").ok()?;
                let time = match time {
                    Some(t) => NaiveTime::parse_from_str(t.trim(), "%H:%M")
                        .or_else(|_| NaiveTime::parse_from_str(t.trim(), "%H:%M:%S"))
                        .ok()?,
                    None => NaiveTime::from_hms_opt(9, 0, 0)?,
                };
                self.offset
                    .from_local_datetime(&date.and_time(time))
                    .single()
            }) else {
                let value = cell(VisitColumn::Date).unwrap_or_default();
                report.problems.push(problem(
                    VisitColumn::Date,
                    Some(ValidationRule::InvalidDate),
                    format!("{value:?} is not a date (and time)"),
                ));
                continue;
            };
            let amount = cell(VisitColumn::Amount).map(|a| {
                a.replace(['¥', '￥', '$', ',', '，', ' '], "")
                    .replace("NT", "")
                    .replace("元", "")
            });
            let satisfaction = match cell(VisitColumn::Satisfaction) {
                None => None,
                Some(s) => match fold(&s).parse::<i32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        report.problems.push(problem(
                            VisitColumn::Satisfaction,
                            Some(ValidationRule::InvalidFormat),
                            format!("{s:?} is not a number from 1 to 5"),
                        ));
                        continue;
                    }
                },
            };
            let input = VisitInput {
                patient_id: patient.to_string(),
                at: at.to_rfc3339(),
                department: cell(VisitColumn::Department).unwrap_or_default(),
                doctor: cell(VisitColumn::Doctor),
                visit_type: normalize_visit_type(&cell(VisitColumn::VisitType).unwrap_or_default()),
                chief_complaint: cell(VisitColumn::Complaint),
                diagnosis: cell(VisitColumn::Diagnosis),
                treatment: cell(VisitColumn::Treatment),
                amount,
                satisfaction,
                feedback: cell(VisitColumn::Feedback),
            };
            match import_one(tx, &input, self.dry_run) {
                Ok(true) => report.new_visits += 1,
                Ok(false) => report.problems.push(ImportProblem {
                    kind: ProblemKind::DuplicateExisting,
                    rule: None,
                    message: format!("row {}: this visit is already recorded", row.number),
                    ..problem(VisitColumn::Date, None, String::new())
                }),
                Err(e) if e.code == crate::ErrorCode::Validation => {
                    let c = VisitColumn::ALL
                        .into_iter()
                        .find(|c| Some(c.field()) == e.field.as_deref() && columns.contains_key(c))
                        .unwrap_or(VisitColumn::Date);
                    report.problems.push(ImportProblem {
                        field: e.field.clone(),
                        ..problem(c, e.rule, e.message.clone())
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }
}

/// The clinic's active patients by old record number and by phone.
struct Patients {
    by_record_no: HashMap<String, Uuid>,
    /// Phone digits → patients with that number (two family members may share one).
    phones: HashMap<String, Vec<Uuid>>,
}

impl Patients {
    fn load(tx: &Transaction<'_>) -> Result<Patients> {
        let mut p = Patients {
            by_record_no: HashMap::new(),
            phones: HashMap::new(),
        };
        let mut stmt =
            tx.prepare("SELECT id, external_id, phone FROM patient WHERE archived_at IS NULL")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Ok(id) = Uuid::parse_str(&r.get::<_, String>(0)?) else {
                continue;
            };
            if let Some(no) = r.get::<_, Option<String>>(1)? {
                p.by_record_no.insert(no, id);
            }
            if let Some(phone) = r.get::<_, Option<String>>(2)? {
                p.phones.entry(phone_digits(&phone)).or_default().push(id);
            }
        }
        Ok(p)
    }

    /// Only a phone that names exactly one patient.
    fn by_phone(&self, phone: &str) -> Option<Uuid> {
        match self.phones.get(&phone_digits(phone))?.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}
