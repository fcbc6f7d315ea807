//! Agencies: the directory every user can read; only the system
//! administrator registers new ones.

use actix_web::{web, HttpResponse};
use interdict_app::agencies::{self, AgencyView, CreateAgencyRequest};
use interdict_app::pagination::{Page, PageQuery};
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// Registers an agency (system administrator only).
#[utoipa::path(post, operation_id = "agencies_create", path = "/api/v1/agencies", tag = "agencies", security(("bearer" = [])), request_body = CreateAgencyRequest, responses(
    (status = 201, body = AgencyView, headers(("Location" = String))),
    (status = 403, content_type = "application/problem+json"),
    (status = 409, description = "The ORI is already registered", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
))]
pub async fn create(
    caller: Caller,
    body: web::Json<CreateAgencyRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = agencies::create(&caller, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/agencies/{}", created.id)))
        .json(created))
}

/// Lists participating agencies, oldest first.
#[utoipa::path(get, operation_id = "agencies_list", path = "/api/v1/agencies", tag = "agencies", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<AgencyView>),
))]
pub async fn list(
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<AgencyView>>, ApiError> {
    Ok(web::Json(agencies::list(&caller, &query).await?))
}

/// One agency.
#[utoipa::path(get, operation_id = "agencies_show", path = "/api/v1/agencies/{agency_id}", tag = "agencies", security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)), responses(
    (status = 200, body = AgencyView),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn show(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<AgencyView>, ApiError> {
    Ok(web::Json(agencies::show(&caller, path.into_inner()).await?))
}
