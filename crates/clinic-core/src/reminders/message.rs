//! A reminder's words for one patient: placeholders filled in the patient's language, the
//! messages due for them merged into one (one contact a day), and the SMS length.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::rules::Words;

/// What the placeholders stand for.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub name: String,
    /// `M`, `F` or none.
    pub sex: Option<String>,
    pub when: Option<NaiveDateTime>,
    pub doctor: Option<String>,
    pub clinic: String,
    pub phone: String,
    pub reason: Option<String>,
    pub return_by: Option<NaiveDate>,
    pub treatment: Option<String>,
}

fn is_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Compound surnames that take two characters.
const DOUBLE_SURNAMES: [&str; 12] = [
    "欧阳", "歐陽", "司马", "司馬", "上官", "诸葛", "諸葛", "东方", "東方", "皇甫", "令狐", "慕容",
];

/// How a message addresses the patient: 王女士 / 王先生, Ms Smith / Mr Smith; the full
/// name when the sex is not known.
pub fn honorific(name: &str, sex: Option<&str>, lang: &str) -> String {
    let name = name.trim();
    if is_cjk(name) {
        let surname: String = match DOUBLE_SURNAMES.iter().find(|s| name.starts_with(**s)) {
            Some(s) => s.to_string(),
            None => name.chars().take(1).collect(),
        };
        let title = match (sex, lang) {
            (Some("M"), "en") => return format!("Mr {name}"),
            (Some("F"), "en") => return format!("Ms {name}"),
            (Some("M"), _) => "先生",
            (Some("F"), _) => "女士",
            _ => return name.to_string(),
        };
        return format!("{surname}{title}");
    }
    let surname = name.split_whitespace().last().unwrap_or(name);
    match (sex, lang) {
        (Some("M"), "en") => format!("Mr {surname}"),
        (Some("F"), "en") => format!("Ms {surname}"),
        (Some("M"), _) => format!("{name}先生"),
        (Some("F"), _) => format!("{name}女士"),
        _ => name.to_string(),
    }
}

const WEEKDAYS_CN: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const WEEKDAYS_TW: [&str; 7] = ["週一", "週二", "週三", "週四", "週五", "週六", "週日"];

pub fn date_text(d: NaiveDate, lang: &str) -> String {
    let w = d.weekday().num_days_from_monday() as usize;
    match lang {
        "en" => d.format("%a %-d %b").to_string(),
        "zh-TW" => format!("{}月{}日（{}）", d.month(), d.day(), WEEKDAYS_TW[w]),
        _ => format!("{}月{}日（{}）", d.month(), d.day(), WEEKDAYS_CN[w]),
    }
}

fn doctor_text(doctor: &str, lang: &str) -> String {
    let d = doctor.trim();
    match lang {
        "en" if d.starts_with("Dr") || is_cjk(d) => format!(" with {d}"),
        "en" => format!(" with Dr {d}"),
        _ if d.ends_with("医生") || d.ends_with("醫師") || d.ends_with("醫生") => {
            d.to_string()
        }
        "zh-TW" => format!("{d}醫師"),
        _ => format!("{d}医生"),
    }
}

/// Fills `{placeholders}`; one whose value is unknown becomes empty.
pub fn fill(template: &str, v: &Values, lang: &str) -> String {
    let mut out = template.to_string();
    let subs: [(&str, String); 10] = [
        ("{name}", v.name.clone()),
        ("{honorific}", honorific(&v.name, v.sex.as_deref(), lang)),
        (
            "{date}",
            v.when
                .map(|t| date_text(t.date(), lang))
                .unwrap_or_default(),
        ),
        (
            "{time}",
            v.when
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default(),
        ),
        (
            "{doctor}",
            v.doctor
                .as_deref()
                .map(|d| doctor_text(d, lang))
                .unwrap_or_default(),
        ),
        ("{clinic}", v.clinic.clone()),
        ("{phone}", v.phone.clone()),
        ("{reason}", v.reason.clone().unwrap_or_default()),
        (
            "{returnBy}",
            v.return_by.map(|d| date_text(d, lang)).unwrap_or_default(),
        ),
        ("{treatment}", v.treatment.clone().unwrap_or_default()),
    ];
    for (k, val) in subs {
        out = out.replace(k, &val);
    }
    out
}

/// One message from several due today: the greeting once, each body, the signature once.
pub fn merge(
    greeting: &Words,
    signature: &Words,
    bodies: &[String],
    v: &Values,
    lang: &str,
) -> String {
    let sep = if lang == "en" { " " } else { "" };
    let mut body = bodies.join(sep);
    if lang == "en" {
        // "Dear Ms Wang, your appointment …": the first body continues the greeting.
        if let Some(first) = body.get(..1) {
            if greeting.get(lang).trim().is_empty() {
                body = first.to_uppercase() + &body[1..];
            }
        }
    }
    format!(
        "{}{}{}",
        fill(greeting.get(lang), v, lang),
        body,
        tidy(&fill(signature.get(lang), v, lang))
    )
}

/// A signature whose clinic phone (or name) is not set yet leaves no stray separator:
/// "【康乐牙科 】" → "【康乐牙科】", " — Clinic, " → " — Clinic".
fn tidy(text: &str) -> String {
    let mut out = text.to_string();
    while out.contains("  ") {
        out = out.replace("  ", " ");
    }
    out = out
        .replace(" 】", "】")
        .replace("【 ", "【")
        .replace("【】", "");
    let trimmed = out.trim_end_matches([' ', ',', '，', '、', '—', '-']);
    if trimmed.trim().is_empty() {
        String::new()
    } else {
        trimmed.to_string()
    }
}

/// How many SMS a message takes: 160 characters in one message (153 a part when split)
/// for the GSM alphabet, 70 (67) for anything else such as Chinese, counted in UTF-16
/// units as phones do.
pub fn sms_parts(text: &str) -> u32 {
    const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    let gsm = text.chars().all(|c| GSM.contains(c));
    let units = if gsm {
        text.chars().count()
    } else {
        text.encode_utf16().count()
    };
    let (single, part) = if gsm { (160, 153) } else { (70, 67) };
    if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        units.div_ceil(part) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honorifics() {
        assert_eq!(honorific("王小明", Some("M"), "zh-CN"), "王先生");
        assert_eq!(honorific("欧阳娜娜", Some("F"), "zh-TW"), "欧阳女士");
        assert_eq!(honorific("王小明", None, "zh-CN"), "王小明");
        assert_eq!(honorific("Mary Smith", Some("F"), "en"), "Ms Smith");
        assert_eq!(honorific("陳美玲", Some("F"), "en"), "Ms 陳美玲");
    }

    #[test]
    fn a_signature_without_a_phone_leaves_no_stray_separator() {
        let words = Words::new(
            "【{clinic} {phone}】",
            "【{clinic} {phone}】",
            " — {clinic}, {phone}",
        );
        let v = Values {
            clinic: "康乐牙科".into(),
            ..Values::default()
        };
        assert_eq!(
            merge(&Words::default(), &words, &["a".into()], &v, "zh-CN"),
            "a【康乐牙科】"
        );
        assert_eq!(
            merge(&Words::default(), &words, &["a.".into()], &v, "en"),
            "A. — 康乐牙科"
        );
        let nothing = Values::default();
        assert_eq!(
            merge(&Words::default(), &words, &["a".into()], &nothing, "zh-CN"),
            "a"
        );
    }

    #[test]
    fn sms_lengths() {
        assert_eq!(sms_parts(&"a".repeat(160)), 1);
        assert_eq!(sms_parts(&"a".repeat(161)), 2);
        assert_eq!(sms_parts(&"牙".repeat(70)), 1);
        assert_eq!(sms_parts(&"牙".repeat(71)), 2);
        assert_eq!(sms_parts(&"牙".repeat(135)), 3);
        assert_eq!(sms_parts(""), 0);
    }

    #[test]
    fn placeholders_in_each_language() {
        let v = Values {
            name: "王小明".into(),
            sex: Some("M".into()),
            when: NaiveDate::from_ymd_opt(2026, 11, 25)
                .unwrap()
                .and_hms_opt(9, 30, 0),
            doctor: Some("陈医生".into()),
            clinic: "康乐牙科".into(),
            phone: "020-1234".into(),
            ..Values::default()
        };
        assert_eq!(
            fill("{honorific}：{date} {time}{doctor}", &v, "zh-CN"),
            "王先生：11月25日（周三） 09:30陈医生"
        );
        assert_eq!(
            fill("{date} {time}{doctor}", &v, "en"),
            "Wed 25 Nov 09:30 with 陈医生"
        );
    }
}
