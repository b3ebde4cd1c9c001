import { describe, expect, it } from "vitest";
import { messages } from "../../src/i18n";
import { changeCount, summarize, type Lookup } from "../../src/changes";

function lookIn(locale: "en" | "zh-CN" | "zh-TW"): Lookup {
  return (key) => {
    const v = key.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], messages[locale]);
    return typeof v === "string" ? v : null;
  };
}

// Details as the core writes them (access/rows.rs and a correction's own list).
const appointment = JSON.stringify({
  op: "SetAppointmentStatus",
  rows: [{ table: "appointment", op: "update", key: "a1", fields: { status: ["scheduled", "cancelled"], status_at: ["2026-11-01", "2026-11-02"], updated_at: ["x", "y"] } }],
});
const visit = JSON.stringify({
  op: "AddVisit",
  rows: [{ table: "visit", op: "insert", key: "v1", fields: { department: [null, "牙周科"], amount_minor: [null, 30005], visited_at_ms: [null, 1], created_at: [null, "t"] } }],
  rowsNotShown: { visit: 12 },
});
const correction = JSON.stringify({ op: "UpdatePatient", changes: { smoking: ["current", "former"], phone: [null, "0912345678"] }, reason: "patient called" });

describe("what a change did, in words", () => {
  it("names tables and fields in the reader's language and leaves bookkeeping out", () => {
    const s = summarize(appointment, lookIn("zh-TW"));
    expect(s.rows).toEqual([{ what: "預約", op: "update", fields: [
      { field: "狀態", before: messages["zh-TW"].appt.status.scheduled, after: messages["zh-TW"].appt.status.cancelled },
      { field: "狀態時間", before: "2026-11-01", after: "2026-11-02" },
    ] }]);
  });

  it("shows money from minor units exactly and counts rows a bulk job did not list", () => {
    const s = summarize(visit, lookIn("en"));
    expect(s.rows[0].fields).toEqual([
      { field: "Department", before: "—", after: "牙周科" },
      { field: "Amount", before: "—", after: "300.05" },
    ]);
    expect(s.notShown).toEqual([["Visit", 12]]);
    expect(changeCount(s)).toBe(14);
  });

  it("reads a correction's fields with stored codes in words, and its reason", () => {
    const s = summarize(correction, lookIn("zh-CN"));
    expect(s.fields[0].field).toBe(messages["zh-CN"].field.smoking);
    expect(s.fields[0].before).toBe(messages["zh-CN"].code.smoking.current);
    expect(s.fields[0].after).toBe(messages["zh-CN"].code.smoking.former);
    expect(s.reason).toBe("patient called");
  });

  it("survives a detail that is not JSON", () => {
    expect(summarize("not json", lookIn("en"))).toEqual({ rows: [], notShown: [], fields: [], reason: null });
  });
});
