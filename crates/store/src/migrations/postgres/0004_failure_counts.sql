-- SPEC 2.5 points 5 and 6: failed verifications are counted per device and merchant, so that
-- one merchant (or a wallet holder, who knows the code key) cannot lock a device's owner out
-- at other merchants; the count at every merchant together stays on the device row
-- (`failed_attempts`, `locked_until`). A count starts at its first failure (`since`) and
-- lapses one lockout period later. The device's row lock guards these rows: every
-- transaction that reads or writes them holds the device `FOR UPDATE` first.
CREATE TABLE device_failures (
    device_id    BIGINT NOT NULL REFERENCES devices (id),
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    failures     BIGINT NOT NULL CONSTRAINT device_failures_failures_not_negative
                 CHECK (failures >= 0),
    since        BIGINT NOT NULL,
    locked_until BIGINT,
    CONSTRAINT device_failures_pkey PRIMARY KEY (device_id, merchant_id)
) WITH (fillfactor = 80);

-- The merchant failure budget: failed verifications per merchant and minute (minutes since
-- the epoch). A payment locks its merchant's row of the minute (creating it if need be)
-- before it verifies the code, so that concurrent payments on every instance check and count
-- one after the other and cannot overshoot the budget.
CREATE TABLE merchant_failure_minutes (
    merchant_id BIGINT NOT NULL REFERENCES merchants (id),
    minute      BIGINT NOT NULL,
    failures    BIGINT NOT NULL CONSTRAINT merchant_failure_minutes_failures_not_negative
                CHECK (failures >= 0),
    CONSTRAINT merchant_failure_minutes_pkey PRIMARY KEY (merchant_id, minute)
) WITH (fillfactor = 80);

CREATE INDEX merchant_failure_minutes_by_minute ON merchant_failure_minutes (minute);

-- The audit trail is pruned by age.
CREATE INDEX verification_failures_by_time ON verification_failures (at);

-- Slots are drawn at random now; the sequence is gone.
DROP SEQUENCE device_slots;
