-- 0018: loyalty — an append-only points ledger, rewards and their vouchers.

-- The programme's rules and its jurisdiction (one JSON value, see src/loyalty/rules.rs;
-- NULL: no jurisdiction chosen yet, the programme is off).
CREATE TABLE loyalty_setting (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  TEXT
) STRICT;
INSERT INTO loyalty_setting (id) VALUES (1);

-- What can be redeemed. Rewards are retired (archived), never deleted: vouchers name them.
CREATE TABLE reward (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL CHECK (length(trim(name)) > 0),
    kind          TEXT NOT NULL CHECK (kind = 'check-up' OR kind = 'discount' OR kind = 'gift'),
    cost_points   INTEGER NOT NULL CHECK (cost_points > 0),
    -- NULL: as many as asked for.
    stock         INTEGER CHECK (stock >= 0),
    -- Inclusive local dates; NULL: open-ended.
    active_from   TEXT,
    active_until  TEXT,
    archived_at   TEXT,
    created_at    TEXT NOT NULL
) STRICT;

-- One redemption: the code the patient shows, what it was for and what became of it.
CREATE TABLE voucher (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    patient_id    TEXT NOT NULL REFERENCES patient (id),
    reward_id     TEXT NOT NULL REFERENCES reward (id),
    points        INTEGER NOT NULL CHECK (points > 0),
    state         TEXT NOT NULL DEFAULT 'issued'
                      CHECK (state = 'issued' OR state = 'used' OR state = 'cancelled'),
    issued_at     TEXT NOT NULL,
    settled_at    TEXT,
    staff         TEXT NOT NULL
) STRICT;
CREATE INDEX voucher_patient ON voucher (patient_id);

-- Every change of a patient's points. Never updated or deleted (the triggers refuse); a
-- mistake is corrected by a reversing entry. Balance = sum(points).
CREATE TABLE points_entry (
    id                   INTEGER PRIMARY KEY,
    patient_id           TEXT NOT NULL REFERENCES patient (id),
    kind                 TEXT NOT NULL CHECK (kind = 'earn' OR kind = 'redeem' OR kind = 'expire'
                             OR kind = 'adjust' OR kind = 'reverse'),
    -- Signed: earn > 0; redeem, expire < 0; adjust and reverse either way.
    points               INTEGER NOT NULL CHECK (points <> 0),
    source               TEXT NOT NULL CHECK (source = 'visit' OR source = 'referral'
                             OR source = 'birthday' OR source = 'reward' OR source = 'staff'
                             OR source = 'expiry'),
    reason               TEXT NOT NULL,
    visit_id             TEXT REFERENCES visit (id),
    referred_patient_id  TEXT REFERENCES patient (id),
    voucher_id           INTEGER REFERENCES voucher (id),
    -- The entry this one reverses; an entry is reversed at most once.
    reverses             INTEGER UNIQUE REFERENCES points_entry (id),
    -- The local day the entry counts from (a visit's day for points earned by it).
    effective_on         TEXT NOT NULL,
    -- Points added: the local day they expire (NULL: never). An expiry entry: the day up
    -- to which it expired points.
    expires_on           TEXT,
    staff                TEXT NOT NULL,
    at                   TEXT NOT NULL,
    CHECK ((kind = 'earn' AND points > 0) OR (kind IN ('redeem', 'expire') AND points < 0)
           OR kind IN ('adjust', 'reverse'))
) STRICT;
CREATE INDEX points_entry_patient ON points_entry (patient_id, id);
-- A visit earns once, a referred patient brings their referrer a bonus once.
CREATE UNIQUE INDEX points_entry_visit_earned ON points_entry (visit_id)
    WHERE kind = 'earn' AND source = 'visit';
CREATE UNIQUE INDEX points_entry_referral_earned ON points_entry (referred_patient_id)
    WHERE kind = 'earn' AND source = 'referral';

CREATE TRIGGER points_entry_never_changes BEFORE UPDATE ON points_entry
BEGIN
    SELECT RAISE(ABORT, 'points entries are never changed: add a reversing entry');
END;
CREATE TRIGGER points_entry_never_deleted BEFORE DELETE ON points_entry
BEGIN
    SELECT RAISE(ABORT, 'points entries are never deleted: add a reversing entry');
END;
