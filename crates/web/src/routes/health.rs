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
    // The sanctions list in force, and whether it is over 30 days old.
    let sanctions = match interdict_app::screening::in_force(&app).await {
        Ok(Some(list)) => serde_json::json!({
            "list_date": list.list_date,
            "source": list.source,
            "stale": list.stale,
        }),
        Ok(None) => serde_json::json!({ "loaded": false }),
        Err(_) => serde_json::Value::Null,
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "sanctions": sanctions })))
}
