-- 0015: staff's own tags on patients, and clinic-defined rule segments.

-- A tag: a name staff choose and a colour from the app's palette (names, not hex, so a
-- theme can change the shade).
CREATE TABLE tag (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    colour      TEXT NOT NULL CHECK (colour = 'grey' OR colour = 'red' OR colour = 'orange'
                    OR colour = 'gold' OR colour = 'green' OR colour = 'teal'
                    OR colour = 'blue' OR colour = 'purple' OR colour = 'pink'),
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE patient_tag (
    patient_id  TEXT NOT NULL REFERENCES patient (id),
    tag_id      INTEGER NOT NULL REFERENCES tag (id),
    tagged_at   TEXT NOT NULL,
    tagged_by   TEXT NOT NULL,
    PRIMARY KEY (patient_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX patient_tag_tag ON patient_tag (tag_id);

-- A saved segment: a name and its rule (JSON, see src/segments/custom.rs), evaluated when
-- asked so it is always current.
CREATE TABLE segment (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    description TEXT,
    rule        TEXT NOT NULL,
    -- The ready-made template it started from, if any.
    template    TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
