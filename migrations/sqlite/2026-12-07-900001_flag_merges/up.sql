-- One open flag per chain: linking two flagged shipments merges their open
-- flags into one. The flag merged away is closed as `merged`, naming the
-- flag it went into. SQLite cannot change a CHECK constraint in place, so
-- the table is rebuilt; flag_transitions references it by name, and the
-- foreign keys are checked when the migration commits.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE flags_new (
    id              TEXT PRIMARY KEY NOT NULL,
    shipment_id     TEXT NOT NULL REFERENCES records (id),
    owner_agency_id TEXT NOT NULL REFERENCES agencies (id),
    state           TEXT NOT NULL CHECK (state IN ('open', 'under_review', 'confirmed', 'dismissed', 'escalated', 'merged')),
    reason          TEXT NOT NULL,
    score           DOUBLE NOT NULL,
    -- The indicators that fired when the flag was raised, as JSON; merged
    -- flags and later assessments of the chain add theirs.
    indicators      TEXT NOT NULL,
    -- NULL when the system raised the flag because the score crossed the threshold.
    raised_by       TEXT NULL,
    raised_at       TIMESTAMP NOT NULL,
    assigned_to     TEXT NULL,
    escalated_to    TEXT NULL REFERENCES agencies (id),
    version         BIGINT NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    -- The flag this one was merged into (state `merged`).
    merged_into     TEXT NULL REFERENCES flags (id)
);
INSERT INTO flags_new (id, shipment_id, owner_agency_id, state, reason, score, indicators,
                       raised_by, raised_at, assigned_to, escalated_to, version, updated_at)
SELECT id, shipment_id, owner_agency_id, state, reason, score, indicators,
       raised_by, raised_at, assigned_to, escalated_to, version, updated_at
FROM flags;
DROP TABLE flags;
ALTER TABLE flags_new RENAME TO flags;
CREATE INDEX flags_queue ON flags (owner_agency_id, state, id);
CREATE INDEX flags_shipment ON flags (shipment_id);
