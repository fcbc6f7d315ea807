//! US regulation of listed chemicals, controlled substances and tableting
//! machines, as pure rules over dated, cited tables (`reference/controls.toml`
//! and `reference/filing_rules.toml`, built into the program by `bundled`,
//! which the risk rules and the application use).
//!
//! Every rule takes the shipment's date: a chemical controlled in 2023 was
//! not controlled in 2022, a threshold removed in 2010 still applied in
//! 2009, and a filing rule applies only from its effective date. Facts the
//! tables could not confirm in the regulation itself are still used, and
//! every answer built on one says so.

mod bundled;
mod citation;
mod control;
mod filing;
mod findings;
mod imprints;
mod obligations;
mod parse;
mod product;
mod quantity;
mod raw;
mod table;
mod threshold;
mod tier;
mod weights;

#[cfg(test)]
mod acceptance;
#[cfg(test)]
mod table_tests;

pub use bundled::{bundled_error, controls, filing_rules};
pub use citation::{Citation, CitationKind, Dated, Dating, InForce, Provenance};
pub use control::{Basis, ControlAt, Subject};
pub use filing::{Applicability, Clock, DeaForm, FilingRule, FilingRules};
pub use findings::{
    assess_line, cumulative_threshold, threshold_exceeded, unlisted_family_member, ChemicalLine,
    LineAssessment, OtherLine, RegulatoryCode, RegulatoryFinding,
};
pub use imprints::{imprints, imprints_error, normalise_imprint, ImprintTable, LegitimateImprint};
pub use obligations::{
    notice_findings, obligations, DeaFiling, DeaTransaction, Obligation, ObligationReport,
    ObligationStatus, ShipmentFacts,
};
pub use product::{counterfeit_pill, LabResult, ProductForm, ProductLine};
pub use quantity::{
    content, format_grams, Concentration, Content, Density, MissingDensity, Quantity,
};
pub use raw::TableError;
pub use table::{Chemical, ControlTable, Fact, Family, FamilyControl, Membership};
pub use threshold::{
    compare, format_multiple, Comparison, Direction, Limit, Threshold, Unmeasurable,
};
pub use tier::{ChemicalKind, Derivative, Tier};
pub use weights::RegulatoryWeights;
