//! Loyalty: an append-only points ledger (migration 0018), the rules that earn points, a
//! reward catalogue whose redemptions are vouchers, and automatic expiry.
//!
//! Points are money-like: every change is an entry (never edited or deleted — the database
//! refuses), the balance is the sum of the entries and never goes below zero, and each new
//! entry is checked by replaying the patient's ledger inside the same IMMEDIATE transaction
//! that writes it, so two redemptions at once cannot both spend the same points.

mod earn;
pub mod ledger;
mod points;
pub mod referrals;
mod rewards;
pub mod rules;
mod statement;
pub mod tiers;

use chrono::{Months, NaiveDate};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::now_text;
use crate::settings::{load_json, save_json};
pub(crate) use earn::earn_for_visit;
pub use earn::PostBirthdayBonuses;
pub use ledger::{EntryKind, Ledger, Lot, Move, Refusal};
pub use points::{AdjustPoints, ExpirePoints, GetPoints, PointsRun, ReverseEntry};
pub use referrals::{
    ChannelCount, ReferralNode, ReferralReport, ReferralTree, Referrals, Referrer,
};
pub use rewards::{
    ListRewards, RedeemReward, RetireReward, Reward, RewardInput, RewardKind, SaveReward,
    SettleVoucher, Voucher, VoucherState,
};
pub use rules::{Jurisdiction, LoyaltySettings, Rounding, SpendRule};
pub use statement::PrintPointsStatement;
pub use tiers::{
    GetMembership, Membership, RequalifyTiers, TierChange, TierCount, TierRule, TierRun,
};

/// Where an entry's points came from or went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum PointsSource {
    Visit,
    Referral,
    Birthday,
    Reward,
    Staff,
    Expiry,
}

impl PointsSource {
    pub fn code(self) -> &'static str {
        match self {
            PointsSource::Visit => "visit",
            PointsSource::Referral => "referral",
            PointsSource::Birthday => "birthday",
            PointsSource::Reward => "reward",
            PointsSource::Staff => "staff",
            PointsSource::Expiry => "expiry",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            PointsSource::Visit,
            PointsSource::Referral,
            PointsSource::Birthday,
            PointsSource::Reward,
            PointsSource::Staff,
            PointsSource::Expiry,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// One line of a patient's points history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PointsEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub patient_id: String,
    pub kind: EntryKind,
    #[ts(type = "number")]
    pub points: i64,
    pub source: PointsSource,
    pub reason: String,
    pub visit_id: Option<String>,
    pub referred_patient_id: Option<String>,
    pub voucher_code: Option<String>,
    #[ts(type = "number | null")]
    pub reverses: Option<i64>,
    /// Set when a later entry reversed this one.
    #[ts(type = "number | null")]
    pub reversed_by: Option<i64>,
    pub effective_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub staff: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExpiringPoints {
    pub on: NaiveDate,
    #[ts(type = "number")]
    pub points: i64,
}

/// A patient's points on a day: balance, what may be spent, what expires when, history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PointsStatement {
    pub patient_id: String,
    pub on: NaiveDate,
    /// The sum of all entries.
    #[ts(type = "number")]
    pub balance: i64,
    /// What may be spent today: the balance less points past their day that the next
    /// expiry run will take.
    #[ts(type = "number")]
    pub available: i64,
    /// Points still to expire, by day, soonest first.
    pub expiring: Vec<ExpiringPoints>,
    /// Newest first.
    pub entries: Vec<PointsEntry>,
    pub vouchers: Vec<Voucher>,
    /// Whether the programme is on (a statement is shown either way).
    pub programme_on: bool,
    /// The membership tier (the base tier when above none).
    pub tier: String,
    /// With family pooling on and relatives linked: what the family may spend together today.
    #[ts(type = "number | null")]
    pub family_available: Option<i64>,
}

// ---------------------------------------------------------------------------------------
// Storage

pub(crate) fn settings(tx: &Transaction<'_>) -> Result<LoyaltySettings> {
    load_json(tx, "loyalty_setting", "value")
}

const ENTRY_COLUMNS: &str = "e.id, e.patient_id, e.kind, e.points, e.source, e.reason, e.visit_id,
    e.referred_patient_id, v.code, e.reverses, (SELECT r.id FROM points_entry r WHERE r.reverses = e.id),
    e.effective_on, e.expires_on, e.staff, e.at";

fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<PointsEntry> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown points {what}").into(),
        )
    };
    let kind: String = r.get(2)?;
    let source: String = r.get(4)?;
    Ok(PointsEntry {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        kind: EntryKind::parse(&kind).ok_or_else(|| bad(2, "kind"))?,
        points: r.get(3)?,
        source: PointsSource::parse(&source).ok_or_else(|| bad(4, "source"))?,
        reason: r.get(5)?,
        visit_id: r.get(6)?,
        referred_patient_id: r.get(7)?,
        voucher_code: r.get(8)?,
        reverses: r.get(9)?,
        reversed_by: r.get(10)?,
        effective_on: r.get(11)?,
        expires_on: r.get(12)?,
        staff: r.get(13)?,
        at: r.get(14)?,
    })
}

/// A patient's entries, oldest first.
pub(super) fn entries(tx: &Transaction<'_>, patient: &str) -> Result<Vec<PointsEntry>> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM points_entry e LEFT JOIN voucher v ON v.id = e.voucher_id
         WHERE e.patient_id = ?1 ORDER BY e.id"
    ))?;
    let rows = stmt
        .query_map([patient], entry_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn as_move(e: &PointsEntry) -> Move {
    Move {
        id: e.id,
        kind: e.kind,
        points: e.points,
        effective_on: e.effective_on,
        expires_on: e.expires_on,
        reverses: e.reverses,
    }
}

pub(super) fn replay(patient: &str, entries: &[PointsEntry]) -> Result<Ledger> {
    Ledger::replay(entries.iter().map(as_move).collect::<Vec<_>>().iter()).map_err(|r| {
        ClinicError::new(
            ErrorCode::Storage,
            format!("the points ledger of patient {patient} does not add up: {r:?}"),
        )
    })
}

pub(super) fn refused(r: Refusal) -> ClinicError {
    match r {
        Refusal::NotEnough { available, wanted } => ClinicError::new(
            ErrorCode::InsufficientPoints,
            format!("{wanted} points needed, {available} available"),
        ),
        Refusal::CannotReverse(why) => {
            ClinicError::validation("entryId", ValidationRule::UnknownValue, why)
        }
        Refusal::Inconsistent(why) => ClinicError::new(ErrorCode::Storage, why),
    }
}

/// A new entry, before it has an id.
pub(super) struct NewEntry<'a> {
    pub(super) patient: &'a str,
    pub(super) kind: EntryKind,
    pub(super) points: i64,
    pub(super) source: PointsSource,
    pub(super) reason: String,
    pub(super) visit_id: Option<&'a str>,
    pub(super) referred: Option<&'a str>,
    pub(super) voucher_id: Option<i64>,
    pub(super) reverses: Option<i64>,
    pub(super) effective_on: NaiveDate,
    pub(super) expires_on: Option<NaiveDate>,
}

/// Checks `new` against the patient's ledger and writes it; answers its id.
pub(super) fn append(tx: &Transaction<'_>, by: &Actor, new: NewEntry<'_>) -> Result<i64> {
    let mut ledger = replay(new.patient, &entries(tx, new.patient)?)?;
    let next: i64 = tx.query_row(
        "SELECT coalesce(max(id), 0) + 1 FROM points_entry",
        [],
        |r| r.get(0),
    )?;
    ledger
        .apply(&Move {
            id: next,
            kind: new.kind,
            points: new.points,
            effective_on: new.effective_on,
            expires_on: new.expires_on,
            reverses: new.reverses,
        })
        .map_err(refused)?;
    tx.prepare_cached(
        "INSERT INTO points_entry (id, patient_id, kind, points, source, reason, visit_id,
             referred_patient_id, voucher_id, reverses, effective_on, expires_on, staff, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        next,
        new.patient,
        new.kind.code(),
        new.points,
        new.source.code(),
        new.reason,
        new.visit_id,
        new.referred,
        new.voucher_id,
        new.reverses,
        new.effective_on,
        new.expires_on,
        by.name,
        now_text(),
    ])?;
    Ok(next)
}

pub(super) fn expiry_day(s: &LoyaltySettings, earned: NaiveDate) -> Option<NaiveDate> {
    s.expiry_months
        .and_then(|m| earned.checked_add_months(Months::new(m)))
}

/// Posts the expiry of a patient's points whose day has come by `on` (nothing if none).
pub(super) fn expire_patient(
    tx: &Transaction<'_>,
    by: &Actor,
    patient: &str,
    on: NaiveDate,
) -> Result<i64> {
    let ledger = replay(patient, &entries(tx, patient)?)?;
    let due = ledger.expired_by(on);
    if due == 0 {
        return Ok(0);
    }
    append(
        tx,
        by,
        NewEntry {
            patient,
            kind: EntryKind::Expire,
            points: -due,
            source: PointsSource::Expiry,
            reason: format!("points earned up to {} expired", on),
            visit_id: None,
            referred: None,
            voucher_id: None,
            reverses: None,
            effective_on: on,
            expires_on: Some(on),
        },
    )?;
    Ok(due)
}

pub(super) fn require_patient(tx: &Transaction<'_>, id: &str) -> Result<()> {
    let found: Option<Option<String>> = tx
        .query_row("SELECT archived_at FROM patient WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    match found {
        Some(None) => Ok(()),
        _ => Err(ClinicError::new(
            ErrorCode::NotFound,
            format!("no active patient {id}"),
        )),
    }
}

pub(super) fn require_on(s: &LoyaltySettings) -> Result<()> {
    if s.enabled {
        Ok(())
    } else {
        Err(ClinicError::new(
            ErrorCode::PointsOff,
            "the points programme is switched off in Settings → Loyalty",
        ))
    }
}

/// Two records of one person merged: the merged record's unspent points move to the
/// survivor lot by lot, each keeping its own expiry day (an adjustment out of one ledger and
/// into the other, both saying why), so nothing is lost or extended. Its tier is dropped
/// (the survivor's is requalified with the visits it now has). Answers the points moved.
pub(crate) fn move_points_on_merge(
    tx: &Transaction<'_>,
    by: &Actor,
    merged: &str,
    survivor: &str,
    on: NaiveDate,
) -> Result<i64> {
    tx.execute("DELETE FROM membership WHERE patient_id = ?1", [merged])?;
    expire_patient(tx, by, merged, on)?;
    let ledger = replay(merged, &entries(tx, merged)?)?;
    let lots: Vec<(i64, Option<NaiveDate>)> = ledger
        .lots()
        .iter()
        .filter(|l| l.left > 0)
        .map(|l| (l.left, l.expires_on))
        .collect();
    let total: i64 = lots.iter().map(|l| l.0).sum();
    if total == 0 {
        return Ok(0);
    }
    let entry = |patient: &str, points: i64, reason: String, expires_on: Option<NaiveDate>| {
        append(
            tx,
            by,
            NewEntry {
                patient,
                kind: EntryKind::Adjust,
                points,
                source: PointsSource::Staff,
                reason,
                visit_id: None,
                referred: None,
                voucher_id: None,
                reverses: None,
                effective_on: on,
                expires_on,
            },
        )
    };
    entry(
        merged,
        -total,
        format!("moved to {survivor}: records merged"),
        None,
    )?;
    for (points, expires_on) in lots {
        entry(
            survivor,
            points,
            format!("moved from {merged}: records merged"),
            expires_on,
        )?;
    }
    Ok(total)
}

// ---------------------------------------------------------------------------------------
// Operations

pub struct GetLoyaltySettings;

impl Operation for GetLoyaltySettings {
    type Output = LoyaltySettings;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<LoyaltySettings> {
        settings(tx)
    }
}

pub struct SetLoyaltySettings(pub LoyaltySettings);

impl Operation for SetLoyaltySettings {
    type Output = LoyaltySettings;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<LoyaltySettings> {
        let s = self.0;
        if s.enabled && s.jurisdiction.is_none() {
            return Err(ClinicError::validation(
                "jurisdiction",
                ValidationRule::Required,
                "say where the clinic practises before switching points on",
            ));
        }
        if let Some(rule) = &s.spend {
            if rule.per <= rust_decimal::Decimal::ZERO || rule.per.scale() > 2 {
                return Err(ClinicError::validation(
                    "spend.per",
                    ValidationRule::OutOfRange,
                    "the amount per point must be more than 0, with at most two decimals",
                ));
            }
        }
        if s.expiry_months.is_some_and(|m| m == 0 || m > 120) {
            return Err(ClinicError::validation(
                "expiryMonths",
                ValidationRule::OutOfRange,
                "points expire after 1 to 120 months, or never",
            ));
        }
        if s.tiers
            .iter()
            .any(|t| t.name.trim().is_empty() || t.min_spend < rust_decimal::Decimal::ZERO)
            || s.tiers
                .windows(2)
                .any(|w| w[1].min_spend < w[0].min_spend || w[1].min_visits < w[0].min_visits)
        {
            return Err(ClinicError::validation(
                "tiers",
                ValidationRule::OutOfRange,
                "each tier has a name and asks at least as much as the one below it",
            ));
        }
        save_json(tx, "loyalty_setting", "value", &s)?;
        Ok(s)
    }
}
