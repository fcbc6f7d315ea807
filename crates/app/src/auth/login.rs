//! Signing in and out, and changing one's own password.

use chrono::{NaiveDateTime, TimeZone, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::user::{check_password, PASSWORD_MAX_CHARS};
use interdict_domain::ValidationErrors;
use interdict_persistence::{logins, mfa, now, tokens, users, DbConnection};
use serde::Deserialize;
use utoipa::ToSchema;

use super::mfa as mfa_auth;
use super::password;
use super::throttle::Key;
use super::tokens::Subject;
use super::tokens::CHALLENGE_TTL_SECONDS;
use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "username": "jdoe", "password": "violet tractor umbrella quietly" }))]
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
    /// The account must enrol a second factor; this session reaches only
    /// enrolment.
    pub enrol_only: bool,
}

/// What the password step of signing in gives.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    SignedIn(SignedIn),
    /// The account has a second factor: send a code with this challenge
    /// token (not a session token) to the second step.
    SecondFactorDue {
        challenge_token: String,
        expires_in: i64,
    },
}

enum LoginDecision {
    Granted { subject: Subject, enrol_only: bool },
    SecondFactor(Subject),
    Refused,
}

fn refuse(event: &mut AuditEvent, reason: &str) -> Result<LoginDecision, AppError> {
    event.outcome = Outcome::Denied;
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    metrics::counter!("interdict_login_failures_total").increment(1);
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
    // Every failure touches the lockout counter, by 0 or 1, so the series
    // exists from the first failure rather than from the first lockout.
    let lockouts = |scope: &'static str, locked: bool| {
        metrics::counter!("interdict_account_lockouts_total", "scope" => scope)
            .increment(u64::from(locked));
        locked
    };
    Ok(if known_source {
        if lockouts("account", users::record_failed_login(conn, user)?) {
            format!("{what} from a known source; account now locked")
        } else {
            format!("{what} from a known source")
        }
    } else if lockouts("source", logins::record_failure(conn, user, source, at)?) {
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
) -> Result<LoginOutcome, AppError> {
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
            let subject = Subject {
                user_id: user.id.0,
                agency_id: user.agency_id.0,
                role: user.role()?,
                session_version: user.session_version,
            };
            // The password alone does not make a place known, nor clear
            // failures, while a second factor is due.
            if mfa::find(conn, id)?.is_some_and(|row| row.active()) {
                event.detail = Some(
                    serde_json::json!({ "step": "password", "second_factor": "due" }).to_string(),
                );
                return Ok(LoginDecision::SecondFactor(subject));
            }
            let enrol_only = mfa::required_for(conn, user.agency_id.0)?;
            granted(
                conn,
                event,
                id,
                &source,
                known_source,
                at,
                "pwd",
                enrol_only,
            )?;
            Ok(LoginDecision::Granted {
                subject,
                enrol_only,
            })
        })
        .await?;
    match decision {
        LoginDecision::Refused => {
            app.throttle.failed(&keys, app.now());
            Err(AppError::InvalidCredentials)
        }
        LoginDecision::SecondFactor(subject) => Ok(LoginOutcome::SecondFactorDue {
            challenge_token: app.keys.tokens.issue_challenge(&subject)?,
            expires_in: CHALLENGE_TTL_SECONDS,
        }),
        LoginDecision::Granted {
            subject,
            enrol_only,
        } => {
            let (access_token, _) = app.keys.tokens.issue(&subject, &["pwd"], enrol_only)?;
            Ok(LoginOutcome::SignedIn(SignedIn {
                access_token,
                expires_in: app.keys.tokens.ttl().num_seconds(),
                enrol_only,
            }))
        }
    }
}

/// Records a completed sign-in: clears the failure counts, makes the
/// source known, and says in the entry how, from where, and that lockouts
/// of other (unknown) sources did not apply.
#[allow(clippy::too_many_arguments)]
fn granted(
    conn: &mut DbConnection,
    event: &mut AuditEvent,
    id: Uuid,
    source: &str,
    known_source: bool,
    at: NaiveDateTime,
    method: &str,
    enrol_only: bool,
) -> Result<(), AppError> {
    let locked_elsewhere = logins::locked_sources(conn, id, at)?;
    users::record_successful_login(conn, id)?;
    logins::record_success(conn, id, source, at)?;
    let mut detail = serde_json::json!({
        "source": if known_source { "known" } else { "new" },
        "unknown_sources_locked_out": locked_elsewhere,
        "method": method,
    });
    if enrol_only {
        detail["must_enrol_second_factor"] = true.into();
    }
    event.detail = Some(detail.to_string());
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    /// The `challenge_token` the password step answered.
    pub challenge_token: String,
    /// The current 6-digit code from the authenticator app, or an unused
    /// recovery code (`3-abcde-fghjk`).
    #[schema(example = "123456")]
    pub code: String,
}

/// The second step of signing in: a TOTP code or a recovery code for the
/// account whose password was accepted, in exchange for a session token
/// whose `amr` says how (`["pwd","otp"]` or `["pwd","rc"]`). Wrong, used
/// or replayed codes are refused like wrong passwords, and counted with
/// them toward the lockout and the throttle.
pub async fn login_second_step(
    app: &App,
    meta: RequestMeta,
    request: SecondFactorRequest,
) -> Result<SignedIn, AppError> {
    let ctx = Ctx::anonymous(app, meta);
    let mut event = ctx.event(AuditAction::AuthLogin);
    let claims = match app.keys.tokens.verify_challenge(&request.challenge_token) {
        Ok(claims) => claims,
        Err(reason) => {
            mfa_auth::denied(&mut event, &reason);
            app.audit.record(event).await?;
            return Err(AppError::InvalidCredentials);
        }
    };
    let user_id = claims.sub;
    event.user_id = Some(user_id);
    event.object_type = Some("user".into());
    event.object_id = Some(user_id.to_string());
    let source = source_of(&ctx.caller().meta);
    let from = source.clone();
    let (user, row, known_source) = app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find(conn, user_id)?;
            let row = mfa::find(conn, user_id)?;
            let known = mfa_auth::known(conn, user_id, &from)?;
            Ok((user, row, known))
        })
        .await?;
    let (Some(user), Some(row)) = (user, row.filter(|r| r.active())) else {
        mfa_auth::denied(&mut event, "no active second factor");
        app.audit.record(event).await?;
        return Err(AppError::InvalidCredentials);
    };
    let keys = throttle_keys(&source, &user.username, known_source);
    check_throttle(app, &keys, event.clone()).await?;
    let checked = mfa_auth::check_code(app, user_id, &user.username, &row, &request.code).await?;
    let at = app.now().naive_utc();
    let session_version = claims.sv;
    let decision = app
        .audit
        .perform(
            event,
            move |conn, event| -> Result<Option<Subject>, AppError> {
                let Some(user) = users::find(conn, user_id)? else {
                    mfa_auth::denied(event, "unknown user");
                    return Ok(None);
                };
                event.agency_id = Some(user.agency_id.0);
                event.role = Some(user.role.clone());
                if !user.active {
                    mfa_auth::denied(event, "account disabled");
                    return Ok(None);
                }
                if user.session_version != session_version {
                    mfa_auth::denied(event, "account changed since the password step");
                    return Ok(None);
                }
                if user.is_locked(at) {
                    mfa_auth::denied(event, "account locked");
                    return Ok(None);
                }
                if !known_source && logins::source_locked(conn, user_id, &source, at)? {
                    mfa_auth::denied(event, "account locked for this unknown source");
                    return Ok(None);
                }
                if !mfa_auth::spend(conn, user_id, checked, at)? {
                    let reason = mfa_auth::refuse_code(conn, user_id, &source, known_source, at)?;
                    mfa_auth::denied(event, &reason);
                    return Ok(None);
                }
                granted(
                    conn,
                    event,
                    user_id,
                    &source,
                    known_source,
                    at,
                    checked.method(),
                    false,
                )?;
                Ok(Some(Subject {
                    user_id,
                    agency_id: user.agency_id.0,
                    role: user.role()?,
                    session_version: user.session_version,
                }))
            },
        )
        .await?;
    let Some(subject) = decision else {
        app.throttle.failed(&keys, app.now());
        return Err(AppError::InvalidCredentials);
    };
    let (access_token, _) = app
        .keys
        .tokens
        .issue(&subject, &["pwd", checked.method()], false)?;
    Ok(SignedIn {
        access_token,
        expires_in: app.keys.tokens.ttl().num_seconds(),
        enrol_only: false,
    })
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
    /// A code from the second factor (TOTP or recovery code); required
    /// when the account has one.
    #[serde(default)]
    pub code: Option<String>,
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
        code,
    } = request;
    let user_id = ctx.actor()?.user_id;
    let event = ctx.event_on(AuditAction::UserPasswordChange, "user", user_id);
    let source = source_of(&ctx.caller().meta);
    let from = source.clone();
    let (user, known_source, second_factor) = ctx
        .app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
            let known = logins::is_known_source(conn, user_id, &from)?;
            let row = mfa::find(conn, user_id)?.filter(|row| row.active());
            Ok((user, known, row))
        })
        .await?;
    let keys = throttle_keys(&source, &user.username, known_source);
    check_throttle(&ctx.app, &keys, event.clone()).await?;
    let current_ok =
        password::verify_blocking(current_password, Some(user.password_hash.clone())).await?;
    let checked = match (&second_factor, code.as_deref()) {
        (None, _) => None,
        (Some(_), None) => {
            return ctx
                .reject(
                    event,
                    AppError::invalid(
                        "code",
                        "a code from your second factor is required to change the password",
                    ),
                )
                .await
        }
        (Some(row), Some(code)) => {
            Some(mfa_auth::check_code(&ctx.app, user_id, &user.username, row, code).await?)
        }
    };
    let code_ok = checked.is_none_or(|c| !matches!(c, mfa_auth::Checked::Wrong));
    if current_ok && !code_ok {
        ctx.app.throttle.failed(&keys, ctx.now());
        let at = ctx.now().naive_utc();
        ctx.app
            .audit
            .perform(event, move |conn, event| -> Result<(), AppError> {
                let reason = mfa_auth::refuse_code(conn, user_id, &source, known_source, at)?;
                event.outcome = Outcome::Denied;
                event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
                Ok(())
            })
            .await?;
        return Err(ValidationErrors::single("code", "is not a valid code").into());
    }
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
    let at = ctx.now().naive_utc();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            if let Some(checked) = checked {
                if !mfa_auth::spend(conn, user_id, checked, at)? {
                    return Err(AppError::invalid("code", "is not a valid code"));
                }
            }
            users::set_password(conn, user_id, &hash).map_err(AppError::from)
        })
        .await?;
    Ok(())
}
