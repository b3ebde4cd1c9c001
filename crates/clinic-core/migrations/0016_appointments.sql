-- 0016: the appointment book, the clinic's hours, and the return-by date a doctor gives.

-- One appointment. Times are kept twice: as booked, with the UTC offset of the clinic's
-- zone at that moment (what staff and patients read), and as Unix milliseconds (what
-- overlap checks and day ranges compare, whatever the offset).
CREATE TABLE appointment (
    id             TEXT PRIMARY KEY NOT NULL,
    patient_id     TEXT NOT NULL REFERENCES patient (id),
    starts_at      TEXT NOT NULL,
    starts_ms      INTEGER NOT NULL,
    ends_ms        INTEGER NOT NULL CHECK (ends_ms > starts_ms),
    doctor         TEXT,
    room           TEXT,
    -- What it is for, in staff's words ("scaling", "extraction review").
    reason         TEXT,
    note           TEXT,
    status         TEXT NOT NULL CHECK (status = 'scheduled' OR status = 'confirmed'
                       OR status = 'arrived' OR status = 'completed' OR status = 'no-show'
                       OR status = 'cancelled' OR status = 'rescheduled'),
    -- A moved appointment stays as 'rescheduled' and points at its replacement, so
    -- reports can count moves and lead times.
    rescheduled_to TEXT REFERENCES appointment (id),
    -- The visit recorded when it was completed.
    visit_id       TEXT REFERENCES visit (id),
    booked_by      TEXT NOT NULL,
    status_at      TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;
CREATE INDEX appointment_time ON appointment (starts_ms);
CREATE INDEX appointment_patient ON appointment (patient_id, starts_ms);

-- Working hours per weekday, closed days, slot length and the clinic's time zone (one
-- JSON value, see src/appointments/schedule.rs; NULL: defaults).
CREATE TABLE schedule_setting (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  TEXT
) STRICT;
INSERT INTO schedule_setting (id) VALUES (1);

-- "Come back by …": the date a doctor asks the patient to return; missed follow-up
-- reminders start from it.
ALTER TABLE visit ADD COLUMN follow_up_by TEXT;
