-- Every shipment gets a reference people can read and say on the phone:
-- its agency's ORI, the year it was recorded and a number counted per
-- agency and year, e.g. TXHSI0100-2026-000123. The counter row is raised
-- in the transaction that writes the shipment, so two instances of the
-- application never hand out the same number.
ALTER TABLE records ADD COLUMN reference TEXT NULL;

CREATE TABLE reference_counters (
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    year      INTEGER NOT NULL,
    last      BIGINT NOT NULL,
    PRIMARY KEY (agency_id, year)
);

-- Shipments recorded before references existed, numbered in the order
-- they were recorded.
WITH numbered AS (
    SELECT r.id,
           a.ori || '-' || strftime('%Y', r.created_at) || '-' || printf('%06d', ROW_NUMBER() OVER (
               PARTITION BY r.owner_agency_id, strftime('%Y', r.created_at)
               ORDER BY r.created_at, r.id)) AS reference
    FROM records r JOIN agencies a ON a.id = r.owner_agency_id
    WHERE r.kind = 'shipment'
)
UPDATE records SET reference = (SELECT reference FROM numbered WHERE numbered.id = records.id)
WHERE kind = 'shipment';

INSERT INTO reference_counters (agency_id, year, last)
SELECT owner_agency_id, CAST(strftime('%Y', created_at) AS INTEGER), COUNT(*)
FROM records WHERE kind = 'shipment'
GROUP BY owner_agency_id, strftime('%Y', created_at);

CREATE UNIQUE INDEX records_reference ON records (reference);
