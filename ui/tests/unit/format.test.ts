import { describe, expect, it } from "vitest";
import { addDays, formatAmount, formatDate, formatDateTime, isoToFormText, minutesOfDay, mondayOf, nowLocalText, withLocalOffset } from "../../src/format";

describe("format", () => {
  it("shows dates per language without shifting the day", () => {
    expect(formatDate("2026-11-23", "zh-CN")).toBe("2026-11-23");
    expect(formatDate("2026-11-23", "en")).toBe("23 Nov 2026");
    expect(formatDate("2026-11-20T23:30:00-05:00", "zh-TW")).toBe("2026-11-20");
    expect(formatDate(null, "en")).toBe("—");
    expect(formatDateTime("2026-11-20T09:30:00+08:00", "en")).toBe("20 Nov 2026 09:30");
  });

  it("groups money digits exactly, never through a float", () => {
    expect(formatAmount("1234567.50")).toBe("1,234,567.50");
    expect(formatAmount("0.10")).toBe("0.10");
    expect(formatAmount("9007199254740993.01")).toBe("9,007,199,254,740,993.01");
    expect(formatAmount(null)).toBe("—");
  });

  it("adds this computer's offset to a typed local time", () => {
    const out = withLocalOffset("2026-11-20 09:30");
    expect(out).toMatch(/^2026-11-20T09:30[+-]\d{2}:\d{2}$/);
    expect(withLocalOffset("not a date")).toBe("not a date");
    expect(isoToFormText("2026-11-20T09:30:00+08:00")).toBe("2026-11-20 09:30");
    expect(nowLocalText(new Date(2026, 0, 5, 7, 3))).toBe("2026-01-05 07:03");
  });

  it("moves days across month, year and leap-day ends, and finds the week's Monday", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(mondayOf("2026-11-29")).toBe("2026-11-23"); // a Sunday
    expect(mondayOf("2026-11-23")).toBe("2026-11-23");
    expect(minutesOfDay("2026-11-20T09:30:00+08:00")).toBe(570);
  });
});
