-- The registry: parties, chemicals, equipment, die molds and shipments share
-- one table for ownership, sharing, versions and withdrawal; per-kind fact
-- tables and the identifier and reference tables serve search and
-- deconfliction.

-- The agency that operates the installation owns the chemical catalogue.
INSERT INTO agencies (id, name, level, jurisdiction, ori, contact, is_system, created_at)
SELECT '00000000-0000-7000-8000-000000000001', 'Interdict system', 'federal', 'US', 'DCINTRDCT',
       'The administrators of this Interdict installation', TRUE, '2026-11-28 00:00:00'
WHERE NOT EXISTS (SELECT 1 FROM agencies WHERE is_system);

CREATE TABLE records (
    id                  TEXT PRIMARY KEY NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('party', 'chemical', 'equipment', 'die_mold', 'shipment')),
    owner_agency_id     TEXT NOT NULL REFERENCES agencies (id),
    scope_kind          TEXT NOT NULL CHECK (scope_kind IN ('agency', 'task_force', 'all')),
    scope_task_force_id TEXT NULL REFERENCES task_forces (id),
    version             BIGINT NOT NULL,
    -- The record as last validated, in canonical JSON.
    body                TEXT NOT NULL,
    -- Lower-cased names and descriptions for free-text search, and for a
    -- shipment the names of its parties (kept current when they change).
    search_text         TEXT NOT NULL,
    related_text        TEXT NOT NULL DEFAULT '',
    created_by          TEXT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_by          TEXT NULL,
    updated_at          TIMESTAMP NOT NULL,
    withdrawn_at        TIMESTAMP NULL,
    withdrawn_by        TEXT NULL,
    withdrawn_reason    TEXT NULL,
    CHECK ((scope_kind = 'task_force') = (scope_task_force_id IS NOT NULL))
);
CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX records_owner ON records (owner_agency_id, kind, id);
CREATE INDEX records_task_force ON records (scope_task_force_id, kind, id);

-- Every version of every record, never changed once written.
CREATE TABLE record_versions (
    record_id  TEXT NOT NULL REFERENCES records (id),
    version    BIGINT NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('create', 'update', 'withdraw')),
    changed_by TEXT NULL,
    changed_at TIMESTAMP NOT NULL,
    reason     TEXT NULL,
    scope      TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
);

-- Normalised identifiers. `derived` ones are copied from records a shipment
-- refers to (an equipment serial on a shipment line) and serve search only.
CREATE TABLE record_identifiers (
    record_id       TEXT NOT NULL REFERENCES records (id),
    kind            TEXT NOT NULL,
    value           TEXT NOT NULL,
    owner_agency_id TEXT NOT NULL,
    derived         BOOLEAN NOT NULL,
    PRIMARY KEY (record_id, kind, value)
);
CREATE INDEX record_identifiers_value ON record_identifiers (kind, value);

-- What a record refers to: a shipment's parties (with their role) and lines.
CREATE TABLE record_refs (
    record_id TEXT NOT NULL REFERENCES records (id),
    ref_kind  TEXT NOT NULL,
    ref_id    TEXT NOT NULL REFERENCES records (id),
    role      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (record_id, ref_id, role)
);
CREATE INDEX record_refs_ref ON record_refs (ref_id);

CREATE TABLE chemical_facts (
    record_id  TEXT PRIMARY KEY NOT NULL REFERENCES records (id),
    cas        TEXT NOT NULL UNIQUE,
    us_control TEXT NOT NULL,
    un_table   TEXT NULL
);

CREATE TABLE party_facts (
    record_id  TEXT PRIMARY KEY NOT NULL REFERENCES records (id),
    party_kind TEXT NOT NULL,
    country    TEXT NULL
);

CREATE TABLE equipment_facts (
    record_id        TEXT PRIMARY KEY NOT NULL REFERENCES records (id),
    equipment_kind   TEXT NOT NULL,
    markings_removed BOOLEAN NOT NULL
);

CREATE TABLE die_mold_facts (
    record_id TEXT PRIMARY KEY NOT NULL REFERENCES records (id),
    shape     TEXT NOT NULL
);

-- Origin and destination are derived from the route on every write and
-- kept here only as a search index.
CREATE TABLE shipment_facts (
    record_id               TEXT PRIMARY KEY NOT NULL REFERENCES records (id),
    incident_type           TEXT NOT NULL,
    status                  TEXT NOT NULL,
    mode                    TEXT NOT NULL,
    origin_country          TEXT NOT NULL,
    destination_country     TEXT NOT NULL,
    destination_subdivision TEXT NULL,
    shipped_at              TIMESTAMP NULL
);
CREATE INDEX shipment_facts_origin ON shipment_facts (origin_country);
CREATE INDEX shipment_facts_destination ON shipment_facts (destination_country, destination_subdivision);
CREATE INDEX shipment_facts_shipped ON shipment_facts (shipped_at);

-- "Another agency holds a record with this identifier": what matched and
-- whom to call, never the other record.
CREATE TABLE deconfliction_notices (
    id               TEXT PRIMARY KEY NOT NULL,
    agency_id        TEXT NOT NULL REFERENCES agencies (id),
    record_id        TEXT NOT NULL REFERENCES records (id),
    other_agency_id  TEXT NOT NULL REFERENCES agencies (id),
    identifier_kind  TEXT NOT NULL,
    identifier_value TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    UNIQUE (agency_id, record_id, other_agency_id, identifier_kind, identifier_value)
);
CREATE INDEX deconfliction_notices_agency ON deconfliction_notices (agency_id, id);
