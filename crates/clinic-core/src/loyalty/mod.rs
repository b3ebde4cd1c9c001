//! Loyalty: an append-only points ledger (migration 0018), the rules that earn points, a
//! reward catalogue whose redemptions are vouchers, and automatic expiry.
//!
//! Points are money-like: every change is an entry (never edited or deleted — the database
//! refuses), the balance is the sum of the entries and never goes below zero, and each new
//! entry is checked by replaying the patient's ledger inside the same IMMEDIATE transaction
//! that writes it, so two redemptions at once cannot both spend the same points.

pub mod ledger;
pub mod referrals;
pub mod rules;
mod statement;
pub mod tiers;

use chrono::{Months, NaiveDate};
use rand::Rng;
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::now_text;
use crate::settings::{load_json, save_json};
pub use ledger::{EntryKind, Ledger, Lot, Move, Refusal};
pub use referrals::{
    ChannelCount, ReferralNode, ReferralReport, ReferralTree, Referrals, Referrer,
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
fn entries(tx: &Transaction<'_>, patient: &str) -> Result<Vec<PointsEntry>> {
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

fn replay(patient: &str, entries: &[PointsEntry]) -> Result<Ledger> {
    Ledger::replay(entries.iter().map(as_move).collect::<Vec<_>>().iter()).map_err(|r| {
        ClinicError::new(
            ErrorCode::Storage,
            format!("the points ledger of patient {patient} does not add up: {r:?}"),
        )
    })
}

fn refused(r: Refusal) -> ClinicError {
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
struct NewEntry<'a> {
    patient: &'a str,
    kind: EntryKind,
    points: i64,
    source: PointsSource,
    reason: String,
    visit_id: Option<&'a str>,
    referred: Option<&'a str>,
    voucher_id: Option<i64>,
    reverses: Option<i64>,
    effective_on: NaiveDate,
    expires_on: Option<NaiveDate>,
}

/// Checks `new` against the patient's ledger and writes it; answers its id.
fn append(tx: &Transaction<'_>, by: &Actor, new: NewEntry<'_>) -> Result<i64> {
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

fn expiry_day(s: &LoyaltySettings, earned: NaiveDate) -> Option<NaiveDate> {
    s.expiry_months
        .and_then(|m| earned.checked_add_months(Months::new(m)))
}

/// Posts the expiry of a patient's points whose day has come by `on` (nothing if none).
fn expire_patient(tx: &Transaction<'_>, by: &Actor, patient: &str, on: NaiveDate) -> Result<i64> {
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

fn require_patient(tx: &Transaction<'_>, id: &str) -> Result<()> {
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

fn require_on(s: &LoyaltySettings) -> Result<()> {
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
// Earning, called from the visit form's save (same transaction)

/// What earning needs to know about a visit and its patient.
struct VisitFacts {
    patient: String,
    at: String,
    at_ms: i64,
    department: String,
    treatment: Option<String>,
    amount: Option<i64>,
    payment: Option<String>,
    referred_by: Option<String>,
    visit_type: String,
}

/// Points for a visit just recorded, and the referral bonus its patient's first visit brings
/// their referrer. Nothing when the programme is off; imports of past visits never call this.
pub(crate) fn earn_for_visit(tx: &Transaction<'_>, by: &Actor, visit_id: &str) -> Result<()> {
    let s = settings(tx)?;
    if !s.enabled {
        return Ok(());
    }
    let VisitFacts {
        patient,
        at,
        at_ms,
        department,
        treatment,
        amount,
        payment,
        referred_by,
        visit_type,
    } = tx.query_row(
        "SELECT v.patient_id, v.visited_at, v.visited_at_ms, v.department, v.treatment,
                v.amount_minor, p.payment_type, p.referred_by, v.visit_type
         FROM visit v JOIN patient p ON p.id = v.patient_id WHERE v.id = ?1",
        [visit_id],
        |r| {
            Ok(VisitFacts {
                patient: r.get(0)?,
                at: r.get(1)?,
                at_ms: r.get(2)?,
                department: r.get(3)?,
                treatment: r.get(4)?,
                amount: r.get(5)?,
                payment: r.get(6)?,
                referred_by: r.get(7)?,
                visit_type: r.get(8)?,
            })
        },
    )?;
    let day = chrono::DateTime::parse_from_rfc3339(&at)
        .map(|t| t.date_naive())
        .map_err(|e| ClinicError::new(ErrorCode::Storage, format!("visit time {at}: {e}")))?;
    // Visits before this one (the referral bonus waits for the first), and any other visit
    // up to the same minute (a return visit needs one: staff may type two in one minute).
    let (earlier, others): (i64, i64) = tx.query_row(
        "SELECT count(*) FILTER (WHERE visited_at_ms < ?2), count(*) FROM visit
         WHERE patient_id = ?1 AND archived_at IS NULL AND visited_at_ms <= ?2 AND id <> ?3",
        params![patient, at_ms, visit_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if s.excludes(&department, treatment.as_deref()).is_none() {
        let mut points = 0i64;
        let mut why = Vec::new();
        // A return visit as the desk records it (复诊), with a visit before it on record.
        if visit_type == "return" && others > 0 && s.points_per_return_visit > 0 {
            points += i64::from(s.points_per_return_visit);
            why.push(format!("return visit {}", s.points_per_return_visit));
        }
        let insured = s.exclude_public_insurance && payment.as_deref() == Some("public-insurance");
        if let (Some(rule), Some(amount), false) = (&s.spend, amount, insured) {
            let p = rule.points_for(amount);
            if p > 0 {
                points += p;
                why.push(format!(
                    "{} spent, {p}",
                    rust_decimal::Decimal::new(amount, 2)
                ));
            }
        }
        if points > 0 {
            append(
                tx,
                by,
                NewEntry {
                    patient: &patient,
                    kind: EntryKind::Earn,
                    points,
                    source: PointsSource::Visit,
                    reason: why.join(" + "),
                    visit_id: Some(visit_id),
                    referred: None,
                    voucher_id: None,
                    reverses: None,
                    effective_on: day,
                    expires_on: expiry_day(&s, day),
                },
            )?;
        }
    }
    // The first visit of a referred patient: their referrer's bonus, once.
    if let (0, Some(referrer), true) = (earlier, referred_by, s.referral_bonus > 0) {
        let active = require_patient(tx, &referrer).is_ok();
        let already: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM points_entry WHERE referred_patient_id = ?1
                 AND kind = 'earn' AND source = 'referral')",
            [&patient],
            |r| r.get(0),
        )?;
        if active && !already {
            append(
                tx,
                by,
                NewEntry {
                    patient: &referrer,
                    kind: EntryKind::Earn,
                    points: i64::from(s.referral_bonus),
                    source: PointsSource::Referral,
                    reason: "referred patient's first visit".into(),
                    visit_id: None,
                    referred: Some(&patient),
                    voucher_id: None,
                    reverses: None,
                    effective_on: day,
                    expires_on: expiry_day(&s, day),
                },
            )?;
        }
    }
    Ok(())
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

/// A patient's points statement on `on` (posting nothing).
pub struct GetPoints {
    pub patient_id: String,
    pub on: NaiveDate,
}

impl Operation for GetPoints {
    type Output = PointsStatement;
    fn action(&self) -> Action {
        Action::PointsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<PointsStatement> {
        let found: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM patient WHERE id = ?1)",
            [&self.patient_id],
            |r| r.get(0),
        )?;
        if !found {
            return Err(ClinicError::new(
                ErrorCode::NotFound,
                format!("no patient {}", self.patient_id),
            ));
        }
        let all = entries(tx, &self.patient_id)?;
        let ledger = replay(&self.patient_id, &all)?;
        let mut stmt = tx.prepare_cached(
            "SELECT v.code, v.patient_id, v.reward_id, r.name, v.points, v.state, v.issued_at,
                    v.settled_at, v.staff
             FROM voucher v JOIN reward r ON r.id = v.reward_id
             WHERE v.patient_id = ?1 ORDER BY v.id DESC",
        )?;
        let vouchers = stmt
            .query_map([&self.patient_id], voucher_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let tier = tiers::membership(tx, &self.patient_id)?.tier;
        let s = settings(tx)?;
        let family_available = if s.family_pooling {
            let family = family_of(tx, &self.patient_id)?;
            let mut total = ledger.available(self.on);
            for p in family.iter().skip(1) {
                total += replay(p, &entries(tx, p)?)?.available(self.on);
            }
            (family.len() > 1).then_some(total)
        } else {
            None
        };
        Ok(PointsStatement {
            patient_id: self.patient_id,
            on: self.on,
            balance: ledger.balance(),
            available: ledger.available(self.on),
            expiring: ledger
                .expiring_after(self.on)
                .into_iter()
                .map(|(on, points)| ExpiringPoints { on, points })
                .collect(),
            entries: all.into_iter().rev().collect(),
            vouchers,
            programme_on: s.enabled,
            tier,
            family_available,
        })
    }
}

fn voucher_from_row(r: &Row<'_>) -> rusqlite::Result<Voucher> {
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

/// A staff correction: points added or taken away, with the reason said.
pub struct AdjustPoints {
    pub patient_id: String,
    pub points: i64,
    pub reason: String,
    pub on: NaiveDate,
}

impl Operation for AdjustPoints {
    type Output = PointsStatement;
    fn action(&self) -> Action {
        Action::PointsAdjust
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<PointsStatement> {
        require_patient(tx, &self.patient_id)?;
        let reason = self.reason.trim().to_string();
        if reason.is_empty() {
            return Err(ClinicError::validation(
                "reason",
                ValidationRule::Required,
                "an adjustment says why",
            ));
        }
        if self.points == 0 || self.points.abs() > 1_000_000 {
            return Err(ClinicError::validation(
                "points",
                ValidationRule::OutOfRange,
                "adjust by 1 to 1,000,000 points, up or down",
            ));
        }
        let s = settings(tx)?;
        expire_patient(tx, by, &self.patient_id, self.on)?;
        append(
            tx,
            by,
            NewEntry {
                patient: &self.patient_id,
                kind: EntryKind::Adjust,
                points: self.points,
                source: PointsSource::Staff,
                reason,
                visit_id: None,
                referred: None,
                voucher_id: None,
                reverses: None,
                effective_on: self.on,
                expires_on: (self.points > 0).then(|| expiry_day(&s, self.on)).flatten(),
            },
        )?;
        GetPoints {
            patient_id: self.patient_id,
            on: self.on,
        }
        .run(tx, by)
    }
}

/// Undoes one entry exactly, by a new entry that says why. A redemption is undone by
/// cancelling its voucher.
pub struct ReverseEntry {
    pub entry_id: i64,
    pub reason: String,
    pub on: NaiveDate,
}

impl Operation for ReverseEntry {
    type Output = PointsStatement;
    fn action(&self) -> Action {
        Action::PointsAdjust
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<PointsStatement> {
        let found: Option<(String, Option<i64>)> = tx
            .query_row(
                "SELECT patient_id, voucher_id FROM points_entry WHERE id = ?1",
                [self.entry_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((patient, voucher)) = found else {
            return Err(ClinicError::new(
                ErrorCode::NotFound,
                format!("no points entry {}", self.entry_id),
            ));
        };
        if voucher.is_some() {
            return Err(ClinicError::validation(
                "entryId",
                ValidationRule::UnknownValue,
                "a redemption is undone by cancelling its voucher",
            ));
        }
        reverse(tx, by, &patient, self.entry_id, &self.reason, self.on)?;
        GetPoints {
            patient_id: patient,
            on: self.on,
        }
        .run(tx, by)
    }
}

fn reverse(
    tx: &Transaction<'_>,
    by: &Actor,
    patient: &str,
    entry: i64,
    reason: &str,
    on: NaiveDate,
) -> Result<i64> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ClinicError::validation(
            "reason",
            ValidationRule::Required,
            "a reversal says why",
        ));
    }
    let ledger = replay(patient, &entries(tx, patient)?)?;
    let points = ledger.reversal_of(entry, on).map_err(refused)?;
    append(
        tx,
        by,
        NewEntry {
            patient,
            kind: EntryKind::Reverse,
            points,
            source: PointsSource::Staff,
            reason: format!("reverses entry {entry}: {reason}"),
            visit_id: None,
            referred: None,
            voucher_id: None,
            reverses: Some(entry),
            effective_on: on,
            expires_on: None,
        },
    )
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
fn family_of(tx: &Transaction<'_>, patient: &str) -> Result<Vec<String>> {
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

/// What an expiry run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExpiryRun {
    pub on: NaiveDate,
    #[ts(type = "number")]
    pub patients: u64,
    #[ts(type = "number")]
    pub points: i64,
}

/// Posts every patient's points whose day has come by `on` (idempotent: a second run that
/// day finds nothing).
pub struct ExpirePoints {
    pub on: NaiveDate,
}

impl Operation for ExpirePoints {
    type Output = ExpiryRun;
    fn action(&self) -> Action {
        Action::PointsExpire
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<ExpiryRun> {
        // Only patients with a lot that has a day at all, and one that has come.
        let patients: Vec<String> = tx
            .prepare(
                "SELECT DISTINCT patient_id FROM points_entry
                 WHERE expires_on IS NOT NULL AND expires_on <= ?1 AND points > 0",
            )?
            .query_map([self.on], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut run = ExpiryRun {
            on: self.on,
            patients: 0,
            points: 0,
        };
        for p in patients {
            let n = expire_patient(tx, by, &p, self.on)?;
            if n > 0 {
                run.patients += 1;
                run.points += n;
            }
        }
        Ok(run)
    }
}

/// Birthday bonuses posted by one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BirthdayRun {
    pub on: NaiveDate,
    #[ts(type = "number")]
    pub patients: u64,
    #[ts(type = "number")]
    pub points: i64,
}

/// Posts the birthday bonus (when the rules give one) to every patient whose birthday this
/// year fell in the week up to `on` (a week, so a weekend or a day the app was closed is
/// caught up), once a year each (29 February is kept on 1 March in other years).
pub struct PostBirthdayBonuses {
    pub on: NaiveDate,
}

impl Operation for PostBirthdayBonuses {
    type Output = BirthdayRun;
    fn action(&self) -> Action {
        Action::PointsExpire
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<BirthdayRun> {
        let s = settings(tx)?;
        let mut run = BirthdayRun {
            on: self.on,
            patients: 0,
            points: 0,
        };
        if !s.enabled || s.birthday_bonus == 0 {
            return Ok(run);
        }
        let year = chrono::Datelike::year(&self.on);
        let since = self.on - chrono::Duration::days(6);
        let people: Vec<(String, NaiveDate)> = tx
            .prepare(
                "SELECT id, birth_date FROM patient
                 WHERE archived_at IS NULL AND birth_date IS NOT NULL",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (p, birth) in people {
            let day = crate::reminders::due::birthday_in(birth, year);
            if day < since || day > self.on || day <= birth {
                continue;
            }
            let already: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM points_entry WHERE patient_id = ?1
                     AND source = 'birthday' AND kind = 'earn' AND substr(effective_on, 1, 4) = ?2)",
                params![p, year.to_string()],
                |r| r.get(0),
            )?;
            if already {
                continue;
            }
            append(
                tx,
                by,
                NewEntry {
                    patient: &p,
                    kind: EntryKind::Earn,
                    points: i64::from(s.birthday_bonus),
                    source: PointsSource::Birthday,
                    reason: format!("birthday {year}"),
                    visit_id: None,
                    referred: None,
                    voucher_id: None,
                    reverses: None,
                    effective_on: day,
                    expires_on: expiry_day(&s, day),
                },
            )?;
            run.patients += 1;
            run.points += i64::from(s.birthday_bonus);
        }
        Ok(run)
    }
}

// ---------------------------------------------------------------------------------------
// The reward catalogue

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
