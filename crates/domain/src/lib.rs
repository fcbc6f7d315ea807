//! Interdict's business rules, free of I/O so they can be tested without a
//! database: validated value types, the one access policy, and the audit
//! hash chain.

pub mod agency;
pub mod audit;
pub mod policy;
pub mod sharing;
pub mod user;
pub mod validation;

pub use validation::{FieldError, ValidationErrors};
