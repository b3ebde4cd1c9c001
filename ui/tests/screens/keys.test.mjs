// The owner's safety net in the window: restore from a backup (first run and from
// Settings), the recovery code at the unlock screen, and Settings → Security.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, withApp } from "./harness.mjs";

const USB = "/run/media/clinic/USB";
const FILE = `${USB}/康健牙科-2026-11-20-180000.clinicbackup`;
const backupOnUsb = {
  backups: { [USB]: [{ path: FILE, bytes: 4718592, createdAt: "2026-11-20T10:00:00Z", clinicId: "c1", schemaVersion: 11 }] },
  backupFiles: {
    [FILE]: {
      passphrase: "old clinic passphrase",
      recoveryCode: "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01",
      clinicName: "康健牙科",
      createdAt: "2026-11-20T10:00:00Z",
      counts: { patients: 1, visits: 3, handoutsGiven: 2 },
      patients: [],
    },
  },
};

test("a new computer: restore from a backup with the recovery code, see what it holds first", () =>
  withApp({ folder: "empty", unlocked: false, ...backupOnUsb }, { locale: "zh-CN" }, async ({ page, calls, shot }) => {
    await byTestId(page, "setup-restore-instead").click();
    await byTestId(page, "restore-folder").fill("/media/nothing-here");
    await byTestId(page, "restore-look").click();
    await byTestId(page, "restore-none").waitFor();
    await byTestId(page, "restore-folder").fill(USB);
    await byTestId(page, "restore-look").click();
    await byTestId(page, "backup-restore").click();

    await byTestId(page, "restore-secret").fill("not the passphrase");
    await byTestId(page, "restore-check").click();
    await byTestId(page, "restore-problem").getByText("密码或恢复码不正确").waitFor();
    await byTestId(page, "restore-secret").fill("abcd efgh jkmn pqrs tvwx yz01");
    await byTestId(page, "restore-check").click();
    const preview = byTestId(page, "restore-preview");
    await preview.getByText("康健牙科").waitFor();
    await preview.getByText("1 位患者 · 3 次就诊 · 已发 2 份卫教单张").waitFor();
    await preview.getByText("这份备份将成为本机的诊所数据", { exact: false }).waitFor();
    await page.waitForTimeout(500); // the check's spinner fades out of the button
    await shot("restore-first-run-zh-CN");
    assert.equal((await calls()).filter((c) => c.cmd === "backup_restore").length, 0, "nothing restored before the last button");

    await byTestId(page, "restore-confirm").click();
    await byTestId(page, "restored-note").getByText("已恢复：1 位患者，3 次就诊。").waitFor();
    const restores = (await calls()).filter((c) => c.cmd === "backup_restore").map((c) => c.args);
    assert.deepEqual(restores, [{ file: FILE, secret: "abcd efgh jkmn pqrs tvwx yz01" }]);
  }));

test("forgot the passphrase: the recovery code sets a new one and unlocks", () =>
  withApp({ unlocked: false, recoveryCode: "7K2M-QX4P-9TZA-H3RW-C8NB-5F1V" }, { locale: "zh-TW" }, async ({ page, backend, shot }) => {
    await byTestId(page, "unlock-forgot").click();
    const submit = byTestId(page, "reset-submit");
    await byTestId(page, "reset-code").fill("7K2M-QX4P-9TZA-H3RW-C8NB-0000");
    await byTestId(page, "reset-new").fill("a brand new one");
    await byTestId(page, "reset-confirm").fill("a brand new on");
    await page.getByText("兩次輸入的新密碼不一致。").waitFor();
    assert.equal(await submit.isDisabled(), true);
    await byTestId(page, "reset-confirm").fill("a brand new one");
    await submit.click();
    await byTestId(page, "form-error").getByText("密碼或復原碼不正確").waitFor();
    await byTestId(page, "reset-code").fill("7k2m qx4p 9tza h3rw c8nb 5f1v");
    await shot("unlock-forgot-zh-TW");
    await submit.click();
    await byTestId(page, "patient-search").waitFor();
    assert.equal((await backend()).passphrase, "a brand new one");
  }));

test("Settings → Security: no code yet is a warning; a new kit, a new passphrase, a new key with progress", () =>
  withApp({ rotateStepMs: 150 }, async ({ page, backend, calls, shot }) => {
    await byTestId(page, "nav-settings").click();
    const section = byTestId(page, "security-section");
    await byTestId(page, "security-no-code").waitFor();
    assert.equal(await byTestId(page, "security-new-kit").isDisabled(), true);

    await byTestId(page, "security-secret").fill("wrong one");
    await byTestId(page, "security-new-kit").click();
    await byTestId(page, "recovery-failed").getByText("That passphrase or recovery code is not correct.").waitFor();
    await byTestId(page, "recovery-later").click();
    await byTestId(page, "security-secret").fill("correct horse battery");
    await byTestId(page, "security-new-kit").click();
    await byTestId(page, "recovery-code").waitFor();
    await byTestId(page, "recovery-kept").click();
    await byTestId(page, "recovery-continue").click();
    await byTestId(page, "security-has-code").waitFor();

    await byTestId(page, "security-new").fill("second passphrase");
    await byTestId(page, "security-confirm").fill("second passphrase");
    await byTestId(page, "security-change").click();
    await page.getByText("The passphrase is changed. The recovery code still works.").waitFor();
    assert.equal((await backend()).passphrase, "second passphrase");
    assert.equal(await byTestId(page, "security-secret").inputValue(), "");

    // The recovery code stands in for the passphrase.
    const code = (await backend()).recoveryCode;
    await byTestId(page, "security-secret").fill(code);
    await byTestId(page, "security-rotate").click();
    await page.locator(".n-dialog").getByRole("button", { name: "Re-encrypt with a new key" }).click();
    await byTestId(page, "security-rotation").getByText("Re-encrypting… 50%").waitFor();
    await page.locator(".n-dialog").waitFor({ state: "detached" });
    await section.scrollIntoViewIfNeeded();
    await shot("settings-security-rotating-en");
    await page.getByText("Re-encrypted under a new key and checked", { exact: false }).waitFor();
    assert.equal((await backend()).rotated, true);
    assert.deepEqual(
      (await calls()).filter((c) => c.cmd === "key_rotate").map((c) => c.args),
      [{ secret: code }],
    );
  }));

test("Settings → Backups: restore one of the listed backups over the clinic, with a warning and a safety copy", () =>
  withApp(
    {
      backupFolder: USB,
      ...backupOnUsb,
      backupFiles: { [FILE]: { ...backupOnUsb.backupFiles[FILE], passphrase: "correct horse battery" } },
      patients: [],
    },
    { locale: "zh-TW" },
    async ({ page, shot }) => {
      await byTestId(page, "nav-settings").click();
      await byTestId(page, "backup-restore").click();
      await byTestId(page, "restore-secret").fill("correct horse battery");
      await byTestId(page, "restore-check").click();
      await byTestId(page, "restore-preview").getByText("之後輸入的內容將不再顯示", { exact: false }).waitFor();
      await page.waitForTimeout(500);
      await shot("restore-settings-zh-TW");
      await byTestId(page, "restore-confirm").click();
      const note = byTestId(page, "restored-note");
      await note.getByText("已還原：1 位病患，3 次就診。").waitFor();
      await note.getByText("safety-2026-11-24-093000", { exact: false }).waitFor();
    },
  ));

test("the sidebar says when the last good backup was, red once it is older than the setting", () =>
  withApp(
    {
      backupFolder: USB,
      backupLog: [{ at: new Date(Date.now() - 3 * 86400000).toISOString(), folder: USB, file: FILE, bytes: 1, ok: true, errorCode: null, message: null, by: "owner" }],
    },
    async ({ page, shot }) => {
      const badge = byTestId(page, "backup-badge");
      await badge.getByText("Last good backup: 3 days ago").waitFor();
      assert.doesNotMatch(await badge.getAttribute("class"), /stale/);

      // Settings: warn after 2 days instead of 7; the daily time checked, then saved.
      await badge.click();
      await byTestId(page, "backup-schedule").waitFor();
      await byTestId(page, "backup-daily-at").fill("25:00");
      await byTestId(page, "backup-schedule-save").click();
      await byTestId(page, "backup-schedule-problem").getByText("Daily backup time is not in the right format.").waitFor();
      await byTestId(page, "backup-daily-at").fill("9:05");
      await byTestId(page, "backup-stale-days").fill("2");
      await byTestId(page, "backup-on-close").click();
      await byTestId(page, "backup-schedule-save").click();
      await page.getByText("The backup schedule is saved.").waitFor();
      assert.equal(await byTestId(page, "backup-daily-at").inputValue(), "09:05");
      await byTestId(page, "backup-schedule").scrollIntoViewIfNeeded();
      await shot("settings-backup-schedule-en");
      await byTestId(page, "nav-patients").click();
      await page.waitForFunction(() => document.querySelector('[data-testid="backup-badge"]')?.classList.contains("stale"));
      const s = await page.evaluate(() => window.__fakeBackend.state.schedule);
      assert.deepEqual(s, { dailyAt: "09:05", onClose: false, keepDaily: 7, keepWeekly: 8, staleDays: 2 });
      await shot("home-backup-badge-stale-en");
    },
  ));

test("no backup yet is red on every page, in the user's language", () =>
  withApp({}, { locale: "zh-TW" }, async ({ page }) => {
    const badge = byTestId(page, "backup-badge");
    await badge.getByText("還沒有備份").waitFor();
    assert.match(await badge.getAttribute("class"), /stale/);
  }));

test("a backup folder without room for a backup is said before anyone tries", () =>
  withApp({ backupFolder: "/home/clinic/usb", freeBytes: 512000 }, async ({ page }) => {
    await byTestId(page, "nav-settings").click();
    await byTestId(page, "backup-folder-check").getByText("Not enough room: 500 KB free, a backup needs about 1.6 MB").waitFor();
  }));

test("a backup refused because the clinic's own file is damaged says so, not that the USB disk is (zh-TW)", () =>
  withApp(
    {
      backupFolder: USB,
      backupLog: [
        { at: new Date(Date.now() - 3 * 86400000).toISOString(), folder: USB, file: FILE, bytes: 1, ok: true, errorCode: null, message: null, by: "owner" },
        { at: new Date(Date.now() - 3600000).toISOString(), folder: USB, file: null, bytes: null, ok: false, errorCode: "CLINIC_FILE_DAMAGED", message: "the clinic file is damaged", by: "owner" },
      ],
    },
    { locale: "zh-TW" },
    async ({ page, shot }) => {
      await byTestId(page, "backup-badge").click();
      const failed = byTestId(page, "backup-last-failed");
      await failed.getByText("診所本身的資料檔已損壞，因此沒有備份。請從最近一次完好的備份還原", { exact: false }).waitFor();
      await failed.scrollIntoViewIfNeeded();
      await shot("settings-backup-clinic-file-damaged-zh-TW");
    },
  ));
