CREATE INDEX record_refs_ref ON record_refs (ref_id);
DROP INDEX record_refs_ref_role;
