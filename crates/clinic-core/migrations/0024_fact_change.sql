-- 0024: which patients' classification facts changed, in commit order. The clinic's
-- classification (segments::memo) is kept in memory; on the next question it reads again
-- only the patients named here since it last looked (a visit recorded: one patient, a few
-- milliseconds) instead of classifying the whole clinic again (~0.7 s on the benchmark
-- clinic). Triggers on every table the facts come from write it, so no writer can forget.
-- '*' stands for everyone (the loyalty settings decide every patient's base tier).
CREATE TABLE fact_change (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id  TEXT NOT NULL
) STRICT;

-- The patient's own facts; the referrer's count of referrals.
CREATE TRIGGER fact_change_patient_insert AFTER INSERT ON patient
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (NEW.id);
    INSERT INTO fact_change (patient_id) SELECT NEW.referred_by WHERE NEW.referred_by IS NOT NULL;
END;
CREATE TRIGGER fact_change_patient_update
AFTER UPDATE OF id, name, birth_date, payment_type, sex, smoking, archived_at, referred_by
ON patient
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.id);
    INSERT INTO fact_change (patient_id) SELECT NEW.id WHERE NEW.id IS NOT OLD.id;
    INSERT INTO fact_change (patient_id) SELECT OLD.referred_by WHERE OLD.referred_by IS NOT NULL;
    INSERT INTO fact_change (patient_id)
        SELECT NEW.referred_by WHERE NEW.referred_by IS NOT NULL
                                 AND NEW.referred_by IS NOT OLD.referred_by;
END;
CREATE TRIGGER fact_change_patient_delete AFTER DELETE ON patient
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.id);
    INSERT INTO fact_change (patient_id) SELECT OLD.referred_by WHERE OLD.referred_by IS NOT NULL;
END;

-- Visits: the columns a visit's facts are made of (as the digest, 0020).
CREATE TRIGGER fact_change_visit_insert AFTER INSERT ON visit
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id);
END;
CREATE TRIGGER fact_change_visit_update
AFTER UPDATE OF patient_id, visited_at, visited_at_ms, visit_type, amount_minor,
    satisfaction, nps, follow_up_by, archived_at ON visit
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id)
        SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_visit_delete AFTER DELETE ON visit
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
END;

-- Conditions, grave allergies, tags, appointments, membership and points: any change of
-- the row names its patient (and, moved to another patient by a merge, both).
CREATE TRIGGER fact_change_condition_insert AFTER INSERT ON patient_condition
BEGIN INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id); END;
CREATE TRIGGER fact_change_condition_update AFTER UPDATE ON patient_condition
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id) SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_condition_delete AFTER DELETE ON patient_condition
BEGIN INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id); END;

CREATE TRIGGER fact_change_allergy_insert AFTER INSERT ON patient_allergy
BEGIN INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id); END;
CREATE TRIGGER fact_change_allergy_update AFTER UPDATE ON patient_allergy
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id) SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_allergy_delete AFTER DELETE ON patient_allergy
BEGIN INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id); END;

CREATE TRIGGER fact_change_tagged_insert AFTER INSERT ON patient_tag
BEGIN INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id); END;
CREATE TRIGGER fact_change_tagged_update AFTER UPDATE ON patient_tag
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id) SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_tagged_delete AFTER DELETE ON patient_tag
BEGIN INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id); END;
-- A renamed tag: everyone who carries it.
CREATE TRIGGER fact_change_tag_rename AFTER UPDATE OF name ON tag
BEGIN
    INSERT INTO fact_change (patient_id) SELECT patient_id FROM patient_tag WHERE tag_id = NEW.id;
END;

CREATE TRIGGER fact_change_appointment_insert AFTER INSERT ON appointment
BEGIN INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id); END;
CREATE TRIGGER fact_change_appointment_update
AFTER UPDATE OF patient_id, starts_at, starts_ms, status ON appointment
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id) SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_appointment_delete AFTER DELETE ON appointment
BEGIN INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id); END;

CREATE TRIGGER fact_change_membership_insert AFTER INSERT ON membership
BEGIN INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id); END;
CREATE TRIGGER fact_change_membership_update AFTER UPDATE ON membership
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id) SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_membership_delete AFTER DELETE ON membership
BEGIN INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id); END;

CREATE TRIGGER fact_change_points_insert AFTER INSERT ON points_entry
BEGIN INSERT INTO fact_change (patient_id) VALUES (NEW.patient_id); END;
CREATE TRIGGER fact_change_points_update AFTER UPDATE ON points_entry
BEGIN
    INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id);
    INSERT INTO fact_change (patient_id) SELECT NEW.patient_id WHERE NEW.patient_id IS NOT OLD.patient_id;
END;
CREATE TRIGGER fact_change_points_delete AFTER DELETE ON points_entry
BEGIN INSERT INTO fact_change (patient_id) VALUES (OLD.patient_id); END;

CREATE TRIGGER fact_change_loyalty_setting_insert AFTER INSERT ON loyalty_setting
BEGIN INSERT INTO fact_change (patient_id) VALUES ('*'); END;
CREATE TRIGGER fact_change_loyalty_setting_update AFTER UPDATE ON loyalty_setting
BEGIN INSERT INTO fact_change (patient_id) VALUES ('*'); END;
CREATE TRIGGER fact_change_loyalty_setting_delete AFTER DELETE ON loyalty_setting
BEGIN INSERT INTO fact_change (patient_id) VALUES ('*'); END;

-- Only the recent past is worth keeping: a reader further behind classifies everything again.
CREATE TRIGGER fact_change_prune AFTER INSERT ON fact_change WHEN NEW.seq % 1000 = 0
BEGIN
    DELETE FROM fact_change WHERE seq <= NEW.seq - 20000;
END;
