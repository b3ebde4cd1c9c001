//! Importing past visits of patients already in the clinic (imported first, with their
//! old record numbers). Same reader, same checks as a visit typed in the window, every
//! problem listed by row, the valid rows in one transaction.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveTime, TimeZone};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{
    column_samples, header_key, normalize_date, read_table, ImportProblem, ImportProgress,
    ProblemKind, ProgressFn, Table, TextEncoding, PROGRESS_EVERY,
};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::search::{fold, phone_digits};
use crate::visits::{import_one, VisitInput};

/// What a column of a visits file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum VisitImportField {
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
    Nps,
}

impl VisitImportField {
    pub const ALL: [VisitImportField; 14] = [
        VisitImportField::RecordNo,
        VisitImportField::Phone,
        VisitImportField::Date,
        VisitImportField::Time,
        VisitImportField::Department,
        VisitImportField::Doctor,
        VisitImportField::VisitType,
        VisitImportField::Complaint,
        VisitImportField::Diagnosis,
        VisitImportField::Treatment,
        VisitImportField::Amount,
        VisitImportField::Satisfaction,
        VisitImportField::Feedback,
        VisitImportField::Nps,
    ];

    fn aliases(self) -> &'static [&'static str] {
        match self {
            VisitImportField::RecordNo => &[
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
            VisitImportField::Phone => &["电话", "電話", "手机", "手機", "phone", "mobile"],
            VisitImportField::Date => &[
                "就诊日期",
                "就診日期",
                "日期",
                "就诊时间",
                "就診時間",
                "date",
                "visitdate",
                "visitedat",
            ],
            VisitImportField::Time => &["时间", "時間", "time"],
            VisitImportField::Department => &["科室", "科別", "科别", "department", "dept"],
            VisitImportField::Doctor => &["医生", "醫師", "医师", "doctor"],
            VisitImportField::VisitType => {
                &["就诊类型", "就診類型", "类型", "類型", "visittype", "type"]
            }
            VisitImportField::Complaint => &["主诉", "主訴", "complaint", "chiefcomplaint"],
            VisitImportField::Diagnosis => &["诊断", "診斷", "diagnosis"],
            VisitImportField::Treatment => &["治疗", "治療", "处置", "處置", "treatment"],
            VisitImportField::Amount => &["金额", "金額", "费用", "費用", "amount", "fee"],
            VisitImportField::Satisfaction => &["满意度", "滿意度", "satisfaction"],
            VisitImportField::Feedback => &["反馈", "回饋", "意见", "意見", "feedback"],
            VisitImportField::Nps => &["推荐意愿", "推薦意願", "净推荐值", "淨推薦值", "nps"],
        }
    }

    /// The visit form's field a problem in this column is reported under.
    fn field(self) -> &'static str {
        match self {
            VisitImportField::RecordNo | VisitImportField::Phone => "patientId",
            VisitImportField::Date | VisitImportField::Time => "at",
            VisitImportField::Department => "department",
            VisitImportField::Doctor => "doctor",
            VisitImportField::VisitType => "visitType",
            VisitImportField::Complaint => "chiefComplaint",
            VisitImportField::Diagnosis => "diagnosis",
            VisitImportField::Treatment => "treatment",
            VisitImportField::Amount => "amount",
            VisitImportField::Satisfaction => "satisfaction",
            VisitImportField::Feedback => "feedback",
            VisitImportField::Nps => "nps",
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

/// 口腔科 / 牙科 / Dental … → the code the window's department list uses, so imported
/// visits count with typed ones in every report. Other names stay as written (clinics
/// name their own departments).
fn normalize_department(text: &str) -> String {
    let t = fold(text);
    let code = match t.as_str() {
        "口腔科" | "口腔" | "牙科" | "齒科" | "dental" | "dentistry" => "dental",
        "全科" | "家醫科" | "家庭医学科" | "家庭醫學科" | "general" | "general practice" | "gp" => {
            "general"
        }
        "内科" | "內科" | "internal" | "internal medicine" => "internal",
        "儿科" | "兒科" | "小儿科" | "小兒科" | "pediatrics" | "paediatrics" => {
            "pediatrics"
        }
        "外科" | "surgery" => "surgery",
        "皮肤科" | "皮膚科" | "dermatology" => "dermatology",
        "眼科" | "ophthalmology" => "ophthalmology",
        "耳鼻喉科" | "耳鼻喉" | "ent" => "ent",
        "妇科" | "婦科" | "妇产科" | "婦產科" | "gynecology" | "gynaecology" => {
            "gynecology"
        }
        "中医科" | "中醫科" | "中医" | "中醫" | "tcm" | "traditional chinese medicine" => {
            "tcm"
        }
        "康复科" | "復健科" | "rehab" | "rehabilitation" => "rehab",
        _ => return text.trim().to_string(),
    };
    code.to_string()
}

/// Which field each column holds, from its header (zh-CN, zh-TW or English).
pub fn guess_visit_mapping(headers: &[String]) -> Vec<Option<VisitImportField>> {
    let mut taken: Vec<VisitImportField> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let field = VisitImportField::ALL.into_iter().find(|f| {
                !taken.contains(f) && f.aliases().iter().any(|a| header_key(a) == header_key(h))
            })?;
            taken.push(field);
            Some(field)
        })
        .collect()
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
    /// Column → field; `None` uses [`guess_visit_mapping`].
    pub mapping: Option<Vec<Option<VisitImportField>>>,
    pub dry_run: bool,
    pub offset: FixedOffset,
    pub progress: Option<ProgressFn>,
}

impl Operation for ImportVisits {
    type Output = VisitImportReport;
    fn action(&self) -> Action {
        Action::PatientImport
    }
    fn run(mut self, tx: &Transaction<'_>, _: &Actor) -> Result<VisitImportReport> {
        let mapping = self
            .mapping
            .take()
            .unwrap_or_else(|| guess_visit_mapping(&self.table.headers));
        let headers = &self.table.headers;
        // A field chosen for two columns is read from the first.
        let mut columns: HashMap<VisitImportField, usize> = HashMap::new();
        for (i, field) in mapping.iter().enumerate().take(headers.len()) {
            if let Some(f) = field {
                columns.entry(*f).or_insert(i);
            }
        }
        let total = self.table.rows.len() as u32;
        let dry_run = self.dry_run;
        let mut tell = |done: usize| {
            if let Some(f) = self.progress.as_mut() {
                f(ImportProgress {
                    done: done as u32,
                    total,
                    dry_run,
                });
            }
        };
        let has = |c| columns.contains_key(&c);
        if !(has(VisitImportField::RecordNo) || has(VisitImportField::Phone))
            || !has(VisitImportField::Date)
        {
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
        for (n, row) in self.table.rows.iter().enumerate() {
            if n % PROGRESS_EVERY == 0 && n > 0 {
                tell(n);
            }
            let cell = |c: VisitImportField| -> Option<String> {
                columns
                    .get(&c)
                    .and_then(|i| row.cells.get(*i))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let problem = |c: VisitImportField, rule, message: String| ImportProblem {
                row: row.number,
                kind: ProblemKind::Invalid,
                column: columns.get(&c).and_then(|i| headers.get(*i).cloned()),
                field: Some(c.field().to_string()),
                rule,
                other: None,
                message: format!("row {}: {message}", row.number),
            };
            let found = match (
                cell(VisitImportField::RecordNo),
                cell(VisitImportField::Phone),
            ) {
                (Some(no), _) => patients
                    .by_record_no
                    .get(&no)
                    .copied()
                    .ok_or((VisitImportField::RecordNo, no)),
                (None, Some(phone)) => patients
                    .by_phone(&phone)
                    .ok_or((VisitImportField::Phone, phone)),
                (None, None) => Err((VisitImportField::RecordNo, String::new())),
            };
            let patient = match found {
                Ok(p) => p,
                Err((c, value)) => {
                    let rule = if value.is_empty() {
                        ValidationRule::Required
                    } else {
                        ValidationRule::UnknownValue
                    };
                    report.problems.push(ImportProblem {
                        // The value looked for, so the window can say it.
                        other: (!value.is_empty()).then(|| value.clone()),
                        ..problem(
                            c,
                            Some(rule),
                            format!("no single patient has {} {value:?}", c.field()),
                        )
                    });
                    continue;
                }
            };
            let Some(at) = cell(VisitImportField::Date).and_then(|d| {
                let (date, time) = match d.split_once([' ', 'T']) {
                    Some((date, time)) => (date.to_string(), Some(time.to_string())),
                    None => (d.clone(), cell(VisitImportField::Time)),
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
                let value = cell(VisitImportField::Date).unwrap_or_default();
                report.problems.push(problem(
                    VisitImportField::Date,
                    Some(ValidationRule::InvalidDate),
                    format!("{value:?} is not a date (and time)"),
                ));
                continue;
            };
            let amount = cell(VisitImportField::Amount).map(|a| {
                a.replace(['¥', '￥', '$', ',', '，', ' '], "")
                    .replace("NT", "")
                    .replace("元", "")
            });
            let mut score = |field: VisitImportField, range: &str| match cell(field) {
                None => Ok(None),
                Some(s) => fold(&s).parse::<i32>().map(Some).map_err(|_| {
                    report.problems.push(problem(
                        field,
                        Some(ValidationRule::InvalidFormat),
                        format!("{s:?} is not a number from {range}"),
                    ))
                }),
            };
            let Ok(satisfaction) = score(VisitImportField::Satisfaction, "1 to 5") else {
                continue;
            };
            let Ok(nps) = score(VisitImportField::Nps, "0 to 10") else {
                continue;
            };
            let input = VisitInput {
                patient_id: patient.to_string(),
                at: at.to_rfc3339(),
                department: cell(VisitImportField::Department)
                    .map(|d| normalize_department(&d))
                    .unwrap_or_default(),
                doctor: cell(VisitImportField::Doctor),
                visit_type: normalize_visit_type(
                    &cell(VisitImportField::VisitType).unwrap_or_default(),
                ),
                chief_complaint: cell(VisitImportField::Complaint),
                diagnosis: cell(VisitImportField::Diagnosis),
                treatment: cell(VisitImportField::Treatment),
                amount,
                satisfaction,
                nps,
                feedback: cell(VisitImportField::Feedback),
                follow_up_by: None,
            };
            match import_one(tx, &input, self.dry_run) {
                Ok(true) => report.new_visits += 1,
                Ok(false) => report.problems.push(ImportProblem {
                    kind: ProblemKind::DuplicateExisting,
                    rule: None,
                    message: format!("row {}: this visit is already recorded", row.number),
                    ..problem(VisitImportField::Date, None, String::new())
                }),
                Err(e) if e.code == crate::ErrorCode::Validation => {
                    let c = VisitImportField::ALL
                        .into_iter()
                        .find(|c| Some(c.field()) == e.field.as_deref() && columns.contains_key(c))
                        .unwrap_or(VisitImportField::Date);
                    report.problems.push(ImportProblem {
                        field: e.field.clone(),
                        ..problem(c, e.rule, e.message.clone())
                    });
                }
                Err(e) => return Err(e),
            }
        }
        tell(total as usize);
        Ok(report)
    }
}

/// One column of a visits file as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VisitImportColumn {
    pub header: String,
    pub field: Option<VisitImportField>,
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VisitImportOutcome {
    pub columns: Vec<VisitImportColumn>,
    pub report: VisitImportReport,
}

/// A whole visits file, as the window sends it: read, map, check, and (unless `dry_run`)
/// import.
pub struct ImportVisitsFile {
    pub bytes: Vec<u8>,
    pub encoding: TextEncoding,
    pub mapping: Option<Vec<Option<VisitImportField>>>,
    pub dry_run: bool,
    pub offset: FixedOffset,
    pub progress: Option<ProgressFn>,
}

impl Operation for ImportVisitsFile {
    type Output = VisitImportOutcome;
    fn action(&self) -> Action {
        Action::PatientImport
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<VisitImportOutcome> {
        let table = read_table(&self.bytes, self.encoding)?;
        let mut mapping = self
            .mapping
            .unwrap_or_else(|| guess_visit_mapping(&table.headers));
        mapping.resize(table.headers.len(), None);
        let columns = table
            .headers
            .iter()
            .enumerate()
            .map(|(i, header)| VisitImportColumn {
                header: header.clone(),
                field: mapping[i],
                samples: column_samples(&table, i),
            })
            .collect();
        let report = ImportVisits {
            table,
            mapping: Some(mapping),
            dry_run: self.dry_run,
            offset: self.offset,
            progress: self.progress,
        }
        .run(tx, by)?;
        Ok(VisitImportOutcome { columns, report })
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
