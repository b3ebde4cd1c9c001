// Start-up and memory benchmark (run through bench.sh, which provides Xvfb, a session bus and
// an unlocked Secret Service keyring). For Clinic CRM: from launch to a patient list with rows
// on screen, the key coming from the keychain as on a clinic's normal morning; for the
// baseline: from launch to the empty window's one line of text. Both are launched and
// observed the same way (tauri-driver + WebKitWebDriver), so the figures compare.
// Memory: resident set (RSS) and proportional set (PSS, shared pages divided among the
// processes that map them) of the app process and its WebKit processes, 3 s after ready.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { remote } from "webdriverio";

const root = path.resolve(import.meta.dirname, "../..");
const release = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "release");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 200);

function clinic(dataDir, args, env = {}) {
  return execFileSync(path.join(release, "clinic"), ["--data-dir", dataDir, "--json", ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

function seed() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clinic-bench-"));
  const init = JSON.parse(clinic(dataDir, ["init"], { CLINIC_PASSPHRASE: "bench passphrase 2026" }));
  if (!init.keychain) throw new Error("the keychain did not take the key: run this through bench.sh");
  const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
  const given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平";
  for (let i = 0; i < PATIENTS; i++) {
    const name = surnames[i % 20] + given[(i * 7) % 20] + given[(i * 3 + 1) % 20];
    clinic(dataDir, ["patient", "add", "--name", name, "--phone", `138${String(10000000 + i * 7919).slice(-8)}`, "--birth-date", `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 9}`]);
  }
  return dataDir;
}

/** PIDs of every process below `pid`. */
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const walk = (p) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

function memoryOf(pids) {
  const rows = [];
  for (const pid of pids) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (name === "WebKitWebDriver") continue; // the test harness, not the app
      const kib = (file, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(file, "utf8"))?.[1] ?? 0);
      rows.push({ name, rss: kib(`/proc/${pid}/status`, "VmRSS") / 1024, pss: kib(`/proc/${pid}/smaps_rollup`, "Pss") / 1024 });
    } catch {
      /* exited meanwhile */
    }
  }
  return rows;
}

async function measure(label, application, env, readyScript) {
  const results = [];
  for (let run = 0; run < RUNS; run++) {
    Object.assign(process.env, env);
    const driver = spawn("tauri-driver", ["--port", "4444", "--native-driver", "/usr/bin/WebKitWebDriver"], { stdio: "ignore" });
    await sleep(800);
    const t0 = performance.now();
    const browser = await remote({
      hostname: "127.0.0.1",
      port: 4444,
      logLevel: "error",
      capabilities: { browserName: "wry", "wdio:enforceWebDriverClassic": true, "tauri:options": { application } },
    });
    // One round trip per poll: a few milliseconds of resolution.
    while (!(await browser.execute(readyScript))) {
      if (performance.now() - t0 > 30000) throw new Error(`${label}: not ready after 30 s`);
    }
    const ready = performance.now() - t0;
    await sleep(3000);
    const mem = memoryOf(descendants(driver.pid));
    results.push({ ready, mem });
    await browser.deleteSession().catch(() => {});
    driver.kill();
    await sleep(800);
  }
  return results;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function report(label, results) {
  const byName = {};
  for (const r of results) for (const m of r.mem) (byName[m.name] ??= { rss: [], pss: [] }).rss.push(m.rss), byName[m.name].pss.push(m.pss);
  const total = (k) => median(results.map((r) => r.mem.reduce((s, m) => s + m[k], 0)));
  console.log(`\n${label}`);
  console.log(`  ready: median ${median(results.map((r) => r.ready)).toFixed(0)} ms; runs ${results.map((r) => r.ready.toFixed(0)).join(", ")} ms`);
  for (const [name, v] of Object.entries(byName)) console.log(`  ${name.padEnd(22)} RSS ${median(v.rss).toFixed(0).padStart(4)} MiB  PSS ${median(v.pss).toFixed(0).padStart(4)} MiB`);
  console.log(`  ${"total".padEnd(22)} RSS ${total("rss").toFixed(0).padStart(4)} MiB  PSS ${total("pss").toFixed(0).padStart(4)} MiB`);
}

const dataDir = seed();
const listReady = `return document.querySelectorAll('[data-testid="patient-row"]').length === Math.min(${PATIENTS}, 200)`;
const appResults = await measure("Clinic CRM", path.join(release, "clinic-crm"), { CLINIC_DATA_DIR: dataDir, CLINIC_KEYCHAIN: "on" }, listReady);
const emptyResults = await measure("empty", path.join(release, "examples/empty_window"), {}, `return !!document.getElementById("empty")`);
console.log(`\n${os.cpus().length} CPUs (${os.cpus()[0].model}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; release builds; ${RUNS} runs each; ${PATIENTS} patients`);
report(`Clinic CRM: launch → patient list with ${Math.min(PATIENTS, 200)} rows (key from the keychain)`, appResults);
report("Empty Tauri window: launch → its text on screen", emptyResults);
fs.rmSync(dataDir, { recursive: true, force: true });
