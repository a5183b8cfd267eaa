-- Wrong PINs per user (SPEC 4): counted in the database, so that every instance sees the same
-- count; after five in a row every PIN check of the user is refused until `pin_locked_until`.
ALTER TABLE users
    ADD COLUMN pin_failures INTEGER NOT NULL DEFAULT 0
        CONSTRAINT users_pin_failures_check CHECK (pin_failures >= 0),
    ADD COLUMN pin_locked_until BIGINT;

-- Sessions get an id, a last use and the user agent, so that a user can list and end them.
ALTER TABLE sessions
    ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT sessions_id_key UNIQUE,
    ADD COLUMN last_used_at BIGINT,
    ADD COLUMN user_agent TEXT;
UPDATE sessions SET last_used_at = created_at;
ALTER TABLE sessions ALTER COLUMN last_used_at SET NOT NULL;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Revoking a device ends its unexpired online codes.
CREATE INDEX online_codes_by_device ON online_codes (device_id) WHERE device_id IS NOT NULL;
