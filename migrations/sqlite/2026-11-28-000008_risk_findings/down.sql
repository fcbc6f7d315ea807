DROP TABLE risk_findings;
