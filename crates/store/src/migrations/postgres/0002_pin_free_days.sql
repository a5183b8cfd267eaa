-- The daily pin-free total as a running total per user and UTC day, kept by every insert of a
-- pin-free trade, instead of a sum over the user's trades on every payment (which grew with
-- the number of payments the user made that day). `day` is the day's first millisecond.
-- Its rows change on every pin-free payment, hence the free space (heap-only tuples).
CREATE TABLE pin_free_days (
    user_id BIGINT NOT NULL REFERENCES users (id),
    day     BIGINT NOT NULL CONSTRAINT pin_free_days_day_is_a_day_start
            CHECK (day % 86400000 = 0),
    total   BIGINT NOT NULL CONSTRAINT pin_free_days_total_not_negative CHECK (total >= 0),
    CONSTRAINT pin_free_days_pkey PRIMARY KEY (user_id, day)
) WITH (fillfactor = 80);

INSERT INTO pin_free_days (user_id, day, total)
SELECT user_id, paid_at - paid_at % 86400000, sum(amount)::bigint
FROM trades
WHERE pin_free AND paid_at IS NOT NULL
GROUP BY user_id, paid_at - paid_at % 86400000;

-- Only the sum read this index.
DROP INDEX trades_pin_free_by_user_paid_at;
