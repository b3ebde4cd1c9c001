-- 0020: each patient's visits as the classification reads them, packed in one row.
-- Counting segments read every visit row of the clinic through SQLCipher (~1M rows, 2 s);
-- a patient's few visits packed into one small blob make the same facts a tenth of the
-- pages. The blob is written by the application (segments::digest) when it is missing;
-- these triggers delete it whenever one of the patient's visits changes, so no writer (the
-- form, an import, a merge, a restore of an older schema) can leave a stale one behind.
CREATE TABLE visit_digest (
    patient_id  TEXT PRIMARY KEY NOT NULL,
    visits      BLOB NOT NULL
) STRICT;

CREATE TRIGGER visit_digest_after_insert AFTER INSERT ON visit
BEGIN
    DELETE FROM visit_digest WHERE patient_id = NEW.patient_id;
END;

CREATE TRIGGER visit_digest_after_update
AFTER UPDATE OF patient_id, visited_at, visited_at_ms, visit_type, amount_minor,
    satisfaction, nps, follow_up_by, archived_at ON visit
BEGIN
    DELETE FROM visit_digest WHERE patient_id IN (OLD.patient_id, NEW.patient_id);
END;

CREATE TRIGGER visit_digest_after_delete AFTER DELETE ON visit
BEGIN
    DELETE FROM visit_digest WHERE patient_id = OLD.patient_id;
END;
