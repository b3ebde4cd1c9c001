// What the signed-in person may open, for hiding what they may not (the core refuses it
// anyway). With no staff accounts, whoever unlocked the clinic is the owner.
import { ref } from "vue";
import type { AppStatus } from "./bindings/AppStatus";
import type { Permission } from "./bindings/Permission";

export const PERMISSIONS: Permission[] = [
  "view-clinical", "edit-patients", "archive-merge", "adjust-points", "export", "backup-restore",
  "manage-staff", "manage-settings", "view-reports", "view-audit", "erase",
];

export function may(status: AppStatus, p: Permission): boolean {
  if (!status.staffAccounts) return true;
  return !!status.signedIn?.permissions.includes(p);
}


/** The status the shell runs under, for pages deep inside it (set by MainShell). */
export const shellStatus = ref<AppStatus | null>(null);

/** Whether the person at the desk may, judged on the shell's status. */
export function mayNow(p: Permission): boolean {
  return shellStatus.value ? may(shellStatus.value, p) : true;
}
