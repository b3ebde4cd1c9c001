-- 0006: the full patient profile. Single-valued facts are columns of `patient` (coded
-- values checked here and in src/patients/profile.rs); lists are tables of their own.
-- Checks are written `x = 'a' OR x = 'b'`, not `x IN ('a', 'b', …)`: SQLite builds a
-- temporary table for every IN list of more than two values on every INSERT, which
-- halved the speed of a large import (measured).

ALTER TABLE patient ADD COLUMN region TEXT;
ALTER TABLE patient ADD COLUMN occupation TEXT;
ALTER TABLE patient ADD COLUMN education TEXT
    CHECK (education = 'none' OR education = 'primary' OR education = 'secondary' OR education = 'vocational' OR education = 'tertiary' OR education = 'postgraduate');
ALTER TABLE patient ADD COLUMN marital_status TEXT
    CHECK (marital_status = 'single' OR marital_status = 'married' OR marital_status = 'divorced' OR marital_status = 'widowed' OR marital_status = 'other');
ALTER TABLE patient ADD COLUMN income_band TEXT
    CHECK (income_band = 'low' OR income_band = 'lower-middle' OR income_band = 'middle' OR income_band = 'upper-middle' OR income_band = 'high');
ALTER TABLE patient ADD COLUMN preferred_language TEXT
    CHECK (preferred_language = 'zh-CN' OR preferred_language = 'zh-TW' OR preferred_language = 'en');
ALTER TABLE patient ADD COLUMN insurer TEXT;
ALTER TABLE patient ADD COLUMN policy_number TEXT;
ALTER TABLE patient ADD COLUMN past_history TEXT;
ALTER TABLE patient ADD COLUMN family_history TEXT;
ALTER TABLE patient ADD COLUMN smoking TEXT CHECK (smoking = 'never' OR smoking = 'former' OR smoking = 'current');
ALTER TABLE patient ADD COLUMN alcohol TEXT CHECK (alcohol = 'none' OR alcohol = 'occasional' OR alcohol = 'regular');
ALTER TABLE patient ADD COLUMN exercise TEXT CHECK (exercise = 'rarely' OR exercise = 'weekly' OR exercise = 'most-days');
ALTER TABLE patient ADD COLUMN diet TEXT;
ALTER TABLE patient ADD COLUMN sleep TEXT;
ALTER TABLE patient ADD COLUMN work_pattern TEXT
    CHECK (work_pattern = 'office' OR work_pattern = 'manual' OR work_pattern = 'shift' OR work_pattern = 'student' OR work_pattern = 'retired' OR work_pattern = 'homemaker' OR work_pattern = 'other');
ALTER TABLE patient ADD COLUMN preferred_doctor TEXT;
ALTER TABLE patient ADD COLUMN preferred_channel TEXT
    CHECK (preferred_channel = 'phone' OR preferred_channel = 'sms' OR preferred_channel = 'wechat' OR preferred_channel = 'line' OR preferred_channel = 'email' OR preferred_channel = 'post');
ALTER TABLE patient ADD COLUMN preferred_time TEXT
    CHECK (preferred_time = 'morning' OR preferred_time = 'afternoon' OR preferred_time = 'evening' OR preferred_time = 'any');
ALTER TABLE patient ADD COLUMN referral_channel TEXT
    CHECK (referral_channel = 'patient' OR referral_channel = 'walk-in' OR referral_channel = 'online' OR referral_channel = 'signage' OR referral_channel = 'doctor' OR referral_channel = 'other');
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
    chronic    INTEGER NOT NULL DEFAULT 0 CHECK (chronic = 0 OR chronic = 1),
    since      TEXT
) STRICT;
CREATE INDEX patient_condition_patient ON patient_condition (patient_id);

CREATE TABLE patient_allergy (
    id         INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patient (id),
    substance  TEXT NOT NULL CHECK (length(trim(substance)) > 0),
    reaction   TEXT,
    severity   TEXT CHECK (severity = 'mild' OR severity = 'moderate' OR severity = 'severe' OR severity = 'life-threatening')
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

-- Whether any allergy is on record, kept in the patient row by the code that writes the
-- allergies: every list and search row shows it, and a lookup in patient_allergy per row
-- made encrypted search at 100k patients measurably slower (p95 1.9 → 2.4 ms).
ALTER TABLE patient ADD COLUMN has_allergies INTEGER NOT NULL DEFAULT 0 CHECK (has_allergies IN (0, 1));

-- The free-text allergies of 0001 become one structured entry each, nothing lost.
INSERT INTO patient_allergy (patient_id, substance)
    SELECT id, trim(allergies) FROM patient WHERE allergies IS NOT NULL AND trim(allergies) <> '';
UPDATE patient SET has_allergies = 1 WHERE allergies IS NOT NULL AND trim(allergies) <> '';
ALTER TABLE patient DROP COLUMN allergies;

-- Consent is a history, never edited: the latest entry per purpose is what holds now.
CREATE TABLE consent (
    id          INTEGER PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    purpose     TEXT NOT NULL CHECK (purpose = 'care' OR purpose = 'reminders' OR purpose = 'marketing' OR purpose = 'research'),
    given       INTEGER NOT NULL CHECK (given = 0 OR given = 1),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    note        TEXT
) STRICT;
CREATE INDEX consent_patient ON consent (patient_id, purpose, id);

-- Family links, stored in both directions (parent/child, guardian/ward, spouse, sibling).
CREATE TABLE family_link (
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    relative_id TEXT NOT NULL REFERENCES patient (id),
    relation    TEXT NOT NULL CHECK (relation = 'guardian' OR relation = 'ward' OR relation = 'parent' OR relation = 'child' OR relation = 'spouse' OR relation = 'sibling'),
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
