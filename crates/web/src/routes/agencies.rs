//! Agencies: the directory every user can read; only the system
//! administrator registers new ones.

use actix_web::{web, HttpResponse};
use interdict_domain::agency::NewAgency;
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_persistence::agencies::{self, AgencyRow};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::AgencyView;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::{Page, PageQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgencyRequest {
    #[schema(example = "Harris County Sheriff's Office")]
    pub name: String,
    #[schema(example = "local")]
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
#[utoipa::path(post, operation_id = "agencies_create", path = "/api/v1/agencies", tag = "agencies", security(("bearer" = [])), request_body = CreateAgencyRequest, responses(
    (status = 201, body = AgencyView, headers(("Location" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 409, description = "The ORI is already registered", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateAgencyRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::now_v7();
    let event = caller.event_on(AuditAction::AgencyCreate, "agency", id);
    if let Err(e) = ApiError::from_decision(policy::decide_directory_admin(&caller.actor)) {
        return state.reject(event, e).await;
    }
    let b = body.into_inner();
    let agency = match NewAgency::parse(&b.name, &b.level, &b.jurisdiction, &b.ori, &b.contact) {
        Ok(agency) => agency,
        Err(errors) => return state.reject(event, errors.into()).await,
    };
    let created = state
        .audit
        .perform(event, move |conn, _| {
            let mut row = AgencyRow::new(&agency, false);
            row.id = id.into();
            agencies::insert(conn, &row)?;
            Ok::<_, ApiError>(row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/agencies/{id}")))
        .json(AgencyView::from(created)))
}

/// Lists participating agencies, oldest first.
#[utoipa::path(get, operation_id = "agencies_list", path = "/api/v1/agencies", tag = "agencies", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<AgencyView>),
))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<AgencyView>>, ApiError> {
    let page = async {
        let limit = query.limit()?;
        let cursor = query.uuid_cursor()?;
        let rows = state
            .db
            .run(move |conn| agencies::list(conn, cursor, limit + 1).map_err(ApiError::from))
            .await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.id.0.to_string(),
            AgencyView::from,
        ))
    }
    .await;
    state
        .audited(
            caller.event_on(AuditAction::AgencyList, "agency", "*"),
            page,
        )
        .await
        .map(web::Json)
}

/// One agency.
#[utoipa::path(get, operation_id = "agencies_show", path = "/api/v1/agencies/{agency_id}", tag = "agencies", security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)), responses(
    (status = 200, body = AgencyView),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<AgencyView>, ApiError> {
    let id = path.into_inner();
    let found = state
        .db
        .run(move |conn| agencies::find(conn, id)?.ok_or(ApiError::NotFound))
        .await;
    state
        .audited(
            caller.event_on(AuditAction::AgencyRead, "agency", id),
            found,
        )
        .await
        .map(|row| web::Json(row.into()))
}
