//! What the desk does with a patient's points: their statement, an adjustment with its
//! reason, reversing an entry, and the expiry run.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::rewards::{family_of, voucher_from_row};
use super::tiers;
use super::{
    append, entries, expire_patient, expiry_day, refused, replay, require_patient, settings,
    EntryKind, ExpiringPoints, NewEntry, PointsSource, PointsStatement,
};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};

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

pub(super) fn reverse(
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

/// What a run over all patients posted: points expired, or birthday bonuses given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PointsRun {
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
    type Output = PointsRun;
    fn action(&self) -> Action {
        Action::PointsExpire
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<PointsRun> {
        // Only patients with a lot that has a day at all, and one that has come.
        let patients: Vec<String> = tx
            .prepare(
                "SELECT DISTINCT patient_id FROM points_entry
                 WHERE expires_on IS NOT NULL AND expires_on <= ?1 AND points > 0",
            )?
            .query_map([self.on], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut run = PointsRun {
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
