//! Points that come by themselves: for a visit recorded at the desk (and the referral bonus a
//! referred patient's first visit brings), and the yearly birthday bonus.

use chrono::NaiveDate;
use rusqlite::{params, Transaction};

use super::{
    append, expiry_day, require_patient, settings, EntryKind, NewEntry, PointsRun, PointsSource,
};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result};

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

/// Posts the birthday bonus (when the rules give one) to every patient whose birthday this
/// year fell in the week up to `on` (a week, so a weekend or a day the app was closed is
/// caught up), once a year each (29 February is kept on 1 March in other years).
pub struct PostBirthdayBonuses {
    pub on: NaiveDate,
}

impl Operation for PostBirthdayBonuses {
    type Output = PointsRun;
    fn action(&self) -> Action {
        Action::PointsExpire
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<PointsRun> {
        let s = settings(tx)?;
        let mut run = PointsRun {
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
