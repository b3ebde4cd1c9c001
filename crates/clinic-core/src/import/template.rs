//! The files a clinic fills in to import its patients and their past visits.

use crate::patients::Language;

/// A spreadsheet to fill in: headers in the clinic's language (ones [`super::guess_mapping`]
/// recognises) and one example row. CSV, UTF-8 with BOM, so Excel on Chinese Windows opens it.
pub fn template(language: Language) -> Vec<u8> {
    let (headers, example): (&[&str], &[&str]) = match language {
        Language::ZhCn => (
            &[
                "病历号",
                "姓名",
                "性别",
                "出生日期",
                "手机",
                "身份证号",
                "付费方式",
                "过敏",
                "慢性病",
                "用药",
                "地区",
                "职业",
                "地址",
                "邮箱",
                "备注",
            ],
            &[
                "A0001",
                "张伟明",
                "男",
                "1980-05-17",
                "138 1234 5678",
                "",
                "医保",
                "青霉素",
                "高血压",
                "氨氯地平",
                "上海市",
                "教师",
                "上海市徐汇区",
                "",
                "",
            ],
        ),
        Language::ZhTw => (
            &[
                "病歷號",
                "姓名",
                "性別",
                "出生日期",
                "手機",
                "身分證字號",
                "付費方式",
                "過敏",
                "慢性病",
                "用藥",
                "地區",
                "職業",
                "地址",
                "電子郵件",
                "備註",
            ],
            &[
                "A0001",
                "陳美玲",
                "女",
                "民國47年3月9日",
                "0912-345-678",
                "",
                "健保",
                "盤尼西林",
                "高血壓",
                "",
                "台北市",
                "退休",
                "台北市大安區",
                "",
                "",
            ],
        ),
        Language::En => (
            &[
                "Record no",
                "Name",
                "Sex",
                "Date of birth",
                "Phone",
                "ID number",
                "Payment",
                "Allergies",
                "Conditions",
                "Medications",
                "Region",
                "Occupation",
                "Address",
                "Email",
                "Notes",
            ],
            &[
                "A0001",
                "Mary Lin",
                "F",
                "1975-02-03",
                "+44 7700 900123",
                "",
                "self-pay",
                "latex",
                "asthma",
                "",
                "London",
                "nurse",
                "",
                "mary@example.com",
                "",
            ],
        ),
    };
    csv(headers, example)
}

/// Past visits to fill in: each row names its patient by the record number of the
/// patients file (or by phone). Headers that [`super::guess_visit_mapping`] recognises.
pub fn visits_template(language: Language) -> Vec<u8> {
    let (headers, example): (&[&str], &[&str]) = match language {
        Language::ZhCn => (
            &[
                "病历号",
                "手机",
                "就诊日期",
                "时间",
                "科室",
                "医生",
                "就诊类型",
                "主诉",
                "诊断",
                "治疗",
                "金额",
                "满意度",
                "反馈",
                "推荐意愿",
            ],
            &[
                "A0001",
                "",
                "2024-03-18",
                "10:30",
                "口腔科",
                "李医生",
                "复诊",
                "右下牙痛",
                "龋齿",
                "充填",
                "280.00",
                "5",
                "",
                "9",
            ],
        ),
        Language::ZhTw => (
            &[
                "病歷號",
                "手機",
                "就診日期",
                "時間",
                "科別",
                "醫師",
                "就診類型",
                "主訴",
                "診斷",
                "治療",
                "金額",
                "滿意度",
                "回饋",
                "推薦意願",
            ],
            &[
                "A0001",
                "",
                "民國113年3月18日",
                "10:30",
                "牙科",
                "林醫師",
                "複診",
                "右下牙痛",
                "齲齒",
                "填補",
                "800",
                "5",
                "",
                "9",
            ],
        ),
        Language::En => (
            &[
                "Record no",
                "Phone",
                "Visit date",
                "Time",
                "Department",
                "Doctor",
                "Visit type",
                "Complaint",
                "Diagnosis",
                "Treatment",
                "Amount",
                "Satisfaction",
                "Feedback",
                "NPS",
            ],
            &[
                "A0001",
                "",
                "2024-03-18",
                "10:30",
                "dental",
                "Dr Lee",
                "return",
                "toothache",
                "caries",
                "filling",
                "120.00",
                "5",
                "",
                "9",
            ],
        ),
    };
    csv(headers, example)
}

/// A header row and an example row as CSV, UTF-8 with BOM, CRLF.
fn csv(headers: &[&str], example: &[&str]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    for line in [headers, example] {
        out.extend_from_slice(line.join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}
