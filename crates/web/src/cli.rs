//! The `interdict` command line: each command opens the installation and
//! calls the application's use cases, as the API does.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use interdict_app::{audit_trail, auth, demo, imports, users, AppError, Config, Ctx, RequestMeta};
use interdict_domain::user::NewUser;
use std::io::BufRead;

use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "interdict",
    version,
    about = "Track suspicious precursor and pill-press shipments across agencies"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrations run first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Work with the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import a manifest CSV as shipments of a user's agency; prints
    /// progress and a report of refused rows.
    Import(ImportArgs),
    /// Sanctions lists.
    #[command(subcommand)]
    Lists(ListsCommand),
    /// Load deterministic demonstration data (agencies, users, records,
    /// chains) into the database.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The manifest file (CSV with a header line; see README).
    pub file: std::path::PathBuf,
    /// The investigator or supervisor the shipments are recorded by.
    #[arg(long = "as", value_name = "USERNAME")]
    pub username: String,
    /// Settle the accepted lines in this process and return when the
    /// import is complete, instead of leaving them to `interdict serve`.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 2000)]
    pub shipments: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Do nothing when demonstration data is already loaded, instead of
    /// failing.
    #[arg(long)]
    pub if_absent: bool,
}

#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Load OFAC's SDN list from a directory holding `sdn.csv`, `alt.csv`
    /// and `add.csv` as a new version; a newer list re-screens every party
    /// before the command ends.
    Load {
        /// The directory with the three files.
        dir: std::path::PathBuf,
        /// The list's publication date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input.
    Add(UserAdd),
}

#[derive(Debug, Args)]
pub struct UserAdd {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub display_name: String,
    /// investigator, supervisor, auditor or admin
    #[arg(long)]
    pub role: String,
    /// The agency's ORI; defaults to the system agency.
    #[arg(long)]
    pub agency_ori: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-hash the chain and check its signed checkpoints; exits 1 if it
    /// is broken.
    Verify {
        /// Re-hash only the entries after the last checkpoint (fast; the
        /// default re-hashes everything).
        #[arg(long)]
        since_checkpoint: bool,
    },
}

/// What a command's failure says to the person who ran it.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Start(#[from] crate::startup::StartError),
    #[error(transparent)]
    Open(#[from] interdict_app::OpenError),
    #[error("{}", explain(.0))]
    App(#[from] AppError),
    #[error("{0}")]
    Io(String),
}

/// An application error in words: a refusal says why, anything else what
/// failed.
fn explain(error: &AppError) -> String {
    match error {
        AppError::BadRequest { detail, .. } | AppError::Conflict(detail) => detail.clone(),
        AppError::Validation(errors) => format!("refused: {errors}"),
        AppError::Internal(cause) | AppError::Unavailable(cause) => cause.clone(),
        other => other.to_string(),
    }
}

/// Runs a command; returns the process exit code (0 success, 1 failure or a
/// broken audit chain).
pub async fn run(cli: Cli, config: Config) -> u8 {
    let result = match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => migrate(config).await,
        Command::User(UserCommand::Add(args)) => user_add(config, args).await,
        Command::Import(args) => import(config, args).await,
        Command::Demo(args) => load_demo(config, args).await,
        Command::Lists(ListsCommand::Load { dir, date }) => lists_load(config, dir, date).await,
        Command::Audit(AuditCommand::Verify { since_checkpoint }) => {
            audit_verify(config, since_checkpoint).await
        }
    };
    result.unwrap_or_else(|failure| {
        eprintln!("interdict: {failure}");
        1
    })
}

async fn serve(config: Config) -> Result<u8, Failure> {
    let database = config.database.redacted();
    let host = match config.bind.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let mut app = Application::build(config).await?;
    if let Some(password) = app.take_bootstrap_password() {
        // Printed, never logged: this is the only time it is shown.
        say!("================================================================");
        say!(" First start: created the system administrator.");
        say!("   username: admin");
        say!("   password: {}", password.expose());
        say!(" Store it now; it will not be shown again.");
        say!("================================================================");
    }
    say!(
        "Interdict is running: open http://{host}:{}/ in your browser.",
        app.port()
    );
    tracing::info!(port = app.port(), %database, "interdict listening");
    app.run_until_stopped()
        .await
        .map_err(|e| Failure::Io(e.to_string()))?;
    tracing::info!("interdict stopped");
    Ok(0)
}

async fn migrate(config: Config) -> Result<u8, Failure> {
    let database = config.database.redacted();
    interdict_app::open(config).await?;
    say!("migrations applied to {database}");
    Ok(0)
}

async fn user_add(config: Config, args: UserAdd) -> Result<u8, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Io(format!("cannot read the password from standard input: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    let new_user = NewUser::parse(&args.username, &args.display_name, &args.role, &password)
        .map_err(AppError::from)?;
    let opened = interdict_app::open(config).await?;
    let created = users::add_by_operator(&opened.app, new_user, password, args.agency_ori).await?;
    say!(
        "created {} ({}) with id {}",
        created.username,
        created.role,
        created.id
    );
    Ok(0)
}

/// A progress bar on standard error, drawn only on a terminal.
fn progress_bar(length: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(length.max(1));
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

async fn import(config: Config, args: ImportArgs) -> Result<u8, Failure> {
    let file = std::fs::File::open(&args.file)
        .map_err(|e| Failure::Io(format!("cannot open {}: {e}", args.file.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let opened = interdict_app::open(config).await?;
    let ctx: Ctx = auth::operator(&opened.app, &args.username).await?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    let bar = progress_bar(size, "accepting {percent:>3}% [{bar:30}] {msg} ({elapsed})");
    let shown = args.file.display().to_string();
    let report = imports::run_file(
        &ctx,
        &file_name,
        Box::new(std::io::BufReader::with_capacity(1 << 20, file)),
        |id, resumed| {
            if resumed > 0 {
                bar.println(format!(
                    "import {id}: {shown}, continued after the {resumed} rows its stopped run read"
                ))
            } else {
                bar.println(format!("import {id}: {shown}"))
            }
        },
        |p| {
            bar.set_position(p.bytes_read);
            let rate = p.totals.rows_read as f64 / started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} rows: {} accepted, {} already accepted, {} refused ({rate:.0} rows/s)",
                p.totals.rows_read, p.totals.accepted, p.totals.duplicates, p.totals.rejected,
            ));
        },
    )
    .await;
    bar.finish_and_clear();
    let report = report?;
    for r in &report.rejections {
        say!("row {}: {}: {}", r.row_number, r.field, r.reason);
    }
    let totals = report.totals;
    if totals.rejected as usize > report.rejections.len() {
        say!(
            "(first 1000 reasons shown; GET /api/v1/imports/{}/rejections has all)",
            report.id
        );
    }
    say!(
        "accepted: {} rows read, {} accepted, {} accepted before, {} refused in {:.1} s",
        totals.rows_read,
        totals.accepted,
        totals.duplicates,
        totals.rejected,
        started.elapsed().as_secs_f64()
    );
    if !args.wait {
        say!(
            "settlement runs in the background of `interdict serve`; GET /api/v1/imports/{} shows its progress",
            report.id
        );
        return Ok(0);
    }
    let settling = std::time::Instant::now();
    let bar = progress_bar(
        totals.accepted.max(1) as u64,
        "settling  {percent:>3}% [{bar:30}] {msg} ({elapsed})",
    );
    let done = imports::wait(&ctx, report.id, |view| {
        bar.set_length(view.accepted.max(1) as u64);
        bar.set_position(view.settled.max(0) as u64);
        bar.set_message(format!(
            "{}/{} settled: {} imported, {} duplicates, {} refused ({:.0} lines/s)",
            view.settled,
            view.accepted,
            view.imported,
            view.duplicates,
            view.rejected,
            view.rate.unwrap_or(0.0)
        ));
    })
    .await;
    bar.finish_and_clear();
    let done = done?;
    say!(
        "{}: {} settled, {} shipments imported, {} already imported, {} refused in all, in {:.1} s",
        done.phase,
        done.settled,
        done.imported,
        done.duplicates,
        done.rejected,
        settling.elapsed().as_secs_f64()
    );
    Ok(0)
}

async fn lists_load(config: Config, dir: std::path::PathBuf, date: String) -> Result<u8, Failure> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| Failure::Io(format!("cannot read {}: {e}", path.display())))
    };
    let request = interdict_app::screening::LoadRequest {
        list_date: date,
        sdn: read("sdn.csv")?,
        alt: read("alt.csv")?,
        add: read("add.csv")?,
    };
    let opened = interdict_app::open(config).await?;
    let list = interdict_app::screening::load_local(&opened.app, request).await?;
    say!(
        "list {} of {}: {} entries, {} names; re-screening parties…",
        list.id,
        list.list_date,
        list.entries,
        list.names
    );
    opened.app.jobs().idle().await;
    say!("done");
    Ok(0)
}

async fn load_demo(config: Config, args: DemoArgs) -> Result<u8, Failure> {
    let opened = interdict_app::open(config).await?;
    let started = std::time::Instant::now();
    let bar = progress_bar(1, "{percent:>3}% [{bar:30}] {msg} ({elapsed})");
    let outcome = demo::load(
        &opened.app,
        args.shipments,
        args.seed,
        args.if_absent,
        |p| {
            bar.set_length(p.cases.max(1));
            bar.set_position(p.cases_done);
            bar.set_message(format!(
                "{} shipments, {} links, {} flags",
                p.loaded.shipments, p.loaded.links, p.loaded.flags
            ));
        },
    )
    .await;
    bar.finish_and_clear();
    match outcome? {
        demo::Outcome::AlreadyLoaded { password } => {
            say!("demonstration data is already loaded");
            say_accounts(&password);
        }
        demo::Outcome::Loaded { loaded, password } => {
            say!(
                "loaded {} agencies, {} users, {} reference records, {} shipments, {} links and {} flags in {:.1} s",
                loaded.agencies,
                loaded.users,
                loaded.reference_records,
                loaded.shipments,
                loaded.links,
                loaded.flags,
                started.elapsed().as_secs_f64()
            );
            say_accounts(&password);
        }
    }
    Ok(0)
}

/// Who to sign in as: shown after every load, and again when the data is
/// already there, so `make run DEMO=1` always says how to get in.
fn say_accounts(password: &str) {
    say!("demo accounts: <role>.<ori>, e.g. investigator.dcfptu000, supervisor.dcfptu000, auditor.dcfptu000, admin.txdps0000");
    say!("demo password: {password}");
}

async fn audit_verify(config: Config, since_checkpoint: bool) -> Result<u8, Failure> {
    let opened = interdict_app::open(config).await?;
    let ctx = Ctx::anonymous(&opened.app, RequestMeta::local("cli"));
    let report = audit_trail::verified(&ctx, since_checkpoint).await?;
    say!(
        "{}",
        serde_json::to_string(&report).map_err(|e| Failure::Io(e.to_string()))?
    );
    Ok(if report.is_ok() { 0 } else { 1 })
}
