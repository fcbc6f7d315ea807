//! Flags and the supervisors' review: raising a flag, the queue, one flag
//! with its history, and the decisions on it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_app::flags::{self, FlagDetail, FlagView, RaiseFlagRequest, Raised};
use interdict_app::pagination::Page;
use interdict_app::reviews::{self, QueueQuery, ReviewerView, TransitionRequest};
use uuid::Uuid;

use super::records::versioned;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::extract::IfMatch;

/// Flags the chain through a shipment for its agency's supervisors: 201
/// with a new flag; 200 with the chain's open flag when there already was
/// one the caller can see, the reason added to it (a supervisor may ask
/// for a `separate` flag instead).
#[utoipa::path(post, operation_id = "chains_raise_flag", path = "/api/v1/shipments/{id}/flags", tag = "reviews", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RaiseFlagRequest, responses(
    (status = 201, description = "A new flag", body = FlagView),
    (status = 200, description = "The reason was added to the chain's open flag", body = FlagView),
    (status = 403, description = "Not allowed to flag, or `separate` by a non-supervisor", content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 409, description = "A flag on the chain changed meanwhile", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json")))]
pub async fn raise_flag(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<RaiseFlagRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(
        match flags::raise(&caller, path.into_inner(), &body).await? {
            Raised::New(flag) => HttpResponse::Created().json(flag),
            Raised::AddedTo(flag) => HttpResponse::Ok().json(flag),
        },
    )
}

/// Flags for the caller's agency, and for task forces its records are
/// shared with (supervisors only), newest first.
#[utoipa::path(get, operation_id = "reviews_queue", path = "/api/v1/reviews/queue", tag = "reviews", security(("bearer" = [])), params(QueueQuery), responses(
    (status = 200, body = Page<FlagView>), (status = 403, content_type = "application/problem+json")))]
pub async fn queue(
    caller: Caller,
    query: web::Query<QueueQuery>,
) -> Result<web::Json<Page<FlagView>>, ApiError> {
    Ok(web::Json(reviews::queue(&caller, &query).await?))
}

/// The active supervisors of the caller's agency, whom a flag may be
/// assigned to (supervisors only).
#[utoipa::path(get, operation_id = "reviews_reviewers", path = "/api/v1/reviews/supervisors", tag = "reviews", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ReviewerView>), (status = 401, content_type = "application/problem+json"), (status = 403, content_type = "application/problem+json")))]
pub async fn reviewers(caller: Caller) -> Result<web::Json<Vec<ReviewerView>>, ApiError> {
    Ok(web::Json(reviews::reviewers(&caller).await?))
}

/// A flag with its review history.
#[utoipa::path(get, operation_id = "reviews_show", path = "/api/v1/flags/{id}", tag = "reviews", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = FlagDetail, headers(("ETag" = String))), (status = 404, content_type = "application/problem+json")))]
pub async fn show(caller: Caller, path: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let flag = flags::show(&caller, path.into_inner()).await?;
    Ok(versioned(StatusCode::OK, &flag))
}

/// Moves a flag through review. Needs `If-Match` with the flag's version: a
/// decision on a version someone else already moved is 412. An action the
/// state does not allow is 409; deciding a flag you raised is 403.
#[utoipa::path(post, operation_id = "reviews_transition", path = "/api/v1/flags/{id}/transitions", tag = "reviews", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The flag's version")), request_body = TransitionRequest, responses(
    (status = 200, body = FlagView, headers(("ETag" = String))),
    (status = 403, description = "Not a reviewer of this flag, or you raised it", content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 409, description = "Not allowed in the flag's state", content_type = "application/problem+json"),
    (status = 412, description = "Someone decided first", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
    (status = 428, content_type = "application/problem+json")))]
pub async fn transition(
    caller: Caller,
    if_match: IfMatch,
    path: web::Path<Uuid>,
    body: web::Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let flag = reviews::transition(&caller, path.into_inner(), if_match.0, &body).await?;
    Ok(versioned(StatusCode::OK, &flag))
}
