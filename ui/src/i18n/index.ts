import { createI18n } from "vue-i18n";
import en from "./en";
import zhCN from "./zh-CN";
import zhTW from "./zh-TW";
import type { ClinicError } from "../bindings/ClinicError";

export const LOCALES = ["zh-CN", "zh-TW", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const messages = { "zh-CN": zhCN, "zh-TW": zhTW, en };

const STORAGE_KEY = "clinic-crm.locale";

/** The saved choice, else the OS language: Taiwan/Hong Kong/Traditional → zh-TW, other Chinese → zh-CN. */
export function detectLocale(languages: readonly string[], saved: string | null): Locale {
  if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  for (const lang of languages) {
    const l = lang.toLowerCase();
    if (/^zh[-_](tw|hk|mo|hant)/.test(l)) return "zh-TW";
    if (l.startsWith("zh")) return "zh-CN";
    if (l.startsWith("en")) return "en";
  }
  return "en";
}

function savedLocale(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

const initial = detectLocale(typeof navigator === "undefined" ? [] : navigator.languages ?? [navigator.language], savedLocale());

export const i18n = createI18n({
  legacy: false,
  locale: initial,
  fallbackLocale: "en",
  messages,
  missingWarn: false,
  fallbackWarn: false,
});

export function setLocale(locale: Locale) {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    /* private mode: the choice lasts for this session only */
  }
}

/** A ClinicError as a sentence in the user's language: the field and rule for validation,
 *  otherwise the code's sentence. */
export function errorText(err: ClinicError, t: (key: string, args?: Record<string, unknown>) => string): string {
  if (err.code === "VALIDATION" && err.rule) {
    const field = err.field ? fieldLabel(err.field, t) : "";
    return t(`rule.${err.rule}`, { field });
  }
  return t(`error.${err.code}`);
}

/** `allergies.1.severity` → "Allergies 2 · Severity": an entry of a list, named so staff find it. */
export function fieldLabel(field: string, t: (key: string) => string): string {
  const [list, index, sub] = field.split(".");
  if (sub !== undefined && /^\d+$/.test(index)) return `${t(`field.${list}`)} ${Number(index) + 1} · ${t(`field.${sub}`)}`;
  return t(`field.${field}`);
}
