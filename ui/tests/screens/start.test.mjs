// Screens before the clinic opens: first-run set-up, unlock, problems, language.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, withApp } from "./harness.mjs";

test("first run: create stays disabled until the passphrase is long enough, repeated and understood", () =>
  withApp({ folder: "empty", unlocked: false }, async ({ page, calls, shot }) => {
    await byTestId(page, "setup-screen").waitFor();
    const create = byTestId(page, "setup-submit");
    assert.equal(await create.isDisabled(), true);

    await byTestId(page, "setup-passphrase").fill("short");
    await page.getByText("Use at least 8 characters.").waitFor();
    await byTestId(page, "setup-passphrase").fill("our clinic 2026");
    await byTestId(page, "setup-confirm").fill("our clinic 2025");
    await page.getByText("The two passphrases are different.").waitFor();
    assert.equal(await create.isDisabled(), true);

    await byTestId(page, "setup-confirm").fill("our clinic 2026");
    assert.equal(await create.isDisabled(), true, "the warning must be acknowledged");
    await byTestId(page, "setup-understand").click();
    await shot("start-setup-en");
    assert.equal(await create.isDisabled(), false);
    await create.click();

    // The recovery code comes next, and the clinic opens only once it is kept.
    await byTestId(page, "recovery-code").waitFor();
    const code = await byTestId(page, "recovery-code").getAttribute("aria-label");
    assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/);
    await byTestId(page, "recovery-kit-path").getByText("recovery-kit-", { exact: false }).waitFor();
    assert.equal(await byTestId(page, "recovery-continue").isDisabled(), true);
    await byTestId(page, "recovery-kept").click();
    await shot("start-recovery-code-en");
    await byTestId(page, "recovery-continue").click();
    await page.getByText("No patients yet.", { exact: false }).waitFor();
    const kit = (await calls()).filter((c) => c.cmd === "recovery_kit_to_downloads");
    assert.deepEqual(kit, [{ cmd: "recovery_kit_to_downloads", args: { secret: "our clinic 2026", language: "en", paper: "a4" } }]);
    const setup = (await calls()).filter((c) => c.cmd === "setup_clinic");
    assert.deepEqual(setup, [{ cmd: "setup_clinic", args: { passphrase: "our clinic 2026" } }]);
  }));

for (const [locale, heading] of [
  ["zh-TW", "歡迎使用診所客戶管理"],
  ["zh-HK", "歡迎使用診所客戶管理"],
  ["zh-CN", "欢迎使用诊所客户管理"],
  ["fr-FR", "Welcome to Clinic CRM"],
]) {
  test(`a ${locale} computer opens in its language`, () =>
    withApp({ folder: "empty", unlocked: false }, { locale }, async ({ page, shot }) => {
      await page.getByRole("heading", { name: heading }).waitFor({ timeout: 5000 });
      if (locale === "zh-TW") await shot("start-setup-zh-TW");
    }));
}

test("unlock: a wrong passphrase is said plainly, in the user's language, and the field is emptied", () =>
  withApp({ unlocked: false, passphrase: "correct horse battery" }, { locale: "zh-CN" }, async ({ page, calls, shot }) => {
    const field = byTestId(page, "unlock-passphrase");
    await field.waitFor();
    assert.equal(await byTestId(page, "unlock-submit").isDisabled(), true);
    await field.fill("wrong horse");
    await field.press("Enter");
    await byTestId(page, "form-error").getByText("密码或恢复码不正确").waitFor();
    assert.equal(await field.inputValue(), "");
    await shot("start-unlock-wrong-zh-CN");

    await field.fill("correct horse battery");
    await byTestId(page, "unlock-submit").click();
    await byTestId(page, "patient-search").waitFor();
    const unlocks = (await calls()).filter((c) => c.cmd === "unlock").map((c) => c.args.passphrase);
    assert.deepEqual(unlocks, ["wrong horse", "correct horse battery"]);
  }));

test("lock returns to the unlock prompt and the list leaves the screen", () =>
  withApp({}, async ({ page, backend }) => {
    await byTestId(page, "patient-search").waitFor();
    await byTestId(page, "lock").click();
    await byTestId(page, "unlock-screen").waitFor();
    assert.equal(await byTestId(page, "patient-search").count(), 0);
    assert.equal((await backend()).unlocked, false);
  }));

test("a missing key file explains what to do and never offers the passphrase prompt", () =>
  withApp({ folder: "key-file-missing", unlocked: false }, async ({ page }) => {
    await byTestId(page, "problem-screen").getByText("The key file is missing").waitFor();
    await page.getByText("Put the key file back from your backup", { exact: false }).waitFor();
    assert.equal(await byTestId(page, "unlock-screen").count(), 0);
  }));

test("when the data folder cannot be read, the window says so and can try again", () =>
  withApp({ fail: { app_status: { code: "IO", message: "permission denied" } } }, { locale: "zh-TW" }, async ({ page }) => {
    await byTestId(page, "start-error").getByText("無法開啟診所資料資料夾").waitFor();
    await page.evaluate(() => delete window.__fakeBackend.state.fail.app_status);
    await byTestId(page, "start-retry").click();
    await byTestId(page, "patient-search").waitFor();
  }));

test("the language switch changes every word at once and is remembered after a restart", () =>
  withApp({ unlocked: false }, async ({ page }) => {
    await page.getByRole("heading", { name: "Unlock Clinic CRM" }).waitFor();
    await byTestId(page, "language-switch").click();
    await page.locator(".n-base-select-option", { hasText: "繁體中文" }).click();
    await page.getByRole("heading", { name: "解鎖診所客戶管理" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-TW");
    await page.reload();
    await page.getByRole("heading", { name: "解鎖診所客戶管理" }).waitFor();
  }));
