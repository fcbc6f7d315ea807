//! Requests refused before their use case could run — a body that is not
//! JSON, a path id that is not an id, an unknown query parameter — still
//! leave an entry, `request.refused`, naming the field but never the value
//! sent (which could be a secret).

use interdict_domain::audit::{AuditAction, Outcome};

use crate::auth::authenticate;
use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;

/// Records the refusal of `method` `path` with `status`: as the caller
/// when `token` is good, anonymously without one. A bad token is the
/// refusal instead: it is audited as such, and `Unauthenticated` answered.
pub async fn record(
    app: &App,
    token: Option<String>,
    meta: RequestMeta,
    method: &str,
    path: &str,
    status: u16,
    field: Option<String>,
) -> Result<(), AppError> {
    let ctx = match token {
        Some(token) => authenticate(app, Some(token), meta, path, || {}).await?,
        None => Ctx::anonymous(app, meta),
    };
    let mut event = ctx.event(AuditAction::RequestRefused);
    event.outcome = Outcome::Error;
    event.object_type = Some("route".into());
    event.object_id = Some(format!("{method} {path}"));
    event.detail = Some(serde_json::json!({ "status": status, "field": field }).to_string());
    Ok(app.audit.record(event).await?)
}

/// Waits until every entry queued so far is committed: a token refusal
/// whose request was abandoned before the commit.
pub async fn queued_committed(app: &App) -> Result<(), AppError> {
    Ok(app.audit.settled().await?)
}

/// Whether the database answers (readiness).
pub async fn database_ready(app: &App) -> Result<(), AppError> {
    app.db
        .run(|conn| Ok::<_, AppError>(interdict_persistence::db::ping(conn)?))
        .await
}
