-- 0023: patients' privacy rights. A record restricted by an erasure request (kept for the
-- legal retention period, used for care only); the privacy settings (jurisdiction,
-- retention, what the front desk sees, auto-lock); and what is left of purged records:
-- anonymous counts by month and department.
ALTER TABLE patient ADD COLUMN restricted_at TEXT;

CREATE TABLE privacy_setting (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  TEXT
) STRICT;
INSERT INTO privacy_setting (id, value) VALUES (1, NULL);

CREATE TABLE anonymous_visit_total (
    month         TEXT NOT NULL,
    department    TEXT NOT NULL,
    visits        INTEGER NOT NULL,
    amount_minor  INTEGER NOT NULL,
    PRIMARY KEY (month, department)
) STRICT;

-- The points ledger is never changed or deleted — except to carry out an erasure
-- request, which marks itself here for the length of its transaction.
CREATE TABLE erasure_in_progress (
    id  INTEGER PRIMARY KEY CHECK (id = 1)
) STRICT;
DROP TRIGGER points_entry_never_changes;
DROP TRIGGER points_entry_never_deleted;
CREATE TRIGGER points_entry_never_changes BEFORE UPDATE ON points_entry
WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress)
BEGIN
    SELECT RAISE(ABORT, 'points entries are never changed: add a reversing entry');
END;
CREATE TRIGGER points_entry_never_deleted BEFORE DELETE ON points_entry
WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress)
BEGIN
    SELECT RAISE(ABORT, 'points entries are never deleted: add a reversing entry');
END;
