//! Interdict's HTTP service: the JSON API, the pages, authentication, error mapping,
//! the OpenAPI document, and the `interdict` command line.

pub mod assessment;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod import;
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
