//! Each patient's visits packed into one blob (`visit_digest`, migration 0020), so that
//! classifying the clinic reads ~100k small rows instead of ~1M visit rows through
//! SQLCipher. Triggers delete a patient's digest whenever one of their visits changes; a
//! missing digest is rebuilt from the visit table here, the next time facts are loaded.
//! The visits' free text (department, diagnosis, treatment) is not in it: rules that look
//! at text read the visit table.

use chrono::{Datelike, NaiveDate};

use super::dimensions::VisitFact;
use crate::visits::VisitType;

/// Days since the Common Era (4), follow-up day or 0 (4), amount (8), satisfaction or 0
/// (1), NPS or 255 (1), visit type (1) — little-endian.
const RECORD: usize = 19;
/// The first byte: the layout, so a later change can tell an old digest and rebuild it.
const VERSION: u8 = 1;

fn type_code(t: VisitType) -> u8 {
    match t {
        VisitType::First => 0,
        VisitType::Return => 1,
        VisitType::Specialist => 2,
        VisitType::Emergency => 3,
    }
}

fn type_of(code: u8) -> Option<VisitType> {
    Some(match code {
        0 => VisitType::First,
        1 => VisitType::Return,
        2 => VisitType::Specialist,
        3 => VisitType::Emergency,
        _ => return None,
    })
}

/// A patient's visits (newest first, as loaded) packed.
pub(crate) fn encode(visits: &[VisitFact]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + visits.len() * RECORD);
    out.push(VERSION);
    for v in visits {
        out.extend_from_slice(&v.date.num_days_from_ce().to_le_bytes());
        let follow: i32 = v.follow_up_by.map_or(0, |d| d.num_days_from_ce());
        out.extend_from_slice(&follow.to_le_bytes());
        out.extend_from_slice(&v.amount_minor.to_le_bytes());
        out.push(v.satisfaction.unwrap_or(0));
        out.push(v.nps.unwrap_or(u8::MAX));
        out.push(type_code(v.visit_type));
    }
    out
}

/// The visits back, or `None` for a blob this build did not write (then it is rebuilt).
pub(crate) fn decode(blob: &[u8]) -> Option<Vec<VisitFact>> {
    let (&version, body) = blob.split_first()?;
    if version != VERSION || body.len() % RECORD != 0 {
        return None;
    }
    let day = |b: &[u8]| i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    body.chunks_exact(RECORD)
        .map(|r| {
            let follow = day(&r[4..8]);
            Some(VisitFact {
                date: NaiveDate::from_num_days_from_ce_opt(day(&r[0..4]))?,
                follow_up_by: if follow == 0 {
                    None
                } else {
                    Some(NaiveDate::from_num_days_from_ce_opt(follow)?)
                },
                amount_minor: i64::from_le_bytes(r[8..16].try_into().ok()?),
                satisfaction: (r[16] != 0).then_some(r[16]),
                nps: (r[17] != u8::MAX).then_some(r[17]),
                visit_type: type_of(r[18])?,
                ..Default::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_gives_back_what_it_was_given() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let visits = vec![
            VisitFact {
                date: d("2026-02-28"),
                visit_type: VisitType::Specialist,
                satisfaction: Some(5),
                nps: Some(0),
                amount_minor: -12_345_678_901,
                follow_up_by: Some(d("2026-03-07")),
                ..Default::default()
            },
            VisitFact {
                date: d("0001-01-01"),
                visit_type: VisitType::Emergency,
                satisfaction: None,
                nps: Some(10),
                amount_minor: 0,
                follow_up_by: None,
                ..Default::default()
            },
            VisitFact {
                date: d("2024-02-29"),
                visit_type: VisitType::First,
                nps: None,
                ..Default::default()
            },
        ];
        let blob = encode(&visits);
        assert_eq!(blob.len(), 1 + 3 * RECORD);
        let back = decode(&blob).unwrap();
        assert_eq!(format!("{back:?}"), format!("{visits:?}"));
        assert_eq!(decode(&encode(&[])).unwrap().len(), 0);
        // Anything else is rebuilt, never misread.
        assert!(decode(&blob[..blob.len() - 1]).is_none());
        assert!(decode(&[]).is_none());
        let mut other = blob.clone();
        other[0] = 2;
        assert!(decode(&other).is_none());
        let mut bad_type = blob;
        bad_type[RECORD] = 9;
        assert!(decode(&bad_type).is_none());
    }
}
