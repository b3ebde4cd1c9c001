-- 0021: which patients' visits (or the patient details reports group by) changed, in
-- commit order. The reports keep the clinic's visits in memory (visits::kept) and, on the
-- next report, read again only the patients named here since they last looked, instead of
-- the whole visit table (~1M rows through SQLCipher, ~1.5 s on the benchmark clinic).
-- Triggers write it, so no writer (the form, an import, a merge, an erasure) can forget.
CREATE TABLE visit_change (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id  TEXT NOT NULL
) STRICT;

CREATE TRIGGER visit_change_after_insert AFTER INSERT ON visit
BEGIN
    INSERT INTO visit_change (patient_id) VALUES (NEW.patient_id);
END;

CREATE TRIGGER visit_change_after_update
AFTER UPDATE OF patient_id, visited_at, department, doctor, amount_minor, satisfaction,
    nps, feedback, archived_at ON visit
BEGIN
    INSERT INTO visit_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO visit_change (patient_id)
        SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;

CREATE TRIGGER visit_change_after_delete AFTER DELETE ON visit
BEGIN
    INSERT INTO visit_change (patient_id) VALUES (OLD.patient_id);
END;

CREATE TRIGGER visit_change_patient_update
AFTER UPDATE OF name, payment_type, referral_channel, referred_by, archived_at ON patient
BEGIN
    INSERT INTO visit_change (patient_id) VALUES (NEW.id);
END;

CREATE TRIGGER visit_change_patient_delete AFTER DELETE ON patient
BEGIN
    INSERT INTO visit_change (patient_id) VALUES (OLD.id);
END;

-- Only the recent past is worth keeping: a reader further behind reads everything again.
CREATE TRIGGER visit_change_prune AFTER INSERT ON visit_change WHEN NEW.seq % 1000 = 0
BEGIN
    DELETE FROM visit_change WHERE seq <= NEW.seq - 20000;
END;
