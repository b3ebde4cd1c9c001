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
        ..Default::default()
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

mod common;

use clinic_core::handouts::{builtin, topics, ListHandoutsGiven, RenderHandout};
use clinic_core::patients::{CreatePatient, PatientInput};
use clinic_core::settings::{ClinicProfile, SetClinicProfile};
use clinic_core::{Actor, Clinic, ErrorCode};

fn write(dir: &Path, name: &str, pdf: &[u8]) -> std::path::PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, pdf).unwrap();
    file
}

/// Every word's box from `pdftotext -bbox`: (page width, xMin, xMax, word).
fn word_boxes(file: &Path) -> Vec<(f32, f32, f32, String)> {
    let html = tool("pdftotext", &["-bbox"], file);
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut width = 0.0;
    let mut out = Vec::new();
    for line in html.lines() {
        if line.contains("<page ") {
            width = attr(line, "width");
        }
        if line.contains("<word ") {
            let word = line
                .split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string();
            out.push((width, attr(line, "xMin"), attr(line, "xMax"), word));
        }
    }
    out
}

fn clinic_with_patient(input: PatientInput) -> (tempfile::TempDir, Clinic, uuid::Uuid) {
    let (tmp, c) = common::clinic();
    c.execute(
        &Actor::owner(),
        SetClinicProfile(ClinicProfile {
            name: "康健牙科诊所".into(),
            address: "上海市徐汇区漕溪北路 88 号".into(),
            phone: "021-5555 0000".into(),
        }),
    )
    .unwrap();
    let p = c
        .execute(&Actor::owner(), CreatePatient::new(input))
        .unwrap();
    (tmp, c, p.id)
}

#[test]
fn every_built_in_topic_renders_in_three_languages_both_reading_levels() {
    use clinic_core::handouts::pdf::{render, Paper};
    use clinic_core::handouts::template::parse;
    let all = topics().unwrap();
    assert!(all.len() >= 2, "{all:?}");
    let dir = tempfile::tempdir().unwrap();
    for topic in &all {
        for language in [Language::ZhCn, Language::ZhTw, Language::En] {
            for plain in [false, true] {
                let text = builtin(&topic.id, language, plain).unwrap();
                let t = parse(text).unwrap();
                for paper in [Paper::A4, Paper::A5] {
                    let pdf = render(&t, language, plain, paper, &frame("陳堃明"));
                    assert!(
                        pdf.len() < 300 * 1024,
                        "{} {language:?}: {} bytes",
                        topic.id,
                        pdf.len()
                    );
                    let file = write(dir.path(), "t.pdf", &pdf);
                    // No word reaches into the margins (12 mm on A5 = 34 pt; 1 pt slack).
                    for (width, x_min, x_max, word) in word_boxes(&file) {
                        assert!(
                            x_min >= 33.0 && x_max <= width - 33.0,
                            "{} {language:?} plain={plain} {paper:?}: {word:?} at {x_min}-{x_max} of {width}",
                            topic.id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_patients_handout_has_their_name_and_the_title_in_their_language_and_is_recorded() {
    let (_tmp, c, id) = clinic_with_patient(PatientInput {
        name: "陳美玲".into(),
        birth_date: Some("1958-03-09".into()),
        preferred_language: Some("zh-TW".into()),
        education: Some("primary".into()),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let owner = Actor::owner();
    // The patient's own language and, with primary schooling, the plain text.
    let mine = c
        .execute(
            &owner,
            RenderHandout {
                patient_id: id,
                topic: "hypertension-home-care".into(),
                language: None,
                plain: None,
                paper: clinic_core::handouts::pdf::Paper::A4,
            },
        )
        .unwrap();
    assert_eq!((mine.language, mine.plain), (Language::ZhTw, true));
    let text = tool("pdftotext", &[], &write(dir.path(), "tw.pdf", &mine.pdf)).replace(' ', "");
    for words in ["陳美玲", "高血壓：在家怎麼做", "血壓紀錄", "康健牙科诊所"]
    {
        assert!(text.contains(words), "{words}:\n{text}");
    }
    for (language, title) in [
        (Language::ZhCn, "高血压居家护理与血压记录"),
        (
            Language::En,
            "High Blood Pressure: Home Care and Blood-Pressure Diary",
        ),
    ] {
        let h = c
            .execute(
                &owner,
                RenderHandout {
                    patient_id: id,
                    topic: "hypertension-home-care".into(),
                    language: Some(language),
                    plain: Some(false),
                    paper: clinic_core::handouts::pdf::Paper::A5,
                },
            )
            .unwrap();
        let file = write(dir.path(), "h.pdf", &h.pdf);
        let text = tool("pdftotext", &[], &file);
        // pdftotext joins a title broken after "Blood-" without its hyphen.
        let squeeze = |s: &str| s.replace([' ', '\n', '-'], "");
        assert!(squeeze(&text).contains("陳美玲"), "{text}");
        assert!(squeeze(&text).contains(&squeeze(title)), "{title}:\n{text}");
    }
    let given = c
        .execute(&owner, ListHandoutsGiven { patient_id: id })
        .unwrap();
    assert_eq!(given.len(), 3);
    assert_eq!(given[2].language, Language::ZhTw);
    assert!(given[2].plain && given.iter().all(|g| g.given_by == owner.name));

    let e = c
        .execute(
            &owner,
            RenderHandout {
                patient_id: id,
                topic: "astrology".into(),
                language: None,
                plain: None,
                paper: clinic_core::handouts::pdf::Paper::A4,
            },
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::Validation, Some("topic"))
    );
}

#[test]
fn a_long_text_flows_over_five_pages_with_numbers_on_each() {
    use clinic_core::handouts::pdf::{render, Paper};
    use clinic_core::handouts::template::parse;
    let mut source = String::from("# 很长的单张\n\n");
    for i in 1..=40 {
        source.push_str(&format!("## 第 {i} 节\n\n每天刷牙两次，每次两分钟，使用含氟牙膏。晚上睡前刷牙最重要。牙线每天用一次，清洁牙缝。\n\n- 第一点\n- 第二点\n\n"));
    }
    source.push_str("| 时间 | 做法 |\n|---|---|\n");
    for i in 1..=30 {
        source.push_str(&format!("| 第 {i} 天 | 冷敷 |\n"));
    }
    let pdf = render(
        &parse(&source).unwrap(),
        Language::ZhCn,
        false,
        Paper::A4,
        &frame("张伟明"),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "long.pdf", &pdf);
    let info = Command::new("pdfinfo").arg(&file).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 5, "{pages} pages");
    let text = tool("pdftotext", &[], &file).replace(' ', "");
    for n in 1..=pages {
        assert!(text.contains(&format!("第{n}/{pages}页")), "page {n}");
    }
    // The table's header is repeated on the page it continues on.
    assert!(text.matches("时间").count() >= 2, "{text}");
}

#[test]
fn recommendations_say_why_and_match_conditions_and_recent_treatments() {
    use clinic_core::handouts::{Reason, RecommendHandouts};
    use clinic_core::patients::ConditionInput;
    use clinic_core::visits::{AddVisit, VisitInput};
    let (_tmp, c, id) = clinic_with_patient(PatientInput {
        name: "张伟明".into(),
        birth_date: Some("1950-05-17".into()),
        education: Some("primary".into()),
        conditions: vec![ConditionInput {
            name: "原发性高血压".into(),
            icd10: Some("I10".into()),
            chronic: true,
            ..Default::default()
        }],
        ..Default::default()
    });
    let owner = Actor::owner();
    let none = c
        .execute(&owner, RecommendHandouts { patient_id: id })
        .unwrap();
    assert_eq!(
        none.iter().map(|r| r.topic.as_str()).collect::<Vec<_>>(),
        ["hypertension-home-care", "senior-falls-medicines"]
    );
    assert_eq!(
        none[1].reasons,
        vec![Reason::AgeGroup {
            group: "senior".into()
        }]
    );
    assert_eq!(
        none[0].reasons,
        vec![Reason::Condition {
            name: "原发性高血压".into(),
            chronic: true
        }]
    );
    assert!(none[0].plain, "primary schooling: the plain text");

    let three_days_ago = (chrono::Local::now() - chrono::Duration::days(3)).fixed_offset();
    let visit = |at: chrono::DateTime<chrono::FixedOffset>, treatment: &str| VisitInput {
        patient_id: id.to_string(),
        at: at.to_rfc3339(),
        department: "dental".into(),
        visit_type: "return".into(),
        treatment: Some(treatment.into()),
        ..Default::default()
    };
    c.execute(&owner, AddVisit(visit(three_days_ago, "右下智齿拔除")))
        .unwrap();
    let with_visit = c
        .execute(&owner, RecommendHandouts { patient_id: id })
        .unwrap();
    let extraction = with_visit
        .iter()
        .find(|r| r.topic == "tooth-extraction")
        .unwrap();
    assert_eq!(
        extraction.reasons,
        vec![Reason::RecentVisit {
            treatment: "拔除".into(),
            days: 3
        }]
    );
    // An extraction months ago is not a reason any more.
    let (_tmp2, c2, id2) = clinic_with_patient(PatientInput {
        name: "王芳".into(),
        ..Default::default()
    });
    let long_ago = (chrono::Local::now() - chrono::Duration::days(90)).fixed_offset();
    c2.execute(
        &owner,
        AddVisit(VisitInput {
            patient_id: id2.to_string(),
            ..visit(long_ago, "拔牙")
        }),
    )
    .unwrap();
    assert!(c2
        .execute(&owner, RecommendHandouts { patient_id: id2 })
        .unwrap()
        .is_empty());

    // Habits and work: a smoking office worker of 15.
    let (_tmp3, c3, id3) = clinic_with_patient(PatientInput {
        name: "李明".into(),
        birth_date: Some(
            (chrono::Local::now().date_naive() - chrono::Duration::days(15 * 366)).to_string(),
        ),
        smoking: Some("current".into()),
        work_pattern: Some("office".into()),
        ..Default::default()
    });
    let habits = c3
        .execute(&owner, RecommendHandouts { patient_id: id3 })
        .unwrap();
    let why = |topic: &str| {
        habits
            .iter()
            .find(|r| r.topic == topic)
            .map(|r| r.reasons.clone())
    };
    assert_eq!(
        why("quit-smoking"),
        Some(vec![Reason::Smoking {
            habit: "current".into()
        }])
    );
    assert_eq!(
        why("office-posture"),
        Some(vec![Reason::Work {
            pattern: "office".into()
        }])
    );
    assert_eq!(
        why("teen-habits"),
        Some(vec![Reason::AgeGroup {
            group: "teenager".into()
        }])
    );
    assert!(!habits[0].plain);
}

#[test]
fn a_batch_prints_many_patients_in_one_pdf_reports_progress_and_can_be_stopped() {
    use clinic_core::handouts::pdf::Paper;
    use clinic_core::handouts::{BatchItem, BatchProgress, RenderBatch};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let (_tmp, c, zhang) = clinic_with_patient(PatientInput {
        name: "张伟明".into(),
        ..Default::default()
    });
    let owner = Actor::owner();
    let chen = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "陳美玲".into(),
                preferred_language: Some("zh-TW".into()),
                ..Default::default()
            }),
        )
        .unwrap()
        .id;
    let item = |patient_id, topic: &str| BatchItem {
        patient_id,
        topic: topic.into(),
        language: None,
        plain: None,
    };
    let items = vec![
        item(zhang, "tooth-extraction"),
        item(chen, "hypertension-home-care"),
        item(chen, "eating-out"),
    ];
    let seen: Arc<Mutex<Vec<BatchProgress>>> = Arc::default();
    let log = seen.clone();
    let batch = c
        .execute(
            &owner,
            RenderBatch {
                items: items.clone(),
                paper: Paper::A4,
                progress: Some(Box::new(move |p| log.lock().unwrap().push(p))),
                cancel: None,
            },
        )
        .unwrap();
    assert_eq!(batch.handouts, 3);
    let done: Vec<u32> = seen.lock().unwrap().iter().map(|p| p.done).collect();
    assert_eq!(done, [1, 2, 3]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "batch.pdf", &batch.pdf);
    let info = Command::new("pdfinfo").arg(&file).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pages, batch.pages);
    let text = tool("pdftotext", &[], &file).replace(' ', "");
    // Each handout in its patient's language, numbered from its own first page.
    for words in [
        "张伟明",
        "拔牙后注意事项",
        "陳美玲",
        "高血壓居家照護與血壓紀錄",
        "外食也能吃得健康",
    ] {
        assert!(text.contains(words), "{words}");
    }
    assert!(
        text.contains("第1/1页") && text.contains("第1/2頁"),
        "{text}"
    );
    let given = |id| {
        c.execute(&owner, ListHandoutsGiven { patient_id: id })
            .unwrap()
            .len()
    };
    assert_eq!((given(zhang), given(chen)), (1, 2));

    // Stopped after the first handout: an error, and nothing recorded.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let e = c
        .execute(
            &owner,
            RenderBatch {
                items,
                paper: Paper::A5,
                progress: Some(Box::new(move |_| flag.store(true, Ordering::Relaxed))),
                cancel: Some(stop),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    // An empty batch is refused, and a bad topic anywhere in it stops the whole batch.
    let empty = c
        .execute(
            &owner,
            RenderBatch {
                items: vec![],
                paper: Paper::A4,
                progress: None,
                cancel: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        (empty.code, empty.field.as_deref()),
        (ErrorCode::Validation, Some("items"))
    );
    let bad = c
        .execute(
            &owner,
            RenderBatch {
                items: vec![item(zhang, "eating-out"), item(chen, "astrology")],
                paper: Paper::A4,
                progress: None,
                cancel: None,
            },
        )
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("topic"));
    assert_eq!(
        (given(zhang), given(chen)),
        (1, 2),
        "nothing recorded for a failed batch"
    );
    assert_eq!(
        (given(zhang), given(chen)),
        (1, 2),
        "a stopped batch writes nothing"
    );
}

fn render_for(c: &Clinic, id: uuid::Uuid, topic: &str, language: Language) -> Vec<u8> {
    c.execute(
        &Actor::owner(),
        RenderHandout {
            patient_id: id,
            topic: topic.into(),
            language: Some(language),
            plain: Some(false),
            paper: clinic_core::handouts::pdf::Paper::A4,
        },
    )
    .unwrap()
    .pdf
}

#[test]
fn a_clinics_edited_text_is_printed_until_reset_and_a_broken_edit_keeps_the_last_good_one() {
    use clinic_core::handouts::pdf::Paper;
    use clinic_core::handouts::{
        GetTemplate, ListEditedTemplates, PreviewTemplate, ResetTemplate, SaveTemplate, TemplateKey,
    };
    let (_tmp, c, id) = clinic_with_patient(PatientInput {
        name: "张伟明".into(),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let owner = Actor::owner();
    let key = TemplateKey {
        topic: "tooth-extraction".into(),
        language: Language::ZhCn,
        plain: false,
    };
    let original = c.execute(&owner, GetTemplate(key.clone())).unwrap();
    assert!(!original.edited && original.updated_at.is_none());
    assert_eq!(
        original.source,
        builtin("tooth-extraction", Language::ZhCn, false).unwrap()
    );

    // Copy, edit, save: printed from now on, in that language only.
    let mine = original.source.replacen(
        "\n## ",
        "\n本诊所夜间急诊电话：{{clinic.phone}}（{{doctor}}值班）。\n\n## ",
        1,
    );
    let saved = c
        .execute(
            &owner,
            SaveTemplate {
                key: key.clone(),
                source: mine.replace('\n', "\r\n"),
            },
        )
        .unwrap();
    assert!(saved.edited && saved.updated_by.as_deref() == Some(owner.name.as_str()));
    assert!(!saved.source.contains('\r'), "kept with plain newlines");
    let text = tool(
        "pdftotext",
        &[],
        &write(
            dir.path(),
            "mine.pdf",
            &render_for(&c, id, "tooth-extraction", Language::ZhCn),
        ),
    )
    .replace([' ', '\n'], "");
    assert!(text.contains("本诊所夜间急诊电话：021-55550000"), "{text}");
    let en = tool(
        "pdftotext",
        &[],
        &write(
            dir.path(),
            "en.pdf",
            &render_for(&c, id, "tooth-extraction", Language::En),
        ),
    );
    assert!(!en.contains("本诊所"), "{en}");
    assert_eq!(
        c.execute(&owner, ListEditedTemplates).unwrap(),
        vec![key.clone()]
    );

    // A mistake is refused with a clear message and the saved copy stays as it was.
    for (broken, rule) in [
        (
            mine.replace("{{clinic.phone}}", "{{clinic.fax}}"),
            "unknown placeholder",
        ),
        ("没有标题的单张\n".to_string(), "title"),
        ("# 只有标题\n".to_string(), "some text"),
        (format!("{mine}\n<script>x</script>\n"), "HTML"),
    ] {
        let e = c
            .execute(
                &owner,
                SaveTemplate {
                    key: key.clone(),
                    source: broken.clone(),
                },
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation, "{broken}");
        assert!(e.message.contains(rule), "{rule}: {}", e.message);
        let preview = c
            .execute(
                &owner,
                PreviewTemplate {
                    source: broken,
                    language: Language::ZhCn,
                    plain: false,
                    paper: Paper::A4,
                },
            )
            .unwrap_err();
        assert_eq!(preview.message, e.message);
    }
    assert_eq!(c.execute(&owner, GetTemplate(key.clone())).unwrap(), saved);

    // The live preview: filled for a sample patient, with the pages it would print on.
    let preview = c
        .execute(
            &owner,
            PreviewTemplate {
                source: mine.clone(),
                language: Language::ZhCn,
                plain: false,
                paper: Paper::A4,
            },
        )
        .unwrap();
    assert_eq!(preview.title, "拔牙后注意事项");
    let all = serde_json::to_string(&preview.blocks).unwrap();
    assert!(
        all.contains("021-5555 0000") && all.contains("李医生"),
        "{all}"
    );
    assert!(all.contains(r#""kind":"heading""#), "{all}");
    let a5 = c
        .execute(
            &owner,
            PreviewTemplate {
                source: mine,
                language: Language::ZhCn,
                plain: true,
                paper: Paper::A5,
            },
        )
        .unwrap();
    assert!(
        a5.pages > preview.pages,
        "{} vs {}",
        a5.pages,
        preview.pages
    );

    // Front desk may print but not change the clinic's texts.
    let e = c.execute(&desk(), ResetTemplate(key.clone())).unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    let e = c
        .execute(
            &owner,
            SaveTemplate {
                key: TemplateKey {
                    topic: "astrology".into(),
                    ..key.clone()
                },
                source: saved.source.clone(),
            },
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("topic"));

    // Reset: the built-in text again.
    let back = c.execute(&owner, ResetTemplate(key.clone())).unwrap();
    assert_eq!(back, original);
    assert!(c.execute(&owner, ListEditedTemplates).unwrap().is_empty());
    let text = tool(
        "pdftotext",
        &[],
        &write(
            dir.path(),
            "back.pdf",
            &render_for(&c, id, "tooth-extraction", Language::ZhCn),
        ),
    );
    assert!(!text.contains("本诊所"), "{text}");
}

#[test]
fn the_clinics_logo_is_printed_in_the_header_and_a_bad_image_is_refused() {
    use clinic_core::settings::{GetClinicLogo, SetClinicLogo};
    let (_tmp, c, id) = clinic_with_patient(PatientInput {
        name: "張美玲".into(),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let owner = Actor::owner();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let images = |pdf: &[u8]| -> Vec<String> {
        let file = write(dir.path(), "logo.pdf", pdf);
        let out = Command::new("pdfimages")
            .arg("-list")
            .arg(&file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(2)
            .map(str::to_string)
            .collect()
    };
    assert!(images(&render_for(&c, id, "eating-out", Language::ZhTw)).is_empty());

    for name in ["logo.png", "logo.jpg"] {
        let bytes = std::fs::read(fixtures.join(name)).unwrap();
        c.execute(&owner, SetClinicLogo(Some(bytes.clone())))
            .unwrap();
        assert_eq!(c.execute(&owner, GetClinicLogo).unwrap(), Some(bytes));
        let pdf = render_for(&c, id, "eating-out", Language::ZhTw);
        // Once in the file, drawn on every page (180 × 180 pixels; a PNG's transparency
        // comes as a second, "smask" image).
        let found: Vec<String> = images(&pdf)
            .into_iter()
            .filter(|l| l.split_whitespace().nth(2) == Some("image"))
            .collect();
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert!(found[0].contains(" 180   180 "), "{found:?}");
        assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
        let info = Command::new("pdfinfo")
            .arg(write(dir.path(), "i.pdf", &pdf))
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        // Document properties: the handout and the patient, made now (not in 1970).
        assert!(
            info.contains("張美玲") && info.contains("康健牙科诊所"),
            "{info}"
        );
        assert!(!info.contains("1970"), "{info}");
    }

    // Not an image, or too big: refused, and the logo stays.
    let kept = c.execute(&owner, GetClinicLogo).unwrap();
    for bad in [
        b"%PDF-1.7 not a picture".to_vec(),
        vec![0x89; 2 * 1024 * 1024],
    ] {
        let e = c.execute(&owner, SetClinicLogo(Some(bad))).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Validation, Some("logo"))
        );
    }
    assert_eq!(c.execute(&owner, GetClinicLogo).unwrap(), kept);
    let e = c.execute(&desk(), SetClinicLogo(None)).unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);

    c.execute(&owner, SetClinicLogo(None)).unwrap();
    assert_eq!(c.execute(&owner, GetClinicLogo).unwrap(), None);
    assert!(images(&render_for(&c, id, "eating-out", Language::ZhTw)).is_empty());
}

fn desk() -> Actor {
    Actor::with_role("前台小林", clinic_core::access::Role::FrontDesk)
}

#[test]
fn the_next_appointment_from_the_book_is_printed_on_the_handout() {
    let (_t, c, id) = clinic_with_patient(PatientInput {
        name: "王丽".into(),
        ..Default::default()
    });
    let owner = Actor::owner();
    let render = || {
        let pdf = c
            .execute(
                &owner,
                RenderHandout {
                    patient_id: id,
                    topic: "scaling-gum-care".into(),
                    language: Some(Language::ZhCn),
                    plain: Some(false),
                    paper: Paper::A4,
                },
            )
            .unwrap()
            .pdf;
        let dir = tempfile::tempdir().unwrap();
        tool("pdftotext", &[], &write(dir.path(), "next.pdf", &pdf)).replace(' ', "")
    };
    // No appointment: a line to write on.
    assert!(!render().contains("林医生"));
    let day = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
    c.execute(
        &owner,
        clinic_core::appointments::BookAppointment::new(
            clinic_core::appointments::AppointmentInput {
                patient_id: id.to_string(),
                at: format!("{day} 10:00"),
                doctor: Some("林医生".into()),
                allow_outside_hours: true,
                ..Default::default()
            },
        ),
    )
    .unwrap();
    let text = render();
    assert!(text.contains(&format!("{day}10:00林医生")), "{text}");
}
