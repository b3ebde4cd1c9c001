//! The two bundled faces (Noto Sans CJK SC and TC subsets, SIL OFL — see `fonts/`) and
//! text measured with their advances. Each character is drawn with the script's own face
//! when it has the glyph, else with the other one (the SC subset holds the whole CJK
//! Unified Ideographs block, the TC subset Big5's frequent hanzi: a rare character in a
//! Taiwanese name comes from the SC face rather than printing as a box).

use std::sync::OnceLock;

use crate::patients::Language;

pub(crate) static SC: &[u8] = include_bytes!("../../fonts/NotoSansCJKsc-Regular-subset.otf");
pub(crate) static TC: &[u8] = include_bytes!("../../fonts/NotoSansCJKtc-Regular-subset.otf");

/// Which bundled face draws a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Face {
    Sc,
    Tc,
}

impl Face {
    pub(crate) fn bytes(self) -> &'static [u8] {
        match self {
            Face::Sc => SC,
            Face::Tc => TC,
        }
    }

    /// The face a language reads best in: Taiwan's glyph shapes for zh-TW.
    pub(crate) fn for_language(language: Language) -> Face {
        match language {
            Language::ZhTw => Face::Tc,
            Language::ZhCn | Language::En => Face::Sc,
        }
    }

    fn other(self) -> Face {
        match self {
            Face::Sc => Face::Tc,
            Face::Tc => Face::Sc,
        }
    }
}

/// A bundled face, parsed once: glyph lookups are binary searches in its tables.
struct Metrics {
    face: ttf_parser::Face<'static>,
    upem: f32,
}

impl Metrics {
    fn load(face: Face) -> Metrics {
        // The bundled files are ours and parsed in tests: failing here is a build defect.
        let face = ttf_parser::Face::parse(face.bytes(), 0).expect("bundled font parses");
        let upem = f32::from(face.units_per_em());
        Metrics { face, upem }
    }

    /// Advance of `c` in em, if this face has it.
    fn advance(&self, c: char) -> Option<f32> {
        let glyph = self.face.glyph_index(c)?;
        Some(f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0)) / self.upem)
    }
}

fn metrics(face: Face) -> &'static Metrics {
    static SC_METRICS: OnceLock<Metrics> = OnceLock::new();
    static TC_METRICS: OnceLock<Metrics> = OnceLock::new();
    match face {
        Face::Sc => SC_METRICS.get_or_init(|| Metrics::load(Face::Sc)),
        Face::Tc => TC_METRICS.get_or_init(|| Metrics::load(Face::Tc)),
    }
}

/// Measures and assigns faces for one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fonts {
    pub primary: Face,
}

/// Width of a character neither face has: drawn as the missing-glyph box, one em wide.
const MISSING: f32 = 1.0;

impl Fonts {
    pub(crate) fn new(language: Language) -> Fonts {
        Fonts {
            primary: Face::for_language(language),
        }
    }

    /// The face that draws `c`, and its advance in em.
    pub(crate) fn glyph(&self, c: char) -> (Face, f32) {
        if let Some(w) = metrics(self.primary).advance(c) {
            return (self.primary, w);
        }
        let other = self.primary.other();
        match metrics(other).advance(c) {
            Some(w) => (other, w),
            None => (self.primary, MISSING),
        }
    }

    /// Width of `text` at `size` (any unit: the result is in the same one).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }

    /// Whether some face has `c`.
    #[cfg(test)]
    pub(crate) fn has(&self, c: char) -> bool {
        metrics(self.primary).advance(c).is_some()
            || metrics(self.primary.other()).advance(c).is_some()
    }

    /// `text` cut into runs drawn by one face each.
    pub(crate) fn runs<'a>(&self, text: &'a str) -> Vec<(Face, &'a str)> {
        let mut runs: Vec<(Face, &'a str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<Face> = None;
        for (i, c) in text.char_indices() {
            let face = self.glyph(c).0;
            match current {
                Some(f) if f == face => {}
                Some(f) => {
                    runs.push((f, &text[start..i]));
                    start = i;
                    current = Some(face);
                }
                None => current = Some(face),
            }
        }
        if let Some(f) = current {
            runs.push((f, &text[start..]));
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_script_draws_with_its_face_and_borrows_the_other_for_missing_hanzi() {
        let cn = Fonts::new(Language::ZhCn);
        let tw = Fonts::new(Language::ZhTw);
        assert_eq!(cn.glyph('张').0, Face::Sc);
        // Every character of a mainland text comes from the SC face.
        assert!("拔牙后注意事项：，。（）“”"
            .chars()
            .all(|c| cn.glyph(c).0 == Face::Sc));
        assert_eq!(tw.glyph('張').0, Face::Tc);
        // 堃 is in neither GB2312 nor Big5: both scripts still print it.
        assert_eq!(cn.glyph('堃').0, Face::Sc);
        assert_eq!(tw.glyph('堃').0, Face::Sc);
        assert!(
            cn.has('堃')
                && cn.has('喆')
                && cn.has('A')
                && cn.has('，')
                && cn.has('□')
                && cn.has('✓')
                && cn.has('℃')
        );
        // Full-width CJK is one em; Latin is narrower.
        assert!((cn.width("牙", 10.0) - 10.0).abs() < 0.01);
        assert!(cn.width("i", 10.0) < 4.0);
        assert_eq!(
            tw.runs("陳堃明"),
            vec![(Face::Tc, "陳"), (Face::Sc, "堃"), (Face::Tc, "明")]
        );
    }
}
