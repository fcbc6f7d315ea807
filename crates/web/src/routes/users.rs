//! User administration: agency admins manage their own agency's accounts;
//! the system administrator manages every agency's.

use actix_web::{web, HttpResponse};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy::{self, Actor, UserDirectory};
use interdict_domain::user::{check_password, parse_display_name, NewUser, Role};
use interdict_domain::ValidationErrors;
use interdict_persistence::users::{UpdateOutcome, UserChanges, UserRow};
use interdict_persistence::{agencies, users, DbConnection};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::views::UserView;
use super::{etag, IfMatch};
use crate::auth::{password, Caller};
use crate::error::ApiError;
use crate::pagination::{check_limit, Page};
use crate::state::AppState;

/// Refuses roles that may not administer users before anything is looked
/// up, so the answer never depends on whether the account exists.
fn require_user_admin(actor: &Actor) -> Result<(), ApiError> {
    match policy::user_directory(actor) {
        UserDirectory::Nothing => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

/// Loads an account the caller may administer, or answers 404.
fn administered_user(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<UserRow, ApiError> {
    require_user_admin(actor)?;
    let user = users::find(conn, id)?.ok_or(ApiError::NotFound)?;
    ApiError::from_decision(policy::decide_user_admin(actor, user.agency_id.0))?;
    Ok(user)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(example = "jdoe")]
    pub username: String,
    #[schema(example = "Jane Doe")]
    pub display_name: String,
    #[schema(example = "investigator")]
    pub role: String,
    /// At least 15 characters and hard to guess; a passphrase works well.
    pub password: String,
    /// Defaults to the caller's agency; only the system administrator may
    /// name another.
    pub agency_id: Option<Uuid>,
}

/// Creates an account.
#[utoipa::path(post, operation_id = "users_create", path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest, responses(
    (status = 201, body = UserView, headers(("ETag" = String), ("Location" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "The agency is not one the caller administers", content_type = "application/problem+json"),
    (status = 409, description = "The username is taken", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new_id = Uuid::now_v7();
    let event = caller.event_on(AuditAction::UserCreate, "user", new_id);
    let agency_id = body.agency_id.unwrap_or(caller.actor.agency_id);
    if let Err(e) = ApiError::from_decision(policy::decide_user_admin(&caller.actor, agency_id)) {
        return state.reject(event, e).await;
    }
    let new_user = match NewUser::parse(
        &body.username,
        &body.display_name,
        &body.role,
        &body.password,
    ) {
        Ok(user) => user,
        Err(errors) => return state.reject(event, errors.into()).await,
    };
    let hash = password::hash_blocking(body.password).await?;
    let created = state
        .audit
        .perform(event, move |conn, _| {
            if agencies::find(conn, agency_id)?.is_none() {
                return Err(ApiError::NotFound);
            }
            if users::find_by_username(conn, new_user.username.as_str())?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "the username `{}` is already taken",
                    new_user.username
                )));
            }
            let mut row = UserRow::new(&new_user, agency_id, hash);
            row.id = new_id.into();
            users::insert(conn, &row)?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(created.version))
        .insert_header(("Location", format!("/api/v1/users/{}", created.id.0)))
        .json(UserView::from(created)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only accounts of this agency (within the caller's scope).
    pub agency_id: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists the accounts the caller administers, oldest first.
#[utoipa::path(get, operation_id = "users_list", path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserListQuery), responses(
    (status = 200, body = Page<UserView>),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<UserListQuery>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    let event = caller.event_on(AuditAction::UserList, "user", "*");
    let actor = caller.actor.clone();
    let query = query.into_inner();
    let page = async {
        require_user_admin(&actor)?;
        let limit = check_limit(query.limit)?;
        let cursor = crate::pagination::uuid_cursor(&query.cursor)?;
        let directory = match (policy::user_directory(&actor), query.agency_id) {
            (UserDirectory::Everyone, Some(agency)) => UserDirectory::Agency(agency),
            // An agency admin filtering on another agency sees nothing.
            (UserDirectory::Agency(own), Some(agency)) if own != agency => UserDirectory::Nothing,
            (directory, _) => directory,
        };
        let rows = state
            .db
            .run(move |conn| {
                users::list(conn, directory, cursor, limit + 1).map_err(ApiError::from)
            })
            .await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.id.0.to_string(),
            UserView::from,
        ))
    }
    .await;
    state.audited(event, page).await.map(web::Json)
}

/// One account.
#[utoipa::path(get, operation_id = "users_show", path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), responses(
    (status = 200, body = UserView, headers(("ETag" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let actor = caller.actor.clone();
    let found = state
        .db
        .run(move |conn| administered_user(conn, &actor, id))
        .await;
    let user = state
        .audited(caller.event_on(AuditAction::UserRead, "user", id), found)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(user.version))
        .json(UserView::from(user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    #[schema(example = "supervisor")]
    pub role: Option<String>,
    /// `false` disables the account; its sessions end at once.
    pub active: Option<bool>,
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
    state: web::Data<AppState>,
    caller: Caller,
    if_match: IfMatch,
    path: web::Path<Uuid>,
    body: web::Json<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let event = caller.event_on(AuditAction::UserUpdate, "user", id);
    let changes = match parse_changes(body.into_inner()) {
        Ok(changes) => changes,
        Err(errors) => return state.reject(event, errors.into()).await,
    };
    let version = match if_match.0 {
        Ok(version) => version,
        Err(e) => return state.reject(event, e).await,
    };
    let actor = caller.actor.clone();
    let updated = state
        .audit
        .perform(event, move |conn, _| {
            administered_user(conn, &actor, id)?;
            let demotes_self = changes.role.is_some_and(|r| r != Role::Admin);
            if id == actor.user_id && (changes.active == Some(false) || demotes_self) {
                return Err(ApiError::Conflict(
                    "you cannot disable or demote your own account; ask another administrator"
                        .into(),
                ));
            }
            match users::update(conn, id, version, &changes)? {
                UpdateOutcome::Updated(row) => Ok(row),
                UpdateOutcome::Stale { current_version } => {
                    Err(ApiError::PreconditionFailed { current_version })
                }
                UpdateOutcome::Missing => Err(ApiError::NotFound),
            }
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(updated.version))
        .json(UserView::from(updated)))
}

fn parse_changes(body: UpdateUserRequest) -> Result<UserChanges, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let display_name = body
        .display_name
        .and_then(|name| errors.check("display_name", parse_display_name(&name)));
    let role = body
        .role
        .and_then(|role| errors.check("role", role.parse::<Role>()));
    if body.active.is_none() && display_name.is_none() && role.is_none() && errors.is_empty() {
        errors.add("body", "name at least one of display_name, role, active");
    }
    errors.into_result(|| UserChanges {
        display_name,
        role,
        active: body.active,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub password: String,
}

/// Sets a new password for an account, clears any lockout and ends its
/// sessions.
#[utoipa::path(post, operation_id = "users_reset_password", path = "/api/v1/users/{user_id}/password", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), request_body = ResetPasswordRequest, responses(
    (status = 204, description = "Password replaced"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let event = caller.event_on(AuditAction::UserPasswordReset, "user", id);
    let actor = caller.actor.clone();
    let target = state
        .db
        .run(move |conn| administered_user(conn, &actor, id))
        .await;
    let target = match target {
        Ok(target) => target,
        Err(e) => return state.reject(event, e).await,
    };
    let new_password = body.into_inner().password;
    if let Err(message) = check_password(&new_password, &[&target.username, &target.display_name]) {
        return state
            .reject(event, ValidationErrors::single("password", message).into())
            .await;
    }
    let hash = password::hash_blocking(new_password).await?;
    let actor = caller.actor.clone();
    state
        .audit
        .perform(event, move |conn, _| {
            administered_user(conn, &actor, id)?;
            users::set_password(conn, id, &hash).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
