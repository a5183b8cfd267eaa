-- SPEC 2.5 points 5 and 6: failed verifications are counted per device and merchant, so that
-- one merchant (or a wallet holder, who knows the code key) cannot lock a device's owner out
-- at other merchants; the count at every merchant together stays on the device row
-- (`failed_attempts`, `locked_until`). A count starts at its first failure (`since`) and
-- lapses one lockout period later; the device's lock guards these rows.
CREATE TABLE device_failures (
    device_id    INTEGER NOT NULL REFERENCES devices (id),
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    failures     INTEGER NOT NULL CHECK (failures >= 0),
    since        INTEGER NOT NULL,
    locked_until INTEGER,
    PRIMARY KEY (device_id, merchant_id)
) STRICT, WITHOUT ROWID;

-- The merchant failure budget: failed verifications per merchant and minute (minutes since
-- the epoch), read and counted inside the payment's transaction, so that every instance sees
-- the same count and concurrent payments cannot overshoot it.
CREATE TABLE merchant_failure_minutes (
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    minute      INTEGER NOT NULL,
    failures    INTEGER NOT NULL CHECK (failures >= 0),
    PRIMARY KEY (merchant_id, minute)
) STRICT, WITHOUT ROWID;

CREATE INDEX merchant_failure_minutes_by_minute ON merchant_failure_minutes (minute);

-- The audit trail is pruned by age.
CREATE INDEX verification_failures_by_time ON verification_failures (at);

-- Slots are drawn at random now; the counter is gone.
DROP TABLE device_slots;
