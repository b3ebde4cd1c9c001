//! The benchmark clinic: builds a synthetic clinic (100,000 patients, ~1,000,000 visits by
//! default) encrypted and unencrypted, then prints a table: generate rate, file size, open
//! and unlock time, and search latency (p50/p95/max) for the queries front-desk staff type.
//!
//!     cargo bench -p clinic-core --bench clinic --features bench-plain
//!
//! Environment: BENCH_PATIENTS (default 100000), BENCH_SEED (default 1).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clinic_core::export::{Export, ExportFormat, ExportWhat};
use clinic_core::import::{read_table, ImportPatients, TextEncoding};
use clinic_core::patients::{ListPatients, PatientSummary, SearchPatients};
use clinic_core::synth::{GenerateClinic, Region};
use clinic_core::{Actor, Clinic, KdfParams, DB_FILE};
use pinyin::ToPinyin;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;

const PASS: &str = "benchmark passphrase";
const QUERIES_PER_KIND: usize = 300;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn file_size(dir: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(dir.join(format!("{DB_FILE}{s}"))).ok())
        .map(|m| m.len())
        .sum()
}

fn generate(c: &Clinic, patients: u32, seed: u64) -> (Duration, u64) {
    let t = Instant::now();
    let g = c
        .execute(
            &Actor::owner(),
            GenerateClinic {
                patients,
                mean_visits: 10,
                seed,
                region: Region::Mixed,
                until: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
            },
        )
        .expect("generate");
    (t.elapsed(), g.patients + g.visits)
}

fn pinyin_of(name: &str) -> (String, String) {
    let syllables: Vec<&str> = name.to_pinyin().flatten().map(|p| p.plain()).collect();
    let full = syllables.concat().replace('ü', "v");
    let initials = syllables.iter().filter_map(|s| s.chars().next()).collect();
    (full, initials)
}

/// Queries as staff type them, drawn from real patients of the clinic.
fn queries(sample: &[PatientSummary], seed: u64) -> Vec<(&'static str, Vec<String>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EA2C4);
    let mut pick = || sample.choose(&mut rng).expect("patients").clone();
    let mut kinds: Vec<(&'static str, Vec<String>)> = Vec::new();
    let mut make = |label, f: &mut dyn FnMut(&PatientSummary) -> String| {
        let qs = (0..QUERIES_PER_KIND).map(|_| f(&pick())).collect();
        kinds.push((label, qs));
    };
    make("surname (1 character)", &mut |p| {
        p.name.chars().take(1).collect()
    });
    make("given name (2 chars)", &mut |p| {
        p.name.chars().skip(1).collect::<String>()
    });
    make("full name", &mut |p| p.name.clone());
    make("initials", &mut |p| pinyin_of(&p.name).1);
    make("full pinyin", &mut |p| pinyin_of(&p.name).0);
    make("phone, last 4", &mut |p| {
        let ph = p.phone.clone().unwrap_or_default();
        ph[ph.len().saturating_sub(4)..].to_string()
    });
    make("phone, first 7", &mut |p| {
        p.phone
            .clone()
            .unwrap_or_default()
            .chars()
            .take(7)
            .collect()
    });
    make("no match", &mut |p| format!("qx{}", p.name.len()));
    kinds
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// A patient file as a clinic would bring it: `rows` patients, UTF-8 CSV.
fn patient_csv(rows: u32, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let surnames: Vec<char> = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗".chars().collect();
    let given: Vec<char> = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚".chars().collect();
    let mut out = String::from("病历号,姓名,性别,出生日期,手机,付费方式\n");
    for i in 0..rows as usize {
        // Name and birth date from the row number: no two rows are the same person.
        let name: String = [
            surnames[i % 20],
            given[(i / 20) % 20],
            given[(i / 400) % 20],
        ]
        .iter()
        .collect();
        let sex = if rng.gen_bool(0.5) { "男" } else { "女" };
        let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).expect("date")
            + chrono::Duration::days((i / 8000) as i64 * 97 + rng.gen_range(0..90));
        let birth = birth.format("%Y/%-m/%-d");
        // Unique phones, so no row is a duplicate of another.
        out.push_str(&format!("P{i:06},{name},{sex},{birth},139{i:08},医保\n"));
    }
    out.into_bytes()
}

/// Reading and importing `rows` patients into an empty clinic: (read, import, file size).
fn import_rate(encrypted: bool, rows: u32, seed: u64) -> (Duration, Duration) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clinic = if encrypted {
        let fast = KdfParams {
            m_cost: 1024,
            t_cost: 1,
            p_cost: 1,
        };
        Clinic::initialize_with(tmp.path(), PASS, fast)
            .expect("init")
            .0
    } else {
        Clinic::create_unencrypted_for_benchmark(tmp.path()).expect("plain")
    };
    let csv = patient_csv(rows, seed);
    let t = Instant::now();
    let table = read_table(&csv, TextEncoding::Auto).expect("read");
    let read = t.elapsed();
    let t = Instant::now();
    let report = clinic
        .execute(
            &Actor::owner(),
            ImportPatients {
                table,
                mapping: None,
                dry_run: false,
            },
        )
        .expect("import");
    assert_eq!(report.new_patients, rows, "{:?}", report.problems.first());
    (read, t.elapsed())
}

struct Run {
    label: &'static str,
    /// Patients CSV, visits CSV, visits XLSX.
    exports: [Duration; 3],
    generate: Duration,
    rows: u64,
    size: u64,
    open: Duration,
    searches: Vec<(&'static str, Vec<Duration>, f64)>,
}

fn measure(label: &'static str, encrypted: bool, patients: u32, seed: u64) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let fast = KdfParams {
        m_cost: 1024,
        t_cost: 1,
        p_cost: 1,
    };
    let (clinic, key) = if encrypted {
        let (c, k) = Clinic::initialize_with(dir, PASS, fast).expect("init");
        (c, Some(k))
    } else {
        (
            Clinic::create_unencrypted_for_benchmark(dir).expect("plain"),
            None,
        )
    };
    let (gen_time, rows) = generate(&clinic, patients, seed);
    drop(clinic);
    let size = file_size(dir);

    // Open: what every start costs once the key is known (keychain path).
    let mut opens = Vec::new();
    let mut clinic = None;
    for _ in 0..5 {
        let t = Instant::now();
        let c = match &key {
            Some(k) => Clinic::open_with_key(dir, k).expect("open"),
            None => Clinic::create_unencrypted_for_benchmark(dir).expect("open plain"),
        };
        opens.push(t.elapsed());
        clinic = Some(c);
    }
    opens.sort();
    let clinic = clinic.expect("opened");

    let owner = Actor::owner();
    let sample = clinic
        .execute(
            &owner,
            ListPatients {
                include_archived: false,
                limit: 1000,
                offset: 0,
            },
        )
        .expect("list");
    let kinds = queries(&sample, seed);
    let search = |q: &str| {
        clinic
            .execute(
                &owner,
                SearchPatients {
                    query: q.to_string(),
                    limit: 50,
                },
            )
            .expect("search")
            .len()
    };
    // Warm the page cache as a morning's first searches would.
    for (_, qs) in &kinds {
        for q in qs.iter().take(20) {
            search(q);
        }
    }
    let mut searches = Vec::new();
    for (kind, qs) in kinds {
        let mut times = Vec::with_capacity(qs.len());
        let mut hits = 0usize;
        for q in &qs {
            let t = Instant::now();
            hits += search(q);
            times.push(t.elapsed());
        }
        times.sort();
        searches.push((kind, times, hits as f64 / qs.len() as f64));
    }
    // BENCH_ONLY=search: no exports, for a quick loop while tuning search.
    let skip_exports = std::env::var("BENCH_ONLY").as_deref() == Ok("search");
    let timed = |what, format| {
        if skip_exports {
            return Duration::ZERO;
        }
        let t = Instant::now();
        let bytes = clinic
            .execute(&owner, Export { what, format })
            .expect("export");
        assert!(!bytes.is_empty());
        t.elapsed()
    };
    let exports = [
        timed(ExportWhat::Patients, ExportFormat::Csv),
        timed(ExportWhat::Visits, ExportFormat::Csv),
        timed(ExportWhat::Visits, ExportFormat::Xlsx),
    ];
    Run {
        label,
        exports,
        generate: gen_time,
        rows,
        size,
        open: opens[2],
        searches,
    }
}

fn main() {
    let patients = env_num("BENCH_PATIENTS", 100_000) as u32;
    let seed = env_num("BENCH_SEED", 1);
    println!("Clinic CRM benchmark: {patients} patients, ~10 visits each, seed {seed}\n");

    // The passphrase path (a new computer, or no keychain): Argon2id at the shipped cost.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (c, _) = Clinic::initialize(tmp.path(), PASS).expect("init");
    drop(c);
    let t = Instant::now();
    let (c, _) = Clinic::unlock_with_passphrase(tmp.path(), PASS).expect("unlock");
    let unlock = t.elapsed();
    drop(c);

    let (enc_read, enc_import) = import_rate(true, patients, seed);
    let (plain_read, plain_import) = import_rate(false, patients, seed);
    // BENCH_ONLY=import: the import figures alone, for a quick loop while tuning it.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("import") {
        let rate = |d: Duration| patients as f64 / d.as_secs_f64();
        println!(
            "import {patients}: encrypted read {:.2} s + import {:.2} s = {:.0} rows/s; plain {:.0} rows/s",
            enc_read.as_secs_f64(),
            enc_import.as_secs_f64(),
            rate(enc_read + enc_import),
            rate(plain_read + plain_import)
        );
        return;
    }
    let enc = measure("encrypted", true, patients, seed);
    let plain = measure("plain", false, patients, seed);

    println!("| | encrypted (SQLCipher) | plain SQLite | ratio |");
    println!("|---|---|---|---|");
    let ratio = |a: f64, b: f64| format!("{:.2}x", a / b);
    println!(
        "| generate (patients + visits, one transaction) | {:.1} s, {:.0} rows/s | {:.1} s, {:.0} rows/s | {} |",
        enc.generate.as_secs_f64(),
        enc.rows as f64 / enc.generate.as_secs_f64(),
        plain.generate.as_secs_f64(),
        plain.rows as f64 / plain.generate.as_secs_f64(),
        ratio(enc.generate.as_secs_f64(), plain.generate.as_secs_f64()),
    );
    let rate = |d: Duration| patients as f64 / (d.as_secs_f64());
    println!(
        "| import {patients} patients from CSV: read + check/write (one transaction) | {} + {:.1} s, {:.0} rows/s | {} + {:.1} s, {:.0} rows/s | {} |",
        format_args!("{:.2} s", enc_read.as_secs_f64()),
        enc_import.as_secs_f64(),
        rate(enc_read + enc_import),
        format_args!("{:.2} s", plain_read.as_secs_f64()),
        plain_import.as_secs_f64(),
        rate(plain_read + plain_import),
        ratio((enc_read + enc_import).as_secs_f64(), (plain_read + plain_import).as_secs_f64()),
    );
    for (i, label) in [
        "export patients to CSV",
        "export visits to CSV",
        "export visits to XLSX",
    ]
    .iter()
    .enumerate()
    {
        println!(
            "| {label} | {:.1} s | {:.1} s | {} |",
            enc.exports[i].as_secs_f64(),
            plain.exports[i].as_secs_f64(),
            ratio(enc.exports[i].as_secs_f64(), plain.exports[i].as_secs_f64())
        );
    }
    println!(
        "| file size | {:.1} MiB | {:.1} MiB | {} |",
        enc.size as f64 / 1048576.0,
        plain.size as f64 / 1048576.0,
        ratio(enc.size as f64, plain.size as f64)
    );
    println!(
        "| open with the key (median of 5) | {} ms | {} ms | |",
        ms(enc.open),
        ms(plain.open)
    );
    println!(
        "| unlock with the passphrase (Argon2id 64 MiB, t=3) + open | {} ms | | |",
        ms(unlock)
    );
    let mut all_enc: Vec<Duration> = Vec::new();
    let mut all_plain: Vec<Duration> = Vec::new();
    for ((kind, e, hits), (_, p, _)) in enc.searches.iter().zip(&plain.searches) {
        println!(
            "| search: {kind} ({hits:.0} hits avg) p50 / p95 / max | {} / {} / {} ms | {} / {} / {} ms | {} |",
            ms(percentile(e, 0.5)),
            ms(percentile(e, 0.95)),
            ms(*e.last().expect("times")),
            ms(percentile(p, 0.5)),
            ms(percentile(p, 0.95)),
            ms(*p.last().expect("times")),
            ratio(percentile(e, 0.95).as_secs_f64(), percentile(p, 0.95).as_secs_f64()),
        );
        all_enc.extend(e);
        all_plain.extend(p);
    }
    all_enc.sort();
    all_plain.sort();
    println!(
        "| search: all {} queries p50 / p95 / max | {} / {} / {} ms | {} / {} / {} ms | {} |",
        all_enc.len(),
        ms(percentile(&all_enc, 0.5)),
        ms(percentile(&all_enc, 0.95)),
        ms(*all_enc.last().expect("times")),
        ms(percentile(&all_plain, 0.5)),
        ms(percentile(&all_plain, 0.95)),
        ms(*all_plain.last().expect("times")),
        ratio(
            percentile(&all_enc, 0.95).as_secs_f64(),
            percentile(&all_plain, 0.95).as_secs_f64()
        ),
    );
    let _ = (enc.label, plain.label);
}
