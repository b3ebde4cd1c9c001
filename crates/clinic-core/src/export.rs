//! Getting data out: patients and visits as CSV (UTF-8 with BOM, so Excel on Chinese
//! Windows opens it correctly), XLSX, and a FHIR R4 Bundle for other health systems.
//! A patients CSV exported here imports back unchanged (its headers are ones import knows).

use rusqlite::Transaction;
use rust_xlsxwriter::{Format, Workbook};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::{patient_from_row, with_details, AllergySeverity, Patient, PATIENT_COLUMNS};
use crate::visits::{visit_from_row, Visit, VISIT_COLUMNS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    /// A FHIR R4 `Bundle` (type `collection`) as JSON.
    Fhir,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            "fhir" | "json" => Ok(ExportFormat::Fhir),
            _ => Err(ClinicError::validation(
                "format",
                ValidationRule::UnknownValue,
                "csv, xlsx or fhir",
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportWhat {
    Patients,
    Visits,
}

/// The whole file, ready to write. Archived records are included (marked): an export is
/// what the clinic holds.
pub struct Export {
    pub what: ExportWhat,
    pub format: ExportFormat,
}

/// A table: header and rows of text (and, for XLSX, which columns are money).
pub(crate) struct Sheet {
    pub name: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
    pub money_column: Option<usize>,
}

impl Sheet {
    /// The sheet as a CSV (UTF-8 with BOM) or XLSX file.
    pub(crate) fn bytes(&self, format: ExportFormat) -> Result<Vec<u8>> {
        match format {
            ExportFormat::Csv => to_csv(self),
            ExportFormat::Xlsx => to_xlsx(self),
            ExportFormat::Fhir => Err(ClinicError::validation(
                "format",
                ValidationRule::UnknownValue,
                "this list exports as csv or xlsx",
            )),
        }
    }
}

const PATIENT_HEADERS: &[&str] = &[
    "id",
    "name",
    "sex",
    "birthDate",
    "phone",
    "email",
    "address",
    "paymentType",
    "allergies",
    "conditions",
    "medications",
    "region",
    "occupation",
    "notes",
    "idNumber",
    "otherPhones",
    "education",
    "maritalStatus",
    "preferredLanguage",
    "insurer",
    "policyNumber",
    "referralChannel",
    "createdAt",
    "updatedAt",
    "archivedAt",
];
const VISIT_HEADERS: &[&str] = &[
    "id",
    "patientId",
    "patientName",
    "at",
    "department",
    "doctor",
    "visitType",
    "chiefComplaint",
    "diagnosis",
    "treatment",
    "amount",
    "satisfaction",
    "feedback",
    "nps",
];

fn text<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A list in one cell, the way import reads it back.
fn joined(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("; ")
}

fn all_patients(tx: &Transaction<'_>) -> Result<Vec<Patient>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {PATIENT_COLUMNS} FROM patient ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], patient_from_row)?;
    let mut all: Vec<Patient> = rows.collect::<rusqlite::Result<_>>()?;
    with_details(tx, &mut all, false)?;
    Ok(all)
}

/// Every visit with its patient's name, oldest first.
fn all_visits(tx: &Transaction<'_>) -> Result<Vec<(Visit, String)>> {
    let columns: Vec<String> = VISIT_COLUMNS
        .split(", ")
        .map(|c| format!("v.{c}"))
        .collect();
    let mut stmt = tx.prepare(&format!(
        "SELECT {}, p.name FROM visit v JOIN patient p ON p.id = v.patient_id
         WHERE v.archived_at IS NULL ORDER BY v.visited_at_ms, v.id",
        columns.join(", ")
    ))?;
    let n = columns.len();
    let rows = stmt.query_map([], |r| Ok((visit_from_row(r)?, r.get::<_, String>(n)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn patient_sheet(patients: &[Patient]) -> Sheet {
    let rows = patients
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.name.clone(),
                text(&p.sex.map(|s| s.code())),
                text(&p.birth_date),
                text(&p.phone),
                text(&p.email),
                text(&p.address),
                text(&p.payment_type.map(|t| t.code())),
                joined(p.allergies.iter().map(|a| match a.details() {
                    d if d.is_empty() => a.substance.clone(),
                    d => format!("{} ({})", a.substance, d.join(", ")),
                })),
                joined(p.conditions.iter().map(|c| match &c.icd10 {
                    Some(code) => format!("{} [{code}]", c.name),
                    None => c.name.clone(),
                })),
                joined(p.medications.iter().map(|m| match &m.dose {
                    Some(d) => format!("{} {d}", m.name),
                    None => m.name.clone(),
                })),
                text(&p.region),
                text(&p.occupation),
                text(&p.notes),
                text(&p.id_number),
                joined(p.other_phones.iter().map(|x| x.number.clone())),
                text(&p.education.map(|v| v.code())),
                text(&p.marital_status.map(|v| v.code())),
                text(&p.preferred_language.map(|v| v.code())),
                text(&p.insurer),
                text(&p.policy_number),
                text(&p.referral_channel.map(|v| v.code())),
                p.created_at.to_rfc3339(),
                p.updated_at.to_rfc3339(),
                text(&p.archived_at.map(|a| a.to_rfc3339())),
            ]
        })
        .collect();
    Sheet {
        name: "patients",
        headers: PATIENT_HEADERS,
        rows,
        money_column: None,
    }
}

fn visit_sheet(visits: &[(Visit, String)]) -> Sheet {
    let rows = visits
        .iter()
        .map(|(v, name)| {
            vec![
                v.id.to_string(),
                v.patient_id.to_string(),
                name.clone(),
                v.at.to_rfc3339(),
                v.department.clone(),
                text(&v.doctor),
                v.visit_type.code().to_string(),
                text(&v.chief_complaint),
                text(&v.diagnosis),
                text(&v.treatment),
                text(&v.amount),
                text(&v.satisfaction),
                text(&v.feedback),
                text(&v.nps),
            ]
        })
        .collect();
    Sheet {
        name: "visits",
        headers: VISIT_HEADERS,
        rows,
        money_column: Some(10),
    }
}

fn to_csv(sheet: &Sheet) -> Result<Vec<u8>> {
    // The BOM tells Excel the file is UTF-8; without it Chinese names turn to mojibake.
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let io = |e: csv::Error| ClinicError::new(ErrorCode::Io, e.to_string());
        w.write_record(sheet.headers).map_err(io)?;
        for row in &sheet.rows {
            w.write_record(row).map_err(io)?;
        }
        w.flush()?;
    }
    Ok(out)
}

fn to_xlsx(sheet: &Sheet) -> Result<Vec<u8>> {
    let err = |e: rust_xlsxwriter::XlsxError| ClinicError::new(ErrorCode::Io, e.to_string());
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet.name).map_err(err)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let money_cell = sheet.money_column == Some(c);
            // A spreadsheet number is a double by definition; amounts have two decimals and
            // stay exact well beyond any clinic bill. Everything else stays text (phones!).
            match value.parse::<f64>() {
                Ok(n) if money_cell => {
                    ws.write_number_with_format(r, c as u16, n, &money)
                        .map_err(err)?;
                }
                _ => {
                    ws.write_string(r, c as u16, value).map_err(err)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

fn gender(p: &Patient) -> Option<&'static str> {
    p.sex.map(|s| match s.code() {
        "M" => "male",
        "F" => "female",
        _ => "other",
    })
}

fn fhir_patient(p: &Patient) -> Value {
    let mut telecom = Vec::new();
    if let Some(phone) = &p.phone {
        telecom.push(json!({"system": "phone", "value": phone, "rank": 1}));
    }
    for other in &p.other_phones {
        telecom.push(json!({"system": "phone", "value": other.number}));
    }
    if let Some(email) = &p.email {
        telecom.push(json!({"system": "email", "value": email}));
    }
    let mut r = json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "active": p.archived_at.is_none(),
        "name": [{"text": p.name}],
    });
    let o = r.as_object_mut().expect("object");
    if let Some(g) = gender(p) {
        o.insert("gender".into(), json!(g));
    }
    if let Some(b) = p.birth_date {
        o.insert("birthDate".into(), json!(b.to_string()));
    }
    if !telecom.is_empty() {
        o.insert("telecom".into(), json!(telecom));
    }
    if let Some(a) = &p.address {
        o.insert("address".into(), json!([{"text": a}]));
    }
    if let Some(lang) = p.preferred_language {
        o.insert(
            "communication".into(),
            json!([{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": lang.code()}]}, "preferred": true}]),
        );
    }
    if let Some(id) = &p.id_number {
        let kind = crate::idnumber::kind(id);
        let system = match kind {
            Some(crate::idnumber::IdKind::Taiwan) => "urn:clinic-crm:id:tw-national-id",
            _ => "urn:clinic-crm:id:cn-resident-id",
        };
        o.insert(
            "identifier".into(),
            json!([{"use": "official", "system": system, "value": id}]),
        );
    }
    r
}

fn fhir_encounter(v: &Visit) -> Value {
    let mut r = json!({
        "resourceType": "Encounter",
        "id": v.id.to_string(),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": if v.visit_type.code() == "emergency" { "EMER" } else { "AMB" }},
        "subject": {"reference": format!("Patient/{}", v.patient_id)},
        "period": {"start": v.at.to_rfc3339()},
        "serviceType": {"text": v.department},
        "type": [{"text": v.visit_type.code()}],
    });
    let o = r.as_object_mut().expect("object");
    if let Some(d) = &v.doctor {
        o.insert(
            "participant".into(),
            json!([{"individual": {"display": d}}]),
        );
    }
    if let Some(c) = &v.chief_complaint {
        o.insert("reasonCode".into(), json!([{"text": c}]));
    }
    if let Some(d) = &v.diagnosis {
        o.insert("diagnosis".into(), json!([{"condition": {"display": d}}]));
    }
    r
}

fn fhir_bundle(patients: &[Patient], visits: &[(Visit, String)]) -> Result<Vec<u8>> {
    let mut entries: Vec<Value> = Vec::new();
    for p in patients {
        entries.push(json!({"fullUrl": format!("urn:uuid:{}", p.id), "resource": fhir_patient(p)}));
        let subject = json!({"reference": format!("Patient/{}", p.id)});
        for (i, a) in p.allergies.iter().enumerate() {
            let mut r = json!({
                "resourceType": "AllergyIntolerance",
                "id": format!("{}-allergy-{i}", p.id),
                "patient": subject,
                "code": {"text": a.substance},
            });
            if let Some(sev) = a.severity {
                // FHIR's criticality is the risk; its reaction severity has no "life-threatening".
                let (criticality, severity) = match sev {
                    AllergySeverity::Mild => ("low", "mild"),
                    AllergySeverity::Moderate => ("low", "moderate"),
                    AllergySeverity::Severe => ("high", "severe"),
                    AllergySeverity::LifeThreatening => ("high", "severe"),
                };
                r["criticality"] = json!(criticality);
                r["reaction"] = json!([{"severity": severity,
                    "manifestation": [{"text": a.reaction.clone().unwrap_or_else(|| sev.code().to_string())}]}]);
            } else if let Some(reaction) = &a.reaction {
                r["reaction"] = json!([{"manifestation": [{"text": reaction}]}]);
            }
            entries
                .push(json!({"fullUrl": format!("urn:uuid:{}-allergy-{i}", p.id), "resource": r}));
        }
        for (i, c) in p.conditions.iter().enumerate() {
            let mut code = json!({"text": c.name});
            if let Some(icd) = &c.icd10 {
                code["coding"] = json!([{"system": "http://hl7.org/fhir/sid/icd-10", "code": icd}]);
            }
            let mut r = json!({
                "resourceType": "Condition",
                "id": format!("{}-condition-{i}", p.id),
                "subject": subject,
                "code": code,
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            });
            if let Some(since) = c.since {
                r["onsetDateTime"] = json!(since.to_string());
            }
            entries.push(
                json!({"fullUrl": format!("urn:uuid:{}-condition-{i}", p.id), "resource": r}),
            );
        }
        for (i, m) in p.medications.iter().enumerate() {
            let mut r = json!({
                "resourceType": "MedicationStatement",
                "id": format!("{}-medication-{i}", p.id),
                "status": "active",
                "subject": subject,
                "medicationCodeableConcept": {"text": m.name},
            });
            if let Some(dose) = &m.dose {
                r["dosage"] = json!([{"text": dose}]);
            }
            if let Some(since) = m.since {
                r["effectivePeriod"] = json!({"start": since.to_string()});
            }
            entries.push(
                json!({"fullUrl": format!("urn:uuid:{}-medication-{i}", p.id), "resource": r}),
            );
        }
    }
    for (v, _) in visits {
        entries
            .push(json!({"fullUrl": format!("urn:uuid:{}", v.id), "resource": fhir_encounter(v)}));
    }
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "entry": entries,
    });
    serde_json::to_vec_pretty(&bundle).map_err(|e| ClinicError::new(ErrorCode::Io, e.to_string()))
}

impl Operation for Export {
    type Output = Vec<u8>;
    fn action(&self) -> Action {
        Action::PatientExport
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<u8>> {
        if self.format == ExportFormat::Fhir {
            // One bundle holds patients with their allergies and encounters, whichever was asked.
            return fhir_bundle(&all_patients(tx)?, &all_visits(tx)?);
        }
        let sheet = match self.what {
            ExportWhat::Patients => patient_sheet(&all_patients(tx)?),
            ExportWhat::Visits => visit_sheet(&all_visits(tx)?),
        };
        sheet.bytes(self.format)
    }
}

/// Writes an export where the user asked, whole or not at all.
pub fn save(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(ClinicError::new(
                ErrorCode::Io,
                format!(
                    "the folder {} does not exist (is the USB disk plugged in?)",
                    dir.display()
                ),
            ));
        }
    }
    crate::fsutil::write_atomically(path, bytes)
}

/// Where the window saves files it makes (exports, templates): `CLINIC_EXPORT_DIR` if set,
/// else the user's Downloads folder. A name already taken gets " (2)", " (3)"… — nothing
/// is overwritten.
pub fn path_in_downloads(file_name: &str) -> Result<std::path::PathBuf> {
    let dir = std::env::var_os("CLINIC_EXPORT_DIR")
        .map(std::path::PathBuf::from)
        .or_else(dirs::download_dir)
        .or_else(dirs::home_dir)
        .ok_or_else(|| ClinicError::new(ErrorCode::Io, "no Downloads folder on this computer"))?;
    let (stem, ext) = file_name.rsplit_once('.').unwrap_or((file_name, ""));
    let mut path = dir.join(file_name);
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem} ({n}).{ext}"));
        n += 1;
    }
    Ok(path)
}

/// A file name that says what and when: `patients-2026-11-23.xlsx`.
pub fn file_name(what: ExportWhat, format: ExportFormat, today: chrono::NaiveDate) -> String {
    let what = match (format, what) {
        (ExportFormat::Fhir, _) => "clinic-fhir",
        (_, ExportWhat::Patients) => "patients",
        (_, ExportWhat::Visits) => "visits",
    };
    let ext = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Fhir => "json",
    };
    format!("{what}-{today}.{ext}")
}

/// [`file_name`] for today on this computer.
pub fn file_name_today(what: ExportWhat, format: ExportFormat) -> String {
    file_name(what, format, chrono::Local::now().date_naive())
}
