-- 0011: every backup attempt, good or not: "last good backup" and what went wrong.
CREATE TABLE backup_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    folder      TEXT NOT NULL,
    file        TEXT,
    bytes       INTEGER,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    error_code  TEXT,
    message     TEXT,
    by          TEXT NOT NULL
) STRICT;
CREATE INDEX backup_log_ok ON backup_log (ok, at);
