//! Signing in and out.

use actix_web::{web, HttpRequest, HttpResponse};
use interdict_app::auth::{self, LoginOutcome, LoginRequest, SecondFactorRequest};
use interdict_app::App;
use serde::Serialize;
use utoipa::ToSchema;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::request_meta;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The account must enrol a second factor: this token reaches only
    /// `/api/v1/me`, `/api/v1/me/mfa…` and sign-out until it has.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub mfa_enrolment_required: bool,
}

/// The password was right and the account has a second factor: send a
/// code with `challenge_token` to `POST /api/v1/auth/login/mfa`. The
/// challenge token is not a session token.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeResponse {
    /// Always `true`.
    pub mfa_required: bool,
    pub challenge_token: String,
    /// Seconds the second step may take.
    pub expires_in: i64,
}

/// A session token, or a challenge for the second factor.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Token(TokenResponse),
    Challenge(ChallengeResponse),
}

fn token_response(signed_in: auth::SignedIn) -> TokenResponse {
    TokenResponse {
        access_token: signed_in.access_token,
        token_type: "Bearer",
        expires_in: signed_in.expires_in,
        mfa_enrolment_required: signed_in.enrol_only,
    }
}

/// Exchanges a username and password for an access token. A wrong
/// username, a wrong password, a locked or a disabled account all get the
/// same 401; five failures in a row lock the account for ten minutes (for
/// everyone when they come from a place the account has signed in from
/// before, for that source only otherwise). After ten failures from one
/// address, or on one account from unknown places, each further attempt
/// must wait (429 with `Retry-After`, doubling up to 15 minutes).
#[utoipa::path(post, operation_id = "auth_login", path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse, description = "A session token, or (the account has a second factor) a challenge for `/api/v1/auth/login/mfa`"),
    (status = 401, description = "Wrong credentials, or the account is locked or disabled", content_type = "application/problem+json"),
    (status = 429, description = "Too many failed attempts from this address or on this account", headers(("Retry-After" = u64, description = "Seconds to wait")), content_type = "application/problem+json"),
    (status = 422, description = "Malformed request", content_type = "application/problem+json"),
))]
pub async fn login(
    app: web::Data<App>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let outcome = auth::login(&app, request_meta::of(&req), body.into_inner()).await?;
    Ok(web::Json(match outcome {
        LoginOutcome::SignedIn(signed_in) => LoginResponse::Token(token_response(signed_in)),
        LoginOutcome::SecondFactorDue {
            challenge_token,
            expires_in,
        } => LoginResponse::Challenge(ChallengeResponse {
            mfa_required: true,
            challenge_token,
            expires_in,
        }),
    }))
}

/// The second step of signing in: the challenge token from the password
/// step and a TOTP code (or an unused recovery code), for a session token
/// whose `amr` claim says how the user authenticated (`["pwd","otp"]`, or
/// `["pwd","rc"]` for a recovery code). Wrong codes count like wrong
/// passwords toward the lockout and the throttle.
#[utoipa::path(post, operation_id = "auth_login_mfa", path = "/api/v1/auth/login/mfa", tag = "auth", request_body = SecondFactorRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong, used or replayed code, or a bad or expired challenge", content_type = "application/problem+json"),
    (status = 429, description = "Too many failed attempts", headers(("Retry-After" = u64, description = "Seconds to wait")), content_type = "application/problem+json"),
    (status = 422, description = "Malformed request", content_type = "application/problem+json"),
))]
pub async fn login_mfa(
    app: web::Data<App>,
    req: HttpRequest,
    body: web::Json<SecondFactorRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let signed_in =
        auth::login_second_step(&app, request_meta::of(&req), body.into_inner()).await?;
    Ok(web::Json(token_response(signed_in)))
}

/// Revokes the token this request carries.
#[utoipa::path(post, operation_id = "auth_logout", path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "The token no longer works"),
    (status = 401, content_type = "application/problem+json"),
))]
pub async fn logout(caller: Caller) -> Result<HttpResponse, ApiError> {
    auth::logout(&caller).await?;
    Ok(HttpResponse::NoContent().finish())
}
