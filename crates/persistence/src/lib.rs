//! Interdict's storage: one diesel connection type over SQLite and
//! PostgreSQL, repositories that turn the domain policy into SQL, and the
//! audit writer that commits every action together with its audit entry.
//!
//! Error policy: every function answers with [`Error`], to which diesel's
//! errors are mapped once (`error.rs`); the application layer decides what
//! a failure means to the caller. No diesel type crosses this crate's
//! boundary but the connection, which callers only hand back to it.
//!
//! Hot statements must stay in diesel's statement cache: lookups by key use
//! `get_result` rather than `first` (see `clippy.toml`), a list of one
//! value is asked as `=` (`in_list.rs`), the hottest statements run on the
//! backend's own connection (`native.rs`), and a connection is pinged on
//! checkout only if it is a PostgreSQL one that sat idle.

pub mod agencies;
pub mod audit;
mod bulk_insert;
pub mod chains;
pub mod db;
pub mod deconfliction;
mod error;
pub mod flags;
pub mod imports;
mod in_list;
pub mod logins;
pub mod mfa;
pub mod names;
mod native;
pub mod party_matching;
pub mod records;
pub mod references;
pub mod risk;
pub mod schema;
pub mod screening;
pub mod search;
pub mod settings;
pub mod summary;
pub mod tokens;
pub mod users;
pub mod uuid_type;
pub mod visibility;
pub mod watches;

pub use db::{Backend, DatabaseUrl, Db, DbConnection, InvalidUrl, PoolOptions};
pub use error::{Error, Result};
pub use uuid_type::DbUuid;

/// Rows per multi-row INSERT and per statement of several (`bulk_insert`),
/// and ids per `IN (…)` list: well under both backends' limits on bound
/// parameters (SQLite 32,766; PostgreSQL 65,535) for the widest table.
pub(crate) const CHUNK: usize = 1000;
/// Values bound in one `IN (…)` list, at most.
pub const CHUNK_SIZE: usize = CHUNK;

/// Current time at the microsecond precision both backends store.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}
