// The appointment book and the work list: book for a patient found by name, a clash with
// "book anyway", the day view, confirm from the details; today's list shows the booking
// confirmation with its message, and "reached" settles it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { byTestId, patient, withApp } from "./harness.mjs";

const people = [patient(1, { name: "王丽", phone: "13800001111" }), patient(2, { name: "李娜", phone: "13900002222" })];

/** A weekday at least two days ahead, as the day view's ISO text. */
function aheadWeekday() {
  const d = new Date();
  d.setDate(d.getDate() + 2);
  while (d.getDay() === 0 || d.getDay() === 6) d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

async function book(page, name, at, doctor) {
  await byTestId(page, "appt-new").click();
  await byTestId(page, "appointment-patient-picker").click();
  await page.keyboard.type(name);
  await page.locator(".n-base-select-option", { hasText: name }).click();
  await byTestId(page, "appointment-at").fill(at);
  await byTestId(page, "appointment-doctor").fill(doctor);
  await byTestId(page, "appointment-reason").fill("Scaling");
}

test("book, a clash booked anyway, the day view, confirm; the work list settles the confirmation", () =>
  withApp({ patients: people }, { locale: "en-US" }, async ({ page, shot, backend, calls }) => {
    const day = aheadWeekday();
    await byTestId(page, "nav-appointments").click();
    await byTestId(page, "appt-day").fill(day);
    await book(page, "王丽", `${day} 10:00`, "Dr Chen");
    await byTestId(page, "appointment-save").click();
    await byTestId(page, "appointment-form").waitFor({ state: "detached" });
    // Same doctor, overlapping: said plainly, then booked anyway.
    await book(page, "李娜", `${day} 10:05`, "Dr Chen");
    await byTestId(page, "appointment-save").click();
    await byTestId(page, "form-error").getByText("already booked", { exact: false }).waitFor();
    await byTestId(page, "appointment-anyway").click();
    await byTestId(page, "appointment-form").waitFor({ state: "detached" });
    const booked = (await backend()).appointments;
    assert.equal(booked.length, 2);
    assert.equal(booked[0].startsAt, `${day}T10:00:00+08:00`);
    const view = byTestId(page, "appt-day-view");
    await view.getByText("10:00 王丽").waitFor();
    await view.getByText("10:05 李娜").waitFor();
    await shot("appointments-day-en");
    // Per room or chair: the clinic's chairs as columns, the two bookings under "No room set".
    await byTestId(page, "appt-by-room").click();
    await view.getByText("Chair 2").waitFor();
    await view.getByText("No room set").waitFor();
    await byTestId(page, "appt-by-doctor").click();
    await view.getByText("10:00 王丽").click();
    await byTestId(page, "appt-set-confirmed").click();
    await byTestId(page, "appt-details-status").getByText("Confirmed").waitFor();
    await page.keyboard.press("Escape");
    await byTestId(page, "appt-mode-week").click();
    await byTestId(page, "appt-week-view").getByText("王丽").waitFor();
    // One doctor's week, and that doctor's calendar file.
    await byTestId(page, "appt-doctor-filter").click();
    await page.locator(".n-base-select-option", { hasText: "Dr Chen" }).click();
    await byTestId(page, "appt-ics").click();
    const ics = (await calls()).filter((c) => c.cmd === "appointments_ics").pop();
    assert.equal(ics.args.query.doctor, "Dr Chen");

    // The work list: 李娜's appointment is still only scheduled: its confirmation is due.
    await byTestId(page, "nav-worklist").click();
    const card = byTestId(page, "work-contact-李娜");
    await byTestId(page, "work-group-confirmation").waitFor();
    assert.match(await card.locator('[data-testid="work-message"]').textContent(), /10:05/);
    assert.match(await card.locator('[data-testid="work-phone"]').textContent(), /13900002222/);
    await byTestId(page, "work-skipped").getByText("1 not contacted: no consent on record.").waitFor();
    await shot("worklist-en");
    await card.locator('[data-testid="work-outcome-reached"]').click();
    await byTestId(page, "work-empty").waitFor();
    const logged = (await backend()).contactLog;
    assert.equal(logged.length, 1);
    assert.equal(logged[0].outcome, "reached");
  }));

test("the work list and the book in Traditional Chinese", () =>
  withApp({ patients: people }, { locale: "zh-TW" }, async ({ page, shot }) => {
    const day = aheadWeekday();
    await byTestId(page, "nav-appointments").click();
    await byTestId(page, "appt-day").fill(day);
    await book(page, "王丽", `${day} 09:30`, "林醫師");
    await byTestId(page, "appointment-save").click();
    await byTestId(page, "appt-day-view").getByText("09:30 王丽").waitFor();
    await byTestId(page, "nav-worklist").click();
    await byTestId(page, "work-group-confirmation").locator("h2").getByText("預約確認").waitFor();
    await byTestId(page, "work-outcome-no-answer").getByText("無人接聽").waitFor();
    await shot("worklist-zh-TW");
  }));

test("opening hours and a reminder message edited with a live preview for a real patient (zh-CN)", () =>
  withApp({ patients: people, clinic: { name: "康乐牙科", address: "", phone: "020-8888" } }, { locale: "zh-CN" }, async ({ page, shot, backend }) => {
    await byTestId(page, "nav-settings").click();
    const section = byTestId(page, "schedule-section");
    await section.waitFor();
    // Saturday afternoon too; a period that runs backwards is refused in words.
    await byTestId(page, "schedule-hours-5").fill("09:00-12:00, 18:00-14:00");
    await byTestId(page, "schedule-save").click();
    await section.getByText("超出", { exact: false }).first().waitFor();
    await byTestId(page, "schedule-hours-5").fill("09:00-12:00, 14:00-17:00");
    await byTestId(page, "schedule-rooms").fill("一号椅, 二号椅");
    await byTestId(page, "schedule-save").click();
    await page.getByText("已保存", { exact: false }).first().waitFor();
    const saved = (await backend()).scheduleSaved;
    assert.deepEqual(saved.hours[5], [{ from: "09:00", to: "12:00" }, { from: "14:00", to: "17:00" }]);
    assert.deepEqual(saved.rooms, ["一号椅", "二号椅"]);

    // What each rule did, on the rule.
    await byTestId(page, "rule-effect-day-before").getByText("近 90 天：联系 10 人，回诊 7（70%）；未联系 4 人，回诊 1（25%）").waitFor();
    await byTestId(page, "rule-effect-confirmation").getByText("近 90 天尚无到期").waitFor();
    await byTestId(page, "rule-edit-day-before").click();
    await byTestId(page, "rule-message-zh-CN").fill("明天{time}见，请提前十分钟到。");
    await byTestId(page, "rule-preview-patient").click();
    await page.keyboard.type("王丽");
    await page.locator(".n-base-select-option", { hasText: "王丽" }).click();
    await byTestId(page, "rule-preview").getByText("王丽您好，明天10:00见，请提前十分钟到。【康乐牙科】").waitFor();
    await byTestId(page, "rule-preview").getByText("1 条短信", { exact: false }).waitFor();
    await byTestId(page, "reminder-rules").scrollIntoViewIfNeeded();
    await shot("reminder-rules-zh-CN");
    // An unknown placeholder is refused; fixed, it saves.
    await byTestId(page, "rule-message-zh-CN").fill("明天{time}见，{tomorow}");
    await byTestId(page, "reminder-rules-save").click();
    await byTestId(page, "reminder-rules-error").waitFor();
    await byTestId(page, "rule-message-zh-CN").fill("明天{time}见，请提前十分钟到。");
    await byTestId(page, "reminder-rules-save").click();
    await byTestId(page, "reminder-rules-error").waitFor({ state: "detached" });
    assert.equal((await backend()).reminderRules.dayBefore.message["zh-CN"], "明天{time}见，请提前十分钟到。");
  }));

test("the handout batch takes tomorrow's appointments (the evening before)", () =>
  withApp({ patients: people }, { locale: "en-US" }, async ({ page }) => {
    // Tomorrow on the computer's clock (the page's time zone, not this test runner's).
    const tomorrow = await page.evaluate(() => {
      const d = new Date();
      d.setDate(d.getDate() + 1);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    });
    await page.evaluate((day) => {
      const s = window.__fakeBackend.state;
      const base = { minutes: 30, doctor: "Dr Chen", room: null, reason: null, note: null, rescheduledTo: null, visitId: null, bookedBy: "owner", createdAt: "", updatedAt: "" };
      s.appointments.push({ ...base, id: "a1", patientId: s.patients[0].id, patientName: "王丽", patientPhone: null, startsAt: `${day}T09:00:00+08:00`, status: "confirmed" });
      s.appointments.push({ ...base, id: "a2", patientId: s.patients[1].id, patientName: "李娜", patientPhone: null, startsAt: `${day}T10:00:00+08:00`, status: "cancelled" });
    }, tomorrow);
    await byTestId(page, "nav-handouts").click();
    await page.locator(".n-tabs-tab", { hasText: "Batch printing" }).click();
    assert.equal(await byTestId(page, "batch-day").inputValue(), tomorrow);
    await byTestId(page, "batch-day-add").click();
    await byTestId(page, "batch-row").filter({ hasText: "王丽" }).waitFor();
    assert.equal(await byTestId(page, "batch-row").count(), 1, "a cancelled appointment brings no one");
  }));

test("a visit shows its return-by date and the check-in answers; the patient's appointments tab books", () => {
  const extraction = { id: "v-1", patientId: people[0].id, at: "2026-11-02T10:00+08:00", department: "dental", doctor: "林医生",
    visitType: "return", chiefComplaint: null, diagnosis: null, treatment: "下颌智齿拔除", amount: "300.00", satisfaction: null,
    nps: null, feedback: null, followUpBy: "2026-11-16", createdAt: "2026-11-02T02:00:00Z", updatedAt: "2026-11-02T02:00:00Z" };
  const answer = { visitId: "v-1", day: 1, pain: 3, satisfaction: 5, note: "轻微肿胀", recordedBy: "owner", recordedAt: "2026-11-03T02:00:00Z" };
  return withApp({ patients: people, visits: [extraction], checkIns: [answer] }, { locale: "zh-CN" }, async ({ page, backend }) => {
    await page.locator('[data-testid="patient-row"]', { hasText: "王丽" }).click();
    const row = byTestId(page, "visit-row");
    await row.getByText("2026-11-16").waitFor();
    await byTestId(page, "visit-check-in").getByText("疼痛 3/10，满意度 5/5 · 轻微肿胀").waitFor();
    await page.locator(".n-tabs-tab", { hasText: "预约" }).click();
    await byTestId(page, "patient-book").click();
    await byTestId(page, "appointment-patient").getByText("王丽").waitFor();
    const day = await page.evaluate(() => {
      const d = new Date();
      d.setDate(d.getDate() + 3);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    });
    await byTestId(page, "appointment-at").fill(`${day} 09:00`);
    await byTestId(page, "appointment-save").click();
    await byTestId(page, "patient-appointment").getByText("已预约").waitFor();
    assert.equal((await backend()).appointments[0].patientId, people[0].id);
  });
});

test("a recall aimed at a saved segment, added in Settings and saved (en)", () =>
  withApp(
    {
      patients: people,
      segments: [{ id: 1, name: "Lapsed regulars", description: null, template: null, rule: { kind: "all", items: [{ kind: "age", min: 18, max: null }] } }],
    },
    { locale: "en-US" },
    async ({ page, shot, backend }) => {
      await byTestId(page, "nav-settings").click();
      await byTestId(page, "rule-add-segment-recall").click();
      const picker = byTestId(page, "rule-segment-segment-1");
      await picker.getByText("Lapsed regulars").waitFor();
      await byTestId(page, "rule-edit-recall-segment-1").click();
      await byTestId(page, "rule-message-en").fill("it is time for your check-up: call us to book.");
      await byTestId(page, "reminder-rules").scrollIntoViewIfNeeded();
      await shot("reminder-rules-segment-en");
      await byTestId(page, "reminder-rules-save").click();
      await page.getByText("Saved", { exact: false }).first().waitFor();
      const added = (await backend()).reminderRules.recalls.find((r) => r.key === "segment-1");
      assert.equal(added.segment, "Lapsed regulars");
      assert.deepEqual(added.keywords, []);
      assert.equal(added.message.en, "it is time for your check-up: call us to book.");
    },
  ));
