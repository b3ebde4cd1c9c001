// Rule segments in the window: the conditions staff can add (each with its starting
// values), and a member's reasons worded in the user's language from the core's facts.
import type { Rule } from "./bindings/Rule";
import type { RuleReason } from "./bindings/RuleReason";
import type { Dimension } from "./bindings/Dimension";
import { labelName } from "./labels";

type T = (key: string, args?: Record<string, unknown>) => string;

export type Leaf = Exclude<Rule, { kind: "all" } | { kind: "any" } | { kind: "not" }>;
export type Group = Extract<Rule, { kind: "all" } | { kind: "any" }>;
export type LeafKind = Leaf["kind"];

/** Each condition with the values it starts from, in the order the picker lists them. */
export const LEAVES: Record<LeafKind, () => Leaf> = {
  label: () => ({ kind: "label", dimension: "age-group", label: "senior" }),
  tag: () => ({ kind: "tag", name: "" }),
  age: () => ({ kind: "age", min: 65, max: null }),
  sex: () => ({ kind: "sex", sex: "F" }),
  smoking: () => ({ kind: "smoking", status: "current" }),
  chronic: () => ({ kind: "chronic", terms: [] }),
  daysSinceLastVisit: () => ({ kind: "daysSinceLastVisit", min: 90, max: null }),
  lastVisit: () => ({ kind: "lastVisit", after: null, before: null }),
  visits: () => ({ kind: "visits", months: 12, min: 2, max: null }),
  spent: () => ({ kind: "spent", months: 12, min: "1000", max: null }),
  department: () => ({ kind: "department", name: "", months: 12 }),
  diagnosis: () => ({ kind: "diagnosis", terms: [], months: null }),
  treatment: () => ({ kind: "treatment", terms: [], months: 6 }),
  nps: () => ({ kind: "nps", months: 3, min: null, max: 6 }),
  referrals: () => ({ kind: "referrals", min: 1 }),
  birthdayWithin: () => ({ kind: "birthdayWithin", days: 7 }),
  appointmentWithin: () => ({ kind: "appointmentWithin", days: 30 }),
  noShows: () => ({ kind: "noShows", months: 12, min: 1 }),
  points: () => ({ kind: "points", min: 100, max: null }),
};

export const LEAF_KINDS = Object.keys(LEAVES) as LeafKind[];

/** The labels each dimension can give (as the core's `Dimension::labels`). */
export const DIMENSION_LABELS: Record<Dimension, string[]> = {
  "visit-frequency": ["high", "medium", "low"],
  "age-group": ["child", "teenager", "adult", "senior"],
  "payment-type": ["self-pay", "public-insurance", "commercial-insurance"],
  "service-type": ["first", "return", "specialist"],
  satisfaction: ["high", "medium", "low"],
  "nps-role": ["promoter", "passive", "detractor"],
  lifecycle: ["potential", "new", "active", "at-risk", "lapsed", "loyal"],
  "value-tier": ["high-value", "mid", "regular", "low"],
  "risk-level": ["high", "medium", "low"],
  severity: ["emergency", "severe", "ordinary"],
  // The clinic's own tier names: `tierNames` in labels.ts.
  "membership-tier": [],
};

/** A new, empty rule: one AND group with one condition. */
export function blankRule(): Group {
  return { kind: "all", items: [LEAVES.age()] };
}

/** Search words typed as one line: split at commas (any script) or slashes. */
export function splitTerms(text: string): string[] {
  return text
    .split(/[,，、/]/)
    .map((w) => w.trim())
    .filter((w) => w.length > 0);
}

const NONE: Record<string, (facts: Record<string, string>) => boolean> = {
  daysSinceLastVisit: (f) => !f.date,
  lastVisit: (f) => !f.date,
  age: (f) => !f.age,
  birthday: (f) => !f.date,
  appointment: (f) => !f.date,
  nps: (f) => !f.score,
  department: (f) => !f.date,
  diagnosis: (f) => !f.date,
  treatment: (f) => !f.date,
  chronic: (f) => !f.conditions,
};

/** One reason of a member, e.g. "Last visit 2026-07-26 (120 days ago)". */
export function ruleReason(r: RuleReason, t: T): string {
  const facts: Record<string, string> = Object.fromEntries(Object.entries(r.facts).map(([k, v]) => [k, v ?? ""]));
  let text: string;
  if (r.kind === "label") {
    const d = facts.dimension;
    const label = labelName(t, d, facts.label);
    text = t("segment.chip", { dimension: t(`segment.dimension.${d}`), label });
  } else if (r.kind === "sex") {
    text = t("rules.why.sex", { sex: facts.sex ? t(`sex.${facts.sex}`) : t("segments.unknown") });
  } else if (r.kind === "smoking") {
    text = t("rules.why.smoking", { status: facts.status ? t(`rules.smoking.${facts.status}`) : t("segments.unknown") });
  } else if (r.kind === "tag") {
    text = t(facts.has === "true" ? "rules.why.tagYes" : "rules.why.tagNo", facts);
  } else {
    // A patient with no visit, no birth date or no such record gets the "none" sentence.
    const key = NONE[r.kind]?.(facts) ? `${r.kind}None` : r.kind;
    const window = facts.months ? t("rules.inMonths", { n: facts.months }) : t("rules.allTime");
    text = t(`rules.why.${key}`, { ...facts, window });
  }
  return r.negated ? t("rules.why.not", { text }) : text;
}

export function ruleReasons(why: RuleReason[], t: T): string {
  return why.map((r) => ruleReason(r, t)).join(t("rules.why.join"));
}
