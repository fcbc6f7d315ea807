//! Task forces: groups of agencies that records can be shared with.

use actix_web::{web, HttpResponse};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_domain::validation::bounded_text;
use interdict_domain::ValidationErrors;
use interdict_persistence::agencies::{self, TaskForceRow};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::TaskForceView;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskForceRequest {
    #[schema(example = "Gulf Coast Precursor Task Force")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Initial member agencies.
    #[serde(default)]
    pub members: Vec<Uuid>,
}

/// Creates a task force (system administrator only).
#[utoipa::path(post, operation_id = "task_forces_create", path = "/api/v1/task-forces", tag = "agencies", security(("bearer" = [])), request_body = CreateTaskForceRequest, responses(
    (status = 201, body = TaskForceView, headers(("Location" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 409, description = "The name is taken", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateTaskForceRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::now_v7();
    let event = caller.event_on(AuditAction::TaskForceCreate, "task_force", id);
    if let Err(e) = ApiError::from_decision(policy::decide_directory_admin(&caller.actor)) {
        return state.reject(event, e).await;
    }
    let body = body.into_inner();
    let mut errors = ValidationErrors::new();
    let name = errors.check("name", bounded_text(&body.name, 200));
    let description = if body.description.trim().is_empty() {
        Some(String::new())
    } else {
        errors.check("description", bounded_text(&body.description, 2000))
    };
    if body.members.len() > 1000 {
        errors.add("members", "at most 1000 agencies");
    }
    let (Some(name), Some(description)) = (name, description) else {
        return state.reject(event, errors.into()).await;
    };
    if !errors.is_empty() {
        return state.reject(event, errors.into()).await;
    }
    let members = body.members;
    let created = state
        .audit
        .perform(event, move |conn, _| {
            for (i, agency) in members.iter().enumerate() {
                if agencies::find(conn, *agency)?.is_none() {
                    return Err(ValidationErrors::single(
                        format!("members[{i}]"),
                        "no such agency",
                    )
                    .into());
                }
            }
            let row = TaskForceRow {
                id: id.into(),
                name,
                description,
                created_at: interdict_persistence::now(),
            };
            agencies::insert_task_force(conn, &row)?;
            for agency in &members {
                agencies::add_member(conn, id, *agency)?;
            }
            let members = agencies::members(conn, id)?;
            Ok::<_, ApiError>(TaskForceView::new(row, members))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/task-forces/{id}")))
        .json(created))
}

/// Lists task forces, oldest first.
#[utoipa::path(get, operation_id = "task_forces_list", path = "/api/v1/task-forces", tag = "agencies", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<TaskForceView>),
))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<TaskForceView>>, ApiError> {
    let page = async {
        let limit = query.limit()?;
        let cursor = query.uuid_cursor()?;
        let rows = state
            .db
            .run(move |conn| -> Result<_, ApiError> {
                let rows = agencies::list_task_forces(conn, cursor, limit + 1)?;
                rows.into_iter()
                    .map(|row| Ok((agencies::members(conn, row.id.0)?, row)))
                    .collect::<Result<Vec<_>, ApiError>>()
            })
            .await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |(_, r)| r.id.0.to_string(),
            |(members, row)| TaskForceView::new(row, members),
        ))
    }
    .await;
    state
        .audited(
            caller.event_on(AuditAction::TaskForceList, "task_force", "*"),
            page,
        )
        .await
        .map(web::Json)
}

/// One task force with its members.
#[utoipa::path(get, operation_id = "task_forces_show", path = "/api/v1/task-forces/{task_force_id}", tag = "agencies", security(("bearer" = [])),
    params(("task_force_id" = Uuid, Path)), responses(
    (status = 200, body = TaskForceView),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<TaskForceView>, ApiError> {
    let id = path.into_inner();
    let found = state
        .db
        .run(move |conn| -> Result<_, ApiError> {
            let row = agencies::find_task_force(conn, id)?.ok_or(ApiError::NotFound)?;
            Ok(TaskForceView::new(row, agencies::members(conn, id)?))
        })
        .await;
    state
        .audited(
            caller.event_on(AuditAction::TaskForceRead, "task_force", id),
            found,
        )
        .await
        .map(web::Json)
}

async fn change_membership(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    add: bool,
) -> Result<HttpResponse, ApiError> {
    let (task_force, agency) = path.into_inner();
    let action = if add {
        AuditAction::TaskForceMemberAdd
    } else {
        AuditAction::TaskForceMemberRemove
    };
    let mut event = caller.event_on(action, "task_force", task_force);
    event.detail = Some(serde_json::json!({ "agency_id": agency }).to_string());
    if let Err(e) = ApiError::from_decision(policy::decide_directory_admin(&caller.actor)) {
        return state.reject(event, e).await;
    }
    state
        .audit
        .perform(event, move |conn, _| {
            if agencies::find_task_force(conn, task_force)?.is_none()
                || agencies::find(conn, agency)?.is_none()
            {
                return Err(ApiError::NotFound);
            }
            if add {
                agencies::add_member(conn, task_force, agency)?;
            } else {
                agencies::remove_member(conn, task_force, agency)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds an agency to a task force (system administrator only).
#[utoipa::path(put, operation_id = "task_forces_add_member", path = "/api/v1/task-forces/{task_force_id}/members/{agency_id}", tag = "agencies", security(("bearer" = [])),
    params(("task_force_id" = Uuid, Path), ("agency_id" = Uuid, Path)), responses(
    (status = 204, description = "The agency is a member"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    change_membership(state, caller, path, true).await
}

/// Removes an agency from a task force (system administrator only).
#[utoipa::path(delete, operation_id = "task_forces_remove_member", path = "/api/v1/task-forces/{task_force_id}/members/{agency_id}", tag = "agencies", security(("bearer" = [])),
    params(("task_force_id" = Uuid, Path), ("agency_id" = Uuid, Path)), responses(
    (status = 204, description = "The agency is not a member"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    change_membership(state, caller, path, false).await
}
