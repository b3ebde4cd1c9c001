-- 0009: the clinic's own edited copies of handout texts (used instead of the built-in
-- text for that topic, language and reading level until reset), and the clinic's logo.

CREATE TABLE handout_template (
    topic       TEXT NOT NULL,
    language    TEXT NOT NULL,
    plain       INTEGER NOT NULL CHECK (plain IN (0, 1)),
    source      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (topic, language, plain)
) STRICT;

-- A PNG or JPEG printed at the top left of every handout; NULL: the name alone.
ALTER TABLE clinic_profile ADD COLUMN logo BLOB;
