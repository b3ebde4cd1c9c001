//! Crash safety, tested rather than promised: a writer process doing many small
//! transactions is killed with SIGKILL at random moments, again and again; after every kill
//! the file opens, both integrity checks pass, and every transaction the writer reported as
//! committed is there. `CLINIC_CRASH_ROUNDS` sets the number of kills (default 200).
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clinic_core::patients::{CreatePatient, PatientInput};
use clinic_core::{Actor, Clinic, DbKey};
use rand::{Rng, SeedableRng};

const DIR_VAR: &str = "CLINIC_CRASH_WRITER_DIR";
const KEY_VAR: &str = "CLINIC_CRASH_WRITER_KEY";
const RUN_VAR: &str = "CLINIC_CRASH_WRITER_RUN";

/// The writer, run in a child process by the test below (a no-op in a normal test run):
/// registers patients one transaction at a time and reports each after its commit.
#[test]
fn writer_child() {
    let (Ok(dir), Ok(key), Ok(run)) = (
        std::env::var(DIR_VAR),
        std::env::var(KEY_VAR),
        std::env::var(RUN_VAR),
    ) else {
        return;
    };
    let key = DbKey::from_bytes(&hex_bytes(&key)).unwrap();
    let clinic = Clinic::open_with_key(Path::new(&dir), &key).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let name = format!("crash-{run}-{i}");
        clinic
            .execute(
                &Actor::owner(),
                CreatePatient {
                    input: PatientInput {
                        name: name.clone(),
                        phone: Some(format!("139{:08}", i)),
                        ..Default::default()
                    },
                    allow_duplicate: true,
                },
            )
            .unwrap();
        writeln!(out, "committed {name}").unwrap();
        out.flush().unwrap();
    }
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(key: &DbKey) -> String {
    key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fn names_in(c: &Clinic) -> std::collections::HashSet<String> {
    common::patient_names_limit(c, 1_000_000)
        .into_iter()
        .collect()
}

#[test]
fn sigkill_at_random_moments_never_loses_a_committed_transaction() {
    let rounds: u32 = std::env::var("CLINIC_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let (tmp, c, key) = common::clinic_and_key();
    drop(c);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261124);
    let started = Instant::now();
    let (mut committed_total, mut killed_mid_write) = (0usize, 0u32);
    for run in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(DIR_VAR, tmp.path())
            .env(KEY_VAR, hex(&key))
            .env(RUN_VAR, run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(|l| l.ok())
                .filter_map(|l| l.strip_prefix("committed ").map(str::to_string))
                .collect::<Vec<_>>()
        });
        // From before the file is open to well into a stream of writes.
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..150)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let committed = reader.join().unwrap();
        if !committed.is_empty() {
            killed_mid_write += 1;
        }
        committed_total += committed.len();

        let c = Clinic::open_with_key(tmp.path(), &key)
            .unwrap_or_else(|e| panic!("round {run}: the file does not open: {e}"));
        c.check_integrity(&Actor::owner())
            .unwrap_or_else(|e| panic!("round {run}: {e}"));
        let present = names_in(&c);
        for name in &committed {
            assert!(
                present.contains(name),
                "round {run}: {name} was committed and is gone"
            );
        }
    }
    eprintln!(
        "crash test: {rounds} SIGKILLs ({killed_mid_write} during a stream of writes), {committed_total} committed transactions all present, every file passed both integrity checks; {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
