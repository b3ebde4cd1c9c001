-- 0017: reminders and the daily work list.

-- The reminder rules, their timings and message templates (one JSON value, see
-- src/reminders/rules.rs; NULL: defaults).
CREATE TABLE reminder_setting (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  TEXT
) STRICT;
INSERT INTO reminder_setting (id) VALUES (1);

-- One thing due for one patient ("day-before reminder for appointment X", "second
-- follow-up reminder after visit Y"), written when it falls due so that what was due,
-- whom it reached and what came of it can be counted afterwards (reminder effectiveness).
-- `key` names it uniquely: the same reminder is never due twice.
CREATE TABLE reminder (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    patient_id      TEXT NOT NULL REFERENCES patient (id),
    kind            TEXT NOT NULL CHECK (kind = 'confirmation' OR kind = 'day-before'
                        OR kind = 'same-day' OR kind = 'follow-up' OR kind = 'check-in'
                        OR kind = 'recall' OR kind = 'birthday'),
    -- 1, 2 for a follow-up's reminders, 3 for its staff call; the day after treatment
    -- for a check-in.
    step            INTEGER NOT NULL DEFAULT 1,
    -- The recall rule's key, the check-in's treatment rule.
    rule            TEXT,
    due_date        TEXT NOT NULL,
    expires_date    TEXT NOT NULL,
    appointment_id  TEXT REFERENCES appointment (id),
    visit_id        TEXT REFERENCES visit (id),
    -- open: on the work list; done: an outcome was logged; resolved: no longer needed
    -- (the patient booked, the appointment moved); expired: its time passed unworked;
    -- skipped: never to be contacted (no consent, no way to reach them).
    state           TEXT NOT NULL CHECK (state = 'open' OR state = 'done' OR state = 'resolved'
                        OR state = 'expired' OR state = 'skipped'),
    skip_reason     TEXT,
    -- Calls that went unanswered; two or more make it a call task at the top of the list.
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    closed_at       TEXT
) STRICT;
CREATE INDEX reminder_state_due ON reminder (state, due_date);
CREATE INDEX reminder_patient ON reminder (patient_id);

-- One contact with a patient (a call, a message) and what came of it; it may settle
-- several reminders at once (one contact per patient per day).
CREATE TABLE contact (
    id          INTEGER PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    -- The clinic's local date it was for.
    day         TEXT NOT NULL,
    channel     TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome = 'reached' OR outcome = 'sent'
                    OR outcome = 'no-answer' OR outcome = 'wrong-number' OR outcome = 'booked'
                    OR outcome = 'declined' OR outcome = 'do-not-contact'),
    message     TEXT,
    note        TEXT,
    staff       TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX contact_patient ON contact (patient_id, day);

CREATE TABLE contact_reminder (
    contact_id   INTEGER NOT NULL REFERENCES contact (id),
    reminder_id  INTEGER NOT NULL REFERENCES reminder (id),
    PRIMARY KEY (contact_id, reminder_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_reminder_reminder ON contact_reminder (reminder_id);

-- A post-treatment check-in's answers, stored against the visit it followed.
CREATE TABLE check_in_answer (
    id            INTEGER PRIMARY KEY,
    visit_id      TEXT NOT NULL REFERENCES visit (id),
    -- Days after the visit the check-in was for.
    day           INTEGER NOT NULL,
    pain          INTEGER CHECK (pain BETWEEN 0 AND 10),
    satisfaction  INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    note          TEXT,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
) STRICT;
CREATE INDEX check_in_answer_visit ON check_in_answer (visit_id);
