// What a change did, in words: the fields of a record before and after, as the patient's
// history and the audit log show them. The core records field codes (`chiefComplaint`, or a
// table's column `chief_complaint`) and stored codes (`former`); people read labels.

/** Looks a message key up; `null` when the language has no such key. */
export type Lookup = (key: string) => string | null;

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

export interface RowChange {
  /** The table in words (`Appointment`), or its code when there are none. */
  what: string;
  op: "insert" | "update" | "delete";
  fields: FieldChange[];
}

export interface ChangeSummary {
  rows: RowChange[];
  /** Rows a bulk job wrote beyond those listed: `[table in words, count]`. */
  notShown: [string, number][];
  /** A correction's own field list (patient and visit edits). */
  fields: FieldChange[];
  reason: string | null;
}

/** `chief_complaint` → `chiefComplaint`; `value.autoLockMinutes` keeps its last part. */
function camel(code: string): string {
  const last = code.includes(".") ? code.slice(code.lastIndexOf(".") + 1) : code;
  return last.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Stored codes whose words live outside `code.*` (the forms that offer them). */
const WORDS_ELSEWHERE: Record<string, string> = {
  status: "appt.status",
  visitType: "visitType",
  paymentType: "payment",
  sex: "sex",
};

/** A field code in words: the form's label where there is one. */
export function fieldLabel(code: string, look: Lookup): string {
  const name = camel(code);
  return look(`field.${name}`) ?? look(`changes.field.${name}`) ?? code;
}

/** A value as a person reads it: a stored code in words, lists joined, nothing as "—". */
export function valueText(code: string, v: unknown, look: Lookup): string {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) {
    if (v.length === 0) return "—";
    return v.map((x) => (x !== null && typeof x === "object" ? Object.values(x as object).filter(Boolean).join(" ") : String(x))).join("; ");
  }
  if (typeof v === "object") return JSON.stringify(v);
  if (/(_minor|Minor)$/.test(code) && typeof v === "number" && Number.isInteger(v)) {
    // Money is kept in minor units (fen, cents): 30000 → 300.00, exactly.
    const digits = String(Math.abs(v)).padStart(3, "0");
    return `${v < 0 ? "-" : ""}${digits.slice(0, -2)}.${digits.slice(-2)}`;
  }
  const text = String(v);
  const name = camel(code);
  const elsewhere = WORDS_ELSEWHERE[name];
  return look(`code.${name}.${text}`) ?? (elsewhere ? look(`${elsewhere}.${text}`) : null) ?? text;
}

/** Bookkeeping a person does not need to read: when a row was saved, the same time again
 *  in milliseconds for sorting. */
function bookkeeping(code: string): boolean {
  return /_ms$/.test(code) || code === "created_at" || code === "updated_at";
}

function pairs(fields: Record<string, unknown>, look: Lookup): FieldChange[] {
  return Object.entries(fields).filter(([code]) => !bookkeeping(code)).map(([code, pair]) => {
    const [before, after] = Array.isArray(pair) ? pair : [null, pair];
    return { field: fieldLabel(code, look), before: valueText(code, before, look), after: valueText(code, after, look) };
  });
}

function tableLabel(table: string, look: Lookup): string {
  return look(`changes.table.${table}`) ?? table;
}

/** An audit entry's detail (JSON text) as the changes it records. */
export function summarize(detail: string, look: Lookup): ChangeSummary {
  let d: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(detail);
    if (parsed && typeof parsed === "object") d = parsed as Record<string, unknown>;
  } catch {
    // An entry written by hand or damaged: nothing to list.
  }
  const rows: RowChange[] = Array.isArray(d.rows)
    ? (d.rows as Record<string, unknown>[]).map((r) => ({
        what: tableLabel(String(r.table ?? ""), look),
        op: (r.op as RowChange["op"]) ?? "update",
        fields: pairs((r.fields as Record<string, unknown>) ?? {}, look),
      }))
    : [];
  const notShown: [string, number][] = d.rowsNotShown && typeof d.rowsNotShown === "object"
    ? Object.entries(d.rowsNotShown as Record<string, number>).map(([t, n]) => [tableLabel(t, look), n])
    : [];
  const fields = d.changes && typeof d.changes === "object" ? pairs(d.changes as Record<string, unknown>, look) : [];
  return { rows, notShown, fields, reason: typeof d.reason === "string" ? d.reason : null };
}

/** Fields listed in a summary, for a count beside the entry. */
export function changeCount(s: ChangeSummary): number {
  return s.fields.length + s.rows.reduce((n, r) => n + Math.max(r.fields.length, 1), 0) + s.notShown.reduce((n, [, c]) => n + c, 0);
}
