-- Wrong PINs per user (SPEC 4): counted in the database, so that every instance sees the same
-- count; after five in a row every PIN check of the user is refused until `pin_locked_until`.
ALTER TABLE users ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0 CHECK (pin_failures >= 0);
ALTER TABLE users ADD COLUMN pin_locked_until INTEGER;

-- Sessions get an id, a last use and the user agent, so that a user can list and end them.
-- SQLite cannot add a primary key to a table, so the table is made anew.
CREATE TABLE sessions_with_ids (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    user_agent   TEXT
) STRICT;

INSERT INTO sessions_with_ids (token_hash, user_id, created_at, expires_at, last_used_at)
SELECT token_hash, user_id, created_at, expires_at, created_at FROM sessions;

DROP TABLE sessions;
ALTER TABLE sessions_with_ids RENAME TO sessions;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Revoking a device ends its unexpired online codes.
CREATE INDEX online_codes_by_device ON online_codes (device_id) WHERE device_id IS NOT NULL;
