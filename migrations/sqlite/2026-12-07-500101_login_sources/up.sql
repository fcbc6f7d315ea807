-- Where each account has signed in from, and failed logins counted per
-- source for sources the account has never signed in from: an attacker
-- who locks an account from an unknown place locks only that place, and
-- the owner signing in from a known one is not locked out.

CREATE TABLE login_sources (
    user_id        TEXT NOT NULL REFERENCES users (id),
    source         TEXT NOT NULL,
    last_signed_in TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, source)
);

CREATE TABLE login_lockouts (
    user_id       TEXT NOT NULL REFERENCES users (id),
    source        TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TIMESTAMP NULL,
    PRIMARY KEY (user_id, source)
);
