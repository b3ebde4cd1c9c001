//! A handout on paper: pages laid out here (lines broken in `layout`, measured with the
//! bundled fonts), drawn with printpdf, which embeds only the glyphs used.
//!
//! Every page has the clinic's name and the patient's line at the top and the clinic's
//! address and phone with the page number at the bottom; a block that does not fit flows
//! to the next page (a table repeats its header there; a heading is never left alone at
//! the foot of a page).

use std::sync::Arc;

use printpdf::RawImage;

mod draw;
mod table;

use super::fonts::Fonts;
use super::layout::break_lines;
use super::template::{Block, Template};
use crate::patients::Language;
pub use draw::draw_all;
use table::table;

/// Paper sizes a clinic's printer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Paper {
    A4,
    A5,
}

impl Paper {
    /// Width and height in pt.
    fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (mm(210.0), mm(297.0)),
            Paper::A5 => (mm(148.0), mm(210.0)),
        }
    }

    fn margin(self) -> f32 {
        match self {
            Paper::A4 => mm(18.0),
            Paper::A5 => mm(12.0),
        }
    }

    /// Body text size in pt: larger for the plain-language variant.
    fn body(self, plain: bool) -> f32 {
        match (self, plain) {
            (Paper::A4, false) => 11.0,
            (Paper::A4, true) => 14.0,
            (Paper::A5, false) => 10.0,
            (Paper::A5, true) => 12.5,
        }
    }

    pub fn parse(text: &str) -> Option<Paper> {
        match text.to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "a5" => Some(Paper::A5),
            _ => None,
        }
    }
}

fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// What surrounds the text on every page.
#[derive(Debug, Clone, Default)]
pub struct PageFrame {
    pub clinic_name: String,
    /// Address and phone, for the foot of each page.
    pub clinic_contact: String,
    /// "张伟明 · 46 岁 · 2026-11-24", top right.
    pub patient_line: String,
    /// The clinic's logo, top left before its name (decoded once for a whole batch).
    pub logo: Option<Arc<RawImage>>,
    /// The PDF's title and author in its document properties.
    pub title: String,
}

/// The logo's height on the page; a very wide logo is narrowed to `LOGO_MAX_WIDTH`.
const LOGO_HEIGHT: f32 = 20.0;
const LOGO_MAX_WIDTH: f32 = 110.0;

/// The logo's size in pt, keeping its shape.
fn logo_size(image: &RawImage) -> (f32, f32) {
    let (w, h) = (image.width.max(1) as f32, image.height.max(1) as f32);
    let width = LOGO_HEIGHT * w / h;
    if width <= LOGO_MAX_WIDTH {
        (width, LOGO_HEIGHT)
    } else {
        (LOGO_MAX_WIDTH, LOGO_MAX_WIDTH * h / w)
    }
}

/// Everything drawn, in pt from the page's top-left (converted when drawn).
#[derive(Debug, Clone)]
enum Mark {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        text: String,
        bold: bool,
        grey: bool,
    },
    Rule {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    /// The handout's logo, its top-left corner at (x, top).
    Logo {
        x: f32,
        top: f32,
        width: f32,
        height: f32,
    },
}

struct Pages {
    fonts: Fonts,
    width: f32,
    height: f32,
    margin: f32,
    /// Where content starts and must end on every page.
    top: f32,
    bottom: f32,
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl Pages {
    fn left(&self) -> f32 {
        self.margin
    }

    fn text_width(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top;
    }

    fn room(&self) -> f32 {
        self.bottom - self.y
    }

    /// Makes room for `height`, on a new page if need be.
    fn ensure(&mut self, height: f32) {
        if self.room() < height && self.y > self.top {
            self.new_page();
        }
    }

    fn mark(&mut self, m: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(m);
        }
    }

    fn line_height(size: f32) -> f32 {
        size * 1.55
    }

    /// Lines of text at `x`, `width` wide, flowing over pages.
    fn text(&mut self, text: &str, x: f32, width: f32, size: f32, bold: bool) {
        let lh = Self::line_height(size);
        for line in break_lines(text, width, size, &self.fonts) {
            self.ensure(lh);
            let baseline = self.y + size * 1.1;
            self.mark(Mark::Text {
                x,
                baseline,
                size,
                text: line,
                bold,
                grey: false,
            });
            self.y += lh;
        }
    }
}

/// One handout laid out in pages, ready to draw alone or with others in one PDF.
pub struct Laid {
    pages: Pages,
    language: Language,
    frame: PageFrame,
    /// Drawn as laid out, without the header and footer (a sheet of labels).
    bare: bool,
}

impl Laid {
    pub fn page_count(&self) -> usize {
        self.pages.pages.len()
    }
}

/// Lays out and draws a whole handout.
pub fn render(
    template: &Template,
    language: Language,
    plain: bool,
    paper: Paper,
    frame: &PageFrame,
) -> Vec<u8> {
    draw_all(&[lay_out(template, language, plain, paper, frame)])
}

/// Lays out a handout in pages.
pub fn lay_out(
    template: &Template,
    language: Language,
    plain: bool,
    paper: Paper,
    frame: &PageFrame,
) -> Laid {
    let (width, height) = paper.size();
    let margin = paper.margin();
    let size = paper.body(plain);
    let mut p = Pages {
        fonts: Fonts::new(language),
        width,
        height,
        margin,
        top: margin + 26.0,
        bottom: height - margin - 18.0,
        pages: Vec::new(),
        y: 0.0,
    };
    p.new_page();

    // Title.
    let title_size = size * 1.7;
    p.text(&template.title, p.left(), p.text_width(), title_size, true);
    p.y += size * 0.4;

    let indent = size * 1.6;
    for block in &template.blocks {
        match block {
            Block::Heading(h) => {
                let hs = size * 1.25;
                p.y += size * 0.6;
                // Never a heading alone at the foot of a page.
                p.ensure(Pages::line_height(hs) + Pages::line_height(size) * 2.0);
                p.text(h, p.left(), p.text_width(), hs, true);
                p.y += size * 0.15;
            }
            Block::Paragraph(t) => {
                p.text(t, p.left(), p.text_width(), size, false);
                p.y += size * 0.5;
            }
            Block::List { ordered, items } => {
                for (i, item) in items.iter().enumerate() {
                    let label = if *ordered {
                        format!("{}.", i + 1)
                    } else {
                        "•".to_string()
                    };
                    p.ensure(Pages::line_height(size));
                    let baseline = p.y + size * 1.1;
                    let x = p.left() + size * 0.4;
                    p.mark(Mark::Text {
                        x,
                        baseline,
                        size,
                        text: label,
                        bold: false,
                        grey: false,
                    });
                    p.text(
                        item,
                        p.left() + indent,
                        p.text_width() - indent,
                        size,
                        false,
                    );
                    p.y += size * 0.2;
                }
                p.y += size * 0.4;
            }
            Block::Table { header, rows } => table(&mut p, header, rows, size * 0.92, 0),
            Block::Log { columns, rows } => table(&mut p, columns, &[], size * 0.92, *rows),
            Block::Note(t) => {
                let pad = size * 0.6;
                let lines = break_lines(t, p.text_width() - 2.0 * pad - 3.0, size, &p.fonts).len();
                let box_height = lines as f32 * Pages::line_height(size) + 2.0 * pad;
                p.ensure(box_height.min(p.bottom - p.top));
                let start_page = p.pages.len();
                let top = p.y;
                p.y += pad;
                p.text(
                    t,
                    p.left() + pad + 3.0,
                    p.text_width() - 2.0 * pad - 3.0,
                    size,
                    true,
                );
                p.y += pad;
                // A bar down the left edge and a frame, when the note stayed on one page.
                if p.pages.len() == start_page {
                    let (l, r, b) = (p.left(), p.left() + p.text_width(), p.y);
                    for (x1, y1, x2, y2, w) in [
                        (l, top, r, top, 0.8),
                        (l, b, r, b, 0.8),
                        (r, top, r, b, 0.8),
                        (l + 1.2, top, l + 1.2, b, 3.0),
                    ] {
                        p.mark(Mark::Rule {
                            x1,
                            y1,
                            x2,
                            y2,
                            width: w,
                        });
                    }
                }
                p.y += size * 0.8;
            }
        }
    }
    Laid {
        pages: p,
        language,
        frame: frame.clone(),
        bare: false,
    }
}

/// A sheet of address labels: A4 with 3 × 8 labels of 70 × 37 mm (the common 24-up sheet,
/// no margins), each label's lines (the first, the name, in bold) wrapped to its width; what
/// does not fit a label is cut rather than run into the next.
pub fn address_labels(labels: &[Vec<String>], language: Language, title: &str) -> Vec<u8> {
    const COLUMNS: usize = 3;
    const PER_PAGE: usize = 24;
    let (width, height) = Paper::A4.size();
    let mut p = Pages {
        fonts: Fonts::new(language),
        width,
        height,
        margin: 0.0,
        top: 0.0,
        bottom: height,
        pages: Vec::new(),
        y: 0.0,
    };
    let (label_w, label_h) = (width / COLUMNS as f32, height / (PER_PAGE / COLUMNS) as f32);
    let pad = mm(6.0);
    for (n, lines) in labels.iter().enumerate() {
        if n % PER_PAGE == 0 {
            p.new_page();
        }
        let slot = n % PER_PAGE;
        let x = (slot % COLUMNS) as f32 * label_w + pad;
        let top = (slot / COLUMNS) as f32 * label_h + pad;
        let floor = top + label_h - 2.0 * pad;
        let mut y = top;
        for (i, line) in lines.iter().enumerate() {
            let size = if i == 0 { 11.0 } else { 9.5 };
            for part in break_lines(line, label_w - 2.0 * pad, size, &p.fonts) {
                if y + size * 1.2 > floor + size {
                    break;
                }
                p.mark(Mark::Text {
                    x,
                    baseline: y + size * 1.1,
                    size,
                    text: part,
                    bold: i == 0,
                    grey: false,
                });
                y += size * 1.4;
            }
        }
    }
    draw_all(&[Laid {
        pages: p,
        language,
        frame: PageFrame {
            title: title.to_string(),
            ..PageFrame::default()
        },
        bare: true,
    }])
}
