-- 0001: patients and visits.
-- Sync-ready: UUID text keys, created_at/updated_at in UTC (RFC 3339), soft delete via archived_at.
PRAGMA application_id = 1129074243; -- 'CLNC': tells our files from other SQLite files

CREATE TABLE patient (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL CHECK (length(trim(name)) > 0),
    -- lower-cased name for case-insensitive Latin search
    name_fold     TEXT NOT NULL,
    sex           TEXT CHECK (sex IN ('M', 'F', 'O')),
    birth_date    TEXT,          -- ISO date; age is computed, never stored
    phone         TEXT,
    -- digits only, for phone search whatever the spacing
    phone_digits  TEXT,
    email         TEXT,
    address       TEXT,
    payment_type  TEXT CHECK (payment_type IN ('self-pay', 'public-insurance', 'commercial-insurance')),
    allergies     TEXT,
    notes         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    archived_at   TEXT
) STRICT;

CREATE INDEX patient_name_fold ON patient (name_fold);
CREATE INDEX patient_phone_digits ON patient (phone_digits);
CREATE INDEX patient_updated ON patient (updated_at);

CREATE TABLE visit (
    id               TEXT PRIMARY KEY NOT NULL,
    patient_id       TEXT NOT NULL REFERENCES patient (id),
    -- as entered, with its UTC offset (RFC 3339)
    visited_at       TEXT NOT NULL,
    -- the same instant in Unix milliseconds, for ordering across offsets
    visited_at_ms    INTEGER NOT NULL,
    department       TEXT NOT NULL CHECK (length(trim(department)) > 0),
    doctor           TEXT,
    visit_type       TEXT NOT NULL CHECK (visit_type IN ('first', 'return', 'specialist', 'emergency')),
    chief_complaint  TEXT,
    diagnosis        TEXT,
    treatment        TEXT,
    -- money as exact integer minor units (fen / cents), never floats
    amount_minor     INTEGER CHECK (amount_minor >= 0),
    satisfaction     INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    feedback         TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    archived_at      TEXT
) STRICT;

CREATE INDEX visit_patient_time ON visit (patient_id, visited_at_ms DESC);
