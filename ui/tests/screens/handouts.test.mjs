// The Handouts page (library, the clinic's own texts with a live preview, batch printing)
// and Settings (clinic profile and logo).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { byTestId, patient, withApp } from "./harness.mjs";

const chen = patient(1, { name: "陈美玲", age: 68, conditions: [{ name: "高血压", icd10: "I10", chronic: true }] });
const lin = patient(2, { name: "林志明", age: 35 });
const clinic = { patients: [chen, lin], clinic: { name: "康健牙科诊所", address: "上海市徐汇区", phone: "021-5555 0000" } };

test("library: edit a text with a live preview, a mistake blocks saving, save, then restore the built-in (zh-CN)", () =>
  withApp(clinic, { locale: "zh-CN" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-handouts").click();
    await byTestId(page, "library-topic-tooth-extraction").waitFor();
    const source = byTestId(page, "template-source").locator("textarea");
    await byTestId(page, "template-preview").getByText("拔牙后注意事项").waitFor();
    assert.match(await byTestId(page, "template-status").textContent(), /内置内容/);
    // Save stays off until something changes.
    assert.equal(await byTestId(page, "template-save").isDisabled(), true);
    // The format help shows the table bars as written (not read as plural forms).
    assert.match(await page.locator(".help").textContent(), /1\. 编号 · \| 表格 \| · > 醒目提示框/);

    // Type a new section; the preview follows with the sample patient's values.
    await source.click();
    await page.keyboard.press("Control+End");
    await source.pressSequentially("\n## 夜间急诊\n\n请拨打 ");
    await page.locator(".chip", { hasText: "clinic.phone" }).click();
    await byTestId(page, "template-preview").getByText("请拨打 021-5555 0000").waitFor();
    assert.match(await byTestId(page, "template-pages").textContent(), /打印共 1 页（A4）/);

    // A placeholder that does not exist: the reason is shown and Save is off.
    await source.pressSequentially(" {{clinic.fax}}");
    await byTestId(page, "template-problem").waitFor();
    assert.match(await byTestId(page, "template-problem").textContent(), /这段内容暂时无法打印[\s\S]*clinic\.fax/);
    assert.equal(await byTestId(page, "template-save").isDisabled(), true);
    await shot("handouts-library-problem-zh-CN");
    for (let i = 0; i < " {{clinic.fax}}".length; i++) await source.press("Backspace");
    await byTestId(page, "template-problem").waitFor({ state: "detached" });

    await byTestId(page, "template-save").click();
    await page.getByText("已保存。今后打印将使用此内容。").waitFor();
    await page.locator('[data-testid="library-topic-tooth-extraction"] .n-tag', { hasText: "已修改" }).waitFor();
    assert.match(await byTestId(page, "template-status").textContent(), /本诊所修改的内容 · owner 保存于/);
    const saved = (await backend()).templates["tooth-extraction/zh-CN/false"].source;
    assert.match(saved, /## 夜间急诊\n\n请拨打 \{\{clinic\.phone\}\}$/);
    await shot("handouts-library-zh-CN");

    // Another language is another text; unsaved changes are not lost silently.
    await source.pressSequentially("\n草稿");
    await byTestId(page, "template-language").getByText("繁體").click();
    await page.getByText("此内容有未保存的修改，要放弃吗？").waitFor();
    await page.locator(".n-dialog__action button", { hasText: "继续编辑" }).click();
    assert.match(await source.inputValue(), /草稿$/);
    await byTestId(page, "template-discard").click();
    await byTestId(page, "template-language").getByText("繁體").click();
    await byTestId(page, "template-preview").getByText("拔牙後注意事項").waitFor();
    await byTestId(page, "template-language").getByText("简体").click();

    // Restore the built-in text.
    await byTestId(page, "template-restore").click();
    await page.locator(".n-popconfirm__action button", { hasText: "恢复内置内容" }).click();
    await page.getByText("已恢复，今后打印内置内容。").waitFor();
    assert.deepEqual((await backend()).templates, {});
    assert.equal(await page.locator('[data-testid="library-topic-tooth-extraction"] .n-tag').count(), 0);
  }));

test("batch: patients added by search, recommended topics or one for all, progress, stop, saved (zh-TW)", () =>
  withApp({ ...clinic, batchStepMs: 1500 }, { locale: "zh-TW" }, async ({ page, shot, calls, backend }) => {
    await byTestId(page, "nav-handouts").click();
    await page.locator(".n-tabs-tab", { hasText: "批次列印" }).click();
    const add = async (query, name) => {
      await byTestId(page, "batch-patient").click();
      await page.keyboard.type(query);
      await page.locator(".n-base-select-option", { hasText: name }).click();
      await byTestId(page, "batch-row").filter({ hasText: name }).waitFor();
    };
    await add("陈", "陈美玲");
    await add("林", "林志明");
    // 陈美玲 has hypertension; nothing fits 林志明 yet.
    await byTestId(page, "batch-row").filter({ hasText: "陈美玲" }).getByText("高血壓居家照護與血壓紀錄").waitFor();
    await byTestId(page, "batch-row").filter({ hasText: "林志明" }).getByText("沒有建議的單張").waitFor();
    assert.match(await byTestId(page, "batch-print").textContent(), /將 1 份單張存成一個 PDF/);

    // One topic for everyone: two handouts; stop half-way and nothing is recorded.
    await byTestId(page, "batch-topic").click();
    await page.locator(".n-base-select-option", { hasText: "外食也能吃得健康" }).click();
    assert.match(await byTestId(page, "batch-print").textContent(), /將 2 份單張存成一個 PDF/);
    await byTestId(page, "batch-print").click();
    await byTestId(page, "batch-progress").getByText("第 1 / 2 份…").waitFor();
    await shot("handouts-batch-progress-zh-TW");
    await byTestId(page, "batch-cancel").click();
    await page.locator(".n-message", { hasText: "已停止，沒有儲存任何內容。" }).waitFor();
    assert.equal((await backend()).handoutsGiven.length, 0);
    assert.equal(await byTestId(page, "batch-row").count(), 2, "the list stays for another try");

    await byTestId(page, "batch-print").click();
    await page.locator(".n-message", { hasText: "2 份單張已存到 /home/clinic/Downloads/" }).waitFor({ timeout: 5000 });
    const sent = (await calls()).filter((c) => c.cmd === "handout_batch_to_downloads").map((c) => c.args);
    assert.deepEqual(sent.at(-1), {
      items: [
        { patientId: chen.id, topic: "eating-out", language: null, plain: null },
        { patientId: lin.id, topic: "eating-out", language: null, plain: null },
      ],
      paper: "a4",
    });
    assert.equal((await backend()).handoutsGiven.length, 2);
    assert.equal(await byTestId(page, "batch-row").count(), 0);
  }));

test("settings: clinic details saved, a logo chosen and shown, a wrong file refused, logo removed (en)", () =>
  withApp(clinic, { locale: "en-GB" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-settings").click();
    const name = byTestId(page, "settings-name").locator("input");
    await page.waitForFunction(() => document.querySelector('[data-testid="settings-name"] input')?.value === "康健牙科诊所");
    await name.fill("Kang Jian Dental");
    await byTestId(page, "settings-phone").locator("input").fill("+86 21 5555 0000");
    await byTestId(page, "settings-save").click();
    await page.getByText("Saved.").waitFor();
    assert.deepEqual((await backend()).clinic, { name: "Kang Jian Dental", address: "上海市徐汇区", phone: "+86 21 5555 0000" });

    const fixtures = path.resolve(import.meta.dirname, "../../../crates/clinic-core/tests/fixtures");
    await byTestId(page, "settings-logo-file").setInputFiles(path.join(fixtures, "logo.png"));
    await page.getByText("The logo is saved.").waitFor();
    await byTestId(page, "settings-logo").locator("img").waitFor();
    const size = await byTestId(page, "settings-logo").locator("img").evaluate((img) => img.naturalWidth);
    assert.equal(size, 180, "the stored bytes come back as the picture");
    assert.equal((await backend()).logo.length, fs.statSync(path.join(fixtures, "logo.png")).size);
    await shot("settings-en");

    await byTestId(page, "settings-logo-file").setInputFiles(path.join(fixtures, "not-a-table.csv"));
    await byTestId(page, "settings-logo-problem").getByText("Logo is not in the right format.").waitFor();
    await byTestId(page, "settings-logo").locator("img").waitFor();

    await byTestId(page, "settings-logo-remove").click();
    await page.getByText("The logo is removed.").waitFor();
    await byTestId(page, "settings-logo").getByText("No logo").waitFor();
    assert.equal((await backend()).logo.length, 0);
  }));

test("settings: backups — none yet in red, a missing USB disk said plainly, then a good backup listed (zh-TW)", () =>
  withApp(clinic, { locale: "zh-TW" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-settings").click();
    const last = byTestId(page, "backup-last-good");
    await last.getByText("還沒有備份。").waitFor();
    assert.match(await last.getAttribute("class"), /stale/);

    const folder = byTestId(page, "backup-folder").locator("input");
    await folder.fill("/media/usb");
    await byTestId(page, "backup-now").click();
    await byTestId(page, "backup-problem").getByText("找不到備份資料夾。USB 隨身碟插好了嗎？").waitFor();
    await byTestId(page, "backup-last-failed").getByText("找不到備份資料夾", { exact: false }).waitFor();

    await folder.fill("/home/clinic/usb");
    await byTestId(page, "backup-now").click();
    await page.locator(".n-message", { hasText: "已備份並檢查：/home/clinic/usb/" }).waitFor();
    await last.getByText("最近一次成功備份：", { exact: false }).waitFor();
    assert.doesNotMatch(await last.getAttribute("class"), /stale/);
    await byTestId(page, "backup-folder-check").getByText("可用").waitFor();
    assert.equal(await byTestId(page, "backup-row").count(), 1);
    assert.equal((await backend()).backupFolder, "/home/clinic/usb");
    await shot("settings-backup-zh-TW");
  }));

test("batch: a whole segment's patients added at once, nobody twice (en)", () =>
  withApp(
    { ...clinic, patients: [chen, lin, patient(3, { name: "王芳", age: 70, birthDate: "1956-01-02", paymentType: "self-pay" }), patient(4, { name: "Li Wei", age: 66, birthDate: "1960-03-04", paymentType: "self-pay" })] },
    async ({ page, calls }) => {
      await byTestId(page, "nav-handouts").click();
      await page.locator(".n-tabs-tab", { hasText: "Batch printing" }).click();
      await byTestId(page, "batch-segment").click();
      await page.locator(".n-base-select-option", { hasText: "Payment: self-pay (2)" }).click();
      await page.getByText("2 patients added").waitFor();
      assert.deepEqual(await page.locator('[data-testid="batch-row"] .name').allTextContents(), ["Li Wei", "王芳"]);
      // Adding it again adds nobody twice.
      await byTestId(page, "batch-segment").click();
      await page.locator(".n-base-select-option", { hasText: "Payment: self-pay (2)" }).click();
      await page.getByText("0 patients added").waitFor();
      assert.equal(await byTestId(page, "batch-row").count(), 2);
      const asked = (await calls()).filter((c) => c.cmd === "segments_members").map((c) => c.args);
      assert.deepEqual(asked[0], { dimension: "payment-type", label: "self-pay" });
    },
  ));
