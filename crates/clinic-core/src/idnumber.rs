//! National / resident ID numbers: the mainland's 18-character resident identity number
//! (GB 11643, ISO 7064 MOD 11-2 check character, embedded birth date) and Taiwan's ID and
//! resident certificate numbers (a letter and nine digits with a weighted check digit).
//! Stored whole so they can be searched; shown masked.

use chrono::NaiveDate;

use crate::error::{ClinicError, Result, ValidationRule as Rule};
use crate::search::fold;

/// Which kind of number a valid ID is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Mainland,
    Taiwan,
}

/// Upper case, no spaces, full-width as ASCII; `None` when empty.
fn normalize(value: &str) -> Option<String> {
    let v: String = fold(value).to_uppercase().replace([' ', '-'], "");
    (!v.is_empty()).then_some(v)
}

fn mainland_valid(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 || !chars[..17].iter().all(char::is_ascii_digit) {
        return false;
    }
    let sum: u32 = chars[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    if CHECK[(sum % 11) as usize] != chars[17] {
        return false;
    }
    // The birth date inside must be a real date.
    NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").is_ok()
}

/// Letter codes, A=10 … Z=33, in the order the Ministry of the Interior assigned them.
fn taiwan_letter_code(c: char) -> Option<u32> {
    const ORDER: &str = "ABCDEFGHJKLMNPQRSTUVXYWZIO";
    ORDER.find(c).map(|i| i as u32 + 10)
}

fn taiwan_valid(id: &str) -> bool {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 10 || !chars[1..].iter().all(char::is_ascii_digit) {
        return false;
    }
    // 1/2: citizens (sex); 8/9: resident certificates in the 2021 format.
    if !matches!(chars[1], '1' | '2' | '8' | '9') {
        return false;
    }
    let Some(code) = taiwan_letter_code(chars[0]) else {
        return false;
    };
    let digits: Vec<u32> = chars[1..].iter().filter_map(|c| c.to_digit(10)).collect();
    let weights = [8, 7, 6, 5, 4, 3, 2, 1];
    let sum = code / 10
        + (code % 10) * 9
        + digits[..8]
            .iter()
            .zip(weights)
            .map(|(d, w)| d * w)
            .sum::<u32>()
        + digits[8];
    sum.is_multiple_of(10)
}

/// The kind of a valid ID number, or `None`.
pub fn kind(id: &str) -> Option<IdKind> {
    let id = normalize(id)?;
    if mainland_valid(&id) {
        Some(IdKind::Mainland)
    } else if taiwan_valid(&id) {
        Some(IdKind::Taiwan)
    } else {
        None
    }
}

/// Validates and normalises an ID number field.
pub fn validate(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(id) = value.and_then(normalize) else {
        return Ok(None);
    };
    if kind(&id).is_some() {
        return Ok(Some(id));
    }
    let looks_mainland = id.len() == 18;
    let looks_taiwan = id.len() == 10 && id.starts_with(|c: char| c.is_ascii_uppercase());
    let why = if looks_mainland || looks_taiwan {
        "the check digit does not match: a digit may be mistyped"
    } else {
        "not a mainland resident ID (18 characters) or a Taiwan ID (a letter and 9 digits)"
    };
    Err(ClinicError::validation(field, Rule::InvalidFormat, why))
}

/// For screens and printouts: the first two and last four characters, the rest as `*`.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 2 || i >= chars.len() - 4 {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_numbers() {
        // The standard's own example, and one with an X check character.
        assert_eq!(kind("11010519491231002X"), Some(IdKind::Mainland));
        assert_eq!(kind("110105194912310021"), None, "wrong check character");
        assert_eq!(kind("440524188001010014"), Some(IdKind::Mainland));
        assert_eq!(kind("11010519491331002X"), None, "month 13");
        assert_eq!(
            kind("１１０１０５１９４９１２３１００２ｘ"),
            Some(IdKind::Mainland),
            "full-width, lower-case x"
        );
    }

    #[test]
    fn taiwan_numbers() {
        assert_eq!(kind("A123456789"), Some(IdKind::Taiwan));
        assert_eq!(kind("a123456789"), Some(IdKind::Taiwan));
        assert_eq!(kind("A123456788"), None);
        assert_eq!(
            kind("A323456789"),
            None,
            "second digit must be 1, 2, 8 or 9"
        );
        assert_eq!(
            kind("A800000014"),
            Some(IdKind::Taiwan),
            "2021 resident certificate"
        );
    }

    #[test]
    fn validation_and_masking() {
        assert_eq!(
            validate("idNumber", Some(" a123456789 ")).unwrap(),
            Some("A123456789".into())
        );
        assert_eq!(validate("idNumber", Some("")).unwrap(), None);
        let e = validate("idNumber", Some("A123456788")).unwrap_err();
        assert!(e.message.contains("check digit"), "{}", e.message);
        let e = validate("idNumber", Some("E1234567")).unwrap_err();
        assert_eq!(e.rule, Some(Rule::InvalidFormat));
        assert_eq!(mask("11010519491231002X"), "11************002X");
        assert_eq!(mask("A123456789"), "A1****6789");
    }
}
