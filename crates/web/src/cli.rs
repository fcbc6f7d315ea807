//! The `interdict` command line.

use clap::{Args, Parser, Subcommand};
use interdict_domain::audit::AuditEvent;
use interdict_domain::user::NewUser;
use interdict_persistence::audit::VerifyMode;
use interdict_persistence::users::{self, UserRow};
use interdict_persistence::{agencies, audit};
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
            println!("migrations applied to {}", config.database.redacted());
            0
        }),
        Command::User(UserCommand::Add(args)) => user_add(config, args).await,
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
    let mut app = Application::build(config).await?;
    if let Some(password) = app.take_bootstrap_password() {
        // Printed, never logged: this is the only time it is shown.
        println!("================================================================");
        println!(" First start: created the system administrator.");
        println!("   username: admin");
        println!("   password: {}", password.expose());
        println!(" Store it now; it will not be shown again.");
        println!("================================================================");
    }
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
    let mut event = AuditEvent::now("user.create");
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
    println!(
        "created {} ({}) with id {}",
        created.username, created.role, created.id.0
    );
    Ok(0)
}

async fn audit_verify(config: Config, mode: VerifyMode) -> Result<u8, String> {
    let Opened { db, audit_key, .. } = open(&config).await?;
    let report = db
        .run(move |conn| {
            audit::verify(conn, &audit_key, mode)
                .map_err(|e| interdict_persistence::DbUnavailable(e.to_string()))
        })
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(if report.is_ok() { 0 } else { 1 })
}
