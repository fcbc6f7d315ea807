-- Every shipment gets a reference people can read and say on the phone:
-- its agency's ORI, the year it was recorded and a number counted per
-- agency and year, e.g. TXHSI0100-2026-000123. The counter row is raised
-- (and so locked) in the transaction that writes the shipment, so two
-- instances of the application never hand out the same number.
ALTER TABLE records ADD COLUMN reference TEXT NULL;

CREATE TABLE reference_counters (
    agency_id UUID NOT NULL REFERENCES agencies (id),
    year      INTEGER NOT NULL,
    last      BIGINT NOT NULL,
    PRIMARY KEY (agency_id, year)
);

-- Shipments recorded before references existed, numbered in the order
-- they were recorded.
WITH counted AS (
    SELECT r.id, a.ori, EXTRACT(YEAR FROM r.created_at)::int AS year,
           (ROW_NUMBER() OVER (
               PARTITION BY r.owner_agency_id, EXTRACT(YEAR FROM r.created_at)
               ORDER BY r.created_at, r.id))::text AS n
    FROM records r JOIN agencies a ON a.id = r.owner_agency_id
    WHERE r.kind = 'shipment'
), numbered AS (
    SELECT id, ori || '-' || year || '-' || lpad(n, GREATEST(6, length(n)), '0') AS reference
    FROM counted
)
UPDATE records SET reference = numbered.reference FROM numbered WHERE numbered.id = records.id;

INSERT INTO reference_counters (agency_id, year, last)
SELECT owner_agency_id, EXTRACT(YEAR FROM created_at)::int, COUNT(*)
FROM records WHERE kind = 'shipment'
GROUP BY owner_agency_id, EXTRACT(YEAR FROM created_at)::int;

CREATE UNIQUE INDEX records_reference ON records (reference);
