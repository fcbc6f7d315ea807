//! User administration: agency admins manage their own agency's accounts;
//! the system administrator manages every agency's.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_app::pagination::Page;
use interdict_app::users::{
    self, CreateUserRequest, ResetPasswordRequest, UnlockView, UpdateUserRequest, UserListQuery,
    UserView,
};
use uuid::Uuid;

use super::records::versioned;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::extract::IfMatch;

/// Creates an account.
#[utoipa::path(post, operation_id = "users_create", path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest, responses(
    (status = 201, body = UserView, headers(("ETag" = String), ("Location" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "The agency is not one the caller administers", content_type = "application/problem+json"),
    (status = 409, description = "The username is taken", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn create(
    caller: Caller,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = users::create(&caller, body.into_inner()).await?;
    let mut response = versioned(StatusCode::CREATED, &created);
    if let Ok(location) =
        actix_web::http::header::HeaderValue::from_str(&format!("/api/v1/users/{}", created.id))
    {
        response
            .headers_mut()
            .insert(actix_web::http::header::LOCATION, location);
    }
    Ok(response)
}

/// Lists the accounts the caller administers, oldest first.
#[utoipa::path(get, operation_id = "users_list", path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserListQuery), responses(
    (status = 200, body = Page<UserView>),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn list(
    caller: Caller,
    query: web::Query<UserListQuery>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    Ok(web::Json(users::list(&caller, &query).await?))
}

/// One account.
#[utoipa::path(get, operation_id = "users_show", path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), responses(
    (status = 200, body = UserView, headers(("ETag" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn show(caller: Caller, path: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let user = users::show(&caller, path.into_inner()).await?;
    Ok(versioned(StatusCode::OK, &user))
}

/// Changes an account's display name, role or active flag. Needs
/// `If-Match` with the version read; a new role or a disabled account ends
/// the user's sessions.
#[utoipa::path(patch, operation_id = "users_update", path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
    request_body = UpdateUserRequest, responses(
    (status = 200, body = UserView, headers(("ETag" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 409, description = "Administrators cannot disable or demote themselves", content_type = "application/problem+json"),
    (status = 412, description = "Stale version", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", content_type = "application/problem+json"),
))]
pub async fn update(
    caller: Caller,
    if_match: IfMatch,
    path: web::Path<Uuid>,
    body: web::Json<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = users::update(&caller, path.into_inner(), if_match.0, body.into_inner()).await?;
    Ok(versioned(StatusCode::OK, &user))
}

/// Sets a new password for an account, clears any lockout and ends its
/// sessions. Not one's own account: that takes the current password, at
/// `/api/v1/me/password`.
#[utoipa::path(post, operation_id = "users_reset_password", path = "/api/v1/users/{user_id}/password", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), request_body = ResetPasswordRequest, responses(
    (status = 204, description = "Password replaced"),
    (status = 403, description = "The caller's role may not, or the account is the caller's own", content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn reset_password(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    users::reset_password(&caller, path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lifts an account's lockouts: the account-wide one (failures from a
/// place it had signed in from) and those of unknown sources. Audited as
/// `user.unlock`. Not one's own account.
#[utoipa::path(post, operation_id = "users_unlock", path = "/api/v1/users/{user_id}/unlock", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), responses(
    (status = 200, body = UnlockView),
    (status = 403, description = "The caller's role may not, or the account is the caller's own", content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn unlock(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<UnlockView>, ApiError> {
    Ok(web::Json(users::unlock(&caller, path.into_inner()).await?))
}
