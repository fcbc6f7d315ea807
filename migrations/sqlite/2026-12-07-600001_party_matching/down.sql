DROP TABLE party_judgements;
DROP TABLE party_match_keys;
