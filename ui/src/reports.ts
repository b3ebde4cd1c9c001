// The owner's reports in the window: which table each report charts and how, and the
// default period (the last three whole months and this one).
import type { ReportName } from "./bindings/ReportName";
import type { ReportTable } from "./bindings/ReportTable";

export const REPORTS: ReportName[] = [
  "return-rate",
  "new-returning",
  "no-shows",
  "busiest-slots",
  "reminder-effect",
  "churn-risk",
  "nps",
  "referrals",
  "revenue",
];

/** What a report draws: bars of `values` per row of `table` (label from `label`), or the
 *  weekday × hour heatmap. */
export type ChartSpec = { kind: "bars"; table: string; label: string; values: string[]; percent: boolean } | { kind: "heatmap"; table: string } | null;

export const CHARTS: Record<ReportName, ChartSpec> = {
  "return-rate": { kind: "bars", table: "by-department", label: "group", values: ["rate30", "rate90", "rate180"], percent: true },
  "new-returning": { kind: "bars", table: "by-month", label: "month", values: ["new", "returning"], percent: false },
  "no-shows": { kind: "bars", table: "by-weekday", label: "group", values: ["noShowRate", "cancellationRate"], percent: true },
  "busiest-slots": { kind: "heatmap", table: "slots" },
  "reminder-effect": { kind: "bars", table: "by-rule", label: "kind", values: ["contactedRate", "notContactedRate"], percent: true },
  "churn-risk": null,
  nps: { kind: "bars", table: "by-month", label: "month", values: ["nps"], percent: false },
  referrals: { kind: "bars", table: "top-referrers", label: "patient", values: ["newPatients"], percent: false },
  revenue: { kind: "bars", table: "by-department", label: "group", values: ["amount"], percent: false },
};

/** A cell as a number for drawing (money text included); null when empty. */
export function num(v: number | string | null): number | null {
  if (v === null || v === "") return null;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function column(t: ReportTable, key: string): number {
  return t.columns.indexOf(key);
}

/** The rows to draw: totals are a table's last word, not a bar. */
export function barRows(t: ReportTable, label: string, values: string[]): { label: string; values: (number | null)[] }[] {
  const li = column(t, label);
  return t.rows
    .filter((r) => r[li] !== "total")
    .map((r) => ({ label: String(r[li] ?? ""), values: values.map((v) => num(r[column(t, v)])) }));
}

/** The first day of the month three months back, and today (local). */
export function defaultPeriod(today = new Date()): { from: string; to: string } {
  const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const from = new Date(today.getFullYear(), today.getMonth() - 3, 1);
  return { from: iso(from), to: iso(today) };
}
