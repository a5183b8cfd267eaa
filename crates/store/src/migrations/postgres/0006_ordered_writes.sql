-- What a payment writes, kept to few pages (issue 16): after each checkpoint PostgreSQL logs
-- the whole page the first time a page changes, so an index keyed by something scattered
-- costs a page image for nearly every entry soon after a checkpoint.

-- The wallet's pending list reads only trades waiting for a PIN: its index holds only those,
-- so a trade paid without a PIN adds no entry to it (the timeout closer's index is partial
-- since the first migration).
DROP INDEX trades_by_user_status;
CREATE INDEX trades_user_paying_by_user ON trades (user_id, created_at, id)
    WHERE status = 'USER_PAYING';

-- Postings by transaction were read only by the ledger check, which reads every posting
-- anyway (a hash aggregate of them is as good); each payment's two postings added two entries.
DROP INDEX postings_by_transaction;
