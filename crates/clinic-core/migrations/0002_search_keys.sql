-- 0002: search keys for instant patient search (see src/search.rs).
-- Keys are derived data, rebuilt by the app whenever the way they are made changes; they
-- refer to patients by a local number (stable, unlike rowid, which VACUUM may renumber).
ALTER TABLE patient ADD COLUMN search_no INTEGER;
UPDATE patient SET search_no = rowid;
CREATE UNIQUE INDEX patient_search_no ON patient (search_no);

-- Small facts about this file (e.g. which version of the search keys it holds).
CREATE TABLE meta (
    name   TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
) STRICT;

-- One row per key. rank 0: starts where the name or number starts, in the usual reading;
-- 1: starts the name in a less usual reading of a character (heteronyms); 2: inside.
-- A query is a prefix of a key: one range scan per rank, best rank first.
CREATE TABLE patient_key (
    rank       INTEGER NOT NULL,
    key        TEXT NOT NULL,
    search_no  INTEGER NOT NULL,
    PRIMARY KEY (rank, key, search_no)
) STRICT, WITHOUT ROWID;
-- No index by patient: a patient's old keys are recomputed from their old name and
-- numbers and deleted by primary key (a second index doubled the cost of every import).

-- A patient's visit count and last visit (every list and search row) read from the index
-- alone: one contiguous index range per patient instead of a table page per visit. Pages
-- read are pages decrypted, so this is where an encrypted file gets its speed.
DROP INDEX visit_patient_time;
CREATE INDEX visit_patient_recent ON visit (patient_id, archived_at, visited_at_ms DESC, visited_at);
