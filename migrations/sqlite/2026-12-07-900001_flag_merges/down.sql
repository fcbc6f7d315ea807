PRAGMA defer_foreign_keys = ON;

CREATE TABLE flags_old (
    id              TEXT PRIMARY KEY NOT NULL,
    shipment_id     TEXT NOT NULL REFERENCES records (id),
    owner_agency_id TEXT NOT NULL REFERENCES agencies (id),
    state           TEXT NOT NULL CHECK (state IN ('open', 'under_review', 'confirmed', 'dismissed', 'escalated')),
    reason          TEXT NOT NULL,
    score           DOUBLE NOT NULL,
    indicators      TEXT NOT NULL,
    raised_by       TEXT NULL,
    raised_at       TIMESTAMP NOT NULL,
    assigned_to     TEXT NULL,
    escalated_to    TEXT NULL REFERENCES agencies (id),
    version         BIGINT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
-- A merged flag goes back as dismissed: the older schema has no word for it.
INSERT INTO flags_old
SELECT id, shipment_id, owner_agency_id, CASE state WHEN 'merged' THEN 'dismissed' ELSE state END,
       reason, score, indicators, raised_by, raised_at, assigned_to, escalated_to, version, updated_at
FROM flags;
DROP TABLE flags;
ALTER TABLE flags_old RENAME TO flags;
CREATE INDEX flags_queue ON flags (owner_agency_id, state, id);
CREATE INDEX flags_shipment ON flags (shipment_id);
