// The segments page: build a rule segment with a live count (nested OR, a NOT), save it,
// see its members and why; tags created, put on a whole segment, shown on the patient page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, patient, withApp } from "./harness.mjs";

const people = [
  patient(1, { name: "陈美玲", age: 68, birthDate: "1958-03-02" }),
  patient(2, { name: "林志明", age: 35, birthDate: "1991-01-01" }),
  patient(3, { name: "王小华", age: 9, birthDate: "2017-06-01" }),
];

test("a rule segment built with a live count, saved, its members explained; a tag on the whole segment", () =>
  withApp({ patients: people }, { locale: "en-US" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-segments").click();
    await byTestId(page, "segment-new").click();
    // Starts as "All of these: age ≥ 65".
    await byTestId(page, "segment-live-count").getByText("1 patients match now").waitFor();
    // Add an OR group: age ≤ 12 or age ≥ 65 → switch the root to "any".
    await byTestId(page, "rule-combine-r").selectOption("any");
    await byTestId(page, "rule-add-r").click();
    await byTestId(page, "rule-min-r-1").fill("");
    await byTestId(page, "rule-min-r-1").dispatchEvent("change");
    await byTestId(page, "rule-max-r-1").fill("12");
    await byTestId(page, "rule-max-r-1").dispatchEvent("change");
    await byTestId(page, "segment-live-count").getByText("2 patients match now").waitFor();
    // A reversed range is reported at once, in words.
    await byTestId(page, "rule-min-r-1").fill("20");
    await byTestId(page, "rule-min-r-1").dispatchEvent("change");
    await byTestId(page, "segment-live-problem").getByText("out of range", { exact: false }).waitFor();
    await byTestId(page, "rule-min-r-1").fill("");
    await byTestId(page, "rule-min-r-1").dispatchEvent("change");
    await byTestId(page, "segment-live-count").getByText("2 patients match now").waitFor();
    // NOT on the first condition: everyone under 65, or a child → 林志明 and 王小华.
    await byTestId(page, "rule-not-r-0").check();
    await byTestId(page, "segment-live-count").getByText("2 patients match now").waitFor();
    await byTestId(page, "rule-not-r-0").uncheck();
    await byTestId(page, "segment-name").fill("Children and seniors");
    await shot("segments-builder-en");
    await byTestId(page, "segment-save").click();
    await byTestId(page, "saved-segment-members").waitFor();
    const rows = byTestId(page, "saved-segment-member");
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).textContent(), /王小华9 years old/);
    assert.match(await rows.nth(1).textContent(), /陈美玲68 years old/);
    const saved = (await backend()).segments[0];
    assert.deepEqual(saved.rule, {
      kind: "any",
      items: [
        { kind: "age", min: 65, max: null },
        { kind: "age", min: null, max: 12 },
      ],
    });

    // A tag, put on every member of the segment; it shows on the patient's page.
    await byTestId(page, "tag-new-name").fill("Recall");
    await byTestId(page, "tag-new-colour").selectOption("green");
    await byTestId(page, "tag-create").click();
    await byTestId(page, "tag-Recall").waitFor();
    await byTestId(page, "segment-tag-select").selectOption({ label: "Recall" });
    await byTestId(page, "segment-tag-apply").click();
    await byTestId(page, "segment-action-message").getByText("Recall put on 2 more patients.").waitFor();
    assert.match(await byTestId(page, "tag-Recall").textContent(), /2 patients/);
    // Exported as a campaign list (the default): who has not agreed to marketing is left
    // out, and the desk is told; a list for care asks for care consent instead.
    await byTestId(page, "segment-export-csv").click();
    await byTestId(page, "segment-action-message").getByText("1 left out: no consent for Marketing.", { exact: false }).waitFor();
    assert.equal((await backend()).segmentExported.purpose, "marketing");
    await byTestId(page, "segment-export-purpose").selectOption("care");
    await byTestId(page, "segment-export-xlsx").click();
    await byTestId(page, "segment-action-message").getByText("Children and seniors.xlsx", { exact: false }).waitFor();
    assert.equal((await backend()).segmentExported.purpose, "care");
    assert.doesNotMatch(await byTestId(page, "segment-action-message").textContent(), /left out/);
    await shot("segments-saved-en");
    await rows.nth(1).click();
    await byTestId(page, "patient-tag-Recall").waitFor();
    // The saved segment shows as a chip with its reason.
    await byTestId(page, "saved-segment-chip-Children and seniors").hover();
    await page.getByText("68 years old").waitFor();
    // Taken off with its ✕; added back by typing its name.
    await byTestId(page, "patient-tag-Recall").locator("button").click();
    await byTestId(page, "patient-tag-Recall").waitFor({ state: "detached" });
    await byTestId(page, "patient-tag-add").click();
    await byTestId(page, "patient-tag-input").fill("recall");
    await byTestId(page, "patient-tag-save").click();
    await byTestId(page, "patient-tag-Recall").waitFor();
    assert.equal((await backend()).patientTags.length, 2);
  }));

test("a template in Traditional Chinese starts the builder with its conditions and name (zh-TW)", () =>
  withApp({ patients: people }, { locale: "zh-TW" }, async ({ page, shot }) => {
    await byTestId(page, "nav-segments").click();
    await byTestId(page, "segment-template").selectOption("high-value-at-risk");
    assert.equal(await byTestId(page, "segment-name").inputValue(), "有流失風險的高價值病患");
    assert.equal(await byTestId(page, "rule-dimension-r-0").inputValue(), "value-tier");
    assert.equal(await byTestId(page, "rule-label-r-1").inputValue(), "at-risk");
    await byTestId(page, "segment-live-count").getByText("目前有 0 位病患符合").waitFor();
    await shot("segments-template-zh-TW");
  }));

test("a long member list comes in pages of 50, sorted by name either way", () =>
  withApp(
    { patients: Array.from({ length: 60 }, (_, i) => patient(i + 1, { name: `Patient ${String(i + 1).padStart(2, "0")}`, age: 40, birthDate: "1986-01-01" })) },
    { locale: "en-US" },
    async ({ page }) => {
      await byTestId(page, "nav-segments").click();
      await byTestId(page, "segment-bar-age-group-adult").click();
      const rows = byTestId(page, "segment-member");
      await byTestId(page, "members-page").getByText("Page 1 of 2").waitFor();
      assert.equal(await rows.count(), 50);
      assert.match(await rows.nth(0).textContent(), /^Patient 01/);
      await byTestId(page, "members-next").click();
      await byTestId(page, "members-page").getByText("Page 2 of 2").waitFor();
      assert.equal(await rows.count(), 10);
      assert.match(await rows.nth(9).textContent(), /^Patient 60/);
      // Sorting again starts from the first page, names descending.
      await byTestId(page, "members-sort-name").click();
      await byTestId(page, "members-page").getByText("Page 1 of 2").waitFor();
      assert.match(await rows.nth(0).textContent(), /^Patient 60/);
    },
  ));

test("tags and a saved segment on the patient page and the segments page (zh-CN)", () =>
  withApp(
    {
      patients: people,
      tags: [{ id: 1, name: "重点随访", colour: "red" }],
      patientTags: [{ tagId: 1, patientId: people[0].id }],
      segments: [{ id: 1, name: "长者", description: null, template: null, rule: { kind: "all", items: [{ kind: "age", min: 65, max: null }] } }],
    },
    { locale: "zh-CN" },
    async ({ page, shot }) => {
      await byTestId(page, "nav-segments").click();
      await byTestId(page, "saved-segment-open").click();
      await byTestId(page, "saved-segment-member").getByText("68 岁").waitFor();
      await byTestId(page, "tag-重点随访").waitFor();
      await shot("segments-saved-zh-CN");
      await byTestId(page, "saved-segment-member").click();
      await byTestId(page, "patient-tag-重点随访").waitFor();
      await byTestId(page, "saved-segment-chip-长者").hover();
      await page.getByText("68 岁").waitFor();
      await shot("patient-tags-zh-CN");
    },
  ));

test("membership tiers as a segment: the chip with its reason, the count, and a rule on the tier (zh-TW)", () =>
  withApp(
    {
      patients: people,
      loyalty: { jurisdiction: "taiwan", enabled: true, pointsPerReturnVisit: 10, spend: null, referralBonus: 0, birthdayBonus: 0,
        excludePublicInsurance: true, excludedDepartments: [], excludedTreatments: [], expiryMonths: 24, familyPooling: false,
        tiers: [{ name: "regular", minSpend: "0", minVisits: 0, benefits: "" }, { name: "silver", minSpend: "2000", minVisits: 4, benefits: "" }, { name: "鑽石", minSpend: "9000", minVisits: 9, benefits: "" }] },
      memberships: { [people[0].id]: { tier: "silver", on: "2026-11-01", spend: "2100.00", visits: 5 } },
    },
    { locale: "zh-TW" },
    async ({ page, shot }) => {
      await byTestId(page, "nav-segments").click();
      await page.getByText("會員等級").first().waitFor();
      await shot("segments-membership-zh-TW");
      await byTestId(page, "segment-new").click();
      await byTestId(page, "rule-kind-r-0").selectOption("label");
      await byTestId(page, "rule-dimension-r-0").selectOption("membership-tier");
      // The clinic's own ladder, its own names where it named them.
      const options = await byTestId(page, "rule-label-r-0").locator("option").allTextContents();
      assert.deepEqual(options, ["一般", "銀卡", "鑽石"]);
      await byTestId(page, "rule-label-r-0").selectOption("silver");
      await byTestId(page, "segment-live-count").getByText("陈美玲").waitFor();
      assert.match(await byTestId(page, "segment-live-count").textContent(), /\b1\b/);
      await shot("segments-membership-rule-zh-TW");
    },
  ));
