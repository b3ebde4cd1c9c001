//! A synthetic clinic for demos and benchmarks: plausible mainland and Taiwanese patients
//! with about ten visits each over five years, seasonal and weekly rhythm included.
//! Deterministic: the same seed and options give the same clinic, row for row.

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Weekday};
use rand::distributions::WeightedIndex;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rusqlite::{params, Transaction};
use serde::Serialize;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result};
use crate::search::{self, KeyBuilder, OwnedSearchable};

mod appointments;
pub use appointments::{Booked, GenerateAppointments};

/// Where the generated patients come from (names, phones, scripts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Mainland,
    Taiwan,
    /// Two mainland patients for every Taiwanese one.
    Mixed,
}

impl Region {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cn" => Some(Region::Mainland),
            "tw" => Some(Region::Taiwan),
            "mixed" => Some(Region::Mixed),
            _ => None,
        }
    }
}

/// Fills an empty clinic. Refuses one that already has patients: synthetic people must
/// never mix with real ones.
pub struct GenerateClinic {
    pub patients: u32,
    pub mean_visits: u32,
    pub seed: u64,
    pub region: Region,
    /// Visits end on this day (the clinic's "today").
    pub until: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub patients: u64,
    pub visits: u64,
}

const CN_SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单";
const CN_GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建国志文斌鹏宇浩然子涵欣怡梓轩雨桐一诺佳琪思远晨曦博文俊杰婷雪梅海燕丹凤晓东";
const TW_SURNAMES: &str = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴";
const TW_GIVEN: &str = "志明俊傑淑芬美玲雅婷怡君家豪冠宇宗翰承恩詩涵佩珊建宏信宏欣怡雅雯郁婷惠如柏翰品妍宥廷子晴育誠文華麗華秀鳳國榮";

struct Department {
    code: &'static str,
    weight: u32,
    doctors: &'static [&'static str],
    /// Amount range in whole yuan / NT dollars.
    amount: (i64, i64),
    complaints: &'static [&'static str],
    treatments: &'static [&'static str],
    /// Busier in these months (1-12).
    peak_months: &'static [u32],
}

const DEPARTMENTS: &[Department] = &[
    Department {
        code: "dental",
        weight: 35,
        doctors: &["林医生", "周医生", "陈医生"],
        amount: (80, 3000),
        complaints: &[
            "牙痛",
            "牙龈出血",
            "定期洁牙",
            "智齿肿痛",
            "牙齿敏感",
            "补牙脱落",
        ],
        treatments: &["洁牙", "补牙", "根管治疗", "拔牙", "牙周治疗", "涂氟"],
        peak_months: &[1, 7, 8],
    },
    Department {
        code: "general",
        weight: 25,
        doctors: &["王医生", "李医生"],
        amount: (30, 300),
        complaints: &["发热", "咳嗽", "咽痛", "头痛", "腹泻", "体检"],
        treatments: &["口服药物", "输液", "雾化", "观察", "健康咨询"],
        peak_months: &[1, 2, 12],
    },
    Department {
        code: "pediatrics",
        weight: 15,
        doctors: &["赵医生", "孙医生"],
        amount: (40, 400),
        complaints: &["发热", "咳嗽", "皮疹", "疫苗接种", "生长发育评估"],
        treatments: &["口服药物", "雾化", "接种", "健康指导"],
        peak_months: &[1, 2, 11, 12],
    },
    Department {
        code: "internal",
        weight: 10,
        doctors: &["吴医生", "郑医生"],
        amount: (50, 600),
        complaints: &["血压偏高", "血糖控制复查", "胸闷", "胃痛", "失眠"],
        treatments: &["调整用药", "复查化验", "饮食指导", "心电图"],
        peak_months: &[1, 12],
    },
    Department {
        code: "dermatology",
        weight: 5,
        doctors: &["钱医生"],
        amount: (60, 800),
        complaints: &["湿疹", "痤疮", "皮肤瘙痒", "色斑"],
        treatments: &["外用药", "口服药物", "光疗"],
        peak_months: &[6, 7, 8],
    },
    Department {
        code: "ophthalmology",
        weight: 5,
        doctors: &["冯医生"],
        amount: (50, 1500),
        complaints: &["视力下降", "眼干", "眼红", "验光配镜"],
        treatments: &["验光", "滴眼液", "视功能训练"],
        peak_months: &[7, 8],
    },
    Department {
        code: "tcm",
        weight: 5,
        doctors: &["何医生"],
        amount: (60, 500),
        complaints: &["腰背痛", "失眠", "调理", "颈肩酸痛"],
        treatments: &["针灸", "推拿", "中药调理", "拔罐"],
        peak_months: &[3, 4, 10, 11],
    },
];

const FEEDBACK: &[&str] = &[
    "医生很耐心",
    "等候时间有点长",
    "环境干净",
    "解释得很清楚",
    "收费透明",
    "前台服务热情",
    "希望能提前提醒复诊",
];

impl Operation for GenerateClinic {
    type Output = Generated;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Generated> {
        let existing: i64 = tx.query_row("SELECT count(*) FROM patient", [], |r| r.get(0))?;
        if existing > 0 {
            return Err(ClinicError::new(
                ErrorCode::AlreadyInitialized,
                format!("this clinic already has {existing} patients: synthetic patients go into a new, empty clinic only"),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let cn_surnames: Vec<char> = CN_SURNAMES.chars().collect();
        let cn_given: Vec<char> = CN_GIVEN.chars().collect();
        let tw_surnames: Vec<char> = TW_SURNAMES.chars().collect();
        let tw_given: Vec<char> = TW_GIVEN.chars().collect();
        // Common surnames are much more common: weight by rank.
        let surname_weights = |n: usize| {
            WeightedIndex::new((1..=n).map(|r| 1.0 / (r as f64).sqrt())).expect("weights")
        };
        let cn_surname_pick = surname_weights(cn_surnames.len());
        let tw_surname_pick = surname_weights(tw_surnames.len());
        let dept_pick = WeightedIndex::new(DEPARTMENTS.iter().map(|d| d.weight)).expect("weights");
        let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8"); // both markets are UTC+8
        let start = self.until - Duration::days(5 * 365);
        let days = (self.until - start).num_days();

        let mut insert_patient = tx.prepare(
            "INSERT INTO patient (id, name, sex, birth_date, phone, email, address, payment_type, smoking, notes,
                                  created_at, updated_at, archived_at, name_fold, phone_digits, search_no)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8, NULL, ?9, ?9, NULL, ?10, ?11, ?12)",
        )?;
        let mut insert_allergy =
            tx.prepare("INSERT INTO patient_allergy (patient_id, substance, reaction, severity) VALUES (?1, ?2, ?3, ?4)")?;
        let mut set_has_allergies =
            tx.prepare("UPDATE patient SET has_allergies = 1 WHERE id = ?1")?;
        let mut insert_condition = tx.prepare(
            "INSERT INTO patient_condition (patient_id, name, icd10, chronic, since) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut insert_visit = tx.prepare(
            "INSERT INTO visit (id, patient_id, visited_at, visited_at_ms, department, doctor, visit_type,
                                chief_complaint, diagnosis, treatment, amount_minor, satisfaction, feedback,
                                created_at, updated_at, archived_at, nps)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, ?11, ?12, ?13, ?13, NULL, ?14)",
        )?;
        let mut keys = KeyBuilder::new();
        let mut visit_total = 0u64;
        let first_no: i64 = tx.query_row(
            "SELECT coalesce(max(search_no), 0) + 1 FROM patient",
            [],
            |r| r.get(0),
        )?;

        for i in 0..self.patients as i64 {
            let taiwan = match self.region {
                Region::Mainland => false,
                Region::Taiwan => true,
                Region::Mixed => rng.gen_ratio(1, 3),
            };
            let (surnames, given, pick) = if taiwan {
                (&tw_surnames, &tw_given, &tw_surname_pick)
            } else {
                (&cn_surnames, &cn_given, &cn_surname_pick)
            };
            let mut name = String::new();
            name.push(surnames[pick.sample(&mut rng)]);
            for _ in 0..if rng.gen_ratio(1, 5) { 1 } else { 2 } {
                name.push(*given.choose(&mut rng).expect("non-empty"));
            }
            let sex = if rng.gen_bool(0.52) { "F" } else { "M" };
            let age_days = rng.gen_range(0..90 * 365);
            let birth = self.until - Duration::days(age_days);
            let phone = if taiwan {
                format!("09{:08}", rng.gen_range(0..100_000_000u32))
            } else {
                let prefix = [
                    "138", "139", "136", "158", "186", "135", "150", "187", "177", "199",
                ];
                format!(
                    "{}{:08}",
                    prefix.choose(&mut rng).expect("non-empty"),
                    rng.gen_range(0..100_000_000u32)
                )
            };
            let payment = match rng.gen_range(0..100) {
                0..=59 => "public-insurance",
                60..=89 => "self-pay",
                _ => "commercial-insurance",
            };
            let allergy = match rng.gen_range(0..100) {
                0..=5 => Some((["青霉素", "青黴素"], "皮疹", "moderate")),
                6..=8 => Some((["磺胺类药物", "磺胺類藥物"], "荨麻疹", "mild")),
                9 => Some((["局部麻醉药", "局部麻醉藥"], "呼吸困难", "severe")),
                _ => None,
            };
            let age = age_days / 365;
            // Chronic conditions by age, roughly at the prevalence seen in adult patients.
            let mut conditions: Vec<(&[&str; 2], &str)> = Vec::new();
            let chance = |rng: &mut ChaCha8Rng, young: u32, mid: u32, old: u32| {
                let pct = match age {
                    0..=39 => young,
                    40..=59 => mid,
                    _ => old,
                };
                rng.gen_range(0..100) < pct
            };
            if chance(&mut rng, 2, 20, 45) {
                conditions.push((&["高血压", "高血壓"], "I10"));
            }
            if chance(&mut rng, 1, 8, 18) {
                conditions.push((&["2型糖尿病", "第二型糖尿病"], "E11.9"));
            }
            if chance(&mut rng, 5, 4, 4) {
                conditions.push((&["哮喘", "氣喘"], "J45.9"));
            }
            let smoking = (age >= 18 && rng.gen_ratio(1, if sex == "M" { 4 } else { 30 }))
                .then_some("current");
            let address = if taiwan {
                "台北市大安區"
            } else {
                "上海市徐汇区"
            };
            let registered = start + Duration::days(rng.gen_range(0..days));
            let created = tz
                .from_local_datetime(&registered.and_hms_opt(9, 0, 0).expect("valid time"))
                .single()
                .expect("fixed offset");
            let id = time_ordered_uuid(&mut rng, created.timestamp_millis());
            let no = first_no + i;
            insert_patient.execute(params![
                id.to_string(),
                name,
                sex,
                birth.to_string(),
                phone,
                address,
                payment,
                smoking,
                created
                    .with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                name.to_lowercase(),
                phone,
                no,
            ])?;
            let script = usize::from(taiwan);
            if let Some((substance, reaction, severity)) = allergy {
                insert_allergy.execute(params![
                    id.to_string(),
                    substance[script],
                    reaction,
                    severity
                ])?;
                set_has_allergies.execute([id.to_string()])?;
            }
            for (name, icd) in conditions {
                let since = birth + Duration::days(rng.gen_range(age_days / 2..=age_days.max(1)));
                insert_condition.execute(params![
                    id.to_string(),
                    name[script],
                    icd,
                    true,
                    since.min(self.until).to_string()
                ])?;
            }
            keys.add(OwnedSearchable {
                search_no: no,
                name: name.clone(),
                phones: vec![phone.clone()],
                id_number: None,
            });

            // Visits: between 1 and 2×mean-1 (mean as asked), from registration to today.
            let count = rng.gen_range(1..=self.mean_visits.max(1) * 2 - 1);
            let home = &DEPARTMENTS[dept_pick.sample(&mut rng)];
            let span = (self.until - registered).num_days().max(1);
            let mut dates: Vec<NaiveDate> = (0..count)
                .map(|_| seasonal_day(&mut rng, registered, span, home.peak_months))
                .collect();
            dates.sort();
            for (n, day) in dates.into_iter().enumerate() {
                // Most visits return to the patient's usual department.
                let dept = if rng.gen_ratio(4, 5) {
                    home
                } else {
                    &DEPARTMENTS[dept_pick.sample(&mut rng)]
                };
                let hour = *[8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 15, 16, 17, 18, 19]
                    .choose(&mut rng)
                    .expect("non-empty");
                let at = tz
                    .from_local_datetime(
                        &day.and_hms_opt(hour, rng.gen_range(0..4) * 15, 0)
                            .expect("valid"),
                    )
                    .single()
                    .expect("fixed offset");
                let visit_type = match (n, rng.gen_range(0..100)) {
                    (0, _) => "first",
                    (_, 0..=1) => "emergency",
                    (_, 2..=11) => "specialist",
                    _ => "return",
                };
                let yuan = rng.gen_range(dept.amount.0..=dept.amount.1);
                let amount_minor = yuan * 100 + if rng.gen_ratio(1, 4) { 50 } else { 0 };
                let satisfaction: Option<i64> =
                    rng.gen_ratio(3, 5).then(|| match rng.gen_range(0..100) {
                        0..=49 => 5,
                        50..=79 => 4,
                        80..=91 => 3,
                        92..=96 => 2,
                        _ => 1,
                    });
                // The recommendation score follows the satisfaction score (no extra random
                // draw: the same seed still gives the same clinic as before NPS existed).
                let nps: Option<i64> = satisfaction.map(|s| match s {
                    5 => 9 + visit_total as i64 % 2,
                    4 => 8 - visit_total as i64 % 2,
                    3 => 6,
                    2 => 4,
                    _ => 1,
                });
                let feedback = (satisfaction.is_some() && rng.gen_ratio(1, 8))
                    .then(|| *FEEDBACK.choose(&mut rng).expect("non-empty"));
                let recorded = at
                    .with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                insert_visit.execute(params![
                    time_ordered_uuid(&mut rng, at.timestamp_millis()).to_string(),
                    id.to_string(),
                    at.to_rfc3339(),
                    at.timestamp_millis(),
                    dept.code,
                    dept.doctors.choose(&mut rng),
                    visit_type,
                    dept.complaints.choose(&mut rng),
                    dept.treatments.choose(&mut rng),
                    amount_minor,
                    satisfaction,
                    feedback,
                    recorded,
                    nps,
                ])?;
                visit_total += 1;
            }
        }
        search::insert_sorted(tx, &keys.finish())?;
        Ok(Generated {
            patients: self.patients as u64,
            visits: visit_total,
        })
    }
}

/// A UUID v7 as the app makes them (time-ordered), from the seed: deterministic.
fn time_ordered_uuid(rng: &mut ChaCha8Rng, unix_ms: i64) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(unix_ms.max(0) as u64, &rng.gen()).into_uuid()
}

/// A day in `[from, from + span)`, twice as likely in peak months, less likely on Sundays
/// and around the Lunar New Year (early February).
fn seasonal_day(rng: &mut ChaCha8Rng, from: NaiveDate, span: i64, peaks: &[u32]) -> NaiveDate {
    loop {
        let day = from + Duration::days(rng.gen_range(0..span));
        let mut weight: f64 = if peaks.contains(&day.month()) {
            1.0
        } else {
            0.5
        };
        if day.weekday() == Weekday::Sun {
            weight *= 0.4;
        }
        if day.month() == 2 && day.day() <= 10 {
            weight *= 0.3;
        }
        if rng.gen_bool(weight) {
            return day;
        }
    }
}
