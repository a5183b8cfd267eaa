-- The merchant's trades of a day and the operator's search of trades, newest first, and the
-- operator's payments of a day. Both keys grow with time (creation time, then id), so a
-- payment's insert lands on the last pages of each index instead of anywhere in it.
CREATE INDEX trades_by_merchant_created ON trades (merchant_id, created_at, id);
CREATE INDEX trades_by_created ON trades (created_at, id);

-- The operator's refunds of a day.
CREATE INDEX refunds_by_created ON refunds (created_at);

-- Refused payments per quarter hour, merchant and error code, for the operator's summary:
-- one upsert per refusal (a batch merges its own into one statement), nothing for a payment
-- that succeeds. Quarter hours add up to the days of every time zone. The key begins with
-- the period, so it grows with time too. Kept: a row per quarter hour and code that happened.
-- The upsert locks its rows last of everything a payment locks, in key order.
CREATE TABLE refusal_counts (
    period_start BIGINT NOT NULL CONSTRAINT refusal_counts_period_is_a_quarter_hour
                 CHECK (period_start % 900000 = 0),
    merchant_id  BIGINT NOT NULL REFERENCES merchants (id),
    code         TEXT NOT NULL,
    refusals     BIGINT NOT NULL CONSTRAINT refusal_counts_refusals_not_negative
                 CHECK (refusals >= 0),
    CONSTRAINT refusal_counts_pkey PRIMARY KEY (period_start, merchant_id, code)
);
