// Staff at a shared desk: the owner adds a front-desk account and a custom role; the
// front desk signs in, sees no reports, staff or audit log; a wrong password is said in
// the user's language; the owner reads the audit log and checks its chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, patient, withApp } from "./harness.mjs";

test("the owner adds staff and a role, then hands the desk over (en)", () =>
  withApp({ staff: [{ name: "Wang", role: "owner", password: "owner-passphrase", active: true }], signedIn: "Wang" }, { locale: "en-US" },
    async ({ page, shot, backend }) => {
      await byTestId(page, "signed-in").getByText("Signed in: Wang").waitFor();
      await byTestId(page, "nav-staff").click();
      await byTestId(page, "staff-row-Wang").getByText("Owner").waitFor();
      await byTestId(page, "staff-name").fill("Lin");
      await byTestId(page, "staff-role").click();
      await page.locator(".n-base-select-option", { hasText: "Front desk" }).click();
      await page.locator(".n-base-select-menu").waitFor({ state: "hidden" });
      await byTestId(page, "staff-password").fill("24");
      await byTestId(page, "staff-add").click();
      // The core's refusal under the field (not the hint that is always there).
      await page.getByText("is too short", { exact: false }).first().waitFor();
      await byTestId(page, "staff-password").fill("2468");
      await byTestId(page, "staff-add").click();
      await byTestId(page, "staff-row-Lin").getByText("Front desk").waitFor();
      await byTestId(page, "role-name").fill("Reception lead");
      await byTestId(page, "permission-view-reports").click();
      await byTestId(page, "permission-edit-patients").click();
      await byTestId(page, "role-save").click();
      await page.getByText("Reception lead: Register and edit patients, See reports").waitFor();
      // Lin becomes a doctor, then gets a new PIN.
      await byTestId(page, "staff-role-Lin").click();
      // The add form's closed menu keeps its options in the page: the shown one.
      await page.locator(".n-base-select-option:visible", { hasText: "Doctor" }).click();
      await page.getByText("Lin is now Doctor").waitFor();
      await page.locator(".n-base-select-menu:visible").waitFor({ state: "detached" });
      await byTestId(page, "staff-reset-Lin").click();
      await byTestId(page, "staff-new-password").fill("97531");
      await byTestId(page, "staff-reset-save").click();
      await page.getByText("Lin signs in with the new password").waitFor();
      await shot("staff-en");
      const b = await backend();
      assert.deepEqual(b.roles, [{ name: "Reception lead", permissions: ["edit-patients", "view-reports"] }]);
      assert.deepEqual(b.staff.find((m) => m.name === "Lin"), { name: "Lin", role: "doctor", password: "97531", active: true });
      // Handing over the desk: the clinic stays open, the next person signs in.
      await byTestId(page, "lock").click();
      await byTestId(page, "sign-in-screen").waitFor();
    }));

test("a wrong password, then the front desk signs in and sees only its pages (zh-TW)", () =>
  withApp({ staff: [{ name: "王", role: "owner", password: "owner-passphrase", active: true }, { name: "小林", role: "front-desk", password: "2468", active: true }] },
    { locale: "zh-TW" }, async ({ page, shot, backend }) => {
      await byTestId(page, "sign-in-screen").getByText("現在是誰在櫃台？").waitFor();
      await byTestId(page, "sign-in-name").fill("小林");
      await byTestId(page, "sign-in-password").fill("1111");
      await byTestId(page, "sign-in-submit").click();
      await byTestId(page, "form-error").getByText("姓名或密碼不正確").waitFor();
      assert.equal(await byTestId(page, "sign-in-password").inputValue(), "", "a failed attempt empties the field");
      await shot("sign-in-wrong-zh-TW");
      await byTestId(page, "sign-in-password").fill("2468");
      await byTestId(page, "sign-in-submit").click();
      await byTestId(page, "signed-in").getByText("已登入：小林").waitFor();
      await byTestId(page, "nav-patients").waitFor();
      for (const hidden of ["reports", "staff", "audit", "settings"]) {
        assert.equal(await byTestId(page, `nav-${hidden}`).count(), 0, `${hidden} is not offered`);
      }
      await byTestId(page, "lock").getByText("切換使用者").waitFor();
      // 小林 changes her own PIN: the current one first.
      await byTestId(page, "signed-in").click();
      await byTestId(page, "own-current").fill("0000");
      await byTestId(page, "own-new").fill("8642");
      await byTestId(page, "own-save").click();
      await byTestId(page, "own-error").getByText("姓名或密碼不正確").waitFor();
      await byTestId(page, "own-current").fill("2468");
      await byTestId(page, "own-save").click();
      await page.getByText("新密碼已儲存").waitFor();
      assert.equal((await backend()).staff.find((m) => m.name === "小林").password, "8642");
    }));

test("the owner reads the audit log, refusals marked, and checks the chain (zh-CN)", () =>
  withApp({
    staff: [{ name: "王", role: "owner", password: "owner-passphrase", active: true }],
    signedIn: "王",
    auditLog: [
      { seq: 1, at: "2026-11-24T01:00:00.000Z", staff: "王", role: "owner", action: "staff-add", patientId: null, detail: "{}" },
      { seq: 2, at: "2026-11-24T02:00:00.000Z", staff: "小林", role: "front-desk", action: "sign-in", patientId: null, detail: "{}" },
      { seq: 3, at: "2026-11-24T02:01:00.000Z", staff: "小林", role: "front-desk", action: "patient-read", patientId: "00000000-0000-7000-8000-000000000001", detail: "{}", patientName: "陈美玲" },
      { seq: 4, at: "2026-11-24T02:02:00.000Z", staff: "小林", role: "front-desk", action: "denied:report-read", patientId: null, detail: "{}" },
      { seq: 5, at: "2026-11-24T02:03:00.000Z", staff: "小林", role: "front-desk", action: "appointment-write", patientId: "00000000-0000-7000-8000-000000000001", patientName: "陈美玲",
        detail: JSON.stringify({ op: "SetAppointmentStatus", rows: [{ table: "appointment", op: "update", key: "a1", fields: { status: ["scheduled", "cancelled"], updated_at: ["x", "y"] } }] }) },
    ],
  }, { locale: "zh-CN" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-audit").click();
    await byTestId(page, "audit-table").getByText("被拒绝：查看报表").waitFor();
    await byTestId(page, "audit-table").getByText("查看患者档案").waitFor();
    await byTestId(page, "audit-table").getByText("陈美玲").first().waitFor();
    await byTestId(page, "audit-verify").click();
    await byTestId(page, "audit-verdict").getByText("日志完整：已检查 5 条记录。").waitFor();
    // What an entry changed, field by field, in words.
    await byTestId(page, "audit-changes-5").click();
    const unfolded = byTestId(page, "audit-detail-5");
    await unfolded.getByText("预约", { exact: true }).waitFor();
    await unfolded.getByText("已预约").waitFor();
    await unfolded.getByText("修改").waitFor();
    await unfolded.getByText("已取消").waitFor();
    assert.equal(await unfolded.getByText("updated_at").count(), 0);
    await shot("audit-zh-CN");
    await byTestId(page, "audit-staff").fill("小林");
    await byTestId(page, "audit-filter").click();
    await page.waitForTimeout(150);
    assert.equal(await byTestId(page, "audit-table").locator(":scope > tbody > tr:not(.unfolded)").count(), 4);
    await byTestId(page, "audit-export").click();
    await page.getByText("已保存到 /home/clinic/Downloads/audit-log-2026-11-25.csv").waitFor();
    assert.equal((await backend()).auditExported.staff, "小林");
  }));

test("a patient's data handed over, then their erasure request carried out (en)", () =>
  withApp({
    patients: [patient(1, { name: "Margaret Thornbury" })],
    history: [{ at: "2026-11-24T02:00:00Z", staff: "Wang", role: "owner", action: "patient-write",
      changes: { name: ["Margret Thornbury", "Margaret Thornbury"] }, reason: "spelled as on her passport" }],
  }, { locale: "en-US" }, async ({ page, shot }) => {
    await page.getByText("Margaret Thornbury").first().click();
    await byTestId(page, "patient-title").waitFor();
    // Her record's history: the correction, its fields and its reason.
    await page.locator(".n-tabs-tab", { hasText: "History" }).click();
    await byTestId(page, "patient-history").getByText("Reason: spelled as on her passport").waitFor();
    await byTestId(page, "patient-history").getByText("Margret Thornbury").waitFor();
    await shot("patient-history-en");
    await byTestId(page, "privacy-menu").click();
    await byTestId(page, "privacy-export").click();
    await page.getByText("Saved to /home/clinic/Downloads/patient-", { exact: false }).waitFor();
    await byTestId(page, "privacy-menu").click();
    await byTestId(page, "privacy-erase").click();
    await page.getByText("Carry out an erasure request?").waitFor();
    await shot("privacy-erase-en");
    await page.locator(".n-dialog").getByRole("button", { name: "Erase" }).click();
    await page.getByText("Restricted until 2041-11-25", { exact: false }).waitFor();
  }));

test("a record's history and an audit entry unfolded, in Traditional Chinese (zh-TW)", () =>
  withApp({
    staff: [{ name: "王", role: "owner", password: "owner-passphrase", active: true }],
    signedIn: "王",
    patients: [patient(1, { name: "陳美玲" })],
    history: [{ at: "2026-11-24T02:00:00Z", staff: "王", role: "owner", action: "patient-write",
      changes: { paymentType: ["self-pay", "public-insurance"], name: ["陳美鈴", "陳美玲"] }, reason: "依健保卡更正" }],
    auditLog: [
      { seq: 1, at: "2026-11-24T02:03:00.000Z", staff: "小林", role: "front-desk", action: "appointment-write", patientId: "00000000-0000-7000-8000-000000000001", patientName: "陳美玲",
        detail: JSON.stringify({ op: "SetAppointmentStatus", rows: [{ table: "appointment", op: "update", key: "a1", fields: { status: ["scheduled", "no-show"], updated_at: ["x", "y"] } }] }) },
    ],
  }, { locale: "zh-TW" }, async ({ page, shot }) => {
    await page.getByText("陳美玲").first().click();
    await byTestId(page, "patient-title").waitFor();
    await page.locator(".n-tabs-tab", { hasText: "修改紀錄" }).click();
    const history = byTestId(page, "patient-history");
    await history.getByText("依健保卡更正", { exact: false }).waitFor();
    await history.getByText("健保").first().waitFor();
    await history.getByText("陳美鈴").waitFor();
    await shot("patient-history-zh-TW");
    await byTestId(page, "nav-audit").click();
    await byTestId(page, "audit-changes-1").click();
    const unfolded = byTestId(page, "audit-detail-1");
    await unfolded.getByText("預約", { exact: true }).waitFor();
    await unfolded.getByText("未到診").waitFor();
    await shot("audit-zh-TW");
  }));
