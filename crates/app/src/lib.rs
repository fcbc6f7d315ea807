//! Interdict's application layer: the use cases.
//!
//! Every adapter — the JSON API, the pages, the command line, the import
//! and the demo loader — calls the typed functions here, never another
//! adapter's handlers. A use case takes a [`Ctx`] (who is asking, and the
//! services: database, audit writer, configuration, keys, clock), decides
//! access through `interdict_domain::policy`, does its work through
//! `interdict_persistence` (which holds all SQL), records its own audit
//! entry — read, write, denied or failed — and answers with view or domain
//! types or one [`AppError`].

pub mod agencies;
pub mod audit_trail;
pub mod auth;
pub mod bootstrap;
pub mod catalogue;
pub mod chains;
pub mod clock;
pub mod config;
mod context;
pub mod deconfliction;
pub mod demo;
pub mod error;
pub mod filters;
pub mod flags;
pub mod imports;
pub mod jobs;
pub mod links;
pub mod pagination;
pub mod party_matching;
pub mod records;
pub mod refusals;
pub mod reports;
pub mod reviews;
mod risk;
pub mod screening;
pub mod shipment_entry;
pub mod shipments;
pub mod suggestions;
pub mod task_forces;
pub mod users;
pub mod watchlists;

pub use bootstrap::{open, OpenError, Opened};
pub use clock::Clock;
pub use config::Config;
pub use context::{App, Authentication, Caller, Ctx, Principal, RequestMeta, User, SYSTEM_ROLE};
pub use error::AppError;

/// A stored time (UTC, without zone) as the UTC time it is.
pub(crate) fn utc(at: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::from_utc_datetime(&chrono::Utc, &at)
}
