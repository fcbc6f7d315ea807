DELETE FROM chemical_facts WHERE record_id IN (SELECT id FROM records WHERE created_by IS NULL AND kind = 'chemical');
DELETE FROM record_versions WHERE record_id IN (SELECT id FROM records WHERE created_by IS NULL AND kind = 'chemical');
DELETE FROM records WHERE created_by IS NULL AND kind = 'chemical';
