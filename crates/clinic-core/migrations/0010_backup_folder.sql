-- 0010: where backups go (a USB disk's folder), remembered for the next backup.
CREATE TABLE backup_setting (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    folder  TEXT
) STRICT;
INSERT INTO backup_setting (id) VALUES (1);
