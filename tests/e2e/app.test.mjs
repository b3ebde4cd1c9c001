// End to end: the real app binary in a real window (Xvfb), driven through tauri-driver and
// WebKitWebDriver, typing and clicking as a receptionist would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { remote } from "webdriverio";

const root = path.resolve(import.meta.dirname, "../..");
const app = process.env.CLINIC_APP_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, "target"), "debug/clinic-crm");
const shots = path.join(import.meta.dirname, "artifacts");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clinic-e2e-"));
const PASS = "e2e passphrase 2026";
// Where the window saves PDFs and exports (instead of ~/Downloads).
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), "clinic-e2e-downloads-"));

let driver;
before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  // The app reads these; WebKitWebDriver passes the environment on to it.
  process.env.CLINIC_DATA_DIR = dataDir;
  process.env.CLINIC_KEYCHAIN = "off";
  process.env.CLINIC_EXPORT_DIR = downloads;
  driver = spawn("tauri-driver", ["--port", "4444", "--native-driver", "/usr/bin/WebKitWebDriver"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  await sleep(1500);
});
after(() => driver?.kill());

async function openApp() {
  const started = Date.now();
  const browser = await remote({
    hostname: "127.0.0.1",
    port: 4444,
    logLevel: "error",
    // Classic WebDriver: WebKitWebDriver does not speak BiDi.
    capabilities: { browserName: "wry", "wdio:enforceWebDriverClassic": true, "tauri:options": { application: app } },
  });
  return { browser, started };
}

const $t = (b, id) => b.$(`[data-testid="${id}"]`);

async function type(b, id, text) {
  const el = await $t(b, id);
  await el.waitForDisplayed({ timeout: 10000 });
  await el.click();
  await el.setValue(text);
}

async function shot(b, name) {
  await sleep(400); // let transitions finish
  await b.saveScreenshot(path.join(shots, `${name}.png`));
}

/** Clicks the option with `label` in the open menu (a closed menu may linger hidden in the
 *  page with the same label: the language switch has "English" too). */
async function clickOption(b, xpathTest) {
  let shown;
  await b.waitUntil(async () => {
    for (const o of await b.$$(`//div[contains(@class,"n-base-select-option") and ${xpathTest}]`)) {
      if (await o.isDisplayed()) return (shown = o);
    }
    return false;
  }, { timeout: 5000, timeoutMsg: `no option ${xpathTest} shown` });
  await shown.click();
}

async function chooseOption(b, testid, label) {
  await (await $t(b, testid)).click();
  await clickOption(b, `normalize-space(.)="${label}"`);
}

let current;
let recoveryCode;
test("first run, register a patient and a visit, restart, find them again", async () => {
  try {
    await scenario();
  } catch (e) {
    await current?.saveScreenshot(path.join(shots, "failure.png")).catch(() => {});
    throw e;
  } finally {
    await current?.deleteSession().catch(() => {});
  }
});

/** Text of a PDF (poppler), spaces and line breaks squeezed out. */
function pdfText(file) {
  const out = spawnSync("pdftotext", [file, "-"], { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.replace(/\s+/g, "");
}

/** The newest PDF in the downloads folder, waiting for it to appear. */
async function newestPdf(b, before) {
  let found = [];
  await b.waitUntil(() => {
    found = fs.readdirSync(downloads).filter((f) => f.endsWith(".pdf") && !before.includes(f));
    return found.length === 1;
  }, { timeout: 15000 });
  return path.join(downloads, found[0]);
}

/** Settings (name, logo), the clinic's own text, a handout from the patient page, a batch. */
async function handouts(b) {
  const pdfs = () => fs.readdirSync(downloads).filter((f) => f.endsWith(".pdf"));
  // Settings: the clinic's name and logo.
  await (await $t(b, "nav-settings")).click();
  const name = await $t(b, "settings-name");
  await name.waitForDisplayed({ timeout: 10000 });
  await (await name.$("input")).setValue("Kang Jian Dental");
  await (await $t(b, "settings-save")).click();
  const logo = path.join(root, "crates/clinic-core/tests/fixtures/logo.png");
  await (await $t(b, "settings-logo-file")).addValue(logo);
  const img = await (await $t(b, "settings-logo")).$("img");
  await img.waitForDisplayed({ timeout: 10000 });
  // Decoded by the window (not a broken-image box).
  await b.waitUntil(async () => (await b.execute((el) => el.complete && el.naturalWidth, img)) === 180, { timeout: 10000, timeoutMsg: "the logo does not show" });
  await shot(b, "10-settings-en");

  // The library: append a sentence to the English text and save it.
  await (await $t(b, "nav-handouts")).click();
  await (await $t(b, "library-topic-eating-out")).waitForClickable({ timeout: 10000 });
  await (await $t(b, "library-topic-eating-out")).click();
  await b.waitUntil(async () => /Eating Out, Eating Well/.test(await (await $t(b, "template-preview")).getText()), { timeout: 10000 });
  const source = await (await $t(b, "template-source")).$("textarea");
  await source.click();
  await b.keys(["Control", "End"]);
  await source.addValue("\n\nAsk for our salt-free menu card at {{clinic.name}}.\n");
  await b.waitUntil(async () => /salt-free menu card at Kang Jian Dental/.test(await (await $t(b, "template-preview")).getText()), { timeout: 10000 });
  await shot(b, "11-handout-library-en");
  await (await $t(b, "template-save")).click();
  await b.waitUntil(async () => /Edited/.test(await (await $t(b, "library-topic-eating-out")).getText()), { timeout: 10000 });

  // Back on 王芳's page: her handout carries the clinic's sentence, name and logo.
  await (await $t(b, "nav-patients")).click();
  await type(b, "patient-search", "wf");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await (await $t(b, "patient-search")).addValue("\uE007");
  await (await $t(b, "patient-title")).waitForDisplayed({ timeout: 10000 });
  await (await b.$('//div[contains(@class,"n-tabs-tab") and normalize-space(.)="Handouts"]')).click();
  // The list scrolls (only the visible options exist): type to narrow it, as staff do.
  await (await $t(b, "handout-topic")).click();
  await b.keys("Eating".split(""));
  await clickOption(b, 'normalize-space(.)="Eating Out, Eating Well"');
  await chooseOption(b, "handout-language", "English");
  await chooseOption(b, "handout-reading", "Standard");
  let before = pdfs();
  await (await $t(b, "handout-print")).click();
  const single = await newestPdf(b, before);
  const text = pdfText(single);
  for (const words of ["王芳", "EatingOut,EatingWell", "salt-freemenucardatKangJianDental", "KangJianDental"]) {
    assert.ok(text.includes(words), `${words} missing from the PDF: ${text.slice(0, 400)}`);
  }
  const images = spawnSync("pdfimages", ["-list", single], { encoding: "utf8" }).stdout;
  assert.match(images, /image\s+180\s+180/, images);
  await (await $t(b, "handout-given-row")).waitForDisplayed({ timeout: 10000 });

  // A batch for two patients, one topic for both.
  await (await $t(b, "nav-handouts")).click();
  await (await b.$('//div[contains(@class,"n-tabs-tab") and normalize-space(.)="Batch printing"]')).click();
  for (const [query, who] of [["wf", "王芳"], ["zwm", "张伟明"]]) {
    await (await $t(b, "batch-patient")).click();
    await b.keys(query.split(""));
    await clickOption(b, `contains(normalize-space(.),"${who}")`);
    await b.waitUntil(async () => (await b.$$('[data-testid="batch-row"]')).length === (who === "王芳" ? 1 : 2), { timeout: 10000 });
  }
  await chooseOption(b, "batch-topic", "After a Tooth Extraction"); // near the top of the list
  await shot(b, "12-handout-batch-en");
  before = pdfs();
  await (await $t(b, "batch-print")).click();
  const batch = await newestPdf(b, before);
  const both = pdfText(batch);
  assert.ok(both.includes("王芳") && both.includes("张伟明"), both.slice(0, 400));
  await b.waitUntil(async () => (await b.$$('[data-testid="batch-row"]')).length === 0, { timeout: 10000 });

  // A backup to a "USB disk" folder from Settings: verified, listed, encrypted.
  const usb = fs.mkdtempSync(path.join(os.tmpdir(), "clinic-e2e-usb-"));
  await (await $t(b, "nav-settings")).click();
  // The logo read back from the clinic's file shows too.
  const again = await (await $t(b, "settings-logo")).$("img");
  await again.waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => (await b.execute((el) => el.complete && el.naturalWidth, again)) === 180, { timeout: 10000, timeoutMsg: "the stored logo does not show" });
  const folderInput = await (await $t(b, "backup-folder")).$("input");
  await folderInput.waitForDisplayed({ timeout: 10000 });
  await folderInput.setValue(usb);
  await (await $t(b, "backup-now")).click();
  await (await $t(b, "backup-row")).waitForDisplayed({ timeout: 30000 });
  assert.match(await (await $t(b, "backup-last-good")).getText(), /Last good backup/);
  const made = fs.readdirSync(usb).filter((f) => f.endsWith(".clinicbackup"));
  assert.equal(made.length, 1, made.join(", "));
  const backupBytes = fs.readFileSync(path.join(usb, made[0]));
  assert.ok(!backupBytes.includes(Buffer.from("王芳")), "the backup holds a name in clear");
  await shot(b, "13-settings-backup-en");

  // Restore that backup over the clinic from the list, with the recovery code: preview first.
  await (await $t(b, "backup-restore")).click();
  await type(b, "restore-secret", recoveryCode.toLowerCase());
  await (await $t(b, "restore-check")).click();
  const preview = await $t(b, "restore-preview");
  await preview.waitForDisplayed({ timeout: 60000 });
  assert.match(await preview.getText(), /^Kang Jian Dental/);
  const held = (await (await $t(b, "restore-counts")).getText()).match(/^(\d+) patients/);
  assert.ok(held, await preview.getText());
  await shot(b, "14-restore-preview-en");
  await (await $t(b, "restore-confirm")).click();
  const note = await $t(b, "restored-note");
  await note.waitForDisplayed({ timeout: 60000 });
  assert.ok((await note.getText()).includes(`Restored: ${held[1]} patients`), `${held[0]} / ${await note.getText()}`);
  assert.match(await note.getText(), /safety-/);
  await b.keys("Escape");
  await note.waitForDisplayed({ reverse: true, timeout: 10000 });
  const safety = fs.readdirSync(dataDir).filter((f) => f.startsWith("safety-"));
  assert.equal(safety.length, 1, fs.readdirSync(dataDir).join(", "));
  // The restored clinic is open and finds its patients (messages above may cover the field:
  // typing needs no click, the search field has the focus).
  await (await $t(b, "nav-patients")).click();
  const search = await $t(b, "patient-search");
  await search.waitForDisplayed({ timeout: 10000 });
  await search.setValue("wf");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 10000 });

  // This computer's backup folder outlived the restore (the backup predates it): back up.
  await (await $t(b, "nav-settings")).click();
  const folderAgain = await (await $t(b, "backup-folder")).$("input");
  await folderAgain.waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => (await folderAgain.getValue()) === usb, { timeout: 10000, timeoutMsg: "the backup folder was lost in the restore" });
  await (await $t(b, "backup-now")).click();
  // The badge turns from red (the restored file has no backup in its log) once it is done.
  const badge = await $t(b, "backup-badge");
  await badge.waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => !/stale/.test(await badge.getAttribute("class")), {
    timeout: 60000,
    timeoutMsg: "the badge did not turn from red after the backup",
  });
  return usb;
}

/** A rule segment built in the window: the live count and the saved count are right for
 *  the patients registered above (张伟明 1980, 王芳 1975 are over 40; 李娜 1992, 孙丽 1990
 *  are not), and follow a tag put on a patient on her page. */
async function segments(b) {
  // The backup and handout messages above (up to 10 s) cover the top of the page: let them go.
  await b.waitUntil(
    async () => {
      for (const m of await b.$$(".n-message")) if (await m.isDisplayed()) return false;
      return true;
    },
    { timeout: 30000, timeoutMsg: "messages stayed on screen" },
  );
  await (await $t(b, "nav-segments")).click();
  await type(b, "tag-new-name", "VIP");
  await (await $t(b, "tag-create")).click();
  await (await $t(b, "tag-VIP")).waitForDisplayed({ timeout: 10000 });
  await (await $t(b, "segment-new")).click();
  const live = await $t(b, "segment-live-count");
  const counted = (n) =>
    b.waitUntil(async () => (await live.getText()).startsWith(`${n} patients match now`), {
      timeout: 10000,
      timeoutMsg: `the live count did not reach ${n}`,
    });
  await type(b, "rule-min-r-0", "40");
  await b.keys("Tab");
  await counted(2);
  // "Over 40 OR tagged VIP"
  await (await $t(b, "rule-combine-r")).selectByAttribute("value", "any");
  await (await $t(b, "rule-add-r")).click();
  await (await $t(b, "rule-kind-r-1")).selectByAttribute("value", "tag");
  await counted(2);
  await type(b, "segment-name", "Over 40 or VIP");
  await shot(b, "17-segment-builder-en");
  await (await $t(b, "segment-save")).click();
  await b.waitUntil(async () => (await b.$$('[data-testid="saved-segment-member"]')).length === 2, { timeout: 10000 });
  assert.match(await (await $t(b, "saved-segment-count")).getText(), /^2 patients/);

  // 李娜 gets the tag on her page: the segment now holds three.
  // Messages from the steps above may still cover the search field: it has the focus, so
  // typing needs no click.
  await (await $t(b, "nav-patients")).click();
  const search = await $t(b, "patient-search");
  await search.waitForDisplayed({ timeout: 10000 });
  await search.setValue("李娜");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await search.addValue("\uE007");
  await (await $t(b, "patient-tag-add")).click();
  await type(b, "patient-tag-input", "VIP");
  await (await $t(b, "patient-tag-save")).click();
  await (await $t(b, "patient-tag-VIP")).waitForDisplayed({ timeout: 10000 });
  await (await $t(b, "nav-segments")).click();
  const count = await $t(b, "saved-segment-count");
  await count.waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => /^3 patients/.test(await count.getText()), { timeout: 10000, timeoutMsg: "the saved count did not follow the tag" });
  await (await $t(b, "saved-segment-open")).click();
  await b.waitUntil(async () => (await b.$$('[data-testid="saved-segment-member"]')).length === 3, { timeout: 10000 });
  await (await $t(b, "saved-segment-members")).scrollIntoView();
  await shot(b, "18-segment-saved-en");
}

/** Clicks as a person would when a closing menu or a fading message is still over the
 *  field: Escape, a moment, and again (at most three times); says what was in the way. */
async function clickThrough(b, el) {
  for (let i = 0; ; i += 1) {
    try {
      await el.click();
      return;
    } catch (e) {
      if (i >= 2 || !/intercepted/.test(String(e))) throw e;
      const over = await b.execute((x) => {
        const r = x.getBoundingClientRect();
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return top ? top.outerHTML.slice(0, 200) : "nothing";
      }, el);
      console.log(`click intercepted by ${over}; Escape and again`);
      await b.keys("\uE00C");
      await sleep(400);
    }
  }
}

/** Replaces a field's text as a person would: End, Backspace over it, then type (WebKit's
 *  WebDriver clear fires no input event, so the form would keep the old text). */
async function retype(b, id, text) {
  const el = await $t(b, id);
  await el.waitForDisplayed({ timeout: 10000 });
  await clickThrough(b, el);
  const old = (await el.getValue()) ?? "";
  await el.addValue("\uE010" + "\uE003".repeat(old.length + 2));
  await el.addValue(text);
}

/** A weekday at least two days ahead (open hours by default), as ISO text. */
function weekdayAhead() {
  const d = new Date();
  d.setDate(d.getDate() + 2);
  while (d.getDay() === 0 || d.getDay() === 6) d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

async function messagesGone(b) {
  await b.waitUntil(
    async () => {
      for (const m of await b.$$(".n-message")) if (await m.isDisplayed()) return false;
      return true;
    },
    { timeout: 30000, timeoutMsg: "messages stayed on screen" },
  );
}

/** Consent to reminders, an appointment booked in the book, its confirmation on today's
 *  work list with the message ready, marked reached. */
async function appointmentsAndWorkList(b) {
  await messagesGone(b);
  await (await $t(b, "nav-patients")).click();
  const search = await $t(b, "patient-search");
  await search.waitForDisplayed({ timeout: 10000 });
  await search.setValue("zwm");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await search.addValue("\uE007");
  await (await b.$('//div[contains(@class,"n-tabs-tab") and normalize-space(.)="Profile"]')).click();
  await (await $t(b, "consent-reminders-give")).click();
  await b.waitUntil(async () => !(await (await $t(b, "consent-reminders-give")).isEnabled()), { timeout: 10000 });

  const day = weekdayAhead();
  await (await $t(b, "nav-appointments")).click();
  await retype(b, "appt-day", day);
  await (await $t(b, "appt-new")).click();
  await (await $t(b, "appointment-form")).waitForDisplayed({ timeout: 10000 });
  await (await $t(b, "appointment-patient-picker")).click();
  await b.keys("zwm".split(""));
  await clickOption(b, 'contains(normalize-space(.),"张伟明")');
  await retype(b, "appointment-at", `${day} 10:00`);
  await type(b, "appointment-doctor", "林医生");
  await type(b, "appointment-reason", "洗牙");
  await (await $t(b, "appointment-save")).click();
  await (await $t(b, "appointment-form")).waitForDisplayed({ reverse: true, timeout: 10000 });
  const block = await b.$('//*[@data-testid="appt-day-view"]//strong[normalize-space(.)="10:00 张伟明"]');
  await block.waitForDisplayed({ timeout: 10000 });
  await shot(b, "19-appointments-day-en");

  await (await $t(b, "nav-worklist")).click();
  const card = await $t(b, "work-contact-张伟明");
  await card.waitForDisplayed({ timeout: 10000 });
  const text = await card.getText();
  assert.match(text, /Booking confirmations/);
  assert.match(text, /13812345678/);
  assert.match(await (await card.$('[data-testid="work-message"]')).getText(), /10:00/);
  await shot(b, "20-work-list-en");
  await (await card.$('[data-testid="work-outcome-reached"]')).click();
  await (await $t(b, "work-empty")).waitForDisplayed({ timeout: 10000 });
}

/** Points: the owner picks mainland China's rules and stocks a reward; a return visit earns
 *  points, the desk redeems them into a voucher and prints the statement. */
async function loyalty(b) {
  await messagesGone(b);
  await (await $t(b, "nav-settings")).click();
  const section = await $t(b, "loyalty-section");
  await section.waitForDisplayed({ timeout: 10000 });
  await section.scrollIntoView();
  await chooseOption(b, "loyalty-jurisdiction", "Mainland China");
  await (await $t(b, "loyalty-law")).waitForDisplayed({ timeout: 5000 });
  await (await $t(b, "loyalty-save")).click();
  await type(b, "reward-name", "Free check-up");
  const cost = await b.$('[data-testid="reward-cost"] input');
  await cost.click();
  await cost.addValue("10");
  await (await $t(b, "reward-add")).click();
  await (await $t(b, "loyalty-reward")).waitForDisplayed({ timeout: 10000 });
  await messagesGone(b);

  await (await $t(b, "nav-patients")).click();
  const search = await $t(b, "patient-search");
  await search.waitForDisplayed({ timeout: 10000 });
  await retype(b, "patient-search", "zwm");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await search.addValue("\uE007");
  await (await $t(b, "add-visit")).waitForClickable({ timeout: 10000 });
  await (await $t(b, "add-visit")).click();
  await chooseOption(b, "visit-department", "Dental");
  await (await $t(b, "visit-type-return")).click();
  await type(b, "visit-amount", "200.00");
  await (await $t(b, "visit-save")).click();
  await b.waitUntil(async () => (await b.$$('[data-testid="visit-row"]')).length === 2, { timeout: 10000 });
  await (await b.$('//div[contains(@class,"n-tabs-tab") and normalize-space(.)="Points"]')).click();
  // A return visit: 10 points; nothing for the money, which public insurance pays for him.
  const balance = await $t(b, "points-balance");
  await balance.waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => (await balance.getText()) === "10", { timeout: 10000, timeoutMsg: "no points for the visit" });
  await chooseOption(b, "points-reward", "Free check-up · 10 points");
  await (await $t(b, "points-redeem")).click();
  await (await $t(b, "points-voucher")).waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => (await balance.getText()) === "0", { timeout: 10000 });
  await messagesGone(b);
  await shot(b, "21-points-en");
  const pdfs = fs.readdirSync(downloads).filter((f) => f.endsWith(".pdf"));
  await (await $t(b, "points-statement")).click();
  const statement = pdfText(await newestPdf(b, pdfs));
  for (const want of ["积分明细", "张伟明", "Freecheck-up", "就诊"]) assert.ok(statement.includes(want), `${want} not in ${statement}`);
}

/** The owner's reports on the real app: today's visits counted, revenue charted, saved
 *  as Excel in Downloads. */
async function reports(b) {
  await messagesGone(b);
  await (await $t(b, "nav-reports")).click();
  await (await $t(b, "report-table-overall")).waitForDisplayed({ timeout: 20000 });
  // This month so far: today's two visits (the handout patient's and the points one).
  const visits = await $t(b, "dashboard-visits");
  await visits.waitForDisplayed({ timeout: 20000 });
  assert.match(await visits.getText(), /\d/);
  await chooseOption(b, "report-name", "Revenue");
  const table = await $t(b, "report-table-by-department");
  await table.waitForDisplayed({ timeout: 20000 });
  // The 200.00 return visit recorded for the points above (no doctor given) is in this
  // period's revenue.
  const doctors = await $t(b, "report-table-by-doctor");
  await b.waitUntil(async () => (await doctors.getText()).includes("200.00"), { timeout: 10000, timeoutMsg: "no revenue" });
  await (await $t(b, "report-chart")).waitForDisplayed({ timeout: 5000 });
  await shot(b, "22-reports-en");
  const before = fs.readdirSync(downloads).filter((f) => f.endsWith(".xlsx"));
  await (await $t(b, "report-xlsx")).click();
  await b.waitUntil(() => fs.readdirSync(downloads).some((f) => f.startsWith("revenue") && f.endsWith(".xlsx") && !before.includes(f)), {
    timeout: 10000,
    timeoutMsg: "no Excel file",
  });
}

/** Staff at the shared desk: the owner makes the first account (and is signed in), adds
 *  the front desk, hands over; the front desk is offered no reports, audit log, settings or
 *  export; the owner signs back in, reads the audit log and checks its chain. */
async function staffAndAudit(b) {
  await messagesGone(b);
  await (await $t(b, "nav-staff")).click();
  await (await $t(b, "staff-view")).waitForDisplayed({ timeout: 10000 });
  await type(b, "staff-name", "Wang");
  await type(b, "staff-password", "owner-passphrase");
  await (await $t(b, "staff-add")).click();
  const signedIn = await $t(b, "signed-in");
  await signedIn.waitForDisplayed({ timeout: 10000 });
  assert.match(await signedIn.getText(), /Wang/);
  await (await $t(b, "nav-staff")).click();
  await type(b, "staff-name", "Lin");
  await chooseOption(b, "staff-role", "Front desk");
  await type(b, "staff-password", "2468");
  await (await $t(b, "staff-add")).click();
  await (await $t(b, "staff-row-Lin")).waitForDisplayed({ timeout: 10000 });
  await shot(b, "47-staff-en");

  // Hand the desk over: the clinic stays open, Lin signs in with a PIN.
  await messagesGone(b);
  await (await $t(b, "lock")).click();
  await (await $t(b, "sign-in-screen")).waitForDisplayed({ timeout: 10000 });
  await type(b, "sign-in-name", "Lin");
  await type(b, "sign-in-password", "1111");
  await (await $t(b, "sign-in-submit")).click();
  await (await $t(b, "form-error")).waitForDisplayed({ timeout: 10000 });
  await type(b, "sign-in-password", "2468");
  await (await $t(b, "sign-in-submit")).click();
  await (await $t(b, "nav-patients")).waitForDisplayed({ timeout: 10000 });
  for (const hidden of ["nav-audit", "nav-reports", "nav-staff", "nav-settings"]) {
    assert.equal((await b.$$(`[data-testid="${hidden}"]`)).length, 0, `${hidden} offered to the front desk`);
  }
  // A patient's page: no export, no clinical notes, the phone masked.
  await type(b, "patient-search", "伟明");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await (await $t(b, "patient-search")).addValue("\uE007");
  await (await $t(b, "patient-title")).waitForDisplayed({ timeout: 10000 });
  assert.equal((await b.$$('[data-testid="privacy-export"]')).length, 0, "export offered to the front desk");
  assert.equal((await b.$$('[data-testid="archive-patient"]')).length, 0, "archive offered to the front desk");
  const phone = await $t(b, "patient-phone-display");
  assert.match(await phone.getText(), /1381\*\*\*678/);
  await shot(b, "48-front-desk-patient-en");

  // The owner again: the audit log shows who did what, and the chain holds.
  await messagesGone(b);
  await (await $t(b, "lock")).click();
  await type(b, "sign-in-name", "Wang");
  await type(b, "sign-in-password", "owner-passphrase");
  await (await $t(b, "sign-in-submit")).click();
  await (await $t(b, "nav-audit")).waitForDisplayed({ timeout: 10000 });
  await (await $t(b, "nav-audit")).click();
  const log = await $t(b, "audit-table");
  await log.waitForDisplayed({ timeout: 10000 });
  await b.waitUntil(async () => (await log.getText()).includes("Wrong password"), { timeout: 10000, timeoutMsg: "no failed sign-in in the log" });
  assert.match(await log.getText(), /Opened a patient record/);
  await (await $t(b, "audit-verify")).click();
  const verdict = await $t(b, "audit-verdict");
  await verdict.waitForDisplayed({ timeout: 10000 });
  assert.match(await verdict.getText(), /intact/);
  await shot(b, "49-audit-log-en");
}

async function scenario() {
  // --- first run ---
  let { browser: b } = await openApp();
  current = b;
  await (await $t(b, "setup-screen")).waitForDisplayed({ timeout: 30000 });
  await chooseOption(b, "language-switch", "简体中文");
  await shot(b, "01-setup-zh-CN");
  await type(b, "setup-passphrase", PASS);
  await type(b, "setup-confirm", PASS);
  await (await $t(b, "setup-understand")).click();
  await (await $t(b, "setup-submit")).click();

  // --- the recovery code, shown once, and its kit as a PDF ---
  const codeBox = await $t(b, "recovery-code");
  await codeBox.waitForDisplayed({ timeout: 30000 });
  recoveryCode = await codeBox.getAttribute("aria-label");
  assert.match(recoveryCode, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);
  const kit = await newestPdf(b, []);
  const kitText = pdfText(kit);
  assert.ok(kitText.includes(recoveryCode) && kitText.includes("恢复工具包"), kitText);
  await (await $t(b, "recovery-kept")).click();
  await shot(b, "01b-recovery-code-zh-CN");
  await (await $t(b, "recovery-continue")).click();

  // --- register a patient with a Chinese name ---
  await (await $t(b, "new-patient")).waitForClickable({ timeout: 30000 });
  await (await $t(b, "new-patient")).click();
  await type(b, "patient-name", "张伟明");
  await type(b, "patient-phone", "13812345678");
  await type(b, "patient-birth-date", "1980-05-17");
  await (await $t(b, "sex-M")).click();
  await (await $t(b, "payment-public-insurance")).click();
  await (await $t(b, "allergies-add")).click();
  await type(b, "allergies-0-substance", "青霉素");
  await type(b, "allergies-0-reaction", "皮疹");
  await shot(b, "02-new-patient-form");
  await (await $t(b, "patient-save")).click();

  const title = await $t(b, "patient-title");
  await title.waitForDisplayed({ timeout: 10000 });
  assert.equal(await title.getText(), "张伟明");
  assert.match(await (await $t(b, "allergy-banner")).getText(), /青霉素/);

  // --- a visit, with a bad amount first: the error is shown, nothing is saved ---
  await (await $t(b, "add-visit")).click();
  await chooseOption(b, "visit-department", "口腔科");
  await (await $t(b, "visit-type-return")).click();
  await type(b, "visit-doctor", "林医生");
  await type(b, "visit-complaint", "右下后牙冷热敏感两周");
  await type(b, "visit-amount", "-350");
  await (await $t(b, "visit-save")).click();
  const amountError = await b.$("//*[contains(text(),'金额不能为负数')]");
  await amountError.waitForDisplayed({ timeout: 5000 });
  await shot(b, "03-visit-form-error");
  // Erase and retype, as a person would (WebDriver's clear fires no input event).
  const amount = await $t(b, "visit-amount");
  await amount.click();
  await amount.addValue("\uE010" + "\uE003".repeat(8)); // End, then Backspace ×8
  await amount.addValue("350.00");
  await (await $t(b, "visit-save")).click();
  await (await $t(b, "visit-row")).waitForDisplayed({ timeout: 10000 });
  assert.equal((await b.$$('[data-testid="visit-row"]')).length, 1);
  assert.equal(await (await $t(b, "visit-row-amount")).getText(), "350.00");
  await shot(b, "04-patient-page");

  // --- find it by search ---
  await (await $t(b, "back")).click();
  await type(b, "patient-search", "伟明");
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await shot(b, "05-patient-list-search");
  await b.deleteSession();
  await sleep(1000);

  // --- restart: no keychain here, so the passphrase is asked for ---
  ({ browser: b } = await openApp());
  current = b;
  await (await $t(b, "unlock-screen")).waitForDisplayed({ timeout: 30000 });
  await type(b, "unlock-passphrase", "not the passphrase");
  await (await $t(b, "unlock-submit")).click();
  await (await $t(b, "form-error")).waitForDisplayed({ timeout: 10000 });
  assert.match(await (await $t(b, "form-error")).getText(), /密码或恢复码不正确/);
  await shot(b, "06-unlock-wrong-passphrase");
  await type(b, "unlock-passphrase", PASS);
  await (await $t(b, "unlock-submit")).click();
  await type(b, "patient-search", "zwm"); // pinyin initials of 张伟明
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await (await $t(b, "patient-search")).addValue("\uE007"); // Enter opens the first hit
  await (await $t(b, "patient-title")).waitForDisplayed({ timeout: 10000 });
  assert.equal((await b.$$('[data-testid="visit-row"]')).length, 1);

  // --- import a GBK spreadsheet export through the window ---
  await (await $t(b, "back")).click();
  await (await $t(b, "import-patients")).click();
  await (await $t(b, "import-dialog")).waitForDisplayed({ timeout: 10000 });
  const gbk = path.join(root, "crates/clinic-core/tests/fixtures/patients-gbk.csv");
  await (await $t(b, "import-file")).addValue(gbk);
  await (await $t(b, "import-summary")).waitForDisplayed({ timeout: 10000 });
  // 张伟明 is already registered (same phone): one of the problems listed.
  await b.waitUntil(async () => (await b.$$('[data-testid="import-problem"]')).length === 5, { timeout: 10000 });
  await shot(b, "09-import-dialog");
  await (await $t(b, "import-confirm")).click();
  await (await $t(b, "import-dialog")).waitForDisplayed({ reverse: true, timeout: 10000 });
  await type(b, "patient-search", "wf"); // 王芳, imported with full-width digits in her phone
  await b.waitUntil(async () => (await b.$$('[data-testid="patient-row"]')).length === 1, { timeout: 5000 });
  await (await $t(b, "patient-search")).addValue("\uE007");
  await (await $t(b, "patient-title")).waitForDisplayed({ timeout: 10000 });
  assert.equal(await (await $t(b, "patient-title")).getText(), "王芳");

  // --- the other languages, for the screenshots ---
  await chooseOption(b, "language-switch", "繁體中文");
  await shot(b, "07-patient-page-zh-TW");
  await chooseOption(b, "language-switch", "English");
  await shot(b, "08-patient-page-en");

  const usb = await handouts(b);
  await segments(b);
  await appointmentsAndWorkList(b);
  await loyalty(b);
  await reports(b);
  await staffAndAudit(b);

  // --- closing the window backs up first (the schedule's default), then the app goes ---
  const before = fs.readdirSync(usb).filter((f) => f.endsWith(".clinicbackup"));
  // As the window's close button does (WebDriver's own "close" skips the app's handler).
  const asked = spawnSync(process.env.CLINIC_PYTHON ?? "python3", [path.join(import.meta.dirname, "close-window.py"), "Clinic CRM"], { encoding: "utf8" });
  assert.equal(asked.status, 0, asked.stdout + asked.stderr);
  let after = before;
  const until = Date.now() + 60000;
  while (Date.now() < until) {
    after = fs.readdirSync(usb).filter((f) => f.endsWith(".clinicbackup"));
    if (after.some((f) => !before.includes(f))) break;
    await sleep(250);
  }
  assert.ok(after.some((f) => !before.includes(f)), `no backup on closing: ${before} → ${after}`);
  await b.deleteSession().catch(() => {});
  current = null;
  await sleep(500);

  // --- the file on disk is unreadable without the key ---
  for (const f of ["clinic.db", "clinic.db-wal"]) {
    const p = path.join(dataDir, f);
    if (!fs.existsSync(p)) continue;
    const bytes = fs.readFileSync(p);
    assert.ok(!bytes.includes(Buffer.from("张伟明")), `${f} holds the name in clear`);
    assert.ok(!bytes.includes(Buffer.from("13812345678")), `${f} holds the phone in clear`);
    assert.ok(!bytes.includes(Buffer.from("zhangweiming")), `${f} holds the search keys in clear`);
    if (f === "clinic.db") assert.notEqual(bytes.subarray(0, 15).toString(), "SQLite format 3");
  }
  current = null;
}
