//! The owner's reports for the window: run one, or save it to the Downloads folder as CSV
//! or Excel. "Today" is the clinic's day in its own time zone.

use clinic_core::appointments::GetSchedule;
use clinic_core::export::{self, ExportFormat};
use clinic_core::handouts::pdf::Paper;
use clinic_core::patients::Language;
use clinic_core::reports::{
    Dashboard, GetDashboard, PrintReport, Report, ReportDocument, ReportFilter, ReportName,
    RunReport,
};
use tauri::State;

use crate::AppState;

type Reply<T> = Result<T, clinic_core::ClinicError>;

fn run(state: &AppState, name: ReportName, filter: ReportFilter) -> Reply<Report> {
    let today = state.execute(GetSchedule)?.today(chrono::Utc::now());
    state.execute(RunReport {
        name,
        filter,
        today: Some(today),
    })
}

#[tauri::command]
pub async fn report_run(
    state: State<'_, AppState>,
    name: ReportName,
    filter: ReportFilter,
) -> Reply<Report> {
    run(&state, name, filter)
}

/// The report worded by the window, printed to a PDF in Downloads; answers its path.
#[tauri::command]
pub async fn report_pdf(
    state: State<'_, AppState>,
    name: ReportName,
    document: ReportDocument,
    language: Language,
) -> Reply<String> {
    let bytes = state.execute(PrintReport {
        document,
        language,
        paper: Paper::A4,
    })?;
    let day = chrono::Local::now().date_naive();
    let path = export::path_in_downloads(&format!("{} {day}.pdf", name.code()))?;
    export::save(&path, &bytes)?;
    Ok(path.display().to_string())
}

/// This month so far against the same days of last month.
#[tauri::command]
pub async fn report_dashboard(state: State<'_, AppState>) -> Reply<Dashboard> {
    let today = state.execute(GetSchedule)?.today(chrono::Utc::now());
    state.execute(GetDashboard { today: Some(today) })
}

/// The report as a file in Downloads; answers its path.
#[tauri::command]
pub async fn report_export(
    state: State<'_, AppState>,
    name: ReportName,
    filter: ReportFilter,
    format: ExportFormat,
) -> Reply<String> {
    let report = run(&state, name, filter)?;
    let (bytes, ext) = if format == ExportFormat::Xlsx {
        (report.to_xlsx()?, "xlsx")
    } else {
        // A BOM so that Excel opens the Chinese text as UTF-8.
        (format!("\u{feff}{}", report.to_csv()?).into_bytes(), "csv")
    };
    let file = format!("{} {} {}.{ext}", name.code(), report.from, report.to);
    let path = export::path_in_downloads(&file)?;
    export::save(&path, &bytes)?;
    Ok(path.display().to_string())
}
