//! The audit trail for auditors: search, each object's access history,
//! chain verification and entry proofs.

use actix_web::web;
use interdict_app::audit_trail::{self, AuditEntryView, AuditQuery, ObjectHistoryQuery, ProofView};
use interdict_app::pagination::Page;
use interdict_domain::audit::VerifyReport;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::caller::Caller;
use crate::error::ApiError;

/// Searches audit entries in the caller's scope (their agency's; the
/// system agency's auditors see all), newest first. The search itself is
/// audited.
#[utoipa::path(get, operation_id = "audit_search", path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery), responses(
    (status = 200, body = Page<AuditEntryView>),
    (status = 400, content_type = "application/problem+json"),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn search(
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEntryView>>, ApiError> {
    Ok(web::Json(
        audit_trail::search(&caller, query.into_inner()).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Re-hash only the entries after the last signed checkpoint.
    pub since_checkpoint: Option<bool>,
}

/// Re-hashes the audit chain and checks its signed checkpoints (auditors
/// and administrators).
#[utoipa::path(get, operation_id = "audit_verify", path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])), params(VerifyQuery), responses(
    (status = 200, body = VerifyReport),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn verify(
    caller: Caller,
    query: web::Query<VerifyQuery>,
) -> Result<web::Json<VerifyReport>, ApiError> {
    let since_checkpoint = query.since_checkpoint.unwrap_or(false);
    Ok(web::Json(
        audit_trail::verify(&caller, since_checkpoint).await?,
    ))
}

/// Everyone who read or changed one object, newest first (auditors). For a
/// record the auditor may see, that includes other agencies' users who read
/// it through sharing; for other objects, the auditor's usual scope.
#[utoipa::path(get, operation_id = "audit_object_history", path = "/api/v1/audit/objects/{object_type}/{object_id}", tag = "audit", security(("bearer" = [])),
    params(("object_type" = String, Path, description = "e.g. shipment, party, user, flag"), ("object_id" = String, Path), ObjectHistoryQuery), responses(
    (status = 200, body = Page<AuditEntryView>),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "A record the auditor may not see", content_type = "application/problem+json"),
))]
pub async fn object_history(
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<ObjectHistoryQuery>,
) -> Result<web::Json<Page<AuditEntryView>>, ApiError> {
    let (object_type, object_id) = path.into_inner();
    Ok(web::Json(
        audit_trail::object_history(&caller, object_type, object_id, &query).await?,
    ))
}

/// A proof that one audit entry is part of the chain up to a signed
/// checkpoint (auditors, for entries in their scope).
#[utoipa::path(get, operation_id = "audit_entry_proof", path = "/api/v1/audit/entries/{seq}/proof", tag = "audit", security(("bearer" = [])),
    params(("seq" = i64, Path)), responses(
    (status = 200, body = ProofView),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "No such entry in the caller's scope", content_type = "application/problem+json"),
    (status = 409, description = "No checkpoint covers the entry yet", content_type = "application/problem+json"),
))]
pub async fn proof(caller: Caller, path: web::Path<i64>) -> Result<web::Json<ProofView>, ApiError> {
    Ok(web::Json(
        audit_trail::proof(&caller, path.into_inner()).await?,
    ))
}
