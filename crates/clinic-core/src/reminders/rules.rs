//! The reminder rules a clinic switches on and times, and the words of each message in
//! zh-CN, zh-TW and en. Stored as one JSON value; anything left out takes its default.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ReminderKind {
    SameDay,
    DayBefore,
    Confirmation,
    FollowUp,
    CheckIn,
    Recall,
    Birthday,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 7] = [
        Self::SameDay,
        Self::DayBefore,
        Self::Confirmation,
        Self::FollowUp,
        Self::CheckIn,
        Self::Recall,
        Self::Birthday,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::SameDay => "same-day",
            Self::DayBefore => "day-before",
            Self::Confirmation => "confirmation",
            Self::FollowUp => "follow-up",
            Self::CheckIn => "check-in",
            Self::Recall => "recall",
            Self::Birthday => "birthday",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    /// A birthday greeting is marketing; everything else is a care reminder.
    pub fn is_marketing(self) -> bool {
        self == Self::Birthday
    }
}

/// Words in the three languages of the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct Words {
    #[serde(rename = "zh-CN")]
    #[ts(rename = "zh-CN")]
    pub zh_cn: String,
    #[serde(rename = "zh-TW")]
    #[ts(rename = "zh-TW")]
    pub zh_tw: String,
    pub en: String,
}

impl Words {
    pub fn new(zh_cn: &str, zh_tw: &str, en: &str) -> Self {
        Words {
            zh_cn: zh_cn.into(),
            zh_tw: zh_tw.into(),
            en: en.into(),
        }
    }
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "zh-TW" => &self.zh_tw,
            "en" => &self.en,
            _ => &self.zh_cn,
        }
    }
    fn all(&self) -> [(&'static str, &str); 3] {
        [
            ("zh-CN", &self.zh_cn),
            ("zh-TW", &self.zh_tw),
            ("en", &self.en),
        ]
    }
}

/// A rule that is on or off, with its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Simple {
    pub enabled: bool,
    pub message: Words,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DayBefore {
    pub enabled: bool,
    /// How many days before the appointment (1: the day before).
    pub days_before: u32,
    pub message: Words,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FollowUp {
    pub enabled: bool,
    /// The first reminder, in days relative to the return-by date (-3: three days before).
    pub first_offset_days: i32,
    /// The second reminder this many days after the first, if still not booked.
    pub second_after_days: u32,
    /// Then a call by staff this many days after the second.
    pub call_after_days: u32,
    pub message: Words,
}

/// Check-ins after a kind of treatment: on these days after the visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CheckInRule {
    pub key: String,
    pub name: Words,
    /// A visit whose treatment contains any of these words (any language, any case).
    pub keywords: Vec<String>,
    pub days: Vec<u32>,
    pub message: Words,
}

/// A recall: a visit matching the keywords is due again after `months`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecallRule {
    pub key: String,
    pub name: Words,
    /// Words found in the visit's treatment or diagnosis.
    pub keywords: Vec<String>,
    pub months: u32,
    /// Only patients up to this age (children's fluoride).
    pub max_age: Option<u32>,
    pub message: Words,
    /// Also every member of this segment (a saved segment's name, or `dimension:label`),
    /// at most once every `months` months while they stay in it.
    #[serde(default)]
    pub segment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct ReminderRules {
    pub confirmation: Simple,
    pub day_before: DayBefore,
    pub same_day: Simple,
    pub follow_up: FollowUp,
    pub check_ins: Vec<CheckInRule>,
    pub recalls: Vec<RecallRule>,
    pub birthday: Simple,
    /// No messages between these local times (e.g. 21:00 to 08:00).
    pub quiet_from: String,
    pub quiet_to: String,
    /// Contact only patients whose consent covers the purpose (care reminders or
    /// marketing). On by default, as PIPL and Taiwan's PDPA expect.
    pub require_consent: bool,
    /// The channel for patients who named none.
    pub default_channel: String,
    /// The language for patients who named none.
    pub default_language: String,
    /// Opens every message; `{honorific}` is "Ms Wang" / "王女士".
    pub greeting: Words,
    /// Ends every message.
    pub signature: Words,
}

pub const PLACEHOLDERS: [&str; 10] = [
    "name",
    "honorific",
    "date",
    "time",
    "doctor",
    "clinic",
    "phone",
    "reason",
    "returnBy",
    "treatment",
];

fn kw(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

impl Default for ReminderRules {
    fn default() -> Self {
        ReminderRules {
            confirmation: Simple {
                enabled: true,
                message: Words::new(
                    "您已预约{date} {time}{doctor}的门诊，请准时到诊。",
                    "您已預約{date} {time}{doctor}的門診，請準時到診。",
                    "your appointment is booked for {date} at {time}{doctor}.",
                ),
            },
            day_before: DayBefore {
                enabled: true,
                days_before: 1,
                message: Words::new(
                    "提醒您明天{date} {time}{doctor}有预约。如需改期请来电。",
                    "提醒您明天{date} {time}{doctor}有預約。如需改期請來電。",
                    "a reminder of your appointment tomorrow, {date} at {time}{doctor}. Please call us if you need to change it.",
                ),
            },
            same_day: Simple {
                enabled: false,
                message: Words::new(
                    "今天{time}{doctor}的预约，期待您的到来。",
                    "今天{time}{doctor}的預約，期待您的到來。",
                    "we look forward to seeing you today at {time}{doctor}.",
                ),
            },
            follow_up: FollowUp {
                enabled: true,
                first_offset_days: -3,
                second_after_days: 7,
                call_after_days: 7,
                message: Words::new(
                    "医生建议您在{returnBy}前回诊复查，请来电或到诊所预约。",
                    "醫師建議您在{returnBy}前回診複查，請來電或到診所預約。",
                    "your doctor asked you to come back by {returnBy} for a check. Please call us to book.",
                ),
            },
            check_ins: vec![
                CheckInRule {
                    key: "extraction".into(),
                    name: Words::new("拔牙后", "拔牙後", "After an extraction"),
                    keywords: kw(&["拔牙", "拔除", "extraction"]),
                    days: vec![1, 7],
                    message: Words::new(
                        "拔牙后感觉如何？如有持续出血、剧痛或发烧请尽快联系我们。",
                        "拔牙後感覺如何？如有持續出血、劇痛或發燒請盡快聯絡我們。",
                        "how are you feeling after your extraction? Please call us if there is bleeding that will not stop, severe pain or fever.",
                    ),
                },
                CheckInRule {
                    key: "root-canal".into(),
                    name: Words::new("根管治疗后", "根管治療後", "After root canal treatment"),
                    keywords: kw(&["根管", "root canal"]),
                    days: vec![3, 30],
                    message: Words::new(
                        "根管治疗后牙齿感觉如何？如疼痛加重或肿胀请联系我们。",
                        "根管治療後牙齒感覺如何？如疼痛加劇或腫脹請聯絡我們。",
                        "how is the tooth after your root canal treatment? Please call us if the pain grows or it swells.",
                    ),
                },
                CheckInRule {
                    key: "surgery".into(),
                    name: Words::new("手术后", "手術後", "After surgery"),
                    keywords: kw(&["手术", "手術", "植牙", "种植", "surgery", "implant"]),
                    days: vec![30],
                    message: Words::new(
                        "术后一个月了，欢迎回诊复查，请来电预约。",
                        "術後一個月了，歡迎回診複查，請來電預約。",
                        "it has been a month since your surgery: please call us to book your check.",
                    ),
                },
            ],
            recalls: vec![
                RecallRule {
                    key: "scaling".into(),
                    name: Words::new("洗牙", "洗牙", "Scaling"),
                    keywords: kw(&["洗牙", "洁治", "潔治", "scaling", "cleaning"]),
                    months: 6,
                    max_age: None,
                    segment: None,
                    message: Words::new(
                        "距上次洗牙已满半年，欢迎预约洗牙检查。",
                        "距上次洗牙已滿半年，歡迎預約洗牙檢查。",
                        "it has been six months since your last scaling: you are due for a clean and check.",
                    ),
                },
                RecallRule {
                    key: "diabetes-review".into(),
                    name: Words::new("糖尿病复诊", "糖尿病回診", "Diabetes review"),
                    keywords: kw(&["糖尿病", "diabetes"]),
                    months: 3,
                    max_age: None,
                    segment: None,
                    message: Words::new(
                        "您的糖尿病复诊时间到了，请来电预约，并带上血糖记录。",
                        "您的糖尿病回診時間到了，請來電預約，並帶上血糖紀錄。",
                        "your diabetes review is due: please call us to book and bring your blood-sugar log.",
                    ),
                },
                RecallRule {
                    key: "fluoride".into(),
                    name: Words::new("儿童涂氟", "兒童塗氟", "Children's fluoride"),
                    keywords: kw(&["涂氟", "塗氟", "fluoride"]),
                    months: 6,
                    max_age: Some(12),
                    segment: None,
                    message: Words::new(
                        "孩子的涂氟时间到了（每半年一次），欢迎预约。",
                        "孩子的塗氟時間到了（每半年一次），歡迎預約。",
                        "your child is due for fluoride varnish (every six months): please call us to book.",
                    ),
                },
            ],
            birthday: Simple {
                enabled: true,
                message: Words::new("祝您生日快乐，身体健康！", "祝您生日快樂，身體健康！", "happy birthday from all of us!"),
            },
            quiet_from: "21:00".into(),
            quiet_to: "08:00".into(),
            require_consent: true,
            default_channel: "sms".into(),
            default_language: "zh-CN".into(),
            greeting: Words::new("{honorific}您好，", "{honorific}您好，", "Dear {honorific}, "),
            signature: Words::new("【{clinic} {phone}】", "【{clinic} {phone}】", " — {clinic}, {phone}"),
        }
    }
}

impl ReminderRules {
    pub fn validate(&self) -> Result<()> {
        let mut messages: Vec<(&str, &Words)> = vec![
            ("confirmation", &self.confirmation.message),
            ("dayBefore", &self.day_before.message),
            ("sameDay", &self.same_day.message),
            ("followUp", &self.follow_up.message),
            ("birthday", &self.birthday.message),
            ("greeting", &self.greeting),
            ("signature", &self.signature),
        ];
        messages.extend(self.check_ins.iter().map(|c| ("checkIns", &c.message)));
        messages.extend(self.recalls.iter().map(|r| ("recalls", &r.message)));
        for (field, words) in messages {
            for (lang, text) in words.all() {
                check_template(field, lang, text)?;
            }
        }
        let range = |field: &str, v: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(ClinicError::validation(
                    field,
                    ValidationRule::OutOfRange,
                    format!("{v} is outside {lo} to {hi}"),
                ))
            }
        };
        range("dayBefore", self.day_before.days_before.into(), 1, 14)?;
        range("followUp", self.follow_up.first_offset_days.into(), -30, 30)?;
        range("followUp", self.follow_up.second_after_days.into(), 1, 60)?;
        range("followUp", self.follow_up.call_after_days.into(), 1, 60)?;
        let mut keys = std::collections::HashSet::new();
        for c in &self.check_ins {
            if c.keywords.iter().all(|k| k.trim().is_empty()) || c.days.is_empty() {
                return Err(ClinicError::validation(
                    "checkIns",
                    ValidationRule::Required,
                    format!(
                        "check-in {:?} needs words to match and at least one day",
                        c.key
                    ),
                ));
            }
            for d in &c.days {
                range("checkIns", (*d).into(), 1, 180)?;
            }
            if !keys.insert(format!("c:{}", c.key)) {
                return Err(ClinicError::validation(
                    "checkIns",
                    ValidationRule::Taken,
                    c.key.clone(),
                ));
            }
        }
        for r in &self.recalls {
            let segment = r
                .segment
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            if let Some(s) = segment {
                crate::segments::SegmentRef::parse(s)?;
            } else if r.keywords.iter().all(|k| k.trim().is_empty()) {
                return Err(ClinicError::validation(
                    "recalls",
                    ValidationRule::Required,
                    format!("recall {:?} needs words to match or a segment", r.key),
                ));
            }
            range("recalls", r.months.into(), 1, 60)?;
            if !keys.insert(format!("r:{}", r.key)) {
                return Err(ClinicError::validation(
                    "recalls",
                    ValidationRule::Taken,
                    r.key.clone(),
                ));
            }
        }
        for (field, t) in [("quietFrom", &self.quiet_from), ("quietTo", &self.quiet_to)] {
            NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                ClinicError::validation(field, ValidationRule::InvalidFormat, "HH:MM")
            })?;
        }
        if crate::patients::profile::ContactChannel::parse(&self.default_channel).is_none() {
            return Err(ClinicError::validation(
                "defaultChannel",
                ValidationRule::UnknownValue,
                format!("{:?}", self.default_channel),
            ));
        }
        if !["zh-CN", "zh-TW", "en"].contains(&self.default_language.as_str()) {
            return Err(ClinicError::validation(
                "defaultLanguage",
                ValidationRule::UnknownValue,
                format!("{:?}", self.default_language),
            ));
        }
        Ok(())
    }

    /// Whether `t` (local time of day) falls in the quiet hours, which may span midnight.
    pub fn is_quiet(&self, t: NaiveTime) -> bool {
        let (Ok(from), Ok(to)) = (
            NaiveTime::parse_from_str(&self.quiet_from, "%H:%M"),
            NaiveTime::parse_from_str(&self.quiet_to, "%H:%M"),
        ) else {
            return false;
        };
        if from <= to {
            t >= from && t < to
        } else {
            t >= from || t < to
        }
    }

    pub fn quiet_to(&self) -> NaiveTime {
        NaiveTime::parse_from_str(&self.quiet_to, "%H:%M").unwrap_or(NaiveTime::MIN)
    }
}

/// A template may use only the known `{placeholders}`, with balanced braces, and stays
/// under 500 characters.
fn check_template(field: &str, lang: &str, text: &str) -> Result<()> {
    if text.chars().count() > 500 {
        return Err(ClinicError::validation(
            field,
            ValidationRule::TooLong,
            format!("the {lang} message is longer than 500 characters"),
        ));
    }
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(ClinicError::validation(
                field,
                ValidationRule::InvalidFormat,
                format!("the {lang} message has a '{{' without its '}}'"),
            ));
        };
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(ClinicError::validation(
                field,
                ValidationRule::UnknownValue,
                format!(
                    "{{{name}}} in the {lang} message is not one of {}",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                ),
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

pub(crate) fn load(tx: &Transaction<'_>) -> Result<ReminderRules> {
    crate::settings::load_json(tx, "reminder_setting", "value")
}

pub struct GetReminderRules;

impl Operation for GetReminderRules {
    type Output = ReminderRules;
    fn action(&self) -> Action {
        Action::ReminderRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ReminderRules> {
        load(tx)
    }
}

pub struct SetReminderRules(pub ReminderRules);

impl Operation for SetReminderRules {
    type Output = ReminderRules;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ReminderRules> {
        self.0.validate()?;
        crate::settings::save_json(tx, "reminder_setting", "value", &self.0)?;
        load(tx)
    }
}

/// Names of the check-in and recall rules, for showing a reminder's rule in a language.
pub(crate) fn rule_names(rules: &ReminderRules) -> BTreeMap<String, Words> {
    let mut out = BTreeMap::new();
    for c in &rules.check_ins {
        out.insert(format!("check-in:{}", c.key), c.name.clone());
    }
    for r in &rules.recalls {
        out.insert(format!("recall:{}", r.key), r.name.clone());
    }
    out
}
