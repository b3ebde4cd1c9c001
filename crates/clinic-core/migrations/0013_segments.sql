-- 0013: the thresholds of the built-in patient segments (one JSON value; NULL: defaults).
CREATE TABLE segment_setting (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    rules  TEXT
) STRICT;
INSERT INTO segment_setting (id) VALUES (1);
