//! What the first questions of the day wait for — every active visit kept in memory (the
//! owner's reports and dashboard), every patient's labels (segment counts, a patient's
//! chips, churn risk) — filled right after the clinic is unlocked, on a connection of its
//! own: the desk's connection stays free for searches and visits meanwhile, and a question
//! asked before the warm-up is done waits only for what is left of it.
//!
//! Both are kept per opening of the file (`Clinic`'s tag), so what this connection fills
//! serves the desk's; changes made meanwhile are caught up from the change logs as usual.
//! The visits are then saved in the file (`visits::kept`'s image) when they changed since
//! the image there was made, so the next opening starts from it.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rusqlite::Transaction;

use crate::clinic::Clinic;
use crate::error::Result;

/// How long each part took (the benchmark prints them).
#[derive(Debug, Clone, Copy)]
pub struct WarmedUp {
    pub visits: Duration,
    pub classification: Duration,
    /// The kept visits were saved in the file for the next opening (they had changed).
    pub saved: bool,
}

impl Clinic {
    /// Fills what the first report and the first segment question read, for `today` (the
    /// clinic's local date when `None`). Needs no permission: it returns nothing, and every
    /// question still goes through `execute`.
    pub fn warm_up(&self, today: Option<NaiveDate>) -> Result<WarmedUp> {
        let today = today.unwrap_or_else(crate::patients::today_local);
        // The two on two connections at once (two cores): the visits, which the dashboard
        // waits for, are not held back behind the labels.
        let (visits, classification) = std::thread::scope(|s| {
            let labels = s.spawn(|| {
                self.timed(|tx| {
                    let rules = crate::segments::rules::load(tx)?;
                    crate::segments::memo::classified(tx, &rules, today).map(drop)
                })
            });
            let visits = self.timed(|tx| crate::visits::kept::kept_visits(tx).map(drop));
            let labels = labels.join().unwrap_or_else(|_| {
                Err(crate::error::ClinicError::new(
                    crate::error::ErrorCode::Storage,
                    "the warm-up stopped",
                ))
            });
            (visits, labels)
        });
        let (visits, classification) = (visits?, classification?);
        // Saved for the next opening (and the CLI's reports): its first report then reads
        // one blob instead of every visit row.
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let saved = crate::visits::kept::save_image(&tx)?;
        tx.commit()?;
        Ok(WarmedUp {
            visits,
            classification,
            saved,
        })
    }

    /// `fill` in a read transaction of a connection of its own; how long it took.
    fn timed(&self, fill: impl FnOnce(&Transaction<'_>) -> Result<()>) -> Result<Duration> {
        let mut conn = self.reader()?;
        let tx = conn.transaction()?;
        let started = Instant::now();
        fill(&tx)?;
        Ok(started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    //! Takes its turn with the library's other clinic tests (`ONE_CLINIC_AT_A_TIME`): what
    //! is kept in memory is one clinic's at a time.
    use super::*;
    use crate::reports::GetDashboard;
    use crate::segments::memo;
    use crate::visits::kept;
    use crate::visits::{AddVisit, VisitInput};
    use crate::Actor;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    /// How the desk's connection finds the kept visits and classification.
    fn on_the_desk(c: &Clinic) -> (kept::Freshened, memo::Freshened) {
        let mut conn = c.connection();
        let tx = conn.transaction().unwrap();
        let visits = kept::refresh(&tx).unwrap().1;
        let rules = crate::segments::rules::load(&tx).unwrap();
        let classified = memo::refresh(&tx, &rules, day()).unwrap().1;
        (visits, classified)
    }

    #[test]
    fn what_the_warm_up_fills_serves_the_desk_and_only_this_opening_of_the_file() {
        let t = crate::generated_clinic(60, 4, 7);
        let c = &t.clinic;
        assert!(
            c.warm_up(Some(day())).unwrap().saved,
            "the visits saved in the file"
        );
        assert_eq!(
            on_the_desk(c),
            (kept::Freshened::AsKept, memo::Freshened::AsKept)
        );
        assert!(
            !c.warm_up(Some(day())).unwrap().saved,
            "nothing new to save"
        );

        // A visit recorded at the desk afterwards: that patient alone is read again.
        let patient: String = c
            .connection()
            .query_row("SELECT id FROM patient LIMIT 1", [], |r| r.get(0))
            .unwrap();
        c.execute(
            &Actor::owner(),
            AddVisit(VisitInput {
                patient_id: patient,
                at: "2026-11-23T10:00:00+08:00".into(),
                department: "Dental".into(),
                visit_type: "return".into(),
                ..Default::default()
            }),
        )
        .unwrap();
        assert_eq!(
            on_the_desk(c),
            (kept::Freshened::Patients(1), memo::Freshened::Patients(1))
        );

        // The same file opened again (a restore, the next morning) is another opening:
        // nothing kept in memory for the first one is taken for it. Its visits start from
        // the image the warm-up saved, caught up with the visit recorded since.
        let again = Clinic::open_with_key(t.dir.path(), &t.key).unwrap();
        assert_eq!(
            on_the_desk(&again),
            (kept::Freshened::FromImage(1), memo::Freshened::All)
        );
    }

    #[test]
    fn a_question_asked_while_warming_up_waits_and_gets_the_same_answer() {
        let t = crate::generated_clinic(300, 6, 11);
        let c = &t.clinic;
        let owner = Actor::owner();
        let ask = || {
            c.execute(&owner, GetDashboard { today: Some(day()) })
                .unwrap()
        };
        let during = std::thread::scope(|s| {
            let warming = s.spawn(|| c.warm_up(Some(day())).unwrap());
            let answer = ask();
            warming.join().unwrap();
            answer
        });
        assert_eq!(during, ask());
        assert_eq!(
            on_the_desk(c),
            (kept::Freshened::AsKept, memo::Freshened::AsKept)
        );
    }
}
