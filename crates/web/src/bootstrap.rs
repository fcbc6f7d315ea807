//! First start: the system administrator and the token signing secret.

use interdict_domain::audit::{AuditAction, AuditEvent};
use interdict_domain::user::{check_password, NewUser};
use interdict_persistence::agencies;
use interdict_persistence::audit::AuditWriter;
use interdict_persistence::users::{self, UserRow};
use interdict_persistence::{settings, Db};
use rand::RngCore;

use crate::auth::password;
use crate::config::{Config, Secret};
use crate::error::ApiError;

pub const ADMIN_USERNAME: &str = "admin";

/// The configured key, or the one generated on first start and kept in the
/// database under `setting`, so it survives restarts and every instance
/// shares it.
fn key_from(db: &Db, configured: Option<&Secret>, setting: &str) -> Result<Vec<u8>, String> {
    if let Some(secret) = configured {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let stored = settings::get_or_insert(&mut conn, setting, || {
        let mut bytes = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    })
    .map_err(|e| format!("cannot read or store the {setting}: {e}"))?;
    hex::decode(stored).map_err(|_| format!("the stored {setting} is corrupt"))
}

/// The token signing secret.
pub fn jwt_secret(db: &Db, config: &Config) -> Result<Vec<u8>, String> {
    key_from(db, config.jwt_secret.as_ref(), "jwt_secret")
}

/// The audit checkpoint key, separate from the token secret.
pub fn audit_key(db: &Db, config: &Config) -> Result<Vec<u8>, String> {
    key_from(db, config.audit_key.as_ref(), "audit_key")
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

/// Creates the system administrator `admin` when the database has
/// no users. Returns the generated password when none was configured, for
/// the caller to show once.
pub async fn ensure_admin(
    db: &Db,
    audit: &AuditWriter,
    config: &Config,
) -> Result<Option<Secret>, String> {
    let existing = db
        .run(|conn| users::count(conn).map_err(ApiError::from))
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(None);
    }
    let (password, generated) = match &config.bootstrap_password {
        Some(password) => (password.expose().to_owned(), false),
        None => (generate_password(), true),
    };
    check_password(&password, &[ADMIN_USERNAME]).map_err(|m| {
        format!("configuration error in INTERDICT_BOOTSTRAP_PASSWORD: the password {m}")
    })?;
    let new_user = NewUser::parse(ADMIN_USERNAME, "System administrator", "admin", &password)
        .map_err(|e| e.to_string())?;
    let hash = password::hash_blocking(password.clone())
        .await
        .map_err(|e| e.to_string())?;

    let mut event = AuditEvent::now(AuditAction::SystemBootstrap);
    event.source = Some("startup".into());
    let created = audit
        .perform(event, move |conn, event| -> Result<bool, ApiError> {
            // Re-checked inside the audit transaction, which serialises
            // instances starting together on one PostgreSQL.
            if users::count(conn)? > 0 {
                return Ok(false);
            }
            // The system agency is created by the migrations.
            let agency_id = agencies::find_system(conn)?
                .map(|agency| agency.id.0)
                .ok_or_else(|| ApiError::internal("the system agency is missing"))?;
            let user = UserRow::new(&new_user, agency_id, hash);
            users::insert(conn, &user)?;
            event.object_type = Some("user".into());
            event.object_id = Some(user.id.0.to_string());
            event.agency_id = Some(agency_id);
            Ok(true)
        })
        .await
        .map_err(|e| e.to_string())?;
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
