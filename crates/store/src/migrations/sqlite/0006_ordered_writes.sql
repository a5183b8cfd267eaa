-- What a payment writes, kept to few pages (issue 16). In a write-ahead log every page a
-- commit changed is written whole, and written again when it is checkpointed into the
-- database file, so a payment costs about the number of distinct pages its batch dirties, not
-- the bytes of its rows. An index keyed by something scattered (a random number, a user, a
-- device) takes each payment of a batch on a page of its own, and ever more of those pages
-- as the index grows.

-- The timeout closer and the wallet's pending list read only trades waiting for a PIN: their
-- indexes hold only those, so a trade paid without a PIN adds no entry to either. The queries
-- name the status as a literal, which is what lets SQLite use a partial index.
DROP INDEX trades_by_status_deadline;
DROP INDEX trades_by_user_status;
CREATE INDEX trades_user_paying_by_deadline ON trades (confirm_deadline, id)
    WHERE status = 'USER_PAYING';
CREATE INDEX trades_user_paying_by_user ON trades (user_id, created_at, id)
    WHERE status = 'USER_PAYING';

-- Spent codes in step order: the codes a batch spends are of the current step (a few steps
-- for devices of other periods), so they land on the last page or two of the table, where
-- keyed by device they landed on one page per device. A batch looks a device's spent codes up
-- step by step over the window a code can verify in (`SPENT_CODE_WINDOW_STEPS`). The primary
-- key holds the same three columns, so each (D, T, N) is still accepted at most once, ever.
CREATE TABLE spent_offline_codes_by_step (
    step       INTEGER NOT NULL CHECK (step >= 0),
    device_id  INTEGER NOT NULL REFERENCES devices (id),
    code_index INTEGER NOT NULL CHECK (code_index BETWEEN 0 AND 9),
    spent_at   INTEGER NOT NULL,
    PRIMARY KEY (step, device_id, code_index)
) STRICT, WITHOUT ROWID;

INSERT INTO spent_offline_codes_by_step (step, device_id, code_index, spent_at)
SELECT step, device_id, code_index, spent_at FROM spent_offline_codes;

DROP TABLE spent_offline_codes;
ALTER TABLE spent_offline_codes_by_step RENAME TO spent_offline_codes;

-- Postings by transaction were read only by the ledger check, which reads every posting
-- anyway (a sort of them is as good); each payment's two postings added two entries.
DROP INDEX postings_by_transaction;
