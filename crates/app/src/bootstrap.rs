//! Opening an installation: the database (migrated), its keys, the audit
//! writer, and on first start the system administrator.

use interdict_domain::audit::AuditAction;
use interdict_domain::user::{check_password, NewUser};
use interdict_persistence::audit::{AuditWriter, AuditWriterThread, Checkpointing};
use interdict_persistence::users::{self, UserRow};
use interdict_persistence::{agencies, settings, Db, PoolOptions};
use rand::RngCore;
use std::sync::Arc;

use crate::auth::password;
use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::{Config, ConfigError, Secret};
use crate::context::{App, Ctx, Keys, RequestMeta};
use crate::error::AppError;
use crate::jobs::Jobs;

pub const ADMIN_USERNAME: &str = "admin";

/// Why an installation could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Storage(#[from] interdict_persistence::Error),
    #[error("{0}")]
    App(#[from] AppError),
}

/// An open installation: its services, and the audit writer's thread.
pub struct Opened {
    pub app: App,
    pub audit_thread: AuditThread,
}

/// The audit writer's thread: joined once every clone of the services is
/// dropped, it has committed everything queued.
pub struct AuditThread(AuditWriterThread);

impl AuditThread {
    pub fn join(self) {
        self.0.join()
    }
}

/// Opens the database (running pending migrations), reads or generates
/// the token and audit keys, and starts the audit writer. Shared by
/// `serve` and every other command.
pub async fn open(config: Config) -> Result<Opened, OpenError> {
    let config = Arc::new(config);
    let (db, jwt_secret, audit_key) = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let pool = PoolOptions {
                size: config.pool_size,
                slow_query: config.slow_query,
            };
            let db = Db::connect(&config.database, pool)?;
            let jwt_secret = key_from(&db, config.jwt_secret.as_ref(), "jwt_secret")?;
            let audit_key = key_from(&db, config.audit_key.as_ref(), "audit_key")?;
            file_parties(&db)?;
            Ok::<_, OpenError>((db, jwt_secret, audit_key))
        })
        .await
        .map_err(AppError::internal)??
    };
    let checkpointing = Checkpointing {
        key: audit_key.clone(),
        every: config.audit_checkpoint_every,
    };
    let (audit, audit_thread) =
        AuditWriter::start(db.clone(), config.audit_max_batch, checkpointing);
    let keys = Keys {
        tokens: TokenKeys::new(
            &jwt_secret,
            &config.issuer,
            &config.audience,
            config.token_ttl,
        ),
        audit: audit_key,
        forms: crate::auth::csrf::form_key(&jwt_secret),
        mfa: crate::auth::mfa::seal_key(&jwt_secret),
    };
    let app = App {
        db,
        audit,
        config,
        keys: Arc::new(keys),
        clock: Clock::System,
        jobs: Jobs::default(),
        throttle: Arc::default(),
        settle: Arc::default(),
        screener: crate::screening::Screener::default(),
    };
    crate::screening::start(&app).await?;
    Ok(Opened {
        app,
        audit_thread: AuditThread(audit_thread),
    })
}

/// Files the parties recorded before the matching index existed, once per
/// database (a setting remembers it is done; later parties are filed as
/// they are written).
fn file_parties(db: &Db) -> Result<(), OpenError> {
    const DONE: &str = "party_match_keys_filed";
    let mut conn = db.get()?;
    if settings::get(&mut conn, DONE)?.is_some() {
        return Ok(());
    }
    let filed = crate::party_matching::backfill(&mut conn)?;
    settings::get_or_insert(&mut conn, DONE, || filed.to_string())?;
    Ok(())
}

/// The configured key, or the one generated on first start and kept in the
/// database under `setting`, so it survives restarts and every instance
/// shares it.
fn key_from(db: &Db, configured: Option<&Secret>, setting: &str) -> Result<Vec<u8>, OpenError> {
    if let Some(secret) = configured {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let mut conn = db.get()?;
    let stored = settings::get_or_insert(&mut conn, setting, || {
        let mut bytes = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    })?;
    hex::decode(stored)
        .map_err(|_| AppError::Internal(format!("the stored {setting} is corrupt")).into())
}

/// A random password that passes the password rule.
pub fn generate_password() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // 24 characters from a 64-symbol alphabet: 144 bits.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.+=@";
    let mut out = String::with_capacity(24);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 0x3f) as usize % ALPHABET.len()] as char);
        }
    }
    out
}

/// Creates the system administrator `admin` when the database has no
/// users. Returns the generated password when none was configured, for
/// the caller to show once.
pub async fn ensure_admin(app: &App) -> Result<Option<Secret>, OpenError> {
    let existing = app
        .db
        .run(|conn| users::count(conn).map_err(AppError::from))
        .await?;
    if existing > 0 {
        return Ok(None);
    }
    let (password, generated) = match &app.config.bootstrap_password {
        Some(password) => (password.expose().to_owned(), false),
        None => (generate_password(), true),
    };
    check_password(&password, &[ADMIN_USERNAME]).map_err(|m| ConfigError {
        key: "INTERDICT_BOOTSTRAP_PASSWORD".into(),
        message: format!("the password {m}"),
    })?;
    let new_user = NewUser::parse(ADMIN_USERNAME, "System administrator", "admin", &password)
        .map_err(AppError::from)?;
    let hash = password::hash_blocking(password.clone()).await?;

    let event =
        Ctx::anonymous(app, RequestMeta::local("startup")).event(AuditAction::SystemBootstrap);
    let created = app
        .audit
        .perform(event, move |conn, event| -> Result<bool, AppError> {
            // Re-checked inside the audit transaction, which serialises
            // instances starting together on one PostgreSQL.
            if users::count(conn)? > 0 {
                return Ok(false);
            }
            // The system agency is created by the migrations.
            let agency_id = agencies::find_system(conn)?
                .map(|agency| agency.id.0)
                .ok_or_else(|| AppError::internal("the system agency is missing"))?;
            let user = UserRow::new(&new_user, agency_id, hash);
            users::insert(conn, &user)?;
            event.object_type = Some("user".into());
            event.object_id = Some(user.id.0.to_string());
            event.agency_id = Some(agency_id);
            Ok(true)
        })
        .await?;
    Ok((created && generated).then(|| Secret::new(password)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_rule_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), 24);
        assert_ne!(a, b);
        assert!(check_password(&a, &[ADMIN_USERNAME]).is_ok());
    }
}
