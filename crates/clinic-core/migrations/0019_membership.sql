-- 0019: membership tiers, requalified from the trailing 12 months' spend and visits.

-- A patient above the base tier (the base tier has no row). The facts it was given on.
CREATE TABLE membership (
    patient_id    TEXT PRIMARY KEY NOT NULL REFERENCES patient (id),
    tier          TEXT NOT NULL,
    since         TEXT NOT NULL,
    spend_minor   INTEGER NOT NULL,
    visits        INTEGER NOT NULL,
    qualified_on  TEXT NOT NULL
) STRICT;

-- Every change of tier, with the facts that made it.
CREATE TABLE tier_change (
    id           INTEGER PRIMARY KEY,
    patient_id   TEXT NOT NULL REFERENCES patient (id),
    from_tier    TEXT NOT NULL,
    to_tier      TEXT NOT NULL,
    on_day       TEXT NOT NULL,
    spend_minor  INTEGER NOT NULL,
    visits       INTEGER NOT NULL
) STRICT;
CREATE INDEX tier_change_patient ON tier_change (patient_id, id);

-- The day of the last requalification (monthly).
ALTER TABLE loyalty_setting ADD COLUMN tiers_requalified_on TEXT;
