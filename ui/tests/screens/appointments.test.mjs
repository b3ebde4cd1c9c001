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
  withApp({ patients: people }, { locale: "en-US" }, async ({ page, shot, backend }) => {
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
    await view.getByText("10:00 王丽").click();
    await byTestId(page, "appt-set-confirmed").click();
    await byTestId(page, "appt-details-status").getByText("Confirmed").waitFor();
    await page.keyboard.press("Escape");
    await byTestId(page, "appt-mode-week").click();
    await byTestId(page, "appt-week-view").getByText("王丽").waitFor();

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
