ALTER TABLE imports DROP COLUMN read_digest;
ALTER TABLE imports DROP COLUMN heartbeat_at;
