-- Deconfliction looks a batch's identifiers up among other agencies'
-- records only. Keyed on (kind, value) alone, the index made it visit,
-- and read the row of, every record of the agency's own sharing a value:
-- an import's phones and e-mails recur under thousands of its earlier
-- lines. With the owner next, the lookup asks for the owners below and
-- above its own, two ranges that skip the agency's entries; `derived` and
-- the record complete the index, so the table is not read.
DROP INDEX record_identifiers_value;
CREATE INDEX record_identifiers_value
    ON record_identifiers (kind, value, owner_agency_id, derived, record_id);
