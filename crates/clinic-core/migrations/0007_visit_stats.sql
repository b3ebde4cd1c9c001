-- 0007: a patient's visit count and latest visit kept on the patient row.
-- Every list and search row shows them; reading them from the visit index cost a random
-- page per patient, which in an encrypted file is a page decrypted — half of a search.
-- Triggers keep them right whoever writes a visit (the form, an import, a merge, the
-- benchmark generator): no writer can forget.
ALTER TABLE patient ADD COLUMN visit_count INTEGER NOT NULL DEFAULT 0;
-- The latest active visit as entered (RFC 3339 with offset) and as Unix milliseconds.
ALTER TABLE patient ADD COLUMN last_visit_at TEXT;
ALTER TABLE patient ADD COLUMN last_visit_ms INTEGER;

UPDATE patient SET
    visit_count = (SELECT count(*) FROM visit v
                   WHERE v.patient_id = patient.id AND v.archived_at IS NULL),
    (last_visit_at, last_visit_ms) = (SELECT v.visited_at, v.visited_at_ms FROM visit v
                   WHERE v.patient_id = patient.id AND v.archived_at IS NULL
                   ORDER BY v.visited_at_ms DESC LIMIT 1);

-- A new visit (the common case, a million times in a large import): add it, no re-count.
-- SET expressions all see the row as it was before this UPDATE.
CREATE TRIGGER visit_stats_after_insert AFTER INSERT ON visit
WHEN NEW.archived_at IS NULL
BEGIN
    UPDATE patient SET
        visit_count = visit_count + 1,
        last_visit_at = CASE WHEN last_visit_ms IS NULL OR NEW.visited_at_ms >= last_visit_ms
                             THEN NEW.visited_at ELSE last_visit_at END,
        last_visit_ms = max(coalesce(last_visit_ms, NEW.visited_at_ms), NEW.visited_at_ms)
    WHERE id = NEW.patient_id;
END;

-- A visit edited, archived, restored or moved to another patient (a merge): count again,
-- for the patient it left and the one it joined.
CREATE TRIGGER visit_stats_after_update
AFTER UPDATE OF patient_id, visited_at, visited_at_ms, archived_at ON visit
BEGIN
    UPDATE patient SET
        visit_count = (SELECT count(*) FROM visit v
                       WHERE v.patient_id = patient.id AND v.archived_at IS NULL),
        (last_visit_at, last_visit_ms) = (SELECT v.visited_at, v.visited_at_ms FROM visit v
                       WHERE v.patient_id = patient.id AND v.archived_at IS NULL
                       ORDER BY v.visited_at_ms DESC LIMIT 1)
    WHERE id IN (OLD.patient_id, NEW.patient_id);
END;

CREATE TRIGGER visit_stats_after_delete AFTER DELETE ON visit
BEGIN
    UPDATE patient SET
        visit_count = (SELECT count(*) FROM visit v
                       WHERE v.patient_id = patient.id AND v.archived_at IS NULL),
        (last_visit_at, last_visit_ms) = (SELECT v.visited_at, v.visited_at_ms FROM visit v
                       WHERE v.patient_id = patient.id AND v.archived_at IS NULL
                       ORDER BY v.visited_at_ms DESC LIMIT 1)
    WHERE id = OLD.patient_id;
END;

-- Everything a list or search row shows, in one compact index by search number: a search's
-- hits are read from ~10 MiB of index instead of ~50 scattered table pages (each one
-- decrypted the first time it is read), so after the first searches of the day they come
-- from the page cache.
CREATE INDEX patient_summary ON patient (search_no, archived_at, name, sex, birth_date, phone,
    payment_type, has_allergies, visit_count, last_visit_at, id);
