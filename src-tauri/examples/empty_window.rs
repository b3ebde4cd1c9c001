//! The baseline for the start-up and memory benchmark (tests/bench/startup.mjs): a Tauri
//! window of the same size showing one line of HTML, with no state, no commands and no
//! database. Built with the same Tauri, features and profile as the app, so the difference
//! between the two figures is what Clinic CRM itself costs.

use tauri::http::Response;
use tauri::{WebviewUrl, WebviewWindowBuilder};

const PAGE: &str = r#"<!doctype html><html><body><p id="empty">empty window</p></body></html>"#;

fn main() {
    let mut context = tauri::generate_context!();
    // Our config opens the clinic UI; the baseline opens its own page instead.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .register_uri_scheme_protocol("bench", |_ctx, _request| {
            Response::builder()
                .header("Content-Type", "text/html; charset=utf-8")
                .body(PAGE.as_bytes().to_vec())
                .expect("static response")
        })
        .setup(|app| {
            let url = "bench://localhost/".parse().expect("static url");
            WebviewWindowBuilder::new(app, "main", WebviewUrl::CustomProtocol(url))
                .title("Empty window")
                .inner_size(1280.0, 800.0)
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("error while running the empty window");
}
