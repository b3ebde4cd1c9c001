//! Handout speed and size: every built-in topic in every language and reading level, on A4,
//! rendered one after another (fonts parsed once per process, as in the app).
//!
//!     cargo bench -p clinic-core --bench handouts

use std::time::{Duration, Instant};

use clinic_core::handouts::pdf::{render, PageFrame, Paper};
use clinic_core::handouts::template::parse;
use clinic_core::handouts::{builtin, topics};
use clinic_core::patients::Language;

fn main() {
    let frame = PageFrame {
        clinic_name: "康健牙科诊所".into(),
        clinic_contact: "上海市徐汇区漕溪北路 88 号 · 021-5555 0000".into(),
        patient_line: "张伟明 · 46 岁 · 2026-11-24".into(),
        // With a logo, as a clinic that set one prints.
        logo: Some(std::sync::Arc::new(
            printpdf::RawImage::decode_from_bytes(
                include_bytes!("../tests/fixtures/logo.png"),
                &mut Vec::new(),
            )
            .expect("logo"),
        )),
        title: "Handout".into(),
    };
    let mut jobs = Vec::new();
    for topic in topics().expect("topics") {
        for language in [Language::ZhCn, Language::ZhTw, Language::En] {
            for plain in [false, true] {
                let text = builtin(&topic.id, language, plain).expect("text");
                jobs.push((
                    topic.id.clone(),
                    language,
                    plain,
                    parse(text).expect("parses"),
                ));
            }
        }
    }
    // The first render parses the two bundled faces (once per process).
    let t = Instant::now();
    render(&jobs[0].3, jobs[0].1, jobs[0].2, Paper::A4, &frame);
    let first = t.elapsed();

    let mut times: Vec<Duration> = Vec::new();
    let mut largest = (0usize, String::new());
    for (id, language, plain, t) in &jobs {
        let start = Instant::now();
        let pdf = render(t, *language, *plain, Paper::A4, &frame);
        times.push(start.elapsed());
        if pdf.len() > largest.0 {
            largest = (pdf.len(), format!("{id} {} plain={plain}", language.code()));
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let hundred = Instant::now();
    for i in 0..100 {
        let (_, language, plain, t) = &jobs[i % jobs.len()];
        render(t, *language, *plain, Paper::A4, &frame);
    }
    let hundred = hundred.elapsed();
    println!("| | figure |");
    println!("|---|---|");
    println!(
        "| first handout of a process (parses the fonts) | {:.0} ms |",
        ms(first)
    );
    println!(
        "| one handout, {} texts: median / max | {:.1} / {:.1} ms |",
        times.len(),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    println!(
        "| largest PDF ({}) | {:.0} KiB |",
        largest.1,
        largest.0 as f64 / 1024.0
    );
    println!(
        "| 100 handouts one after another | {:.2} s |",
        hundred.as_secs_f64()
    );
}
