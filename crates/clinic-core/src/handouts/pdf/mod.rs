//! A handout on paper: pages laid out here (lines broken in `layout`, measured with the
//! bundled fonts), drawn with printpdf, which embeds only the glyphs used.
//!
//! Every page has the clinic's name and the patient's line at the top and the clinic's
//! address and phone with the page number at the bottom; a block that does not fit flows
//! to the next page (a table repeats its header there; a heading is never left alone at
//! the foot of a page).

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, RawImage, Rgb, TextItem, TextRenderingMode, XObjectId,
    XObjectTransform,
};

mod table;

use super::fonts::{Face, Fonts};
use super::layout::break_lines;
use super::template::{Block, Template};
use crate::patients::Language;
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

fn page_label(language: Language, n: usize, of: usize) -> String {
    match language {
        Language::ZhCn => format!("第 {n} / {of} 页"),
        Language::ZhTw => format!("第 {n} / {of} 頁"),
        Language::En => format!("Page {n} of {of}"),
    }
}

/// The bundled faces parsed once per process (tens of milliseconds each).
fn parsed(face: Face) -> &'static ParsedFont {
    static SC: OnceLock<ParsedFont> = OnceLock::new();
    static TC: OnceLock<ParsedFont> = OnceLock::new();
    let cell = match face {
        Face::Sc => &SC,
        Face::Tc => &TC,
    };
    cell.get_or_init(|| {
        ParsedFont::from_bytes(face.bytes(), 0, &mut Vec::new()).expect("bundled font parses")
    })
}

/// A handout's pages with the header and footer added (page numbers count within it).
fn framed(laid: &Laid) -> Vec<Vec<Mark>> {
    let (p, language, frame) = (&laid.pages, laid.language, &laid.frame);
    if laid.bare {
        return p.pages.clone();
    }
    let total = p.pages.len();
    // The header and footer of every page, then which faces the text needs.
    let mut pages: Vec<Vec<Mark>> = p.pages.clone();
    for (i, marks) in pages.iter_mut().enumerate() {
        let (l, r) = (p.margin, p.width - p.margin);
        let head = p.margin + 12.0;
        let mut name_x = l;
        if let Some(logo) = &frame.logo {
            let (width, height) = logo_size(logo);
            // Centred on the name's line, resting just above the rule.
            marks.push(Mark::Logo {
                x: l,
                top: head + 4.0 - height,
                width,
                height,
            });
            name_x += width + 6.0;
        }
        marks.push(Mark::Text {
            x: name_x,
            baseline: head,
            size: 12.0,
            text: frame.clinic_name.clone(),
            bold: true,
            grey: false,
        });
        let pw = p.fonts.width(&frame.patient_line, 9.0);
        marks.push(Mark::Text {
            x: r - pw,
            baseline: head,
            size: 9.0,
            text: frame.patient_line.clone(),
            bold: false,
            grey: false,
        });
        marks.push(Mark::Rule {
            x1: l,
            y1: head + 6.0,
            x2: r,
            y2: head + 6.0,
            width: 0.8,
        });
        let foot = p.height - p.margin;
        marks.push(Mark::Rule {
            x1: l,
            y1: foot - 11.0,
            x2: r,
            y2: foot - 11.0,
            width: 0.4,
        });
        let label = page_label(language, i + 1, total);
        let lw = p.fonts.width(&label, 8.0);
        let contact: String = {
            // The contact line gives way to the page number.
            let room = r - l - lw - 12.0;
            break_lines(&frame.clinic_contact, room, 8.0, &p.fonts)
                .into_iter()
                .next()
                .unwrap_or_default()
        };
        marks.push(Mark::Text {
            x: l,
            baseline: foot,
            size: 8.0,
            text: contact,
            bold: false,
            grey: true,
        });
        marks.push(Mark::Text {
            x: r - lw,
            baseline: foot,
            size: 8.0,
            text: label,
            bold: false,
            grey: true,
        });
    }
    pages
}

/// Handouts drawn into one PDF, one after another (a day's batch prints in one go).
pub fn draw_all(docs: &[Laid]) -> Vec<u8> {
    let framed: Vec<Vec<Vec<Mark>>> = docs.iter().map(framed).collect();
    // Which faces the text needs: only those are embedded.
    let mut used: BTreeSet<u8> = BTreeSet::new();
    for (laid, pages) in docs.iter().zip(&framed) {
        for m in pages.iter().flatten() {
            if let Mark::Text { text, .. } = m {
                for (face, _) in laid.pages.fonts.runs(text) {
                    used.insert(face as u8);
                }
            }
        }
    }
    let first = docs.first().map(|d| &d.frame);
    let title = match docs.len() {
        1 => first.map(|f| f.title.clone()).unwrap_or_default(),
        n => format!(
            "{} × {n}",
            first.map(|f| f.clinic_name.as_str()).unwrap_or("")
        ),
    };
    let mut doc = PdfDocument::new(title.trim());
    // Document properties: who made it and when (not the 1970 default).
    let now = printpdf::OffsetDateTime::from_unix_timestamp(chrono::Utc::now().timestamp())
        .unwrap_or_else(|_| printpdf::OffsetDateTime::now_utc());
    doc.metadata.info.creation_date = now;
    doc.metadata.info.modification_date = now;
    doc.metadata.info.metadata_date = now;
    doc.metadata.info.author = first.map(|f| f.clinic_name.clone()).unwrap_or_default();
    doc.metadata.info.creator = "Clinic CRM".to_string();
    doc.metadata.info.producer = "Clinic CRM (printpdf)".to_string();
    // Each distinct logo once (a batch shares one).
    let mut logos: Vec<(Arc<RawImage>, XObjectId)> = Vec::new();
    for laid in docs {
        if let Some(logo) = &laid.frame.logo {
            if !logos.iter().any(|(l, _)| Arc::ptr_eq(l, logo)) {
                logos.push((logo.clone(), doc.add_image(logo)));
            }
        }
    }
    let mut ids: Vec<(Face, FontId)> = Vec::new();
    for face in [Face::Sc, Face::Tc] {
        if used.contains(&(face as u8)) {
            ids.push((face, doc.add_font(parsed(face))));
        }
    }
    let font_id = |face: Face| {
        ids.iter()
            .find(|(f, _)| *f == face)
            .map(|(_, id)| id.clone())
    };
    let black = Color::Rgb(Rgb {
        r: 0.1,
        g: 0.1,
        b: 0.1,
        icc_profile: None,
    });
    let grey = Color::Rgb(Rgb {
        r: 0.4,
        g: 0.4,
        b: 0.4,
        icc_profile: None,
    });
    let mut out_pages = Vec::new();
    let every_page = docs
        .iter()
        .zip(&framed)
        .flat_map(|(laid, pages)| pages.iter().map(move |marks| (laid, marks)));
    for (laid, marks) in every_page {
        let p = &laid.pages;
        let mut ops = Vec::new();
        for m in marks {
            match m {
                Mark::Rule {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                } => {
                    ops.push(Op::SetOutlineColor { col: black.clone() });
                    ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                    ops.push(Op::DrawLine {
                        line: Line {
                            points: vec![
                                LinePoint {
                                    p: Point {
                                        x: Pt(*x1),
                                        y: Pt(p.height - y1),
                                    },
                                    bezier: false,
                                },
                                LinePoint {
                                    p: Point {
                                        x: Pt(*x2),
                                        y: Pt(p.height - y2),
                                    },
                                    bezier: false,
                                },
                            ],
                            is_closed: false,
                        },
                    });
                }
                Mark::Logo {
                    x,
                    top,
                    width,
                    height,
                } => {
                    let Some(logo) = &laid.frame.logo else {
                        continue;
                    };
                    let Some((_, id)) = logos.iter().find(|(l, _)| Arc::ptr_eq(l, logo)) else {
                        continue;
                    };
                    // At this dpi the image's pixels come out exactly `width` × `height` pt.
                    let dpi = logo.width.max(1) as f32 * 72.0 / width;
                    ops.push(Op::UseXobject {
                        id: id.clone(),
                        transform: XObjectTransform {
                            translate_x: Some(Pt(*x)),
                            translate_y: Some(Pt(p.height - top - height)),
                            dpi: Some(dpi),
                            ..Default::default()
                        },
                    });
                }
                Mark::Text {
                    x,
                    baseline,
                    size,
                    text,
                    bold,
                    grey: is_grey,
                } => {
                    if text.is_empty() {
                        continue;
                    }
                    let colour = if *is_grey {
                        grey.clone()
                    } else {
                        black.clone()
                    };
                    let mut cursor = *x;
                    for (face, run) in p.fonts.runs(text) {
                        let Some(id) = font_id(face) else { continue };
                        ops.push(Op::StartTextSection);
                        ops.push(Op::SetFillColor {
                            col: colour.clone(),
                        });
                        if *bold {
                            // Bold drawn by stroking the outline too: one face, no bold file.
                            ops.push(Op::SetOutlineColor {
                                col: colour.clone(),
                            });
                            ops.push(Op::SetOutlineThickness {
                                pt: Pt(size * 0.035),
                            });
                            ops.push(Op::SetTextRenderingMode {
                                mode: TextRenderingMode::FillStroke,
                            });
                        } else {
                            ops.push(Op::SetTextRenderingMode {
                                mode: TextRenderingMode::Fill,
                            });
                        }
                        ops.push(Op::SetFont {
                            font: PdfFontHandle::External(id),
                            size: Pt(*size),
                        });
                        ops.push(Op::SetTextCursor {
                            pos: Point {
                                x: Pt(cursor),
                                y: Pt(p.height - baseline),
                            },
                        });
                        ops.push(Op::ShowText {
                            items: vec![TextItem::Text(run.to_string())],
                        });
                        ops.push(Op::EndTextSection);
                        cursor += p.fonts.width(run, *size);
                    }
                }
            }
        }
        out_pages.push(PdfPage::new(
            Mm(p.width * 25.4 / 72.0),
            Mm(p.height * 25.4 / 72.0),
            ops,
        ));
    }
    doc.with_pages(out_pages).save(
        &PdfSaveOptions {
            subset_fonts: true,
            ..Default::default()
        },
        &mut Vec::new(),
    )
}
