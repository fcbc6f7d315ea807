-- A party's name reduced to what identifies it (party::normalise_name), so
-- an import finds the consignor it already knows instead of adding another.
ALTER TABLE party_facts ADD COLUMN name_key TEXT NULL;
CREATE INDEX party_facts_name_key ON party_facts (name_key, country);

-- Manifest imports: their progress while they run and their counts after.
CREATE TABLE imports (
    id              TEXT PRIMARY KEY NOT NULL,
    agency_id       TEXT NOT NULL REFERENCES agencies (id),
    user_id         TEXT NULL REFERENCES users (id),
    file_name       TEXT NOT NULL,
    state           TEXT NOT NULL,
    rows_read       BIGINT NOT NULL DEFAULT 0,
    imported        BIGINT NOT NULL DEFAULT 0,
    duplicates      BIGINT NOT NULL DEFAULT 0,
    rejected        BIGINT NOT NULL DEFAULT 0,
    error           TEXT NULL,
    created_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NULL
);
CREATE INDEX imports_agency ON imports (agency_id, created_at);

-- Why a row of an import was refused, field by field.
CREATE TABLE import_rejections (
    import_id  TEXT NOT NULL REFERENCES imports (id),
    row_number BIGINT NOT NULL,
    field      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (import_id, row_number, field)
);

-- What makes a manifest line the same line again (normalised tracking
-- number and consignor), so re-running an import adds nothing twice.
-- Written in the same transaction as the shipment it stands for.
CREATE TABLE import_keys (
    owner_agency_id TEXT NOT NULL REFERENCES agencies (id),
    line_key        TEXT NOT NULL,
    shipment_id     TEXT NOT NULL REFERENCES records (id),
    PRIMARY KEY (owner_agency_id, line_key)
);

-- Risk scoring asks whether any notice names a record, a page at a time.
CREATE INDEX deconfliction_notices_record ON deconfliction_notices (record_id);
