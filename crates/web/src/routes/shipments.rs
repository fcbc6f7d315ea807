//! `/api/v1/shipments`: what moved, between whom, by which route; read
//! with the risk indicators it fires.

use actix_web::web;
use interdict_app::shipments::{self, ObligationsView, ShipmentQuery};
use interdict_domain::shipment::ShipmentInput;
use uuid::Uuid;

use super::records::record_endpoints;
use crate::caller::Caller;
use crate::error::ApiError;

record_endpoints! {
    document: ShipmentInput,
    query: ShipmentQuery,
    show: interdict_app::shipments::detail,
    tag: "shipments",
    operation_prefix: "shipments",
    collection: "/api/v1/shipments",
    item: "/api/v1/shipments/{id}",
    withdraw: "/api/v1/shipments/{id}/withdraw",
    history: "/api/v1/shipments/{id}/history",
}

/// The DEA filing obligations of a shipment (advance notices on Form 486,
/// machine reports on Form 452, suspicious-order reports), each with its
/// citation, due date and status today: `met`, `late`, `missing` or
/// `not_yet_due`. Visible as the shipment is; the read is audited.
#[utoipa::path(get, operation_id = "shipments_obligations", path = "/api/v1/shipments/{id}/obligations", tag = "shipments", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ObligationsView), (status = 404, content_type = "application/problem+json")))]
pub async fn obligations(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<ObligationsView>, ApiError> {
    Ok(web::Json(
        shipments::obligations(&caller, path.into_inner()).await?,
    ))
}
