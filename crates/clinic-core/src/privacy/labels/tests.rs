use super::*;
use serde_json::json;

/// The printed copy names the audit log's actions with the window's words: read from
/// the window's catalogues, so the two cannot drift apart.
#[test]
fn audit_actions_read_as_the_window_says_them() {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/i18n");
    for (i, file) in ["en.ts", "zh-CN.ts", "zh-TW.ts"].iter().enumerate() {
        let text = std::fs::read_to_string(ui.join(file)).unwrap();
        let audit = text.find("\n  audit: {").expect("an audit section");
        let from = audit + text[audit..].find("    action: {").expect("its actions");
        let to = from + text[from..].find("\n    },").expect("their end");
        let window: Vec<(String, String)> = text[from..to]
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (key, value) = line.trim().split_once(": ")?;
                let unquote = |s: &str| s.trim_end_matches(',').trim_matches('"').to_string();
                Some((unquote(key), unquote(value)))
            })
            .collect();
        let printed: Vec<(String, String)> = ACTIONS
            .iter()
            .map(|(code, w)| (code.to_string(), w[i].to_string()))
            .collect();
        assert_eq!(printed, window, "{file}");
    }
}

/// A voucher's state prints with the window's words for it (`points.voucher`).
#[test]
fn voucher_states_read_as_the_window_says_them() {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/i18n");
    for (i, file) in ["en.ts", "zh-CN.ts", "zh-TW.ts"].iter().enumerate() {
        let text = std::fs::read_to_string(ui.join(file)).unwrap();
        let points = text.find("\n  points: {").expect("a points section");
        let line = text[points..]
            .lines()
            .find_map(|l| l.strip_prefix("    voucher: { "))
            .expect("its voucher states");
        let pairs: Vec<(&str, &str)> = line
            .trim_end_matches(" },")
            .split(", ")
            .filter_map(|pair| pair.split_once(": "))
            .collect();
        assert_eq!(pairs.len(), 3, "{file}");
        for (state, words) in pairs {
            let printed = CODES
                .iter()
                .find(|(c, code, _)| *c == "voucher.state" && *code == state)
                .map(|(_, _, w)| w[i]);
            assert_eq!(printed, Some(words.trim_matches('"')), "{file}: {state}");
        }
    }
}

/// The profile's codes print with the window's words for them: every field of the
/// window's `code` catalogue is in `CODES` with the same words (English capitalised, as a
/// table cell starts), read from ui/src/i18n so the two cannot drift apart.
#[test]
fn profile_codes_read_as_the_window_says_them() {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/i18n");
    let mut fields = 0;
    for (i, file) in ["en.ts", "zh-CN.ts", "zh-TW.ts"].iter().enumerate() {
        let text = std::fs::read_to_string(ui.join(file)).unwrap();
        let from = text.find("\n  code: {\n").expect("a code section") + 12;
        let to = from + text[from..].find("\n  },").expect("its end");
        for line in text[from..to].lines() {
            let Some((field, rest)) = line.trim().split_once(": {") else {
                continue;
            };
            let column = crate::patients::column_of(field);
            let column = if column == "relation" {
                "family_link.relation".to_string()
            } else {
                column
            };
            // `key: "words", "key-2": "words"` — no commas or quotes inside the words.
            for pair in rest.trim_end_matches(['}', ',', ' ']).split("\", ") {
                let (key, words) = pair.split_once(": ").expect("key: words");
                let (key, words) = (key.trim().trim_matches('"'), words.trim().trim_matches('"'));
                let printed = CODES
                    .iter()
                    .find(|(c, code, _)| *c == column && *code == key)
                    .map(|(_, _, w)| w[i])
                    .unwrap_or_else(|| panic!("{column} {key} has no printed words"));
                let mut window = words.to_string();
                if i == 0 {
                    let mut chars = words.chars();
                    window = chars
                        .next()
                        .map(|c| c.to_uppercase().collect::<String>())
                        .unwrap_or_default()
                        + chars.as_str();
                }
                assert_eq!(printed, window, "{file}: {column} {key}");
            }
            fields += 1;
        }
    }
    assert!(
        fields >= 3 * 14,
        "the window's code fields were read: {fields}"
    );
}

#[test]
fn columns_in_the_readers_language_and_cents_as_units() {
    assert_eq!(
        column_label("visit", "chief_complaint", Language::ZhCn),
        "主诉"
    );
    assert_eq!(
        column_label("visit", "chief_complaint", Language::ZhTw),
        "主訴"
    );
    assert_eq!(column_label("patient", "name", Language::ZhCn), "姓名");
    assert_eq!(
        column_label("patient_medication", "name", Language::ZhCn),
        "名称"
    );
    assert_eq!(
        column_label("visit", "chief_complaint", Language::En),
        "Chief complaint"
    );
    assert_eq!(
        column_label("x", "some_new_column", Language::ZhCn),
        "some new column"
    );
    let taipei: chrono_tz::Tz = "Asia/Taipei".parse().unwrap();
    let value = |table, column, v: serde_json::Value, language| {
        value_text(table, column, &v, language, taipei)
    };
    let en = Language::En;
    assert_eq!(value("visit", "amount_minor", json!(30005), en), "300.05");
    assert_eq!(value("visit", "amount_minor", json!(-7), en), "-0.07");
    assert_eq!(value("points_entry", "points", json!(30005), en), "30005");
    assert_eq!(value("patient", "name", json!("林美玲"), en), "林美玲");
    // Codes in words, in the reader's language; a code of another column stays.
    let tw = Language::ZhTw;
    assert_eq!(
        value("patient", "payment_type", json!("public-insurance"), tw),
        "健保"
    );
    assert_eq!(
        value(
            "patient",
            "payment_type",
            json!("public-insurance"),
            Language::ZhCn
        ),
        "医保"
    );
    assert_eq!(value("patient", "sex", json!("F"), tw), "女");
    assert_eq!(
        value("appointment", "status", json!("no-show"), tw),
        "未到診"
    );
    assert_eq!(
        value("appointment", "status", json!("no-show"), en),
        "No-show"
    );
    assert_eq!(value("reminder", "status", json!("no-show"), en), "no-show");
    assert_eq!(
        value("reminder", "state", json!("expired"), tw),
        "已逾期未聯絡"
    );
    assert_eq!(
        value(
            "reminder",
            "skip_reason",
            json!("no-consent"),
            Language::ZhCn
        ),
        "没有同意记录"
    );
    assert_eq!(value("voucher", "state", json!("used"), en), "Used");
    assert_eq!(value("handout_given", "plain", json!(0), tw), "否");
    // The same code in another table is left as it is.
    assert_eq!(value("appointment", "state", json!("open"), en), "open");
    assert_eq!(
        value("reminder", "kind", json!("recall"), tw),
        "定期回診提醒"
    );
    assert_eq!(value("points_entry", "kind", json!("expire"), tw), "到期");
    assert_eq!(value("tag", "kind", json!("recall"), tw), "recall");
    assert_eq!(value("consent", "given", json!(1), tw), "是");
    assert_eq!(value("patient", "has_allergies", json!(0), en), "No");
    // Moments as the clinic's local time; a bare date stays a date.
    assert_eq!(
        value("visit", "created_at", json!("2026-11-11T01:00:00.000Z"), tw),
        "2026-11-11 09:00"
    );
    assert_eq!(
        value(
            "visit",
            "visited_at",
            json!("2026-11-19T15:30:00+08:00"),
            tw
        ),
        "2026-11-19 15:30"
    );
    assert_eq!(
        value("patient", "birth_date", json!("1963-06-26"), tw),
        "1963-06-26"
    );
    assert!(machine_column("starts_ms") && !machine_column("name"));
    // Who looked at the record, in words.
    assert_eq!(
        value("audit_log", "action", json!("patient-export"), tw),
        "匯出或列印病患資料"
    );
    assert_eq!(
        value("audit_log", "action", json!("new-action"), tw),
        "new-action"
    );
    // What a correction changed, in words; the bookkeeping (operation, rows) left off.
    let correction = json!(
        r#"{"op":"UpdatePatient","changes":{"paymentType":["self-pay","public-insurance"],"email":[null,"lin@example.com"]},"reason":"新卡","rows":{"patient":1}}"#
    );
    assert_eq!(
        value("audit_log", "detail", correction.clone(), tw),
        "電子郵件：— → lin@example.com；付費方式：自費 → 健保；原因：新卡"
    );
    assert_eq!(
        value("audit_log", "detail", correction, en),
        "Email: — → lin@example.com; Payment type: Self-pay → Public insurance; Reason: 新卡"
    );
    assert_eq!(
        value(
            "audit_log",
            "detail",
            json!(r#"{"op":"ExportPatientData"}"#),
            tw
        ),
        ""
    );
    // Every column a patient's data can hold has words (tables from the schema).
    let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a column listed twice");
}

/// Every column a patient's data copy can print has words in the three languages: the
/// tables are found as the copy finds them (the schema's foreign keys from the patient's
/// record, and the audit log), so a table or column added later without words fails here.
#[test]
fn every_printed_column_has_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn =
        crate::db::open(&dir.path().join("t.db"), &crate::DbKey::generate(), true).unwrap();
    let tx = conn.transaction().unwrap();
    let mut tables = vec!["patient".to_string(), "audit_log".to_string()];
    let mut i = 0;
    while i < tables.len() {
        for r in crate::privacy::graph::references_to(&tx, &tables[i]).unwrap() {
            if r.owned() && !tables.contains(&r.table) {
                tables.push(r.table);
            }
        }
        i += 1;
    }
    let mut missing = Vec::new();
    for table in tables
        .iter()
        .filter(|t| !crate::privacy::access::DERIVED.contains(&t.as_str()))
    {
        if crate::privacy::access::section_title(table, Language::En) == table.replace('_', " ") {
            missing.push(format!("section {table}"));
        }
        let mut stmt = tx
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .unwrap();
        let columns: Vec<String> = stmt
            .query_map([table], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let printed = |c: &&String| {
            !machine_column(c) && !crate::privacy::access::BOOKKEEPING.contains(&c.as_str())
        };
        for column in columns.iter().filter(printed) {
            let en = column_label(table, column, Language::En);
            if en == column.replace('_', " ") {
                missing.push(format!("{table}.{column}"));
            }
        }
    }
    assert!(tables.len() > 15, "{tables:?}");
    assert_eq!(missing, Vec::<String>::new());
}
