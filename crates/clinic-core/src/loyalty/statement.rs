//! The printable points statement (PDF, through the handout renderer): balance, what may be
//! spent, what expires when, vouchers and the whole history, in the patient's language.

use chrono::NaiveDate;
use rusqlite::Transaction;

use super::{GetPoints, PointsEntry, PointsSource, VoucherState};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::Result;
use crate::handouts::pdf::{self, Paper};
use crate::handouts::template::{Block, Template};
use crate::handouts::Branding;
use crate::patients::{self, Language};

struct Words {
    title: &'static str,
    as_of: &'static str,
    balance: &'static str,
    available: &'static str,
    expiring: &'static str,
    tier: &'static str,
    tiers: [&'static str; 4],
    date: &'static str,
    points: &'static str,
    vouchers: &'static str,
    code: &'static str,
    reward: &'static str,
    status: &'static str,
    state: [&'static str; 3],
    history: &'static str,
    kind: &'static str,
    why: &'static str,
    staff: &'static str,
    kinds: [&'static str; 5],
    visit: &'static str,
    referral: &'static str,
    birthday: &'static str,
    expired: &'static str,
    reverses: &'static str,
    none: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::ZhCn => Words {
            title: "积分明细",
            as_of: "截至",
            balance: "积分余额",
            available: "今日可用",
            expiring: "即将过期",
            tier: "会员等级",
            tiers: ["普通", "银卡", "金卡", "VIP"],
            date: "日期",
            points: "积分",
            vouchers: "兑换券",
            code: "券号",
            reward: "项目",
            status: "状态",
            state: ["未使用", "已使用", "已取消"],
            history: "积分记录",
            kind: "类型",
            why: "说明",
            staff: "经办",
            kinds: ["获得", "兑换", "过期", "调整", "冲销"],
            visit: "就诊",
            referral: "推荐的患者首次就诊",
            birthday: "生日礼",
            expired: "此前获得的积分过期",
            reverses: "冲销第 {} 笔",
            none: "暂无积分记录。",
        },
        Language::ZhTw => Words {
            title: "點數明細",
            as_of: "截至",
            balance: "點數餘額",
            available: "今日可用",
            expiring: "即將到期",
            tier: "會員等級",
            tiers: ["一般", "銀卡", "金卡", "VIP"],
            date: "日期",
            points: "點數",
            vouchers: "兌換券",
            code: "券號",
            reward: "項目",
            status: "狀態",
            state: ["未使用", "已使用", "已取消"],
            history: "點數紀錄",
            kind: "類型",
            why: "說明",
            staff: "經辦",
            kinds: ["獲得", "兌換", "到期", "調整", "沖銷"],
            visit: "就診",
            referral: "推薦的病患首次就診",
            birthday: "生日禮",
            expired: "此前獲得的點數到期",
            reverses: "沖銷第 {} 筆",
            none: "尚無點數紀錄。",
        },
        Language::En => Words {
            title: "Points statement",
            as_of: "As of",
            balance: "Balance",
            available: "Available today",
            expiring: "Expiring",
            tier: "Tier",
            tiers: ["Regular", "Silver", "Gold", "VIP"],
            date: "Date",
            points: "Points",
            vouchers: "Vouchers",
            code: "Code",
            reward: "Reward",
            status: "Status",
            state: ["Not used", "Used", "Cancelled"],
            history: "History",
            kind: "Kind",
            why: "Details",
            staff: "Staff",
            kinds: ["Earned", "Redeemed", "Expired", "Adjusted", "Reversal"],
            visit: "Visit",
            referral: "A patient you referred came for the first time",
            birthday: "Birthday",
            expired: "Points earned before this expired",
            reverses: "Undoes entry {}",
            none: "No points yet.",
        },
    }
}

/// An entry's reason in the statement's language (the core writes its own in English).
fn reason(e: &PointsEntry, w: &Words) -> String {
    if let Some(target) = e.reverses {
        let typed = e
            .reason
            .split_once(": ")
            .map_or(e.reason.as_str(), |(_, r)| r);
        return format!("{}: {typed}", w.reverses.replace("{}", &target.to_string()));
    }
    match e.source {
        PointsSource::Visit => w.visit.to_string(),
        PointsSource::Referral => w.referral.to_string(),
        PointsSource::Birthday => w.birthday.to_string(),
        PointsSource::Expiry => w.expired.to_string(),
        PointsSource::Reward => match (&e.voucher_code, e.reason.rsplit_once(" (voucher ")) {
            (Some(code), Some((name, _))) => format!("{name} · {code}"),
            _ => e.reason.clone(),
        },
        _ => e.reason.clone(),
    }
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// A patient's points statement as a PDF, in their language (or `language`).
pub struct PrintPointsStatement {
    pub patient_id: String,
    pub on: NaiveDate,
    pub language: Option<Language>,
    pub paper: Paper,
}

impl Operation for PrintPointsStatement {
    type Output = Vec<u8>;
    fn action(&self) -> Action {
        Action::PointsRead
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Vec<u8>> {
        let id = patients::parse_id("patientId", &self.patient_id)?;
        let patient = patients::load(tx, id)?;
        let s = GetPoints {
            patient_id: self.patient_id,
            on: self.on,
        }
        .run(tx, by)?;
        let language = self
            .language
            .or(patient.preferred_language)
            .unwrap_or(Language::ZhCn);
        let w = words(language);
        let mut blocks = vec![Block::Table {
            header: vec![
                w.as_of.into(),
                w.balance.into(),
                w.available.into(),
                w.tier.into(),
            ],
            rows: vec![vec![
                s.on.to_string(),
                s.balance.to_string(),
                s.available.to_string(),
                match s.tier.as_str() {
                    "regular" => w.tiers[0].to_string(),
                    "silver" => w.tiers[1].to_string(),
                    "gold" => w.tiers[2].to_string(),
                    "vip" => w.tiers[3].to_string(),
                    other => other.to_string(),
                },
            ]],
        }];
        if !s.expiring.is_empty() {
            blocks.push(Block::Heading(w.expiring.into()));
            blocks.push(Block::Table {
                header: vec![w.date.into(), w.points.into()],
                rows: s
                    .expiring
                    .iter()
                    .map(|x| vec![x.on.to_string(), x.points.to_string()])
                    .collect(),
            });
        }
        if !s.vouchers.is_empty() {
            blocks.push(Block::Heading(w.vouchers.into()));
            blocks.push(Block::Table {
                header: vec![
                    w.code.into(),
                    w.reward.into(),
                    w.points.into(),
                    w.status.into(),
                ],
                rows: s
                    .vouchers
                    .iter()
                    .map(|v| {
                        let state = match v.state {
                            VoucherState::Issued => w.state[0],
                            VoucherState::Used => w.state[1],
                            VoucherState::Cancelled => w.state[2],
                        };
                        vec![
                            v.code.clone(),
                            v.reward_name.clone(),
                            v.points.to_string(),
                            state.to_string(),
                        ]
                    })
                    .collect(),
            });
        }
        blocks.push(Block::Heading(w.history.into()));
        if s.entries.is_empty() {
            blocks.push(Block::Paragraph(w.none.into()));
        } else {
            blocks.push(Block::Table {
                header: vec![
                    w.date.into(),
                    w.kind.into(),
                    w.points.into(),
                    w.why.into(),
                    w.staff.into(),
                ],
                rows: s
                    .entries
                    .iter()
                    .map(|e| {
                        let kind = match e.kind {
                            super::EntryKind::Earn => w.kinds[0],
                            super::EntryKind::Redeem => w.kinds[1],
                            super::EntryKind::Expire => w.kinds[2],
                            super::EntryKind::Adjust => w.kinds[3],
                            super::EntryKind::Reverse => w.kinds[4],
                        };
                        vec![
                            e.effective_on.to_string(),
                            kind.to_string(),
                            signed(e.points),
                            reason(e, &w),
                            e.staff.clone(),
                        ]
                    })
                    .collect(),
            });
        }
        let template = Template {
            title: format!("{} · {}", w.title, patient.name),
            blocks,
        };
        let frame = Branding::load(tx)?.frame(
            format!("{} · {}", patient.name, s.on),
            template.title.clone(),
        );
        Ok(pdf::render(&template, language, false, self.paper, &frame))
    }
}
