-- Risk weights now follow the law (domain::regulation): a controlled
-- chemical weighs its control tier on the shipment's date and its quantity
-- against its threshold, and new indicators fire. Findings kept before
-- were made by the old rules, so they are dropped; a shipment without kept
-- findings is assessed from its profile when read, and kept again at its
-- next write. Shipment lines are JSON documents: their new optional
-- `concentration` and the shipment's optional `dea` details need no
-- column, and existing lines stay valid as they are (they were always
-- recorded with a mass or volume unit; no concentration means undiluted).
DELETE FROM risk_findings;
