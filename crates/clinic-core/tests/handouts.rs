//! Handouts on paper: rendered PDFs read back with poppler (pdftotext, pdffonts).

use std::path::Path;
use std::process::Command;

use clinic_core::handouts::pdf::{render, PageFrame, Paper};
use clinic_core::handouts::template::parse;
use clinic_core::patients::Language;

fn frame(name: &str) -> PageFrame {
    PageFrame {
        clinic_name: "康健牙科诊所".into(),
        clinic_contact: "上海市徐汇区漕溪北路 88 号 · 021-5555 0000".into(),
        patient_line: format!("{name} · 46 岁 · 2026-11-24"),
    }
}

fn tool(name: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(file)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("{name} (poppler-utils) is needed: {e}"));
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_chinese_handout_reads_back_with_its_text_and_a_subset_font() {
    let t = parse("# 拔牙后注意事项\n\n张伟明，您好：拔牙后请咬紧纱布 30 分钟，（24 小时内）不要漱口。\n\n## 饮食\n\n- 温凉软食\n- 不要用吸管\n\n| 时间 | 做法 |\n|---|---|\n| 当天 | 冷敷 |\n\n> 出血不止请立即来电。\n\n```log\ncolumns: 日期 | 早上 | 晚上\nrows: 5\n```\n").unwrap();
    let pdf = render(&t, Language::ZhCn, false, Paper::A4, &frame("张伟明"));
    assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h.pdf");
    std::fs::write(&file, &pdf).unwrap();
    std::fs::write("/tmp/ho/h.pdf", &pdf).unwrap();
    let text = tool("pdftotext", &["-layout"], &file);
    let squeezed = text.replace(' ', "");
    for words in [
        "拔牙后注意事项",
        "张伟明",
        "不要用吸管",
        "第1/1页",
        "康健牙科诊所",
    ] {
        assert!(squeezed.contains(words), "{words} missing from:\n{text}");
    }
    let fonts = Command::new("pdffonts").arg(&file).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(
        fonts.lines().skip(2).all(|l| l.contains(" yes ")),
        "{fonts}"
    );
}
