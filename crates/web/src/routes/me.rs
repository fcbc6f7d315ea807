//! The caller's own account.

use actix_web::{web, HttpResponse};
use interdict_app::auth::{self, ChangePasswordRequest};
use interdict_app::users::{self, MeView};

use crate::caller::Caller;
use crate::error::ApiError;

/// Who am I: the caller's account, agency and role.
#[utoipa::path(get, operation_id = "me_show", path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeView),
    (status = 401, content_type = "application/problem+json"),
))]
pub async fn show(caller: Caller) -> Result<web::Json<MeView>, ApiError> {
    Ok(web::Json(users::me(&caller).await?))
}

/// Changes the caller's password. Every session of the account ends,
/// including this one: sign in again with the new password.
#[utoipa::path(post, operation_id = "me_change_password", path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Changed; sign in again"),
    (status = 401, content_type = "application/problem+json"),
    (status = 422, description = "The current password is wrong or the new one is too weak", content_type = "application/problem+json"),
    (status = 429, description = "Too many wrong current passwords; counted like failed sign-ins", headers(("Retry-After" = u64, description = "Seconds to wait")), content_type = "application/problem+json"),
))]
pub async fn change_password(
    caller: Caller,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    auth::change_own_password(&caller, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
