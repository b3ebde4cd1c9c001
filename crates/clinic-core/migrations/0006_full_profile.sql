-- 0006: the full patient profile. Single-valued facts are columns of `patient` (coded
-- values checked here and in src/patients/profile.rs); lists are tables of their own.

ALTER TABLE patient ADD COLUMN region TEXT;
ALTER TABLE patient ADD COLUMN occupation TEXT;
ALTER TABLE patient ADD COLUMN education TEXT
    CHECK (education IN ('none', 'primary', 'secondary', 'vocational', 'tertiary', 'postgraduate'));
ALTER TABLE patient ADD COLUMN marital_status TEXT
    CHECK (marital_status IN ('single', 'married', 'divorced', 'widowed', 'other'));
ALTER TABLE patient ADD COLUMN income_band TEXT
    CHECK (income_band IN ('low', 'lower-middle', 'middle', 'upper-middle', 'high'));
ALTER TABLE patient ADD COLUMN preferred_language TEXT
    CHECK (preferred_language IN ('zh-CN', 'zh-TW', 'en'));
ALTER TABLE patient ADD COLUMN insurer TEXT;
ALTER TABLE patient ADD COLUMN policy_number TEXT;
ALTER TABLE patient ADD COLUMN past_history TEXT;
ALTER TABLE patient ADD COLUMN family_history TEXT;
ALTER TABLE patient ADD COLUMN smoking TEXT CHECK (smoking IN ('never', 'former', 'current'));
ALTER TABLE patient ADD COLUMN alcohol TEXT CHECK (alcohol IN ('none', 'occasional', 'regular'));
ALTER TABLE patient ADD COLUMN exercise TEXT CHECK (exercise IN ('rarely', 'weekly', 'most-days'));
ALTER TABLE patient ADD COLUMN diet TEXT;
ALTER TABLE patient ADD COLUMN sleep TEXT;
ALTER TABLE patient ADD COLUMN work_pattern TEXT
    CHECK (work_pattern IN ('office', 'manual', 'shift', 'student', 'retired', 'homemaker', 'other'));
ALTER TABLE patient ADD COLUMN preferred_doctor TEXT;
ALTER TABLE patient ADD COLUMN preferred_channel TEXT
    CHECK (preferred_channel IN ('phone', 'sms', 'wechat', 'line', 'email', 'post'));
ALTER TABLE patient ADD COLUMN preferred_time TEXT
    CHECK (preferred_time IN ('morning', 'afternoon', 'evening', 'any'));
ALTER TABLE patient ADD COLUMN referral_channel TEXT
    CHECK (referral_channel IN ('patient', 'walk-in', 'online', 'signage', 'doctor', 'other'));
-- The patient who recommended this one (referral_channel = 'patient').
ALTER TABLE patient ADD COLUMN referred_by TEXT REFERENCES patient (id);
-- Set when this record was merged into another (the survivor); the record is archived.
ALTER TABLE patient ADD COLUMN merged_into TEXT REFERENCES patient (id);
CREATE INDEX patient_referred_by ON patient (referred_by) WHERE referred_by IS NOT NULL;

-- Phones besides the primary one (patient.phone), in the order staff entered them.
CREATE TABLE patient_phone (
    patient_id TEXT NOT NULL REFERENCES patient (id),
    position   INTEGER NOT NULL,
    number     TEXT NOT NULL,
    label      TEXT,
    PRIMARY KEY (patient_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE patient_condition (
    id         INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient (id),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    icd10      TEXT,
    chronic    INTEGER NOT NULL DEFAULT 0 CHECK (chronic IN (0, 1)),
    since      TEXT
) STRICT;
CREATE INDEX patient_condition_patient ON patient_condition (patient_id);

CREATE TABLE patient_allergy (
    id         INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient (id),
    substance  TEXT NOT NULL CHECK (length(trim(substance)) > 0),
    reaction   TEXT,
    severity   TEXT CHECK (severity IN ('mild', 'moderate', 'severe', 'life-threatening'))
) STRICT;
CREATE INDEX patient_allergy_patient ON patient_allergy (patient_id);

CREATE TABLE patient_medication (
    id         INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient (id),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    dose       TEXT,
    since      TEXT
) STRICT;
CREATE INDEX patient_medication_patient ON patient_medication (patient_id);

-- The free-text allergies of 0001 become one structured entry each, nothing lost.
INSERT INTO patient_allergy (patient_id, substance)
    SELECT id, trim(allergies) FROM patient WHERE allergies IS NOT NULL AND trim(allergies) <> '';
ALTER TABLE patient DROP COLUMN allergies;

-- Consent is a history, never edited: the latest entry per purpose is what holds now.
CREATE TABLE consent (
    id          INTEGER PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('care', 'reminders', 'marketing', 'research')),
    given       INTEGER NOT NULL CHECK (given IN (0, 1)),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    note        TEXT
) STRICT;
CREATE INDEX consent_patient ON consent (patient_id, purpose, id);

-- Family links, stored in both directions (parent/child, guardian/ward, spouse, sibling).
CREATE TABLE family_link (
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    relative_id TEXT NOT NULL REFERENCES patient (id),
    relation    TEXT NOT NULL CHECK (relation IN ('guardian', 'ward', 'parent', 'child', 'spouse', 'sibling')),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (patient_id, relative_id),
    CHECK (patient_id <> relative_id)
) STRICT, WITHOUT ROWID;

-- Two records of one person made into one: what moved, and the merged record as it was,
-- so a merge is never a silent loss.
CREATE TABLE patient_merge (
    id          TEXT PRIMARY KEY NOT NULL,
    survivor_id TEXT NOT NULL REFERENCES patient (id),
    merged_id   TEXT NOT NULL REFERENCES patient (id),
    merged_at   TEXT NOT NULL,
    merged_by   TEXT NOT NULL,
    -- JSON: {"before": <merged patient>, "visits": [ids], "relinked": {...}}
    details     TEXT NOT NULL
) STRICT;
