//! Line breaking: where a line may end is Unicode's line-breaking algorithm (UAX #14, the
//! `unicode-linebreak` crate), which already keeps Chinese closing punctuation (，。、；：？！）」』)
//! off the start of a line and opening punctuation （「『 off its end, lets CJK break between
//! any two characters and Latin text at spaces. We add the measuring (the fonts' advances)
//! and what UAX #14 leaves open: a word longer than the line is cut, with a hyphen when it
//! is a Latin word.

use unicode_linebreak::{linebreaks, BreakOpportunity};

use super::fonts::Fonts;

/// `text` as lines no wider than `width` at font `size` (same unit). A newline in `text`
/// always ends a line. Spaces at the end of a line are dropped.
pub(crate) fn break_lines(text: &str, width: f32, size: f32, fonts: &Fonts) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        break_paragraph(paragraph, width, size, fonts, &mut lines);
    }
    lines
}

fn break_paragraph(text: &str, width: f32, size: f32, fonts: &Fonts, lines: &mut Vec<String>) {
    let fits = |s: &str| fonts.width(s.trim_end(), size) <= width + 0.001;
    let mut line = String::new();
    let mut start = 0;
    for (end, opportunity) in linebreaks(text) {
        // UAX #14 reports the end of the text as a mandatory break; we split newlines above.
        let segment = &text[start..end];
        start = end;
        if segment.is_empty() {
            continue;
        }
        let joined = format!("{line}{segment}");
        if fits(&joined) {
            line = joined;
        } else {
            if !line.trim_end().is_empty() {
                lines.push(line.trim_end().to_string());
            }
            let mut rest = segment.to_string();
            while !fits(&rest) {
                let (head, tail) = cut_word(&rest, width, size, fonts);
                lines.push(head);
                rest = tail;
            }
            line = rest;
        }
        if opportunity == BreakOpportunity::Mandatory && start < text.len() {
            lines.push(line.trim_end().to_string());
            line = String::new();
        }
    }
    // A blank paragraph still takes a line.
    if !line.trim_end().is_empty() || lines.is_empty() || text.is_empty() {
        lines.push(line.trim_end().to_string());
    }
}

/// Splits a word too long for any line: as many characters as fit (with a hyphen after a
/// Latin letter followed by another), the rest for the next line. At least one character
/// goes, so a line narrower than one character still ends.
fn cut_word(word: &str, width: f32, size: f32, fonts: &Fonts) -> (String, String) {
    let chars: Vec<char> = word.chars().collect();
    let mut take = 0;
    for n in 1..=chars.len() {
        let head: String = chars[..n].iter().collect();
        let hyphen = needs_hyphen(&chars, n);
        let shown = if hyphen { format!("{head}-") } else { head };
        if fonts.width(&shown, size) > width && n > 1 {
            break;
        }
        take = n;
    }
    let head: String = chars[..take].iter().collect();
    let tail: String = chars[take..].iter().collect();
    if needs_hyphen(&chars, take) {
        (format!("{head}-"), tail)
    } else {
        (head, tail)
    }
}

fn needs_hyphen(chars: &[char], n: usize) -> bool {
    n > 0 && n < chars.len() && chars[n - 1].is_ascii_alphabetic() && chars[n].is_ascii_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patients::Language;

    fn lines(text: &str, em_per_line: f32, language: Language) -> Vec<String> {
        break_lines(text, em_per_line * 10.0, 10.0, &Fonts::new(language))
    }

    const CLOSING: &str = "，。、；：？！）」』";
    const OPENING: &str = "（「『";

    #[test]
    fn closing_punctuation_never_starts_a_line_opening_never_ends_one() {
        // Every width from 3 to 12 characters: wherever the breaks fall, the rules hold.
        let text = "拔牙后（24小时内）请不要漱口、刷牙，也不要用吸管喝水。医生说：「咬住纱布30分钟！」出血多吗？请来电。";
        for width in 3..=12 {
            let out = lines(text, width as f32, Language::ZhCn);
            assert_eq!(out.concat(), text, "no character lost or added at {width}");
            for line in &out {
                let first = line.chars().next().unwrap();
                let last = line.chars().last().unwrap();
                assert!(
                    !CLOSING.contains(first),
                    "{line:?} starts with {first} at {width}"
                );
                assert!(
                    !OPENING.contains(last),
                    "{line:?} ends with {last} at {width}"
                );
                assert!(
                    Fonts::new(Language::ZhCn).width(line, 10.0) <= width as f32 * 10.0 + 0.01
                        || line.chars().count() == 1,
                    "{line:?} overflows {width}"
                );
            }
        }
    }

    #[test]
    fn cjk_breaks_anywhere_latin_at_spaces() {
        let out = lines("每天刷牙两次", 4.0, Language::ZhCn);
        assert_eq!(out, vec!["每天刷牙", "两次"]);
        let out = lines("Brush your teeth twice a day", 9.0, Language::En);
        assert!(
            out.iter().all(|l| !l.ends_with(' ') && !l.starts_with(' ')),
            "{out:?}"
        );
        assert_eq!(out.join(" "), "Brush your teeth twice a day");
        assert!(out.len() >= 2);
    }

    #[test]
    fn mixed_text_keeps_latin_words_whole() {
        let out = lines(
            "请每天测量血压（BP）并记录 systolic 与 diastolic 数值。",
            8.0,
            Language::ZhCn,
        );
        let all = out.join("\n");
        for word in ["systolic", "diastolic", "BP"] {
            assert!(out.iter().any(|l| l.contains(word)), "{word} cut: {all}");
        }
    }

    #[test]
    fn a_word_longer_than_the_line_is_hyphenated_and_fits() {
        let fonts = Fonts::new(Language::En);
        let out = break_lines(
            "Take amoxicillinclavulanatepotassium as prescribed",
            60.0,
            10.0,
            &fonts,
        );
        assert!(
            out.iter().filter(|l| l.ends_with('-')).count() >= 2,
            "{out:?}"
        );
        assert!(out.iter().all(|l| fonts.width(l, 10.0) <= 60.01), "{out:?}");
        let rejoined: String = out
            .iter()
            .map(|l| {
                l.strip_suffix('-')
                    .map(str::to_string)
                    .unwrap_or(format!("{l} "))
            })
            .collect();
        assert_eq!(
            rejoined.split_whitespace().collect::<Vec<_>>(),
            [
                "Take",
                "amoxicillinclavulanatepotassium",
                "as",
                "prescribed"
            ]
        );
        // Digits (a phone number, say) are cut without a hyphen.
        let out = break_lines("0912345678901234567890", 40.0, 10.0, &fonts);
        assert!(
            out.len() > 1 && out.iter().all(|l| !l.ends_with('-')),
            "{out:?}"
        );
    }

    #[test]
    fn newlines_end_lines_and_blank_lines_stay() {
        assert_eq!(
            lines("一\n\n二", 10.0, Language::ZhCn),
            vec!["一", "", "二"]
        );
    }
}
