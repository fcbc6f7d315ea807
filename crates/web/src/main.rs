use clap::Parser;
use interdict_web::cli::{self, Cli};
use interdict_web::connection_limits;
use interdict_web::Config;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("interdict: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = match EnvFilter::try_new(&config.log_filter) {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!("interdict: configuration error in INTERDICT_LOG: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // Each connection holds a file descriptor; the default soft limit
    // (often 1024) is far below what the per-source cap allows.
    match connection_limits::raise_open_file_limit() {
        Ok((before, after)) if before != after => {
            tracing::info!(
                before,
                after,
                "raised the open-file limit to its hard limit"
            )
        }
        Ok((_, limit)) => tracing::info!(limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
    // actix's own runtime: it installs the SIGTERM/SIGINT handlers that
    // give a graceful shutdown.
    ExitCode::from(actix_web::rt::System::new().block_on(cli::run(cli, config)))
}
