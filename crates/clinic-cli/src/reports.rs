//! `clinic report NAME --from D --to D [--department X] [--doctor Y] [--segment S] [--days N]`: any
//! of the owner's reports as text tables, JSON (`--json`), CSV (`--csv FILE`) or PDF
//! (`--pdf FILE`).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;
use clinic_core::handouts::pdf::Paper;
use clinic_core::patients::Language;
use clinic_core::reports::{
    Cell, PrintReport, Report, ReportDocument, ReportFilter, ReportName, RunReport,
};
use clinic_core::{Clinic, ClinicError, Result, ValidationRule};

use crate::output::Output;

#[derive(Args)]
pub struct ReportArgs {
    /// return-rate, new-returning, no-shows, busiest-slots, reminder-effect, churn-risk,
    /// nps, referrals or revenue
    name: String,
    /// First day (YYYY-MM-DD), included
    #[arg(long)]
    from: NaiveDate,
    /// Last day, included
    #[arg(long)]
    to: NaiveDate,
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    doctor: Option<String>,
    /// A saved segment's name, or dimension:label (e.g. age-group:senior)
    #[arg(long)]
    segment: Option<String>,
    /// reminder-effect: booked or came within this many days of the contact (default 30)
    #[arg(long)]
    days: Option<u32>,
    /// Also write every table to this CSV file (UTF-8)
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also print it to this PDF file (A4, the core's English words)
    #[arg(long)]
    pdf: Option<PathBuf>,
}

pub fn run(args: ReportArgs, clinic: &Clinic, out: &Output) -> Result<()> {
    let name = ReportName::parse(&args.name).ok_or_else(|| {
        ClinicError::validation(
            "name",
            ValidationRule::UnknownValue,
            format!("reports: {}", ReportName::allowed()),
        )
    })?;
    let report = clinic.execute(
        &crate::actor(),
        RunReport {
            name,
            filter: ReportFilter {
                from: args.from,
                to: args.to,
                department: args.department,
                doctor: args.doctor,
                segment: args.segment,
                within_days: args.days,
            },
            today: None,
        },
    )?;
    if let Some(path) = &args.csv {
        // A BOM so that Excel opens the Chinese text as UTF-8.
        std::fs::write(path, format!("\u{feff}{}", report.to_csv()?))?;
    }
    if let Some(path) = &args.pdf {
        let bytes = clinic.execute(
            &crate::actor(),
            PrintReport {
                document: ReportDocument::plain(&report),
                language: Language::En,
                paper: Paper::A4,
            },
        )?;
        std::fs::write(path, bytes)?;
    }
    if out.json {
        out.print_json(&report);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn print_text(r: &Report) {
    println!("{} {} – {}", r.name.code(), r.from, r.to);
    for (what, v) in [
        ("department", &r.department),
        ("doctor", &r.doctor),
        ("segment", &r.segment),
    ] {
        if let Some(v) = v {
            println!("{what}: {v}");
        }
    }
    println!("{}", r.definition);
    for t in &r.tables {
        println!("\n{}", t.key);
        let cells: Vec<Vec<String>> = std::iter::once(t.columns.clone())
            .chain(
                t.rows
                    .iter()
                    .map(|row| row.iter().map(Cell::text).collect()),
            )
            .collect();
        let widths: Vec<usize> = (0..t.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &cells {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}", w = *w))
                .collect();
            println!("  {}", line.join("  ").trim_end());
        }
    }
}
