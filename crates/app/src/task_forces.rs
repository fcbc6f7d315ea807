//! Task forces: groups of agencies that records can be shared with. Every
//! user reads them; only the system administrator forms them.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_domain::validation::bounded_text;
use interdict_domain::ValidationErrors;
use interdict_persistence::agencies::{self, TaskForceRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{Page, PageQuery};
use crate::utc;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskForceView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Member agency ids.
    pub members: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl TaskForceView {
    fn new(row: TaskForceRow, members: Vec<Uuid>) -> Self {
        Self {
            id: row.id.0,
            name: row.name,
            description: row.description,
            members,
            created_at: utc(row.created_at),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
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

/// Forms a task force (system administrator only).
pub async fn create(
    ctx: &Ctx,
    request: &CreateTaskForceRequest,
) -> Result<TaskForceView, AppError> {
    let id = Uuid::now_v7();
    let event = ctx.event_on(AuditAction::TaskForceCreate, "task_force", id);
    let checked = ctx.actor().and_then(|actor| {
        AppError::from_decision(policy::decide_directory_admin(actor))?;
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", bounded_text(&request.name, 200));
        let description = if request.description.trim().is_empty() {
            Some(String::new())
        } else {
            errors.check("description", bounded_text(&request.description, 2000))
        };
        if request.members.len() > 1000 {
            errors.add("members", "at most 1000 agencies");
        }
        match (name, description) {
            (Some(name), Some(description)) if errors.is_empty() => Ok((name, description)),
            _ => Err(errors.into()),
        }
    });
    let (name, description) = match checked {
        Ok(checked) => checked,
        Err(e) => return ctx.reject(event, e).await,
    };
    let members = request.members.clone();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            for (i, agency) in members.iter().enumerate() {
                if agencies::find(conn, *agency)?.is_none() {
                    return Err(AppError::invalid(format!("members[{i}]"), "no such agency"));
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
            Ok::<_, AppError>(TaskForceView::new(row, members))
        })
        .await
}

/// Task forces, oldest first.
pub async fn list(ctx: &Ctx, query: &PageQuery) -> Result<Page<TaskForceView>, AppError> {
    let page = async {
        ctx.actor()?;
        let limit = query.limit()?;
        let cursor = query.uuid_cursor()?;
        let rows = ctx
            .app
            .db
            .run(move |conn| -> Result<_, AppError> {
                let rows = agencies::list_task_forces(conn, cursor, limit + 1)?;
                rows.into_iter()
                    .map(|row| Ok((agencies::members(conn, row.id.0)?, row)))
                    .collect::<Result<Vec<_>, AppError>>()
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
    ctx.audited(
        ctx.event_on(AuditAction::TaskForceList, "task_force", "*"),
        page,
    )
    .await
}

/// One task force with its members.
pub async fn show(ctx: &Ctx, id: Uuid) -> Result<TaskForceView, AppError> {
    let found = match ctx.actor() {
        Ok(_) => {
            ctx.app
                .db
                .run(move |conn| -> Result<_, AppError> {
                    let row = agencies::find_task_force(conn, id)?.ok_or(AppError::NotFound)?;
                    Ok(TaskForceView::new(row, agencies::members(conn, id)?))
                })
                .await
        }
        Err(e) => Err(e),
    };
    ctx.audited(
        ctx.event_on(AuditAction::TaskForceRead, "task_force", id),
        found,
    )
    .await
}

/// Adds `agency` to a task force, or takes it out (system administrator
/// only).
pub async fn set_membership(
    ctx: &Ctx,
    task_force: Uuid,
    agency: Uuid,
    member: bool,
) -> Result<(), AppError> {
    let action = if member {
        AuditAction::TaskForceMemberAdd
    } else {
        AuditAction::TaskForceMemberRemove
    };
    let mut event = ctx.event_on(action, "task_force", task_force);
    event.detail = Some(serde_json::json!({ "agency_id": agency }).to_string());
    if let Err(e) = ctx
        .actor()
        .and_then(|actor| AppError::from_decision(policy::decide_directory_admin(actor)))
    {
        return ctx.reject(event, e).await;
    }
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            if agencies::find_task_force(conn, task_force)?.is_none()
                || agencies::find(conn, agency)?.is_none()
            {
                return Err(AppError::NotFound);
            }
            if member {
                agencies::add_member(conn, task_force, agency)?;
            } else {
                agencies::remove_member(conn, task_force, agency)?;
            }
            Ok(())
        })
        .await
}
