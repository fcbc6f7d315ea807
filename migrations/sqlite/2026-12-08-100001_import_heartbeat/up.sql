-- While an import from the command line is accepting, when its acceptance
-- last stored a batch, and a digest of the lines it had read by then: an
-- acceptance that has stored nothing for a while was stopped (its process
-- killed), and running the same file again takes it over, checks by the
-- digest that the file is the same, and completes the import instead of
-- leaving it accepting for ever. NULL for uploads.
ALTER TABLE imports ADD COLUMN heartbeat_at TIMESTAMP NULL;
ALTER TABLE imports ADD COLUMN read_digest TEXT NULL;
