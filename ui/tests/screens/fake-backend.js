// A stand-in for the Rust commands, installed into the page before the app loads
// (page.addInitScript). It keeps patients and visits in memory and answers with the same
// shapes and error codes as the core, so screen tests run without Rust or WebKit.
// Scenario knobs: folder, unlocked, passphrase, patients, visits, fail {cmd: ClinicError},
// searchDelayMs {query: ms} (to make an older search answer arrive late), dashboardDelayMs
// (the owner's dashboard answering late, as before the warm-up on unlock has finished).
export function installFakeBackend(scenario) {
  const s = {
    folder: "ready",
    unlocked: true,
    passphrase: "correct horse battery",
    patients: [],
    visits: [],
    handoutsGiven: [],
    templates: {},
    clinic: { name: "", address: "", phone: "" },
    logo: [],
    batchStepMs: 0,
    backupFolder: null,
    backupLog: [],
    backups: {},
    // Backups by path: { passphrase, clinicName, createdAt, counts } (what backup_inspect reads).
    backupFiles: {},
    schedule: { dailyAt: "12:30", onClose: true, keepDaily: 7, keepWeekly: 8, staleDays: 7 },
    recoveryCode: null,
    rotated: false,
    rotateStepMs: 0,
    fail: {},
    searchDelayMs: {},
    dashboardDelayMs: 0,
    tags: [],
    patientTags: [],
    segments: [],
    loyalty: { jurisdiction: null, enabled: false, pointsPerReturnVisit: 10, spend: null, referralBonus: 50, birthdayBonus: 0,
      excludePublicInsurance: true, excludedDepartments: [], excludedTreatments: [], expiryMonths: 24 },
    rewards: [],
    pointsEntries: [],
    vouchers: [],
    // Staff: [{ name, role, password, active }]; who is signed in; the audit log.
    staff: [],
    signedIn: null,
    auditLog: [],
    privacy: { jurisdiction: null, retentionYears: null, maskForFrontDesk: true, autoLockMinutes: 5 },
    ...scenario,
  };

  const calls = [];
  const now = () => new Date().toISOString();
  const err = (code, message, field, rule) => ({ code, message, ...(field ? { field, rule } : {}) });
  const PERMS = {
    owner: ["view-clinical", "edit-patients", "archive-merge", "adjust-points", "export", "backup-restore",
      "manage-staff", "manage-settings", "view-reports", "view-audit", "erase"],
    doctor: ["view-clinical", "edit-patients", "archive-merge", "export", "manage-settings", "view-reports"],
    "front-desk": ["edit-patients"],
  };
  const signedIn = () => {
    const m = s.staff.find((x) => x.name === s.signedIn);
    if (!m) return null;
    const builtIn = PERMS[m.role];
    return { name: m.name, role: builtIn ? m.role : "custom", roleName: m.role, permissions: builtIn ?? [] };
  };
  const status = () => ({ folder: s.folder, unlocked: s.unlocked, dataDir: "/home/clinic/.local/share/com.cliniccrm.desktop", remembered: false,
    staffAccounts: s.unlocked && s.staff.length > 0, signedIn: signedIn() });
  const needUnlocked = () => {
    if (!s.unlocked) throw err("LOCKED", "the clinic is locked");
  };
  const findPatient = (id) => {
    const p = s.patients.find((x) => x.id === id);
    if (!p) throw err("NOT_FOUND", "no such patient");
    return p;
  };
  const age = (birth) => {
    if (!birth) return null;
    const b = new Date(birth + "T00:00:00");
    const t = new Date();
    let a = t.getFullYear() - b.getFullYear();
    if (t.getMonth() < b.getMonth() || (t.getMonth() === b.getMonth() && t.getDate() < b.getDate())) a--;
    return a;
  };
  const blank = (v) => (v == null || String(v).trim() === "" ? null : String(v).trim());
  const checkPatient = (input) => {
    if (!blank(input.name)) throw err("VALIDATION", "name is required", "name", "required");
    if (blank(input.phone) && !/^\+?[0-9 ()-]{3,20}$/.test(input.phone.trim()))
      throw err("VALIDATION", "phone is not in the right format", "phone", "invalid_format");
    if (blank(input.birthDate) && !/^\d{4}-\d{2}-\d{2}$/.test(input.birthDate.trim()))
      throw err("VALIDATION", "birth date is not a real date", "birthDate", "invalid_date");
  };
  const TEXT_FIELDS = ["email", "address", "region", "occupation", "education", "maritalStatus", "incomeBand", "preferredLanguage", "paymentType",
    "insurer", "policyNumber", "pastHistory", "familyHistory", "smoking", "alcohol", "exercise", "diet", "sleep", "workPattern",
    "preferredDoctor", "preferredChannel", "preferredTime", "referralChannel", "referredBy", "notes"];
  const fromInput = (input) => {
    const out = {
      name: input.name.trim(),
      sex: blank(input.sex),
      birthDate: blank(input.birthDate),
      age: age(blank(input.birthDate)),
      phone: blank(input.phone),
      otherPhones: (input.otherPhones ?? []).filter((x) => blank(x.number)),
      conditions: (input.conditions ?? []).filter((x) => blank(x.name)),
      allergies: (input.allergies ?? []).filter((x) => blank(x.substance)),
      medications: (input.medications ?? []).filter((x) => blank(x.name)),
      idNumber: blank(input.idNumber)?.toUpperCase() ?? null,
      idNumberMasked: blank(input.idNumber) ? input.idNumber.trim().replace(/^(..)(.*)(....)$/, (_, a, m, b) => a + "*".repeat(m.length) + b) : null,
    };
    for (const f of TEXT_FIELDS) out[f] = blank(input[f]);
    out.allergies.forEach((a, i) => {
      if (a.severity && !["mild", "moderate", "severe", "life-threatening"].includes(a.severity))
        throw err("VALIDATION", "unknown severity", `allergies.${i}.severity`, "unknown_value");
    });
    out.conditions.forEach((c, i) => {
      if (c.icd10 && !/^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$/i.test(c.icd10))
        throw err("VALIDATION", "not an ICD-10 code", `conditions.${i}.icd10`, "invalid_format");
    });
    out.referredByName = out.referredBy ? (s.patients.find((x) => x.id === out.referredBy)?.name ?? null) : null;
    return out;
  };
  function complete(p) {
    const base = { sex: null, birthDate: null, age: null, phone: null, otherPhones: [], conditions: [], allergies: [], medications: [],
      idNumber: null, idNumberMasked: null, referredByName: null, consents: [], family: [], mergedFrom: [], mergedInto: null,
      createdAt: now(), updatedAt: now(), archivedAt: null };
    for (const f of TEXT_FIELDS) base[f] = null;
    const allergies = typeof p.allergies === "string" ? [{ substance: p.allergies, reaction: null, severity: null }] : (p.allergies ?? []);
    return { ...base, ...p, allergies };
  }
  // Seeded patients may be written short: give them every field the core sends.
  s.patients = s.patients.map((p) => complete(p));
  const digitsOf = (phone) => (phone ?? "").replace(/\D/g, "").replace(/^(86|886)/, "");
  const duplicatesOf = (input, except) => {
    const d = digitsOf(input.phone);
    return s.patients
      .filter((p) => !p.archivedAt && p.id !== except && d.length >= 4 && digitsOf(p.phone) === d)
      .map((p) => ({ id: p.id, name: p.name, birthDate: p.birthDate, phone: p.phone, reasons: ["phone"] }));
  };
  const summary = (p) => {
    const vs = s.visits.filter((v) => v.patientId === p.id).sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    return {
      id: p.id, name: p.name, sex: p.sex, age: p.age, phone: p.phone, paymentType: p.paymentType,
      hasAllergies: p.allergies.length > 0, visitCount: vs.length, lastVisitAt: vs[0]?.at ?? null, archived: !!p.archivedAt,
    };
  };
  const checkVisit = (input) => {
    if (!/([+-]\d{2}:\d{2}|Z)$/.test(input.at) || Number.isNaN(Date.parse(input.at)))
      throw err("VALIDATION", "date and time is not a real date", "at", "invalid_date");
    if (!blank(input.department)) throw err("VALIDATION", "department is required", "department", "required");
    if (input.amount != null && !/^\d+(\.\d{1,2})?$/.test(input.amount))
      throw err("VALIDATION", "amount is not in the right format", "amount", input.amount.startsWith("-") ? "negative" : "invalid_format");
  };
  // The core keeps money as integer minor units and answers with two decimals.
  const money = (a) => {
    if (a == null) return null;
    const [i, f = ""] = a.split(".");
    return `${i}.${f.padEnd(2, "0")}`;
  };
  let nextId = 1;
  const id = () => `00000000-0000-7000-8000-${String(nextId++).padStart(12, "0")}`;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  const commands = {
    app_status: () => status(),
    setup_clinic: ({ passphrase }) => {
      if (s.folder !== "empty") throw err("ALREADY_INITIALIZED", "already initialised");
      if ([...passphrase].length < 8) throw err("VALIDATION", "too short", "passphrase", "too_short");
      s.passphrase = passphrase;
      s.folder = "ready";
      s.unlocked = true;
      return status();
    },
    unlock: ({ passphrase }) => {
      if (passphrase !== s.passphrase) throw err("WRONG_PASSPHRASE", "wrong passphrase");
      s.unlocked = true;
      return status();
    },
    lock: () => {
      s.unlocked = false;
      return status();
    },
    patient_create: ({ input, allowDuplicate }) => {
      needUnlocked();
      checkPatient(input);
      const fields = fromInput(input);
      if (!allowDuplicate && duplicatesOf(input).length) throw err("DUPLICATE", "may already be registered");
      const p = complete({ id: id(), ...fields });
      s.patients.push(p);
      return p;
    },
    patient_duplicates: ({ input, except }) => {
      needUnlocked();
      return duplicatesOf(input, except);
    },
    patient_consent: ({ id: pid, purpose, given, note }) => {
      const p = findPatient(pid);
      p.consents.unshift({ purpose, given, note, recordedAt: now(), recordedBy: "owner" });
      return p;
    },
    patient_link_family: ({ id: pid, relative, relation }) => {
      const p = findPatient(pid);
      const r = findPatient(relative);
      const inverse = { guardian: "ward", ward: "guardian", parent: "child", child: "parent", spouse: "spouse", sibling: "sibling" };
      p.family = [...p.family.filter((f) => f.id !== r.id), { id: r.id, name: r.name, relation }];
      r.family = [...r.family.filter((f) => f.id !== p.id), { id: p.id, name: p.name, relation: inverse[relation] }];
      return p;
    },
    patient_unlink_family: ({ id: pid, relative }) => {
      const p = findPatient(pid);
      const r = findPatient(relative);
      p.family = p.family.filter((f) => f.id !== r.id);
      r.family = r.family.filter((f) => f.id !== p.id);
      return p;
    },
    patient_merge: ({ survivor, merged }) => {
      const keep = findPatient(survivor);
      const other = findPatient(merged);
      let moved = 0;
      for (const v of s.visits) if (v.patientId === other.id) (v.patientId = keep.id), moved++;
      for (const f of TEXT_FIELDS) keep[f] = keep[f] ?? other[f];
      keep.birthDate = keep.birthDate ?? other.birthDate;
      keep.allergies = [...keep.allergies, ...other.allergies.filter((a) => !keep.allergies.some((k) => k.substance === a.substance))];
      other.archivedAt = now();
      other.mergedInto = keep.id;
      keep.mergedFrom.unshift({ mergedId: other.id, mergedName: other.name, mergedAt: now(), mergedBy: "owner", visitsMoved: moved });
      return keep;
    },
    patient_update: ({ id: pid, input }) => {
      needUnlocked();
      const p = findPatient(pid);
      checkPatient(input);
      Object.assign(p, fromInput(input), { updatedAt: now() });
      return p;
    },
    patient_archive: ({ id: pid, archived }) => {
      needUnlocked();
      const p = findPatient(pid);
      p.archivedAt = archived ? now() : null;
      return p;
    },
    patient_get: ({ id: pid }) => {
      needUnlocked();
      return findPatient(pid);
    },
    patient_list: ({ includeArchived, limit, offset }) => {
      needUnlocked();
      return s.patients
        .filter((p) => includeArchived || !p.archivedAt)
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .slice(offset, offset + limit)
        .map(summary);
    },
    patient_search: async ({ query, limit }) => {
      needUnlocked();
      const q = query.trim().toLowerCase();
      const digits = q.replace(/\D/g, "");
      const found = s.patients
        .filter((p) => !p.archivedAt)
        .filter((p) => p.name.toLowerCase().includes(q) || (digits && (p.phone ?? "").replace(/\D/g, "").includes(digits)))
        .slice(0, limit)
        .map(summary);
      const delay = s.searchDelayMs[query];
      if (delay) await sleep(delay);
      return found;
    },
    visit_add: ({ input }) => {
      needUnlocked();
      findPatient(input.patientId);
      checkVisit(input);
      const v = { id: id(), ...input, amount: money(input.amount), createdAt: now(), updatedAt: now() };
      s.visits.push(v);
      return v;
    },
    visit_update: ({ id: vid, input }) => {
      needUnlocked();
      const v = s.visits.find((x) => x.id === vid);
      if (!v) throw err("NOT_FOUND", "no such visit");
      checkVisit(input);
      Object.assign(v, input, { amount: money(input.amount), updatedAt: now() });
      return v;
    },
    // A small CSV reader standing in for the core's (which has its own tests): comma
    // separated UTF-8, headers 姓名/Name and 手机/电话/Phone, rows without a name rejected.
    import_patients: (bytes, headers) => {
      needUnlocked();
      const text = new TextDecoder().decode(bytes);
      const lines = text.split(/\r?\n/).filter((l) => l.trim());
      if (!lines.length) throw err("BAD_FILE", "empty");
      const header = lines[0].split(",");
      const guess = (h) => ({ 姓名: "name", Name: "name", 手机: "phone", 电话: "phone", Phone: "phone" })[h.trim()] ?? null;
      const mapping = headers.mapping ? JSON.parse(headers.mapping) : header.map(guess);
      const rows = lines.slice(1).map((l, i) => ({ number: i + 2, cells: l.split(",") }));
      const col = (f) => mapping.indexOf(f);
      const problems = [];
      let created = 0;
      for (const r of rows) {
        const name = col("name") >= 0 ? r.cells[col("name")]?.trim() : "";
        if (!name) {
          problems.push({ row: r.number, kind: "invalid", column: header[col("name")] ?? null, field: "name", rule: "required", other: null, message: "name is required" });
          continue;
        }
        created++;
        if (headers["dry-run"] === "false") {
          const phone = col("phone") >= 0 ? r.cells[col("phone")]?.trim() || null : null;
          commands.patient_create({ input: { name, phone } });
        }
      }
      return {
        columns: header.map((h, i) => ({ header: h, field: mapping[i], samples: rows.map((r) => r.cells[i]).filter(Boolean).slice(0, 3) })),
        report: { readAs: "UTF-8", totalRows: rows.length, newPatients: created, updatedPatients: 0, problems, imported: headers["dry-run"] === "false" },
      };
    },
    export_to_downloads: ({ what, format }) => {
      needUnlocked();
      const ext = { csv: "csv", xlsx: "xlsx", fhir: "json" }[format];
      return `/home/clinic/Downloads/${format === "fhir" ? "clinic-fhir" : what}-2026-11-23.${ext}`;
    },
    // Visits name their patient by phone here (the core also takes the old record no.).
    import_visits: (bytes, headers) => {
      needUnlocked();
      const lines = new TextDecoder().decode(bytes).split(/\r?\n/).filter((l) => l.trim());
      if (!lines.length) throw err("BAD_FILE", "empty");
      const header = lines[0].split(",");
      const guess = (h) => ({ 手机: "phone", 手機: "phone", Phone: "phone", 日期: "date", 就诊日期: "date", 就診日期: "date", Date: "date", 科室: "department", 科別: "department", Department: "department" })[h.trim()] ?? null;
      const mapping = headers.mapping ? JSON.parse(headers.mapping) : header.map(guess);
      const col = (f) => mapping.indexOf(f);
      if (col("date") < 0 || col("phone") < 0) throw err("VALIDATION", "a visits file needs the patient's phone and the date", { field: "mapping", rule: "required" });
      const rows = lines.slice(1).map((l, i) => ({ number: i + 2, cells: l.split(",") }));
      const problems = [];
      let created = 0;
      for (const r of rows) {
        const phone = r.cells[col("phone")]?.trim() ?? "";
        const patient = s.patients.find((p) => p.phone === phone);
        if (!patient) {
          problems.push({ row: r.number, kind: "invalid", column: header[col("phone")], field: "patientId", rule: phone ? "unknown_value" : "required", other: phone || null, message: "no such patient" });
          continue;
        }
        created++;
        if (headers["dry-run"] === "false") {
          const department = col("department") >= 0 ? r.cells[col("department")]?.trim() : "general";
          commands.visit_add({ input: { patientId: patient.id, at: `${r.cells[col("date")].trim()}T09:00:00+08:00`, department, visitType: "return" } });
        }
      }
      return {
        columns: header.map((h, i) => ({ header: h, field: mapping[i], samples: rows.map((r) => r.cells[i]).filter(Boolean).slice(0, 3) })),
        report: { readAs: "UTF-8", totalRows: rows.length, newVisits: created, problems, imported: headers["dry-run"] === "false" },
      };
    },
    // A library of three topics; a chronic condition named 高血压/高血壓/Hypertension recommends one.
    handout_topics: () => [
      { id: "tooth-extraction", titleZhCn: "拔牙后注意事项", titleZhTw: "拔牙後注意事項", titleEn: "After a Tooth Extraction" },
      { id: "hypertension-home-care", titleZhCn: "高血压居家护理与血压记录", titleZhTw: "高血壓居家照護與血壓紀錄", titleEn: "High Blood Pressure: Home Care and Blood-Pressure Diary" },
      { id: "eating-out", titleZhCn: "外出就餐也能吃得健康", titleZhTw: "外食也能吃得健康", titleEn: "Eating Out, Eating Well" },
    ],
    handout_recommend: ({ patientId }) => {
      needUnlocked();
      const p = findPatient(patientId);
      const chronic = (p.conditions ?? []).filter((c) => /高血[压壓]|hypertension/i.test(c.name));
      return chronic.length
        ? [{ topic: "hypertension-home-care", reasons: chronic.map((c) => ({ kind: "condition", name: c.name, chronic: c.chronic })), plain: false }]
        : [];
    },
    handout_given: ({ patientId }) => {
      needUnlocked();
      return s.handoutsGiven.filter((g) => g.patientId === patientId).map(({ patientId: _, ...g }) => g);
    },
    handout_to_downloads: ({ patientId, topic, language, plain, paper }) => {
      needUnlocked();
      const p = findPatient(patientId);
      const lang = language ?? p.preferredLanguage ?? "zh-CN";
      s.handoutsGiven.unshift({ patientId, topic, language: lang, plain: plain ?? false, givenAt: now(), givenBy: "owner" });
      return `/home/clinic/Downloads/${topic}-${p.name}-${paper}.pdf`;
    },
    // Texts: a built-in one per key, the clinic's copies in `templates` (key "topic/lang/plain").
    handout_template_get: ({ key }) => templateText(key),
    handout_templates_edited: () => Object.keys(s.templates).sort().map((k) => {
      const [topic, language, plain] = k.split("/");
      return { topic, language, plain: plain === "true" };
    }),
    handout_template_save: ({ key, source }) => {
      checkTemplate(source);
      s.templates[templateId(key)] = { source, updatedAt: now(), updatedBy: "owner" };
      return templateText(key);
    },
    handout_template_reset: ({ key }) => {
      delete s.templates[templateId(key)];
      return templateText(key);
    },
    handout_template_preview: ({ source, paper }) => previewOf(source, paper),
    settings_clinic_get: () => s.clinic,
    settings_clinic_set: ({ profile }) => {
      if (profile.name.length > 80) throw err("VALIDATION", "name is too long", "name", "too_long");
      s.clinic = { ...profile };
      return s.clinic;
    },
    // Raw bytes both ways, like the real command: the page gets an ArrayBuffer.
    settings_logo_get: () => new Uint8Array(s.logo).buffer,
    settings_logo_set: (bytes) => {
      const b = Array.from(bytes);
      const png = b[0] === 0x89 && b[1] === 0x50;
      const jpeg = b[0] === 0xff && b[1] === 0xd8;
      if (b.length && !png && !jpeg) throw err("VALIDATION", "the logo must be a PNG or JPEG image", "logo", "invalid_format");
      s.logo = b;
      return null;
    },
    // Backups: a folder under /media/ is a USB disk that is not plugged in.
    backup_status: () => {
      const check = !s.backupFolder ? "unset" : s.backupFolder.startsWith("/media/") ? "missing" : (s.freeBytes ?? 64e9) < 1638400 ? "full" : "ready";
      const good = s.backupLog.filter((e) => e.ok);
      return { folder: s.backupFolder, folderCheck: check, lastGood: good.at(-1) ?? null, lastAttempt: s.backupLog.at(-1) ?? null, schedule: { ...s.schedule }, freeBytes: s.freeBytes ?? 64e9, neededBytes: 1638400 };
    },
    backup_now: ({ folder }) => {
      const dir = folder ?? s.backupFolder;
      if (!dir) throw err("VALIDATION", "choose a backup folder first", "folder", "required");
      const at = now();
      if (dir.startsWith("/media/")) {
        s.backupLog.push({ at, folder: dir, file: null, bytes: null, ok: false, errorCode: "FOLDER_MISSING", message: "not there", by: "owner" });
        throw err("FOLDER_MISSING", `the backup folder ${dir} is not there (is the USB disk plugged in?)`);
      }
      const path = `${dir}/clinic-${at.slice(0, 19).replace(/[T:]/g, "-")}.clinicbackup`;
      const bytes = 1536000 + s.patients.length * 4096;
      s.backupLog.push({ at, folder: dir, file: path, bytes, ok: true, errorCode: null, message: null, by: "owner" });
      (s.backups[dir] ??= []).unshift({ path, bytes, createdAt: at, clinicId: "c1", schemaVersion: 11 });
      s.backupFolder = dir;
      return { path, bytes, createdAt: at, counts: { patients: s.patients.length, visits: s.visits.length, handoutsGiven: 0 }, millis: 420, removed: [] };
    },
    backup_schedule_set: ({ schedule }) => {
      needUnlocked();
      if (schedule.dailyAt != null && !/^([01]?\d|2[0-3]):[0-5]\d$/.test(schedule.dailyAt))
        throw err("VALIDATION", "a time of day as HH:MM", "dailyAt", "invalid_format");
      if (schedule.staleDays < 1) throw err("VALIDATION", "between 1 and 366", "staleDays", "out_of_range");
      const dailyAt = schedule.dailyAt == null ? null : schedule.dailyAt.padStart(5, "0");
      s.schedule = { ...schedule, dailyAt };
      return { ...s.schedule };
    },
    backup_list: ({ folder }) => ({ backups: s.backups[folder] ?? [], problems: [] }),
    import_template_to_downloads: ({ language, kind }) => `/home/clinic/Downloads/${kind}-template-${language}.csv`,
    visit_list: ({ patientId }) => {
      needUnlocked();
      findPatient(patientId);
      return s.visits.filter((v) => v.patientId === patientId).sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    },
  };

  const PLACEHOLDERS = ["patient.name", "patient.age", "doctor", "clinic.name", "clinic.phone", "clinic.address", "next_appointment", "today", "visit.treatment", "blank"];
  const templateId = (k) => `${k.topic}/${k.language}/${k.plain}`;
  function templateText(key) {
    const topic = commands.handout_topics().find((x) => x.id === key.topic);
    if (!topic) throw err("VALIDATION", `no handout topic "${key.topic}"`, "topic", "unknown_value");
    const mine = s.templates[templateId(key)];
    const title = key.language === "zh-CN" ? topic.titleZhCn : key.language === "zh-TW" ? topic.titleZhTw : topic.titleEn;
    const builtin = `# ${title}\n\n{{patient.name}}，${key.plain ? "plain" : "standard"} text.\n\n## 1\n\n- one\n- two\n\n> call {{clinic.phone}}\n`;
    return { ...key, source: mine?.source ?? builtin, edited: !!mine, updatedAt: mine?.updatedAt ?? null, updatedBy: mine?.updatedBy ?? null };
  }
  // The core's checks, as far as the screens need them: known placeholders, a title, a body.
  function checkTemplate(source) {
    for (const m of source.matchAll(/\{\{([^}]*)\}\}/g)) {
      if (!PLACEHOLDERS.includes(m[1].trim()))
        throw err("VALIDATION", `unknown placeholder {{${m[1].trim()}}}; known: ${PLACEHOLDERS.join(", ")}`, "template", "unknown_value");
    }
    if (!/^# \S/m.test(source)) throw err("VALIDATION", "a handout needs a title: a first line `# Title`", "template", "required");
  }
  function previewOf(source, paper) {
    checkTemplate(source);
    const sample = { "patient.name": "王小明", "clinic.phone": s.clinic.phone || "021-5555 0000", doctor: "李医生" };
    const filled = source.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, k) => sample[k] ?? "________");
    let title = "";
    const blocks = [];
    for (const line of filled.split("\n")) {
      if (!line.trim()) continue;
      if (line.startsWith("# ") && !title) title = line.slice(2);
      else if (line.startsWith("## ")) blocks.push({ kind: "heading", value: line.slice(3) });
      else if (line.startsWith("> ")) blocks.push({ kind: "note", value: line.slice(2) });
      else if (line.startsWith("- ")) {
        const last = blocks[blocks.length - 1];
        if (last?.kind === "list") last.value.items.push(line.slice(2));
        else blocks.push({ kind: "list", value: { ordered: false, items: [line.slice(2)] } });
      } else blocks.push({ kind: "paragraph", value: line });
    }
    return { title, blocks, pages: Math.max(1, Math.ceil(filled.length / (paper === "a5" ? 700 : 1400))) };
  }

  // Events (as the event plugin delivers them): listeners by event name.
  const listeners = {};
  let nextEventId = 1;
  const emit = (event, payload) => {
    for (const [eventId, handler] of Object.entries(listeners[event] ?? {})) window[`_${handler}`]?.({ event, id: Number(eventId), payload });
  };
  commands["plugin:event|listen"] = ({ event, handler }) => {
    const eventId = nextEventId++;
    (listeners[event] ??= {})[eventId] = handler;
    return eventId;
  };
  commands["plugin:event|unlisten"] = ({ event, eventId }) => {
    delete listeners[event]?.[eventId];
    return null;
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: (event, eventId) => delete listeners[event]?.[eventId] };
  // A large file reports its progress like the core does; a scenario can slow it down to be seen.
  const importPatients = commands.import_patients;
  commands.import_patients = async (bytes, headers) => {
    const result = importPatients(bytes, headers);
    const total = result.report.totalRows;
    if (s.importProgressMs) {
      for (const done of [Math.floor(total / 2), total]) {
        emit("import-progress", { done, total, dryRun: headers["dry-run"] !== "false" });
        await sleep(s.importProgressMs);
      }
    }
    return result;
  };

  // A batch reports progress after each handout and stops when told to, like the core.
  let batchStop = false;
  commands.handout_batch_cancel = () => {
    batchStop = true;
    return null;
  };
  commands.handout_batch_to_downloads = async ({ items, paper }) => {
    needUnlocked();
    if (!items.length) throw err("VALIDATION", "a batch needs at least one patient and topic", "items", "required");
    batchStop = false;
    for (let i = 0; i < items.length; i++) {
      // Rendering a handout takes a moment (batchStepMs); a stop is seen before the next.
      if (s.batchStepMs) await sleep(s.batchStepMs);
      if (batchStop) throw err("CANCELLED", `the batch was stopped after ${i} of ${items.length} handouts; nothing was saved`);
      emit("handout-batch-progress", { done: i + 1, total: items.length });
    }
    for (const it of items) {
      const p = findPatient(it.patientId);
      s.handoutsGiven.unshift({ patientId: it.patientId, topic: it.topic, language: p.preferredLanguage ?? "zh-CN", plain: false, givenAt: now(), givenBy: "owner" });
    }
    return `/home/clinic/Downloads/handouts-2026-11-24-0930-${paper}.pdf`;
  };

  // Keys: the secret is the passphrase or the recovery code (any case, dashes optional).
  const norm = (x) => String(x).toUpperCase().replace(/[-\s]/g, "");
  const isSecret = (secret, passphrase = s.passphrase, code = s.recoveryCode) =>
    secret === passphrase || (code != null && norm(secret) === norm(code));
  const needSecret = (secret) => {
    if (!isSecret(secret)) throw err("WRONG_PASSPHRASE", "the passphrase is not correct");
  };
  const checkNew = (p) => {
    if ([...p].length < 8) throw err("VALIDATION", "must be at least 8 characters", "passphrase", "too_short");
  };
  let codes = 0;
  commands.key_status = () => {
    needUnlocked();
    return { hasRecoveryCode: s.recoveryCode != null, rotated: s.rotated };
  };
  commands.recovery_kit_to_downloads = ({ secret, language, paper }) => {
    needUnlocked();
    needSecret(secret);
    codes++;
    s.recoveryCode = `7K2M-QX4P-9TZA-H3RW-C8NB-5F${codes}V`;
    return { code: s.recoveryCode, path: `/home/clinic/Downloads/recovery-kit-2026-11-24-0930-${language}-${paper}.pdf` };
  };
  commands.passphrase_change = ({ secret, newPassphrase }) => {
    needUnlocked();
    needSecret(secret);
    checkNew(newPassphrase);
    s.passphrase = newPassphrase;
    return null;
  };
  commands.passphrase_reset = ({ code, newPassphrase }) => {
    if (s.recoveryCode == null || norm(code) !== norm(s.recoveryCode)) throw err("WRONG_PASSPHRASE", "the recovery code is not correct");
    checkNew(newPassphrase);
    s.passphrase = newPassphrase;
    s.unlocked = true;
    return status();
  };
  commands.key_rotate = async ({ secret }) => {
    needUnlocked();
    needSecret(secret);
    const total = 1048576 * 40;
    for (const [stage, done] of [["copying", total / 4], ["copying", total / 2], ["copying", total], ["checking", 0], ["switching", 0]]) {
      emit("key-rotation-progress", { stage, done, total: stage === "copying" ? total : 0 });
      if (s.rotateStepMs) await sleep(s.rotateStepMs);
    }
    s.rotated = true;
    return { counts: { patients: s.patients.length, visits: s.visits.length, handoutsGiven: 0 }, millis: 2300 };
  };
  const backupFile = (file, secret) => {
    const b = s.backupFiles[file];
    if (!b) throw err("BACKUP_INVALID", `${file} is not a usable backup: it is not a Clinic CRM backup file`);
    if (!isSecret(secret, b.passphrase, b.recoveryCode)) throw err("WRONG_PASSPHRASE", "the passphrase is not correct");
    return b;
  };
  commands.backup_inspect = async ({ file, secret }) => {
    const b = backupFile(file, secret);
    return { clinicId: "c1", clinicName: b.clinicName, createdAt: b.createdAt, schemaVersion: 11, counts: b.counts };
  };
  commands.backup_restore = async ({ file, secret }) => {
    const b = backupFile(file, secret);
    const safety = s.folder === "ready" ? "/home/clinic/.local/share/com.cliniccrm.desktop/safety-2026-11-24-093000" : null;
    s.patients = b.patients ?? [];
    s.visits = [];
    s.passphrase = b.passphrase;
    s.recoveryCode = b.recoveryCode ?? null;
    s.clinic = { ...s.clinic, name: b.clinicName };
    s.folder = "ready";
    s.unlocked = true;
    return {
      report: { backup: { clinicId: "c1", clinicName: b.clinicName, createdAt: b.createdAt, schemaVersion: 11, counts: b.counts }, safetyCopy: safety },
      status: status(),
    };
  };

  // Segments: a few dimensions from the profile and visits, in the core's shape.
  commands.segments_explain = ({ patientId }) => {
    needUnlocked();
    const p = findPatient(patientId);
    const out = [];
    const mk = (dimension, label, rule, facts) => ({ dimension, label, rule, facts, text: `${dimension}: ${label}` });
    if (p.birthDate) {
      const a = p.age ?? 0;
      const [label, range] = a <= 12 ? ["child", "0-12"] : a <= 17 ? ["teenager", "13-17"] : a < 65 ? ["adult", "18-64"] : ["senior", "65+"];
      out.push(mk("age-group", label, "age", { age: String(a), birthDate: p.birthDate, range }));
    }
    if (p.paymentType) out.push(mk("payment-type", p.paymentType, "profile", { field: "paymentType" }));
    const mine = s.visits.filter((v) => v.patientId === patientId).sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    out.push(mine.length ? mk("lifecycle", "active", "active", { lastVisit: mine[0].at.slice(0, 10) }) : mk("lifecycle", "potential", "noVisit", {}));
    if (s.loyalty.enabled) {
      const m = s.memberships?.[patientId];
      const base = s.loyalty.tiers?.[0]?.name ?? "regular";
      out.push(m ? mk("membership-tier", m.tier, "tierQualified", { tier: m.tier, qualifiedOn: m.on, spend: m.spend, visits: String(m.visits) }) : mk("membership-tier", base, "tierBase", { tier: base }));
    }
    return out;
  };

  const FAKE_DIMENSIONS = ["age-group", "payment-type", "lifecycle", "membership-tier"];
  commands.segments_counts = async () => {
    needUnlocked();
    // As the core: no membership tiers without a loyalty programme.
    return FAKE_DIMENSIONS.filter((d) => d !== "membership-tier" || s.loyalty.enabled).map((dimension) => {
      const counts = {};
      for (const p of s.patients.filter((x) => !x.archivedAt)) {
        const l = commands.segments_explain({ patientId: p.id }).find((x) => x.dimension === dimension);
        const label = l?.label ?? "unknown";
        counts[label] = (counts[label] ?? 0) + 1;
      }
      return { dimension, counts: Object.keys(counts).sort().map((label) => ({ label, count: counts[label] })) };
    });
  };
  commands.segments_members = async ({ dimension, label }) => {
    needUnlocked();
    return s.patients
      .filter((p) => !p.archivedAt)
      .map((p) => ({ id: p.id, name: p.name, why: commands.segments_explain({ patientId: p.id }).find((l) => l.dimension === dimension) }))
      .filter((m) => m.why?.label === label)
      .sort((a, b) => a.name.localeCompare(b.name));
  };

  // Tags and rule segments: the core's shapes; the evaluator knows age, tags and labels.
  const tagCount = (id) => s.patientTags.filter((x) => x.tagId === id).length;
  const tagOut = (t) => ({ ...t, patients: tagCount(t.id) });
  commands.tags_list = () => s.tags.map(tagOut).sort((a, b) => a.name.localeCompare(b.name));
  commands.tag_save = ({ id, name, colour }) => {
    const clean = String(name).trim();
    if (!clean) throw err("VALIDATION", "a tag needs a name", "name", "required");
    if (s.tags.some((t) => t.name.toLowerCase() === clean.toLowerCase() && t.id !== id)) throw err("VALIDATION", "taken", "name", "taken");
    if (id == null) {
      const tag = { id: s.tags.length + 1, name: clean, colour };
      s.tags.push(tag);
      return tagOut(tag);
    }
    const tag = s.tags.find((t) => t.id === id);
    Object.assign(tag, { name: clean, colour });
    return tagOut(tag);
  };
  commands.tag_delete = ({ id }) => {
    s.tags = s.tags.filter((t) => t.id !== id);
    s.patientTags = s.patientTags.filter((x) => x.tagId !== id);
    return null;
  };
  commands.patient_tags = ({ patientId }) =>
    s.tags.filter((t) => s.patientTags.some((x) => x.tagId === t.id && x.patientId === patientId)).map(tagOut);
  const evaluate = (rule, p) => {
    const r = (kind, facts, text) => [{ kind, negated: false, facts, text }];
    switch (rule.kind) {
      case "all":
      case "any": {
        const results = rule.items.map((i) => evaluate(i, p));
        const m = rule.kind === "all" ? results.every((x) => x[0]) : results.some((x) => x[0]);
        return [m, results.filter((x) => x[0] === m).flatMap((x) => x[1])];
      }
      case "not": {
        const [m, why] = evaluate(rule.item, p);
        return [!m, why.map((w) => ({ ...w, negated: !w.negated }))];
      }
      case "age":
        if (p.age == null) return [false, r("age", {}, "age unknown")];
        return [(rule.min == null || p.age >= rule.min) && (rule.max == null || p.age <= rule.max), r("age", { age: String(p.age) }, `${p.age} years old`)];
      case "tag": {
        const tag = s.tags.find((t) => t.name.toLowerCase() === rule.name.toLowerCase());
        const has = !!tag && s.patientTags.some((x) => x.tagId === tag.id && x.patientId === p.id);
        return [has, r("tag", { name: rule.name, has: String(has) }, `tag ${rule.name}`)];
      }
      case "label": {
        const l = commands.segments_explain({ patientId: p.id }).find((x) => x.dimension === rule.dimension);
        return [l?.label === rule.label, r("label", { dimension: rule.dimension, label: l?.label ?? "unknown" }, l?.text ?? "")];
      }
      default:
        return [false, r(rule.kind, {}, "")];
    }
  };
  const checkRule = (rule) => {
    if ((rule.kind === "all" || rule.kind === "any") && !rule.items.length) throw err("VALIDATION", "a group needs a condition", "rule", "out_of_range");
    if (rule.kind === "age" && rule.min != null && rule.max != null && rule.min > rule.max) throw err("VALIDATION", "reversed", "rule", "out_of_range");
    if (rule.kind === "tag" && !s.tags.some((t) => t.name.toLowerCase() === rule.name.toLowerCase())) throw err("VALIDATION", "no such tag", "rule", "unknown_value");
    for (const i of rule.items ?? (rule.item ? [rule.item] : [])) checkRule(i);
  };
  const run = (rule, limit) => {
    checkRule(rule);
    const members = s.patients
      .filter((p) => !p.archivedAt)
      .map((p) => [p, ...evaluate(rule, p)])
      .filter((x) => x[1])
      .map(([p, , why]) => ({ id: p.id, name: p.name, why }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { count: members.length, members: limit == null ? members : members.slice(0, limit) };
  };
  commands.segment_rule_evaluate = ({ rule, limit }) => run(rule, limit);
  commands.patient_saved_segments = ({ patientId }) =>
    s.segments
      .map((seg) => [seg, ...evaluate(seg.rule, findPatient(patientId))])
      .filter((x) => x[1])
      .map(([seg, , why]) => ({ id: seg.id, name: seg.name, why }));
  commands.segment_templates = () => [
    { key: "chronic-not-seen-90", name: "Chronic patients not seen in 90 days", rule: { kind: "all", items: [{ kind: "chronic", terms: [] }, { kind: "daysSinceLastVisit", min: 90, max: null }] } },
    { key: "high-value-at-risk", name: "High-value patients at risk", rule: { kind: "all", items: [{ kind: "label", dimension: "value-tier", label: "high-value" }, { kind: "label", dimension: "lifecycle", label: "at-risk" }] } },
  ];
  const savedOut = (x) => ({ ...x, count: run(x.rule, 0).count });
  commands.segments_saved = () => s.segments.map(savedOut).sort((a, b) => a.name.localeCompare(b.name));
  commands.segment_save = ({ id, name, description, rule, template }) => {
    if (!String(name).trim()) throw err("VALIDATION", "a segment needs a name", "name", "required");
    checkRule(rule);
    if (s.segments.some((x) => x.name.toLowerCase() === name.trim().toLowerCase() && x.id !== id)) throw err("VALIDATION", "taken", "name", "taken");
    let seg = s.segments.find((x) => x.id === id);
    if (!seg) {
      seg = { id: s.segments.length + 1 };
      s.segments.push(seg);
    }
    Object.assign(seg, { name: name.trim(), description, rule, template });
    return savedOut(seg);
  };
  commands.segment_delete = ({ id }) => {
    s.segments = s.segments.filter((x) => x.id !== id);
    return null;
  };
  const membersOf = (segment) => {
    if (segment.kind === "saved") return run(s.segments.find((x) => x.name.toLowerCase() === segment.name.toLowerCase()).rule, null).members;
    return run({ kind: "label", dimension: segment.dimension, label: segment.label }, null).members;
  };
  commands.segment_saved_members = ({ name }) => run(s.segments.find((x) => x.name.toLowerCase() === name.toLowerCase()).rule, null);
  commands.segment_export = ({ segment, format, purpose }) => {
    s.segmentExported = { segment, format, purpose };
    return { path: `/home/clinic/Downloads/${segment.name ?? segment.label}.${format}`, listed: 2, withoutConsent: purpose === "care" ? 0 : 1 };
  };
  // Reports: the core's shape with figures worked out elsewhere (the core's own tests
  // check the arithmetic); here the window's charts, tables and words are under test.
  const REPORT_TABLES = {
    "reminder-effect": [
      {
        key: "by-rule",
        columns: ["kind", "contacted", "contactedReturned", "contactedRate", "notContacted", "notContactedReturned", "notContactedRate"],
        rows: [["recall", 40, 22, 55.0, 25, 6, 24.0], ["follow-up", 12, 7, 58.3, 9, 1, 11.1]],
      },
    ],
    "return-rate": [
      { key: "overall", columns: ["days", "patients", "returned", "rate"], rows: [[30, 120, 45, 37.5], [90, 110, 70, 63.6], [180, 90, 75, 83.3]] },
      { key: "by-department", columns: ["group", "patients", "rate30", "rate90", "rate180"], rows: [["dental", 80, 41.3, 66.0, 85.1], ["ortho", 40, 30.0, 58.3, 79.4]] },
    ],
    "busiest-slots": [
      { key: "slots", columns: ["weekday", "hour", "appointments", "visits"], rows: [[1, 9, 4, 6], [1, 10, 8, 9], [2, 10, 3, 2], [3, 14, 1, 0], [6, 9, 6, 7]] },
      { key: "utilisation", columns: ["weekday", "openHours", "bookedHours", "utilisation"], rows: [[1, "28.0", "19.5", 69.6], [6, "12.0", "11.0", 91.7]] },
    ],
    nps: [
      { key: "by-month", columns: ["month", "answers", "promoters", "passives", "detractors", "nps", "satisfaction"], rows: [["2026-09", 10, 6, 2, 2, 40, "4.2"], ["2026-10", 8, 2, 2, 4, -25, "3.4"], ["total", 18, 8, 4, 6, 11, "3.8"]] },
      { key: "detractor-comments", columns: ["date", "patient", "score", "department", "doctor", "feedback"], rows: [["2026-10-12", "王丽", 3, "dental", "陈医生", "等候时间太长"]] },
    ],
    revenue: [
      { key: "by-department", columns: ["group", "visits", "amount", "share"], rows: [["dental", 30, "12800.00", 80.0], ["ortho", 6, "3200.00", 20.0], ["total", 36, "16000.00", 100.0]] },
      { key: "by-value-tier", columns: ["group", "visits", "amount", "share"], rows: [["high-value", 10, "9000.00", 56.3], ["regular", 26, "7000.00", 43.8], ["total", 36, "16000.00", 100.0]] },
      { key: "points-liability", columns: ["points", "patients"], rows: [[1250, 14]] },
    ],
  };
  s.reportsRun ??= [];
  commands.report_run = ({ name, filter }) => {
    needUnlocked();
    if (filter.to < filter.from) throw err("VALIDATION", "the range ends before it starts", "to", "out_of_range");
    s.reportsRun.push({ name, filter });
    const tables = REPORT_TABLES[name] ?? [{ key: "summary", columns: ["newPatients", "referred", "share"], rows: [[0, 0, null]] }];
    return { name, from: filter.from, to: filter.to, department: filter.department, doctor: filter.doctor, segment: filter.segment, definition: "…", tables };
  };
  commands.report_dashboard = async () => {
    await sleep(s.dashboardDelayMs);
    return dashboard;
  };
  const dashboard = {
    thisFrom: "2026-11-01", thisTo: "2026-11-24", lastFrom: "2026-10-01", lastTo: "2026-10-24",
    figures: [
      { key: "visits", this: 132, last: 120 },
      { key: "patients", this: 101, last: 95 },
      { key: "newPatients", this: 14, last: 17 },
      { key: "revenue", this: "48210.50", last: "45002.00" },
      { key: "nps", this: 38, last: 41 },
      { key: "satisfaction", this: "4.4", last: "4.3" },
      { key: "noShowRate", this: 6.2, last: 8.9 },
    ],
  };
  commands.report_pdf = ({ name, document, language }) => {
    s.printedReport = { name, document, language };
    return `/home/clinic/Downloads/${name}.pdf`;
  };
  commands.report_export = ({ name, filter, format }) => `/home/clinic/Downloads/${name} ${filter.from} ${filter.to}.${format}`;
  commands.tag_patients = ({ tagId, patientIds, segment, remove }) => {
    const ids = [...patientIds, ...(segment ? membersOf(segment).map((m) => m.id) : [])];
    let changed = 0;
    for (const patientId of new Set(ids)) {
      const has = s.patientTags.some((x) => x.tagId === tagId && x.patientId === patientId);
      if (remove && has) {
        s.patientTags = s.patientTags.filter((x) => !(x.tagId === tagId && x.patientId === patientId));
        changed++;
      } else if (!remove && !has) {
        s.patientTags.push({ tagId, patientId });
        changed++;
      }
    }
    return changed;
  };

  // The appointment book and the work list: bookings in the clinic's zone (+08:00 here),
  // overlaps per doctor, a booking confirmation on today's list for an appointment on a
  // later day, outcomes that settle it.
  s.appointments ??= [];
  s.contactLog ??= [];
  const localDay = () => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  };
  const weekday = [{ from: "09:00", to: "12:00" }, { from: "14:00", to: "18:00" }];
  const words = (zh, tw, en) => ({ "zh-CN": zh, "zh-TW": tw, en });
  s.reminderRules ??= {
    confirmation: { enabled: true, message: words("您已预约{date} {time}{doctor}的门诊。", "您已預約{date} {time}{doctor}的門診。", "your appointment is booked for {date} at {time}{doctor}.") },
    dayBefore: { enabled: true, daysBefore: 1, message: words("提醒您明天{date} {time}有预约。", "提醒您明天{date} {time}有預約。", "a reminder of your appointment tomorrow at {time}.") },
    sameDay: { enabled: false, message: words("今天{time}见。", "今天{time}見。", "see you today at {time}.") },
    followUp: { enabled: true, firstOffsetDays: -3, secondAfterDays: 7, callAfterDays: 7, message: words("请在{returnBy}前回诊。", "請在{returnBy}前回診。", "please come back by {returnBy}.") },
    checkIns: [{ key: "extraction", name: words("拔牙后", "拔牙後", "After an extraction"), keywords: ["拔牙", "extraction"], days: [1, 7], message: words("拔牙后感觉如何？", "拔牙後感覺如何？", "how are you feeling after your extraction?") }],
    recalls: [{ key: "scaling", name: words("洗牙", "洗牙", "Scaling"), keywords: ["洗牙", "scaling"], months: 6, maxAge: null, message: words("该洗牙了。", "該洗牙了。", "you are due for a scaling.") }],
    birthday: { enabled: true, message: words("生日快乐！", "生日快樂！", "happy birthday!") },
    quietFrom: "21:00", quietTo: "08:00", requireConsent: true, defaultChannel: "sms", defaultLanguage: "zh-CN",
    greeting: words("{honorific}您好，", "{honorific}您好，", "Dear {honorific}, "),
    signature: words("【{clinic}】", "【{clinic}】", " — {clinic}"),
  };
  commands.reminder_rules_get = () => s.reminderRules;
  commands.reminder_rules_set = ({ rules }) => {
    for (const w of [rules.dayBefore.message, rules.confirmation.message])
      for (const text of Object.values(w))
        for (const [, name] of text.matchAll(/\{(\w+)\}/g))
          if (!["name", "honorific", "date", "time", "doctor", "clinic", "phone", "reason", "returnBy", "treatment"].includes(name))
            throw err("VALIDATION", `{${name}} is not a placeholder`, "dayBefore", "unknown_value");
    s.reminderRules = rules;
    return rules;
  };
  commands.patient_check_ins = ({ patientId }) => (s.checkIns ?? []).filter((a) => s.visits.some((v) => v.id === a.visitId && v.patientId === patientId));
  commands.reminder_effect = () => [{ kind: "day-before", contacted: 10, contactedReturned: 7, notContacted: 4, notContactedReturned: 1 }];
  commands.reminder_preview = ({ patientId, kind, rules }) => {
    const p = findPatient(patientId);
    const key = { confirmation: "confirmation", "day-before": "dayBefore", "same-day": "sameDay", "follow-up": "followUp", birthday: "birthday" }[kind];
    const fill = (t) => t.replaceAll("{honorific}", p.name).replaceAll("{time}", "10:00").replaceAll("{date}", "12月2日").replaceAll("{doctor}", "").replaceAll("{clinic}", s.clinic.name);
    const message = fill(rules.greeting["zh-CN"]) + fill(rules[key].message["zh-CN"]) + fill(rules.signature["zh-CN"]);
    return { language: "zh-CN", message, smsParts: message.length > 70 ? Math.ceil(message.length / 67) : 1 };
  };
  s.scheduleSaved ??= null;
  commands.schedule_set = ({ schedule }) => {
    for (const day of schedule.hours)
      for (const p of day)
        if (!/^\d{2}:\d{2}$/.test(p.from) || !/^\d{2}:\d{2}$/.test(p.to) || p.from >= p.to)
          throw err("VALIDATION", "periods must run forwards", "hours", "out_of_range");
    s.scheduleSaved = schedule;
    return schedule;
  };
  commands.schedule_get = () => s.scheduleSaved ?? ({
    timeZone: "Asia/Shanghai",
    hours: [weekday, weekday, weekday, weekday, weekday, [{ from: "09:00", to: "12:00" }], []],
    closedDays: [],
    slotMinutes: 15,
    rooms: ["Chair 1", "Chair 2"],
  });
  const apptTimes = (a) => {
    const start = Date.parse(a.startsAt);
    return [start, start + a.minutes * 60000];
  };
  commands.appointments_list = ({ query }) =>
    s.appointments
      .filter((a) => (!query.from || a.startsAt.slice(0, 10) >= query.from) && (!query.to || a.startsAt.slice(0, 10) <= query.to))
      .filter((a) => !query.patientId || a.patientId === query.patientId)
      .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  commands.appointment_book = ({ input }) => {
    const p = findPatient(input.patientId);
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})$/.exec(input.at.trim());
    if (!m) throw err("VALIDATION", "at is not a date and time", "at", "invalid_format");
    const a = {
      id: id(), patientId: p.id, patientName: p.name, patientPhone: p.phone ?? null,
      startsAt: `${m[1]}T${m[2]}:00+08:00`, minutes: input.minutes ?? 15, doctor: input.doctor, room: input.room,
      reason: input.reason, note: input.note, status: "scheduled", rescheduledTo: null, visitId: null,
      bookedBy: "owner", createdAt: now(), updatedAt: now(),
    };
    const [from, to] = apptTimes(a);
    const clash = s.appointments.find((o) => ["scheduled", "confirmed", "arrived"].includes(o.status) && o.doctor && o.doctor === a.doctor && apptTimes(o)[0] < to && apptTimes(o)[1] > from);
    if (clash && !input.allowOverlap) throw { code: "CONFLICT", message: "doctor already booked", field: "doctor" };
    s.appointments.push(a);
    return a;
  };
  commands.appointment_status = ({ id: aid, status, visitId }) => {
    const a = s.appointments.find((x) => x.id === aid);
    a.status = status;
    if (visitId) a.visitId = visitId;
    return a;
  };
  commands.appointments_ics = ({ query }) => `/home/clinic/Downloads/appointments ${query.from} - ${query.to}.ics`;
  commands.reminders_due = () => {
    const today = localDay();
    const contacts = s.appointments
      .filter((a) => a.status === "scheduled" && a.startsAt.slice(0, 10) > today && !s.contactLog.some((c) => c.reminderIds.includes(a.id)))
      .map((a) => {
        const p = findPatient(a.patientId);
        return {
          patientId: p.id, name: p.name, phone: p.phone ?? null, channel: "sms", language: "en", priority: "due", kind: "confirmation",
          items: [{ reminderId: a.id, kind: "confirmation", step: 1, rule: null, ruleName: null, due: today, overdueDays: 0, attempts: 0,
            appointment: { id: a.id, startsAt: a.startsAt.slice(0, 19), doctor: a.doctor, reason: a.reason }, visit: null }],
          message: `Dear ${p.name}, your appointment is booked for ${a.startsAt.slice(0, 10)} at ${a.startsAt.slice(11, 16)}.`,
          smsParts: 1,
        };
      });
    return { date: today, preview: false, quietNow: false, contacts, skipped: { "no-consent": 1 }, done: s.contactLog.length };
  };
  commands.reminder_log = ({ input }) => {
    s.contactLog.push(input);
    return { contactId: s.contactLog.length, settled: input.outcome === "no-answer" ? 0 : input.reminderIds.length, rolled: 0 };
  };
  commands.reminders_export = () => [`/home/clinic/Downloads/sms ${localDay()}.csv`, { messages: 0, sendAfter: null }];

  // Loyalty: the same shapes and refusals as the core (the ledger's own arithmetic is tested in Rust).
  const presets = {
    "mainland-china": { enabled: true, per: "10" },
    taiwan: { enabled: false, per: "30" },
    other: { enabled: true, per: "10" },
  };
  commands.loyalty_settings_get = () => s.loyalty;
  commands.loyalty_preset = ({ jurisdiction }) => ({
    jurisdiction, enabled: presets[jurisdiction].enabled, pointsPerReturnVisit: 10,
    spend: { points: 1, per: presets[jurisdiction].per, rounding: "down" }, referralBonus: 50, birthdayBonus: 0,
    excludePublicInsurance: true, excludedDepartments: [], excludedTreatments: [], expiryMonths: 24, familyPooling: false,
    tiers: [["regular", "0", 0], ["silver", "2000", 4], ["gold", "5000", 8], ["vip", "10000", 12]].map(([name, minSpend, minVisits]) => ({ name, minSpend, minVisits, benefits: "" })),
  });
  commands.tiers_requalify = () => ({ on: localDay(), ran: true, changed: 0, members: [{ tier: "regular", patients: s.patients.length }, { tier: "silver", patients: 0 }, { tier: "gold", patients: 0 }, { tier: "vip", patients: 0 }] });
  commands.loyalty_settings_set = ({ settings }) => {
    if (settings.enabled && !settings.jurisdiction) throw err("VALIDATION", "say where the clinic practises", "jurisdiction", "required");
    s.loyalty = settings;
    return settings;
  };
  commands.rewards_list = ({ includeRetired }) => s.rewards.filter((r) => includeRetired || !r.retired);
  commands.reward_save = ({ input }) => {
    if (!blank(input.name)) throw err("VALIDATION", "a reward has a name", "name", "required");
    if (!(input.costPoints >= 1)) throw err("VALIDATION", "a reward costs 1 point or more", "costPoints", "out_of_range");
    const r = { ...input, id: input.id ?? id(), retired: false };
    s.rewards = [...s.rewards.filter((x) => x.id !== r.id), r];
    return r;
  };
  commands.reward_retire = ({ id: rid }) => { const r = s.rewards.find((x) => x.id === rid); r.retired = true; return r; };
  const pointsOf = (patientId) => s.pointsEntries.filter((e) => e.patientId === patientId);
  const statement = (patientId) => {
    findPatient(patientId);
    const entries = pointsOf(patientId);
    const balance = entries.reduce((a, e) => a + e.points, 0);
    return { patientId, on: localDay(), balance, available: balance, expiring: [], entries: [...entries].reverse(),
      vouchers: s.vouchers.filter((v) => v.patientId === patientId).reverse(), programmeOn: s.loyalty.enabled, tier: "regular", familyAvailable: null };
  };
  const addEntry = (patientId, kind, points, source, reason, extra = {}) => {
    const e = { id: s.pointsEntries.length + 1, patientId, kind, points, source, reason, visitId: null, referredPatientId: null,
      voucherCode: null, reverses: null, reversedBy: null, effectiveOn: localDay(), expiresOn: null, staff: "owner", at: now(), ...extra };
    s.pointsEntries.push(e);
    return e;
  };
  commands.points_get = ({ patientId }) => statement(patientId);
  commands.membership_get = ({ patientId }) => (findPatient(patientId), { tier: "regular", since: null, benefits: "", spendMinor: 0, visits: 0, qualifiedOn: null, changes: [] });
  commands.points_statement = ({ patientId }) => `/home/clinic/Downloads/points ${localDay()} ${findPatient(patientId).id}.pdf`;
  commands.points_adjust = ({ patientId, points, reason }) => {
    if (!blank(reason)) throw err("VALIDATION", "an adjustment says why", "reason", "required");
    if (statement(patientId).balance + points < 0) throw err("INSUFFICIENT_POINTS", "not enough points");
    addEntry(patientId, "adjust", points, "staff", reason.trim());
    return statement(patientId);
  };
  commands.points_reverse = ({ entryId, reason }) => {
    const e = s.pointsEntries.find((x) => x.id === entryId);
    if (statement(e.patientId).balance - e.points < 0) throw err("INSUFFICIENT_POINTS", "already spent");
    const r = addEntry(e.patientId, "reverse", -e.points, "staff", `reverses entry ${e.id}: ${reason}`, { reverses: e.id });
    e.reversedBy = r.id;
    return statement(e.patientId);
  };
  commands.points_redeem = ({ patientId, rewardId }) => {
    if (!s.loyalty.enabled) throw err("POINTS_OFF", "the points programme is switched off");
    const r = s.rewards.find((x) => x.id === rewardId);
    if (statement(patientId).available < r.costPoints) throw err("INSUFFICIENT_POINTS", "not enough points");
    const v = { code: `K7M2-${String(s.vouchers.length + 1).padStart(4, "9")}`, patientId, rewardId, rewardName: r.name, points: r.costPoints,
      state: "issued", issuedAt: now(), settledAt: null, staff: "owner" };
    s.vouchers.push(v);
    addEntry(patientId, "redeem", -r.costPoints, "reward", `${r.name} (voucher ${v.code})`, { voucherCode: v.code });
    if (r.stock != null) r.stock -= 1;
    return v;
  };
  commands.voucher_settle = ({ code, stateTo }) => {
    const v = s.vouchers.find((x) => x.code === code);
    if (v.state !== "issued") throw err("VALIDATION", "already settled", "code", "unknown_value");
    if (stateTo === "cancelled") {
      const e = s.pointsEntries.find((x) => x.voucherCode === code && x.kind === "redeem");
      const r = addEntry(v.patientId, "reverse", -e.points, "staff", `reverses entry ${e.id}: voucher ${code} cancelled`, { reverses: e.id });
      e.reversedBy = r.id;
    }
    v.state = stateTo;
    v.settledAt = now();
    return v;
  };

  const audit = (action, patientId = null) => {
    const who = signedIn() ?? { name: "owner", roleName: "owner" };
    s.auditLog.push({ seq: s.auditLog.length + 1, at: now(), staff: who.name, role: who.roleName, action, patientId, detail: "{}" });
  };
  commands.staff_sign_in = ({ name, password }) => {
    const m = s.staff.find((x) => x.name.toLowerCase() === name.toLowerCase() && x.active);
    if (!m || m.password !== password) {
      audit("sign-in-failed");
      throw err("SIGN_IN_FAILED", "no active staff account with this name and password");
    }
    s.signedIn = m.name;
    audit("sign-in");
    return status();
  };
  commands.staff_sign_out = () => {
    s.signedIn = null;
    return status();
  };
  const staffMember = (m) => ({ id: `staff-${m.name}`, name: m.name, role: m.role, active: m.active, createdAt: "2026-11-01T09:00:00Z", lastSignInAt: null });
  commands.staff_list = () => s.staff.map(staffMember);
  commands.staff_add = ({ name, role, password }) => {
    if (s.staff.length === 0 && role !== "owner") throw err("VALIDATION", "the first staff account is the owner's", "role", "unknown_value");
    if ([...password].length < 8 && !/^\d{4,}$/.test(password)) throw err("VALIDATION", "too short", "password", "too_short");
    const m = { name, role, password, active: true };
    s.staff.push(m);
    audit("staff-add");
    return staffMember(m);
  };
  commands.staff_disable = ({ name }) => {
    s.staff.find((x) => x.name === name).active = false;
    return null;
  };
  commands.staff_set_role = ({ name, role }) => {
    const m = s.staff.find((x) => x.name === name);
    m.role = role;
    return staffMember(m);
  };
  commands.staff_reset_password = ({ name, password }) => {
    if ([...password].length < 8 && !/^\d{4,}$/.test(password)) throw err("VALIDATION", "too short", "password", "too_short");
    s.staff.find((x) => x.name === name).password = password;
    return null;
  };
  commands.staff_change_own_password = ({ current, new: next }) => {
    const m = s.staff.find((x) => x.name === s.signedIn);
    if (!m || m.password !== current) throw err("SIGN_IN_FAILED", "the current password is not right");
    m.password = next;
    return null;
  };
  commands.staff_roles = () => s.roles ?? [];
  commands.staff_define_role = ({ name, permissions }) => {
    // In the core's order, as the core keeps them.
    const sorted = PERMS.owner.filter((p) => permissions.includes(p));
    s.roles = [...(s.roles ?? []).filter((r) => r.name !== name), { name, permissions: sorted }];
    return { name, permissions: sorted };
  };
  commands.audit_list = ({ filter }) =>
    [...s.auditLog].reverse().filter((e) => !filter.staff || e.staff.toLowerCase() === filter.staff.toLowerCase());
  commands.audit_export = ({ filter }) => {
    s.auditExported = filter;
    return "/home/clinic/Downloads/audit-log-2026-11-25.csv";
  };
  commands.audit_verify = () => ({ entries: s.auditLog.length, intact: !s.auditBroken, firstBroken: s.auditBroken ?? null, problem: null });
  commands.privacy_settings = () => s.privacy;
  commands.privacy_settings_save = ({ settings }) => (s.privacy = settings);
  commands.privacy_export = ({ patientId }) => `/home/clinic/Downloads/patient-${patientId}.pdf`;
  commands.patient_history = () => s.history ?? [];
  commands.privacy_erase = () => ({ outcome: "restricted", retainedUntil: "2041-11-25", removed: {} });

  window.__fakeBackend = { state: s, calls };
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
    transformCallback: (cb) => {
      const key = Math.floor(Math.random() * 1e9);
      window[`_${key}`] = cb;
      return key;
    },
    async invoke(cmd, args = {}, options = {}) {
      const raw = args instanceof Uint8Array;
      calls.push({ cmd, args: raw ? { bytes: args.length, headers: options.headers } : JSON.parse(JSON.stringify(args)) });
      // Serialise like IPC does: the page never shares objects with the backend.
      const clone = (v) => (v === undefined ? null : v instanceof ArrayBuffer ? v.slice(0) : JSON.parse(JSON.stringify(v)));
      if (s.fail[cmd]) throw clone(s.fail[cmd]);
      const handler = commands[cmd];
      if (!handler) throw `command ${cmd} not found`;
      return clone(await handler(args, options.headers ?? {}));
    },
  };
}
