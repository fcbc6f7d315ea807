//! Enum values as people read them: the rule lives in
//! `interdict_domain::labels`, shared with the PDF report.

pub use interdict_domain::labels::{control, words};
