//! The audit trail: the writer that chains and commits entries, and the
//! queries that search and verify them.

mod entries;
mod writer;

pub use entries::{checkpoints, head, proof, search, verify, AuditFilter, Proof, VerifyMode};
pub use writer::{
    AuditContext, AuditFailure, AuditWriter, AuditWriterThread, Audited, Checkpointing,
};
