-- Sanctions lists as loaded (each load a version, with its date and
-- counts), the hits of parties screened against them with what a
-- supervisor decided about each, the users' watches, and the
-- notifications a write matching a watch leaves, committed with it.

CREATE TABLE sanctions_lists (
    id           UUID PRIMARY KEY NOT NULL,
    source       TEXT NOT NULL,
    -- The list's publication date, as the loader gave it.
    list_date    TEXT NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    loaded_by    UUID NULL REFERENCES users (id),
    -- The snapshot bundled with Interdict (reference/ofac/): its files are
    -- in the binary, not in this row.
    builtin      BOOLEAN NOT NULL,
    entry_count  INTEGER NOT NULL,
    name_count   INTEGER NOT NULL,
    sdn_csv      TEXT NOT NULL,
    alt_csv      TEXT NOT NULL,
    add_csv      TEXT NOT NULL,
    -- Re-screening every party against it: parties done, and when it ended.
    rescreened   BIGINT NOT NULL DEFAULT 0,
    rescreen_done_at TIMESTAMP NULL
);
CREATE INDEX sanctions_lists_by_date ON sanctions_lists (list_date, loaded_at);

CREATE TABLE screening_hits (
    id           UUID PRIMARY KEY NOT NULL,
    party_id     UUID NOT NULL REFERENCES records (id),
    -- The list version the hit was first found in.
    list_id      UUID NOT NULL REFERENCES sanctions_lists (id),
    entry_id     BIGINT NOT NULL,
    listed_name  TEXT NOT NULL,
    entry_name   TEXT NOT NULL,
    programs     TEXT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    signals      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    -- Whether the party's latest screening still finds it.
    active       BOOLEAN NOT NULL,
    -- `false_positive` once a supervisor so decides; kept, never deleted.
    disposition  TEXT NULL,
    disposition_reason TEXT NULL,
    disposed_by  UUID NULL REFERENCES users (id),
    disposed_at  TIMESTAMP NULL,
    UNIQUE (party_id, entry_id)
);

CREATE TABLE watches (
    id          UUID PRIMARY KEY NOT NULL,
    user_id     UUID NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    -- What writes are matched on: the value normalised.
    match_key   TEXT NOT NULL,
    expires_at  TIMESTAMP NULL,
    muted       BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    deleted_at  TIMESTAMP NULL
);
CREATE INDEX watches_by_key ON watches (kind, match_key);
CREATE INDEX watches_by_user ON watches (user_id);

CREATE TABLE notifications (
    id          UUID PRIMARY KEY NOT NULL,
    user_id     UUID NOT NULL REFERENCES users (id),
    watch_id    UUID NOT NULL REFERENCES watches (id),
    -- The matching record, only when the subscriber may see it.
    record_id   UUID NULL,
    record_kind TEXT NULL,
    holding_agency_id UUID NOT NULL REFERENCES agencies (id),
    visible     BOOLEAN NOT NULL,
    -- What matched: `write`, `import`, `rescreen`.
    cause       TEXT NOT NULL,
    -- One notification per watch and import: later matches count here.
    batch_key   TEXT NULL,
    match_count BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP NULL
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_by_batch ON notifications (watch_id, batch_key);
