-- Imports run in two phases (issue 25). Acceptance stores each checked
-- line here; settlement turns them into shipments in the background.
-- An import's state: accepting, settling, completed or failed.
ALTER TABLE imports ADD COLUMN accepted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN settled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN accepted_at TIMESTAMP NULL;

-- One accepted line: the cells as read (JSON), unique per agency on the
-- line's key (normalised tracking number and consignor), so a re-upload
-- accepts nothing twice. A settler leases lines (lease_owner until
-- lease_until) and marks them settled in the transaction that writes
-- their shipments.
CREATE TABLE import_lines (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    import_id       TEXT NOT NULL REFERENCES imports (id),
    owner_agency_id TEXT NOT NULL REFERENCES agencies (id),
    line_key        TEXT NOT NULL,
    row_number      BIGINT NOT NULL,
    cells           TEXT NOT NULL,
    settled         BOOLEAN NOT NULL DEFAULT 0,
    lease_owner     TEXT NULL,
    lease_until     TIMESTAMP NULL
);
CREATE UNIQUE INDEX import_lines_key ON import_lines (owner_agency_id, line_key);
CREATE INDEX import_lines_unsettled ON import_lines (id) WHERE NOT settled;
CREATE INDEX import_lines_import ON import_lines (import_id, settled);
