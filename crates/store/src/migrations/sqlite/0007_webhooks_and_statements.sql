-- SPEC 7: a merchant's webhook. The signing secret is sealed under the master key like a
-- device secret (the server computes signatures with it, so it cannot be hashed); the four
-- columns are set together or not at all.
ALTER TABLE merchants ADD COLUMN webhook_url TEXT;
ALTER TABLE merchants ADD COLUMN webhook_secret_key_id INTEGER
    CHECK (webhook_secret_key_id >= 0);
ALTER TABLE merchants ADD COLUMN webhook_secret_nonce BLOB;
ALTER TABLE merchants ADD COLUMN webhook_secret_ciphertext BLOB;

-- The outbox: one row per notification, written in the transaction of the change it reports.
-- `next_attempt_at` is set while the event waits for an attempt (or is leased to the instance
-- delivering it); `delivered_at` once a receiver answered 2xx; neither once it was given up.
-- Ids grow with time, so new rows go to the end of the primary key.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    kind            TEXT NOT NULL CHECK (kind IN
                    ('trade.succeeded', 'trade.closed', 'trade.reversed', 'refund.succeeded')),
    data            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    delivered_at    INTEGER,
    next_attempt_at INTEGER,
    last_error      TEXT
) STRICT;

-- The merchant's list, newest first.
CREATE INDEX events_by_merchant ON events (merchant_id, id);
-- The delivery worker's queue: only events waiting for an attempt.
CREATE INDEX events_due ON events (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- Statements and settlements (SPEC 7) find the range of ledger transaction ids of a day here,
-- then the merchants' postings in that range through `postings_by_account`. The key grows with
-- time, so a payment's insert lands on the index's last page.
CREATE INDEX ledger_transactions_by_time ON ledger_transactions (created_at, id);
