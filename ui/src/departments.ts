// Departments are free text (clinics name their own); these common ones get translated names.
export const KNOWN_DEPARTMENTS = [
  "dental", "general", "internal", "pediatrics", "surgery", "dermatology",
  "ophthalmology", "ent", "gynecology", "tcm", "rehab",
] as const;

export function departmentLabel(code: string, t: (key: string) => string): string {
  return (KNOWN_DEPARTMENTS as readonly string[]).includes(code) ? t(`department.${code}`) : code;
}
