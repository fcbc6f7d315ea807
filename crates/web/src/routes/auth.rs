//! Signing in and out.

use actix_web::{web, HttpRequest, HttpResponse};
use interdict_app::auth::{self, LoginRequest};
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
}

/// Exchanges a username and password for an access token. A wrong
/// username, a wrong password, a locked or a disabled account all get the
/// same 401; five failures in a row lock the account for ten minutes (for
/// everyone when they come from a place the account has signed in from
/// before, for that source only otherwise). After ten failures from one
/// address, or on one account from unknown places, each further attempt
/// must wait (429 with `Retry-After`, doubling up to 15 minutes).
#[utoipa::path(post, operation_id = "auth_login", path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong credentials, or the account is locked or disabled", content_type = "application/problem+json"),
    (status = 429, description = "Too many failed attempts from this address or on this account", headers(("Retry-After" = u64, description = "Seconds to wait")), content_type = "application/problem+json"),
    (status = 422, description = "Malformed request", content_type = "application/problem+json"),
))]
pub async fn login(
    app: web::Data<App>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let signed_in = auth::login(&app, request_meta::of(&req), body.into_inner()).await?;
    Ok(web::Json(TokenResponse {
        access_token: signed_in.access_token,
        token_type: "Bearer",
        expires_in: signed_in.expires_in,
    }))
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
