-- Links between shipments, suggestions investigators turned down, and flags
-- with their review history.

CREATE TABLE links (
    id               UUID PRIMARY KEY,
    from_shipment_id UUID NOT NULL REFERENCES records (id),
    to_shipment_id   UUID NOT NULL REFERENCES records (id),
    relation         TEXT NOT NULL CHECK (relation IN ('transshipment', 'reconsignment', 'same_goods', 'same_equipment')),
    evidence         TEXT NOT NULL,
    owner_agency_id  UUID NOT NULL REFERENCES agencies (id),
    created_by       UUID NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    withdrawn_at     TIMESTAMP NULL,
    withdrawn_by     UUID NULL,
    withdrawn_reason TEXT NULL,
    CHECK (from_shipment_id <> to_shipment_id)
);
-- Tracing walks active links both ways.
CREATE INDEX links_from ON links (from_shipment_id) WHERE withdrawn_at IS NULL;
CREATE INDEX links_to ON links (to_shipment_id) WHERE withdrawn_at IS NULL;
CREATE UNIQUE INDEX links_active_pair ON links (from_shipment_id, to_shipment_id) WHERE withdrawn_at IS NULL;

CREATE TABLE link_suggestion_decisions (
    shipment_id  UUID NOT NULL REFERENCES records (id),
    candidate_id UUID NOT NULL REFERENCES records (id),
    decision     TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    decided_by   UUID NOT NULL,
    decided_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (shipment_id, candidate_id)
);

CREATE TABLE flags (
    id              UUID PRIMARY KEY,
    shipment_id     UUID NOT NULL REFERENCES records (id),
    owner_agency_id UUID NOT NULL REFERENCES agencies (id),
    state           TEXT NOT NULL CHECK (state IN ('open', 'under_review', 'confirmed', 'dismissed', 'escalated')),
    reason          TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    -- The indicators that fired when the flag was raised, as JSON.
    indicators      TEXT NOT NULL,
    -- NULL when the system raised the flag because the score crossed the threshold.
    raised_by       UUID NULL,
    raised_at       TIMESTAMP NOT NULL,
    assigned_to     UUID NULL,
    escalated_to    UUID NULL REFERENCES agencies (id),
    version         BIGINT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX flags_queue ON flags (owner_agency_id, state, id);
CREATE INDEX flags_shipment ON flags (shipment_id);

CREATE TABLE flag_transitions (
    flag_id    UUID NOT NULL REFERENCES flags (id),
    version    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NULL,
    to_state   TEXT NOT NULL,
    by_user    UUID NULL,
    at         TIMESTAMP NOT NULL,
    reason     TEXT NULL,
    detail     TEXT NULL,
    PRIMARY KEY (flag_id, version)
);
