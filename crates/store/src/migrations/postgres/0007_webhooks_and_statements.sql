-- SPEC 7: a merchant's webhook. The signing secret is sealed under the master key like a
-- device secret (the server computes signatures with it, so it cannot be hashed); the four
-- columns are set together or not at all.
ALTER TABLE merchants
    ADD COLUMN webhook_url TEXT,
    ADD COLUMN webhook_secret_key_id BIGINT
        CONSTRAINT merchants_webhook_secret_key_id_in_range
        CHECK (webhook_secret_key_id BETWEEN 0 AND 4294967295),
    ADD COLUMN webhook_secret_nonce BYTEA,
    ADD COLUMN webhook_secret_ciphertext BYTEA,
    ADD CONSTRAINT merchants_webhook_complete CHECK (
        (webhook_url IS NULL) = (webhook_secret_key_id IS NULL)
        AND (webhook_url IS NULL) = (webhook_secret_nonce IS NULL)
        AND (webhook_url IS NULL) = (webhook_secret_ciphertext IS NULL));

-- The outbox: one row per notification, written in the transaction of the change it reports.
-- `next_attempt_at` is set while the event waits for an attempt (or is leased to the instance
-- delivering it); `delivered_at` once a receiver answered 2xx; neither once it was given up.
-- Ids grow with time, so new rows go to the end of the primary key; attempts update rows in
-- place, so pages keep room for those updates.
CREATE TABLE events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT events_pkey PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants (id),
    kind            TEXT NOT NULL CONSTRAINT events_kind_known CHECK (kind IN
                    ('trade.succeeded', 'trade.closed', 'trade.reversed', 'refund.succeeded')),
    data            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0 CONSTRAINT events_attempts_in_range
                    CHECK (attempts BETWEEN 0 AND 4294967295),
    delivered_at    BIGINT,
    next_attempt_at BIGINT,
    last_error      TEXT
) WITH (fillfactor = 80);

-- The merchant's list, newest first.
CREATE INDEX events_by_merchant ON events (merchant_id, id);
-- The delivery worker's queue: only events waiting for an attempt.
CREATE INDEX events_due ON events (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

-- Statements and settlements (SPEC 7) find the range of ledger transaction ids of a day here,
-- then the merchants' postings in that range through `postings_by_account`. The key grows with
-- time, so a payment's insert lands on the index's last page.
CREATE INDEX ledger_transactions_by_time ON ledger_transactions (created_at, id);
