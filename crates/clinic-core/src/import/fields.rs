//! The columns a patients' file may hold, told apart by their headers in zh-CN, zh-TW and
//! English, and the ways people write dates and payment types.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::search::fold;

/// What a column of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ImportField {
    Name,
    Sex,
    BirthDate,
    Phone,
    Email,
    Address,
    PaymentType,
    Allergies,
    /// Conditions as text ("高血压、糖尿病"): one entry each.
    Conditions,
    Medications,
    Region,
    Occupation,
    Notes,
    IdNumber,
    /// The patient's number in the old system: a second import updates instead of adding.
    ExternalId,
}

impl ImportField {
    /// The field's name in [`PatientInput`] (and in validation errors).
    pub fn input_name(self) -> &'static str {
        match self {
            ImportField::Name => "name",
            ImportField::Sex => "sex",
            ImportField::BirthDate => "birthDate",
            ImportField::Phone => "phone",
            ImportField::Email => "email",
            ImportField::Address => "address",
            ImportField::PaymentType => "paymentType",
            ImportField::Allergies => "allergies",
            ImportField::Conditions => "conditions",
            ImportField::Medications => "medications",
            ImportField::Region => "region",
            ImportField::Occupation => "occupation",
            ImportField::Notes => "notes",
            ImportField::IdNumber => "idNumber",
            ImportField::ExternalId => "externalId",
        }
    }

    /// Header words that mean this field (compared folded, without spaces and punctuation).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            ImportField::Name => &[
                "姓名",
                "名字",
                "患者姓名",
                "病患姓名",
                "病人姓名",
                "客户姓名",
                "name",
                "fullname",
                "patientname",
                "patient",
            ],
            ImportField::Sex => &["性别", "性別", "sex", "gender"],
            ImportField::BirthDate => &[
                "出生日期",
                "生日",
                "出生年月日",
                "出生年月",
                "dob",
                "birthdate",
                "dateofbirth",
                "birthday",
            ],
            ImportField::Phone => &[
                "电话",
                "電話",
                "手机",
                "手機",
                "手机号",
                "手机号码",
                "手機號碼",
                "联系电话",
                "聯絡電話",
                "電話號碼",
                "电话号码",
                "phone",
                "mobile",
                "tel",
                "telephone",
                "phonenumber",
                "cell",
            ],
            ImportField::Email => &["邮箱", "电子邮件", "電子郵件", "email", "e-mail", "mail"],
            ImportField::Address => &["地址", "住址", "联系地址", "聯絡地址", "address"],
            ImportField::PaymentType => &[
                "付费方式",
                "付費方式",
                "支付方式",
                "医保类型",
                "保险类型",
                "保險類型",
                "payment",
                "paymenttype",
                "insurance",
            ],
            ImportField::Allergies => &[
                "过敏",
                "過敏",
                "过敏史",
                "過敏史",
                "药物过敏",
                "藥物過敏",
                "allergies",
                "allergy",
            ],
            ImportField::Conditions => &[
                "慢性病",
                "疾病",
                "慢性病史",
                "诊断",
                "診斷",
                "conditions",
                "chronicconditions",
                "diagnoses",
            ],
            ImportField::Medications => &[
                "用药",
                "用藥",
                "目前用药",
                "目前用藥",
                "长期用药",
                "長期用藥",
                "medications",
                "medication",
                "drugs",
            ],
            ImportField::Region => &["地区", "地區", "区域", "區域", "城市", "region", "city"],
            ImportField::Occupation => &["职业", "職業", "occupation", "job"],
            ImportField::Notes => &[
                "备注", "備註", "说明", "說明", "notes", "note", "remarks", "comment", "comments",
            ],
            ImportField::IdNumber => &[
                "身份证号",
                "身份证",
                "身份证号码",
                "身分證字號",
                "身分證",
                "身分證號",
                "idnumber",
                "nationalid",
                "idcard",
            ],
            ImportField::ExternalId => &[
                "病历号",
                "病歷號",
                "编号",
                "編號",
                "旧编号",
                "舊編號",
                "患者编号",
                "病患編號",
                "oldid",
                "patientid",
                "recordno",
                "id",
                "no",
            ],
        }
    }

    pub(super) const ALL: [ImportField; 15] = [
        ImportField::Name,
        ImportField::Sex,
        ImportField::BirthDate,
        ImportField::Phone,
        ImportField::Email,
        ImportField::Address,
        ImportField::PaymentType,
        ImportField::Allergies,
        ImportField::Conditions,
        ImportField::Medications,
        ImportField::Region,
        ImportField::Occupation,
        ImportField::Notes,
        ImportField::IdNumber,
        ImportField::ExternalId,
    ];
}

pub(crate) fn header_key(h: &str) -> String {
    fold(h).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Which field each column holds, from its header; `None` for columns to leave out.
pub fn guess_mapping(headers: &[String]) -> Vec<Option<ImportField>> {
    let mut used = Vec::new();
    headers
        .iter()
        .map(|h| {
            let key = header_key(h);
            let field = ImportField::ALL
                .into_iter()
                .find(|f| !used.contains(f) && f.aliases().iter().any(|a| header_key(a) == key));
            used.extend(field);
            field
        })
        .collect()
}

/// A date as people write it: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105,
/// Taiwan's 民國113年1月5日 or 113/1/5, or an Excel serial number (45296). Anything
/// else is passed on unchanged for validation to reject.
pub fn normalize_date(text: &str) -> String {
    let t = fold(text);
    let (roc, t) = match t.strip_prefix("民國").or_else(|| t.strip_prefix("民国")) {
        Some(rest) => (true, rest.trim().to_string()),
        None => (false, t.clone()),
    };
    let parts: Vec<&str> = t
        .split(['-', '/', '.', '年', '月', '日', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let date = match parts.as_slice() {
        [ymd] if ymd.len() == 8 && ymd.chars().all(|c| c.is_ascii_digit()) => {
            NaiveDate::parse_from_str(ymd, "%Y%m%d").ok()
        }
        [serial] if !roc && serial.len() == 5 && serial.chars().all(|c| c.is_ascii_digit()) => {
            let n: i64 = serial.parse().unwrap_or(0);
            NaiveDate::from_ymd_opt(1899, 12, 30).map(|epoch| epoch + Duration::days(n))
        }
        [y, m, d] => {
            let (y, m, d) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>());
            match (y, m, d) {
                // A three-digit (or shorter) year is a Republic of China year.
                (Ok(y), Ok(m), Ok(d)) if roc || (1..1000).contains(&y) => {
                    NaiveDate::from_ymd_opt(y + 1911, m, d)
                }
                (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d),
                _ => None,
            }
        }
        _ => None,
    };
    date.map(|d| d.to_string())
        .unwrap_or_else(|| text.trim().to_string())
}

/// 自费/自費/健保/医保/商保 … as the codes the core knows; anything else unchanged.
pub(super) fn normalize_payment(text: &str) -> String {
    let t = header_key(text);
    let code = match t.as_str() {
        "自费" | "自費" | "自付" | "现金" | "現金" | "self" | "selfpay" | "cash" => {
            "self-pay"
        }
        "医保" | "醫保" | "健保" | "社保" | "公保" | "农合" | "public" | "publicinsurance" => {
            "public-insurance"
        }
        "商保"
        | "商业保险"
        | "商業保險"
        | "商业"
        | "commercial"
        | "commercialinsurance"
        | "private" => "commercial-insurance",
        _ => return text.trim().to_string(),
    };
    code.into()
}
