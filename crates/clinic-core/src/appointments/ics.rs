//! iCalendar (RFC 5545) for the appointment book: one VEVENT per appointment, times in UTC
//! (every calendar converts them to its own zone, no VTIMEZONE tables to ship), text
//! escaped, lines folded at 75 octets without splitting a character.

use chrono::{DateTime, Duration, Utc};

use super::{Appointment, AppointmentStatus};

pub fn calendar(clinic_name: &str, appointments: &[Appointment], stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: String| fold(&mut out, &s);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Clinic CRM//Appointments//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    if !clinic_name.trim().is_empty() {
        line(format!("X-WR-CALNAME:{}", escape(clinic_name.trim())));
    }
    for a in appointments {
        let start = a.starts_at.with_timezone(&Utc);
        let end = start + Duration::minutes(a.minutes.into());
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}@clinic-crm", a.id));
        line(format!("DTSTAMP:{}", utc(stamp)));
        line(format!("DTSTART:{}", utc(start)));
        line(format!("DTEND:{}", utc(end)));
        let summary = match &a.reason {
            Some(r) => format!("{} · {}", a.patient_name, r),
            None => a.patient_name.clone(),
        };
        line(format!("SUMMARY:{}", escape(&summary)));
        let mut details = vec![];
        if let Some(d) = &a.doctor {
            details.push(format!("Doctor: {d}"));
        }
        if let Some(p) = &a.patient_phone {
            details.push(format!("Phone: {p}"));
        }
        if let Some(n) = &a.note {
            details.push(n.clone());
        }
        if !details.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&details.join("\n"))));
        }
        if let Some(room) = &a.room {
            line(format!("LOCATION:{}", escape(room)));
        }
        let status = match a.status {
            AppointmentStatus::Scheduled => "TENTATIVE",
            AppointmentStatus::Cancelled
            | AppointmentStatus::NoShow
            | AppointmentStatus::Rescheduled => "CANCELLED",
            _ => "CONFIRMED",
        };
        line(format!("STATUS:{status}"));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT values: backslash, semicolon and comma escaped, newlines as `\n`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded so no physical line exceeds 75 octets (a continuation
/// starts with one space, which counts), ended by CRLF.
fn fold(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "牙".repeat(60));
        fold(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), long);
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
