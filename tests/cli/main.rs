//! The `clinic` binary, run as an owner's script would run it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASS: &str = "correct horse battery";

fn clinic(dir: &Path, args: &[&str]) -> Output {
    clinic_with(dir, args, Some(PASS), None)
}

fn clinic_with(dir: &Path, args: &[&str], passphrase: Option<&str>, stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clinic"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("CLINIC_KEYCHAIN", "off")
        .env_remove("CLINIC_DATA_DIR");
    match passphrase {
        Some(p) => cmd.env("CLINIC_PASSPHRASE", p),
        None => cmd.env_remove("CLINIC_PASSPHRASE"),
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run clinic");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}\n{}", stderr(&o), stdout(&o));
    stdout(&o)
}

fn initialized() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    ok(clinic(tmp.path(), &["init"]));
    tmp
}

#[test]
fn init_reads_the_passphrase_from_stdin_and_refuses_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let out = clinic_with(tmp.path(), &["init"], None, Some("passphrase from stdin\n"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("cannot be recovered"));
    assert!(tmp.path().join("clinic.db").exists() && tmp.path().join("clinic.key").exists());
    // the same passphrase on stdin unlocks
    let list = clinic_with(
        tmp.path(),
        &["patient", "list"],
        None,
        Some("passphrase from stdin\n"),
    );
    assert!(list.status.success(), "{}", stderr(&list));

    let again = clinic(tmp.path(), &["init"]);
    assert_eq!(again.status.code(), Some(7));
    assert!(stderr(&again).contains("ALREADY_INITIALIZED"));
}

#[test]
fn patient_add_search_show_edit_and_visits() {
    let tmp = initialized();
    let dir = tmp.path();
    let id = ok(clinic(
        dir,
        &[
            "patient",
            "add",
            "--name",
            "张伟明",
            "--phone",
            "13812345678",
            "--birth-date",
            "1980-05-17",
            "--sex",
            "M",
            "--payment",
            "self-pay",
        ],
    ));
    let id = id.trim().to_string();
    assert_eq!(id.len(), 36, "prints the new id: {id}");

    let json: serde_json::Value = serde_json::from_str(&ok(clinic(
        dir,
        &[
            "--json",
            "patient",
            "add",
            "--name",
            "Margaret Thornbury",
            "--payment",
            "commercial-insurance",
        ],
    )))
    .unwrap();
    assert_eq!(json["name"], "Margaret Thornbury");
    assert_eq!(json["paymentType"], "commercial-insurance");

    let found = ok(clinic(dir, &["patient", "search", "伟明"]));
    assert!(found.contains(&id) && found.contains("张伟明"), "{found}");
    let by_phone: serde_json::Value = serde_json::from_str(&ok(clinic(
        dir,
        &["--json", "patient", "search", "1234567"],
    )))
    .unwrap();
    assert_eq!(by_phone.as_array().unwrap().len(), 1);
    assert_eq!(by_phone[0]["id"], id.as_str());

    let shown = ok(clinic(dir, &["patient", "show", &id]));
    assert!(
        shown.contains("1980-05-17") && shown.contains("self-pay"),
        "{shown}"
    );

    let edited: serde_json::Value = serde_json::from_str(&ok(clinic(
        dir,
        &[
            "--json",
            "patient",
            "edit",
            &id,
            "--allergies",
            "青霉素",
            "--phone",
            "",
        ],
    )))
    .unwrap();
    assert_eq!(edited["allergies"][0]["substance"], "青霉素");
    assert_eq!(
        edited["phone"],
        serde_json::Value::Null,
        "an empty flag clears the field"
    );
    assert_eq!(edited["birthDate"], "1980-05-17", "other fields are kept");

    let visit_id = ok(clinic(
        dir,
        &[
            "visit",
            "add",
            "--patient",
            &id,
            "--at",
            "2026-11-20T09:30+08:00",
            "--department",
            "dental",
            "--type",
            "return",
            "--amount",
            "350.00",
        ],
    ));
    ok(clinic(
        dir,
        &[
            "visit",
            "add",
            "--patient",
            &id,
            "--at",
            "2026-10-01T10:00+08:00",
            "--department",
            "dental",
            "--type",
            "first",
        ],
    ));
    let visits: serde_json::Value = serde_json::from_str(&ok(clinic(
        dir,
        &["--json", "visit", "list", "--patient", &id],
    )))
    .unwrap();
    let visits = visits.as_array().unwrap();
    assert_eq!(visits.len(), 2);
    assert_eq!(visits[0]["id"], visit_id.trim(), "newest first");
    assert_eq!(visits[0]["amount"], "350.00");
    assert_eq!(visits[0]["at"], "2026-11-20T09:30:00+08:00");

    let list: serde_json::Value =
        serde_json::from_str(&ok(clinic(dir, &["--json", "patient", "list"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    ok(clinic(dir, &["patient", "archive", &id]));
    let list: serde_json::Value =
        serde_json::from_str(&ok(clinic(dir, &["--json", "patient", "list"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let all: serde_json::Value =
        serde_json::from_str(&ok(clinic(dir, &["--json", "patient", "list", "--all"]))).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_gives_a_stable_code_and_exit_status_and_writes_nothing() {
    let tmp = initialized();
    let dir = tmp.path();
    let bad = clinic(
        dir,
        &[
            "patient",
            "add",
            "--name",
            "王芳",
            "--birth-date",
            "2026-02-30",
        ],
    );
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).starts_with("error[VALIDATION]: birthDate"),
        "{}",
        stderr(&bad)
    );
    assert!(stdout(&bad).is_empty());

    let bad = clinic(
        dir,
        &[
            "--json",
            "patient",
            "add",
            "--name",
            "王芳",
            "--payment",
            "cash",
        ],
    );
    assert_eq!(bad.status.code(), Some(3));
    let err: serde_json::Value = serde_json::from_str(&stderr(&bad)).unwrap();
    assert_eq!(err["code"], "VALIDATION");
    assert_eq!(err["field"], "paymentType");
    assert_eq!(err["rule"], "unknown_value");

    let empty = clinic(dir, &["patient", "add", "--name", "  "]);
    assert_eq!(empty.status.code(), Some(3));

    let id = ok(clinic(dir, &["patient", "add", "--name", "王芳"]))
        .trim()
        .to_string();
    let negative = clinic(
        dir,
        &[
            "visit",
            "add",
            "--patient",
            &id,
            "--at",
            "2026-11-20T09:30+08:00",
            "--department",
            "dental",
            "--type",
            "return",
            "--amount",
            "-5",
        ],
    );
    assert_eq!(negative.status.code(), Some(3));
    assert!(stderr(&negative).contains("amount"));
    let no_zone = clinic(
        dir,
        &[
            "visit",
            "add",
            "--patient",
            &id,
            "--at",
            "2026-11-20T09:30",
            "--department",
            "dental",
            "--type",
            "return",
        ],
    );
    assert_eq!(no_zone.status.code(), Some(3));
    assert!(
        stderr(&no_zone).contains("+08:00"),
        "the message says how to fix it"
    );

    let missing = clinic(
        dir,
        &["patient", "show", "00000000-0000-0000-0000-000000000000"],
    );
    assert_eq!(missing.status.code(), Some(4));
    assert!(stderr(&missing).contains("NOT_FOUND"));

    let no_name = clinic(dir, &["patient", "add"]);
    assert_eq!(no_name.status.code(), Some(3));
    assert!(stderr(&no_name).contains("name: is required"));
    let usage = clinic(dir, &["patient", "frobnicate"]);
    assert_eq!(usage.status.code(), Some(2), "clap usage error");

    let list: serde_json::Value =
        serde_json::from_str(&ok(clinic(dir, &["--json", "patient", "list"]))).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the valid patient was stored"
    );
    let visits: serde_json::Value = serde_json::from_str(&ok(clinic(
        dir,
        &["--json", "visit", "list", "--patient", &id],
    )))
    .unwrap();
    assert!(visits.as_array().unwrap().is_empty());
}

#[test]
fn wrong_passphrase_missing_clinic_and_missing_key_file() {
    let tmp = initialized();
    let dir = tmp.path();
    let wrong = clinic_with(dir, &["patient", "list"], Some("wrong passphrase"), None);
    assert_eq!(wrong.status.code(), Some(5));
    assert!(stderr(&wrong).contains("WRONG_PASSPHRASE"));

    let none = clinic_with(dir, &["patient", "list"], None, None);
    assert_eq!(
        none.status.code(),
        Some(5),
        "no passphrase at all: {}",
        stderr(&none)
    );

    let empty = tempfile::tempdir().unwrap();
    let out = clinic(empty.path(), &["patient", "list"]);
    assert_eq!(out.status.code(), Some(7));
    assert!(stderr(&out).contains("NOT_INITIALIZED"));

    std::fs::remove_file(dir.join("clinic.key")).unwrap();
    let out = clinic(dir, &["patient", "list"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(stderr(&out).contains("KEY_FILE_MISSING"));
}

#[test]
fn generate_fills_an_empty_clinic_once_and_search_finds_its_patients() {
    let tmp = initialized();
    let bad = clinic(tmp.path(), &["generate", "--region", "mars"]);
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("VALIDATION"));

    let out = ok(clinic(
        tmp.path(),
        &[
            "--json",
            "generate",
            "--patients",
            "120",
            "--seed",
            "9",
            "--region",
            "cn",
            "--appointments",
        ],
    ));
    let g: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(g["patients"], 120);
    assert!(g["visits"].as_u64().unwrap() > 500);
    // Most of the last year's visits were booked ahead (a tenth of ~1,200 visits is in it).
    assert!(g["appointments"].as_u64().unwrap() > 40, "{out}");
    assert!(g["reminders"].as_u64().unwrap() > 40, "{out}");

    let list: serde_json::Value = serde_json::from_str(&ok(clinic(
        tmp.path(),
        &["--json", "patient", "list", "--limit", "1"],
    )))
    .unwrap();
    let first = &list[0];
    let phone = first["phone"].as_str().unwrap();
    let found: serde_json::Value = serde_json::from_str(&ok(clinic(
        tmp.path(),
        &[
            "--json",
            "patient",
            "search",
            &phone[phone.len() - 4..],
            "--limit",
            "200",
        ],
    )))
    .unwrap();
    assert!(found
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == first["id"]));

    let again = clinic(tmp.path(), &["generate", "--patients", "5"]);
    assert_eq!(
        again.status.code(),
        Some(7),
        "never mixes with existing patients"
    );
}

#[test]
fn id_numbers_are_checked_shown_masked_and_found() {
    let tmp = initialized();
    let bad = clinic(
        tmp.path(),
        &[
            "patient",
            "add",
            "--name",
            "王芳",
            "--id-number",
            "A123456788",
        ],
    );
    assert_eq!(bad.status.code(), Some(3));
    assert!(stderr(&bad).contains("check digit"), "{}", stderr(&bad));

    let id = ok(clinic(
        tmp.path(),
        &[
            "patient",
            "add",
            "--name",
            "陳美玲",
            "--id-number",
            "a123456789",
        ],
    ));
    let shown = ok(clinic(tmp.path(), &["patient", "show", id.trim()]));
    assert!(shown.contains("A1****6789"), "{shown}");
    assert!(
        !shown.contains("A123456789"),
        "the full number is not printed for people"
    );
    let found = ok(clinic(tmp.path(), &["patient", "search", "A123456789"]));
    assert!(found.contains("陳美玲"), "{found}");
}

#[test]
fn import_patients_dry_run_then_for_real() {
    let tmp = initialized();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../clinic-core/tests/fixtures");
    let gbk = format!("{fixtures}/patients-gbk.csv");
    let dry = ok(clinic(
        tmp.path(),
        &["import", "patients", &gbk, "--dry-run"],
    ));
    assert!(dry.contains("Dry run"), "{dry}");
    assert!(dry.contains("row 6: birthDate"), "{dry}");
    assert!(dry.contains("[出生日期]"), "{dry}");
    let listed = ok(clinic(tmp.path(), &["patient", "list"]));
    assert!(
        listed.trim().is_empty(),
        "dry run imported something: {listed}"
    );

    let report: serde_json::Value = serde_json::from_str(&ok(clinic(
        tmp.path(),
        &["--json", "import", "patients", &gbk, "--encoding", "gbk"],
    )))
    .unwrap();
    assert_eq!(report["newPatients"], 4);
    assert_eq!(report["problems"].as_array().unwrap().len(), 4);
    assert!(ok(clinic(tmp.path(), &["patient", "search", "zwm"])).contains("张伟明"));

    let bad = clinic(
        tmp.path(),
        &[
            "import",
            "patients",
            &format!("{fixtures}/patients-truncated.csv"),
        ],
    );
    assert_eq!(bad.status.code(), Some(3));
    assert!(stderr(&bad).contains("BAD_FILE"), "{}", stderr(&bad));
    let wrong = clinic(
        tmp.path(),
        &["import", "patients", &gbk, "--encoding", "klingon"],
    );
    assert_eq!(wrong.status.code(), Some(3));
}

#[test]
fn export_patients_and_visits_in_three_formats() {
    let tmp = initialized();
    ok(clinic(
        tmp.path(),
        &["generate", "--patients", "30", "--seed", "3"],
    ));
    let out = tempfile::tempdir().unwrap();
    for (what, format, file) in [
        ("patients", "csv", "patients.csv"),
        ("visits", "xlsx", "visits.xlsx"),
        ("patients", "fhir", "bundle.json"),
    ] {
        let path = out.path().join(file);
        let printed = ok(clinic(
            tmp.path(),
            &[
                "export",
                what,
                "--format",
                format,
                "--out",
                path.to_str().unwrap(),
            ],
        ));
        assert!(printed.contains("Wrote"), "{printed}");
        let bytes = std::fs::read(&path).unwrap();
        match format {
            "csv" => assert!(bytes.starts_with(b"\xEF\xBB\xBFid,name,")),
            "xlsx" => assert!(bytes.starts_with(b"PK\x03\x04")),
            _ => {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(v["resourceType"], "Bundle");
            }
        }
    }
    // A missing destination (an unplugged USB disk) is a clear error, and no stray file.
    let gone = out.path().join("no-such-disk/patients.csv");
    let err = clinic(
        tmp.path(),
        &[
            "export",
            "patients",
            "--format",
            "csv",
            "--out",
            gone.to_str().unwrap(),
        ],
    );
    assert_eq!(err.status.code(), Some(1));
    assert!(stderr(&err).contains("does not exist"), "{}", stderr(&err));
    let bad = clinic(
        tmp.path(),
        &["export", "patients", "--format", "pdf", "--out", "x"],
    );
    assert_eq!(bad.status.code(), Some(3));
    let bad = clinic(
        tmp.path(),
        &["export", "doctors", "--format", "csv", "--out", "x"],
    );
    assert_eq!(bad.status.code(), Some(3));
}

#[test]
fn full_profile_duplicates_merge_consent_and_family() {
    let tmp = initialized();
    let d = tmp.path();
    let first = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "王建国",
            "--phone",
            "139 0000 1111",
            "--allergies",
            "青霉素:皮疹:severe; 乳胶",
            "--conditions",
            "高血压:I10:chronic",
            "--medications",
            "氨氯地平:5 mg",
            "--other-phones",
            "021-5555-0000:office",
            "--education",
            "secondary",
            "--language",
            "zh-CN",
            "--smoking",
            "former",
        ],
    ))
    .trim()
    .to_string();
    let shown = ok(clinic(d, &["patient", "show", &first]));
    for expected in [
        "ALLERGY:    青霉素 皮疹, severe",
        "ALLERGY:    乳胶",
        "高血压 I10 (chronic)",
        "氨氯地平 5 mg",
        "021-5555-0000 office",
        "education:  secondary",
    ] {
        assert!(shown.contains(expected), "{expected:?} missing in\n{shown}");
    }
    // A bad entry names the list and the entry.
    let bad = clinic(
        d,
        &["patient", "edit", &first, "--allergies", "乳胶:rash:deadly"],
    );
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).contains("allergies.0.severity"),
        "{}",
        stderr(&bad)
    );

    // Same phone: refused with its own exit status, then registered on purpose.
    let dup = clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "王建國",
            "--phone",
            "+86 139-0000-1111",
        ],
    );
    assert_eq!(dup.status.code(), Some(10), "{}", stderr(&dup));
    assert!(stderr(&dup).contains("error[DUPLICATE]") && stderr(&dup).contains("王建国"));
    let second = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "王建國",
            "--phone",
            "13900001111",
            "--birth-date",
            "1975-02-03",
            "--allow-duplicate",
        ],
    ))
    .trim()
    .to_string();
    let spouse = ok(clinic(d, &["patient", "add", "--name", "李梅"]))
        .trim()
        .to_string();
    ok(clinic(
        d,
        &["patient", "link", &second, &spouse, "--relation", "spouse"],
    ));
    ok(clinic(
        d,
        &["patient", "consent", &second, "--purpose", "reminders"],
    ));
    ok(clinic(
        d,
        &[
            "patient",
            "consent",
            &second,
            "--purpose",
            "marketing",
            "--withdraw",
            "--note",
            "电话里说的",
        ],
    ));

    let merged = ok(clinic(d, &["--json", "patient", "merge", &first, &second]));
    let merged: serde_json::Value = serde_json::from_str(&merged).unwrap();
    assert_eq!(merged["birthDate"], "1975-02-03");
    assert_eq!(merged["family"][0]["name"], "李梅");
    assert_eq!(merged["consents"][0]["purpose"], "marketing");
    assert_eq!(merged["consents"][0]["given"], false);
    assert_eq!(merged["mergedFrom"][0]["mergedName"], "王建國");
    let gone = ok(clinic(d, &["patient", "show", &second]));
    assert!(gone.contains(&format!("merged into {first}")), "{gone}");
    let again = clinic(d, &["patient", "merge", &first, &second]);
    assert_eq!(again.status.code(), Some(3));
    ok(clinic(d, &["patient", "unlink", &first, &spouse]));
    assert!(!ok(clinic(d, &["patient", "show", &first])).contains("李梅"));
}

#[test]
fn import_template_needs_no_clinic_and_imports_back() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("模板.csv");
    let out = clinic_with(
        tmp.path(),
        &[
            "import",
            "template",
            "--out",
            file.to_str().unwrap(),
            "--language",
            "zh-TW",
        ],
        None,
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("身分證字號"));
    let bad = clinic(
        tmp.path(),
        &[
            "import",
            "template",
            "--out",
            file.to_str().unwrap(),
            "--language",
            "fr",
        ],
    );
    assert_eq!(bad.status.code(), Some(3));
    let d = tmp.path().join("clinic");
    std::fs::create_dir(&d).unwrap();
    ok(clinic(&d, &["init"]));
    let report = ok(clinic(&d, &["import", "patients", file.to_str().unwrap()]));
    assert!(report.contains("1 new patients"), "{report}");
    // The visits template names the template's patient: it imports on top.
    let visits = tmp.path().join("就診.csv");
    let template = |kind: &str| {
        clinic_with(
            tmp.path(),
            &[
                "import",
                "template",
                "--out",
                visits.to_str().unwrap(),
                "--language",
                "zh-TW",
                "--kind",
                kind,
            ],
            None,
            None,
        )
    };
    assert_eq!(template("appointments").status.code(), Some(3));
    assert!(template("visits").status.success());
    let report = ok(clinic(&d, &["import", "visits", visits.to_str().unwrap()]));
    assert!(report.contains("1 new visits"), "{report}");
}

#[test]
fn import_visits_after_patients_by_record_number() {
    let tmp = initialized();
    let d = tmp.path();
    let patients = d.join("patients.csv");
    std::fs::write(&patients, "病历号,姓名,手机\nA1,张伟明,13812345678\n").unwrap();
    ok(clinic(
        d,
        &["import", "patients", patients.to_str().unwrap()],
    ));
    let visits = d.join("visits.csv");
    std::fs::write(&visits, "病历号,就诊日期,科室,类型,金额\nA1,2024-01-05 14:30,dental,初诊,350\nA7,2024-01-06,dental,,\n").unwrap();
    let dry = ok(clinic(
        d,
        &["import", "visits", visits.to_str().unwrap(), "--dry-run"],
    ));
    assert!(
        dry.contains("1 new visits, 1 rows with problems") && dry.contains("row 3"),
        "{dry}"
    );
    let done = ok(clinic(d, &["import", "visits", visits.to_str().unwrap()]));
    assert!(done.starts_with("Imported"), "{done}");
    let found = ok(clinic(d, &["--json", "patient", "search", "zwm"]));
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found[0]["visitCount"], 1);
}

#[test]
fn handout_topics_render_and_the_clinic_details_on_it() {
    let tmp = initialized();
    let d = tmp.path();
    // The library needs no clinic.
    let empty = tempfile::tempdir().unwrap();
    let topics = ok(clinic(empty.path(), &["--json", "handout", "topics"]));
    let topics: serde_json::Value = serde_json::from_str(&topics).unwrap();
    assert!(topics
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == "tooth-extraction" && t["titleZhTw"] == "拔牙後注意事項"));
    assert_eq!(
        topics.as_array().unwrap().len(),
        12,
        "the twelve topics of the library"
    );
    let shown = ok(clinic(
        d,
        &[
            "settings",
            "clinic",
            "--name",
            "康健牙科",
            "--phone",
            "02-2345-6789",
        ],
    ));
    assert!(
        shown.contains("康健牙科") && shown.contains("02-2345-6789"),
        "{shown}"
    );
    let id = ok(clinic(d, &["patient", "add", "--name", "陳美玲"]))
        .trim()
        .to_string();
    let pdf = d.join("單張.pdf");
    let said = ok(clinic(
        d,
        &[
            "handout",
            "render",
            "--patient",
            &id,
            "--topic",
            "tooth-extraction",
            "--lang",
            "zh-TW",
            "--paper",
            "a5",
            "--out",
            pdf.to_str().unwrap(),
        ],
    ));
    assert!(said.contains("拔牙後注意事項 (zh-TW)"), "{said}");
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap().replace(' ', "");
    assert!(
        text.contains("陳美玲") && text.contains("02-2345-6789") && text.contains("康健牙科"),
        "{text}"
    );
    let plain = ok(clinic(
        d,
        &[
            "handout",
            "render",
            "--patient",
            &id,
            "--topic",
            "tooth-extraction",
            "--plain",
            "--out",
            pdf.to_str().unwrap(),
        ],
    ));
    assert!(
        plain.contains("拔牙以后怎么做 (zh-CN, plain language)"),
        "{plain}"
    );
    let unknown = clinic(
        d,
        &[
            "handout",
            "render",
            "--patient",
            &id,
            "--topic",
            "astrology",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("handout topics"));

    let sick = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "林志明",
            "--conditions",
            "高血壓:I10:chronic",
        ],
    ))
    .trim()
    .to_string();
    let why = ok(clinic(d, &["handout", "recommend", "--patient", &sick]));
    assert!(
        why.contains("hypertension-home-care — chronic: 高血壓"),
        "{why}"
    );
    let nothing = ok(clinic(d, &["handout", "recommend", "--patient", &id]));
    assert!(nothing.contains("No handout fits"), "{nothing}");

    // A batch: the recommended topic for one patient, a named one for the other.
    let batch = d.join("batch.pdf");
    let said = ok(clinic(
        d,
        &[
            "handout",
            "batch",
            "--patient",
            &sick,
            "--out",
            batch.to_str().unwrap(),
        ],
    ));
    assert!(said.contains("1 handouts"), "{said}");
    let none = clinic(
        d,
        &[
            "handout",
            "batch",
            "--patient",
            &id,
            "--out",
            batch.to_str().unwrap(),
        ],
    );
    assert_eq!(
        none.status.code(),
        Some(3),
        "nothing recommended, no --topic"
    );
    let both = ok(clinic(
        d,
        &[
            "handout",
            "batch",
            "--patient",
            &sick,
            "--patient",
            &id,
            "--topic",
            "eating-out",
            "--paper",
            "a5",
            "--out",
            batch.to_str().unwrap(),
        ],
    ));
    assert!(both.contains("2 handouts"), "{both}");
    let text = Command::new("pdftotext")
        .arg(&batch)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap().replace(' ', "");
    assert!(text.contains("林志明") && text.contains("陳美玲"), "{text}");

    // One handout for a whole segment: everyone registered without a visit yet.
    let segment = ok(clinic(
        d,
        &[
            "handout",
            "batch",
            "--segment",
            "lifecycle:potential",
            "--topic",
            "eating-out",
            "--out",
            batch.to_str().unwrap(),
        ],
    ));
    assert!(segment.contains("2 handouts"), "{segment}");
    let empty = clinic(
        d,
        &[
            "handout",
            "batch",
            "--segment",
            "lifecycle:lapsed",
            "--topic",
            "eating-out",
            "--out",
            batch.to_str().unwrap(),
        ],
    );
    assert_eq!(empty.status.code(), Some(3), "{}", stderr(&empty));
    let bad = clinic(
        d,
        &[
            "handout",
            "batch",
            "--segment",
            "lapsed",
            "--out",
            batch.to_str().unwrap(),
        ],
    );
    // Not DIMENSION:LABEL: read as a saved segment's name, and there is none.
    assert_eq!(bad.status.code(), Some(4), "{}", stderr(&bad));
    assert!(
        stderr(&bad)
            .contains("no saved segment called lapsed; a built-in label is named DIMENSION:LABEL"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn handout_template_show_edit_save_preview_reset_and_the_logo() {
    let tmp = initialized();
    let d = tmp.path();
    let which = ["--topic", "eating-out", "--lang", "en", "--plain"];
    let original = ok(clinic(
        d,
        &[&["handout", "template", "show"][..], &which].concat(),
    ));
    assert!(original.starts_with("# "), "{original}");
    // The owner edits a copy in any editor and saves it.
    let draft = d.join("eating-out.en.plain.md");
    let edited = format!("{original}\nAsk {{{{doctor}}}} about salt at your next visit.\n");
    std::fs::write(&draft, &edited).unwrap();
    let preview = ok(clinic(
        d,
        &[
            "handout",
            "template",
            "preview",
            "--file",
            draft.to_str().unwrap(),
            "--lang",
            "en",
        ],
    ));
    assert!(preview.contains("page(s)"), "{preview}");
    let saved = ok(clinic(
        d,
        &[
            &["handout", "template", "save"][..],
            &which,
            &["--file", draft.to_str().unwrap()],
        ]
        .concat(),
    ));
    assert!(saved.contains("the clinic's copy is printed"), "{saved}");
    assert_eq!(
        ok(clinic(
            d,
            &[&["handout", "template", "show"][..], &which].concat()
        )),
        edited
    );
    let listed = ok(clinic(d, &["handout", "template", "list"]));
    assert_eq!(listed.trim(), "eating-out\ten\tplain");

    // A mistake: refused with the reason (exit 3), and the saved copy stays.
    std::fs::write(&draft, "# Eating out\n\nHello {{patient.nickname}}\n").unwrap();
    let bad = clinic(
        d,
        &[
            &["handout", "template", "save"][..],
            &which,
            &["--file", draft.to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("unknown placeholder"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(
        ok(clinic(
            d,
            &[&["handout", "template", "show"][..], &which].concat()
        )),
        edited
    );
    let reset = ok(clinic(
        d,
        &[&["handout", "template", "reset"][..], &which].concat(),
    ));
    assert!(reset.contains("the built-in text"), "{reset}");
    assert_eq!(
        ok(clinic(
            d,
            &[&["handout", "template", "show"][..], &which].concat()
        )),
        original
    );

    // The logo: set from a file, shown, refused when not an image, removed.
    let logo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clinic-core/tests/fixtures/logo.png");
    let shown = ok(clinic(
        d,
        &["settings", "clinic", "--logo", logo.to_str().unwrap()],
    ));
    assert!(shown.contains("logo:    1 KB"), "{shown}");
    let not_image = clinic(
        d,
        &["settings", "clinic", "--logo", draft.to_str().unwrap()],
    );
    assert_eq!(not_image.status.code(), Some(3), "{}", stderr(&not_image));
    assert!(
        stderr(&not_image).contains("PNG or JPEG"),
        "{}",
        stderr(&not_image)
    );
    let json = ok(clinic(d, &["--json", "settings", "clinic"]));
    assert!(
        json.contains("\"logoBytes\": 903") || json.contains("\"logoBytes\":903"),
        "{json}"
    );
    let gone = ok(clinic(d, &["settings", "clinic", "--no-logo"]));
    assert!(gone.contains("logo:    (none)"), "{gone}");
}

#[test]
fn backup_create_list_verify_restore_from_the_command_line() {
    let tmp = initialized();
    let d = tmp.path();
    ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "张伟明",
            "--phone",
            "13812345678",
        ],
    ));
    // No folder yet: say so.
    let none = clinic(d, &["backup", "create"]);
    assert_eq!(none.status.code(), Some(3), "{}", stderr(&none));
    let missing = clinic(d, &["backup", "create", "--to", "/media/no-usb-here"]);
    assert_eq!(missing.status.code(), Some(13), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("USB"), "{}", stderr(&missing));

    let usb = tempfile::tempdir().unwrap();
    let made = ok(clinic(
        d,
        &["backup", "create", "--to", usb.path().to_str().unwrap()],
    ));
    assert!(made.starts_with("Backed up and verified: "), "{made}");
    // The folder is remembered.
    ok(clinic(d, &["patient", "add", "--name", "王芳"]));
    // --keep-all: rotation (one a day by default) would remove the first.
    let again = ok(clinic(d, &["--json", "backup", "create", "--keep-all"]));
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["counts"]["patients"], 2);
    let listed = ok(clinic(d, &["--json", "backup", "list"]));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let files = listed["backups"].as_array().unwrap();
    assert!(!files.is_empty(), "{listed}");
    let first = made.trim_start_matches("Backed up and verified: ");
    let first = first[..first.find(" (").unwrap()].to_string();

    let verified = ok(clinic(d, &["backup", "verify", &first]));
    assert!(
        verified.contains("good") && verified.contains("1 patients"),
        "{verified}"
    );
    let wrong = clinic_with(
        d,
        &["backup", "verify", &first],
        Some("not the passphrase"),
        None,
    );
    assert_eq!(wrong.status.code(), Some(5), "{}", stderr(&wrong));
    let junk = usb.path().join("junk.clinicbackup");
    std::fs::write(&junk, b"not a backup").unwrap();
    let bad = clinic(d, &["backup", "verify", junk.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(12), "{}", stderr(&bad));

    // Restore the first backup (one patient) on a new computer and over this clinic.
    let fresh = tempfile::tempdir().unwrap();
    let restored = ok(clinic(fresh.path(), &["backup", "restore", &first]));
    assert!(restored.contains("1 patients"), "{restored}");
    let there = ok(clinic(fresh.path(), &["--json", "patient", "list"]));
    assert!(
        there.contains("张伟明") && !there.contains("王芳"),
        "{there}"
    );
    let over = ok(clinic(d, &["backup", "restore", &first]));
    assert!(over.contains("kept in"), "{over}");
    let now = ok(clinic(d, &["--json", "patient", "list"]));
    assert!(!now.contains("王芳"), "{now}");
    // The restore is in the restored clinic's audit log, with where it came from.
    let trail = ok(clinic(d, &["audit", "list", "--action", "backup"]));
    assert!(
        trail.contains("RecordRestore") && trail.contains("restoredFrom"),
        "{trail}"
    );
    assert!(ok(clinic(d, &["audit", "verify"])).contains("intact"));

    // The schedule, and rotation after a backup: one a day kept.
    let bad = clinic(d, &["backup", "schedule", "--daily", "25:61"]);
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));
    let s = ok(clinic(
        d,
        &[
            "--json",
            "backup",
            "schedule",
            "--daily",
            "9:05",
            "--keep-daily",
            "1",
            "--keep-weekly",
            "0",
            "--on-close",
            "false",
        ],
    ));
    let s: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(
        (
            s["dailyAt"].as_str(),
            s["keepDaily"].as_u64(),
            s["onClose"].as_bool()
        ),
        (Some("09:05"), Some(1), Some(false))
    );
    let shown = ok(clinic(d, &["backup", "schedule"]));
    assert!(
        shown.contains("at 09:05") && shown.contains("last 1 days"),
        "{shown}"
    );
    // (The restored file predates the remembered folder: name it again.)
    let rotated = ok(clinic(
        d,
        &["backup", "create", "--to", usb.path().to_str().unwrap()],
    ));
    assert!(
        rotated.contains("Rotation removed 2 older backup(s)"),
        "{rotated}"
    );
    let listed = ok(clinic(d, &["--json", "backup", "list"]));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    // Ours, and the junk file's problem listed apart.
    assert_eq!(listed["backups"].as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn recovery_kit_at_init_new_passphrase_rotation_and_restore_with_the_code() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let kit = d.join("kit.pdf");
    let made = ok(clinic(
        d,
        &[
            "init",
            "--recovery-kit",
            kit.to_str().unwrap(),
            "--lang",
            "zh-TW",
        ],
    ));
    let code = made
        .lines()
        .find_map(|l| l.strip_prefix("Recovery code: "))
        .unwrap_or_else(|| panic!("{made}"))
        .to_string();
    assert_eq!(code.len(), 29, "{code}");
    assert!(std::fs::read(&kit).unwrap().starts_with(b"%PDF"));
    ok(clinic(d, &["patient", "add", "--name", "張美玲"]));
    let status = ok(clinic(d, &["--json", "key", "status"]));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["hasRecoveryCode"], true);

    // A new passphrase from stdin, the old one from the environment.
    ok(clinic_with(
        d,
        &["key", "passphrase"],
        Some(PASS),
        Some("a new passphrase\n"),
    ));
    let old = clinic(d, &["patient", "list"]);
    assert_eq!(old.status.code(), Some(5), "{}", stderr(&old));
    let listed = ok(clinic_with(
        d,
        &["patient", "list"],
        Some("a new passphrase"),
        None,
    ));
    assert!(listed.contains("張美玲"), "{listed}");

    // Forgot it: the recovery code sets another one.
    ok(clinic_with(
        d,
        &["key", "passphrase"],
        Some(&code.to_lowercase()),
        Some("third passphrase\n"),
    ));
    let usb = tempfile::tempdir().unwrap();
    ok(clinic_with(
        d,
        &["backup", "create", "--to", usb.path().to_str().unwrap()],
        Some("third passphrase"),
        None,
    ));

    // Rotation: same passphrase and code afterwards, progress on stderr.
    let rotated = clinic_with(d, &["key", "rotate"], Some(&code), None);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(
        stderr(&rotated).contains("checking"),
        "{}",
        stderr(&rotated)
    );
    assert!(
        stdout(&rotated).contains("1 patients"),
        "{}",
        stdout(&rotated)
    );
    let wrong = clinic_with(d, &["key", "rotate"], Some("not it at all"), None);
    assert_eq!(wrong.status.code(), Some(5), "{}", stderr(&wrong));
    ok(clinic_with(
        d,
        &["patient", "list"],
        Some("third passphrase"),
        None,
    ));

    // The backup restores on a new computer with the recovery code alone.
    let file = std::fs::read_dir(usb.path())
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let fresh = tempfile::tempdir().unwrap();
    let restored = ok(clinic_with(
        fresh.path(),
        &["backup", "restore", file.to_str().unwrap()],
        Some(&code),
        None,
    ));
    assert!(restored.contains("1 patients"), "{restored}");
    let there = ok(clinic_with(
        fresh.path(),
        &["patient", "list"],
        Some(&code),
        None,
    ));
    assert!(there.contains("張美玲"), "{there}");
}

#[test]
fn segments_list_members_and_explain_from_the_command_line() {
    let tmp = initialized();
    let d = tmp.path();
    let id = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "张伟明",
            "--birth-date",
            "1950-05-17",
            "--payment",
            "public-insurance",
        ],
    ))
    .trim()
    .to_string();
    ok(clinic(d, &["patient", "add", "--name", "王芳"]));
    // A visit yesterday, whatever today is.
    let yesterday = (chrono::Local::now().date_naive() - chrono::Days::new(1)).to_string();
    ok(clinic(
        d,
        &[
            "visit",
            "add",
            "--patient",
            &id,
            "--at",
            &format!("{yesterday}T09:30+08:00"),
            "--department",
            "dental",
            "--type",
            "first",
            "--nps",
            "3",
        ],
    ));

    let list = ok(clinic(d, &["--json", "segments", "list"]));
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let lifecycle = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["dimension"] == "lifecycle")
        .unwrap();
    assert_eq!(
        lifecycle["counts"],
        serde_json::json!([{"label": "new", "count": 1}, {"label": "potential", "count": 1}])
    );
    let text = ok(clinic(d, &["segments", "list"]));
    assert!(text.contains("age-group (2 patients)"), "{text}");

    let seniors = ok(clinic(d, &["segments", "members", "age-group:senior"]));
    assert!(
        seniors.contains("张伟明") && !seniors.contains("王芳"),
        "{seniors}"
    );
    let why = ok(clinic(d, &["segments", "explain", &id]));
    assert!(why.contains("age-group: senior — "), "{why}");
    assert!(why.contains("service-type: first — latest visit"), "{why}");
    assert!(
        why.contains("nps-role: detractor — latest answer 3 on"),
        "{why}"
    );
    let out_of_range = clinic(
        d,
        &[
            "visit",
            "add",
            "--patient",
            &id,
            "--at",
            &format!("{yesterday}T10:30+08:00"),
            "--department",
            "dental",
            "--type",
            "return",
            "--nps",
            "11",
        ],
    );
    assert_eq!(
        out_of_range.status.code(),
        Some(3),
        "{}",
        stderr(&out_of_range)
    );
    // Not a dimension: taken as a saved segment's name, and there is none.
    let bad = clinic(d, &["segments", "members", "visits-high"]);
    assert_eq!(bad.status.code(), Some(4), "{}", stderr(&bad));
    let no_label = clinic(d, &["segments", "members", "age-group:elderly"]);
    assert_eq!(no_label.status.code(), Some(3), "{}", stderr(&no_label));
    let unknown = clinic(
        d,
        &[
            "segments",
            "explain",
            "00000000-0000-0000-0000-000000000000",
        ],
    );
    assert_eq!(unknown.status.code(), Some(4), "{}", stderr(&unknown));
}

#[test]
fn rule_segments_and_tags_from_the_command_line() {
    let tmp = initialized();
    let d = tmp.path();
    let add = |name: &str, birth: &str| -> String {
        ok(clinic(
            d,
            &["patient", "add", "--name", name, "--birth-date", birth],
        ))
        .trim()
        .to_string()
    };
    let old = add("张伟明", "1950-05-17");
    let young = add("陳美玲", "1995-03-02");

    let templates = ok(clinic(d, &["segments", "templates"]));
    assert!(templates.contains("chronic-not-seen-90"), "{templates}");
    let rule = tmp.path().join("seniors.json");
    std::fs::write(
        &rule,
        r#"{"kind":"all","items":[{"kind":"age","min":65,"max":null},{"kind":"not","item":{"kind":"tag","name":"Called"}}]}"#,
    )
    .unwrap();
    // The rule names a tag that does not exist yet: refused.
    let early = clinic(
        d,
        &[
            "segments",
            "save",
            "Seniors to call",
            "--rule",
            rule.to_str().unwrap(),
        ],
    );
    assert_eq!(early.status.code(), Some(3), "{}", stderr(&early));
    ok(clinic(
        d,
        &["tags", "create", "Called", "--colour", "green"],
    ));
    let saved = ok(clinic(
        d,
        &[
            "segments",
            "save",
            "Seniors to call",
            "--rule",
            rule.to_str().unwrap(),
        ],
    ));
    assert!(saved.contains("1 patient(s)"), "{saved}");
    let members = ok(clinic(d, &["segments", "members", "seniors TO call"]));
    assert!(
        members.contains(&old) && !members.contains(&young),
        "{members}"
    );
    assert!(members.contains("years old"), "{members}");

    // Tag the segment's members in bulk: they leave the segment.
    let applied = ok(clinic(
        d,
        &["tags", "apply", "called", "--segment", "Seniors to call"],
    ));
    assert!(applied.contains("put on 1 patient(s)"), "{applied}");
    let saved_list = ok(clinic(d, &["--json", "segments", "saved"]));
    let saved_list: serde_json::Value = serde_json::from_str(&saved_list).unwrap();
    assert_eq!(saved_list[0]["count"], 0);
    let tags = ok(clinic(d, &["--json", "tags", "list"]));
    let tags: serde_json::Value = serde_json::from_str(&tags).unwrap();
    assert_eq!(tags[0]["patients"], 1);
    assert_eq!(tags[0]["colour"], "green");

    // A tag in use is kept (exit 14); renaming carries into the rule.
    let in_use = clinic(d, &["tags", "delete", "Called"]);
    assert_eq!(in_use.status.code(), Some(14), "{}", stderr(&in_use));
    ok(clinic(d, &["tags", "edit", "Called", "--rename", "Phoned"]));
    ok(clinic(d, &["tags", "remove", "Phoned", "--patient", &old]));
    let back = ok(clinic(d, &["segments", "members", "Seniors to call"]));
    assert!(back.contains(&old), "{back}");

    // From a template, then exported as a call list.
    ok(clinic(
        d,
        &[
            "segments",
            "save",
            "Birthdays",
            "--template",
            "birthdays-this-week",
        ],
    ));
    // A campaign list (the default) leaves out who has not agreed to marketing, and says so.
    let csv = tmp.path().join("call.csv");
    let without = clinic(
        d,
        &[
            "segments",
            "export",
            "Seniors to call",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(without.status.success(), "{}", stderr(&without));
    assert!(
        stderr(&without).contains("1 patient(s) left out: no consent for marketing"),
        "{}",
        stderr(&without)
    );
    assert!(!std::fs::read_to_string(&csv).unwrap().contains("张伟明"));
    ok(clinic(
        d,
        &["patient", "consent", &old, "--purpose", "marketing"],
    ));
    let bad = clinic(
        d,
        &[
            "segments",
            "export",
            "Seniors to call",
            "--out",
            csv.to_str().unwrap(),
            "--for",
            "spam",
        ],
    );
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));
    ok(clinic(
        d,
        &[
            "segments",
            "export",
            "Seniors to call",
            "--out",
            csv.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.starts_with("\u{feff}id,name,sex,birthDate,phone,paymentType,visits,lastVisit,why"),
        "{text}"
    );
    assert!(
        text.contains("张伟明") && text.contains("years old"),
        "{text}"
    );
    let xlsx = tmp.path().join("adults.xlsx");
    ok(clinic(
        d,
        &[
            "segments",
            "export",
            "age-group:adult",
            "--out",
            xlsx.to_str().unwrap(),
            "--for",
            "care",
        ],
    ));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    ok(clinic(d, &["segments", "delete", "seniors to call"]));
    ok(clinic(d, &["tags", "delete", "Phoned"]));
    let gone = clinic(d, &["segments", "delete", "Seniors to call"]);
    assert_eq!(gone.status.code(), Some(4), "{}", stderr(&gone));
}

#[test]
fn appointments_reminders_and_icalendar_from_the_command_line() {
    let tmp = initialized();
    let d = tmp.path();
    let p = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "王丽",
            "--sex",
            "F",
            "--phone",
            "13800001111",
            "--preferred-channel",
            "sms",
        ],
    ))
    .trim()
    .to_string();
    ok(clinic(
        d,
        &["patient", "consent", &p, "--purpose", "reminders"],
    ));
    let tomorrow = (chrono::Local::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let at = format!("{tomorrow} 10:00");
    let booked = ok(clinic(
        d,
        &[
            "--json",
            "appointments",
            "add",
            "--patient",
            &p,
            "--at",
            &at,
            "--minutes",
            "30",
            "--doctor",
            "陈医生",
            "--reason",
            "洗牙, 复查",
            "--outside-hours",
        ],
    ));
    let booked: serde_json::Value = serde_json::from_str(&booked).unwrap();
    assert_eq!(booked["status"], "scheduled");
    // The same patient and doctor again at an overlapping time: exit 15, CONFLICT.
    let clash = clinic(
        d,
        &[
            "appointments",
            "add",
            "--patient",
            &p,
            "--at",
            &format!("{tomorrow} 10:15"),
            "--doctor",
            "陈医生",
            "--outside-hours",
        ],
    );
    assert_eq!(clash.status.code(), Some(15), "{}", stderr(&clash));
    assert!(stderr(&clash).contains("error[CONFLICT]"));
    let listed = ok(clinic(d, &["appointments", "list", "--date", &tomorrow]));
    assert!(
        listed.contains("王丽") && listed.contains("10:00"),
        "{listed}"
    );
    // The evening before: that day's patients get their handouts in one batch.
    let batch = d.join("day.pdf");
    let printed = ok(clinic(
        d,
        &[
            "handout",
            "batch",
            "--date",
            &tomorrow,
            "--topic",
            "eating-out",
            "--out",
            batch.to_str().unwrap(),
        ],
    ));
    assert!(printed.contains(": 1 handouts"), "{printed}");

    // The .ics file, read back by a real parser (Python's icalendar, from Debian).
    let ics = d.join("book.ics");
    ok(clinic(
        d,
        &[
            "appointments",
            "ics",
            "--from",
            &tomorrow,
            "--to",
            &tomorrow,
            "--out",
            ics.to_str().unwrap(),
        ],
    ));
    let parsed = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(
            "import sys, icalendar\n\
             cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
             for e in cal.walk('VEVENT'):\n\
             \x20   print(e['SUMMARY'], e.decoded('DTSTART').isoformat(), int((e.decoded('DTEND') - e.decoded('DTSTART')).total_seconds() // 60))",
        )
        .arg(&ics)
        .output()
        .expect("python3 runs");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let parsed = String::from_utf8(parsed.stdout).unwrap();
    assert!(parsed.starts_with("王丽 · 洗牙, 复查 "), "{parsed}");
    assert!(parsed.trim_end().ends_with(" 30"), "{parsed}");
    let start = booked["startsAt"].as_str().unwrap();
    let expected = chrono::DateTime::parse_from_rfc3339(start)
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert!(
        parsed.contains(&expected.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()),
        "{parsed} vs {start}"
    );

    // Today's work list: the booking confirmation, with the message ready.
    let due: serde_json::Value =
        serde_json::from_str(&ok(clinic(d, &["--json", "reminders", "due"]))).unwrap();
    let contacts = due["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{due}");
    assert_eq!(contacts[0]["items"][0]["kind"], "confirmation");
    assert!(contacts[0]["message"].as_str().unwrap().contains("10:00"));
    // The SMS batch: written, logged as sent, gone from the list.
    let csv = d.join("sms.csv");
    let sent = ok(clinic(
        d,
        &["reminders", "export", "--out", csv.to_str().unwrap()],
    ));
    assert!(sent.contains("Wrote 1 message"), "{sent}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.contains("13800001111") && text.contains("王女士您好"),
        "{text}"
    );
    let due: serde_json::Value =
        serde_json::from_str(&ok(clinic(d, &["--json", "reminders", "due"]))).unwrap();
    assert_eq!(due["contacts"].as_array().unwrap().len(), 0);
    assert_eq!(due["done"], 1);
    // Nothing due for this patient now: logging an outcome says so.
    let nothing = clinic(
        d,
        &["reminders", "log", "--patient", &p, "--outcome", "reached"],
    );
    assert_eq!(nothing.status.code(), Some(3));
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let effect = ok(clinic(
        d,
        &["reminders", "effect", "--from", &today, "--to", &today],
    ));
    assert!(effect.contains("confirmation"), "{effect}");
}

#[test]
fn points_from_the_command_line() {
    let tmp = initialized();
    let d = tmp.path();
    let p = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "周杰",
            "--phone",
            "13800002222",
            "--payment",
            "self-pay",
        ],
    ))
    .trim()
    .to_string();
    // Off until a jurisdiction is chosen: a visit earns nothing, a redemption says why.
    let reward = ok(clinic(
        d,
        &[
            "points",
            "reward-add",
            "--name",
            "免费检查",
            "--kind",
            "check-up",
            "--cost",
            "30",
        ],
    ))
    .trim()
    .to_string();
    let visit = |at: &str, amount: &str| {
        ok(clinic(
            d,
            &[
                "visit",
                "add",
                "--patient",
                &p,
                "--at",
                at,
                "--department",
                "dental",
                "--type",
                "return",
                "--amount",
                amount,
            ],
        ))
    };
    let visit_of = |who: &str, at: &str| {
        ok(clinic(
            d,
            &[
                "visit",
                "add",
                "--patient",
                who,
                "--at",
                at,
                "--department",
                "dental",
                "--type",
                "first",
            ],
        ))
    };
    visit("2026-11-02T09:30+08:00", "150.00");
    let off = clinic(d, &["points", "redeem", &p, &reward]);
    assert_eq!(off.status.code(), Some(17), "{}", stderr(&off));
    let settings = ok(clinic(
        d,
        &["points", "settings", "--jurisdiction", "mainland-china"],
    ));
    assert!(settings.contains("\"enabled\": true"), "{settings}");
    visit("2026-11-09T09:30+08:00", "150.00"); // 10 for returning + 15 for ¥150
    let balance: serde_json::Value =
        serde_json::from_str(&ok(clinic(d, &["--json", "points", "balance", &p]))).unwrap();
    assert_eq!(balance["balance"], 25);
    let short = clinic(d, &["points", "redeem", &p, &reward]);
    assert_eq!(short.status.code(), Some(16), "{}", stderr(&short));
    ok(clinic(
        d,
        &["points", "adjust", &p, "10", "--reason", "生日礼"],
    ));
    let voucher = ok(clinic(d, &["points", "redeem", &p, &reward]));
    let code = voucher.split_whitespace().next().unwrap().to_string();
    assert_eq!(code.len(), 9, "{voucher}");
    ok(clinic(d, &["points", "voucher", &code, "--cancel"]));
    let history: serde_json::Value =
        serde_json::from_str(&ok(clinic(d, &["--json", "points", "history", &p]))).unwrap();
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reverse", "redeem", "adjust", "earn"]);
    // The statement, in the patient's language (zh-CN by default), read back as text.
    let pdf = d.join("statement.pdf");
    ok(clinic(
        d,
        &["points", "statement", &p, "--out", pdf.to_str().unwrap()],
    ));
    let text = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for want in [
        "积分明细",
        "周杰",
        "积分余额",
        "兑换券",
        "免费检查",
        "生日礼",
        "冲销第",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // Tiers: ¥300 and two visits this year is the base tier; a forced requalification says so.
    let tiers = ok(clinic(d, &["points", "tiers", "--requalify"]));
    assert!(tiers.contains("regular    1"), "{tiers}");
    assert!(ok(clinic(d, &["points", "tier", &p])).starts_with("regular"));
    // A friend referred by 周杰 comes today: the bonus, the month's share, the tree.
    let friend = ok(clinic(
        d,
        &[
            "patient",
            "add",
            "--name",
            "吴磊",
            "--phone",
            "13800003333",
            "--referral-channel",
            "patient",
            "--referred-by",
            &p,
        ],
    ))
    .trim()
    .to_string();
    // Yesterday, so that no clock or zone makes it a visit in the future.
    let yesterday = (chrono::Local::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT09:00+08:00")
        .to_string();
    visit_of(&friend, &yesterday);
    let report: serde_json::Value = serde_json::from_str(&ok(clinic(
        d,
        &[
            "--json",
            "points",
            "referrals",
            "--from",
            "2026-01-01",
            "--to",
            "2099-12-31",
        ],
    )))
    .unwrap();
    assert_eq!(report["referred"], 1);
    assert_eq!(report["topReferrers"][0]["name"], "周杰");
    let tree = ok(clinic(d, &["points", "referral-tree", &p]));
    assert!(tree.contains("周杰") && tree.contains("  吴磊"), "{tree}");
    // The expiry run: nothing due today; far in the future, everything.
    let none = ok(clinic(d, &["points", "expire"]));
    assert!(none.starts_with("0 points"), "{none}");
    let all = ok(clinic(d, &["points", "expire", "--date", "2040-01-01"]));
    assert!(all.starts_with("85 points of 1 patients"), "{all}"); // 35 + the 50 referral bonus
}

#[test]
fn every_report_by_name_as_text_json_and_csv() {
    let tmp = initialized();
    let d = tmp.path();
    let id = ok(clinic(d, &["patient", "add", "--name", "陈美玲"]))
        .trim()
        .to_string();
    for (day, amount) in [("2026-01-05", "120.50"), ("2026-01-20", "80.00")] {
        ok(clinic(
            d,
            &[
                "visit",
                "add",
                "--patient",
                &id,
                "--at",
                &format!("{day}T09:30+08:00"),
                "--department",
                "dental",
                "--doctor",
                "陈医生",
                "--type",
                "return",
                "--amount",
                amount,
            ],
        ));
    }
    let range = ["--from", "2026-01-01", "--to", "2026-03-31"];
    for name in [
        "return-rate",
        "new-returning",
        "no-shows",
        "busiest-slots",
        "reminder-effect",
        "churn-risk",
        "nps",
        "referrals",
        "revenue",
    ] {
        let mut args = vec!["--json", "report", name];
        args.extend(range);
        let json: serde_json::Value = serde_json::from_str(&ok(clinic(d, &args))).unwrap();
        assert_eq!(json["name"], name);
        assert!(!json["tables"].as_array().unwrap().is_empty(), "{name}");
    }
    // Text for people; the filters named on it; a CSV for Excel.
    let csv = d.join("revenue.csv");
    let mut args = vec!["report", "revenue", "--department", "DENTAL", "--csv"];
    args.push(csv.to_str().unwrap());
    args.extend(range);
    let text = ok(clinic(d, &args));
    assert!(text.contains("department: DENTAL"), "{text}");
    assert!(text.contains("200.50"), "{text}");
    let pdf = d.join("nps.pdf");
    let mut args = vec!["report", "nps", "--pdf"];
    args.push(pdf.to_str().unwrap());
    args.extend(range);
    ok(clinic(d, &args));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(written.starts_with('\u{feff}'));
    assert!(
        written.contains("by-doctor,陈医生,2,200.50,100.0"),
        "{written}"
    );
    // An unknown report is refused with the names it could be.
    let bad = clinic(
        d,
        &[
            "report",
            "profit",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("return-rate"), "{}", stderr(&bad));
    let reversed = clinic(
        d,
        &[
            "report",
            "nps",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
        ],
    );
    assert!(
        stderr(&reversed).contains("VALIDATION"),
        "{}",
        stderr(&reversed)
    );
    // reminder-effect's window: said in the definition; out of 1-365 refused.
    let mut args = vec!["--json", "report", "reminder-effect", "--days", "14"];
    args.extend(range);
    let json: serde_json::Value = serde_json::from_str(&ok(clinic(d, &args))).unwrap();
    let definition = json["definition"].as_str().unwrap();
    assert!(definition.contains("within 14 days"), "{definition}");
    let mut args = vec!["report", "reminder-effect", "--days", "0"];
    args.extend(range);
    let zero = clinic(d, &args);
    assert_eq!(zero.status.code(), Some(3), "{}", stderr(&zero));
    assert!(stderr(&zero).contains("withinDays"), "{}", stderr(&zero));
}

/// `clinic` with extra environment (the staff password, the new member's password).
fn clinic_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clinic"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("CLINIC_KEYCHAIN", "off")
        .env("CLINIC_PASSPHRASE", PASS)
        .env_remove("CLINIC_DATA_DIR")
        .env_remove("CLINIC_STAFF")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn staff_accounts_act_with_their_own_permissions_and_the_audit_log_holds() {
    let tmp = initialized();
    let dir = tmp.path();
    let new = |name: &str, role: &str, password: &str| {
        ok(clinic_env(
            dir,
            &["staff", "add", name, "--role", role],
            &[("CLINIC_NEW_STAFF_PASSWORD", password)],
        ))
    };
    // The first account must be the owner's.
    let first = clinic_env(
        dir,
        &["staff", "add", "Dr Chen", "--role", "doctor"],
        &[("CLINIC_NEW_STAFF_PASSWORD", "stethoscope")],
    );
    assert_eq!(first.status.code(), Some(3), "{}", stderr(&first));
    assert!(new("Wang", "owner", "owner-passphrase").contains("Added Wang (owner)"));
    new("Dr Chen", "doctor", "stethoscope");
    new("Lin", "front-desk", "2468");
    ok(clinic(
        dir,
        &[
            "patient",
            "add",
            "--name",
            "林美玲",
            "--phone",
            "0912345678",
        ],
    ));
    let listed = ok(clinic(dir, &["staff", "list"]));
    assert!(listed.contains("Lin\tfront-desk\tactive"), "{listed}");

    // As the front desk: reports and the audit log are refused (exit 8), patients are not.
    let desk = [("CLINIC_STAFF_PASSWORD", "2468")];
    let as_desk = |args: &[&str]| {
        let mut all = vec!["--staff", "Lin"];
        all.extend_from_slice(args);
        clinic_env(dir, &all, &desk)
    };
    ok(as_desk(&["patient", "list"]));
    for args in [
        &[
            "report",
            "revenue",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ][..],
        &["audit", "list"],
        &[
            "export",
            "patients",
            "--format",
            "csv",
            "--out",
            "/tmp/never-written.csv",
        ],
    ] {
        let refused = as_desk(args);
        assert_eq!(
            refused.status.code(),
            Some(8),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(stderr(&refused).contains("PERMISSION_DENIED"));
    }
    // A wrong password: exit 18, and nothing done.
    let wrong = clinic_env(
        dir,
        &["--staff", "Lin", "patient", "list"],
        &[("CLINIC_STAFF_PASSWORD", "1111")],
    );
    assert_eq!(wrong.status.code(), Some(18), "{}", stderr(&wrong));
    // The doctor may read the reports.
    ok(clinic_env(
        dir,
        &[
            "--staff",
            "Dr Chen",
            "report",
            "nps",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ],
        &[("CLINIC_STAFF_PASSWORD", "stethoscope")],
    ));

    // The owner reads the log: who, what, refusals included, and its chain holds.
    let log = ok(clinic(dir, &["audit", "list", "--staff", "Lin", "--json"]));
    let entries: serde_json::Value = serde_json::from_str(&log).unwrap();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"sign-in"), "{actions:?}");
    assert!(actions.contains(&"sign-in-failed"), "{actions:?}");
    assert!(actions.contains(&"denied:report-read"), "{actions:?}");
    assert!(actions.contains(&"denied:audit-read"), "{actions:?}");
    let verified = ok(clinic(dir, &["audit", "verify"]));
    assert!(verified.contains("intact"), "{verified}");

    // A new role and a new PIN from the command line.
    ok(clinic(
        dir,
        &["staff", "set-role", "Lin", "--role", "doctor"],
    ));
    ok(clinic_env(
        dir,
        &["staff", "reset-password", "Lin"],
        &[("CLINIC_NEW_STAFF_PASSWORD", "97531")],
    ));
    ok(clinic_env(
        dir,
        &[
            "--staff",
            "Lin",
            "report",
            "nps",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
        ],
        &[("CLINIC_STAFF_PASSWORD", "97531")],
    ));

    // Switched off: Lin can no longer act.
    ok(clinic(dir, &["staff", "disable", "Lin"]));
    assert_eq!(
        clinic_env(
            dir,
            &["--staff", "Lin", "patient", "list"],
            &[("CLINIC_STAFF_PASSWORD", "97531")]
        )
        .status
        .code(),
        Some(18)
    );
}

#[test]
fn privacy_export_and_erasure_from_the_command_line() {
    let tmp = initialized();
    let dir = tmp.path();
    let id = ok(clinic(
        dir,
        &[
            "patient",
            "add",
            "--name",
            "林美玲",
            "--phone",
            "0912345678",
        ],
    ));
    let id = id.trim().to_string();
    let out = tmp.path().join("access");
    let done = ok(clinic(
        dir,
        &[
            "privacy",
            "export",
            "--patient",
            &id,
            "--out",
            out.to_str().unwrap(),
            "--lang",
            "zh-TW",
        ],
    ));
    assert!(done.contains("sections"), "{done}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("patient-{id}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(json["name"], "林美玲");
    assert_eq!(json["sections"][0]["table"], "patient");
    let pdf = std::fs::read(out.join(format!("patient-{id}.pdf"))).unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    // A correction with its reason, in the record's history.
    ok(clinic(
        dir,
        &[
            "patient",
            "edit",
            &id,
            "--name",
            "林美鈴",
            "--reason",
            "spelled as on her ID card",
        ],
    ));
    let history = ok(clinic(dir, &["patient", "history", &id]));
    assert!(
        history.contains("name: \"林美玲\" → \"林美鈴\"")
            && history.contains("reason: spelled as on her ID card"),
        "{history}"
    );

    let erased = ok(clinic(dir, &["privacy", "erase", "--patient", &id]));
    assert!(erased.starts_with("Restricted"), "{erased}");
    let bad = clinic(dir, &["privacy", "erase", "--patient", "not-an-id"]);
    assert_eq!(bad.status.code(), Some(3));
    let log = ok(clinic(dir, &["audit", "list", "--patient", &id]));
    assert!(
        log.contains("privacy-erase") && log.contains("patient-export"),
        "{log}"
    );
}
