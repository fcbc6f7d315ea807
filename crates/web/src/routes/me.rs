//! The caller's own account.

use actix_web::{web, HttpResponse};
use interdict_domain::audit::AuditAction;
use interdict_domain::user::check_password;
use interdict_domain::ValidationErrors;
use interdict_persistence::{agencies, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::{AgencyView, UserView};
use crate::auth::{password, Caller};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub agency: AgencyView,
    #[schema(example = "investigator")]
    pub role: String,
    /// Task forces the caller's agency belongs to.
    pub task_forces: Vec<Uuid>,
}

/// Who am I: the caller's account, agency and role.
#[utoipa::path(get, operation_id = "me_show", path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeView),
    (status = 401, content_type = "application/problem+json"),
))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<MeView>, ApiError> {
    let (user_id, agency_id) = (caller.actor.user_id, caller.actor.agency_id);
    let found = state
        .db
        .run(move |conn| -> Result<_, ApiError> {
            let user = users::find(conn, user_id)?.ok_or(ApiError::NotFound)?;
            let agency = agencies::find(conn, agency_id)?.ok_or(ApiError::NotFound)?;
            Ok((user, agency))
        })
        .await;
    let (user, agency) = state
        .audited(
            caller.event_on(AuditAction::UserRead, "user", user_id),
            found,
        )
        .await?;
    Ok(web::Json(MeView {
        user: user.into(),
        agency: agency.into(),
        role: caller.actor.role.as_str().to_owned(),
        task_forces: caller.actor.task_forces.clone(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's password. Every session of the account ends,
/// including this one: sign in again with the new password.
#[utoipa::path(post, operation_id = "me_change_password", path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Changed; sign in again"),
    (status = 401, content_type = "application/problem+json"),
    (status = 422, description = "The current password is wrong or the new one is too weak", content_type = "application/problem+json"),
))]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let event = caller.event_on(
        AuditAction::UserPasswordChange,
        "user",
        caller.actor.user_id,
    );
    let user_id = caller.actor.user_id;
    let user = state
        .db
        .run(move |conn| users::find(conn, user_id).map_err(ApiError::from))
        .await?
        .ok_or(ApiError::NotFound)?;
    let current_ok =
        password::verify_blocking(current_password, Some(user.password_hash.clone())).await?;
    if !current_ok {
        let errors = ValidationErrors::single("current_password", "is not your current password");
        return state.reject(event, errors.into()).await;
    }
    if let Err(message) = check_password(&new_password, &[&user.username, &user.display_name]) {
        return state
            .reject(
                event,
                ValidationErrors::single("new_password", message).into(),
            )
            .await;
    }
    let hash = password::hash_blocking(new_password).await?;
    state
        .audit
        .perform(event, move |conn, _| {
            users::set_password(conn, user_id, &hash).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
