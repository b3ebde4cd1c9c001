// The closed value sets of the profile, in display order. Types come from Rust; `every`
// makes the typecheck fail if Rust gains a value that is not listed here.
import type { AllergySeverity } from "./bindings/AllergySeverity";
import type { Alcohol } from "./bindings/Alcohol";
import type { ConsentPurpose } from "./bindings/ConsentPurpose";
import type { ContactChannel } from "./bindings/ContactChannel";
import type { ContactTime } from "./bindings/ContactTime";
import type { Education } from "./bindings/Education";
import type { Exercise } from "./bindings/Exercise";
import type { IncomeBand } from "./bindings/IncomeBand";
import type { Language } from "./bindings/Language";
import type { MaritalStatus } from "./bindings/MaritalStatus";
import type { ReferralChannel } from "./bindings/ReferralChannel";
import type { Relation } from "./bindings/Relation";
import type { Smoking } from "./bindings/Smoking";
import type { WorkPattern } from "./bindings/WorkPattern";

const every =
  <T extends string>() =>
  <A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : "some values are missing")) =>
    values as readonly T[];

export const CODES = {
  education: every<Education>()(["none", "primary", "secondary", "vocational", "tertiary", "postgraduate"] as const),
  maritalStatus: every<MaritalStatus>()(["single", "married", "divorced", "widowed", "other"] as const),
  incomeBand: every<IncomeBand>()(["low", "lower-middle", "middle", "upper-middle", "high"] as const),
  preferredLanguage: every<Language>()(["zh-CN", "zh-TW", "en"] as const),
  smoking: every<Smoking>()(["never", "former", "current"] as const),
  alcohol: every<Alcohol>()(["none", "occasional", "regular"] as const),
  exercise: every<Exercise>()(["rarely", "weekly", "most-days"] as const),
  workPattern: every<WorkPattern>()(["office", "manual", "shift", "student", "retired", "homemaker", "other"] as const),
  preferredChannel: every<ContactChannel>()(["phone", "sms", "wechat", "line", "email", "post"] as const),
  preferredTime: every<ContactTime>()(["morning", "afternoon", "evening", "any"] as const),
  referralChannel: every<ReferralChannel>()(["patient", "walk-in", "online", "signage", "doctor", "other"] as const),
  severity: every<AllergySeverity>()(["mild", "moderate", "severe", "life-threatening"] as const),
  purpose: every<ConsentPurpose>()(["care", "reminders", "marketing", "research"] as const),
  relation: every<Relation>()(["guardian", "ward", "parent", "child", "spouse", "sibling"] as const),
};

export type CodeKind = keyof typeof CODES;

/** Options for a select: the code as value, its name in the user's language as label. */
export function codeOptions(kind: CodeKind, t: (key: string) => string) {
  return CODES[kind].map((value) => ({ value, label: t(`code.${kind}.${value}`) }));
}
