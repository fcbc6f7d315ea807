DROP INDEX deconfliction_notices_record;
DROP TABLE import_keys;
DROP TABLE import_rejections;
DROP TABLE imports;
DROP INDEX party_facts_name_key;
ALTER TABLE party_facts DROP COLUMN name_key;
