-- Who names a record in a role, in record order: "was this consignor named
-- by an earlier shipment?" becomes one index seek instead of a walk over
-- every shipment that ever named it.
CREATE INDEX record_refs_ref_role ON record_refs (ref_id, role, record_id);
DROP INDEX record_refs_ref;
