-- 0025: the owner's appointment reports (no-shows, busiest slots, the dashboard) read a
-- period's appointments from this index alone, without a lookup into the table per row:
-- a quarter of a large clinic (~100k appointments) in about half the time.
CREATE INDEX appointment_report ON appointment (starts_ms, status, ends_ms, doctor, created_at, patient_id);
