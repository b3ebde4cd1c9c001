-- 0004: the id a patient had in the system or spreadsheet they were imported from, so a
-- second import of the same file updates them instead of registering them twice.
ALTER TABLE patient ADD COLUMN external_id TEXT;
CREATE INDEX patient_external_id ON patient (external_id) WHERE external_id IS NOT NULL;
