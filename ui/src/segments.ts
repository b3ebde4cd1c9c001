// A segment label's reason in the user's language, from the core's rule name and facts.
import type { PatientLabel } from "./bindings/PatientLabel";

export function segmentReason(l: PatientLabel, t: (key: string, args?: Record<string, unknown>) => string): string {
  const facts: Record<string, string> = Object.fromEntries(Object.entries(l.facts).map(([k, v]) => [k, v ?? ""]));
  // Visit types arrive as codes: named as the visit form names them.
  if (facts.visitType) facts.visitType = t(`visitType.${facts.visitType}`);
  return t(`segment.why.${l.rule}`, facts);
}
