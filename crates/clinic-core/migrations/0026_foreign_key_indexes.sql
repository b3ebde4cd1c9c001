-- 0026: an index behind every foreign key. Deleting or re-keying a parent row makes SQLite
-- look for rows that still point at it; without an index on the pointing column that is a
-- pass over the whole table per parent row — erasing one patient of a large clinic (ten
-- visits, their bookings) read the appointment and reminder tables dozens of times.
-- Partial (the column is mostly empty): `column = ?` implies it is not NULL, so SQLite
-- still uses them for those checks. A test asks SQLite's planner for every foreign key.
CREATE INDEX patient_merged_into ON patient (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX family_link_relative ON family_link (relative_id);
CREATE INDEX patient_merge_merged ON patient_merge (merged_id);
CREATE INDEX patient_merge_survivor ON patient_merge (survivor_id);
CREATE INDEX appointment_visit ON appointment (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX appointment_moved_to ON appointment (rescheduled_to) WHERE rescheduled_to IS NOT NULL;
CREATE INDEX reminder_visit ON reminder (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX reminder_appointment ON reminder (appointment_id) WHERE appointment_id IS NOT NULL;
CREATE INDEX voucher_reward ON voucher (reward_id);
CREATE INDEX points_entry_voucher ON points_entry (voucher_id) WHERE voucher_id IS NOT NULL;
CREATE INDEX points_entry_visit ON points_entry (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX points_entry_referred ON points_entry (referred_patient_id)
    WHERE referred_patient_id IS NOT NULL;
