//! The file a clinic fills in to import its patients.

/// A spreadsheet to fill in: headers in the clinic's language (ones [`super::guess_mapping`]
/// recognises) and one example row. CSV, UTF-8 with BOM, so Excel on Chinese Windows opens it.
pub fn template(language: crate::patients::Language) -> Vec<u8> {
    use crate::patients::Language;
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
    let mut out = vec![0xEF, 0xBB, 0xBF];
    for line in [headers, example] {
        out.extend_from_slice(line.join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}
