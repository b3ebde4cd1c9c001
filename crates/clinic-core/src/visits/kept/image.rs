//! The kept visits saved in the file (`kept_visits_image`, migration 0027): a compact
//! image — numbers as LEB128 varints, ~15 bytes a visit — read in ~0.2 s where reading
//! every visit row through SQLCipher takes ~2 s, so the first report after opening the
//! file does not wait for that. The image says which `visit_change` entry it includes;
//! what changed after it is read again patient by patient, as for the copy in memory.
//!
//! A damaged or unknown image is never an error: the visits are then read from the table.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use rusqlite::{OptionalExtension, Transaction};

use super::{IdKey, KeptPatient, KeptVisit, KeptVisits};
use crate::error::Result;

/// Bumped whenever the layout below changes: an image of another format is not read.
pub(super) const FORMAT: i64 = 1;

/// The saved image and the last `visit_change` entry it includes, if there is one of this
/// format that decodes.
pub(super) fn load(tx: &Transaction<'_>) -> Result<Option<(KeptVisits, i64)>> {
    let saved: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seen, image FROM kept_visits_image WHERE id = 1 AND format = ?1",
            [FORMAT],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(saved.and_then(|(seen, bytes)| decode(&bytes).map(|k| (k, seen))))
}

/// Saves `kept`, which includes the log up to `seen`, in the same transaction that checks
/// the log has not moved since (else the image would claim changes it does not hold).
/// Answers whether it was saved.
pub(super) fn save(tx: &Transaction<'_>, kept: &KeptVisits, seen: i64) -> Result<bool> {
    let newest: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM visit_change", [], |r| {
        r.get(0)
    })?;
    if newest != seen {
        return Ok(false);
    }
    tx.execute(
        "INSERT OR REPLACE INTO kept_visits_image (id, seen, format, image) VALUES (1, ?1, ?2, ?3)",
        rusqlite::params![seen, FORMAT, encode(kept)],
    )?;
    Ok(true)
}

pub(super) fn encode(k: &KeptVisits) -> Vec<u8> {
    let visits: usize = k.patients.iter().map(|p| p.visits.len()).sum();
    let mut out = Writer(Vec::with_capacity(visits * 16 + k.patients.len() * 64));
    out.count(k.names.len());
    for name in &k.names {
        out.text(name);
    }
    out.count(k.patients.len());
    for p in &k.patients {
        out.text(&p.id);
        out.text(&p.name);
        out.number(u64::from(p.archived));
        out.code(p.payment);
        out.code(p.channel);
        match &p.referred_by {
            Some(r) => {
                out.number(1);
                out.text(r);
            }
            None => out.number(0),
        }
        out.count(p.comments.len());
        for c in &p.comments {
            out.text(c);
        }
        out.count(p.visits.len());
        // Earliest first: each date as the days since the one before.
        let mut day = 0i64;
        for v in &p.visits {
            let d = i64::from(v.date.num_days_from_ce());
            out.signed(d - day);
            day = d;
            out.signed(v.amount);
            out.code(v.department);
            out.code(v.doctor);
            out.0.extend([v.hour, v.nps, v.satisfaction]);
            out.number(u64::from(v.comment));
        }
    }
    out.0
}

pub(super) fn decode(bytes: &[u8]) -> Option<KeptVisits> {
    let mut r = Reader { bytes, at: 0 };
    let mut k = KeptVisits::default();
    for i in 0..r.count()? {
        let name: Box<str> = r.text()?.into();
        k.codes.insert(name.clone(), u32::try_from(i).ok()?);
        k.names.push(name);
    }
    let patients = r.count()?;
    k.patients.reserve(patients);
    k.position = HashMap::with_capacity(patients);
    for i in 0..patients {
        let mut p = KeptPatient {
            id: r.text()?.to_string(),
            name: r.text()?.to_string(),
            archived: r.number()? != 0,
            payment: r.code()?,
            channel: r.code()?,
            ..Default::default()
        };
        p.referred_by = match r.number()? {
            0 => None,
            _ => Some(r.text()?.to_string()),
        };
        for _ in 0..r.count()? {
            p.comments.push(r.text()?.into());
        }
        let visits = r.count()?;
        p.visits.reserve(visits);
        let mut day = 0i64;
        for _ in 0..visits {
            day = day.checked_add(r.signed()?)?;
            let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(day).ok()?)?;
            let (amount, department, doctor) = (r.signed()?, r.code()?, r.code()?);
            let [hour, nps, satisfaction] = r.take::<3>()?;
            p.visits.push(KeptVisit {
                date,
                amount,
                department,
                doctor,
                hour,
                nps,
                satisfaction,
                comment: u16::try_from(r.number()?).ok()?,
            });
        }
        if k.position.insert(IdKey::of(&p.id), i).is_some() {
            return None;
        }
        k.patients.push(p);
    }
    (r.at == bytes.len()).then_some(k)
}

struct Writer(Vec<u8>);

impl Writer {
    fn number(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }
    fn signed(&mut self, n: i64) {
        self.number(((n << 1) ^ (n >> 63)) as u64);
    }
    fn count(&mut self, n: usize) {
        self.number(n as u64);
    }
    /// A name's number; `u32::MAX` (none) as 0, the rest shifted up by one.
    fn code(&mut self, c: u32) {
        self.number(u64::from(c.wrapping_add(1)));
    }
    fn text(&mut self, s: &str) {
        self.count(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn number(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }
    fn signed(&mut self) -> Option<i64> {
        let n = self.number()?;
        Some((n >> 1) as i64 ^ -((n & 1) as i64))
    }
    /// A count, never more than the bytes left could hold (a damaged image must not make
    /// us reserve gigabytes).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.number()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }
    fn code(&mut self) -> Option<u32> {
        Some(u32::try_from(self.number()?).ok()?.wrapping_sub(1))
    }
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let b = self.bytes.get(self.at..self.at + N)?;
        self.at += N;
        b.try_into().ok()
    }
    fn text(&mut self) -> Option<&str> {
        let n = self.count()?;
        let b = self.bytes.get(self.at..self.at + n)?;
        self.at += n;
        std::str::from_utf8(b).ok()
    }
}
