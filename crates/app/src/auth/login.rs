//! Signing in and out, and changing one's own password.

use chrono::{NaiveDateTime, TimeZone, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::user::{check_password, PASSWORD_MAX_CHARS};
use interdict_domain::ValidationErrors;
use interdict_persistence::{logins, now, tokens, users, DbConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::password;
use super::throttle::Key;
use super::tokens::Subject;
use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;
use uuid::Uuid;

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
    Ok(LoginDecision::Refused)
}

/// Where an attempt comes from, as the lockout and the throttle count it.
pub(crate) fn source_of(meta: &RequestMeta) -> String {
    meta.source.clone().unwrap_or_else(|| "unknown".into())
}

/// What an attempt on `username` from `source` is throttled by: always its
/// source; its account too unless the source is one the account has
/// signed in from before, so that guesses from elsewhere cannot hold up
/// the owner at their usual place.
pub(crate) fn throttle_keys(source: &str, username: &str, known_source: bool) -> Vec<Key> {
    let mut keys = vec![Key::source(source)];
    if !known_source {
        keys.push(Key::account(username));
    }
    keys
}

/// Refuses, audited, an attempt that must wait.
pub(crate) async fn check_throttle(
    app: &App,
    keys: &[Key],
    mut event: AuditEvent,
) -> Result<(), AppError> {
    let Some(retry_after_seconds) = app.throttle.wait(keys, app.now()) else {
        return Ok(());
    };
    event.outcome = Outcome::Denied;
    event.detail = Some(
        serde_json::json!({
            "reason": "throttled: too many failed attempts",
            "retry_after_seconds": retry_after_seconds,
        })
        .to_string(),
    );
    app.audit.record(event).await?;
    Err(AppError::TooManyRequests {
        retry_after_seconds,
    })
}

/// Counts a wrong password (or code) for `user` from `source`, in the
/// same transaction as its audit entry: from a source the account has
/// signed in from before, toward the account's own lockout; from any
/// other, toward a lockout of that source only. Returns the reason to
/// record.
pub(crate) fn count_failure(
    conn: &mut DbConnection,
    user: Uuid,
    source: &str,
    known_source: bool,
    what: &str,
    at: NaiveDateTime,
) -> Result<String, AppError> {
    Ok(if known_source {
        if users::record_failed_login(conn, user)? {
            format!("{what} from a known source; account now locked")
        } else {
            format!("{what} from a known source")
        }
    } else if logins::record_failure(conn, user, source, at)? {
        format!("{what} from an unknown source; account now locked for that source only")
    } else {
        format!("{what} from an unknown source")
    })
}

/// Exchanges a username and password for an access token. A wrong
/// username, a wrong password, a locked or a disabled account are all the
/// same refusal; five failures in a row lock the account for ten minutes —
/// for everyone when they come from a source the account has signed in
/// from before, for that source only otherwise. Repeated failures from one
/// source, or on one account from unknown sources, must then wait
/// (`TooManyRequests`).
pub async fn login(
    app: &App,
    meta: RequestMeta,
    request: LoginRequest,
) -> Result<SignedIn, AppError> {
    let LoginRequest { username, password } = request;
    let username = username.trim().to_ascii_lowercase();
    let source = source_of(&meta);
    let (lookup, from) = (username.clone(), source.clone());
    let (account, known_source) = app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let Some(user) = users::find_by_username(conn, &lookup)? else {
                return Ok((None, false));
            };
            let known = logins::is_known_source(conn, user.id.0, &from)?;
            Ok((Some(user), known))
        })
        .await?;
    let keys = throttle_keys(&source, &username, known_source);
    let ctx = Ctx::anonymous(app, meta);
    let mut throttled = ctx.event(AuditAction::AuthLogin);
    if let Some(user) = &account {
        throttled.user_id = Some(user.id.0);
        throttled.object_type = Some("user".into());
        throttled.object_id = Some(user.id.0.to_string());
    }
    check_throttle(app, &keys, throttled).await?;

    let verified_hash = account.as_ref().map(|u| u.password_hash.clone());
    // Oversized passwords are refused without hashing, but still cost the
    // time of a dummy verification.
    let acceptable = password.chars().count() <= PASSWORD_MAX_CHARS;
    let checked = if acceptable { password } else { String::new() };
    let password_ok =
        acceptable && password::verify_blocking(checked, verified_hash.clone()).await?;
    let account_id = account.map(|u| u.id.0);
    let at = app.now().naive_utc();

    let event = ctx.event(AuditAction::AuthLogin);
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
            if !known_source && logins::source_locked(conn, id, &source, at)? {
                return refuse(event, "account locked for this unknown source");
            }
            // A password changed between verification and now does not count.
            if !password_ok || verified_hash.as_deref() != Some(user.password_hash.as_str()) {
                let reason = count_failure(conn, id, &source, known_source, "wrong password", at)?;
                return refuse(event, &reason);
            }
            // Lockouts of other, unknown sources do not apply here; say so.
            let locked_elsewhere = logins::locked_sources(conn, id, at)?;
            users::record_successful_login(conn, id)?;
            logins::record_success(conn, id, &source, at)?;
            event.detail = Some(
                serde_json::json!({
                    "source": if known_source { "known" } else { "new" },
                    "unknown_sources_locked_out": locked_elsewhere,
                })
                .to_string(),
            );
            Ok(LoginDecision::Granted(Subject {
                user_id: user.id.0,
                agency_id: user.agency_id.0,
                role: user.role()?,
                session_version: user.session_version,
            }))
        })
        .await?;
    match decision {
        LoginDecision::Refused => {
            app.throttle.failed(&keys, app.now());
            Err(AppError::InvalidCredentials)
        }
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
/// including this one. Wrong current passwords count toward the lockout
/// and the throttle exactly as wrong passwords at sign-in do, so a stolen
/// token cannot be used to guess the password behind it.
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
    let source = source_of(&ctx.caller().meta);
    let from = source.clone();
    let (user, known_source) = ctx
        .app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
            let known = logins::is_known_source(conn, user_id, &from)?;
            Ok((user, known))
        })
        .await?;
    let keys = throttle_keys(&source, &user.username, known_source);
    check_throttle(&ctx.app, &keys, event.clone()).await?;
    let current_ok =
        password::verify_blocking(current_password, Some(user.password_hash.clone())).await?;
    if !current_ok {
        ctx.app.throttle.failed(&keys, ctx.now());
        let at = ctx.now().naive_utc();
        ctx.app
            .audit
            .perform(event, move |conn, event| -> Result<(), AppError> {
                let reason = count_failure(
                    conn,
                    user_id,
                    &source,
                    known_source,
                    "wrong current password",
                    at,
                )?;
                event.outcome = Outcome::Denied;
                event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
                Ok(())
            })
            .await?;
        return Err(
            ValidationErrors::single("current_password", "is not your current password").into(),
        );
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
