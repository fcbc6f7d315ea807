//! The audit trail: the writer that chains and commits entries, and the
//! queries that search and verify them.

mod entries;
mod writer;

pub use entries::{head, search, verify, AuditFilter};
pub use writer::{AuditContext, AuditFailure, AuditWriter, AuditWriterThread, Audited};
