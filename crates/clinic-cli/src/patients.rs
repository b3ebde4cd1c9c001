//! `clinic patient …` and `clinic visit …`: registering, correcting, finding and listing
//! patients, and recording their visits.

use clap::{Args, Subcommand};
use clinic_core::patients::profile::split_list;
use clinic_core::patients::{
    parse_id, AllergyInput, ArchivePatient, ConditionInput, CreatePatient, GetPatient, LinkFamily,
    ListPatients, MedicationInput, MergePatients, PatientInput, PhoneInput, RecordConsent,
    SearchPatients, UnlinkFamily, UpdatePatient,
};
use clinic_core::visits::{AddVisit, ListVisits, VisitInput};
use clinic_core::{Clinic, Result};

use crate::output::Output;

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
pub(crate) enum PatientCommand {
    /// Register a patient; prints the new id. Refused (exit 10) when the patient looks
    /// already registered (same phone, ID number, or name and birth date)
    Add {
        #[command(flatten)]
        fields: PatientFields,
        /// Register even though a likely duplicate exists (after checking it is someone else)
        #[arg(long)]
        allow_duplicate: bool,
    },
    /// Merge OTHER into SURVIVOR: visits, referrals, family links and consents move; OTHER
    /// is archived and the merge is recorded
    Merge { survivor: String, other: String },
    /// Record that a patient gave (or withdrew) consent for a purpose
    Consent {
        id: String,
        /// care, reminders, marketing or research
        #[arg(long)]
        purpose: String,
        /// The patient withdraws consent (default: gives it)
        #[arg(long)]
        withdraw: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// Link two patients as family: RELATIVE is the patient's --relation
    Link {
        id: String,
        relative: String,
        /// guardian, ward, parent, child, spouse or sibling
        #[arg(long)]
        relation: String,
    },
    /// Remove the family link between two patients
    Unlink { id: String, relative: String },
    /// Change some fields of a patient (an empty value clears a field)
    Edit {
        id: String,
        #[command(flatten)]
        fields: PatientFields,
        /// Why the record is corrected (kept with the change in its history)
        #[arg(long)]
        reason: Option<String>,
    },
    /// Show one patient
    Show { id: String },
    /// Every change to a patient's record: who, when, each field before and after, why
    History { id: String },
    /// List patients, most recently changed first
    List {
        /// Include archived patients
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Find patients by a fragment of the name or phone number
    Search {
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Archive a patient (kept, but hidden from lists and search)
    Archive { id: String },
    /// Bring an archived patient back
    Restore { id: String },
}

#[derive(Args, Default)]
pub(crate) struct PatientFields {
    #[arg(long)]
    name: Option<String>,
    /// M, F or O
    #[arg(long)]
    sex: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    birth_date: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    address: Option<String>,
    /// self-pay, public-insurance or commercial-insurance
    #[arg(long)]
    payment: Option<String>,
    /// Replaces the allergies: "SUBSTANCE[:REACTION[:SEVERITY]]; …" (severity mild, moderate,
    /// severe or life-threatening), e.g. "青霉素:皮疹:severe; 乳胶"
    #[arg(long)]
    allergies: Option<String>,
    /// Replaces the conditions: "NAME[:ICD10[:chronic]]; …", e.g. "高血压:I10:chronic"
    #[arg(long)]
    conditions: Option<String>,
    /// Replaces the current medications: "NAME[:DOSE]; …"
    #[arg(long)]
    medications: Option<String>,
    /// Replaces the phones besides --phone: "NUMBER[:LABEL]; …"
    #[arg(long)]
    other_phones: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// Mainland resident ID (18 characters) or Taiwan ID (a letter and 9 digits)
    #[arg(long)]
    id_number: Option<String>,
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    occupation: Option<String>,
    /// none, primary, secondary, vocational, tertiary or postgraduate
    #[arg(long)]
    education: Option<String>,
    /// single, married, divorced, widowed or other
    #[arg(long)]
    marital_status: Option<String>,
    /// low, lower-middle, middle, upper-middle or high
    #[arg(long)]
    income_band: Option<String>,
    /// zh-CN, zh-TW or en
    #[arg(long)]
    language: Option<String>,
    #[arg(long)]
    insurer: Option<String>,
    #[arg(long)]
    policy_number: Option<String>,
    #[arg(long)]
    past_history: Option<String>,
    #[arg(long)]
    family_history: Option<String>,
    /// never, former or current
    #[arg(long)]
    smoking: Option<String>,
    /// none, occasional or regular
    #[arg(long)]
    alcohol: Option<String>,
    /// rarely, weekly or most-days
    #[arg(long)]
    exercise: Option<String>,
    #[arg(long)]
    diet: Option<String>,
    #[arg(long)]
    sleep: Option<String>,
    /// office, manual, shift, student, retired, homemaker or other
    #[arg(long)]
    work_pattern: Option<String>,
    #[arg(long)]
    preferred_doctor: Option<String>,
    /// phone, sms, wechat, line, email or post
    #[arg(long)]
    preferred_channel: Option<String>,
    /// morning, afternoon, evening or any
    #[arg(long)]
    preferred_time: Option<String>,
    /// patient, walk-in, online, signage, doctor or other
    #[arg(long)]
    referral_channel: Option<String>,
    /// The id of the patient who recommended this one
    #[arg(long)]
    referred_by: Option<String>,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
pub(crate) enum VisitCommand {
    /// Record a visit; prints the new id
    Add {
        /// The patient's id
        #[arg(long)]
        patient: String,
        /// Date and time with its offset, e.g. 2026-11-20T09:30+08:00
        #[arg(long)]
        at: String,
        #[arg(long)]
        department: String,
        /// first, return, specialist or emergency
        #[arg(long = "type")]
        visit_type: String,
        #[arg(long)]
        doctor: Option<String>,
        /// The chief complaint
        #[arg(long)]
        complaint: Option<String>,
        #[arg(long)]
        diagnosis: Option<String>,
        #[arg(long)]
        treatment: Option<String>,
        /// e.g. 350.00 (a negative amount reaches the core, which explains the error)
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        /// 1 to 5
        #[arg(long)]
        satisfaction: Option<i32>,
        /// "Would you recommend us?", 0 to 10
        #[arg(long)]
        nps: Option<i32>,
        #[arg(long)]
        feedback: Option<String>,
        /// "Come back by" date (YYYY-MM-DD): missed follow-up reminders start from it
        #[arg(long)]
        follow_up_by: Option<String>,
    },
    /// A patient's visits, newest first
    List {
        #[arg(long)]
        patient: String,
    },
}

pub(crate) fn run(cmd: PatientCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        PatientCommand::Add {
            fields,
            allow_duplicate,
        } => {
            let input = fields.apply(PatientInput::default());
            let p = clinic.execute(
                &actor,
                CreatePatient {
                    input,
                    allow_duplicate,
                },
            )?;
            out.created(&p, &p.id.to_string());
        }
        PatientCommand::Merge { survivor, other } => {
            let survivor = parse_id("patient", &survivor)?;
            let merged = parse_id("patient", &other)?;
            out.patient(&clinic.execute(&actor, MergePatients { survivor, merged })?);
        }
        PatientCommand::Consent {
            id,
            purpose,
            withdraw,
            note,
        } => {
            let patient_id = parse_id("patient", &id)?;
            out.patient(&clinic.execute(
                &actor,
                RecordConsent {
                    patient_id,
                    purpose,
                    given: !withdraw,
                    note,
                },
            )?);
        }
        PatientCommand::Link {
            id,
            relative,
            relation,
        } => {
            let patient_id = parse_id("patient", &id)?;
            out.patient(&clinic.execute(
                &actor,
                LinkFamily {
                    patient_id,
                    relative_id: relative,
                    relation,
                },
            )?);
        }
        PatientCommand::Unlink { id, relative } => {
            let patient_id = parse_id("patient", &id)?;
            let relative_id = parse_id("patient", &relative)?;
            out.patient(&clinic.execute(
                &actor,
                UnlinkFamily {
                    patient_id,
                    relative_id,
                },
            )?);
        }
        PatientCommand::Edit { id, fields, reason } => {
            let id = parse_id("patient", &id)?;
            let current = clinic.execute(&actor, GetPatient(id))?;
            let input = fields.apply(PatientInput::from(&current));
            let p = clinic.execute(&actor, UpdatePatient { id, input, reason })?;
            out.patient(&p);
        }
        PatientCommand::History { id } => {
            let id = parse_id("patient", &id)?;
            let changes = clinic.execute(
                &actor,
                clinic_core::patients::history::PatientHistory { patient_id: id },
            )?;
            if out.json {
                out.print_json(&changes);
            } else {
                for c in changes {
                    println!("{}\t{} ({})\t{}", c.at, c.staff, c.role, c.action);
                    for (field, [before, after]) in &c.changes {
                        println!("    {field}: {before} → {after}");
                    }
                    if let Some(why) = &c.reason {
                        println!("    reason: {why}");
                    }
                }
            }
        }
        PatientCommand::Show { id } => {
            let id = parse_id("patient", &id)?;
            out.patient(&clinic.execute(&actor, GetPatient(id))?);
        }
        PatientCommand::List { all, limit, offset } => {
            out.patients(&clinic.execute(
                &actor,
                ListPatients {
                    include_archived: all,
                    limit,
                    offset,
                },
            )?);
        }
        PatientCommand::Search { query, limit } => {
            out.patients(&clinic.execute(&actor, SearchPatients { query, limit })?);
        }
        PatientCommand::Archive { id } => {
            let id = parse_id("patient", &id)?;
            out.patient(&clinic.execute(&actor, ArchivePatient { id, archived: true })?);
        }
        PatientCommand::Restore { id } => {
            let id = parse_id("patient", &id)?;
            out.patient(&clinic.execute(
                &actor,
                ArchivePatient {
                    id,
                    archived: false,
                },
            )?);
        }
    }
    Ok(())
}

pub(crate) fn run_visits(cmd: VisitCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        VisitCommand::Add {
            patient,
            at,
            department,
            visit_type,
            doctor,
            complaint,
            diagnosis,
            treatment,
            amount,
            satisfaction,
            nps,
            feedback,
            follow_up_by,
        } => {
            let input = VisitInput {
                patient_id: patient,
                at,
                department,
                doctor,
                visit_type,
                chief_complaint: complaint,
                diagnosis,
                treatment,
                amount,
                satisfaction,
                nps,
                feedback,
                follow_up_by,
            };
            let v = clinic.execute(&actor, AddVisit(input))?;
            out.created(&v, &v.id.to_string());
        }
        VisitCommand::List { patient } => {
            let patient_id = parse_id("patient", &patient)?;
            out.visits(&clinic.execute(&actor, ListVisits { patient_id })?);
        }
    }
    Ok(())
}

impl PatientFields {
    /// Overlays the flags that were given on `base`; `--field ""` clears an optional field.
    fn apply(self, mut base: PatientInput) -> PatientInput {
        if let Some(name) = self.name {
            base.name = name;
        }
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if let Some(v) = v {
                *slot = Some(v);
            }
        };
        set(&mut base.sex, self.sex);
        set(&mut base.birth_date, self.birth_date);
        set(&mut base.phone, self.phone);
        set(&mut base.email, self.email);
        set(&mut base.address, self.address);
        set(&mut base.payment_type, self.payment);
        set(&mut base.notes, self.notes);
        set(&mut base.id_number, self.id_number);
        set(&mut base.region, self.region);
        set(&mut base.occupation, self.occupation);
        set(&mut base.education, self.education);
        set(&mut base.marital_status, self.marital_status);
        set(&mut base.income_band, self.income_band);
        set(&mut base.preferred_language, self.language);
        set(&mut base.insurer, self.insurer);
        set(&mut base.policy_number, self.policy_number);
        set(&mut base.past_history, self.past_history);
        set(&mut base.family_history, self.family_history);
        set(&mut base.smoking, self.smoking);
        set(&mut base.alcohol, self.alcohol);
        set(&mut base.exercise, self.exercise);
        set(&mut base.diet, self.diet);
        set(&mut base.sleep, self.sleep);
        set(&mut base.work_pattern, self.work_pattern);
        set(&mut base.preferred_doctor, self.preferred_doctor);
        set(&mut base.preferred_channel, self.preferred_channel);
        set(&mut base.preferred_time, self.preferred_time);
        set(&mut base.referral_channel, self.referral_channel);
        set(&mut base.referred_by, self.referred_by);
        // Lists: "a:b:c; d" — each entry's parts split on the first colons.
        if let Some(text) = self.allergies {
            base.allergies = entries(&text, 3)
                .map(|p| AllergyInput {
                    substance: p[0].clone(),
                    reaction: some(&p[1]),
                    severity: some(&p[2]),
                })
                .collect();
        }
        if let Some(text) = self.conditions {
            base.conditions = entries(&text, 3)
                .map(|p| ConditionInput {
                    name: p[0].clone(),
                    icd10: some(&p[1]),
                    chronic: p[2].eq_ignore_ascii_case("chronic"),
                    since: None,
                })
                .collect();
        }
        if let Some(text) = self.medications {
            base.medications = entries(&text, 2)
                .map(|p| MedicationInput {
                    name: p[0].clone(),
                    dose: some(&p[1]),
                    since: None,
                })
                .collect();
        }
        if let Some(text) = self.other_phones {
            base.other_phones = entries(&text, 2)
                .map(|p| PhoneInput {
                    number: p[0].clone(),
                    label: some(&p[1]),
                })
                .collect();
        }
        base
    }
}

/// "a:b; c" → [["a", "b", ""], ["c", "", ""]] (always `parts` parts; blanks are unset).
fn entries(text: &str, parts: usize) -> impl Iterator<Item = Vec<String>> + '_ {
    split_list(text).map(move |entry| {
        let mut p: Vec<String> = entry
            .splitn(parts, [':', '：'])
            .map(|s| s.trim().to_string())
            .collect();
        p.resize(parts, String::new());
        p
    })
}

/// Blank parts of an entry are unset, not empty text.
fn some(part: &str) -> Option<String> {
    (!part.is_empty()).then(|| part.to_string())
}
