// Locale-aware display of dates, times and money. Values are stored exactly (ISO text,
// decimal strings); these only shape what people read.
import type { Locale } from "./i18n";

const pad = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `2026-11-23` (zh) or `23 Nov 2026` (en) for an ISO date or date-time, as written. */
export function formatDate(iso: string | null | undefined, locale: Locale): string {
  if (!iso) return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  const [, y, mo, d] = m;
  return locale === "en" ? `${Number(d)} ${MONTHS[Number(mo) - 1]} ${y}` : `${y}-${mo}-${d}`;
}

/** Date and wall-clock time as recorded (the offset it was entered in), e.g. `2026-11-20 09:30`. */
export function formatDateTime(iso: string | null | undefined, locale: Locale): string {
  if (!iso) return "—";
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  return m ? `${formatDate(iso, locale)} ${m[1]}:${m[2]}` : formatDate(iso, locale);
}

/** Groups thousands without touching the digits: "1234.50" → "1,234.50". Never via floats. */
export function formatAmount(amount: string | null | undefined): string {
  if (amount == null || amount === "") return "—";
  const [int, frac] = amount.split(".");
  const neg = int.startsWith("-");
  const digits = neg ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + grouped + (frac !== undefined ? "." + frac : "");
}

/** "2026-11-20 09:30" typed in the form → "2026-11-20T09:30+08:00" with this computer's offset
 *  at that moment; anything else is passed on for the core to reject with a clear message. */
export function withLocalOffset(text: string): string {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})\s*$/.exec(text);
  if (!m) return text.trim();
  const [, y, mo, d, h, mi] = m;
  const local = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  const offsetMin = -local.getTimezoneOffset();
  const sign = offsetMin >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMin);
  return `${y}-${mo}-${d}T${h}:${mi}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Now, as the form's default: "2026-11-23 14:05". */
export function nowLocalText(now = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}`;
}

/** The recorded time back into the form's text, keeping its wall-clock time. */
export function isoToFormText(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** A Date's local calendar day as ISO text: "2026-11-23". */
export function isoDay(d = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** An ISO day moved by whole days, across month and year ends. */
export function addDays(iso: string, days: number): string {
  const [y, m, d] = iso.split("-").map(Number);
  return isoDay(new Date(y, m - 1, d + days));
}

/** Monday of the week holding an ISO day. */
export function mondayOf(iso: string): string {
  const [y, m, d] = iso.split("-").map(Number);
  const weekday = (new Date(y, m - 1, d).getDay() + 6) % 7;
  return addDays(iso, -weekday);
}

/** Minutes since midnight of the wall-clock time in an ISO date-time ("…T09:30…" → 570). */
export function minutesOfDay(iso: string): number {
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
}
