-- 0005: name and phone lookups go through the search keys (0002) now; these two indexes
-- from 0001 only cost time on every insert (measured on a 100k-patient import). The
-- columns stay, still written, for reports and a possible future use.
DROP INDEX patient_name_fold;
DROP INDEX patient_phone_digits;
