-- 0003: national / resident ID number (validated in src/idnumber.rs), stored whole so it is
-- searchable, shown masked.
ALTER TABLE patient ADD COLUMN id_number TEXT;
CREATE INDEX patient_id_number ON patient (id_number) WHERE id_number IS NOT NULL;
