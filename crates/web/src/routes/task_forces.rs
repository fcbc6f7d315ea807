//! Task forces: groups of agencies that records can be shared with.

use actix_web::{web, HttpResponse};
use interdict_app::pagination::{Page, PageQuery};
use interdict_app::task_forces::{self, CreateTaskForceRequest, TaskForceView};
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// Creates a task force (system administrator only).
#[utoipa::path(post, operation_id = "task_forces_create", path = "/api/v1/task-forces", tag = "agencies", security(("bearer" = [])), request_body = CreateTaskForceRequest, responses(
    (status = 201, body = TaskForceView, headers(("Location" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 409, description = "The name is taken", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn create(
    caller: Caller,
    body: web::Json<CreateTaskForceRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = task_forces::create(&caller, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/task-forces/{}", created.id)))
        .json(created))
}

/// Lists task forces, oldest first.
#[utoipa::path(get, operation_id = "task_forces_list", path = "/api/v1/task-forces", tag = "agencies", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<TaskForceView>),
))]
pub async fn list(
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<TaskForceView>>, ApiError> {
    Ok(web::Json(task_forces::list(&caller, &query).await?))
}

/// One task force with its members.
#[utoipa::path(get, operation_id = "task_forces_show", path = "/api/v1/task-forces/{task_force_id}", tag = "agencies", security(("bearer" = [])),
    params(("task_force_id" = Uuid, Path)), responses(
    (status = 200, body = TaskForceView),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn show(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<TaskForceView>, ApiError> {
    Ok(web::Json(
        task_forces::show(&caller, path.into_inner()).await?,
    ))
}

/// Adds an agency to a task force (system administrator only).
#[utoipa::path(put, operation_id = "task_forces_add_member", path = "/api/v1/task-forces/{task_force_id}/members/{agency_id}", tag = "agencies", security(("bearer" = [])),
    params(("task_force_id" = Uuid, Path), ("agency_id" = Uuid, Path)), responses(
    (status = 204, description = "The agency is a member"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn add_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (task_force, agency) = path.into_inner();
    task_forces::set_membership(&caller, task_force, agency, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes an agency from a task force (system administrator only).
#[utoipa::path(delete, operation_id = "task_forces_remove_member", path = "/api/v1/task-forces/{task_force_id}/members/{agency_id}", tag = "agencies", security(("bearer" = [])),
    params(("task_force_id" = Uuid, Path), ("agency_id" = Uuid, Path)), responses(
    (status = 204, description = "The agency is not a member"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn remove_member(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (task_force, agency) = path.into_inner();
    task_forces::set_membership(&caller, task_force, agency, false).await?;
    Ok(HttpResponse::NoContent().finish())
}
