//! Turning raw input text into domain values, with a typed error naming the field.
//! Inputs arrive as text from the window and the CLI alike, so this is the one place
//! where "2026-02-30", "-5" or "maybe" is rejected.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use crate::error::{ClinicError, Result, ValidationRule as Rule};

/// Trims; empty becomes `None`; longer than `max` chars is an error.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(ClinicError::validation(
            field,
            Rule::TooLong,
            format!("at most {max} characters"),
        ));
    }
    Ok(Some(v.to_string()))
}

pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    optional_text(field, Some(value), max)?
        .ok_or_else(|| ClinicError::validation(field, Rule::Required, "is required"))
}

/// A calendar date `YYYY-MM-DD`, not after `today` and not before 1900.
pub fn past_date(field: &str, value: Option<&str>, today: NaiveDate) -> Result<Option<NaiveDate>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let looks_like_date = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    if !looks_like_date {
        return Err(ClinicError::validation(
            field,
            Rule::InvalidFormat,
            format!("{v:?} is not a date like 1980-05-17"),
        ));
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        ClinicError::validation(
            field,
            Rule::InvalidDate,
            format!("{v} is not a real calendar date"),
        )
    })?;
    if date > today {
        return Err(ClinicError::validation(
            field,
            Rule::InFuture,
            format!("{v} is in the future"),
        ));
    }
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid") {
        return Err(ClinicError::validation(
            field,
            Rule::OutOfRange,
            format!("{v} is before 1900"),
        ));
    }
    Ok(Some(date))
}

/// A date-time with an explicit UTC offset: RFC 3339, seconds optional
/// (`2026-11-20T09:30+08:00`, `2026-11-20 09:30:00+08:00`, `...Z`).
pub fn date_time(field: &str, value: &str) -> Result<DateTime<FixedOffset>> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ClinicError::validation(
            field,
            Rule::Required,
            "is required",
        ));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Ok(dt);
    }
    let normalised = v
        .replacen(' ', "T", 1)
        .replace('z', "Z")
        .replace('Z', "+00:00");
    for fmt in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&normalised, fmt) {
            return Ok(dt);
        }
    }
    // Tell "no time zone" apart from "not a date-time at all": the fix differs.
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if NaiveDateTime::parse_from_str(&normalised, fmt).is_ok() {
            return Err(ClinicError::validation(
                field,
                Rule::MissingTimeZone,
                format!("{v} has no time zone; write it like 2026-11-20T09:30+08:00"),
            ));
        }
    }
    Err(ClinicError::validation(
        field,
        Rule::InvalidDate,
        format!("{v:?} is not a real date and time like 2026-11-20T09:30+08:00"),
    ))
}

/// Money: a non-negative decimal with at most two decimal places, as minor units (fen, cents).
pub fn amount_minor(field: &str, value: Option<&str>) -> Result<Option<i64>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let cleaned: String = v.chars().filter(|c| *c != ',' && *c != '_').collect();
    let amount: Decimal = cleaned.parse().map_err(|_| {
        ClinicError::validation(
            field,
            Rule::InvalidFormat,
            format!("{v:?} is not an amount like 350.00"),
        )
    })?;
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(ClinicError::validation(
            field,
            Rule::Negative,
            "must not be negative",
        ));
    }
    if amount.normalize().scale() > 2 {
        return Err(ClinicError::validation(
            field,
            Rule::TooManyDecimals,
            "at most two decimal places",
        ));
    }
    let minor = (amount * Decimal::ONE_HUNDRED).trunc();
    let minor: i64 = minor
        .try_into()
        .ok()
        .filter(|m: &i64| *m <= 100_000_000_000) // one billion in major units
        .ok_or_else(|| ClinicError::validation(field, Rule::OutOfRange, "is too large"))?;
    Ok(Some(minor))
}

pub fn minor_to_decimal(minor: i64) -> Decimal {
    Decimal::new(minor, 2)
}

pub fn int_in_range(field: &str, value: Option<i64>, min: i64, max: i64) -> Result<Option<i64>> {
    match value {
        Some(v) if v < min || v > max => Err(ClinicError::validation(
            field,
            Rule::OutOfRange,
            format!("must be between {min} and {max}"),
        )),
        other => Ok(other),
    }
}

/// Parses a value of a closed set (sex, payment type, visit type).
pub fn one_of<T: Copy>(
    field: &str,
    value: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    parse(v).map(Some).ok_or_else(|| {
        ClinicError::validation(
            field,
            Rule::UnknownValue,
            format!("{v:?} is not one of {allowed}"),
        )
    })
}

pub fn email(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let v = optional_text(field, value, 254)?;
    if let Some(e) = &v {
        let ok = e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !e.contains(char::is_whitespace)
        });
        if !ok {
            return Err(ClinicError::validation(
                field,
                Rule::InvalidFormat,
                format!("{e:?} is not an email address"),
            ));
        }
    }
    Ok(v)
}

/// A phone number: digits with optional +, spaces, dashes, dots and brackets; 3 to 20 digits.
pub fn phone(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let v = optional_text(field, value, 32)?;
    if let Some(p) = &v {
        let allowed = p
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = p.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(3..=20).contains(&digits) {
            return Err(ClinicError::validation(
                field,
                Rule::InvalidFormat,
                format!("{p:?} is not a phone number"),
            ));
        }
    }
    Ok(v)
}

pub fn digits_only(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(amount_minor("a", Some("350.00")).unwrap(), Some(35000));
        assert_eq!(amount_minor("a", Some("1,234.5")).unwrap(), Some(123450));
        assert_eq!(amount_minor("a", Some(" ")).unwrap(), None);
        assert_eq!(
            amount_minor("a", Some("-1")).unwrap_err().rule,
            Some(Rule::Negative)
        );
        assert_eq!(
            amount_minor("a", Some("1.005")).unwrap_err().rule,
            Some(Rule::TooManyDecimals)
        );
        assert_eq!(
            amount_minor("a", Some("abc")).unwrap_err().rule,
            Some(Rule::InvalidFormat)
        );
        assert_eq!(minor_to_decimal(35000).to_string(), "350.00");
    }

    #[test]
    fn date_times_need_an_offset() {
        let dt = date_time("at", "2026-11-20T09:30+08:00").unwrap();
        assert_eq!(dt.to_rfc3339(), "2026-11-20T09:30:00+08:00");
        assert!(date_time("at", "2026-11-20 09:30:15Z").is_ok());
        assert_eq!(
            date_time("at", "2026-11-20T09:30").unwrap_err().rule,
            Some(Rule::MissingTimeZone)
        );
        assert_eq!(
            date_time("at", "2026-02-30T09:30+08:00").unwrap_err().rule,
            Some(Rule::InvalidDate)
        );
    }

    #[test]
    fn dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(past_date("d", Some("1980-05-17"), today).unwrap().is_some());
        assert_eq!(
            past_date("d", Some("2026-02-30"), today).unwrap_err().rule,
            Some(Rule::InvalidDate)
        );
        assert_eq!(
            past_date("d", Some("2027-01-01"), today).unwrap_err().rule,
            Some(Rule::InFuture)
        );
        assert_eq!(
            past_date("d", Some("17/05/1980"), today).unwrap_err().rule,
            Some(Rule::InvalidFormat)
        );
    }

    #[test]
    fn phones_and_emails() {
        assert!(phone("p", Some("+86 138-1234-5678")).is_ok());
        assert!(phone("p", Some("call me")).is_err());
        assert!(email("e", Some("a@b.cn")).is_ok());
        assert!(email("e", Some("a@b")).is_err());
    }
}
