//! The reward catalogue and its vouchers: what points buy, redeeming them (from the
//! patient's own points, then — when the clinic pools family points — their relatives'),
//! and a voucher used or cancelled (its points and stock come back).

use chrono::NaiveDate;
use rand::Rng;
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::points::reverse;
use super::{
    append, entries, expire_patient, refused, replay, require_on, require_patient, settings,
    EntryKind, NewEntry, PointsSource, Refusal,
};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::now_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum RewardKind {
    CheckUp,
    Discount,
    Gift,
}

impl RewardKind {
    fn code(self) -> &'static str {
        match self {
            RewardKind::CheckUp => "check-up",
            RewardKind::Discount => "discount",
            RewardKind::Gift => "gift",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [RewardKind::CheckUp, RewardKind::Discount, RewardKind::Gift]
            .into_iter()
            .find(|k| k.code() == s)
    }
}

/// A reward to add (`id` None) or change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RewardInput {
    pub id: Option<String>,
    pub name: String,
    pub kind: RewardKind,
    #[ts(type = "number")]
    pub cost_points: i64,
    #[ts(type = "number | null")]
    pub stock: Option<i64>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Reward {
    pub id: String,
    pub name: String,
    pub kind: RewardKind,
    #[ts(type = "number")]
    pub cost_points: i64,
    #[ts(type = "number | null")]
    pub stock: Option<i64>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
    pub retired: bool,
}

impl Reward {
    /// Why it cannot be redeemed on `on`, if it cannot.
    pub fn unavailable(&self, on: NaiveDate) -> Option<&'static str> {
        if self.retired {
            Some("is no longer offered")
        } else if self.active_from.is_some_and(|d| on < d) {
            Some("is not offered yet")
        } else if self.active_until.is_some_and(|d| on > d) {
            Some("is no longer offered")
        } else if self.stock == Some(0) {
            Some("is out of stock")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum VoucherState {
    Issued,
    Used,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Voucher {
    pub code: String,
    pub patient_id: String,
    pub reward_id: String,
    pub reward_name: String,
    #[ts(type = "number")]
    pub points: i64,
    pub state: VoucherState,
    pub issued_at: String,
    pub settled_at: Option<String>,
    pub staff: String,
}

pub(super) fn voucher_from_row(r: &Row<'_>) -> rusqlite::Result<Voucher> {
    let state: String = r.get(5)?;
    Ok(Voucher {
        code: r.get(0)?,
        patient_id: r.get(1)?,
        reward_id: r.get(2)?,
        reward_name: r.get(3)?,
        points: r.get(4)?,
        state: match state.as_str() {
            "used" => VoucherState::Used,
            "cancelled" => VoucherState::Cancelled,
            _ => VoucherState::Issued,
        },
        issued_at: r.get(6)?,
        settled_at: r.get(7)?,
        staff: r.get(8)?,
    })
}

/// Spends a patient's points on a reward: a voucher code, an entry, one less in stock.
pub struct RedeemReward {
    pub patient_id: String,
    pub reward_id: String,
    pub on: NaiveDate,
}

impl Operation for RedeemReward {
    type Output = Voucher;
    fn action(&self) -> Action {
        Action::PointsRedeem
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Voucher> {
        require_on(&settings(tx)?)?;
        require_patient(tx, &self.patient_id)?;
        let reward = load_reward(tx, &self.reward_id)?;
        if let Some(why) = reward.unavailable(self.on) {
            return Err(ClinicError::validation(
                "rewardId",
                ValidationRule::UnknownValue,
                format!("{} {why}", reward.name),
            ));
        }
        let s = settings(tx)?;
        // Who pays: the patient, then (when the clinic pools family points) their linked
        // relatives in turn. Points past their day are not spendable: expiry is posted first.
        let payers = if s.family_pooling {
            family_of(tx, &self.patient_id)?
        } else {
            vec![self.patient_id.clone()]
        };
        let mut shares = Vec::new();
        let mut rest = reward.cost_points;
        let mut pooled = 0;
        for p in &payers {
            expire_patient(tx, by, p, self.on)?;
            let available = replay(p, &entries(tx, p)?)?.available(self.on);
            pooled += available;
            let take = available.min(rest);
            if take > 0 {
                shares.push((p.clone(), take));
                rest -= take;
            }
        }
        if rest > 0 {
            return Err(refused(Refusal::NotEnough {
                available: pooled,
                wanted: reward.cost_points,
            }));
        }
        let code = voucher_code();
        let now = now_text();
        tx.execute(
            "INSERT INTO voucher (code, patient_id, reward_id, points, issued_at, staff)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                code,
                self.patient_id,
                reward.id,
                reward.cost_points,
                now,
                by.name
            ],
        )?;
        let voucher_id = tx.last_insert_rowid();
        for (p, take) in shares {
            let reason = if p == self.patient_id {
                format!("{} (voucher {code})", reward.name)
            } else {
                format!("{} (voucher {code}, family pool)", reward.name)
            };
            append(
                tx,
                by,
                NewEntry {
                    patient: &p,
                    kind: EntryKind::Redeem,
                    points: -take,
                    source: PointsSource::Reward,
                    reason,
                    visit_id: None,
                    referred: None,
                    voucher_id: Some(voucher_id),
                    reverses: None,
                    effective_on: self.on,
                    expires_on: None,
                },
            )?;
        }
        if reward.stock.is_some() {
            tx.execute(
                "UPDATE reward SET stock = stock - 1 WHERE id = ?1",
                [&reward.id],
            )?;
        }
        load_voucher(tx, &code)
    }
}

/// The patient first, then their directly linked relatives (active records), in a fixed order.
pub(super) fn family_of(tx: &Transaction<'_>, patient: &str) -> Result<Vec<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT f.relative_id FROM family_link f JOIN patient p ON p.id = f.relative_id
         WHERE f.patient_id = ?1 AND p.archived_at IS NULL ORDER BY p.created_at, p.id",
    )?;
    let relatives = stmt
        .query_map([patient], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(std::iter::once(patient.to_string())
        .chain(relatives)
        .collect())
}

/// 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), as XXXX-XXXX.
fn voucher_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let c: String = (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &c[..4], &c[4..])
}

fn load_voucher(tx: &Transaction<'_>, code: &str) -> Result<Voucher> {
    tx.query_row(
        "SELECT v.code, v.patient_id, v.reward_id, r.name, v.points, v.state, v.issued_at,
                v.settled_at, v.staff
         FROM voucher v JOIN reward r ON r.id = v.reward_id WHERE v.code = ?1",
        [code.trim().to_uppercase()],
        voucher_from_row,
    )
    .optional()?
    .ok_or_else(|| ClinicError::new(ErrorCode::NotFound, format!("no voucher {code}")))
}

/// A voucher shown at the desk is used; cancelled, its points come back (a reversing entry)
/// and the reward goes back into stock.
pub struct SettleVoucher {
    pub code: String,
    pub state: VoucherState,
    pub on: NaiveDate,
}

impl Operation for SettleVoucher {
    type Output = Voucher;
    fn action(&self) -> Action {
        Action::PointsRedeem
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Voucher> {
        let v = load_voucher(tx, &self.code)?;
        if v.state != VoucherState::Issued {
            return Err(ClinicError::validation(
                "code",
                ValidationRule::UnknownValue,
                format!("voucher {} was already {:?}", v.code, v.state).to_lowercase(),
            ));
        }
        let now = now_text();
        match self.state {
            VoucherState::Issued => {
                return Err(ClinicError::validation(
                    "state",
                    ValidationRule::UnknownValue,
                    "a voucher is settled as used or cancelled",
                ))
            }
            VoucherState::Used => {
                tx.execute(
                    "UPDATE voucher SET state = 'used', settled_at = ?2 WHERE code = ?1",
                    params![v.code, now],
                )?;
            }
            VoucherState::Cancelled => {
                // One entry per family member who paid a share (one without pooling).
                let paid: Vec<(i64, String)> = tx
                    .prepare(
                        "SELECT e.id, e.patient_id FROM points_entry e JOIN voucher v ON v.id = e.voucher_id
                         WHERE v.code = ?1 AND e.kind = 'redeem' ORDER BY e.id",
                    )?
                    .query_map([&v.code], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (entry, patient) in paid {
                    reverse(
                        tx,
                        by,
                        &patient,
                        entry,
                        &format!("voucher {} cancelled", v.code),
                        self.on,
                    )?;
                }
                tx.execute(
                    "UPDATE voucher SET state = 'cancelled', settled_at = ?2 WHERE code = ?1",
                    params![v.code, now],
                )?;
                tx.execute(
                    "UPDATE reward SET stock = stock + 1 WHERE id = ?1 AND stock IS NOT NULL",
                    [&v.reward_id],
                )?;
            }
        }
        load_voucher(tx, &v.code)
    }
}

fn reward_from_row(r: &Row<'_>) -> rusqlite::Result<Reward> {
    let kind: String = r.get(2)?;
    Ok(Reward {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: RewardKind::parse(&kind).unwrap_or(RewardKind::Gift),
        cost_points: r.get(3)?,
        stock: r.get(4)?,
        active_from: r.get(5)?,
        active_until: r.get(6)?,
        retired: r.get::<_, Option<String>>(7)?.is_some(),
    })
}

const REWARD_COLUMNS: &str =
    "id, name, kind, cost_points, stock, active_from, active_until, archived_at";

fn load_reward(tx: &Transaction<'_>, id: &str) -> Result<Reward> {
    tx.query_row(
        &format!("SELECT {REWARD_COLUMNS} FROM reward WHERE id = ?1"),
        [id],
        reward_from_row,
    )
    .optional()?
    .ok_or_else(|| ClinicError::new(ErrorCode::NotFound, format!("no reward {id}")))
}

pub struct SaveReward(pub RewardInput);

impl Operation for SaveReward {
    type Output = Reward;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Reward> {
        let r = self.0;
        let name = r.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(ClinicError::validation(
                "name",
                if name.is_empty() {
                    ValidationRule::Required
                } else {
                    ValidationRule::TooLong
                },
                "a reward has a name of up to 80 characters",
            ));
        }
        if !(1..=1_000_000).contains(&r.cost_points) {
            return Err(ClinicError::validation(
                "costPoints",
                ValidationRule::OutOfRange,
                "a reward costs 1 to 1,000,000 points",
            ));
        }
        if r.stock.is_some_and(|s| s < 0) {
            return Err(ClinicError::validation(
                "stock",
                ValidationRule::Negative,
                "stock cannot be negative",
            ));
        }
        if let (Some(a), Some(b)) = (r.active_from, r.active_until) {
            if b < a {
                return Err(ClinicError::validation(
                    "activeUntil",
                    ValidationRule::OutOfRange,
                    "the last day comes before the first",
                ));
            }
        }
        let id = match r.id {
            Some(id) => {
                load_reward(tx, &id)?;
                tx.execute(
                    "UPDATE reward SET name = ?2, kind = ?3, cost_points = ?4, stock = ?5,
                         active_from = ?6, active_until = ?7 WHERE id = ?1",
                    params![
                        id,
                        name,
                        r.kind.code(),
                        r.cost_points,
                        r.stock,
                        r.active_from,
                        r.active_until
                    ],
                )?;
                id
            }
            None => {
                let id = Uuid::new_v4().to_string();
                tx.execute(
                    "INSERT INTO reward (id, name, kind, cost_points, stock, active_from,
                         active_until, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        id,
                        name,
                        r.kind.code(),
                        r.cost_points,
                        r.stock,
                        r.active_from,
                        r.active_until,
                        now_text()
                    ],
                )?;
                id
            }
        };
        load_reward(tx, &id)
    }
}

/// Takes a reward off the catalogue (its vouchers stay valid).
pub struct RetireReward(pub String);

impl Operation for RetireReward {
    type Output = Reward;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Reward> {
        load_reward(tx, &self.0)?;
        tx.execute(
            "UPDATE reward SET archived_at = coalesce(archived_at, ?2) WHERE id = ?1",
            params![self.0, now_text()],
        )?;
        load_reward(tx, &self.0)
    }
}

pub struct ListRewards {
    pub include_retired: bool,
}

impl Operation for ListRewards {
    type Output = Vec<Reward>;
    fn action(&self) -> Action {
        Action::PointsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<Reward>> {
        let mut stmt = tx.prepare(&format!(
            "SELECT {REWARD_COLUMNS} FROM reward
             WHERE ?1 OR archived_at IS NULL ORDER BY cost_points, name"
        ))?;
        let rows = stmt
            .query_map([self.include_retired], reward_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
