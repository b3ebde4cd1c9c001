// Segment labels and membership tiers named in the user's language. The built-in
// dimensions' labels are codes with a translation; membership tiers are the clinic's own
// names (the default ladder's are translated, anything typed is shown as typed).
import { ref } from "vue";
import type { Dimension } from "./bindings/Dimension";
import { api } from "./api";

type T = (key: string, args?: Record<string, unknown>) => string;

export const KNOWN_TIERS = ["regular", "silver", "gold", "vip"];

export const tierName = (t: T, name: string) => (KNOWN_TIERS.includes(name) ? t(`points.tiers.${name}`) : name);

export function labelName(t: T, dimension: Dimension | string, label: string): string {
  if (label === "unknown") return t("segments.unknown");
  if (dimension === "membership-tier") return tierName(t, label);
  return t(`segment.labels.${dimension}.${label}`);
}

/** The clinic's tier names, lowest first, loaded once for the rule builder. */
export const tierNames = ref<string[]>(KNOWN_TIERS);
let asked = false;
export function loadTierNames() {
  if (asked) return;
  asked = true;
  api
    .loyaltySettingsGet()
    .then((s) => {
      if (s.tiers.length) tierNames.value = s.tiers.map((x) => x.name);
    })
    .catch(() => {
      asked = false; // try again next time the builder opens
    });
}
