-- What the risk rules found on each shipment, before weighting, as a JSON
-- list. Kept so a read or an export weighs it instead of gathering the
-- shipment's profile again. Every write that can change what the rules
-- see refreshes the rows it affects; a shipment without a row (written
-- before this table existed) is assessed when read.
CREATE TABLE risk_findings (
    record_id UUID PRIMARY KEY NOT NULL REFERENCES records (id),
    findings  TEXT NOT NULL
);
