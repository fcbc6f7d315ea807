DROP INDEX shipment_facts_route;
CREATE INDEX shipment_facts_origin ON shipment_facts (origin_country);
