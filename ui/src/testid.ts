import type { InputHTMLAttributes } from "vue";

/** Attributes for the <input> inside a Naive UI field, with a stable hook for tests. */
export function inputAttrs(testid: string, extra: InputHTMLAttributes = {}): InputHTMLAttributes {
  return { ...extra, ...({ "data-testid": testid } as InputHTMLAttributes) };
}
