//! What the CLI prints: plain text for people, JSON (`--json`) for scripts.

use std::path::Path;

use clinic_core::patients::{Patient, PatientSummary};
use clinic_core::visits::Visit;
use clinic_core::ClinicError;
use serde::Serialize;

pub struct Output {
    pub json: bool,
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn import_verb(imported: bool) -> &'static str {
    if imported {
        "Imported"
    } else {
        "Dry run, nothing imported"
    }
}

impl Output {
    pub(crate) fn print_json(&self, value: &impl Serialize) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("serialisable")
        );
    }

    /// Errors go to stderr: `error[CODE]: message`, or the error object with `--json`.
    pub fn error(&self, err: &ClinicError) {
        if self.json {
            eprintln!("{}", serde_json::to_string(err).expect("serialisable"));
        } else {
            eprintln!("error[{}]: {}", err.code, err.message);
        }
    }

    pub fn initialized(&self, dir: &Path, cached_in_keychain: bool, kit_follows: bool) {
        if self.json {
            // With a kit, the kit's own JSON line follows.
            self.print_json(&serde_json::json!({ "dataDir": dir, "keychain": cached_in_keychain }));
        } else {
            println!("Created an encrypted clinic in {}", dir.display());
            println!("Keep the passphrase safe: without it (or the recovery code) the data cannot be recovered.");
            if !kit_follows {
                println!("Make a recovery kit now: clinic key recovery-kit --out recovery-kit.pdf");
            }
            if !cached_in_keychain {
                println!("No keychain available: the passphrase will be asked for each time.");
            }
        }
    }

    /// The code is shown once, here and on the kit; it is never stored in clear.
    pub fn recovery_kit(&self, file: &Path, code: &str) {
        if self.json {
            return self
                .print_json(&serde_json::json!({ "recoveryKit": file, "recoveryCode": code }));
        }
        println!("Recovery code: {code}");
        println!(
            "The recovery kit is in {}: print it, keep it away from this computer, then delete the file.",
            file.display()
        );
    }

    pub fn key_status(&self, s: &clinic_core::security::KeyStatus) {
        if self.json {
            return self.print_json(s);
        }
        println!(
            "Recovery code: {}",
            if s.has_recovery_code {
                "yes"
            } else {
                "none yet (clinic key recovery-kit --out FILE)"
            }
        );
        println!(
            "Database key: {}",
            if s.rotated {
                "rotated since set-up"
            } else {
                "the one made at set-up"
            }
        );
    }

    pub fn rotated(&self, r: &clinic_core::security::RotationReport, cached: bool) {
        if self.json {
            return self.print_json(&serde_json::json!({ "report": r, "keychain": cached }));
        }
        println!(
            "The database is re-encrypted under a new key and checked ({} patients, {} visits) in {:.1} s.",
            r.counts.patients,
            r.counts.visits,
            r.millis as f64 / 1000.0
        );
        println!("The passphrase and the recovery code are unchanged. Backups made before today still open with the passphrase they were made under.");
    }

    pub fn done(&self, message: &str) {
        if self.json {
            return self.print_json(&serde_json::json!({ "ok": true, "message": message }));
        }
        println!("{message}");
    }

    pub fn import_report(&self, r: &clinic_core::import::ImportReport) {
        if self.json {
            return self.print_json(r);
        }
        let verb = import_verb(r.imported);
        println!(
            "{verb}: {} rows read as {}; {} new patients, {} updated, {} rows with problems",
            r.total_rows,
            r.read_as,
            r.new_patients,
            r.updated_patients,
            r.problems.len()
        );
        self.problems(&r.problems);
    }

    pub fn visit_import_report(&self, r: &clinic_core::import::VisitImportReport) {
        if self.json {
            return self.print_json(r);
        }
        let verb = import_verb(r.imported);
        println!(
            "{verb}: {} rows read as {}; {} new visits, {} rows with problems",
            r.total_rows,
            r.read_as,
            r.new_visits,
            r.problems.len()
        );
        self.problems(&r.problems);
    }

    fn problems(&self, problems: &[clinic_core::import::ImportProblem]) {
        for p in problems {
            let column = p
                .column
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default();
            println!("  {}{column}", p.message);
        }
    }

    pub fn topics(&self, topics: &[clinic_core::handouts::Topic]) {
        if self.json {
            return self.print_json(&topics);
        }
        for t in topics {
            println!(
                "{:<26} {} / {} / {}",
                t.id, t.title_zh_cn, t.title_zh_tw, t.title_en
            );
        }
    }

    pub fn recommendations(&self, list: &[clinic_core::handouts::Recommendation]) {
        use clinic_core::handouts::Reason;
        if self.json {
            return self.print_json(&list);
        }
        if list.is_empty() {
            println!("No handout fits this patient's record; any topic can still be printed.");
        }
        for r in list {
            let why: Vec<String> = r
                .reasons
                .iter()
                .map(|reason| match reason {
                    Reason::Condition {
                        name,
                        chronic: true,
                    } => format!("chronic: {name}"),
                    Reason::Condition { name, .. } => format!("condition: {name}"),
                    Reason::RecentVisit { treatment, days } => {
                        format!("visit {days} days ago: {treatment}")
                    }
                    Reason::AgeGroup { group } => format!("age group: {group}"),
                    Reason::Smoking { habit } => format!("smoking: {habit}"),
                    Reason::Work { pattern } => format!("work: {pattern}"),
                })
                .collect();
            let plain = if r.plain { " (plain language)" } else { "" };
            println!("{}{plain} — {}", r.topic, why.join("; "));
        }
    }

    pub fn handout(&self, path: &Path, h: &clinic_core::handouts::RenderedHandout) {
        if self.json {
            return self.print_json(&serde_json::json!({
                "file": path,
                "bytes": h.pdf.len(),
                "title": h.title,
                "language": h.language,
                "plain": h.plain,
            }));
        }
        let level = if h.plain { ", plain language" } else { "" };
        println!(
            "Wrote {} ({} bytes): {} ({}{level})",
            path.display(),
            h.pdf.len(),
            h.title,
            h.language.code()
        );
    }

    pub fn batch(&self, path: &Path, b: &clinic_core::handouts::RenderedBatch) {
        if self.json {
            return self.print_json(&serde_json::json!({
                "file": path,
                "bytes": b.pdf.len(),
                "handouts": b.handouts,
                "pages": b.pages,
            }));
        }
        println!(
            "Wrote {} ({} bytes): {} handouts, {} pages",
            path.display(),
            b.pdf.len(),
            b.handouts,
            b.pages
        );
    }

    /// `logo`: the stored logo's size in bytes, if there is one.
    pub fn clinic_profile(&self, p: &clinic_core::settings::ClinicProfile, logo: Option<usize>) {
        if self.json {
            let mut value = serde_json::to_value(p).unwrap_or_default();
            value["logoBytes"] = serde_json::json!(logo);
            return self.print_json(&value);
        }
        println!("name:    {}", p.name);
        println!("address: {}", p.address);
        println!("phone:   {}", p.phone);
        match logo {
            Some(bytes) => println!("logo:    {} KB", bytes.div_ceil(1024)),
            None => println!("logo:    (none)"),
        }
    }

    /// A text to edit: the Markdown itself (JSON adds whose copy it is).
    pub fn template(&self, t: &clinic_core::handouts::TemplateText) {
        if self.json {
            return self.print_json(t);
        }
        print!("{}", t.source);
        if !t.source.ends_with('\n') {
            println!();
        }
    }

    pub fn template_saved(&self, t: &clinic_core::handouts::TemplateText) {
        if self.json {
            return self.print_json(t);
        }
        let whose = if t.edited {
            "the clinic's copy"
        } else {
            "the built-in text"
        };
        let level = if t.plain { "plain" } else { "standard" };
        println!(
            "{} {} {level}: {whose} is printed from now on",
            t.topic,
            t.language.code()
        );
    }

    pub fn templates_edited(&self, keys: &[clinic_core::handouts::TemplateKey]) {
        if self.json {
            return self.print_json(&keys);
        }
        if keys.is_empty() {
            println!("No edited texts: every handout prints the built-in text.");
        }
        for k in keys {
            let level = if k.plain { "plain" } else { "standard" };
            println!("{}\t{}\t{level}", k.topic, k.language.code());
        }
    }

    pub fn template_preview(&self, p: &clinic_core::handouts::TemplatePreview) {
        if self.json {
            return self.print_json(p);
        }
        println!(
            "{} — {} page(s), {} blocks; fine to save",
            p.title,
            p.pages,
            p.blocks.len()
        );
    }

    pub fn exported(&self, path: &Path, bytes: usize) {
        if self.json {
            self.print_json(&serde_json::json!({ "file": path, "bytes": bytes }));
        } else {
            println!("Wrote {} ({bytes} bytes)", path.display());
        }
    }

    /// What the generator wrote (and booked, when asked to).
    pub fn generated(
        &self,
        g: &clinic_core::synth::Generated,
        booked: Option<clinic_core::synth::Booked>,
    ) {
        if self.json {
            let mut doc = serde_json::to_value(g).expect("serialisable");
            if let Some(b) = booked {
                doc["appointments"] = b.appointments.into();
                doc["reminders"] = b.reminders.into();
            }
            self.print_json(&doc);
        } else {
            println!("Generated {} patients and {} visits", g.patients, g.visits);
            if let Some(b) = booked {
                println!(
                    "Booked {} appointments; {} reminders",
                    b.appointments, b.reminders
                );
            }
        }
    }

    /// A new record: its id for people, the whole object for scripts.
    pub fn created(&self, record: &impl Serialize, id: &str) {
        if self.json {
            self.print_json(record);
        } else {
            println!("{id}");
        }
    }

    pub fn patient(&self, p: &Patient) {
        if self.json {
            return self.print_json(p);
        }
        let age = p.age.map(|a| format!(" ({a})")).unwrap_or_default();
        println!("{}  {}", p.name, p.id);
        println!("  sex:        {}", p.sex.map(|s| s.code()).unwrap_or("-"));
        println!(
            "  birth date: {}{age}",
            p.birth_date
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into())
        );
        println!("  phone:      {}", opt(&p.phone));
        println!("  email:      {}", opt(&p.email));
        println!("  address:    {}", opt(&p.address));
        println!(
            "  payment:    {}",
            p.payment_type.map(|t| t.code()).unwrap_or("-")
        );
        for a in &p.allergies {
            println!("  ALLERGY:    {} {}", a.substance, a.details().join(", "));
        }
        for o in &p.other_phones {
            println!(
                "  phone:      {} {}",
                o.number,
                o.label.as_deref().unwrap_or("")
            );
        }
        println!("  ID number:  {}", opt(&p.id_number_masked));
        for c in &p.conditions {
            let chronic = if c.chronic { " (chronic)" } else { "" };
            println!(
                "  condition:  {} {}{chronic}",
                c.name,
                c.icd10.as_deref().unwrap_or("")
            );
        }
        for m in &p.medications {
            println!(
                "  medication: {} {}",
                m.name,
                m.dose.as_deref().unwrap_or("")
            );
        }
        let coded = [
            ("region", p.region.clone()),
            ("occupation", p.occupation.clone()),
            ("education", p.education.map(|v| v.code().to_string())),
            (
                "language",
                p.preferred_language.map(|v| v.code().to_string()),
            ),
            ("insurer", p.insurer.clone()),
            ("policy no.", p.policy_number.clone()),
            ("smoking", p.smoking.map(|v| v.code().to_string())),
            (
                "contact by",
                p.preferred_channel.map(|v| v.code().to_string()),
            ),
            ("referral", p.referral_channel.map(|v| v.code().to_string())),
            ("referred by", p.referred_by_name.clone()),
        ];
        for (label, value) in coded {
            if let Some(v) = value {
                println!("  {:<12}{v}", format!("{label}:"));
            }
        }
        for f in &p.family {
            println!("  family:     {} ({}) {}", f.name, f.relation.code(), f.id);
        }
        for c in p.consents.iter().take(4) {
            let word = if c.given { "given" } else { "withdrawn" };
            println!(
                "  consent:    {} {word} {} by {}",
                c.purpose.code(),
                c.recorded_at.format("%Y-%m-%d"),
                c.recorded_by
            );
        }
        for m in &p.merged_from {
            println!(
                "  merged in:  {} ({}) on {}",
                m.merged_name,
                m.merged_id,
                &m.merged_at[..10]
            );
        }
        if let Some(s) = p.merged_into {
            println!("  merged into {s}");
        }
        println!("  notes:      {}", opt(&p.notes));
        if let Some(at) = p.archived_at {
            println!("  archived:   {}", at.to_rfc3339());
        }
    }

    pub fn patients(&self, list: &[PatientSummary]) {
        if self.json {
            return self.print_json(&list);
        }
        for p in list {
            let last = p
                .last_visit_at
                .as_deref()
                .map(|s| &s[..s.len().min(10)])
                .unwrap_or("-");
            let archived = if p.archived { "  [archived]" } else { "" };
            println!(
                "{}\t{}\t{}\t{} visits, last {}{}",
                p.id,
                p.name,
                opt(&p.phone),
                p.visit_count,
                last,
                archived
            );
        }
    }

    pub fn visits(&self, list: &[Visit]) {
        if self.json {
            return self.print_json(&list);
        }
        for v in list {
            let amount = v
                .amount
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into());
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                v.id,
                v.at.format("%Y-%m-%d %H:%M %:z"),
                v.department,
                v.visit_type.code(),
                opt(&v.doctor),
                amount,
                opt(&v.chief_complaint)
            );
        }
    }

    pub fn backup_written(&self, r: &clinic_core::backup::BackupReport) {
        if self.json {
            return self.print_json(r);
        }
        println!(
            "Backed up and verified: {} ({} KB; {} patients, {} visits) in {:.1} s",
            r.path,
            r.bytes.div_ceil(1024),
            r.counts.patients,
            r.counts.visits,
            r.millis as f64 / 1000.0
        );
        if !r.removed.is_empty() {
            println!("Rotation removed {} older backup(s):", r.removed.len());
            for f in &r.removed {
                println!("  {f}");
            }
        }
    }

    pub fn backup_schedule(&self, s: &clinic_core::backup::BackupSchedule) {
        if self.json {
            return self.print_json(s);
        }
        println!(
            "Daily backup: {}",
            s.daily_at
                .as_deref()
                .map_or("off".to_string(), |t| format!("at {t}"))
        );
        println!(
            "On closing the app: {}",
            if s.on_close { "yes" } else { "no" }
        );
        println!(
            "Kept: the newest of each of the last {} days and {} weeks",
            s.keep_daily, s.keep_weekly
        );
        println!("\"Last good backup\" turns red after {} days", s.stale_days);
    }

    pub fn backup_verified(&self, file: &Path, v: &clinic_core::backup::VerifiedBackup) {
        if self.json {
            return self.print_json(v);
        }
        println!(
            "{}: good — {}made {}, {} patients, {} visits, {} handouts given",
            file.display(),
            if v.clinic_name.is_empty() {
                String::new()
            } else {
                format!("{}, ", v.clinic_name)
            },
            v.created_at,
            v.counts.patients,
            v.counts.visits,
            v.counts.handouts_given
        );
    }

    pub fn restored(&self, r: &clinic_core::backup::RestoreReport) {
        if self.json {
            return self.print_json(r);
        }
        println!(
            "Restored the backup made {}: {} patients, {} visits",
            r.backup.created_at, r.backup.counts.patients, r.backup.counts.visits
        );
        if let Some(safety) = &r.safety_copy {
            println!("The data it replaced is kept in {safety}");
        }
    }

    pub fn backups(&self, files: &[clinic_core::backup::BackupFile], problems: &[String]) {
        if self.json {
            return self.print_json(&serde_json::json!({ "backups": files, "problems": problems }));
        }
        if files.is_empty() {
            println!("No backups here.");
        }
        for f in files {
            println!(
                "{}\t{} KB\t{}",
                f.created_at,
                f.bytes.div_ceil(1024),
                f.path
            );
        }
        for p in problems {
            eprintln!("not a usable backup: {p}");
        }
    }
}
