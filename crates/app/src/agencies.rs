//! The agency directory every user can read; only the system administrator
//! registers agencies.

use chrono::{DateTime, Utc};
use interdict_domain::agency::NewAgency;
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_persistence::agencies::{self, AgencyRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{Page, PageQuery};
use crate::utc;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgencyView {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = interdict_domain::agency::AgencyLevel, example = "state")]
    pub level: String,
    #[schema(example = "TX")]
    pub jurisdiction: String,
    #[schema(example = "TX0570000")]
    pub ori: String,
    /// Whom other agencies should contact about deconfliction notices.
    pub contact: String,
    /// The agency that operates this installation.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
}

impl From<AgencyRow> for AgencyView {
    fn from(row: AgencyRow) -> Self {
        Self {
            id: row.id.0,
            name: row.name,
            level: row.level,
            jurisdiction: row.jurisdiction,
            ori: row.ori,
            contact: row.contact,
            is_system: row.is_system,
            created_at: utc(row.created_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgencyRequest {
    #[schema(example = "Harris County Sheriff's Office")]
    pub name: String,
    #[schema(value_type = interdict_domain::agency::AgencyLevel, example = "local")]
    pub level: String,
    /// US state or territory code, or `US` for federal agencies.
    #[schema(example = "TX")]
    pub jurisdiction: String,
    /// NCIC Originating Agency Identifier.
    #[schema(example = "TX1010000")]
    pub ori: String,
    /// Desk, phone or email other agencies should use about shared cases.
    #[schema(example = "Narcotics desk, +1 713 555 0100")]
    pub contact: String,
}

/// Registers an agency (system administrator only).
pub async fn create(ctx: &Ctx, request: &CreateAgencyRequest) -> Result<AgencyView, AppError> {
    let id = Uuid::now_v7();
    let event = ctx.event_on(AuditAction::AgencyCreate, "agency", id);
    let checked = ctx.actor().and_then(|actor| {
        AppError::from_decision(policy::decide_directory_admin(actor))?;
        let b = request;
        Ok(NewAgency::parse(
            &b.name,
            &b.level,
            &b.jurisdiction,
            &b.ori,
            &b.contact,
        )?)
    });
    let agency = match checked {
        Ok(agency) => agency,
        Err(e) => return ctx.reject(event, e).await,
    };
    let created = ctx
        .app
        .audit
        .perform(event, move |conn, _| {
            let mut row = AgencyRow::new(&agency, false);
            row.id = id.into();
            agencies::insert(conn, &row)?;
            Ok::<_, AppError>(row)
        })
        .await?;
    Ok(created.into())
}

/// Participating agencies, oldest first.
pub async fn list(ctx: &Ctx, query: &PageQuery) -> Result<Page<AgencyView>, AppError> {
    let page = async {
        ctx.actor()?;
        let limit = query.limit()?;
        let cursor = query.uuid_cursor()?;
        let rows = ctx
            .app
            .db
            .run(move |conn| agencies::list(conn, cursor, limit + 1).map_err(AppError::from))
            .await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.id.0.to_string(),
            AgencyView::from,
        ))
    }
    .await;
    ctx.audited(ctx.event_on(AuditAction::AgencyList, "agency", "*"), page)
        .await
}

/// One agency.
pub async fn show(ctx: &Ctx, id: Uuid) -> Result<AgencyView, AppError> {
    let found = match ctx.actor() {
        Ok(_) => {
            ctx.app
                .db
                .run(move |conn| agencies::find(conn, id)?.ok_or(AppError::NotFound))
                .await
        }
        Err(e) => Err(e),
    };
    ctx.audited(ctx.event_on(AuditAction::AgencyRead, "agency", id), found)
        .await
        .map(AgencyView::from)
}
