-- The daily pin-free total as a running total per user and UTC day, kept by every insert of a
-- pin-free trade, instead of a sum over the user's trades on every payment (which grew with
-- the number of payments the user made that day). `day` is the day's first millisecond.
CREATE TABLE pin_free_days (
    user_id INTEGER NOT NULL REFERENCES users (id),
    day     INTEGER NOT NULL CHECK (day % 86400000 = 0),
    total   INTEGER NOT NULL CHECK (total >= 0),
    PRIMARY KEY (user_id, day)
) STRICT, WITHOUT ROWID;

INSERT INTO pin_free_days (user_id, day, total)
SELECT user_id, paid_at - paid_at % 86400000, sum(amount)
FROM trades
WHERE pin_free = 1 AND paid_at IS NOT NULL
GROUP BY user_id, paid_at - paid_at % 86400000;

-- Only the sum read this index.
DROP INDEX trades_by_user_paid_at;
