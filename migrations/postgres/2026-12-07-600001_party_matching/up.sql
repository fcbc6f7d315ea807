-- Party matching: the blocking index (the keys under which each party is
-- filed: name words, their sounds, joined and misspelt forms, initials,
-- identifiers; see domain::matching::blocking), so the candidates for one
-- party are read from a few short postings instead of every party. Written
-- with the party's other index rows on create and update; parties recorded
-- before this migration are filed by the application at start-up
-- (app::party_matching::backfill), as the keys are computed in Rust.
CREATE TABLE party_match_keys (
    match_key TEXT NOT NULL,
    party_id  UUID NOT NULL REFERENCES records (id),
    PRIMARY KEY (match_key, party_id)
);
CREATE INDEX party_match_keys_party ON party_match_keys (party_id);

-- Investigators' judgements on pairs of parties: same, different or
-- unsure. One row per pair, the lower id first; a later judgement
-- replaces an earlier one (the audit trail keeps every one). A pair judged
-- different is never proposed again; pairs judged same form profiles.
CREATE TABLE party_judgements (
    party_a    UUID NOT NULL REFERENCES records (id),
    party_b    UUID NOT NULL REFERENCES records (id),
    decision   TEXT NOT NULL CHECK (decision IN ('same', 'different', 'unsure')),
    note       TEXT NOT NULL,
    judged_by  UUID NOT NULL REFERENCES users (id),
    judged_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (party_a, party_b),
    CHECK (party_a < party_b)
);
CREATE INDEX party_judgements_b ON party_judgements (party_b);
