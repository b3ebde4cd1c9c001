import { describe, expect, it } from "vitest";
import { messages, detectLocale, errorText, LOCALES } from "../../src/i18n";
import { CODES } from "../../src/codes";
import type { ErrorCode } from "../../src/bindings/ErrorCode";
import type { ValidationRule } from "../../src/bindings/ValidationRule";

function keys(obj: object, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === "object" ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function lookup(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

describe("catalogues", () => {
  const en = keys(messages.en).sort();
  it.each(LOCALES)("%s has exactly the English keys, none empty", (locale) => {
    const own = keys(messages[locale]).sort();
    expect(own).toEqual(en);
    for (const k of own) expect(String(lookup(messages[locale], k)).trim(), `${locale} ${k}`).not.toBe("");
  });

  // Every stable error code and validation rule from Rust has a sentence in every language.
  const codes: ErrorCode[] = [
    "VALIDATION", "NOT_FOUND", "WRONG_PASSPHRASE", "WRONG_KEY", "KEY_FILE_MISSING", "KEY_FILE_INVALID",
    "NOT_A_CLINIC_FILE", "SCHEMA_TOO_NEW", "ALREADY_INITIALIZED", "NOT_INITIALIZED", "LOCKED",
    "PERMISSION_DENIED", "DISK_FULL", "IO", "BAD_FILE", "STORAGE", "DUPLICATE", "IN_USE",
  ];
  const rules: ValidationRule[] = [
    "required", "too_long", "too_short", "invalid_format", "invalid_date", "in_future", "out_of_range",
    "negative", "too_many_decimals", "unknown_value", "missing_time_zone", "taken",
  ];
  it.each(LOCALES)("%s names every error code and rule", (locale) => {
    for (const c of codes) expect(lookup(messages[locale], `error.${c}`), c).toBeTruthy();
    for (const r of rules) expect(lookup(messages[locale], `rule.${r}`), r).toBeTruthy();
  });

  it("uses Taiwan vocabulary in zh-TW, not converted mainland words", () => {
    expect(messages["zh-TW"].nav.patients).toBe("病患");
    expect(messages["zh-TW"].payment["public-insurance"]).toBe("健保");
    expect(messages["zh-TW"].visitType.return).toBe("回診");
    expect(messages["zh-CN"].nav.patients).toBe("患者");
    expect(messages["zh-CN"].payment["public-insurance"]).toBe("医保");
    expect(messages["zh-CN"].visitType.return).toBe("复诊");
  });
});

describe("profile codes", () => {
  it.each(LOCALES)("%s names every coded value", (locale) => {
    for (const [kind, values] of Object.entries(CODES))
      for (const v of values) expect(lookup(messages[locale], `code.${kind}`)?.[v as never], `${kind}.${v}`).toBeTruthy();
  });
});

describe("detectLocale", () => {
  it("prefers the saved choice, then the OS language", () => {
    expect(detectLocale(["en-US"], "zh-TW")).toBe("zh-TW");
    expect(detectLocale(["zh-TW"], null)).toBe("zh-TW");
    expect(detectLocale(["zh-Hant-HK"], null)).toBe("zh-TW");
    expect(detectLocale(["zh-CN"], null)).toBe("zh-CN");
    expect(detectLocale(["zh"], null)).toBe("zh-CN");
    expect(detectLocale(["fr-FR", "en-GB"], null)).toBe("en");
    expect(detectLocale(["de-DE"], "nonsense")).toBe("en");
  });
});

describe("errorText", () => {
  const t = (key: string, args?: Record<string, unknown>) => {
    const s = String(lookup(messages["zh-CN"], key));
    return s.replace(/\{(\w+)\}/g, (_, k) => String(args?.[k] ?? ""));
  };
  it("names the field and the rule for validation errors", () => {
    expect(errorText({ code: "VALIDATION", message: "x", field: "birthDate", rule: "invalid_date" }, t)).toBe(
      "出生日期不是有效日期。",
    );
  });
  it("names the entry of a list the way staff count: from 1", () => {
    expect(errorText({ code: "VALIDATION", message: "x", field: "allergies.1.severity", rule: "unknown_value" }, t)).toBe(
      "过敏 2 · 严重程度的值无效。",
    );
  });
  it("uses the code's sentence otherwise", () => {
    expect(errorText({ code: "WRONG_PASSPHRASE", message: "the passphrase is not correct" }, t)).toBe("密码或恢复码不正确。");
  });
});
