//! Link suggestions: proposed continuations of a shipment, to accept or
//! reject.

use actix_web::{web, HttpResponse};
use interdict_app::suggestions::{self, Suggestion, SuggestionDecision, SuggestionOutcome};
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// Proposed links for a shipment, each with its reasons.
#[utoipa::path(get, operation_id = "suggestions_list", path = "/api/v1/shipments/{id}/suggestions", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Suggestion>), (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json")))]
pub async fn list(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<Vec<Suggestion>>, ApiError> {
    Ok(web::Json(
        suggestions::list(&caller, path.into_inner()).await?,
    ))
}

/// Accepts or rejects the suggestion linking a shipment and a candidate.
#[utoipa::path(post, operation_id = "suggestions_decide", path = "/api/v1/shipments/{id}/suggestions/{candidate}", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("candidate" = Uuid, Path)), request_body = SuggestionDecision, responses(
    (status = 200, body = SuggestionOutcome), (status = 404, description = "Not a current suggestion", content_type = "application/problem+json"), (status = 422, content_type = "application/problem+json")))]
pub async fn decide(
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<SuggestionDecision>,
) -> Result<HttpResponse, ApiError> {
    let (id, candidate) = path.into_inner();
    let outcome = suggestions::decide(&caller, id, candidate, &body).await?;
    Ok(HttpResponse::Ok().json(outcome))
}
