-- 0008: education handouts given to patients (their timeline), and the clinic's own
-- details printed on every handout.

-- What was given to whom and when: one row per printed handout.
CREATE TABLE handout_given (
    id          TEXT PRIMARY KEY NOT NULL,
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    topic       TEXT NOT NULL,
    language    TEXT NOT NULL,
    plain       INTEGER NOT NULL CHECK (plain IN (0, 1)),
    given_at    TEXT NOT NULL,
    given_by    TEXT NOT NULL
) STRICT;
CREATE INDEX handout_given_patient ON handout_given (patient_id, given_at);

-- The clinic's name, address and phone (one row).
CREATE TABLE clinic_profile (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    name     TEXT NOT NULL DEFAULT '',
    address  TEXT NOT NULL DEFAULT '',
    phone    TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO clinic_profile (id) VALUES (1);
