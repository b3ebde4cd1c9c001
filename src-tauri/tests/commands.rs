//! The Tauri command layer through tauri's mock runtime: no window, a real encrypted file.

use clinic_app::AppState;
use clinic_core::keychain::NoKeychain;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

struct Harness {
    _tmp: tempfile::TempDir,
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

/// Where the app saves exports and PDFs in these tests: one folder for the whole process,
/// since tests run on threads and the variable is process-wide.
fn export_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        std::env::set_var("CLINIC_EXPORT_DIR", &dir);
        dir
    })
}

fn harness() -> Harness {
    export_dir();
    let tmp = tempfile::tempdir().unwrap();
    let state = AppState::new(tmp.path().join("clinic"), Box::new(NoKeychain));
    let app = clinic_app::setup(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .expect("build app");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");
    Harness {
        _tmp: tmp,
        _app: app,
        window,
    }
}

/// Invokes `cmd` with `body` and headers as the window would; the raw reply or the
/// serialised error.
fn invoke(
    h: &Harness,
    cmd: &str,
    body: InvokeBody,
    headers: tauri::http::HeaderMap,
) -> Result<tauri::ipc::InvokeResponseBody, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // the origin the embedded UI is served from on Linux and macOS
        url: "tauri://localhost".parse().unwrap(),
        body,
        headers,
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(&h.window, request)
}

/// Invokes `cmd` as the UI would; `Ok` is the reply, `Err` the serialised error.
fn call(h: &Harness, cmd: &str, args: Value) -> Result<Value, Value> {
    invoke(h, cmd, InvokeBody::Json(args), Default::default())
        .map(|b| b.deserialize::<Value>().unwrap())
}

/// Invokes `cmd` with a raw body and headers, as the import dialog sends a file.
fn call_raw(
    h: &Harness,
    cmd: &str,
    body: &[u8],
    headers: &[(&'static str, &str)],
) -> Result<Value, Value> {
    let mut map = tauri::http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, v.parse().unwrap());
    }
    invoke(h, cmd, InvokeBody::Raw(body.to_vec()), map).map(|b| b.deserialize::<Value>().unwrap())
}

/// A harness with a clinic set up and open.
fn unlocked() -> Harness {
    let h = harness();
    call(
        &h,
        "setup_clinic",
        json!({"passphrase": "correct horse battery"}),
    )
    .unwrap();
    h
}

#[test]
fn import_a_file_sent_as_raw_bytes() {
    let h = harness();
    call(
        &h,
        "setup_clinic",
        json!({"passphrase": "correct horse battery"}),
    )
    .unwrap();
    let gbk = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/clinic-core/tests/fixtures/patients-gbk.csv"
    ))
    .unwrap();
    // No dry-run header: a dry run (the safe default).
    let dry = call_raw(&h, "import_patients", &gbk, &[("encoding", "auto")]).unwrap();
    assert_eq!(dry["report"]["imported"], false);
    assert_eq!(dry["report"]["newPatients"], 4);
    assert_eq!(dry["columns"][1]["header"], "姓名");
    assert_eq!(dry["columns"][1]["field"], "name");
    assert_eq!(dry["columns"][1]["samples"][0], "张伟明");
    let none = call(
        &h,
        "patient_list",
        json!({"includeArchived": false, "limit": 10, "offset": 0}),
    )
    .unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0);

    // The user leaves out the notes column and imports.
    let mapping =
        r#"["externalId","name","sex","birthDate","phone","paymentType","allergies",null]"#;
    let done = call_raw(
        &h,
        "import_patients",
        &gbk,
        &[("dry-run", "false"), ("mapping", mapping)],
    )
    .unwrap();
    assert_eq!(done["report"]["imported"], true);
    assert_eq!(done["columns"][7]["field"], Value::Null);
    let found = call(&h, "patient_search", json!({"query": "zwm", "limit": 5})).unwrap();
    assert_eq!(found[0]["name"], "张伟明");

    let bad = call_raw(&h, "import_patients", b"\"unterminated", &[]).unwrap_err();
    assert_eq!(bad["code"], "BAD_FILE");
    let enc = call_raw(&h, "import_patients", &gbk, &[("encoding", "ebcdic")]).unwrap_err();
    assert_eq!(enc["field"], "encoding");

    // Past visits of the imported patients: the first column is the old record number.
    let visits = "病历号,日期,科室,金额\nA001,2024/3/5,口腔科,280\nA999,2024/3/6,口腔科,100\n";
    let dry = call_raw(&h, "import_visits", visits.as_bytes(), &[]).unwrap();
    assert_eq!(dry["report"]["imported"], false);
    assert_eq!(dry["report"]["newVisits"], 1);
    assert_eq!(dry["report"]["problems"][0]["row"], 3);
    assert_eq!(dry["columns"][1]["field"], "date");
    let unmapped = call_raw(
        &h,
        "import_visits",
        visits.as_bytes(),
        &[("mapping", r#"["recordNo",null,"department","amount"]"#)],
    )
    .unwrap_err();
    assert_eq!(unmapped["field"], "mapping");
    let done = call_raw(
        &h,
        "import_visits",
        visits.as_bytes(),
        &[("dry-run", "false")],
    )
    .unwrap();
    assert_eq!(done["report"]["newVisits"], 1);
    let id = found[0]["id"].as_str().unwrap();
    let list = call(&h, "visit_list", json!({"patientId": id})).unwrap();
    assert_eq!(list[0]["department"], "dental");
}

#[test]
fn first_run_then_patients_and_visits_over_ipc() {
    let h = harness();
    let status = call(&h, "app_status", json!({})).unwrap();
    assert_eq!(status["folder"], "empty");
    assert_eq!(status["unlocked"], false);

    // Locked: data commands refuse with a typed error, not a crash.
    let err = call(
        &h,
        "patient_list",
        json!({"includeArchived": false, "limit": 10, "offset": 0}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "LOCKED");

    let short = call(&h, "setup_clinic", json!({"passphrase": "short"})).unwrap_err();
    assert_eq!(
        short,
        json!({"code": "VALIDATION", "message": "passphrase: must be at least 8 characters", "field": "passphrase", "rule": "too_short"})
    );

    let status = call(
        &h,
        "setup_clinic",
        json!({"passphrase": "correct horse battery"}),
    )
    .unwrap();
    assert_eq!(status["folder"], "ready");
    assert_eq!(status["unlocked"], true);

    let input = json!({"name": "张伟明", "sex": "M", "birthDate": "1980-05-17", "phone": "13812345678",
        "email": null, "address": null, "paymentType": "public-insurance", "allergies": [{"substance": "青霉素", "reaction": null, "severity": "severe"}],
        "notes": null});
    let patient = call(
        &h,
        "patient_create",
        json!({"input": input, "allowDuplicate": false}),
    )
    .unwrap();
    assert_eq!(patient["allergies"][0]["severity"], "severe");
    // The same phone again: refused as data the window can act on, then listed.
    let again = json!({"name": "张卫民", "phone": "+86 138 1234 5678"});
    let dup = call(
        &h,
        "patient_create",
        json!({"input": again, "allowDuplicate": false}),
    )
    .unwrap_err();
    assert_eq!(dup["code"], "DUPLICATE");
    let found = call(
        &h,
        "patient_duplicates",
        json!({"input": again, "except": null}),
    )
    .unwrap();
    assert_eq!(found[0]["reasons"], json!(["phone"]));
    let id = patient["id"].as_str().unwrap().to_string();
    assert_eq!(patient["paymentType"], "public-insurance");

    let bad = call(
        &h,
        "patient_create",
        json!({"input": {"name": "王芳", "birthDate": "2026-02-30"}, "allowDuplicate": false}),
    )
    .unwrap_err();
    assert_eq!(
        (
            bad["code"].as_str(),
            bad["field"].as_str(),
            bad["rule"].as_str()
        ),
        (Some("VALIDATION"), Some("birthDate"), Some("invalid_date"))
    );

    let hits = call(&h, "patient_search", json!({"query": "伟明", "limit": 10})).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["hasAllergies"], true);

    let visit = json!({"patientId": id, "at": "2026-11-20T09:30+08:00", "department": "dental", "doctor": "林医生",
        "visitType": "return", "chiefComplaint": "牙痛", "diagnosis": null, "treatment": null,
        "amount": "350.00", "satisfaction": 5, "feedback": null});
    let added = call(&h, "visit_add", json!({"input": visit})).unwrap();
    assert_eq!(added["amount"], "350.00");
    let negative = call(&h, "visit_add", json!({"input": {"patientId": id, "at": "2026-11-20T09:30+08:00", "department": "dental", "visitType": "return", "amount": "-3"}})).unwrap_err();
    assert_eq!(negative["rule"], "negative");

    // Exports and the template land in the export folder, never over an existing file.
    let first = call(
        &h,
        "export_to_downloads",
        json!({"what": "patients", "format": "xlsx"}),
    )
    .unwrap();
    let second = call(
        &h,
        "export_to_downloads",
        json!({"what": "patients", "format": "xlsx"}),
    )
    .unwrap();
    assert_ne!(first, second);
    assert!(second.as_str().unwrap().ends_with(").xlsx"), "{second}");
    let xlsx = std::fs::read(first.as_str().unwrap()).unwrap();
    assert_eq!(&xlsx[..2], b"PK", "a real spreadsheet (zip)");
    let template = call(
        &h,
        "import_template_to_downloads",
        json!({"language": "zh-CN", "kind": "patients"}),
    )
    .unwrap();
    let text = std::fs::read_to_string(template.as_str().unwrap()).unwrap();
    assert!(text.contains("姓名") && text.contains("手机"), "{text}");
    let template = call(
        &h,
        "import_template_to_downloads",
        json!({"language": "zh-TW", "kind": "visits"}),
    )
    .unwrap();
    let text = std::fs::read_to_string(template.as_str().unwrap()).unwrap();
    assert!(
        text.contains("就診日期") && text.contains("病歷號"),
        "{text}"
    );

    // Handouts: the library, what fits this patient, a PDF in the export folder, the record.
    let topics = call(&h, "handout_topics", json!({})).unwrap();
    assert_eq!(topics.as_array().unwrap().len(), 12);
    let fits = call(&h, "handout_recommend", json!({"patientId": id})).unwrap();
    assert!(fits.is_array(), "{fits}");
    let pdf = call(
        &h,
        "handout_to_downloads",
        json!({"patientId": id, "topic": "tooth-extraction", "language": null, "plain": null, "paper": "a5"}),
    )
    .unwrap();
    let pdf = pdf.as_str().unwrap();
    assert!(pdf.ends_with("拔牙后注意事项-张伟明.pdf"), "{pdf}");
    assert_eq!(&std::fs::read(pdf).unwrap()[..5], b"%PDF-");
    let given = call(&h, "handout_given", json!({"patientId": id})).unwrap();
    assert_eq!(given[0]["topic"], "tooth-extraction");
    let unknown = call(
        &h,
        "handout_to_downloads",
        json!({"patientId": id, "topic": "astrology", "language": "en", "plain": false, "paper": "a4"}),
    )
    .unwrap_err();
    assert_eq!(unknown["field"], "topic");

    let visits = call(&h, "visit_list", json!({"patientId": id})).unwrap();
    assert_eq!(visits.as_array().unwrap().len(), 1);

    let missing = call(&h, "patient_get", json!({"id": "not-an-id"})).unwrap_err();
    assert_eq!(missing["code"], "NOT_FOUND");

    // Lock, then the wrong and the right passphrase.
    let status = call(&h, "lock", json!({"forget": false})).unwrap();
    assert_eq!(status["unlocked"], false);
    let wrong = call(&h, "unlock", json!({"passphrase": "wrong passphrase"})).unwrap_err();
    assert_eq!(wrong["code"], "WRONG_PASSPHRASE");
    call(&h, "unlock", json!({"passphrase": "correct horse battery"})).unwrap();
    let again = call(&h, "patient_get", json!({"id": id})).unwrap();
    assert_eq!(again["name"], "张伟明");
}

#[test]
fn handout_templates_logo_and_a_batch_through_ipc() {
    let h = unlocked();
    let profile = call(
        &h,
        "settings_clinic_set",
        json!({"profile": {"name": "康健牙科", "address": "台北市", "phone": "02-2345-6789"}}),
    )
    .unwrap();
    assert_eq!(call(&h, "settings_clinic_get", json!({})).unwrap(), profile);

    // The logo travels as raw bytes both ways; an empty body removes it.
    let logo_bytes = |h: &Harness| -> Vec<u8> {
        match invoke(
            h,
            "settings_logo_get",
            InvokeBody::Json(json!({})),
            Default::default(),
        )
        .unwrap()
        {
            tauri::ipc::InvokeResponseBody::Raw(bytes) => bytes,
            other => panic!("expected raw bytes, got {other:?}"),
        }
    };
    assert!(logo_bytes(&h).is_empty());
    let png = include_bytes!("../../crates/clinic-core/tests/fixtures/logo.png");
    call_raw(&h, "settings_logo_set", png, &[]).unwrap();
    assert_eq!(logo_bytes(&h), png);
    let bad = call_raw(&h, "settings_logo_set", b"GIF89a nonsense", &[]).unwrap_err();
    assert_eq!(
        (bad["code"].as_str(), bad["field"].as_str()),
        (Some("VALIDATION"), Some("logo"))
    );
    assert_eq!(logo_bytes(&h), png);
    call_raw(&h, "settings_logo_set", b"", &[]).unwrap();
    assert!(logo_bytes(&h).is_empty());

    // Templates: open, preview a draft, save, list, reset.
    let key = json!({"topic": "quit-smoking", "language": "zh-TW", "plain": false});
    let text = call(&h, "handout_template_get", json!({"key": key})).unwrap();
    assert_eq!(text["edited"], false);
    let draft = format!(
        "{}\n本診所戒菸門診：{{{{clinic.phone}}}}\n",
        text["source"].as_str().unwrap()
    );
    let preview = call(
        &h,
        "handout_template_preview",
        json!({"source": draft, "language": "zh-TW", "plain": false, "paper": "a4"}),
    )
    .unwrap();
    assert!(preview["pages"].as_u64().unwrap() >= 1);
    assert!(preview.to_string().contains("02-2345-6789"), "{preview}");
    let broken = call(
        &h,
        "handout_template_preview",
        json!({"source": "{{oops}}", "language": "zh-TW", "plain": false, "paper": "a4"}),
    )
    .unwrap_err();
    assert_eq!(broken["code"], "VALIDATION");
    let saved = call(
        &h,
        "handout_template_save",
        json!({"key": key, "source": draft}),
    )
    .unwrap();
    assert_eq!(saved["edited"], true);
    assert_eq!(
        call(&h, "handout_templates_edited", json!({})).unwrap(),
        json!([key])
    );
    let reset = call(&h, "handout_template_reset", json!({"key": key})).unwrap();
    assert_eq!(reset, text);

    // A batch of two patients into one PDF in Downloads.
    let mut ids = Vec::new();
    for name in ["陳美玲", "林志明"] {
        let p = call(
            &h,
            "patient_create",
            json!({"input": {"name": name}, "allowDuplicate": false}),
        )
        .unwrap();
        ids.push(p["id"].as_str().unwrap().to_string());
    }
    let items: Vec<Value> = ids
        .iter()
        .map(|id| json!({"patientId": id, "topic": "eating-out", "language": "zh-TW", "plain": null}))
        .collect();
    let path = call(
        &h,
        "handout_batch_to_downloads",
        json!({"items": items, "paper": "a5"}),
    )
    .unwrap();
    let path = path.as_str().unwrap();
    assert!(
        path.contains("handouts-") && path.ends_with(".pdf"),
        "{path}"
    );
    assert_eq!(&std::fs::read(path).unwrap()[..5], b"%PDF-");
    for id in &ids {
        let given = call(&h, "handout_given", json!({"patientId": id})).unwrap();
        assert_eq!(given[0]["topic"], "eating-out");
    }
    let empty = call(
        &h,
        "handout_batch_to_downloads",
        json!({"items": [], "paper": "a4"}),
    )
    .unwrap_err();
    assert_eq!(empty["code"], "VALIDATION");
    call(&h, "handout_batch_cancel", json!({})).unwrap();
}

#[test]
fn backups_through_ipc_status_now_list() {
    let h = unlocked();
    let status = call(&h, "backup_status", json!({})).unwrap();
    assert_eq!(status["folderCheck"], "unset");
    let none = call(&h, "backup_now", json!({"folder": null})).unwrap_err();
    assert_eq!(none["code"], "VALIDATION");
    let missing = call(&h, "backup_now", json!({"folder": "/media/no-usb-here"})).unwrap_err();
    assert_eq!(missing["code"], "FOLDER_MISSING");

    let usb = tempfile::tempdir().unwrap();
    let folder = usb.path().display().to_string();
    let report = call(&h, "backup_now", json!({"folder": folder})).unwrap();
    assert!(
        report["path"].as_str().unwrap().ends_with(".clinicbackup"),
        "{report}"
    );
    // Remembered: the next one needs no folder.
    call(&h, "backup_now", json!({"folder": null})).unwrap();
    let status = call(&h, "backup_status", json!({})).unwrap();
    assert_eq!(status["folder"], folder);
    assert_eq!(status["folderCheck"], "ready");
    assert_eq!(status["lastGood"]["ok"], true);
    // Rotation keeps the newest of today (by default one a day for a week).
    let listed = call(&h, "backup_list", json!({"folder": folder})).unwrap();
    assert_eq!(listed["backups"].as_array().unwrap().len(), 1, "{listed}");
}

fn add_patient(h: &Harness, name: &str) {
    call(
        h,
        "patient_create",
        json!({"input": {"name": name}, "allowDuplicate": true}),
    )
    .unwrap();
}

fn patient_count(h: &Harness) -> usize {
    call(
        h,
        "patient_list",
        json!({"includeArchived": true, "limit": 100, "offset": 0}),
    )
    .unwrap()
    .as_array()
    .unwrap()
    .len()
}

#[test]
fn recovery_kit_passphrase_rotation_and_restore_through_ipc() {
    let h = unlocked();
    add_patient(&h, "张伟明");
    assert_eq!(
        call(&h, "key_status", json!({})).unwrap()["hasRecoveryCode"],
        false
    );
    let kit_args = |secret: &str| json!({"secret": secret, "language": "zh-TW", "paper": "a4"});
    let wrong = call(&h, "recovery_kit_to_downloads", kit_args("not it")).unwrap_err();
    assert_eq!(wrong["code"], "WRONG_PASSPHRASE");
    let kit = call(
        &h,
        "recovery_kit_to_downloads",
        kit_args("correct horse battery"),
    )
    .unwrap();
    let code = kit["code"].as_str().unwrap().to_string();
    assert!(std::fs::read(kit["path"].as_str().unwrap())
        .unwrap()
        .starts_with(b"%PDF"));

    // A new passphrase, with the code standing in for the old one.
    call(
        &h,
        "passphrase_change",
        json!({"secret": code, "newPassphrase": "second passphrase"}),
    )
    .unwrap();
    let report = call(&h, "key_rotate", json!({"secret": "second passphrase"})).unwrap();
    assert_eq!(report["counts"]["patients"], 1);
    add_patient(&h, "王芳");

    let usb = tempfile::tempdir().unwrap();
    let backup = call(
        &h,
        "backup_now",
        json!({"folder": usb.path().display().to_string()}),
    )
    .unwrap()["path"]
        .as_str()
        .unwrap()
        .to_string();
    add_patient(&h, "陳美玲");
    let preview = call(
        &h,
        "backup_inspect",
        json!({"file": backup, "secret": code}),
    )
    .unwrap();
    assert_eq!(preview["counts"]["patients"], 2, "{preview}");
    let wrong = call(
        &h,
        "backup_inspect",
        json!({"file": backup, "secret": "not it at all"}),
    )
    .unwrap_err();
    assert_eq!(wrong["code"], "WRONG_PASSPHRASE");

    // A restore that fails leaves the open clinic open, as it was.
    let junk = usb.path().join("junk.clinicbackup");
    std::fs::write(&junk, b"not a backup").unwrap();
    let bad = call(
        &h,
        "backup_restore",
        json!({"file": junk.display().to_string(), "secret": code}),
    )
    .unwrap_err();
    assert_eq!(bad["code"], "BACKUP_INVALID");
    assert_eq!(patient_count(&h), 3);

    let restored = call(
        &h,
        "backup_restore",
        json!({"file": backup, "secret": code}),
    )
    .unwrap();
    assert_eq!(restored["status"]["unlocked"], true, "{restored}");
    assert!(restored["report"]["safetyCopy"].is_string(), "{restored}");
    assert_eq!(patient_count(&h), 2);
    // The backup was made before the folder was remembered; this computer's folder stays.
    let status = call(&h, "backup_status", json!({})).unwrap();
    assert_eq!(status["folder"], usb.path().display().to_string());

    // Forgot the passphrase: the code sets a new one at the unlock screen.
    call(&h, "lock", json!({"forget": true})).unwrap();
    let status = call(
        &h,
        "passphrase_reset",
        json!({"code": code, "newPassphrase": "third passphrase"}),
    )
    .unwrap();
    assert_eq!(status["unlocked"], true);
    call(&h, "lock", json!({"forget": true})).unwrap();
    call(&h, "unlock", json!({"passphrase": "third passphrase"})).unwrap();

    // A new computer: restore at first run.
    let fresh = harness();
    assert_eq!(
        call(&fresh, "app_status", json!({})).unwrap()["folder"],
        "empty"
    );
    let restored = call(
        &fresh,
        "backup_restore",
        json!({"file": backup, "secret": "second passphrase"}),
    )
    .unwrap();
    assert_eq!(restored["status"]["folder"], "ready");
    assert_eq!(restored["status"]["unlocked"], true);
    assert!(restored["report"]["safetyCopy"].is_null());
    assert_eq!(patient_count(&fresh), 2);
}

#[test]
fn the_schedule_over_ipc_and_a_backup_when_the_window_closes() {
    let h = unlocked();
    let usb = tempfile::tempdir().unwrap();
    let folder = usb.path().display().to_string();
    let schedule = json!({"dailyAt": "7:30", "onClose": true, "keepDaily": 1, "keepWeekly": 0, "staleDays": 3});
    let saved = call(&h, "backup_schedule_set", json!({"schedule": schedule})).unwrap();
    assert_eq!(saved["dailyAt"], "07:30");
    let bad = json!({"dailyAt": "7h30", "onClose": true, "keepDaily": 1, "keepWeekly": 0, "staleDays": 3});
    let err = call(&h, "backup_schedule_set", json!({"schedule": bad})).unwrap_err();
    assert_eq!(
        (err["code"].as_str(), err["field"].as_str()),
        (Some("VALIDATION"), Some("dailyAt"))
    );
    assert_eq!(
        call(&h, "backup_status", json!({})).unwrap()["schedule"]["staleDays"],
        3
    );

    // "Back up now" twice: rotation keeps one a day.
    call(&h, "backup_now", json!({"folder": folder})).unwrap();
    let second = call(&h, "backup_now", json!({"folder": null})).unwrap();
    assert_eq!(second["removed"].as_array().unwrap().len(), 1, "{second}");

    // What the window's close handler asks: wanted, then the closing backup itself (the
    // mock runtime raises no window events; the handler is two calls on the state).
    let state = h._app.state::<AppState>();
    assert!(state.backup_on_close_wanted());
    let closing = state
        .scheduled_backup(clinic_core::backup::Trigger::Close)
        .unwrap()
        .unwrap();
    assert_eq!(closing.removed, [second["path"].as_str().unwrap()]);
    let left: Vec<String> = std::fs::read_dir(usb.path())
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .collect();
    assert_eq!(left, std::slice::from_ref(&closing.path));
    // Locked: nothing to back up, the window just closes.
    call(&h, "lock", json!({"forget": false})).unwrap();
    assert!(!state.backup_on_close_wanted());
    assert!(state
        .scheduled_backup(clinic_core::backup::Trigger::Close)
        .is_none());
}

#[test]
fn segments_through_ipc_labels_counts_members_and_thresholds() {
    let h = unlocked();
    let patient = call(
        &h,
        "patient_create",
        json!({"input": {"name": "张伟明", "birthDate": "1950-05-17", "paymentType": "self-pay"}, "allowDuplicate": false}),
    )
    .unwrap();
    let id = patient["id"].as_str().unwrap().to_string();
    let labels = call(&h, "segments_explain", json!({"patientId": id})).unwrap();
    let age = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["dimension"] == "age-group")
        .unwrap();
    assert_eq!(
        (age["label"].as_str(), age["rule"].as_str()),
        (Some("senior"), Some("age"))
    );
    assert_eq!(age["facts"]["birthDate"], "1950-05-17");
    let counts = call(&h, "segments_counts", json!({})).unwrap();
    let lifecycle = counts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dimension"] == "lifecycle")
        .unwrap();
    assert_eq!(
        lifecycle["counts"],
        json!([{"label": "potential", "count": 1}])
    );
    let members = call(
        &h,
        "segments_members",
        json!({"dimension": "payment-type", "label": "self-pay"}),
    )
    .unwrap();
    assert_eq!(members[0]["name"], "张伟明");
    let mut rules = call(&h, "segment_rules_get", json!({})).unwrap();
    rules["ageGroup"]["seniorMin"] = json!(80);
    let saved = call(&h, "segment_rules_set", json!({"rules": rules})).unwrap();
    assert_eq!(saved["ageGroup"]["seniorMin"], 80);
    rules["ageGroup"]["seniorMin"] = json!(10);
    let err = call(&h, "segment_rules_set", json!({"rules": rules})).unwrap_err();
    assert_eq!(err["code"], "VALIDATION");
    let labels = call(&h, "segments_explain", json!({"patientId": id})).unwrap();
    assert!(labels
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["dimension"] == "age-group" && l["label"] == "adult"));
}

#[test]
fn rule_segments_and_tags_through_ipc() {
    let h = unlocked();
    let patient = call(
        &h,
        "patient_create",
        json!({"input": {"name": "张伟明", "birthDate": "1950-05-17"}, "allowDuplicate": false}),
    )
    .unwrap();
    let id = patient["id"].as_str().unwrap().to_string();
    call(
        &h,
        "patient_create",
        json!({"input": {"name": "陳美玲", "birthDate": "2001-01-01"}, "allowDuplicate": false}),
    )
    .unwrap();
    let templates = call(&h, "segment_templates", json!({})).unwrap();
    assert!(templates.as_array().unwrap().len() >= 10);

    let rule = json!({"kind": "any", "items": [
        {"kind": "age", "min": 65, "max": null},
        {"kind": "tag", "name": "VIP"}]});
    // An unknown tag comes back as a typed validation error.
    let err = call(
        &h,
        "segment_rule_evaluate",
        json!({"rule": rule, "limit": 10}),
    )
    .unwrap_err();
    assert_eq!(
        (err["code"].as_str(), err["rule"].as_str()),
        (Some("VALIDATION"), Some("unknown_value"))
    );
    let tag = call(
        &h,
        "tag_save",
        json!({"id": null, "name": "VIP", "colour": "gold"}),
    )
    .unwrap();
    let live = call(
        &h,
        "segment_rule_evaluate",
        json!({"rule": rule, "limit": 10}),
    )
    .unwrap();
    assert_eq!(live["count"], 1);
    assert_eq!(live["members"][0]["why"][0]["kind"], "age");

    let saved = call(
        &h,
        "segment_save",
        json!({"id": null, "name": "Seniors or VIP", "description": null, "rule": rule, "template": null}),
    )
    .unwrap();
    assert_eq!(saved["count"], 1);
    // Tag everyone in the built-in adult label: the saved segment grows.
    let n = call(
        &h,
        "tag_patients",
        json!({"tagId": tag["id"], "patientIds": [], "segment": {"kind": "label", "dimension": "age-group", "label": "adult"}, "remove": false}),
    )
    .unwrap();
    assert_eq!(n, 1);
    let list = call(&h, "segments_saved", json!({})).unwrap();
    assert_eq!(list[0]["count"], 2);
    let members = call(
        &h,
        "segment_saved_members",
        json!({"name": "seniors or vip"}),
    )
    .unwrap();
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    let mine = call(&h, "patient_tags", json!({"patientId": id})).unwrap();
    assert_eq!(mine, json!([]));
    let theirs = call(&h, "patient_saved_segments", json!({"patientId": id})).unwrap();
    assert_eq!(theirs[0]["name"], "Seniors or VIP");
    assert_eq!(theirs[0]["why"][0]["kind"], "age");
    let err = call(&h, "tag_delete", json!({"id": tag["id"]})).unwrap_err();
    assert_eq!(err["code"], "IN_USE");

    // A campaign list: only who agreed to marketing; the others are counted.
    let export = || {
        call(
            &h,
            "segment_export",
            json!({"segment": {"kind": "saved", "name": "Seniors or VIP"}, "format": "csv", "purpose": "marketing"}),
        )
        .unwrap()
    };
    let written = export();
    assert_eq!(
        (written["listed"].clone(), written["withoutConsent"].clone()),
        (json!(0), json!(2))
    );
    call(
        &h,
        "patient_consent",
        json!({"id": id, "purpose": "marketing", "given": true, "note": null}),
    )
    .unwrap();
    let written = export();
    assert_eq!(
        (written["listed"].clone(), written["withoutConsent"].clone()),
        (json!(1), json!(1))
    );
    let text = std::fs::read_to_string(written["path"].as_str().unwrap()).unwrap();
    assert!(
        text.contains("张伟明") && !text.contains("陳美玲"),
        "{text}"
    );

    call(&h, "segment_delete", json!({"id": saved["id"]})).unwrap();
    call(&h, "tag_delete", json!({"id": tag["id"]})).unwrap();
    assert_eq!(call(&h, "tags_list", json!({})).unwrap(), json!([]));
}

#[test]
fn appointments_and_the_work_list_through_ipc() {
    let h = unlocked();
    let created = call(
        &h,
        "patient_create",
        json!({"input": {"name": "王丽", "sex": "F", "phone": "13800001111"}, "allowDuplicate": false}),
    )
    .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    call(
        &h,
        "patient_consent",
        json!({"id": id, "purpose": "reminders", "given": true, "note": null}),
    )
    .unwrap();
    let day = (chrono::Local::now() + chrono::Duration::days(3)).date_naive();
    let input = json!({
        "patientId": id, "at": format!("{day}T10:00"), "minutes": 30, "doctor": "陈医生",
        "room": null, "reason": "洗牙", "note": null, "allowOverlap": false, "allowOutsideHours": true
    });
    let booked = call(&h, "appointment_book", json!({"input": input})).unwrap();
    assert_eq!(booked["status"], "scheduled");
    // A clash crosses IPC as data: code and field.
    let err = call(&h, "appointment_book", json!({"input": input})).unwrap_err();
    assert_eq!(err["code"], "CONFLICT");
    assert_eq!(err["field"], "patientId");
    let listed = call(
        &h,
        "appointments_list",
        json!({"query": {"from": day, "to": day, "doctor": null, "room": null, "patientId": null}}),
    )
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let confirmed = call(
        &h,
        "appointment_status",
        json!({"id": booked["id"], "status": "confirmed", "visitId": null}),
    )
    .unwrap();
    assert_eq!(confirmed["status"], "confirmed");

    // Today's list has the booking confirmation; logging "reached" settles it.
    let list = call(&h, "reminders_due", json!({"date": null})).unwrap();
    let contact = &list["contacts"][0];
    assert_eq!(contact["items"][0]["kind"], "confirmation");
    let ids: Vec<Value> = contact["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reminderId"].clone())
        .collect();
    let logged = call(
        &h,
        "reminder_log",
        json!({"input": {"patientId": id, "reminderIds": ids, "outcome": "reached", "channel": null,
                         "message": null, "note": null, "pain": null, "satisfaction": null}}),
    )
    .unwrap();
    assert_eq!(logged["settled"], 1);
    let list = call(&h, "reminders_due", json!({"date": null})).unwrap();
    assert_eq!(list["contacts"].as_array().unwrap().len(), 0);
    assert_eq!(list["done"], 1);
    let rules = call(&h, "reminder_rules_get", json!({})).unwrap();
    assert_eq!(rules["dayBefore"]["daysBefore"], 1);
    let schedule = call(&h, "schedule_get", json!({})).unwrap();
    assert_eq!(schedule["hours"].as_array().unwrap().len(), 7);
}

#[test]
fn loyalty_over_ipc_settings_a_visit_earns_redeem_and_cancel() {
    let h = unlocked();
    // Off until a jurisdiction is chosen; a preset is not saved until the owner saves it.
    let off = call(&h, "loyalty_settings_get", json!({})).unwrap();
    assert_eq!(off["enabled"], false);
    let tw = call(&h, "loyalty_preset", json!({"jurisdiction": "taiwan"})).unwrap();
    assert_eq!(tw["enabled"], false);
    let cn = call(
        &h,
        "loyalty_preset",
        json!({"jurisdiction": "mainland-china"}),
    )
    .unwrap();
    call(&h, "loyalty_settings_set", json!({"settings": cn})).unwrap();
    let created = call(
        &h,
        "patient_create",
        json!({"input": {"name": "刘洋", "phone": "13800009999", "paymentType": "self-pay"}, "allowDuplicate": false}),
    )
    .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let visit = json!({"patientId": id, "at": "2026-11-20T09:30+08:00", "department": "dental", "visitType": "first", "amount": "250.00"});
    call(&h, "visit_add", json!({"input": visit})).unwrap();
    let s = call(&h, "points_get", json!({"patientId": id})).unwrap();
    assert_eq!(s["balance"], 25);
    assert_eq!(s["entries"][0]["source"], "visit");
    let reward = call(
        &h,
        "reward_save",
        json!({"input": {"id": null, "name": "洗牙", "kind": "check-up", "costPoints": 20, "stock": 1, "activeFrom": null, "activeUntil": null}}),
    )
    .unwrap();
    let v = call(
        &h,
        "points_redeem",
        json!({"patientId": id, "rewardId": reward["id"]}),
    )
    .unwrap();
    assert_eq!(v["state"], "issued");
    // Not enough left for another: the refusal crosses IPC as data.
    let err = call(
        &h,
        "points_redeem",
        json!({"patientId": id, "rewardId": reward["id"]}),
    )
    .unwrap_err();
    assert_eq!(err["field"], "rewardId"); // out of stock is said first
    let cancelled = call(
        &h,
        "voucher_settle",
        json!({"code": v["code"], "stateTo": "cancelled"}),
    )
    .unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    let s = call(&h, "points_get", json!({"patientId": id})).unwrap();
    assert_eq!(s["balance"], 25);
    let err = call(
        &h,
        "points_adjust",
        json!({"patientId": id, "points": -100, "reason": "test"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "INSUFFICIENT_POINTS");
    let listed = call(&h, "rewards_list", json!({"includeRetired": false})).unwrap();
    assert_eq!(listed[0]["stock"], 1);
    // The window's "save and requalify now": runs whatever the month.
    let run = call(&h, "tiers_requalify", json!({})).unwrap();
    assert_eq!(run["ran"], true);
    assert_eq!(run["members"][0]["tier"], "regular");
    let m = call(&h, "membership_get", json!({"patientId": id})).unwrap();
    assert_eq!(m["tier"], "regular");
}

/// Each opening of the clinic (set-up, a passphrase, a restore) asks the warm-up thread for
/// one warm-up; with nothing newly opened it waits.
#[test]
fn opening_the_clinic_asks_for_one_warm_up() {
    use std::sync::mpsc::channel;
    use std::time::Duration;
    let h = unlocked();
    let state: &AppState = h._app.state::<AppState>().inner();
    std::thread::scope(|s| {
        let warm_up = || {
            let (done, finished) = channel();
            s.spawn(move || {
                state.warm_up_when_opened();
                let _ = done.send(());
            });
            finished
        };
        warm_up()
            .recv_timeout(Duration::from_secs(20))
            .expect("the set-up asked for a warm-up");
        let next = warm_up();
        assert!(
            next.recv_timeout(Duration::from_millis(300)).is_err(),
            "nothing was opened since"
        );
        call(&h, "lock", json!({"forget": false})).unwrap();
        call(&h, "unlock", json!({"passphrase": "correct horse battery"})).unwrap();
        next.recv_timeout(Duration::from_secs(20))
            .expect("unlocking asked for a warm-up");
    });
}
