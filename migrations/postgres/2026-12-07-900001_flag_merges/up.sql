-- One open flag per chain: linking two flagged shipments merges their open
-- flags into one. The flag merged away is closed as `merged`, naming the
-- flag it went into.
ALTER TABLE flags DROP CONSTRAINT flags_state_check;
ALTER TABLE flags ADD CONSTRAINT flags_state_check
    CHECK (state IN ('open', 'under_review', 'confirmed', 'dismissed', 'escalated', 'merged'));
ALTER TABLE flags ADD COLUMN merged_into UUID NULL REFERENCES flags (id);
