//! `/api/v1/imports`: upload a manifest CSV, then poll its progress and
//! read the rows it refused.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use interdict_app::imports::{self, ImportView, RejectionQuery, RejectionView, UploadQuery};
use interdict_app::pagination::Page;
use uuid::Uuid;

use crate::caller::Caller;
use crate::connection_limits::{body_timeout, stall_limited};
use crate::error::ApiError;

/// Starts an import of a manifest CSV (`Content-Type: text/csv`) for the
/// caller's agency; answers 202 with the import to poll.
#[utoipa::path(post, operation_id = "imports_create", path = "/api/v1/imports", tag = "imports", security(("bearer" = [])),
    params(UploadQuery), request_body(content = String, content_type = "text/csv", description = "Manifest lines with a header row; columns in the README",
        example = "tracking_number,consignor_name,consignor_country,consignee_name,consignee_country,origin,destination,mode,description,weight_kg,shipped_at\n1Z999AA10123456784,Wuhan Example Chemical Co.,CN,Distribuidora Ejemplo SA,MX,CNWUH,MXZLO,air_cargo,industrial dye intermediate,25,2026-11-02\n"),
    responses(
    (status = 202, body = ImportView),
    (status = 403, content_type = "application/problem+json"),
    (status = 413, content_type = "application/problem+json"),
    (status = 415, content_type = "application/problem+json")))]
pub async fn create(
    caller: Caller,
    request: HttpRequest,
    query: web::Query<UploadQuery>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let csv = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with("text/csv"));
    // Too large for one deadline; refused if it stalls instead.
    let body = stall_limited(body, body_timeout(&request));
    let started = imports::upload(&caller, &query, csv, body).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", started.id)))
        .json(started))
}

/// An import's progress, or its totals once finished.
#[utoipa::path(get, operation_id = "imports_show", path = "/api/v1/imports/{id}", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path,)), responses(
    (status = 200, body = ImportView),
    (status = 404, content_type = "application/problem+json")))]
pub async fn show(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<ImportView>, ApiError> {
    Ok(web::Json(imports::show(&caller, path.into_inner()).await?))
}

/// The lines an import refused, by line number, with each field and why.
#[utoipa::path(get, operation_id = "imports_rejections", path = "/api/v1/imports/{id}/rejections", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path,), RejectionQuery), responses(
    (status = 200, body = Page<RejectionView>),
    (status = 404, content_type = "application/problem+json")))]
pub async fn rejections(
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<RejectionQuery>,
) -> Result<web::Json<Page<RejectionView>>, ApiError> {
    Ok(web::Json(
        imports::rejections(&caller, path.into_inner(), &query).await?,
    ))
}
