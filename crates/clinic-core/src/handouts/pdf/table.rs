//! Tables on paper: column widths shared fairly, cells wrapped, borders drawn, the header
//! repeated on the page a table continues on; a log table (a diary) is its header and
//! empty rows of equal columns.

use super::{Mark, Pages};
use crate::handouts::layout::break_lines;

/// Column widths: each column's natural width when they all fit, else a fair share with
/// the rest given to the columns that need it.
fn column_widths(natural: &[f32], available: f32) -> Vec<f32> {
    let n = natural.len().max(1) as f32;
    let total: f32 = natural.iter().sum();
    if total <= available {
        let extra = (available - total) / n;
        return natural.iter().map(|w| w + extra).collect();
    }
    let fair = available / n;
    let small: f32 = natural.iter().filter(|w| **w <= fair).sum();
    let wide: f32 = natural.iter().filter(|w| **w > fair).sum();
    let left = available - small;
    natural
        .iter()
        .map(|w| if *w <= fair { *w } else { w / wide * left })
        .collect()
}

pub(super) fn table(
    p: &mut Pages,
    header: &[String],
    rows: &[Vec<String>],
    size: f32,
    log_rows: u32,
) {
    let pad = size * 0.45;
    let cols = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0))
        .max(1);
    let cell = |r: &[String], c: usize| r.get(c).cloned().unwrap_or_default();
    let natural: Vec<f32> = (0..cols)
        .map(|c| {
            std::iter::once(cell(header, c))
                .chain(rows.iter().map(|r| cell(r, c)))
                .map(|t| p.fonts.width(&t, size) + 2.0 * pad + 1.0)
                .fold(size * 3.0, f32::max)
        })
        .collect();
    let widths = if log_rows > 0 {
        vec![p.text_width() / cols as f32; cols]
    } else {
        column_widths(&natural, p.text_width())
    };
    let lh = Pages::line_height(size);
    let draw_row = |p: &mut Pages, cells: &[String], bold: bool, min_height: f32| {
        let wrapped: Vec<Vec<String>> = (0..cols)
            .map(|c| break_lines(&cell(cells, c), widths[c] - 2.0 * pad, size, &p.fonts))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = (lines as f32 * lh + pad).max(min_height);
        let top = p.y;
        let mut x = p.left();
        for (c, cell_lines) in wrapped.iter().enumerate() {
            for (i, line) in cell_lines.iter().enumerate() {
                let baseline = top + pad * 0.5 + i as f32 * lh + size * 1.1;
                p.mark(Mark::Text {
                    x: x + pad,
                    baseline,
                    size,
                    text: line.clone(),
                    bold,
                    grey: false,
                });
            }
            x += widths[c];
        }
        // Borders: the row's bottom and every column edge.
        let right = p.left() + widths.iter().sum::<f32>();
        p.mark(Mark::Rule {
            x1: p.left(),
            y1: top + height,
            x2: right,
            y2: top + height,
            width: 0.6,
        });
        let mut x = p.left();
        for w in std::iter::once(0.0).chain(widths.iter().copied()) {
            x += w;
            p.mark(Mark::Rule {
                x1: x,
                y1: top,
                x2: x,
                y2: top + height,
                width: 0.6,
            });
        }
        p.y = top + height;
        height
    };
    let header_height = |p: &Pages| {
        (0..cols)
            .map(|c| break_lines(&cell(header, c), widths[c] - 2.0 * pad, size, &p.fonts).len())
            .max()
            .unwrap_or(1) as f32
            * lh
            + pad
    };
    let top_rule = |p: &mut Pages| {
        let right = p.left() + widths.iter().sum::<f32>();
        let y = p.y;
        p.mark(Mark::Rule {
            x1: p.left(),
            y1: y,
            x2: right,
            y2: y,
            width: 0.9,
        });
    };
    // Rows written in by hand (a pen, often an older hand): at least 9 mm.
    let log_height = (lh * 1.4).max(super::mm(9.0));
    let first_row = if log_rows > 0 { log_height } else { lh + pad };
    p.ensure(header_height(p) + first_row);
    top_rule(p);
    draw_row(p, header, true, 0.0);
    let empty: Vec<String> = Vec::new();
    let body: Vec<&Vec<String>> = if log_rows > 0 {
        (0..log_rows).map(|_| &empty).collect()
    } else {
        rows.iter().collect()
    };
    for row in body {
        let need = if log_rows > 0 { log_height } else { lh * 2.0 };
        if p.room() < need {
            p.new_page();
            top_rule(p);
            draw_row(p, header, true, 0.0);
        }
        draw_row(p, row, false, if log_rows > 0 { log_height } else { 0.0 });
    }
    p.y += lh * 0.6;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_share_the_width_fairly() {
        assert_eq!(column_widths(&[10.0, 20.0], 60.0), vec![25.0, 35.0]);
        let w = column_widths(&[10.0, 200.0, 100.0], 150.0);
        assert!((w.iter().sum::<f32>() - 150.0).abs() < 0.01, "{w:?}");
        assert_eq!(w[0], 10.0);
        assert!(w[1] > w[2]);
    }
}
