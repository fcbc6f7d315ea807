DROP INDEX record_identifiers_value;
CREATE INDEX record_identifiers_value ON record_identifiers (kind, value);
