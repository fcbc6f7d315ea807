//! Chains: tracing one through a shipment, and searching them.

use actix_web::web;
use interdict_app::chains::{self, ChainQuery, ChainSearchQuery, ChainSummary, ChainView};
use interdict_app::pagination::Page;
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// The origin→destination chain through a shipment, traced in the
/// database within the depth and node limits.
#[utoipa::path(get, operation_id = "chains_show_chain", path = "/api/v1/shipments/{id}/chain", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path), ChainQuery), responses((status = 200, body = ChainView), (status = 404, content_type = "application/problem+json")))]
pub async fn show_chain(
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<ChainQuery>,
) -> Result<web::Json<ChainView>, ApiError> {
    Ok(web::Json(
        chains::show(&caller, path.into_inner(), &query).await?,
    ))
}

/// Chains in the caller's view, newest first by their first shipment. A
/// page scans a bounded number of chains; `next_cursor` continues.
#[utoipa::path(get, operation_id = "chains_search", path = "/api/v1/chains", tag = "chains", security(("bearer" = [])), params(ChainSearchQuery), responses(
    (status = 200, body = Page<ChainSummary>), (status = 400, content_type = "application/problem+json")))]
pub async fn search(
    caller: Caller,
    query: web::Query<ChainSearchQuery>,
) -> Result<web::Json<Page<ChainSummary>>, ApiError> {
    Ok(web::Json(chains::search(&caller, &query).await?))
}
