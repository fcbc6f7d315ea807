-- Investigators filter shipments by route: from which country, into which
-- state. With both in one index, and the record id with them, the search
-- reads the matching ids from the index alone instead of looking up every
-- shipment from the origin country to check its state. It replaces the
-- origin-only index, its prefix, so a write keeps as many index rows as
-- before.
DROP INDEX shipment_facts_origin;
CREATE INDEX shipment_facts_route ON shipment_facts (origin_country, destination_subdivision, record_id);
