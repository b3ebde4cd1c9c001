-- 0012: automatic backups — daily at a time (local, "HH:MM"; NULL: none) and/or when the
-- app closes; rotation keeps the newest of the last N days and M weeks; "last good backup"
-- turns red after stale_days. Defaults: 12:30 daily, on close, 7 days, 8 weeks, 7 days.
ALTER TABLE backup_setting ADD COLUMN daily_at TEXT DEFAULT '12:30';
ALTER TABLE backup_setting ADD COLUMN on_close INTEGER NOT NULL DEFAULT 1;
ALTER TABLE backup_setting ADD COLUMN keep_daily INTEGER NOT NULL DEFAULT 7;
ALTER TABLE backup_setting ADD COLUMN keep_weekly INTEGER NOT NULL DEFAULT 8;
ALTER TABLE backup_setting ADD COLUMN stale_days INTEGER NOT NULL DEFAULT 7;
