//! Signing in and out, and changing one's own password.

use chrono::{TimeZone, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::user::{check_password, PASSWORD_MAX_CHARS};
use interdict_domain::ValidationErrors;
use interdict_persistence::{now, tokens, users};
use serde::Deserialize;
use utoipa::ToSchema;

use super::password;
use super::tokens::Subject;
use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "jdoe")]
    pub username: String,
    #[schema(example = "violet tractor umbrella quietly")]
    pub password: String,
}

/// An access token issued at sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

enum LoginDecision {
    Granted(Subject),
    Refused,
}

fn refuse(event: &mut AuditEvent, reason: &str) -> Result<LoginDecision, AppError> {
    event.outcome = Outcome::Denied;
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    metrics::counter!("interdict_login_failures_total").increment(1);
    Ok(LoginDecision::Refused)
}

/// Exchanges a username and password for an access token. A wrong
/// username, a wrong password, a locked or a disabled account are all the
/// same refusal; five failures in a row lock the account for ten minutes.
pub async fn login(
    app: &App,
    meta: RequestMeta,
    request: LoginRequest,
) -> Result<SignedIn, AppError> {
    let LoginRequest { username, password } = request;
    let username = username.trim().to_ascii_lowercase();
    let lookup = username.clone();
    let account = app
        .db
        .run(move |conn| users::find_by_username(conn, &lookup).map_err(AppError::from))
        .await?;
    let verified_hash = account.as_ref().map(|u| u.password_hash.clone());
    // Oversized passwords are refused without hashing, but still cost the
    // time of a dummy verification.
    let acceptable = password.chars().count() <= PASSWORD_MAX_CHARS;
    let checked = if acceptable { password } else { String::new() };
    let password_ok =
        acceptable && password::verify_blocking(checked, verified_hash.clone()).await?;
    let account_id = account.map(|u| u.id.0);
    let at = app.now().naive_utc();

    let event = Ctx::anonymous(app, meta).event(AuditAction::AuthLogin);
    let decision = app
        .audit
        .perform(event, move |conn, event| {
            let Some(id) = account_id else {
                return refuse(event, "unknown username");
            };
            let Some(user) = users::find(conn, id)? else {
                return refuse(event, "unknown username");
            };
            event.user_id = Some(user.id.0);
            event.agency_id = Some(user.agency_id.0);
            event.role = Some(user.role.clone());
            event.object_type = Some("user".into());
            event.object_id = Some(user.id.0.to_string());
            if !user.active {
                return refuse(event, "account disabled");
            }
            if user.is_locked(at) {
                return refuse(event, "account locked");
            }
            // A password changed between verification and now does not count.
            if !password_ok || verified_hash.as_deref() != Some(user.password_hash.as_str()) {
                let locked = users::record_failed_login(conn, id)?;
                metrics::counter!("interdict_account_lockouts_total").increment(u64::from(locked));
                let reason = if locked {
                    "wrong password; account now locked"
                } else {
                    "wrong password"
                };
                return refuse(event, reason);
            }
            users::record_successful_login(conn, id)?;
            Ok(LoginDecision::Granted(Subject {
                user_id: user.id.0,
                agency_id: user.agency_id.0,
                role: user.role()?,
                session_version: user.session_version,
            }))
        })
        .await?;
    match decision {
        LoginDecision::Refused => Err(AppError::InvalidCredentials),
        LoginDecision::Granted(subject) => {
            let (access_token, _) = app.keys.tokens.issue(&subject)?;
            Ok(SignedIn {
                access_token,
                expires_in: app.keys.tokens.ttl().num_seconds(),
            })
        }
    }
}

/// Revokes the token the caller signed in with.
pub async fn logout(ctx: &Ctx) -> Result<(), AppError> {
    let actor = ctx.actor()?;
    let claims = ctx.token().ok_or(AppError::Unauthenticated)?;
    let jti = claims.jti;
    let expires_at = Utc
        .timestamp_opt(claims.exp, 0)
        .single()
        .map(|at| at.naive_utc())
        .unwrap_or_else(now);
    let event = ctx.event_on(AuditAction::AuthLogout, "user", actor.user_id);
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            // Revocations of tokens that have expired anyway are dead weight.
            tokens::prune(conn)?;
            tokens::revoke(conn, jti, expires_at).map_err(AppError::from)
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's password. Every session of the account ends,
/// including this one.
pub async fn change_own_password(
    ctx: &Ctx,
    request: ChangePasswordRequest,
) -> Result<(), AppError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = request;
    let user_id = ctx.actor()?.user_id;
    let event = ctx.event_on(AuditAction::UserPasswordChange, "user", user_id);
    let user = ctx
        .app
        .db
        .run(move |conn| users::find(conn, user_id).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let current_ok =
        password::verify_blocking(current_password, Some(user.password_hash.clone())).await?;
    if !current_ok {
        let errors = ValidationErrors::single("current_password", "is not your current password");
        return ctx.reject(event, errors.into()).await;
    }
    if let Err(message) = check_password(&new_password, &[&user.username, &user.display_name]) {
        return ctx
            .reject(event, AppError::invalid("new_password", message))
            .await;
    }
    let hash = password::hash_blocking(new_password).await?;
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            users::set_password(conn, user_id, &hash).map_err(AppError::from)
        })
        .await?;
    Ok(())
}
