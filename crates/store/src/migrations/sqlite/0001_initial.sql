-- paycode's first SQLite schema. Times are Unix milliseconds, amounts are minor units, both
-- INTEGER. Tables are STRICT so that a wrongly typed value is refused rather than stored.
-- The checks below repeat rules the domain already enforces: they are cheap, and they turn a
-- bug into a failed transaction instead of corrupt money.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('issuance', 'user', 'merchant')),
    balance    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    -- SPEC 3: no user balance below zero, at every moment.
    CHECK (kind <> 'user' OR balance >= 0)
) STRICT;

-- There is exactly one issuance account; the migration creates it.
CREATE UNIQUE INDEX accounts_one_issuance ON accounts (kind) WHERE kind = 'issuance';
INSERT INTO accounts (kind, balance, created_at)
VALUES ('issuance', 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000);

CREATE TABLE ledger_transactions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('topup', 'payment', 'refund')),
    reference  TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE postings (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    amount         INTEGER NOT NULL
) STRICT;

-- Account histories page by transaction id; the ledger check walks postings by transaction.
CREATE INDEX postings_by_account ON postings (account_id, transaction_id);
CREATE INDEX postings_by_transaction ON postings (transaction_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    pin_hash      TEXT,
    account_id    INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE merchants (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    account_id INTEGER NOT NULL UNIQUE REFERENCES accounts (id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    key_hash    BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;

CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, id);

CREATE TABLE topups (
    reference      TEXT PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    created_at     INTEGER NOT NULL
) STRICT;

-- The next device slot to hand out (one row). Allocation also looks at the largest stored
-- device id, so a device stored with an explicit id can never be handed out again.
CREATE TABLE device_slots (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_slot INTEGER NOT NULL CHECK (next_slot >= 1)
) STRICT;
INSERT INTO device_slots (id, next_slot) VALUES (1, 1);

-- A device's id is its device slot D (SPEC 2.3: 1..=999_999_999).
CREATE TABLE devices (
    id                INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 999999999),
    user_id           INTEGER NOT NULL REFERENCES users (id),
    name              TEXT,
    algorithm         TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    period_seconds    INTEGER NOT NULL CHECK (period_seconds BETWEEN 1 AND 3600),
    secret_key_id     INTEGER NOT NULL CHECK (secret_key_id >= 0),
    secret_nonce      BLOB NOT NULL,
    secret_ciphertext BLOB NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    failed_attempts   INTEGER NOT NULL CHECK (failed_attempts >= 0),
    locked_until      INTEGER,
    drift_steps       INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    last_used_at      INTEGER
) STRICT;

CREATE INDEX devices_by_user ON devices (user_id, id);

-- An audit trail. The device has no foreign key on purpose: a failure is also worth recording
-- when a decrypted code names a slot that no stored device has.
CREATE TABLE verification_failures (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER,
    merchant_id INTEGER NOT NULL REFERENCES merchants (id),
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
) STRICT;

-- SPEC 2.5 step 4: each (D, T, N) is accepted at most once, ever. The primary key is what
-- makes that hold under concurrent requests.
CREATE TABLE spent_offline_codes (
    device_id  INTEGER NOT NULL REFERENCES devices (id),
    step       INTEGER NOT NULL CHECK (step >= 0),
    code_index INTEGER NOT NULL CHECK (code_index BETWEEN 0 AND 9),
    spent_at   INTEGER NOT NULL,
    PRIMARY KEY (device_id, step, code_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE online_codes (
    code_hash  BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    device_id  INTEGER REFERENCES devices (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX online_codes_by_expiry ON online_codes (expires_at);

CREATE TABLE trades (
    id               INTEGER PRIMARY KEY,
    trade_no         TEXT NOT NULL UNIQUE,
    merchant_id      INTEGER NOT NULL REFERENCES merchants (id),
    user_id          INTEGER NOT NULL REFERENCES users (id),
    out_trade_no     TEXT NOT NULL,
    auth_code_hash   BLOB NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    refunded_amount  INTEGER NOT NULL CHECK (refunded_amount BETWEEN 0 AND amount),
    status           TEXT NOT NULL
                     CHECK (status IN ('USER_PAYING', 'SUCCESS', 'CLOSED', 'REVERSED')),
    subject          TEXT,
    terminal_id      TEXT,
    pin_free         INTEGER NOT NULL CHECK (pin_free IN (0, 1)),
    pin_attempts     INTEGER NOT NULL CHECK (pin_attempts >= 0),
    created_at       INTEGER NOT NULL,
    paid_at          INTEGER,
    confirm_deadline INTEGER,
    finished_at      INTEGER,
    UNIQUE (merchant_id, out_trade_no)
) STRICT;

-- The timeout closer, the wallet's pending list and the daily pin-free total.
CREATE INDEX trades_by_status_deadline ON trades (status, confirm_deadline);
CREATE INDEX trades_by_user_status ON trades (user_id, status);
CREATE INDEX trades_by_user_paid_at ON trades (user_id, paid_at);

CREATE TABLE refunds (
    id            INTEGER PRIMARY KEY,
    refund_no     TEXT NOT NULL UNIQUE,
    trade_id      INTEGER NOT NULL REFERENCES trades (id),
    out_refund_no TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    reason        TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (trade_id, out_refund_no)
) STRICT;
