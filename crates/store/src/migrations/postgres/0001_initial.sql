-- paycode's first PostgreSQL schema, the same tables as SQLite's first schema. Times are Unix
-- milliseconds and amounts minor units, both BIGINT; hashes, nonces and ciphertexts are BYTEA;
-- enums are TEXT with a CHECK. Counts that the domain holds as u32 are BIGINT with a CHECK, so
-- that every u32 fits without a sign trick.
-- The checks repeat rules the domain already enforces: they are cheap, and they turn a bug into
-- a failed transaction instead of corrupt money.
-- Unique constraints are named explicitly: the store maps each name to what was duplicated.
-- The statements run inside the migration's transaction and create tables in the first schema
-- of the connection's search_path.

CREATE TABLE settings (
    name  TEXT CONSTRAINT settings_pkey PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Balances are updated in place by every payment; the free space left in each page lets
-- PostgreSQL keep those updates on the same page (heap-only tuples).
CREATE TABLE accounts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT accounts_pkey PRIMARY KEY,
    kind       TEXT NOT NULL CONSTRAINT accounts_kind_known
               CHECK (kind IN ('issuance', 'user', 'merchant')),
    balance    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- SPEC 3: no user balance below zero, at every moment.
    CONSTRAINT accounts_user_balance_not_negative CHECK (kind <> 'user' OR balance >= 0)
) WITH (fillfactor = 80);

-- There is exactly one issuance account; the migration creates it.
CREATE UNIQUE INDEX accounts_one_issuance ON accounts (kind) WHERE kind = 'issuance';
INSERT INTO accounts (kind, balance, created_at)
VALUES ('issuance', 0, (extract(epoch FROM now()) * 1000)::bigint);

CREATE TABLE ledger_transactions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT ledger_transactions_pkey PRIMARY KEY,
    kind       TEXT NOT NULL CONSTRAINT ledger_transactions_kind_known
               CHECK (kind IN ('topup', 'payment', 'refund')),
    reference  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE postings (
    id             BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT postings_pkey PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    amount         BIGINT NOT NULL
);

-- Account histories page by transaction id; the ledger check groups postings by transaction.
CREATE INDEX postings_by_account ON postings (account_id, transaction_id);
CREATE INDEX postings_by_transaction ON postings (transaction_id);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT users_pkey PRIMARY KEY,
    username      TEXT NOT NULL CONSTRAINT users_username_key UNIQUE,
    password_hash TEXT NOT NULL,
    pin_hash      TEXT,
    account_id    BIGINT NOT NULL CONSTRAINT users_account_id_key UNIQUE
                  REFERENCES accounts (id),
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA CONSTRAINT sessions_pkey PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE merchants (
    id         BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT merchants_pkey PRIMARY KEY,
    name       TEXT NOT NULL,
    account_id BIGINT NOT NULL CONSTRAINT merchants_account_id_key UNIQUE
               REFERENCES accounts (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT api_keys_pkey PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id),
    key_hash    BYTEA NOT NULL CONSTRAINT api_keys_key_hash_key UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, id);

CREATE TABLE topups (
    reference      TEXT CONSTRAINT topups_pkey PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    amount         BIGINT NOT NULL CONSTRAINT topups_amount_positive CHECK (amount > 0),
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    created_at     BIGINT NOT NULL
);

-- Device slots come from a sequence: nextval is atomic across every server instance and is
-- never rolled back, so a slot is never handed out twice. CACHE 1 (the default, stated because
-- it matters) keeps slots growing in the order they were asked for, whichever instance asks.
CREATE SEQUENCE device_slots AS BIGINT MINVALUE 1 MAXVALUE 999999999 START WITH 1 CACHE 1 NO CYCLE;

-- A device's id is its device slot D (SPEC 2.3: 1..=999_999_999). Failures, lockouts, drift
-- and last use are updated in place, hence the free space.
CREATE TABLE devices (
    id                BIGINT CONSTRAINT devices_pkey PRIMARY KEY
                      CONSTRAINT devices_slot_in_range CHECK (id BETWEEN 1 AND 999999999),
    user_id           BIGINT NOT NULL REFERENCES users (id),
    name              TEXT,
    algorithm         TEXT NOT NULL CONSTRAINT devices_algorithm_known
                      CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    period_seconds    BIGINT NOT NULL CONSTRAINT devices_period_in_range
                      CHECK (period_seconds BETWEEN 1 AND 3600),
    secret_key_id     BIGINT NOT NULL CONSTRAINT devices_secret_key_id_in_range
                      CHECK (secret_key_id BETWEEN 0 AND 4294967295),
    secret_nonce      BYTEA NOT NULL,
    secret_ciphertext BYTEA NOT NULL,
    status            TEXT NOT NULL CONSTRAINT devices_status_known
                      CHECK (status IN ('active', 'revoked')),
    failed_attempts   BIGINT NOT NULL CONSTRAINT devices_failed_attempts_in_range
                      CHECK (failed_attempts BETWEEN 0 AND 4294967295),
    locked_until      BIGINT,
    drift_steps       BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    last_used_at      BIGINT
) WITH (fillfactor = 80);

CREATE INDEX devices_by_user ON devices (user_id, id);

-- An audit trail. The device has no foreign key on purpose: a failure is also worth recording
-- when a decrypted code names a slot that no stored device has.
CREATE TABLE verification_failures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT verification_failures_pkey
                PRIMARY KEY,
    device_id   BIGINT,
    merchant_id BIGINT NOT NULL REFERENCES merchants (id),
    reason      TEXT NOT NULL,
    at          BIGINT NOT NULL
);

-- SPEC 2.5 step 4: each (D, T, N) is accepted at most once, ever. The primary key is what
-- makes that hold under concurrent requests from any number of server instances: a second
-- insert of the same key waits for the first transaction and then finds the row.
CREATE TABLE spent_offline_codes (
    device_id  BIGINT NOT NULL REFERENCES devices (id),
    step       BIGINT NOT NULL CONSTRAINT spent_offline_codes_step_not_negative
               CHECK (step >= 0),
    code_index SMALLINT NOT NULL CONSTRAINT spent_offline_codes_index_in_range
               CHECK (code_index BETWEEN 0 AND 9),
    spent_at   BIGINT NOT NULL,
    CONSTRAINT spent_offline_codes_pkey PRIMARY KEY (device_id, step, code_index)
);

CREATE TABLE online_codes (
    code_hash  BYTEA CONSTRAINT online_codes_pkey PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    device_id  BIGINT REFERENCES devices (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE INDEX online_codes_by_expiry ON online_codes (expires_at);

CREATE TABLE trades (
    id               BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT trades_pkey PRIMARY KEY,
    trade_no         TEXT NOT NULL CONSTRAINT trades_trade_no_key UNIQUE,
    merchant_id      BIGINT NOT NULL REFERENCES merchants (id),
    user_id          BIGINT NOT NULL REFERENCES users (id),
    out_trade_no     TEXT NOT NULL,
    auth_code_hash   BYTEA NOT NULL,
    amount           BIGINT NOT NULL CONSTRAINT trades_amount_positive CHECK (amount > 0),
    refunded_amount  BIGINT NOT NULL CONSTRAINT trades_refunded_amount_in_range
                     CHECK (refunded_amount BETWEEN 0 AND amount),
    status           TEXT NOT NULL CONSTRAINT trades_status_known
                     CHECK (status IN ('USER_PAYING', 'SUCCESS', 'CLOSED', 'REVERSED')),
    subject          TEXT,
    terminal_id      TEXT,
    pin_free         BOOLEAN NOT NULL,
    pin_attempts     BIGINT NOT NULL CONSTRAINT trades_pin_attempts_in_range
                     CHECK (pin_attempts BETWEEN 0 AND 4294967295),
    created_at       BIGINT NOT NULL,
    paid_at          BIGINT,
    confirm_deadline BIGINT,
    finished_at      BIGINT,
    CONSTRAINT trades_merchant_id_out_trade_no_key UNIQUE (merchant_id, out_trade_no)
) WITH (fillfactor = 90);

-- The timeout closer: only trades waiting for a PIN, by deadline. The index is partial, so
-- the queries that use it name the status as a literal (a parameter would keep a generic
-- plan from proving the predicate).
CREATE INDEX trades_user_paying_by_deadline ON trades (confirm_deadline, id)
    WHERE status = 'USER_PAYING';
-- The wallet's pending list.
CREATE INDEX trades_by_user_status ON trades (user_id, status);
-- The daily pin-free total.
CREATE INDEX trades_pin_free_by_user_paid_at ON trades (user_id, paid_at) WHERE pin_free;

CREATE TABLE refunds (
    id            BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT refunds_pkey PRIMARY KEY,
    refund_no     TEXT NOT NULL CONSTRAINT refunds_refund_no_key UNIQUE,
    trade_id      BIGINT NOT NULL REFERENCES trades (id),
    out_refund_no TEXT NOT NULL,
    amount        BIGINT NOT NULL CONSTRAINT refunds_amount_positive CHECK (amount > 0),
    reason        TEXT,
    created_at    BIGINT NOT NULL,
    CONSTRAINT refunds_trade_id_out_refund_no_key UNIQUE (trade_id, out_refund_no)
);
