//! Liveness and readiness probes for load balancers and orchestrators.

use actix_web::{web, HttpResponse};
use interdict_app::App;

use crate::error::ApiError;

/// The process is up.
#[utoipa::path(get, operation_id = "health_healthz", path = "/healthz", tag = "operations", responses((status = 200, description = "The process is running")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(get, operation_id = "health_readyz", path = "/readyz", tag = "operations", responses(
    (status = 200, description = "The database is reachable"),
    (status = 503, description = "The database is unreachable", content_type = "application/problem+json"),
))]
pub async fn readyz(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    interdict_app::refusals::database_ready(&app).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}
