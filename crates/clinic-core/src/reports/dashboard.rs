//! The owner's first look: this month so far against the same days of last month, on the
//! figures that say whether the clinic is doing better — visits, patients, new patients,
//! revenue, NPS, satisfaction and the no-show rate. One pass over the visits.

use std::collections::HashSet;

use chrono::{Datelike, Months, NaiveDate};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::appointments::bookings;
use super::{Cell, Scope};
use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::Result;
use crate::visits::kept::kept_visits;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DashboardFigure {
    /// visits, patients, newPatients, revenue, nps, satisfaction, noShowRate
    pub key: String,
    #[ts(type = "number | string | null")]
    pub this: Cell,
    #[ts(type = "number | string | null")]
    pub last: Cell,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Dashboard {
    pub this_from: NaiveDate,
    pub this_to: NaiveDate,
    pub last_from: NaiveDate,
    pub last_to: NaiveDate,
    pub figures: Vec<DashboardFigure>,
}

/// This month to `today` against the 1st of last month to the same day of it (the last
/// day of last month when it is shorter).
pub struct GetDashboard {
    pub today: Option<NaiveDate>,
}

/// visits, money, nps answers (promoters, detractors), satisfaction (sum, answers)
#[derive(Default)]
struct Tally {
    visits: i64,
    patients: HashSet<usize>,
    new: HashSet<usize>,
    money: i64,
    answers: u64,
    promoters: u64,
    detractors: u64,
    score_sum: u64,
    scores: u64,
}

impl Operation for GetDashboard {
    type Output = Dashboard;
    fn action(&self) -> Action {
        Action::ReportRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Dashboard> {
        let today = self
            .today
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let this_from = today.with_day(1).unwrap_or(today);
        let last_from = this_from - Months::new(1);
        let last_end = this_from.pred_opt().unwrap_or(this_from);
        let last_to = last_from
            .with_day(today.day())
            .unwrap_or(last_end)
            .min(last_end);
        let kept = kept_visits(tx)?;
        let windows = [(this_from, today), (last_from, last_to)];
        let mut tallies = [Tally::default(), Tally::default()];
        for (p, patient) in kept.patients.iter().enumerate() {
            // The patient's first visit ever: new when it falls in the window.
            let Some(first) = patient.visits.first().map(|v| v.date) else {
                continue;
            };
            // Kept earliest first: only the last two months' visits are looked at.
            let recent = patient.visits.partition_point(|v| v.date < last_from);
            for v in &patient.visits[recent..] {
                for ((from, to), t) in windows.iter().zip(tallies.iter_mut()) {
                    if v.date < *from || v.date > *to {
                        continue;
                    }
                    t.visits += 1;
                    t.patients.insert(p);
                    if first >= *from {
                        t.new.insert(p);
                    }
                    t.money += v.amount;
                    if let Some(n) = v.nps() {
                        t.answers += 1;
                        t.promoters += u64::from(n >= 9);
                        t.detractors += u64::from(n <= 6);
                    }
                    if let Some(s) = v.satisfaction() {
                        t.score_sum += u64::from(s);
                        t.scores += 1;
                    }
                }
            }
        }
        let no_shows = |from: NaiveDate, to: NaiveDate| -> Result<Cell> {
            let scope = Scope::plain(from, to, today);
            let (mut kept, mut missed) = (0u64, 0u64);
            for b in bookings(tx, &scope)? {
                match b.status {
                    "completed" | "arrived" => kept += 1,
                    "no-show" => missed += 1,
                    _ => {}
                }
            }
            Ok(Cell::percent(missed, kept + missed))
        };
        let pair = |f: &dyn Fn(&Tally) -> Cell| (f(&tallies[0]), f(&tallies[1]));
        let mut figures = Vec::new();
        let mut push = |key: &str, (this, last): (Cell, Cell)| {
            figures.push(DashboardFigure {
                key: key.into(),
                this,
                last,
            })
        };
        push("visits", pair(&|t| Cell::Count(t.visits)));
        push("patients", pair(&|t| Cell::Count(t.patients.len() as i64)));
        push("newPatients", pair(&|t| Cell::Count(t.new.len() as i64)));
        push("revenue", pair(&|t| Cell::money(t.money)));
        push(
            "nps",
            pair(&|t| super::visits::nps_score(t.answers, t.promoters, t.detractors)),
        );
        push(
            "satisfaction",
            pair(&|t| {
                (t.score_sum * 10 + t.scores / 2)
                    .checked_div(t.scores)
                    .map_or(Cell::Missing, |x| {
                        Cell::Text(format!("{}.{}", x / 10, x % 10))
                    })
            }),
        );
        push(
            "noShowRate",
            (no_shows(this_from, today)?, no_shows(last_from, last_to)?),
        );
        Ok(Dashboard {
            this_from,
            this_to: today,
            last_from,
            last_to,
            figures,
        })
    }
}
