//! DEA filing rules (`reference/filing_rules.toml`): what must be filed for
//! which shipments, and when, each dated and cited.

use serde::{Deserialize, Serialize};

use super::citation::{Dating, Provenance};
use super::raw::{dating_fields, document, entries, RawCitation, RawDate, TableError};
use crate::choice;

choice!(
    /// Which shipments a rule concerns.
    Applicability {
        ListedChemicalImport => "listed_chemical_import",
        ListedChemicalExport => "listed_chemical_export",
        MachineImport => "machine_import",
        MachineExport => "machine_export",
        MachineDomestic => "machine_domestic",
        SuspiciousOrder => "suspicious_order",
    }
);

choice!(
    /// What is filed.
    DeaForm {
        Form486 => "486",
        Form452 => "452",
        SuspiciousOrderReport => "suspicious_order_report",
    }
);

impl DeaForm {
    pub fn label(self) -> &'static str {
        match self {
            Self::Form486 => "DEA Form 486",
            Self::Form452 => "DEA Form 452",
            Self::SuspiciousOrderReport => "a written suspicious-order report",
        }
    }
}

choice!(
    /// When a filing is due, relative to the event (release or transaction).
    Clock {
        BeforeEvent => "before_event",
        AfterEvent => "after_event",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilingRule {
    pub id: String,
    pub name: String,
    pub applies_to: Applicability,
    pub form: DeaForm,
    pub clock: Clock,
    pub days: u32,
    /// What the clock counts from, e.g. "release by a customs officer".
    pub event: String,
    /// A filing counts only once DEA has issued its transaction number.
    pub transaction_id: bool,
    pub dating: Dating,
    pub source: Provenance,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilingRules {
    rules: Vec<FilingRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    applies_to: Applicability,
    form: DeaForm,
    clock: Clock,
    days: u32,
    event: String,
    transaction_id: bool,
    effective: Option<RawDate>,
    in_force_by: Option<RawDate>,
    citation: RawCitation,
    confirmed: bool,
    note: Option<String>,
}

impl FilingRules {
    pub(super) const fn empty() -> Self {
        Self { rules: Vec::new() }
    }

    pub fn parse(text: &str) -> Result<Self, TableError> {
        let doc = document(text)?;
        let mut rules: Vec<FilingRule> = Vec::new();
        for (entry, raw) in entries::<RawRule>(&doc, "rule")? {
            if rules.iter().any(|r| r.id == raw.id) {
                return Err(TableError::new(&entry, "id", "is used twice"));
            }
            for (field, value) in [("name", &raw.name), ("event", &raw.event)] {
                if value.trim().is_empty() {
                    return Err(TableError::new(&entry, field, "must not be empty"));
                }
            }
            if !(1..=366).contains(&raw.days) {
                return Err(TableError::new(&entry, "days", "must be between 1 and 366"));
            }
            let (dating, source) = dating_fields!(raw).check(&entry, "")?;
            rules.push(FilingRule {
                id: raw.id,
                name: raw.name,
                applies_to: raw.applies_to,
                form: raw.form,
                clock: raw.clock,
                days: raw.days,
                event: raw.event,
                transaction_id: raw.transaction_id,
                dating,
                source,
            });
        }
        Ok(Self { rules })
    }

    pub fn rules(&self) -> &[FilingRule] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&FilingRule> {
        self.rules.iter().find(|r| r.id == id)
    }
}
