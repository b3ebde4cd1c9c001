// Typed calls to the Rust commands. Every type here is generated from Rust (src/bindings).
import { invoke } from "@tauri-apps/api/core";
import type { ListWritten } from "./bindings/ListWritten";
import type { Report } from "./bindings/Report";
import type { Dashboard } from "./bindings/Dashboard";
import type { ReportDocument } from "./bindings/ReportDocument";
import type { ReportFilter } from "./bindings/ReportFilter";
import type { ReportName } from "./bindings/ReportName";
import type { AppStatus } from "./bindings/AppStatus";
import type { RecordChange } from "./bindings/RecordChange";
import type { StaffMember } from "./bindings/StaffMember";
import type { CustomRole } from "./bindings/CustomRole";
import type { Permission } from "./bindings/Permission";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { AuditVerdict } from "./bindings/AuditVerdict";
import type { PrivacySettings } from "./bindings/PrivacySettings";
import type { ErasureOutcome } from "./bindings/ErasureOutcome";
import type { ClinicError } from "./bindings/ClinicError";
import type { Patient } from "./bindings/Patient";
import type { PatientInput } from "./bindings/PatientInput";
import type { PatientSummary } from "./bindings/PatientSummary";
import type { Visit } from "./bindings/Visit";
import type { Appointment } from "./bindings/Appointment";
import type { PointsStatement } from "./bindings/PointsStatement";
import type { Voucher } from "./bindings/Voucher";
import type { VoucherState } from "./bindings/VoucherState";
import type { Reward } from "./bindings/Reward";
import type { RewardInput } from "./bindings/RewardInput";
import type { LoyaltySettings } from "./bindings/LoyaltySettings";
import type { Jurisdiction } from "./bindings/Jurisdiction";
import type { TierRun } from "./bindings/TierRun";
import type { Membership } from "./bindings/Membership";
import type { AppointmentInput } from "./bindings/AppointmentInput";
import type { AppointmentQuery } from "./bindings/AppointmentQuery";
import type { AppointmentStatus } from "./bindings/AppointmentStatus";
import type { Schedule } from "./bindings/Schedule";
import type { WorkList } from "./bindings/WorkList";
import type { ContactInput } from "./bindings/ContactInput";
import type { ContactLogged } from "./bindings/ContactLogged";
import type { BatchExported } from "./bindings/BatchExported";
import type { ReminderRules } from "./bindings/ReminderRules";
import type { RuleEffect } from "./bindings/RuleEffect";
import type { CheckInAnswer } from "./bindings/CheckInAnswer";
import type { ReminderKind } from "./bindings/ReminderKind";
import type { ReminderPreview } from "./bindings/ReminderPreview";
import type { VisitInput } from "./bindings/VisitInput";
import type { ImportField } from "./bindings/ImportField";
import type { ImportOutcome } from "./bindings/ImportOutcome";
import type { TextEncoding } from "./bindings/TextEncoding";
import type { DuplicateCandidate } from "./bindings/DuplicateCandidate";
import type { ConsentPurpose } from "./bindings/ConsentPurpose";
import type { Relation } from "./bindings/Relation";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { ExportWhat } from "./bindings/ExportWhat";
import type { Language } from "./bindings/Language";
import type { VisitImportField } from "./bindings/VisitImportField";
import type { VisitImportOutcome } from "./bindings/VisitImportOutcome";
import type { Topic } from "./bindings/Topic";
import type { Recommendation } from "./bindings/Recommendation";
import type { HandoutGiven } from "./bindings/HandoutGiven";
import type { Paper } from "./bindings/Paper";
import type { BatchItem } from "./bindings/BatchItem";
import type { TemplateKey } from "./bindings/TemplateKey";
import type { TemplateText } from "./bindings/TemplateText";
import type { TemplatePreview } from "./bindings/TemplatePreview";
import type { ClinicProfile } from "./bindings/ClinicProfile";
import type { BackupStatus } from "./bindings/BackupStatus";
import type { BackupReport } from "./bindings/BackupReport";
import type { BackupListing } from "./bindings/BackupListing";
import type { VerifiedBackup } from "./bindings/VerifiedBackup";
import type { BackupSchedule } from "./bindings/BackupSchedule";
import type { RestoreOutcome } from "./bindings/RestoreOutcome";
import type { KeyStatus } from "./bindings/KeyStatus";
import type { PatientLabel } from "./bindings/PatientLabel";
import type { DimensionCounts } from "./bindings/DimensionCounts";
import type { Dimension } from "./bindings/Dimension";
import type { SegmentMember } from "./bindings/SegmentMember";
import type { Rule } from "./bindings/Rule";
import type { RuleResult } from "./bindings/RuleResult";
import type { SavedSegment } from "./bindings/SavedSegment";
import type { SegmentTemplate } from "./bindings/SegmentTemplate";
import type { SegmentRef } from "./bindings/SegmentRef";
import type { Tag } from "./bindings/Tag";
import type { PatientSegment } from "./bindings/PatientSegment";
import type { TagColour } from "./bindings/TagColour";
import type { RecoveryKitSaved } from "./bindings/RecoveryKitSaved";
import type { RotationReport } from "./bindings/RotationReport";

/** What an import file holds (the Tauri command's `ImportKind`). */
export type ImportKind = "patients" | "visits";

/** Anything thrown across IPC becomes a ClinicError, so screens handle one shape. */
export function toClinicError(e: unknown): ClinicError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as ClinicError;
  return { code: "STORAGE", message: String(e) };
}

export function isClinicError(e: unknown): e is ClinicError {
  return !!e && typeof e === "object" && "code" in e && "message" in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown> | Uint8Array, headers?: Record<string, string>): Promise<T> {
  try {
    return await invoke<T>(cmd, args, headers ? { headers } : undefined);
  } catch (e) {
    throw toClinicError(e);
  }
}

/** The audit page's filters (dates as `YYYY-MM-DD`, the computer's days). */
export type AuditFilter = { patientId: string | null; staff: string | null; action: string | null; from: string | null; to: string | null };

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
  setupClinic: (passphrase: string) => call<AppStatus>("setup_clinic", { passphrase }),
  unlock: (passphrase: string) => call<AppStatus>("unlock", { passphrase }),
  lock: (forget: boolean) => call<AppStatus>("lock", { forget }),
  /** A staff member signs in at this desk (SIGN_IN_FAILED, TOO_MANY_ATTEMPTS). */
  staffSignIn: (name: string, password: string) => call<AppStatus>("staff_sign_in", { name, password }),
  /** Leaves the desk: the next person signs in (the clinic stays open). */
  staffSignOut: () => call<AppStatus>("staff_sign_out"),
  staffList: () => call<StaffMember[]>("staff_list"),
  staffAdd: (name: string, role: string, password: string) => call<StaffMember>("staff_add", { name, role, password }),
  staffDisable: (name: string) => call<null>("staff_disable", { name }),
  staffSetRole: (name: string, role: string) => call<StaffMember>("staff_set_role", { name, role }),
  staffResetPassword: (name: string, password: string) => call<null>("staff_reset_password", { name, password }),
  /** The signed-in person's own new password (SIGN_IN_FAILED when `current` is wrong). */
  staffChangeOwnPassword: (current: string, next: string) => call<null>("staff_change_own_password", { current, new: next }),
  staffRoles: () => call<CustomRole[]>("staff_roles"),
  staffDefineRole: (name: string, permissions: Permission[]) => call<CustomRole>("staff_define_role", { name, permissions }),
  auditList: (filter: AuditFilter) => call<AuditEntry[]>("audit_list", { filter }),
  /** The log as filtered, saved as CSV in Downloads; the file's path. */
  auditExport: (filter: AuditFilter) => call<string>("audit_export", { filter }),
  auditVerify: () => call<AuditVerdict>("audit_verify"),
  privacySettings: () => call<PrivacySettings>("privacy_settings"),
  privacySettingsSave: (settings: PrivacySettings) => call<PrivacySettings>("privacy_settings_save", { settings }),
  /** Everything held about the patient, saved as JSON and PDF to Downloads; the PDF's path. */
  privacyExport: (patientId: string, language: Language) => call<string>("privacy_export", { patientId, language }),
  privacyErase: (patientId: string) => call<ErasureOutcome>("privacy_erase", { patientId }),
  /** Refused with DUPLICATE when the patient looks registered, unless `allowDuplicate`. */
  patientCreate: (input: PatientInput, allowDuplicate = false) => call<Patient>("patient_create", { input, allowDuplicate }),
  patientDuplicates: (input: PatientInput, except: string | null = null) =>
    call<DuplicateCandidate[]>("patient_duplicates", { input, except }),
  patientMerge: (survivor: string, merged: string) => call<Patient>("patient_merge", { survivor, merged }),
  patientConsent: (id: string, purpose: ConsentPurpose, given: boolean, note: string | null) =>
    call<Patient>("patient_consent", { id, purpose, given, note }),
  patientLinkFamily: (id: string, relative: string, relation: Relation) =>
    call<Patient>("patient_link_family", { id, relative, relation }),
  patientUnlinkFamily: (id: string, relative: string) => call<Patient>("patient_unlink_family", { id, relative }),
  /** `reason`: why the record is corrected (kept with the change in its history). */
  patientUpdate: (id: string, input: PatientInput, reason: string | null = null) =>
    call<Patient>("patient_update", { id, input, reason }),
  patientHistory: (id: string) => call<RecordChange[]>("patient_history", { id }),
  patientArchive: (id: string, archived: boolean) => call<Patient>("patient_archive", { id, archived }),
  patientGet: (id: string) => call<Patient>("patient_get", { id }),
  patientList: (includeArchived = false, limit = 200, offset = 0) =>
    call<PatientSummary[]>("patient_list", { includeArchived, limit, offset }),
  patientSearch: (query: string, limit = 50) => call<PatientSummary[]>("patient_search", { query, limit }),
  visitAdd: (input: VisitInput) => call<Visit>("visit_add", { input }),
  visitUpdate: (id: string, input: VisitInput) => call<Visit>("visit_update", { id, input }),
  visitList: (patientId: string) => call<Visit[]>("visit_list", { patientId }),
  /** Writes the export into the Downloads folder; answers the file's path. */
  exportToDownloads: (what: ExportWhat, format: ExportFormat) => call<string>("export_to_downloads", { what, format }),
  importTemplateToDownloads: (language: Language, kind: ImportKind) =>
    call<string>("import_template_to_downloads", { language, kind }),
  handoutTopics: () => call<Topic[]>("handout_topics"),
  handoutRecommend: (patientId: string) => call<Recommendation[]>("handout_recommend", { patientId }),
  handoutGiven: (patientId: string) => call<HandoutGiven[]>("handout_given", { patientId }),
  /** Saves the PDF into Downloads; answers its path. Null language/plain: the patient's own. */
  handoutToDownloads: (patientId: string, topic: string, language: Language | null, plain: boolean | null, paper: Paper) =>
    call<string>("handout_to_downloads", { patientId, topic, language, plain, paper }),
  /** Many handouts in one PDF in Downloads; progress arrives as `handout-batch-progress`
   *  events; answers the file's path (or CANCELLED after `handoutBatchCancel`). */
  handoutBatchToDownloads: (items: BatchItem[], paper: Paper) => call<string>("handout_batch_to_downloads", { items, paper }),
  handoutBatchCancel: () => call<null>("handout_batch_cancel"),
  handoutTemplateGet: (key: TemplateKey) => call<TemplateText>("handout_template_get", { key }),
  handoutTemplateSave: (key: TemplateKey, source: string) => call<TemplateText>("handout_template_save", { key, source }),
  handoutTemplateReset: (key: TemplateKey) => call<TemplateText>("handout_template_reset", { key }),
  handoutTemplatesEdited: () => call<TemplateKey[]>("handout_templates_edited"),
  handoutTemplatePreview: (source: string, language: Language, plain: boolean, paper: Paper) =>
    call<TemplatePreview>("handout_template_preview", { source, language, plain, paper }),
  settingsClinicGet: () => call<ClinicProfile>("settings_clinic_get"),
  settingsClinicSet: (profile: ClinicProfile) => call<ClinicProfile>("settings_clinic_set", { profile }),
  /** The logo's bytes; empty when there is none. */
  settingsLogoGet: async () => new Uint8Array(await call<ArrayBuffer | number[]>("settings_logo_get")),
  /** Sets the logo (PNG or JPEG bytes); empty bytes remove it. */
  settingsLogoSet: (bytes: Uint8Array) => call<null>("settings_logo_set", bytes),
  backupStatus: () => call<BackupStatus>("backup_status"),
  /** A verified backup into `folder` (remembered), or the remembered folder when null. */
  backupNow: (folder: string | null) => call<BackupReport>("backup_now", { folder }),
  backupList: (folder: string) => call<BackupListing>("backup_list", { folder }),
  backupScheduleSet: (schedule: BackupSchedule) => call<BackupSchedule>("backup_schedule_set", { schedule }),
  /** Checks a backup completely with its passphrase or recovery code; changes nothing. */
  backupInspect: (file: string, secret: string) => call<VerifiedBackup>("backup_inspect", { file, secret }),
  /** Replaces this computer's clinic with the backup (the current one kept in a safety folder). */
  backupRestore: (file: string, secret: string) => call<RestoreOutcome>("backup_restore", { file, secret }),
  keyStatus: () => call<KeyStatus>("key_status"),
  /** A patient's segments, each with the rule and facts behind it. */
  segmentsExplain: (patientId: string) => call<PatientLabel[]>("segments_explain", { patientId }),
  segmentsCounts: () => call<DimensionCounts[]>("segments_counts"),
  segmentsMembers: (dimension: Dimension, label: string) => call<SegmentMember[]>("segments_members", { dimension, label }),
  /** A rule's count now and its first `limit` members (the live count while building). */
  segmentRuleEvaluate: (rule: Rule, limit: number | null) => call<RuleResult>("segment_rule_evaluate", { rule, limit }),
  segmentTemplates: () => call<SegmentTemplate[]>("segment_templates"),
  segmentsSaved: () => call<SavedSegment[]>("segments_saved"),
  segmentSave: (id: number | null, name: string, description: string | null, rule: Rule, template: string | null) =>
    call<SavedSegment>("segment_save", { id, name, description, rule, template }),
  segmentDelete: (id: number) => call<null>("segment_delete", { id }),
  segmentSavedMembers: (name: string) => call<RuleResult>("segment_saved_members", { name }),
  /** A segment's members as a call list in Downloads; answers the path. */
  segmentExport: (segment: SegmentRef, format: ExportFormat, purpose: ConsentPurpose) =>
    call<ListWritten>("segment_export", { segment, format, purpose }),
  reportRun: (name: ReportName, filter: ReportFilter) => call<Report>("report_run", { name, filter }),
  reportDashboard: () => call<Dashboard>("report_dashboard"),
  reportPdf: (name: ReportName, document: ReportDocument, language: string) => call<string>("report_pdf", { name, document, language }),
  reportExport: (name: ReportName, filter: ReportFilter, format: ExportFormat) => call<string>("report_export", { name, filter, format }),
  tagsList: () => call<Tag[]>("tags_list"),
  appointmentsList: (query: AppointmentQuery) => call<Appointment[]>("appointments_list", { query }),
  appointmentBook: (input: AppointmentInput) => call<Appointment>("appointment_book", { input }),
  appointmentMove: (id: string, input: AppointmentInput) => call<Appointment>("appointment_move", { id, input }),
  appointmentStatus: (id: string, status: AppointmentStatus, visitId: string | null = null) =>
    call<Appointment>("appointment_status", { id, status, visitId }),
  appointmentsIcs: (query: AppointmentQuery) => call<string>("appointments_ics", { query }),
  pointsGet: (patientId: string) => call<PointsStatement>("points_get", { patientId }),
  pointsAdjust: (patientId: string, points: number, reason: string) =>
    call<PointsStatement>("points_adjust", { patientId, points, reason }),
  pointsReverse: (entryId: number, reason: string) => call<PointsStatement>("points_reverse", { entryId, reason }),
  pointsRedeem: (patientId: string, rewardId: string) => call<Voucher>("points_redeem", { patientId, rewardId }),
  voucherSettle: (code: string, stateTo: VoucherState) => call<Voucher>("voucher_settle", { code, stateTo }),
  rewardsList: (includeRetired = false) => call<Reward[]>("rewards_list", { includeRetired }),
  rewardSave: (input: RewardInput) => call<Reward>("reward_save", { input }),
  rewardRetire: (id: string) => call<Reward>("reward_retire", { id }),
  loyaltySettingsGet: () => call<LoyaltySettings>("loyalty_settings_get"),
  loyaltySettingsSet: (settings: LoyaltySettings) => call<LoyaltySettings>("loyalty_settings_set", { settings }),
  pointsStatement: (patientId: string, paper: Paper = "a4") => call<string>("points_statement", { patientId, paper }),
  tiersRequalify: () => call<TierRun>("tiers_requalify"),
  membershipGet: (patientId: string) => call<Membership>("membership_get", { patientId }),
  loyaltyPreset: (jurisdiction: Jurisdiction) => call<LoyaltySettings>("loyalty_preset", { jurisdiction }),
  scheduleGet: () => call<Schedule>("schedule_get"),
  scheduleSet: (schedule: Schedule) => call<Schedule>("schedule_set", { schedule }),
  remindersDue: (date: string | null = null) => call<WorkList>("reminders_due", { date }),
  reminderLog: (input: ContactInput) => call<ContactLogged>("reminder_log", { input }),
  patientCheckIns: (patientId: string) => call<CheckInAnswer[]>("patient_check_ins", { patientId }),
  remindersPostcards: () => call<[string, number]>("reminders_postcards"),
  remindersExport: () => call<[string, BatchExported]>("reminders_export"),
  reminderRulesGet: () => call<ReminderRules>("reminder_rules_get"),
  reminderRulesSet: (rules: ReminderRules) => call<ReminderRules>("reminder_rules_set", { rules }),
  reminderPreview: (patientId: string, kind: ReminderKind, rule: string | null, rules: ReminderRules) =>
    call<ReminderPreview>("reminder_preview", { patientId, kind, rule, rules }),
  reminderEffect: (from: string, to: string, days: number) => call<RuleEffect[]>("reminder_effect", { from, to, days }),
  tagSave: (id: number | null, name: string, colour: TagColour) => call<Tag>("tag_save", { id, name, colour }),
  tagDelete: (id: number) => call<null>("tag_delete", { id }),
  /** Puts the tag on (or takes it off) the patients given and every member of `segment`. */
  tagPatients: (tagId: number, patientIds: string[], segment: SegmentRef | null, remove: boolean) =>
    call<number>("tag_patients", { tagId, patientIds, segment, remove }),
  patientTags: (patientId: string) => call<Tag[]>("patient_tags", { patientId }),
  /** The clinic's saved segments this patient is in, each with why. */
  patientSavedSegments: (patientId: string) => call<PatientSegment[]>("patient_saved_segments", { patientId }),
  /** A new recovery code (the old one stops working) and its kit as PDF in Downloads. */
  recoveryKitToDownloads: (secret: string, language: Language, paper: Paper) =>
    call<RecoveryKitSaved>("recovery_kit_to_downloads", { secret, language, paper }),
  passphraseChange: (secret: string, newPassphrase: string) => call<null>("passphrase_change", { secret, newPassphrase }),
  /** "Forgot the passphrase?": the recovery code sets a new one and unlocks. */
  passphraseReset: (code: string, newPassphrase: string) => call<AppStatus>("passphrase_reset", { code, newPassphrase }),
  /** Re-encrypts under a new key; progress as `key-rotation-progress` events. */
  keyRotate: (secret: string) => call<RotationReport>("key_rotate", { secret }),
  /** The file travels as raw bytes; a dry run unless `dryRun` is false. */
  importPatients: (file: Uint8Array, encoding: TextEncoding, mapping: (ImportField | null)[] | null, dryRun: boolean) =>
    sendFile<ImportOutcome>("import_patients", file, encoding, mapping, dryRun),
  /** Past visits of patients imported before, sent the same way. */
  importVisits: (file: Uint8Array, encoding: TextEncoding, mapping: (VisitImportField | null)[] | null, dryRun: boolean) =>
    sendFile<VisitImportOutcome>("import_visits", file, encoding, mapping, dryRun),
};

/** An import file: raw bytes in the body, the choices in headers. */
function sendFile<T>(command: string, file: Uint8Array, encoding: TextEncoding, mapping: unknown[] | null, dryRun: boolean) {
  return call<T>(command, file, {
    encoding,
    "dry-run": String(dryRun),
    ...(mapping ? { mapping: JSON.stringify(mapping) } : {}),
  });
}
