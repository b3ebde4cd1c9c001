// Turns a ClinicError into what a form shows: a message under the field, or one at the top.
import { reactive } from "vue";
import { useI18n } from "vue-i18n";
import { errorText } from "./i18n";
import { toClinicError } from "./api";
import type { ClinicError } from "./bindings/ClinicError";

export function useFormErrors() {
  const { t } = useI18n();
  const state = reactive<{ fields: Record<string, string>; general: string | null; last: ClinicError | null }>({
    fields: {},
    general: null,
    last: null,
  });
  return {
    state,
    clear() {
      state.fields = {};
      state.general = null;
      state.last = null;
    },
    /** Shows `e`; field errors go under their field when the form has that field. */
    show(e: unknown, formFields: readonly string[] = []) {
      const err = toClinicError(e);
      state.last = err;
      const text = errorText(err, t);
      if (err.code === "VALIDATION" && err.field && formFields.includes(err.field)) {
        state.fields = { [err.field]: text };
        state.general = null;
      } else {
        state.fields = {};
        state.general = text;
      }
    },
    status(field: string): "error" | undefined {
      return state.fields[field] ? "error" : undefined;
    },
  };
}
