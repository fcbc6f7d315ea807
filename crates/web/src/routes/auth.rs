//! Login and logout.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{TimeZone, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::user::PASSWORD_MAX_CHARS;
use interdict_persistence::{tokens, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::caller::anonymous_event;
use crate::auth::token::Subject;
use crate::auth::{password, Caller};
use crate::error::ApiError;
use crate::request_meta::RequestMeta;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "jdoe")]
    pub username: String,
    #[schema(example = "violet tractor umbrella quietly")]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

enum LoginDecision {
    Granted(Subject),
    Refused,
}

fn refuse(event: &mut AuditEvent, reason: &str) -> Result<LoginDecision, ApiError> {
    event.outcome = Outcome::Denied;
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    Ok(LoginDecision::Refused)
}

/// Exchanges a username and password for an access token. A wrong
/// username, a wrong password, a locked or a disabled account all get the
/// same 401; five failures in a row lock the account for ten minutes.
#[utoipa::path(post, operation_id = "auth_login", path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong credentials, or the account is locked or disabled", content_type = "application/problem+json"),
    (status = 422, description = "Malformed request", content_type = "application/problem+json"),
))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let username = username.trim().to_ascii_lowercase();
    let lookup = username.clone();
    let account = state
        .db
        .run(move |conn| users::find_by_username(conn, &lookup).map_err(ApiError::from))
        .await?;
    let verified_hash = account.as_ref().map(|u| u.password_hash.clone());
    // Oversized passwords are refused without hashing, but still cost the
    // time of a dummy verification.
    let acceptable = password.chars().count() <= PASSWORD_MAX_CHARS;
    let checked = if acceptable { password } else { String::new() };
    let password_ok =
        acceptable && password::verify_blocking(checked, verified_hash.clone()).await?;
    let account_id = account.map(|u| u.id.0);

    let event = anonymous_event(AuditAction::AuthLogin, &RequestMeta::of(&req));
    let decision = state
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
            if user.is_locked(interdict_persistence::now()) {
                return refuse(event, "account locked");
            }
            // A password changed between verification and now does not count.
            if !password_ok || verified_hash.as_deref() != Some(user.password_hash.as_str()) {
                let locked = users::record_failed_login(conn, id)?;
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
        LoginDecision::Refused => Err(ApiError::InvalidCredentials),
        LoginDecision::Granted(subject) => {
            let (access_token, _) = state.tokens.issue(&subject).map_err(ApiError::internal)?;
            Ok(web::Json(TokenResponse {
                access_token,
                token_type: "Bearer",
                expires_in: state.tokens.ttl().num_seconds(),
            }))
        }
    }
}

/// Revokes the token this request carries.
#[utoipa::path(post, operation_id = "auth_logout", path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "The token no longer works"),
    (status = 401, content_type = "application/problem+json"),
))]
pub async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let jti = caller.claims.jti;
    let expires_at = Utc
        .timestamp_opt(caller.claims.exp, 0)
        .single()
        .map(|at| at.naive_utc())
        .unwrap_or_else(interdict_persistence::now);
    let event = caller.event_on(AuditAction::AuthLogout, "user", caller.actor.user_id);
    state
        .audit
        .perform(event, move |conn, _| {
            // Revocations of tokens that have expired anyway are dead weight.
            tokens::prune(conn)?;
            tokens::revoke(conn, jti, expires_at).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
