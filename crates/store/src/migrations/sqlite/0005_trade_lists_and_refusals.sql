-- The merchant's trades of a day and the operator's search of trades, newest first, and the
-- operator's payments of a day. Both keys grow with time (creation time, then id), so a
-- payment's insert lands on the last pages of each index instead of anywhere in it.
CREATE INDEX trades_by_merchant_created ON trades (merchant_id, created_at, id);
CREATE INDEX trades_by_created ON trades (created_at, id);

-- The operator's refunds of a day.
CREATE INDEX refunds_by_created ON refunds (created_at);

-- Refused payments per quarter hour, merchant and error code, for the operator's summary:
-- one upsert per refusal (a batch merges its own first), nothing for a payment that
-- succeeds. Quarter hours add up to the days of every time zone. The key begins with the
-- period, so it grows with time too. Kept: a row per quarter hour and code that happened.
CREATE TABLE refusal_counts (
    period_start INTEGER NOT NULL CHECK (period_start % 900000 = 0),
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    code         TEXT NOT NULL,
    refusals     INTEGER NOT NULL CHECK (refusals >= 0),
    PRIMARY KEY (period_start, merchant_id, code)
) STRICT, WITHOUT ROWID;
