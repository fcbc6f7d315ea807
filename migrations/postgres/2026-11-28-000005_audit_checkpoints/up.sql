-- Signed checkpoints of the audit chain: (seq, head hash, time) with an
-- HMAC under the audit key, so a check can start from the last good one.
CREATE TABLE audit_checkpoints (
    seq        BIGINT PRIMARY KEY,
    head_hash  BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    signature  BYTEA NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
