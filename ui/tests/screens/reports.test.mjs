// The reports page: a report picked, its definition in the user's language, a chart and
// its tables with codes in words; the filters sent to the core; saved as a file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, patient, withApp } from "./harness.mjs";

const people = [patient(1, { name: "陈美玲", age: 68, birthDate: "1958-03-02" })];

test("return rate with a chart, then the busiest times as a heatmap, saved as Excel (en)", () =>
  withApp({ patients: people }, { locale: "en-US" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-reports").click();
    // This month so far against the same days of last month; fewer no-shows is better.
    await byTestId(page, "dashboard-revenue").getByText("48210.50").waitFor();
    await byTestId(page, "dashboard-revenue").getByText("last month 45002.00").waitFor();
    assert.equal(await byTestId(page, "dashboard-noShowRate").locator(".last").getAttribute("class"), "last up");
    assert.equal(await byTestId(page, "dashboard-newPatients").locator(".last").getAttribute("class"), "last down");
    await byTestId(page, "report-definition").getByText("within 30, 90 or 180 days", { exact: false }).waitFor();
    await byTestId(page, "report-chart").getByText("41.3%").waitFor();
    await byTestId(page, "report-table-overall").getByText("63.6%").waitFor();
    // Filters go to the core as typed.
    await byTestId(page, "report-department").locator("input").fill("dental");
    await byTestId(page, "report-run").click();
    await page.waitForTimeout(200);
    const last = (await backend()).reportsRun.at(-1);
    assert.equal(last.name, "return-rate");
    assert.equal(last.filter.department, "dental");
    await shot("reports-return-rate-en");
    await byTestId(page, "report-name").click();
    await page.locator(".n-base-select-option", { hasText: "Busiest times" }).click();
    await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
    // Two maps: Monday 10:00 has 8 appointments and 9 visits.
    await byTestId(page, "report-heatmap-appointments").getByText("Mon").waitFor();
    assert.equal(await byTestId(page, "report-heatmap-appointments").locator('td[title="8"]').count(), 1);
    assert.equal(await byTestId(page, "report-heatmap-visits").locator('td[title="9"]').count(), 1);
    await byTestId(page, "report-table-utilisation").getByText("91.7%").waitFor();
    await shot("reports-busiest-en");
    await byTestId(page, "report-xlsx").click();
    await page.getByText("busiest-slots", { exact: false }).first().waitFor();
  }));

test("NPS below zero and the detractors' words; revenue by value tier, printed (zh-CN)", () =>
  withApp({ patients: people }, { locale: "zh-CN" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-reports").click();
    await byTestId(page, "report-name").click();
    await page.locator(".n-base-select-option", { hasText: "满意度与推荐值" }).click();
    await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
    await byTestId(page, "report-chart").getByText("-25").waitFor();
    await byTestId(page, "report-table-detractor-comments").getByText("等候时间太长").waitFor();
    await byTestId(page, "report-definition").getByText("贬损者 0-6", { exact: false }).waitFor();
    await shot("reports-nps-zh-CN");
    await byTestId(page, "report-name").click();
    await page.locator(".n-base-select-option", { hasText: "收入" }).click();
    await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
    await byTestId(page, "report-table-by-value-tier").getByText("高价值").waitFor();
    await byTestId(page, "report-table-points-liability").getByText("1250").waitFor();
    await byTestId(page, "report-table-by-value-tier").getByText("合计").waitFor();
    await shot("reports-revenue-zh-CN");
    // On paper in the user's words: the core gets the page's text, not codes.
    await byTestId(page, "report-pdf").click();
    await page.getByText("revenue.pdf", { exact: false }).first().waitFor();
    const printed = (await backend()).printedReport;
    assert.equal(printed.language, "zh-CN");
    assert.equal(printed.document.title, "收入");
    const tiers = printed.document.tables.find((x) => x.title === "按价值分层");
    assert.deepEqual(tiers.rows[0], ["高价值", "10", "9000.00", "56.3%"]);
    // A range that ends before it starts: refused in words.
    await byTestId(page, "report-from").fill("2026-12-01");
    await byTestId(page, "report-to").fill("2026-01-01");
    await byTestId(page, "report-run").click();
    await byTestId(page, "report-problem").waitFor();
  }));

test("the dashboard, the busiest times and the reminder effect in Traditional Chinese (zh-TW)", () =>
  withApp({ patients: people }, { locale: "zh-TW" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-reports").click();
    await byTestId(page, "dashboard-noShowRate").getByText("未到診率").waitFor();
    await byTestId(page, "report-dashboard").getByText("對比上月同期", { exact: false }).waitFor();
    await byTestId(page, "report-name").click();
    await page.locator(".n-base-select-option", { hasText: "繁忙時段" }).click();
    await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
    await byTestId(page, "report-heatmap-visits").getByText("週一").waitFor();
    await byTestId(page, "report-table-utilisation").getByText("使用率").first().waitFor();
    await shot("reports-busiest-zh-TW");
    // Reminder effect: "came back" within the days the owner asks for, sent to the core
    // and said in the definition.
    await byTestId(page, "report-name").click();
    await page.locator(".n-base-select-option", { hasText: "提醒成效" }).click();
    await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
    await byTestId(page, "report-definition").getByText("30 天內預約或就診", { exact: false }).waitFor();
    await byTestId(page, "report-within-days").locator("input").fill("14");
    await byTestId(page, "report-run").click();
    await byTestId(page, "report-definition").getByText("14 天內預約或就診", { exact: false }).waitFor();
    const last = (await backend()).reportsRun.at(-1);
    assert.equal(last.name, "reminder-effect");
    assert.equal(last.filter.withinDays, 14);
    await byTestId(page, "report-chart").getByText("未回診追蹤關懷").first().waitFor();
    await shot("reports-reminder-effect-zh-TW");
    // Other reports do not carry it.
    await byTestId(page, "report-name").click();
    await page.locator(".n-base-select-option", { hasText: "繁忙時段" }).click();
    await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
    assert.equal(await byTestId(page, "report-within-days").count(), 0);
    assert.equal((await backend()).reportsRun.at(-1).filter.withinDays, undefined);
  }));

for (const [locale, tag] of [["zh-TW", "zh-TW"], ["en-US", "en"]]) {
  test(`a dashboard that answers late keeps its place with a spinner, and nothing jumps when it comes (${tag})`, () =>
  withApp({ patients: people, dashboardDelayMs: 1500 }, { locale }, async ({ page, shot }) => {
    await byTestId(page, "nav-reports").click();
    const waiting = byTestId(page, "report-dashboard-loading");
    await waiting.waitFor();
    assert.equal(await waiting.locator(".n-spin").count(), 7);
    const before = await waiting.boundingBox();
    const chartTop = (await byTestId(page, "report-definition").boundingBox()).y;
    await shot(`reports-dashboard-waiting-${tag}`);
    await byTestId(page, "dashboard-revenue").getByText("48210.50").waitFor();
    assert.equal(await waiting.count(), 0);
    // The figures take the spinner's place: what is below stays where it was.
    const after = await byTestId(page, "report-dashboard").boundingBox();
    assert.ok(Math.abs(after.y - before.y) < 2, `${after.y} vs ${before.y}`);
    const chartNow = (await byTestId(page, "report-definition").boundingBox()).y;
    assert.ok(Math.abs(chartNow - chartTop) < 2, `${chartNow} vs ${chartTop}; ${JSON.stringify([before, after])}`);
    await shot(`reports-dashboard-${tag}`);
  }));
}
