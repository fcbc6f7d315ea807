//! Interdict's HTTP service: the JSON API, the pages, authentication, error mapping,
//! the OpenAPI document, and the `interdict` command line.

/// Prints a line of command output. Unlike `println!`, a closed stdout
/// (`interdict demo | head -1`) is not a panic: the command has done its
/// work, and whoever stopped reading did not want the rest.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod assessment;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod import;
pub mod input_guard;
pub mod openapi;
pub mod pages;
pub mod pagination;
pub mod pdf;
pub mod request_meta;
pub mod routes;
pub mod startup;
pub mod state;

pub use config::Config;
pub use startup::Application;
