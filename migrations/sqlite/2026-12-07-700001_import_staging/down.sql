DROP TABLE import_lines;
ALTER TABLE imports DROP COLUMN accepted_at;
ALTER TABLE imports DROP COLUMN settled;
ALTER TABLE imports DROP COLUMN accepted;
