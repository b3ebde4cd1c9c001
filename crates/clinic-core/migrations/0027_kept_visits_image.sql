-- 0027: the kept visits (visits::kept) saved in the file, compact (~15 bytes a visit), so
-- that the first report after the file is opened — the owner's dashboard — reads one blob
-- instead of every visit row through SQLCipher (~2 s on the benchmark clinic). The app's
-- warm-up writes it after unlock; it is read only while `visit_change` still reaches back
-- to the entry it was made at, and then caught up patient by patient like the copy in
-- memory. Inside the encrypted file, and in its backups, like everything else.
CREATE TABLE kept_visits_image (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    -- the last visit_change entry it includes
    seen    INTEGER NOT NULL,
    format  INTEGER NOT NULL,
    image   BLOB NOT NULL
) STRICT;

-- It holds patients' names and detractors' comments: a patient deleted (an erasure) or
-- renamed, a comment changed or a visit deleted must not linger in it. It is made again at
-- the next warm-up.
CREATE TRIGGER kept_visits_image_patient_delete AFTER DELETE ON patient
BEGIN
    DELETE FROM kept_visits_image;
END;

CREATE TRIGGER kept_visits_image_patient_rename AFTER UPDATE OF name ON patient
WHEN OLD.name IS NOT NEW.name
BEGIN
    DELETE FROM kept_visits_image;
END;

CREATE TRIGGER kept_visits_image_feedback AFTER UPDATE OF feedback ON visit
WHEN OLD.feedback IS NOT NEW.feedback
BEGIN
    DELETE FROM kept_visits_image;
END;

CREATE TRIGGER kept_visits_image_visit_delete AFTER DELETE ON visit
BEGIN
    DELETE FROM kept_visits_image;
END;

-- A patient registered (with no visit yet) is in the kept visits too — the referrals report
-- counts whom they were referred by — but 0021 logged only changes and deletions: a new
-- patient stayed out of what was kept until their first visit.
CREATE TRIGGER visit_change_patient_insert AFTER INSERT ON patient
BEGIN
    INSERT INTO visit_change (patient_id) VALUES (NEW.id);
END;
