//! The `interdict` command line.

use clap::{Args, Parser, Subcommand};
use interdict_domain::audit::{AuditAction, AuditEvent};
use interdict_domain::user::NewUser;
use interdict_persistence::audit::VerifyMode;
use interdict_persistence::users::{self, UserRow};
use interdict_persistence::{agencies, audit, imports};
use std::io::BufRead;

use crate::auth::password;
use crate::config::Config;
use crate::error::ApiError;
use crate::startup::{open, Application, Opened};

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

/// Runs a command; returns the process exit code (0 success, 1 failure or a
/// broken audit chain).
pub async fn run(cli: Cli, config: Config) -> u8 {
    let result = match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => open(&config).await.map(|_| {
            say!("migrations applied to {}", config.database.redacted());
            0
        }),
        Command::User(UserCommand::Add(args)) => user_add(config, args).await,
        Command::Import(args) => import(config, args).await,
        Command::Demo(args) => {
            crate::demo::load(config, args.shipments, args.seed, args.if_absent).await
        }
        Command::Audit(AuditCommand::Verify { since_checkpoint }) => {
            let mode = if since_checkpoint {
                VerifyMode::SinceCheckpoint
            } else {
                VerifyMode::Full
            };
            audit_verify(config, mode).await
        }
    };
    result.unwrap_or_else(|message| {
        eprintln!("interdict: {message}");
        1
    })
}

async fn serve(config: Config) -> Result<u8, String> {
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
    app.run_until_stopped().await.map_err(|e| e.to_string())?;
    tracing::info!("interdict stopped");
    Ok(0)
}

async fn user_add(config: Config, args: UserAdd) -> Result<u8, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password_text = line.trim_end_matches(['\r', '\n']).to_owned();
    let new_user = NewUser::parse(
        &args.username,
        &args.display_name,
        &args.role,
        &password_text,
    )
    .map_err(|e| format!("refused: {e}"))?;
    let Opened {
        db, audit: writer, ..
    } = open(&config).await?;
    let ori = args.agency_ori.map(|o| o.trim().to_ascii_uppercase());
    let hash = password::hash_blocking(password_text)
        .await
        .map_err(|e| e.to_string())?;
    let mut event = AuditEvent::now(AuditAction::UserCreate);
    event.source = Some("cli".into());
    drop(db);
    let created = writer
        .perform(event, move |conn, event| -> Result<UserRow, ApiError> {
            let agency = match &ori {
                Some(ori) => agencies::find_by_ori(conn, ori)?,
                None => agencies::find_system(conn)?,
            }
            .ok_or_else(|| ApiError::bad_request("agency_ori", "no agency has this ORI"))?;
            if users::find_by_username(conn, new_user.username.as_str())?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "the username `{}` is already taken",
                    new_user.username
                )));
            }
            let row = UserRow::new(&new_user, agency.id.0, hash);
            users::insert(conn, &row)?;
            event.object_type = Some("user".into());
            event.object_id = Some(row.id.0.to_string());
            event.agency_id = Some(agency.id.0);
            Ok(row)
        })
        .await
        .map_err(|e| match e {
            ApiError::BadRequest { detail, .. } => detail,
            other => other.to_string(),
        })?;
    say!(
        "created {} ({}) with id {}",
        created.username,
        created.role,
        created.id.0
    );
    Ok(0)
}

async fn import(config: Config, args: ImportArgs) -> Result<u8, String> {
    let file = std::fs::File::open(&args.file)
        .map_err(|e| format!("cannot open {}: {e}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let Opened {
        db, audit: writer, ..
    } = open(&config).await?;
    let username = args.username.trim().to_ascii_lowercase();
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (actor, import_id) = db
        .run(move |conn| -> Result<_, ApiError> {
            let user = users::find_by_username(conn, &username)?
                .filter(|u| u.active)
                .ok_or_else(|| ApiError::bad_request("as", "no active user has this username"))?;
            let actor = interdict_domain::policy::Actor {
                user_id: user.id.0,
                agency_id: user.agency_id.0,
                role: user.role()?,
                task_forces: agencies::task_forces_of(conn, user.agency_id.0)?,
                system_agency: false,
            };
            if interdict_domain::policy::decide_create_record(&actor)
                != interdict_domain::policy::Decision::Allow
            {
                return Err(ApiError::bad_request(
                    "as",
                    "only investigators and supervisors record shipments",
                ));
            }
            let row = imports::ImportRow::start(actor.agency_id, actor.user_id, &file_name);
            imports::insert(conn, &row)?;
            Ok((actor, row.id.0))
        })
        .await
        .map_err(|e| match e {
            ApiError::BadRequest { detail, .. } => detail,
            other => other.to_string(),
        })?;
    let mut event = AuditEvent::now(AuditAction::Import);
    event.user_id = Some(actor.user_id);
    event.agency_id = Some(actor.agency_id);
    event.role = Some(actor.role.as_str().to_owned());
    event.source = Some("cli".into());
    eprintln!("import {import_id}: {}", args.file.display());
    let started = std::time::Instant::now();
    let result = crate::import::run(
        &writer,
        &config.risk,
        &actor,
        event,
        import_id,
        Box::new(std::io::BufReader::with_capacity(1 << 20, file)),
        |p| {
            let rate = p.totals.rows_read as f64 / started.elapsed().as_secs_f64().max(1e-3);
            eprint!(
                "\r{:>5.1}%  {} rows: {} imported, {} already there, {} refused  ({rate:.0} rows/s)   ",
                100.0 * p.bytes_read as f64 / size as f64,
                p.totals.rows_read,
                p.totals.imported,
                p.totals.duplicates,
                p.totals.rejected,
            );
        },
    )
    .await;
    eprintln!();
    let totals = result?;
    let rejections = db
        .run(move |conn| -> Result<_, ApiError> {
            Ok(imports::rejections(conn, import_id, 0, 1000)?)
        })
        .await
        .map_err(|e| e.to_string())?;
    for r in &rejections {
        say!("row {}: {}: {}", r.row_number, r.field, r.reason);
    }
    if totals.rejected as usize > rejections.len() {
        say!("(first 1000 reasons shown; GET /api/v1/imports/{import_id}/rejections has all)");
    }
    say!(
        "{} rows read, {} imported, {} already imported, {} refused in {:.1} s",
        totals.rows_read,
        totals.imported,
        totals.duplicates,
        totals.rejected,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

async fn audit_verify(config: Config, mode: VerifyMode) -> Result<u8, String> {
    let Opened { db, audit_key, .. } = open(&config).await?;
    let report = db
        .run(move |conn| audit::verify(conn, &audit_key, mode))
        .await
        .map_err(|e| e.to_string())?;
    say!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(if report.is_ok() { 0 } else { 1 })
}
