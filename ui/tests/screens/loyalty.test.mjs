// Loyalty in the window: the owner says where the clinic practises (Taiwan's preset starts
// off and says why), switches points on, stocks the catalogue; at the desk a patient's
// points tab adjusts with a reason, redeems a reward into a voucher, cancels it (points
// back) and reverses an entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, patient, withApp } from "./harness.mjs";

const people = [patient(1, { name: "王丽", phone: "13800001111" })];

async function pick(page, testId, label) {
  await byTestId(page, testId).click();
  await page.locator(".n-base-select-option", { hasText: label }).click();
}

test("settings: Taiwan starts off with the reason, mainland China on; rewards added", () =>
  withApp({ patients: people }, { locale: "zh-TW" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-settings").click();
    const section = byTestId(page, "loyalty-section");
    await section.scrollIntoViewIfNeeded();
    await pick(page, "loyalty-jurisdiction", "臺灣");
    await byTestId(page, "loyalty-law").getByText("醫療法第61條", { exact: false }).waitFor();
    assert.equal(await byTestId(page, "loyalty-enabled").getAttribute("aria-checked"), "false");
    await byTestId(page, "loyalty-save").click();
    await page.getByText("已儲存", { exact: false }).first().waitFor();
    assert.equal((await backend()).loyalty.jurisdiction, "taiwan");
    assert.equal((await backend()).loyalty.enabled, false);
    await byTestId(page, "reward-name").fill("免費口腔檢查");
    await byTestId(page, "reward-cost").locator("input").fill("30");
    await byTestId(page, "reward-add").click();
    await byTestId(page, "loyalty-reward").getByText("免費口腔檢查").waitFor();
    await section.screenshot({ path: new URL("./artifacts/loyalty-settings-zh-TW.png", import.meta.url).pathname });
    await pick(page, "loyalty-jurisdiction", "中國大陸");
    assert.equal(await byTestId(page, "loyalty-enabled").getAttribute("aria-checked"), "true");
    await byTestId(page, "loyalty-save").click();
    await page.waitForFunction(() => window.__fakeBackend.state.loyalty.jurisdiction === "mainland-china");
    const s = (await backend()).loyalty;
    assert.equal(s.enabled, true);
    assert.equal(s.spend.per, "10");
    // The ladder: silver's threshold changed, saved, everyone requalified.
    await byTestId(page, "tier-spend-1").fill("1500");
    await byTestId(page, "tiers-requalify").click();
    await byTestId(page, "tiers-requalified").getByText("一般 1", { exact: false }).waitFor();
    assert.equal((await backend()).loyalty.tiers[1].minSpend, "1500");
    await byTestId(page, "tiers-requalify").scrollIntoViewIfNeeded();
    await page.screenshot({ path: new URL("./artifacts/loyalty-tiers-zh-TW.png", import.meta.url).pathname });
    void shot;
  }));

test("the points tab: adjust with a reason, redeem into a voucher, cancel it, reverse an entry", () =>
  withApp(
    {
      patients: people,
      loyalty: { jurisdiction: "mainland-china", enabled: true, pointsPerReturnVisit: 10, spend: { points: 1, per: "10", rounding: "down" },
        referralBonus: 50, birthdayBonus: 0, excludePublicInsurance: true, excludedDepartments: [], excludedTreatments: [], expiryMonths: 24 },
      rewards: [{ id: "r-1", name: "免费洁牙", kind: "check-up", costPoints: 40, stock: 3, activeFrom: null, activeUntil: null, retired: false }],
    },
    { locale: "zh-CN" },
    async ({ page, shot, backend }) => {
      await page.locator('[data-testid="patient-row"]', { hasText: "王丽" }).click();
      await page.locator(".n-tabs-tab", { hasText: "积分" }).click();
      await byTestId(page, "points-balance").getByText("0").waitFor();
      // An adjustment needs its reason.
      await byTestId(page, "points-adjust-by").locator("input").fill("50");
      await byTestId(page, "points-adjust").click();
      await byTestId(page, "form-error").waitFor();
      await byTestId(page, "points-adjust-reason").fill("开业活动补录");
      await byTestId(page, "points-adjust").click();
      await byTestId(page, "points-balance").getByText("50").waitFor();
      await pick(page, "points-reward", "免费洁牙");
      await byTestId(page, "points-redeem").click();
      await byTestId(page, "points-voucher").getByText("免费洁牙").waitFor();
      await byTestId(page, "points-balance").getByText("10").waitFor();
      await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
      await shot("points-tab-zh-CN");
      await byTestId(page, "points-statement").click();
      await page.getByText("/home/clinic/Downloads/points", { exact: false }).waitFor();
      await byTestId(page, "voucher-cancel").click();
      await byTestId(page, "points-balance").getByText("50").waitFor();
      // Reverse the adjustment: it stays in the history, struck through.
      await byTestId(page, "points-reverse").last().click();
      await byTestId(page, "points-reverse-reason").fill("重复录入");
      await byTestId(page, "points-reverse-confirm").click();
      await byTestId(page, "points-balance").getByText("0").waitFor();
      const kinds = (await backend()).pointsEntries.map((e) => e.kind);
      assert.deepEqual(kinds, ["adjust", "redeem", "reverse", "reverse"]);
      assert.equal((await page.locator('[data-testid="points-entry"]').count()), 4);
    },
  ));
