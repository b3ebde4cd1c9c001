//! Laid-out pages onto paper: each handout's header and footer added, then every mark drawn
//! with printpdf, the bundled faces embedded once for the whole document.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, RawImage, Rgb, TextItem, TextRenderingMode, XObjectId,
    XObjectTransform,
};

use super::{logo_size, Laid, Mark};
use crate::handouts::fonts::Face;
use crate::handouts::layout::break_lines;
use crate::patients::Language;

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
