//! The end-to-end suite as one test binary: each module tells the stories
//! of one part of Interdict, over real HTTP or straight to persistence, on
//! SQLite and PostgreSQL (`both_backends!`). One binary rather than one per
//! file: each would link the whole application again, which on a 2-core
//! machine cost more than running the tests.

mod api_errors;
mod audit;
mod auth;
mod chains;
mod escalation;
mod fixtures;
mod flag_merge;
mod hardening;
mod imports;
mod kill;
mod leaks;
mod limits;
mod metrics;
mod mfa;
mod openapi;
mod pages;
mod party_matching;
mod persistence;
mod policy;
mod queue;
mod readable;
mod references;
mod registry;
mod regulation;
mod reports;
mod screening;
mod summary;
