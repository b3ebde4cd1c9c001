//! Backup + verify and restore + verify of the benchmark clinic (100k patients, ~1M
//! visits): `cargo bench -p clinic-core --bench backup` (BENCH_PATIENTS to change the size).
//! Targets: backup + verify < 5 s, restore + verify < 10 s.

use std::time::Instant;

use chrono::NaiveDate;
use clinic_core::backup;
use clinic_core::synth::{GenerateClinic, Region};
use clinic_core::{Actor, Clinic, KdfParams};

const PASS: &str = "benchmark passphrase";

fn main() {
    let patients: u32 = std::env::var("BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("clinic");
    let usb = tmp.path().join("usb");
    std::fs::create_dir_all(&usb).expect("usb folder");
    let fast = KdfParams {
        m_cost: 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let (clinic, _) = Clinic::initialize_with(&home, PASS, fast).expect("init");
    let generated = clinic
        .execute(
            &Actor::owner(),
            GenerateClinic {
                patients,
                mean_visits: 10,
                seed: 1,
                region: Region::Mixed,
                until: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
            },
        )
        .expect("generate");
    // As the clinic is on disk the next morning: the app closed (SQLite then folds the WAL
    // into the database) and opened again. Right after the generator's single huge
    // transaction the WAL holds the whole database, which no working day leaves behind.
    drop(clinic);
    let (clinic, _) = Clinic::unlock_with_passphrase(&home, PASS).expect("reopen");
    // As the app leaves it after unlock: warmed up, the kept visits saved in the file.
    clinic.warm_up(None).expect("warm-up");
    // The generator's gigabyte of writes flushed to disk, so the disk's write-back of it does
    // not land in the middle of the timing.
    let _ = std::process::Command::new("sync").status();
    let db = std::fs::metadata(home.join(clinic_core::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "Backup benchmark: {} patients, {} visits, database {:.0} MiB (+ WAL)\n",
        generated.patients,
        generated.visits,
        db as f64 / 1048576.0
    );
    let wal = std::fs::metadata(home.join(format!("{}-wal", clinic_core::DB_FILE)))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("WAL before the backup: {:.1} MiB\n", wal as f64 / 1048576.0);
    println!("| | time |\n|---|---|");
    let t = Instant::now();
    // When each stage began, to say where the time goes.
    let mut marks: Vec<(&str, Instant)> = Vec::new();
    let report = clinic
        .backup_to_with(&Actor::owner(), &usb, &mut |p| {
            let stage = match p {
                backup::BackupProgress::Snapshot => {
                    "snapshot (raw pages under read-lock 0, or the backup API); the structure check starts"
                }
                backup::BackupProgress::Writing { .. } => "write + hash into the folder",
                backup::BackupProgress::Verifying => {
                    "read back + hash, the copy's HMAC check and counts, the structure check's end"
                }
            };
            if marks.last().map(|m| m.0) != Some(stage) {
                marks.push((stage, Instant::now()));
            }
        })
        .expect("backup");
    let end = Instant::now();
    println!(
        "| backup + verify (snapshot, write, read back, checksum, both integrity checks, counts) | {:.2} s |",
        (end - t).as_secs_f64()
    );
    for (i, (stage, at)) in marks.iter().enumerate() {
        let until = marks.get(i + 1).map_or(end, |m| m.1);
        println!("| · {stage} | {:.2} s |", (until - *at).as_secs_f64());
    }
    println!("| · snapshot taken by | {:?} |", report.snapshot);
    println!(
        "| backup file | {:.0} MiB |",
        report.bytes as f64 / 1048576.0
    );
    drop(clinic);
    let file = std::path::PathBuf::from(&report.path);
    let t = Instant::now();
    backup::verify_with_passphrase(&file, PASS).expect("verify");
    println!(
        "| verify alone (`clinic backup verify`) | {:.2} s |",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = backup::restore(&home, &file, PASS).expect("restore");
    println!(
        "| restore + verify over the clinic (safety copy kept) | {:.2} s |",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(r.backup.counts.patients, generated.patients);
}
