-- Nothing to restore: kept findings are recomputed when read.
SELECT 1;
