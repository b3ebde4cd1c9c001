-- 0022: staff accounts, the roles the owner makes, and the audit log.
-- A role the owner made: a name and the permissions it grants (codes, one per line).
CREATE TABLE staff_role (
    name         TEXT PRIMARY KEY NOT NULL COLLATE NOCASE CHECK (length(trim(name)) > 0),
    permissions  TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

-- role: owner, doctor, front-desk, or the name of a staff_role.
-- password_hash: Argon2id in PHC form (salt and cost inside it).
-- failed_logins / locked_until_ms: the back-off after wrong passwords.
CREATE TABLE staff (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    role             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    disabled_at      TEXT,
    last_sign_in_at  TEXT,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Who did what, when, to which patient. Each entry's hash covers the one before it, so an
-- edited or removed entry breaks the chain from there on; audit_head holds the last link,
-- so a cut-off tail shows too. Never updated or deleted by the application (the triggers
-- refuse it).
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    staff       TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    patient_id  TEXT,
    detail      TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_patient ON audit_log (patient_id, seq) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_staff ON audit_log (staff, seq);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
