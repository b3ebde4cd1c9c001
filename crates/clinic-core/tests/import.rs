//! Importing patients from the files clinics actually have, into a real encrypted file.
//! Fixtures (tests/fixtures): the same ten rows as UTF-8, UTF-8 with BOM, GBK and an XLSX
//! saved by Gnumeric; a Big5 file from Taiwan; a truncated CSV; bytes that are no table.

use clinic_core::import::{
    read_table, ImportField, ImportPatients, ImportReport, ProblemKind, TextEncoding,
};
use clinic_core::patients::{CreatePatient, ListPatients, PatientInput, SearchPatients};
mod common;

use clinic_core::{Actor, Clinic, ErrorCode, ValidationRule};
use common::clinic;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn import(c: &Clinic, file: &str, dry_run: bool) -> ImportReport {
    let table = read_table(&fixture(file), TextEncoding::Auto).unwrap();
    c.execute(
        &Actor::owner(),
        ImportPatients {
            table,
            mapping: None,
            dry_run,
        },
    )
    .unwrap()
}

fn names(c: &Clinic) -> Vec<String> {
    let mut v: Vec<String> = c
        .execute(
            &Actor::owner(),
            ListPatients {
                include_archived: true,
                limit: 1000,
                offset: 0,
            },
        )
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    v.sort();
    v
}

fn find(c: &Clinic, q: &str) -> clinic_core::patients::Patient {
    let id = c
        .execute(
            &Actor::owner(),
            SearchPatients {
                query: q.into(),
                limit: 5,
            },
        )
        .unwrap()[0]
        .id;
    c.execute(&Actor::owner(), clinic_core::patients::GetPatient(id))
        .unwrap()
}

/// Problems as (row, kind, field, rule).
fn problems(r: &ImportReport) -> Vec<(u32, ProblemKind, Option<String>, Option<ValidationRule>)> {
    r.problems
        .iter()
        .map(|p| (p.row, p.kind, p.field.clone(), p.rule))
        .collect()
}

fn mainland_problems() -> Vec<(u32, ProblemKind, Option<String>, Option<ValidationRule>)> {
    vec![
        (
            6,
            ProblemKind::Invalid,
            Some("birthDate".into()),
            Some(ValidationRule::InvalidDate),
        ),
        (
            7,
            ProblemKind::Invalid,
            Some("phone".into()),
            Some(ValidationRule::InvalidFormat),
        ),
        (
            8,
            ProblemKind::Invalid,
            Some("paymentType".into()),
            Some(ValidationRule::UnknownValue),
        ),
        (9, ProblemKind::DuplicateInFile, Some("name".into()), None),
    ]
}

#[test]
fn utf8_bom_and_gbk_files_give_the_same_patients() {
    for (file, read_as) in [
        ("patients-utf8.csv", "UTF-8"),
        ("patients-utf8-bom.csv", "UTF-8"),
        ("patients-gbk.csv", "gb18030"),
    ] {
        let (_t, c) = clinic();
        let dry = import(&c, file, true);
        assert!(
            dry.read_as.eq_ignore_ascii_case(read_as),
            "{file}: {}",
            dry.read_as
        );
        assert_eq!(dry.total_rows, 8, "{file}: the blank line is not a row");
        assert_eq!(dry.new_patients, 4, "{file}");
        assert_eq!(problems(&dry), mainland_problems(), "{file}");
        assert!(!dry.imported);
        assert!(names(&c).is_empty(), "{file}: a dry run writes nothing");

        let done = import(&c, file, false);
        assert!(done.imported);
        assert_eq!(names(&c), vec!["孙丽", "张伟明", "李娜", "王芳"], "{file}");
        let zhang = find(&c, "zwm");
        assert_eq!(zhang.birth_date.unwrap().to_string(), "1980-05-17");
        assert_eq!(zhang.allergies[0].substance, "青霉素");
        assert_eq!(zhang.payment_type.unwrap().code(), "public-insurance");
        let wang = find(&c, "王芳");
        assert_eq!(
            wang.phone.as_deref(),
            Some("13600002222"),
            "full-width digits"
        );
        assert_eq!(wang.birth_date.unwrap().to_string(), "1975-02-08");
        let sun = find(&c, "孙丽");
        assert_eq!(
            sun.birth_date.unwrap().to_string(),
            "1990-01-01",
            "Excel serial date"
        );
        assert_eq!(
            find(&c, "1111").name,
            "李娜",
            "+86 phone found by its last digits"
        );
    }
}

#[test]
fn an_xlsx_saved_by_a_spreadsheet_program() {
    let (_t, c) = clinic();
    let report = import(&c, "patients-gnumeric.xlsx", false);
    assert_eq!(report.read_as, "XLSX");
    assert_eq!(report.total_rows, 8);
    assert_eq!(problems(&report), mainland_problems());
    assert_eq!(names(&c), vec!["孙丽", "张伟明", "李娜", "王芳"]);
    // The spreadsheet stored the phone as a number and the date as a date cell.
    assert_eq!(find(&c, "王芳").phone.as_deref(), Some("13600002222"));
    assert_eq!(
        find(&c, "zwm").birth_date.unwrap().to_string(),
        "1980-05-17"
    );
}

#[test]
fn big5_from_taiwan_with_roc_dates_and_id_numbers() {
    let (_t, c) = clinic();
    let report = import(&c, "patients-big5.csv", false);
    assert_eq!(report.read_as.to_lowercase(), "big5");
    assert_eq!(report.new_patients, 2);
    assert_eq!(
        problems(&report),
        vec![(
            4,
            ProblemKind::Invalid,
            Some("idNumber".into()),
            Some(ValidationRule::InvalidFormat)
        )]
    );
    assert_eq!(report.problems[0].column.as_deref(), Some("身分證字號"));
    let chen = find(&c, "陳美玲");
    assert_eq!(
        chen.birth_date.unwrap().to_string(),
        "1990-03-15",
        "民國79年"
    );
    assert_eq!(chen.id_number_masked.as_deref(), Some("A2****6781"));
    assert_eq!(
        find(&c, "林志明").birth_date.unwrap().to_string(),
        "1980-12-01",
        "69/12/1"
    );
    assert_eq!(find(&c, "0933111222").name, "林志明", "+886 dialled as 09…");
}

#[test]
fn a_second_import_updates_by_old_id_instead_of_duplicating() {
    let (_t, c) = clinic();
    import(&c, "patients-utf8.csv", false);
    let again = import(&c, "patients-utf8.csv", false);
    assert_eq!(again.new_patients, 0);
    assert_eq!(again.updated_patients, 4);
    assert_eq!(names(&c).len(), 4);
}

#[test]
fn a_patient_already_registered_is_flagged_not_duplicated() {
    let (_t, c) = clinic();
    let input = PatientInput {
        name: "张伟明".into(),
        phone: Some("13812345678".into()),
        ..Default::default()
    };
    c.execute(&Actor::owner(), CreatePatient::new(input))
        .unwrap();
    let report = import(&c, "patients-utf8.csv", false);
    let first = &report.problems[0];
    assert_eq!((first.row, first.kind), (2, ProblemKind::DuplicateExisting));
    assert_eq!(first.field.as_deref(), Some("phone"));
    assert_eq!(first.other.as_deref(), Some("张伟明"));
    assert_eq!(first.column.as_deref(), Some("手机"));
    // Row 9 (same name and birth date as row 2, another phone) is no longer a duplicate
    // within the file, since row 2 was not imported: it comes in as its own patient.
    assert_eq!(names(&c), vec!["孙丽", "张伟明", "张伟明", "李娜", "王芳"]);
}

#[test]
fn broken_files_are_clear_errors_and_change_nothing() {
    for file in ["patients-truncated.csv", "not-a-table.csv"] {
        let err = read_table(&fixture(file), TextEncoding::Auto).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadFile, "{file}: {}", err.message);
    }
    let err = read_table(b"PK\x03\x04 not really a zip", TextEncoding::Auto).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadFile);
    // A GBK file forced to be read as UTF-8 is refused, not imported as mojibake.
    let err = read_table(&fixture("patients-gbk.csv"), TextEncoding::Utf8).unwrap_err();
    assert_eq!(err.code, ErrorCode::BadFile);
    assert!(err.message.contains("encoding"), "{}", err.message);
}

#[test]
fn unknown_headers_need_a_mapping() {
    let (_t, c) = clinic();
    let table = read_table(
        "col1,col2\n张三,13800000000\n".as_bytes(),
        TextEncoding::Auto,
    )
    .unwrap();
    let err = c
        .execute(
            &Actor::owner(),
            ImportPatients {
                table: table.clone(),
                mapping: None,
                dry_run: true,
            },
        )
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("mapping"));
    let report = c
        .execute(
            &Actor::owner(),
            ImportPatients {
                table,
                mapping: Some(vec![Some(ImportField::Name), Some(ImportField::Phone)]),
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(report.new_patients, 1);
    assert_eq!(find(&c, "0000").name, "张三");
}

#[test]
fn the_template_in_every_language_maps_every_column_and_its_example_imports() {
    use clinic_core::import::{guess_mapping, template};
    use clinic_core::patients::Language;
    for lang in [Language::ZhCn, Language::ZhTw, Language::En] {
        let (_tmp, c) = clinic();
        let table = read_table(&template(lang), TextEncoding::Auto).unwrap();
        let mapping = guess_mapping(&table.headers);
        assert!(
            mapping.iter().all(Option::is_some),
            "{lang:?}: {:?} → {mapping:?}",
            table.headers
        );
        let report = c
            .execute(
                &Actor::owner(),
                ImportPatients {
                    table,
                    mapping: None,
                    dry_run: false,
                },
            )
            .unwrap();
        assert_eq!(
            (report.new_patients, report.problems.len()),
            (1, 0),
            "{lang:?}: {:?}",
            report.problems
        );
    }
}

#[test]
fn a_large_file_reports_progress_while_it_is_checked_and_imported() {
    use clinic_core::import::{ImportFile, ImportProgress, PROGRESS_EVERY};
    use std::sync::{Arc, Mutex};
    let (_tmp, c) = clinic();
    let rows = PROGRESS_EVERY * 2 + 5;
    let mut csv = String::from("姓名,手机\n");
    for i in 0..rows {
        csv.push_str(&format!("病人{i},139{i:08}\n"));
    }
    for dry_run in [true, false] {
        let seen: Arc<Mutex<Vec<ImportProgress>>> = Arc::default();
        let sink = seen.clone();
        let outcome = c
            .execute(
                &Actor::owner(),
                ImportFile {
                    bytes: csv.clone().into_bytes(),
                    encoding: TextEncoding::Auto,
                    mapping: None,
                    dry_run,
                    progress: Some(Box::new(move |p| sink.lock().unwrap().push(p))),
                },
            )
            .unwrap();
        assert_eq!(outcome.report.new_patients as usize, rows);
        let done: Vec<u32> = seen.lock().unwrap().iter().map(|p| p.done).collect();
        let every = PROGRESS_EVERY as u32;
        assert_eq!(
            done,
            vec![every, 2 * every, rows as u32],
            "dry run {dry_run}"
        );
        assert!(seen
            .lock()
            .unwrap()
            .iter()
            .all(|p| p.total == rows as u32 && p.dry_run == dry_run));
    }
}

#[test]
fn past_visits_import_for_known_patients_and_a_second_import_adds_nothing() {
    use clinic_core::import::ImportVisits;
    use clinic_core::visits::ListVisits;
    let (_tmp, c) = clinic();
    let patients = "病历号,姓名,手机\nA1,张伟明,13812345678\nA2,王芳,13900001111\n";
    let table = read_table(patients.as_bytes(), TextEncoding::Auto).unwrap();
    c.execute(
        &Actor::owner(),
        ImportPatients {
            table,
            mapping: None,
            dry_run: false,
        },
    )
    .unwrap();
    let visits = "病历号,手机,就诊日期,科室,医生,类型,主诉,金额,满意度\n\
        A1,,2024/1/5 14:30,dental,林医生,初诊,牙痛,\"¥1,200.50\",5\n\
        ,139-0000-1111,民國113年2月1日,dental,,複診,,350,4\n\
        A9,,2024-03-01,dental,,,,,\n\
        A1,,2024-13-01,dental,,,,,\n\
        A1,,2024-03-02,dental,,,,-5,\n\
        A2,,2024-03-03,,,,,,\n";
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let run = |dry_run| {
        let table = read_table(visits.as_bytes(), TextEncoding::Auto).unwrap();
        c.execute(
            &Actor::owner(),
            ImportVisits {
                table,
                mapping: None,
                dry_run,
                offset,
                progress: None,
            },
        )
        .unwrap()
    };
    let dry = run(true);
    assert_eq!(
        (dry.new_visits, dry.problems.len()),
        (2, 4),
        "{:#?}",
        dry.problems
    );
    let why: Vec<(u32, Option<&str>, Option<ValidationRule>)> = dry
        .problems
        .iter()
        .map(|p| (p.row, p.field.as_deref(), p.rule))
        .collect();
    assert_eq!(
        why,
        vec![
            (4, Some("patientId"), Some(ValidationRule::UnknownValue)),
            (5, Some("at"), Some(ValidationRule::InvalidDate)),
            (6, Some("amount"), Some(ValidationRule::Negative)),
            (7, Some("department"), Some(ValidationRule::Required)),
        ]
    );
    let all = c
        .execute(
            &Actor::owner(),
            ListPatients {
                include_archived: false,
                limit: 10,
                offset: 0,
            },
        )
        .unwrap();
    let zhang = all.iter().find(|p| p.name == "张伟明").unwrap();
    assert!(
        c.execute(
            &Actor::owner(),
            ListVisits {
                patient_id: zhang.id
            }
        )
        .unwrap()
        .is_empty(),
        "a dry run writes nothing"
    );

    let done = run(false);
    assert_eq!(done.new_visits, 2);
    let v = c
        .execute(
            &Actor::owner(),
            ListVisits {
                patient_id: zhang.id,
            },
        )
        .unwrap();
    assert_eq!(v[0].at.to_rfc3339(), "2024-01-05T14:30:00+08:00");
    assert_eq!(v[0].visit_type.code(), "first");
    assert_eq!(
        v[0].amount.map(|a| a.to_string()).as_deref(),
        Some("1200.50")
    );
    let wang = all.iter().find(|p| p.name == "王芳").unwrap();
    let w = c
        .execute(
            &Actor::owner(),
            ListVisits {
                patient_id: wang.id,
            },
        )
        .unwrap();
    assert_eq!(
        w[0].at.to_rfc3339(),
        "2024-02-01T09:00:00+08:00",
        "民國 date, no time: 09:00 local"
    );

    let again = run(false);
    assert_eq!(again.new_visits, 0);
    assert_eq!(
        again
            .problems
            .iter()
            .filter(|p| p.message.contains("already recorded"))
            .count(),
        2
    );
}

#[test]
fn row_numbers_are_file_lines_for_lf_and_crlf_files_alike() {
    let (_tmp, c) = clinic();
    for ending in ["\n", "\r\n"] {
        let csv = [
            "姓名,手机",
            "",
            "张伟明,13812345678",
            "\"李\n娜\",x",
            ",1",
            "",
        ]
        .join(ending);
        let table = read_table(csv.as_bytes(), TextEncoding::Auto).unwrap();
        let r = c
            .execute(
                &Actor::owner(),
                ImportPatients {
                    table,
                    mapping: None,
                    dry_run: true,
                },
            )
            .unwrap();
        let rows: Vec<u32> = r.problems.iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![4, 6], "{ending:?}");
    }
}

#[test]
fn the_visits_template_imports_after_the_patients_template_in_every_language() {
    use clinic_core::import::{guess_visit_mapping, template, visits_template, ImportVisitsFile};
    use clinic_core::patients::Language;
    use clinic_core::visits::ListVisits;
    for lang in [Language::ZhCn, Language::ZhTw, Language::En] {
        let (_tmp, c) = clinic();
        let table = read_table(&visits_template(lang), TextEncoding::Auto).unwrap();
        assert!(
            guess_visit_mapping(&table.headers)
                .iter()
                .all(Option::is_some),
            "{lang:?}: every header recognised"
        );
        let table = read_table(&template(lang), TextEncoding::Auto).unwrap();
        let patients = c
            .execute(
                &Actor::owner(),
                ImportPatients {
                    table,
                    mapping: None,
                    dry_run: false,
                },
            )
            .unwrap();
        assert_eq!(patients.new_patients, 1);
        let outcome = c
            .execute(
                &Actor::owner(),
                ImportVisitsFile {
                    bytes: visits_template(lang),
                    encoding: TextEncoding::Auto,
                    mapping: None,
                    dry_run: false,
                    offset: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
                    progress: None,
                },
            )
            .unwrap();
        assert_eq!(
            (outcome.report.new_visits, outcome.report.problems.len()),
            (1, 0),
            "{lang:?}: {:?}",
            outcome.report.problems
        );
        let patient = &c
            .execute(
                &Actor::owner(),
                ListPatients {
                    include_archived: false,
                    limit: 1,
                    offset: 0,
                },
            )
            .unwrap()[0];
        let visits = c
            .execute(
                &Actor::owner(),
                ListVisits {
                    patient_id: patient.id,
                },
            )
            .unwrap();
        // 口腔科 and 牙科 are the window's "dental": they count with typed visits.
        assert_eq!(visits[0].department, "dental", "{lang:?}");
        assert_eq!(visits[0].at.to_rfc3339(), "2024-03-18T10:30:00+08:00");
    }
}

#[test]
fn a_visits_file_with_unknown_headers_imports_once_staff_map_the_columns() {
    use clinic_core::import::{ImportProgress, ImportVisitsFile, VisitImportField};
    use std::sync::{Arc, Mutex};
    let (_tmp, c) = clinic();
    let patients = "病历号,姓名\nA1,张伟明\n";
    let table = read_table(patients.as_bytes(), TextEncoding::Auto).unwrap();
    c.execute(
        &Actor::owner(),
        ImportPatients {
            table,
            mapping: None,
            dry_run: false,
        },
    )
    .unwrap();
    let file = "Chart,When,Where,Kind,Paid\nA1,2024-05-02,皮膚科,初診,300\nA1,2024-06-02,Implant centre,,900\n";
    let run = |mapping: Option<Vec<Option<VisitImportField>>>, dry_run| {
        let seen: Arc<Mutex<Vec<ImportProgress>>> = Arc::default();
        let log = seen.clone();
        let outcome = c.execute(
            &Actor::owner(),
            ImportVisitsFile {
                bytes: file.as_bytes().to_vec(),
                encoding: TextEncoding::Auto,
                mapping,
                dry_run,
                offset: chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
                progress: Some(Box::new(move |p| log.lock().unwrap().push(p))),
            },
        );
        let seen = seen.lock().unwrap().clone();
        (outcome, seen)
    };
    let (unmapped, _) = run(None, true);
    let e = unmapped.unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::Validation, Some("mapping"))
    );

    use VisitImportField::*;
    let mapping = vec![
        Some(RecordNo),
        Some(Date),
        Some(Department),
        Some(VisitType),
        Some(Amount),
    ];
    let (dry, seen) = run(Some(mapping.clone()), true);
    let dry = dry.unwrap();
    assert_eq!(dry.columns[3].field, Some(VisitType));
    assert_eq!(dry.columns[2].samples, vec!["皮膚科", "Implant centre"]);
    assert_eq!((dry.report.new_visits, dry.report.imported), (2, false));
    assert_eq!(seen.last().map(|p| (p.done, p.total)), Some((2, 2)));

    let (done, _) = run(Some(mapping), false);
    assert_eq!(done.unwrap().report.new_visits, 2);
    let zhang = find(&c, "张伟明");
    let visits = c
        .execute(
            &Actor::owner(),
            clinic_core::visits::ListVisits {
                patient_id: zhang.id,
            },
        )
        .unwrap();
    let mut departments: Vec<&str> = visits.iter().map(|v| v.department.as_str()).collect();
    departments.sort();
    // A known department in Traditional script becomes its code; the clinic's own stays.
    assert_eq!(departments, vec!["Implant centre", "dermatology"]);
}
