//! Interdict's adapters for HTTP and the command line: the JSON API
//! (`routes`), the pages (`pages`), the error mapping, the OpenAPI
//! document, and the `interdict` binary. Every request is decided by a use
//! case of `interdict_app`; nothing here speaks SQL.

/// Prints a line of command output. Unlike `println!`, a closed stdout
/// (`interdict demo | head -1`) is not a panic: the command has done its
/// work, and whoever stopped reading did not want the rest.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod caller;
pub mod cli;
pub mod connection_limits;
pub mod error;
pub mod extract;
pub mod input_guard;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod request_meta;
pub mod routes;
pub mod startup;

pub use interdict_app::Config;
pub use startup::Application;
