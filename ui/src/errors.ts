// Turns a ClinicError into what a form shows: a message under the field, or one at the top.
import { reactive, ref } from "vue";
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
      // `allergies.0.substance` belongs to a form that has the `allergies` list.
      const owner = err.field?.split(".")[0];
      if (err.code === "VALIDATION" && err.field && (formFields.includes(err.field) || (owner && formFields.includes(owner)))) {
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

/** One save at a time: clears old errors, runs `action`, and shows what it throws under
 *  the matching field (of `fields`) or at the top of the form. */
export function useSubmit(fields: readonly string[] = []) {
  const errors = useFormErrors();
  const busy = ref(false);
  async function run(action: () => Promise<void>) {
    if (busy.value) return;
    busy.value = true;
    errors.clear();
    try {
      await action();
    } catch (e) {
      errors.show(e, fields);
    } finally {
      busy.value = false;
    }
  }
  return { errors, busy, run };
}
