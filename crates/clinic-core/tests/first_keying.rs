//! The first moments of a process: several threads open their first clinic at once.
//!
//! SQLite sets itself "initialised" before SQLCipher's start-up has finished, so a thread
//! that keys a connection in that window used to be refused ("An error occurred with PRAGMA
//! key or rekey"; CI hit it once). The window only exists once per process, so this test runs
//! itself again as many fresh child processes, each racing four threads to create a clinic.

use clinic_core::{Clinic, KdfParams};

const CHILD: &str = "CLINIC_FIRST_KEYING_CHILD";
const PROCESSES: usize = 120;
const THREADS: usize = 4;

const FAST: KdfParams = KdfParams {
    m_cost: 8,
    t_cost: 1,
    p_cost: 1,
};

/// In a child: race THREADS first opens, print how many failed, and say why.
fn race(dir: &std::path::Path) -> usize {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let dir = dir.join(format!("clinic-{i}"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                std::fs::create_dir_all(&dir).unwrap();
                barrier.wait();
                Clinic::initialize_with(&dir, "correct horse battery", FAST)
                    .map(|_| ())
                    .map_err(|e| e.message)
            })
        })
        .collect();
    let mut failed = 0;
    for t in threads {
        if let Err(message) = t.join().unwrap() {
            eprintln!("first keying refused: {message}");
            failed += 1;
        }
    }
    failed
}

#[test]
fn threads_opening_their_first_clinic_together_are_never_refused_the_key() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let failed = race(std::path::Path::new(&dir));
        assert_eq!(failed, 0, "{failed} of {THREADS} first openings refused");
        return;
    }
    let me = std::env::current_exe().unwrap();
    let mut refused = Vec::new();
    for run in 0..PROCESSES {
        let tmp = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(&me)
            .args([
                "--exact",
                "threads_opening_their_first_clinic_together_are_never_refused_the_key",
                "--nocapture",
            ])
            .env(CHILD, tmp.path())
            .output()
            .unwrap();
        if !out.status.success() {
            refused.push(format!(
                "process {run}: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .find(|l| l.contains("refused"))
                    .unwrap_or("failed")
            ));
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
