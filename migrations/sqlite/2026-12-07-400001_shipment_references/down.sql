DROP INDEX records_reference;
DROP TABLE reference_counters;
ALTER TABLE records DROP COLUMN reference;
