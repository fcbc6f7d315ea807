//! Links between shipments: "shipment B continues shipment A".

use actix_web::{web, HttpResponse};
use interdict_app::links::{self, CreateLinkRequest, LinkView};
use interdict_app::records::ReasonRequest;
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// Says that shipment `to` continues this one. Both must be visible to the
/// caller; a link that would close a cycle is refused.
#[utoipa::path(post, operation_id = "chains_create_link", path = "/api/v1/shipments/{id}/links", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreateLinkRequest, responses(
    (status = 201, body = LinkView),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "Either shipment is not visible", content_type = "application/problem+json"),
    (status = 409, description = "The link exists", content_type = "application/problem+json"),
    (status = 422, description = "Invalid, or it would close a cycle", content_type = "application/problem+json"),
))]
pub async fn create_link(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<CreateLinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let link = links::create(&caller, path.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(link))
}

/// Links to and from a shipment, withdrawn ones included.
#[utoipa::path(get, operation_id = "chains_list_links", path = "/api/v1/shipments/{id}/links", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<LinkView>), (status = 404, content_type = "application/problem+json")))]
pub async fn list_links(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<Vec<LinkView>>, ApiError> {
    Ok(web::Json(
        links::of_shipment(&caller, path.into_inner()).await?,
    ))
}

/// Withdraws a link (the agency that made it); it stays in the history.
#[utoipa::path(post, operation_id = "chains_withdraw_link", path = "/api/v1/links/{id}/withdraw", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReasonRequest, responses(
    (status = 200, body = LinkView), (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn withdraw_link(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<web::Json<LinkView>, ApiError> {
    Ok(web::Json(
        links::withdraw(&caller, path.into_inner(), &body).await?,
    ))
}
