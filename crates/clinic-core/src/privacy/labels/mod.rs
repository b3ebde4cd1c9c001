//! The words a patient reads on the printed copy of their data: each column in their
//! language (the same words as the window's forms), stored codes in words (`codes`), and
//! money in units rather than cents.

use crate::patients::Language;

mod codes;
use codes::CODES;

/// `[English, 简体, 繁體]` for the columns a patient's data holds.
const COLUMNS: &[(&str, [&str; 3])] = &[
    ("id", ["ID", "编号", "編號"]),
    ("patient_id", ["Patient", "患者", "病患"]),
    ("name", ["Name", "名称", "名稱"]),
    ("patient.name", ["Name", "姓名", "姓名"]),
    ("sex", ["Sex", "性别", "性別"]),
    ("birth_date", ["Birth date", "出生日期", "出生日期"]),
    ("phone", ["Phone", "电话", "電話"]),
    ("email", ["Email", "电子邮箱", "電子郵件"]),
    ("address", ["Address", "地址", "地址"]),
    ("payment_type", ["Payment type", "付费方式", "付費方式"]),
    ("notes", ["Notes", "备注", "備註"]),
    ("note", ["Note", "备注", "備註"]),
    ("created_at", ["Created", "建立时间", "建立時間"]),
    ("updated_at", ["Last changed", "最后修改", "最後修改"]),
    ("archived_at", ["Archived", "归档时间", "封存時間"]),
    ("id_number", ["ID number", "身份证号", "身分證字號"]),
    (
        "external_id",
        ["Old ID / record no.", "原病历号", "原病歷號"],
    ),
    ("region", ["Region", "地区", "地區"]),
    ("occupation", ["Occupation", "职业", "職業"]),
    ("education", ["Education", "学历", "學歷"]),
    ("marital_status", ["Marital status", "婚姻状况", "婚姻狀況"]),
    ("income_band", ["Household income", "家庭收入", "家庭收入"]),
    (
        "preferred_language",
        ["Preferred language", "偏好语言", "偏好語言"],
    ),
    ("insurer", ["Insurer", "保险公司", "保險公司"]),
    ("policy_number", ["Policy number", "保单号", "保單號碼"]),
    ("past_history", ["Past history", "既往史", "過去病史"]),
    ("family_history", ["Family history", "家族史", "家族病史"]),
    ("smoking", ["Smoking", "吸烟", "吸菸"]),
    ("alcohol", ["Alcohol", "饮酒", "飲酒"]),
    ("exercise", ["Exercise", "运动", "運動"]),
    ("diet", ["Diet", "饮食", "飲食"]),
    ("sleep", ["Sleep", "睡眠", "睡眠"]),
    ("work_pattern", ["Work", "工作", "工作"]),
    (
        "preferred_doctor",
        ["Preferred doctor", "首选医生", "偏好醫師"],
    ),
    ("preferred_channel", ["Contact by", "联系方式", "聯絡方式"]),
    ("preferred_time", ["Best time", "方便时间", "方便時間"]),
    ("referral_channel", ["Came through", "来源渠道", "來源管道"]),
    ("referred_by", ["Referred by", "推荐人", "介紹人"]),
    ("merged_into", ["Merged into", "已合并至", "已合併至"]),
    ("has_allergies", ["Has allergies", "有过敏", "有過敏"]),
    ("visit_count", ["Visits", "就诊次数", "就診次數"]),
    ("last_visit_at", ["Last visit", "最近就诊", "最近就診"]),
    (
        "restricted_at",
        ["Restricted", "限制处理时间", "限制處理時間"],
    ),
    ("visited_at", ["Visit time", "就诊时间", "就診時間"]),
    ("department", ["Department", "科室", "科別"]),
    ("doctor", ["Doctor", "医生", "醫師"]),
    ("visit_type", ["Visit type", "就诊类型", "就診類型"]),
    ("chief_complaint", ["Chief complaint", "主诉", "主訴"]),
    ("diagnosis", ["Diagnosis", "诊断", "診斷"]),
    ("treatment", ["Treatment", "治疗", "治療"]),
    ("amount_minor", ["Amount", "金额", "金額"]),
    (
        "satisfaction",
        ["Satisfaction (1-5)", "满意度（1-5）", "滿意度（1-5）"],
    ),
    ("feedback", ["Feedback", "反馈", "意見回饋"]),
    (
        "nps",
        [
            "Would recommend (0-10)",
            "推荐意愿（0-10）",
            "推薦意願（0-10）",
        ],
    ),
    ("follow_up_by", ["Come back by", "复诊期限", "回診期限"]),
    ("purpose", ["Purpose", "用途", "用途"]),
    ("given", ["Given", "已同意", "已同意"]),
    ("recorded_at", ["Recorded", "记录时间", "紀錄時間"]),
    ("recorded_by", ["Recorded by", "记录人", "紀錄人"]),
    ("number", ["Number", "号码", "號碼"]),
    ("label", ["Label", "标注", "標註"]),
    ("position", ["Order", "顺序", "順序"]),
    ("icd10", ["ICD-10", "ICD-10", "ICD-10"]),
    ("chronic", ["Chronic", "慢性", "慢性"]),
    ("since", ["Since", "起始", "起始"]),
    ("substance", ["Substance", "过敏原", "過敏原"]),
    ("reaction", ["Reaction", "反应", "反應"]),
    ("severity", ["Severity", "严重程度", "嚴重程度"]),
    ("dose", ["Dose", "剂量", "劑量"]),
    ("starts_at", ["Starts", "开始时间", "開始時間"]),
    ("room", ["Room or chair", "诊室/牙椅", "診間/診療椅"]),
    ("reason", ["Reason", "原因", "原因"]),
    ("status", ["Status", "状态", "狀態"]),
    ("rescheduled_to", ["Moved to", "改约至", "改約至"]),
    ("visit_id", ["Visit", "就诊", "就診"]),
    ("booked_by", ["Booked by", "预约人", "預約人"]),
    ("status_at", ["Status since", "状态时间", "狀態時間"]),
    ("key", ["Reference", "参考", "參考"]),
    ("kind", ["Kind", "类型", "類型"]),
    ("step", ["Step", "步骤", "步驟"]),
    ("rule", ["Rule", "规则", "規則"]),
    ("due_date", ["Due", "到期日", "到期日"]),
    ("expires_date", ["Expires", "失效日", "失效日"]),
    ("appointment_id", ["Appointment", "预约", "預約"]),
    ("state", ["State", "状态", "狀態"]),
    ("skip_reason", ["Why skipped", "跳过原因", "略過原因"]),
    ("attempts", ["Attempts", "尝试次数", "嘗試次數"]),
    ("closed_at", ["Closed", "关闭时间", "關閉時間"]),
    ("day", ["Day", "日期", "日期"]),
    ("channel", ["Channel", "渠道", "管道"]),
    ("outcome", ["Outcome", "结果", "結果"]),
    ("message", ["Message", "内容", "內容"]),
    ("staff", ["Staff", "员工", "員工"]),
    ("at", ["When", "时间", "時間"]),
    ("points", ["Points", "积分", "點數"]),
    ("source", ["Source", "来源", "來源"]),
    (
        "referred_patient_id",
        ["Referred patient", "被推荐患者", "被介紹病患"],
    ),
    ("voucher_id", ["Voucher", "兑换券", "兌換券"]),
    ("reverses", ["Reverses entry", "冲销条目", "沖銷項目"]),
    ("effective_on", ["Counts from", "生效日", "生效日"]),
    ("expires_on", ["Expires", "过期日", "過期日"]),
    ("code", ["Code", "编码", "代碼"]),
    ("reward_id", ["Reward", "奖励", "獎勵"]),
    ("issued_at", ["Issued", "发放时间", "發放時間"]),
    ("settled_at", ["Settled", "结清时间", "結清時間"]),
    ("tag_id", ["Tag", "标签", "標籤"]),
    ("tagged_at", ["Tagged", "标注时间", "標記時間"]),
    ("tagged_by", ["Tagged by", "标注人", "標記人"]),
    ("topic", ["Topic", "主题", "主題"]),
    ("language", ["Language", "语言", "語言"]),
    ("plain", ["Plain-language version", "浅白版", "淺白版"]),
    ("given_at", ["Given", "发放时间", "發放時間"]),
    ("given_by", ["Given by", "发放人", "發放人"]),
    ("relative_id", ["Family member", "家属", "家屬"]),
    ("relation", ["Relation", "关系", "關係"]),
    ("seq", ["Entry", "序号", "序號"]),
    ("role", ["Role", "角色", "角色"]),
    ("action", ["Action", "操作", "操作"]),
    ("detail", ["Detail", "详情", "詳情"]),
    ("reached_on", ["Reached on", "联系上的日期", "聯絡上的日期"]),
    ("contact_id", ["Contact", "联系记录", "聯繫紀錄"]),
    ("reminder_id", ["Reminder", "提醒", "提醒"]),
    ("pain", ["Pain (0-10)", "疼痛 (0-10)", "疼痛 (0-10)"]),
    ("tier", ["Membership tier", "会员等级", "會員等級"]),
    (
        "spend_minor",
        ["Spend (12 months)", "消费 (12 个月)", "消費 (12 個月)"],
    ),
    (
        "visits",
        ["Visits (12 months)", "就诊 (12 个月)", "就診 (12 個月)"],
    ),
    ("qualified_on", ["Qualified on", "达标日期", "達標日期"]),
    ("from_tier", ["From tier", "原等级", "原等級"]),
    ("to_tier", ["To tier", "新等级", "新等級"]),
    ("on_day", ["On", "日期", "日期"]),
    ("survivor_id", ["Kept record", "保留的档案", "保留的病歷"]),
    ("merged_id", ["Merged record", "并入的档案", "併入的病歷"]),
    ("merged_at", ["Merged", "合并时间", "合併時間"]),
    ("merged_by", ["Merged by", "合并人", "合併人"]),
    ("details", ["Details", "详情", "詳情"]),
];

/// A column's name in the reader's language (`table.column` first, where the same name
/// means something else in another table); one without words reads as itself, spaced.
pub(super) fn column_label(table: &str, column: &str, language: Language) -> String {
    let qualified = format!("{table}.{column}");
    let words = COLUMNS
        .iter()
        .find(|(c, _)| *c == qualified)
        .or_else(|| COLUMNS.iter().find(|(c, _)| *c == column));
    match words {
        Some((_, words)) => match language {
            Language::En => words[0],
            Language::ZhCn => words[1],
            Language::ZhTw => words[2],
        }
        .to_string(),
        None => column.replace('_', " "),
    }
}

/// The audit log's actions in words, `[English, 简体, 繁體]` — the window's words for them.
const ACTIONS: &[(&str, [&str; 3])] = &[
    (
        "patient-read",
        ["Opened a patient record", "查看患者档案", "查看病患病歷"],
    ),
    (
        "patient-write",
        ["Changed a patient", "修改患者", "修改病患"],
    ),
    (
        "patient-export",
        [
            "Exported or printed patient data",
            "导出或打印患者资料",
            "匯出或列印病患資料",
        ],
    ),
    (
        "patient-archive",
        ["Archived a record", "归档档案", "封存病歷"],
    ),
    ("patient-merge", ["Merged records", "合并档案", "合併病歷"]),
    (
        "patient-import",
        ["Imported patients", "导入患者", "匯入病患"],
    ),
    (
        "visit-read",
        ["Looked at visits", "查看就诊记录", "查看就診紀錄"],
    ),
    ("visit-write", ["Recorded a visit", "登记就诊", "登記就診"]),
    ("sign-in", ["Signed in", "登录", "登入"]),
    ("sign-in-failed", ["Wrong password", "密码错误", "密碼錯誤"]),
    (
        "staff-add",
        ["Added a staff member", "添加员工", "新增員工"],
    ),
    (
        "staff-disable",
        ["Switched off an account", "停用账号", "停用帳號"],
    ),
    ("role-define", ["Changed a role", "修改角色", "修改角色"]),
    ("report-read", ["Opened a report", "查看报表", "查看報表"]),
    (
        "audit-read",
        ["Opened the audit log", "查看审计日志", "查看稽核紀錄"],
    ),
    (
        "privacy-erase",
        [
            "Carried out an erasure request",
            "执行删除请求",
            "執行刪除請求",
        ],
    ),
    ("backup", ["Backup or restore", "备份或恢复", "備份或還原"]),
    (
        "settings-write",
        ["Changed settings", "修改设置", "修改設定"],
    ),
    ("points-adjust", ["Adjusted points", "调整积分", "調整點數"]),
    ("points-redeem", ["Redeemed points", "兑换积分", "兌換點數"]),
    ("points-expire", ["Expired points", "积分到期", "點數到期"]),
    (
        "key-management",
        [
            "Changed the passphrase or key",
            "更改口令或密钥",
            "變更密語或金鑰",
        ],
    ),
    (
        "staff-write",
        ["Changed staff accounts", "更改员工账号", "變更員工帳號"],
    ),
    (
        "appointment-write",
        [
            "Booked or changed an appointment",
            "预约或修改预约",
            "預約或修改預約",
        ],
    ),
    (
        "reminder-write",
        ["Logged a contact", "记录联系", "記錄聯繫"],
    ),
    (
        "handout-print",
        ["Printed a handout", "打印卫教单张", "列印衛教單張"],
    ),
];

/// Yes / no columns (kept as 0 / 1).
const FLAGS: &[&str] = &["chronic", "given", "has_allergies", "plain"];

fn words(w: &[&'static str; 3], language: Language) -> &'static str {
    match language {
        Language::En => w[0],
        Language::ZhCn => w[1],
        Language::ZhTw => w[2],
    }
}

/// Machine copies of what another column says in words (`starts_ms` beside `starts_at`):
/// left off the printed copy.
pub(super) fn machine_column(column: &str) -> bool {
    column.ends_with("_ms")
}

/// A value as printed: an amount kept in cents (`*_minor`) in units, exactly; a stored
/// code in words; a yes/no flag as yes or no; a moment (UTC or with its offset) as the
/// clinic's local date and time.
pub(super) fn value_text(
    table: &str,
    column: &str,
    value: &serde_json::Value,
    language: Language,
    zone: chrono_tz::Tz,
) -> String {
    let qualified = format!("{table}.{column}");
    match value {
        serde_json::Value::Number(n) if column.ends_with("_minor") && n.is_i64() => {
            let cents = n.as_i64().unwrap_or_default();
            let sign = if cents < 0 { "-" } else { "" };
            let abs = cents.unsigned_abs();
            format!("{sign}{}.{:02}", abs / 100, abs % 100)
        }
        serde_json::Value::Number(n) if FLAGS.contains(&column) => {
            let yes = n.as_i64().unwrap_or_default() != 0;
            words(
                &if yes {
                    ["Yes", "是", "是"]
                } else {
                    ["No", "否", "否"]
                },
                language,
            )
            .into()
        }
        serde_json::Value::String(s) if qualified == "audit_log.detail" => {
            audit_detail_text(s, language, zone)
        }
        serde_json::Value::String(s) if qualified == "audit_log.action" => ACTIONS
            .iter()
            .find(|(code, _)| code == s)
            .map_or_else(|| s.clone(), |(_, w)| words(w, language).into()),
        serde_json::Value::String(s) => {
            if let Some((_, _, w)) = CODES
                .iter()
                .find(|(c, code, _)| (*c == qualified || *c == column) && code == s)
            {
                return words(w, language).into();
            }
            match chrono::DateTime::parse_from_rfc3339(s) {
                Ok(t) if s.len() > 10 => local_time(t, zone),
                _ => s.clone(),
            }
        }
        other => other.to_string(),
    }
}

/// An audit entry's detail as a reader takes it, as the window's audit view shows it: each
/// row written (its table, added/changed/removed, its fields before → after), the fields a
/// correction changed, and the reason given. The operation's own name and the file's
/// bookkeeping (when a row was saved, sort keys) stay in the JSON copy only.
fn audit_detail_text(detail: &str, language: Language, zone: chrono_tz::Tz) -> String {
    let Ok(detail) = serde_json::from_str::<serde_json::Value>(detail) else {
        return detail.to_string();
    };
    let zh = language != Language::En;
    let colon = if zh { "：" } else { ": " };
    let mut parts: Vec<String> = Vec::new();
    for row in detail["rows"].as_array().into_iter().flatten() {
        let table = row["table"].as_str().unwrap_or_default();
        let op = match row["op"].as_str() {
            Some("insert") => ["added", "新增", "新增"],
            Some("delete") => ["removed", "删除", "刪除"],
            _ => ["changed", "修改", "修改"],
        };
        let fields = field_changes(table, &row["fields"], language, zone);
        let what = format!(
            "{} {}",
            super::access::section_title(table, language),
            words(&op, language)
        );
        parts.push(if fields.is_empty() {
            what
        } else {
            format!("{what}{colon}{}", fields.join(if zh { "，" } else { ", " }))
        });
    }
    for (table, n) in detail["rowsNotShown"].as_object().into_iter().flatten() {
        let what = super::access::section_title(table, language);
        let n = n.as_u64().unwrap_or_default();
        parts.push(match language {
            Language::En => format!("and {n} more rows of {what}"),
            Language::ZhCn => format!("以及{what}另外 {n} 行"),
            Language::ZhTw => format!("以及{what}另外 {n} 列"),
        });
    }
    parts.extend(field_changes("patient", &detail["changes"], language, zone));
    if let Some(reason) = detail["reason"].as_str() {
        let label = column_label("audit_log", "reason", language);
        parts.push(format!("{label}{colon}{reason}"));
    }
    parts.join(if zh { "；" } else { "; " })
}

/// `{field: [before, after]}` as "Field: before → after", bookkeeping columns (and the
/// patient's id, which the entry shows) left off.
/// Fields are the stored columns (snake_case) or the form's names for them (camelCase).
fn field_changes(
    table: &str,
    fields: &serde_json::Value,
    language: Language,
    zone: chrono_tz::Tz,
) -> Vec<String> {
    let colon = if language == Language::En {
        ": "
    } else {
        "："
    };
    let Some(fields) = fields.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|(field, pair)| {
            let column = crate::patients::column_of(field);
            // The entry names its patient already; the rest is the file's own bookkeeping.
            let bookkeeping = ["created_at", "updated_at", "patient_id"];
            if machine_column(&column) || bookkeeping.contains(&column.as_str()) {
                return None;
            }
            let shown = |v: &serde_json::Value| match v {
                serde_json::Value::Null => "—".to_string(),
                v => value_text(table, &column, v, language, zone),
            };
            let label = column_label(table, &column, language);
            Some(format!(
                "{label}{colon}{} → {}",
                shown(&pair[0]),
                shown(&pair[1])
            ))
        })
        .collect()
}

/// A moment as the clinic's local date and time, to the minute.
pub(super) fn local_time(t: chrono::DateTime<chrono::FixedOffset>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests;
