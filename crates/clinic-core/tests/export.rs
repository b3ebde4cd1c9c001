//! Export: CSV that Excel opens and that imports back unchanged, XLSX, and a FHIR R4 Bundle.

use clinic_core::export::{Export, ExportFormat, ExportWhat};
use clinic_core::import::{read_table, ImportPatients, TextEncoding};
use clinic_core::patients::{CreatePatient, ListPatients, PatientInput};
use clinic_core::visits::{AddVisit, VisitInput};
mod common;

use clinic_core::{Actor, Clinic};
use common::clinic;
use serde_json::Value;

fn sample(c: &Clinic) {
    let zhang = c
        .execute(
            &Actor::owner(),
            CreatePatient::new(PatientInput {
                name: "张伟明".into(),
                sex: Some("M".into()),
                birth_date: Some("1980-05-17".into()),
                phone: Some("138 1234 5678".into()),
                payment_type: Some("public-insurance".into()),
                allergies: vec![clinic_core::patients::AllergyInput {
                    substance: "青霉素".into(),
                    ..Default::default()
                }],
                id_number: Some("11010519491231002X".into()),
                notes: Some("复诊, \"按时\"\n第二行".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    c.execute(
        &Actor::owner(),
        CreatePatient::new(PatientInput {
            name: "陳美玲".into(),
            sex: Some("F".into()),
            phone: Some("0912-345-678".into()),
            ..Default::default()
        }),
    )
    .unwrap();
    for (at, amount) in [
        ("2026-11-20T09:30+08:00", "350.00"),
        ("2026-03-02T15:00+08:00", "1200.5"),
    ] {
        c.execute(
            &Actor::owner(),
            AddVisit(VisitInput {
                patient_id: zhang.id.to_string(),
                at: at.into(),
                department: "dental".into(),
                visit_type: "return".into(),
                amount: Some(amount.into()),
                doctor: Some("林医生".into()),
                chief_complaint: Some("牙痛".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    }
}

fn export(c: &Clinic, what: ExportWhat, format: ExportFormat) -> Vec<u8> {
    c.execute(&Actor::owner(), Export { what, format }).unwrap()
}

fn patients(c: &Clinic) -> Vec<(String, Option<String>, Option<String>)> {
    let mut v: Vec<_> = c
        .execute(
            &Actor::owner(),
            ListPatients {
                include_archived: true,
                limit: 100,
                offset: 0,
            },
        )
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.phone, p.age.map(|a| a.to_string())))
        .collect();
    v.sort();
    v
}

#[test]
fn patients_csv_has_a_bom_and_imports_back_unchanged() {
    let (_a, source) = clinic();
    sample(&source);
    let csv = export(&source, ExportWhat::Patients, ExportFormat::Csv);
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "Excel needs the BOM to read UTF-8"
    );
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.starts_with("id,name,sex,birthDate,phone"), "{text}");
    assert!(
        text.contains("\"复诊, \"\"按时\"\"\n第二行\""),
        "quotes and newlines escaped"
    );

    let (_b, copy) = clinic();
    let report = copy
        .execute(
            &Actor::owner(),
            ImportPatients {
                table: read_table(&csv, TextEncoding::Auto).unwrap(),
                mapping: None,
                dry_run: false,
            },
        )
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.new_patients, 2);
    assert_eq!(patients(&copy), patients(&source));
}

#[test]
fn visits_csv_keeps_exact_amounts_and_offsets() {
    let (_t, c) = clinic();
    sample(&c);
    let csv = export(&c, ExportWhat::Visits, ExportFormat::Csv);
    let table = read_table(&csv, TextEncoding::Auto).unwrap();
    assert_eq!(table.headers[2], "patientName");
    assert_eq!(table.rows.len(), 2);
    let first = &table.rows[0].cells; // oldest first
    assert_eq!(first[2], "张伟明");
    assert_eq!(first[3], "2026-03-02T15:00:00+08:00");
    assert_eq!(first[10], "1200.50");
    assert_eq!(table.rows[1].cells[10], "350.00");
}

#[test]
fn xlsx_reads_back_with_text_phones_and_numeric_amounts() {
    let (_t, c) = clinic();
    sample(&c);
    let xlsx = export(&c, ExportWhat::Patients, ExportFormat::Xlsx);
    let table = read_table(&xlsx, TextEncoding::Auto).unwrap();
    assert_eq!(table.read_as, "XLSX");
    let zhang = table.rows.iter().find(|r| r.cells[1] == "张伟明").unwrap();
    assert_eq!(zhang.cells[4], "138 1234 5678");
    let visits = export(&c, ExportWhat::Visits, ExportFormat::Xlsx);
    let table = read_table(&visits, TextEncoding::Auto).unwrap();
    assert_eq!(
        table.rows[0].cells[10], "1200.5",
        "a number cell, formatted #,##0.00 in Excel"
    );
}

#[test]
fn fhir_bundle_links_encounters_and_allergies_to_patients() {
    let (_t, c) = clinic();
    sample(&c);
    let bytes = export(&c, ExportWhat::Patients, ExportFormat::Fhir);
    let bundle: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let resources: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let of = |t: &str| resources.iter().filter(|r| r["resourceType"] == t).count();
    assert_eq!(
        (of("Patient"), of("Encounter"), of("AllergyIntolerance")),
        (2, 2, 1)
    );
    let zhang = resources
        .iter()
        .find(|r| r["name"][0]["text"] == "张伟明")
        .unwrap();
    assert_eq!(zhang["gender"], "male");
    assert_eq!(zhang["birthDate"], "1980-05-17");
    assert_eq!(zhang["identifier"][0]["value"], "11010519491231002X");
    let reference = format!("Patient/{}", zhang["id"].as_str().unwrap());
    let encounter = resources
        .iter()
        .find(|r| r["resourceType"] == "Encounter")
        .unwrap();
    assert_eq!(encounter["subject"]["reference"], reference.as_str());
    assert_eq!(encounter["class"]["code"], "AMB");
    let allergy = resources
        .iter()
        .find(|r| r["resourceType"] == "AllergyIntolerance")
        .unwrap();
    assert_eq!(allergy["patient"]["reference"], reference.as_str());
    assert_eq!(allergy["code"]["text"], "青霉素");
}
