ALTER TABLE flags DROP COLUMN merged_into;
UPDATE flags SET state = 'dismissed' WHERE state = 'merged';
ALTER TABLE flags DROP CONSTRAINT flags_state_check;
ALTER TABLE flags ADD CONSTRAINT flags_state_check
    CHECK (state IN ('open', 'under_review', 'confirmed', 'dismissed', 'escalated'));
