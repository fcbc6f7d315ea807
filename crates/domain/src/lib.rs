//! Interdict's business rules, free of I/O so they can be tested without a
//! database: validated value types, the one access policy, the audit hash
//! chain, party matching and sanctions screening.

pub mod advance_data;
pub mod agency;
#[cfg(test)]
mod agreement;
pub mod audit;
pub mod chain;
pub mod chemical;
pub mod codes;
pub mod die_mold;
pub mod equipment;
pub mod identifier;
pub mod labels;
pub mod locode;
pub mod manifest;
pub mod matching;
pub mod party;
pub mod phone;
pub mod policy;
pub mod record;
pub mod regulation;
pub mod review;
pub mod risk;
pub mod sanctions;
pub mod sharing;
pub mod shipment;
pub mod user;
pub mod validation;
pub mod watch;

pub use validation::{FieldError, ValidationErrors};
