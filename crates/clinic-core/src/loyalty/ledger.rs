//! The ledger's arithmetic, without storage: replaying a patient's entries in order gives
//! the balance and the lots (points added together, with the day they expire) that make it
//! up. Spending takes the oldest lot first (FIFO); an expiry takes exactly the lots past
//! their day; a reversal undoes exactly what its entry did. The same replay checks each new
//! entry before it is written, so the stored ledger can never go below zero.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum EntryKind {
    Earn,
    Redeem,
    Expire,
    Adjust,
    Reverse,
}

impl EntryKind {
    pub fn code(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Redeem => "redeem",
            EntryKind::Expire => "expire",
            EntryKind::Adjust => "adjust",
            EntryKind::Reverse => "reverse",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            EntryKind::Earn,
            EntryKind::Redeem,
            EntryKind::Expire,
            EntryKind::Adjust,
            EntryKind::Reverse,
        ]
        .into_iter()
        .find(|k| k.code() == s)
    }
}

/// One entry as the replay needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub id: i64,
    pub kind: EntryKind,
    /// Signed.
    pub points: i64,
    pub effective_on: NaiveDate,
    /// Points added: when they expire (None: never). An expiry: its cut-off day.
    pub expires_on: Option<NaiveDate>,
    pub reverses: Option<i64>,
}

/// Points added by one entry, and how many of them are left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub entry: i64,
    pub added: i64,
    pub left: i64,
    pub expires_on: Option<NaiveDate>,
}

/// Why an entry cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Fewer points available than the entry takes.
    NotEnough { available: i64, wanted: i64 },
    /// The entry reversed is unknown, already reversed, or of a kind that is not reversed.
    CannotReverse(String),
    /// The entry's own numbers do not add up (a damaged ledger).
    Inconsistent(String),
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    lots: Vec<Lot>,
    balance: i64,
    /// Lot index → points, for each entry that took points: what a reversal gives back.
    taken: HashMap<i64, Vec<(usize, i64)>>,
    /// Entry id → its move, for reversals.
    moves: HashMap<i64, Move>,
    reversed: std::collections::HashSet<i64>,
}

impl Ledger {
    pub fn replay<'a>(moves: impl IntoIterator<Item = &'a Move>) -> Result<Ledger, Refusal> {
        let mut ledger = Ledger::default();
        for m in moves {
            ledger.apply(m)?;
        }
        Ok(ledger)
    }

    /// The sum of all entries.
    pub fn balance(&self) -> i64 {
        self.balance
    }

    pub fn lots(&self) -> &[Lot] {
        &self.lots
    }

    /// Points whose day has come by `on` and that no expiry entry has taken yet.
    pub fn expired_by(&self, on: NaiveDate) -> i64 {
        self.lots
            .iter()
            .filter(|l| l.expires_on.is_some_and(|d| d <= on))
            .map(|l| l.left)
            .sum()
    }

    /// What may be spent on `on`: the balance less what has expired by then.
    pub fn available(&self, on: NaiveDate) -> i64 {
        self.balance - self.expired_by(on)
    }

    /// Points still to expire after `on`, by day, soonest first.
    pub fn expiring_after(&self, on: NaiveDate) -> Vec<(NaiveDate, i64)> {
        let mut by_day: std::collections::BTreeMap<NaiveDate, i64> = Default::default();
        for l in &self.lots {
            if let Some(d) = l.expires_on.filter(|d| *d > on && l.left > 0) {
                *by_day.entry(d).or_default() += l.left;
            }
        }
        by_day.into_iter().collect()
    }

    /// Whether `entry` may be reversed now, and by how many points (signed).
    pub fn reversal_of(&self, entry: i64, on: NaiveDate) -> Result<i64, Refusal> {
        let m = self
            .moves
            .get(&entry)
            .ok_or_else(|| Refusal::CannotReverse(format!("no entry {entry} on this ledger")))?;
        if self.reversed.contains(&entry) {
            return Err(Refusal::CannotReverse(format!(
                "entry {entry} was already reversed"
            )));
        }
        match m.kind {
            EntryKind::Reverse | EntryKind::Expire => Err(Refusal::CannotReverse(format!(
                "entry {entry} is {} and is not reversed; adjust instead",
                if m.kind == EntryKind::Reverse {
                    "a reversal"
                } else {
                    "an expiry"
                }
            ))),
            _ if m.points < 0 => Ok(-m.points),
            _ => {
                let lot = self.lot_of(entry).expect("added points have a lot");
                let usable = if lot.expires_on.is_some_and(|d| d <= on) {
                    0
                } else {
                    lot.left
                };
                if usable < m.points {
                    Err(Refusal::NotEnough {
                        available: usable,
                        wanted: m.points,
                    })
                } else {
                    Ok(-m.points)
                }
            }
        }
    }

    fn lot_of(&self, entry: i64) -> Option<&Lot> {
        self.lots.iter().find(|l| l.entry == entry)
    }

    /// Checks and applies one entry (the next in order).
    pub fn apply(&mut self, m: &Move) -> Result<(), Refusal> {
        match (m.kind, m.points > 0) {
            (EntryKind::Reverse, _) => {
                let target = m.reverses.ok_or_else(|| {
                    Refusal::Inconsistent(format!("reversal {} names no entry", m.id))
                })?;
                let wanted = self.reversal_of(target, m.effective_on)?;
                if wanted != m.points {
                    return Err(Refusal::Inconsistent(format!(
                        "reversal {} is {} but entry {target} needs {wanted}",
                        m.id, m.points
                    )));
                }
                if m.points > 0 {
                    // Give back exactly what the reversed entry took, lot by lot.
                    for (lot, n) in self.taken.get(&target).cloned().unwrap_or_default() {
                        self.lots[lot].left += n;
                    }
                } else {
                    let i = self
                        .lots
                        .iter()
                        .position(|l| l.entry == target)
                        .expect("checked above");
                    self.lots[i].left += m.points;
                }
                self.reversed.insert(target);
            }
            (EntryKind::Expire, _) => {
                let cutoff = m.expires_on.unwrap_or(m.effective_on);
                let due = self.expired_by(cutoff);
                if due != -m.points {
                    return Err(Refusal::Inconsistent(format!(
                        "expiry {} takes {} but {due} had expired by {cutoff}",
                        m.id, -m.points
                    )));
                }
                let mut taken = Vec::new();
                for (i, l) in self.lots.iter_mut().enumerate() {
                    if l.expires_on.is_some_and(|d| d <= cutoff) && l.left > 0 {
                        taken.push((i, l.left));
                        l.left = 0;
                    }
                }
                self.taken.insert(m.id, taken);
            }
            (_, true) => self.lots.push(Lot {
                entry: m.id,
                added: m.points,
                left: m.points,
                expires_on: m.expires_on,
            }),
            (_, false) => {
                let wanted = -m.points;
                let available = self.available(m.effective_on);
                if available < wanted {
                    return Err(Refusal::NotEnough { available, wanted });
                }
                let mut rest = wanted;
                let mut taken = Vec::new();
                // Oldest first, never from a lot past its day.
                for (i, l) in self.lots.iter_mut().enumerate() {
                    if rest == 0 {
                        break;
                    }
                    if l.left == 0 || l.expires_on.is_some_and(|d| d <= m.effective_on) {
                        continue;
                    }
                    let n = l.left.min(rest);
                    l.left -= n;
                    rest -= n;
                    taken.push((i, n));
                }
                self.taken.insert(m.id, taken);
            }
        }
        self.balance += m.points;
        self.moves.insert(m.id, m.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn mv(id: i64, kind: EntryKind, points: i64, on: &str, exp: Option<&str>) -> Move {
        Move {
            id,
            kind,
            points,
            effective_on: d(on),
            expires_on: exp.map(d),
            reverses: None,
        }
    }

    #[test]
    fn spending_takes_the_oldest_points_first_and_a_reversal_gives_the_same_ones_back() {
        let mut l = Ledger::default();
        l.apply(&mv(
            1,
            EntryKind::Earn,
            30,
            "2026-01-10",
            Some("2027-01-10"),
        ))
        .unwrap();
        l.apply(&mv(
            2,
            EntryKind::Earn,
            50,
            "2026-06-01",
            Some("2027-06-01"),
        ))
        .unwrap();
        l.apply(&mv(3, EntryKind::Redeem, -40, "2026-07-01", None))
            .unwrap();
        assert_eq!(
            l.lots().iter().map(|x| x.left).collect::<Vec<_>>(),
            vec![0, 40]
        );
        // On 2027-01-10 the first lot's day comes, but it was spent: nothing expires.
        assert_eq!(l.expired_by(d("2027-01-10")), 0);
        let mut r = mv(4, EntryKind::Reverse, 40, "2026-07-02", None);
        r.reverses = Some(3);
        l.apply(&r).unwrap();
        assert_eq!(
            l.lots().iter().map(|x| x.left).collect::<Vec<_>>(),
            vec![30, 50]
        );
        assert_eq!(l.balance(), 80);
        assert_eq!(l.expired_by(d("2027-01-10")), 30);
        assert_eq!(
            l.reversal_of(3, d("2026-07-03")),
            Err(Refusal::CannotReverse(
                "entry 3 was already reversed".into()
            ))
        );
    }

    #[test]
    fn expired_points_cannot_be_spent_and_earned_points_already_spent_cannot_be_reversed() {
        let mut l = Ledger::default();
        l.apply(&mv(
            1,
            EntryKind::Earn,
            30,
            "2026-01-10",
            Some("2026-03-01"),
        ))
        .unwrap();
        l.apply(&mv(
            2,
            EntryKind::Earn,
            10,
            "2026-02-10",
            Some("2027-02-10"),
        ))
        .unwrap();
        assert_eq!(
            l.apply(&mv(3, EntryKind::Redeem, -20, "2026-03-01", None)),
            Err(Refusal::NotEnough {
                available: 10,
                wanted: 20
            })
        );
        l.apply(&mv(3, EntryKind::Redeem, -5, "2026-02-20", None))
            .unwrap();
        assert_eq!(
            l.reversal_of(1, d("2026-02-21")),
            Err(Refusal::NotEnough {
                available: 25,
                wanted: 30
            })
        );
        l.apply(&mv(
            4,
            EntryKind::Expire,
            -25,
            "2026-03-02",
            Some("2026-03-01"),
        ))
        .unwrap();
        assert_eq!(l.balance(), 10);
        assert_eq!(
            l.expiring_after(d("2026-03-02")),
            vec![(d("2027-02-10"), 10)]
        );
    }
}
