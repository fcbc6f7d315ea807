-- The second factor: one TOTP secret per account (sealed with a key
-- derived from the installation's token key, never stored in the clear),
-- active once confirmed with a code, and single-use recovery codes,
-- stored as Argon2id hashes. Whether MFA is required lives in settings.

CREATE TABLE user_mfa (
    user_id      TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    sealed       TEXT NOT NULL,
    confirmed_at TIMESTAMP NULL,
    -- The last TOTP time step accepted: a code is never accepted twice.
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    position  INTEGER NOT NULL,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP NULL,
    PRIMARY KEY (user_id, position)
);
