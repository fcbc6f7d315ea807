-- Agencies, task forces, users, token revocation, server settings and the
-- append-only, hash-chained audit trail.

CREATE TABLE agencies (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('federal', 'state', 'territorial', 'local', 'tribal')),
    jurisdiction TEXT NOT NULL,
    ori          TEXT NOT NULL UNIQUE,
    contact      TEXT NOT NULL,
    is_system    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE task_forces (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE task_force_members (
    task_force_id UUID NOT NULL REFERENCES task_forces (id),
    agency_id     UUID NOT NULL REFERENCES agencies (id),
    added_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (task_force_id, agency_id)
);
CREATE INDEX task_force_members_agency ON task_force_members (agency_id);

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    agency_id       UUID NOT NULL REFERENCES agencies (id),
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('investigator', 'supervisor', 'auditor', 'admin')),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash   TEXT NOT NULL,
    -- Bumped whenever the account's standing changes (disabled, new role,
    -- new password) so tokens issued before stop working at once.
    session_version BIGINT NOT NULL DEFAULT 1,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP NULL,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX users_agency ON users (agency_id, id);

CREATE TABLE revoked_tokens (
    jti        UUID PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audit_entries (
    seq         BIGINT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    user_id     UUID NULL,
    agency_id   UUID NULL,
    role        TEXT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NULL,
    object_id   TEXT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
    request_id  TEXT NULL,
    source      TEXT NULL,
    detail      TEXT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL
);
CREATE INDEX audit_entries_agency ON audit_entries (agency_id, seq);
CREATE INDEX audit_entries_user ON audit_entries (user_id, seq);
CREATE INDEX audit_entries_object ON audit_entries (object_type, object_id, seq);
CREATE INDEX audit_entries_time ON audit_entries (occurred_at);

-- The last entry written. Writers lock this row to chain entries in order,
-- and verification compares the chain's end with it, so entries cut from
-- the end are noticed.
CREATE TABLE audit_head (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
