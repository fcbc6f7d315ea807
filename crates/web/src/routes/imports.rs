//! `/api/v1/imports`: upload a manifest CSV, then poll its progress and
//! read the rows it refused. The upload is spooled to a temporary file and
//! imported in the background by the same code as `interdict import`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_persistence::imports::{self, ImportRow};
use serde::{Deserialize, Serialize};
use std::io::Write;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::views::utc;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::{check_limit, Page};
use crate::state::AppState;

/// The largest manifest accepted in one upload.
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub id: Uuid,
    pub file_name: String,
    /// `running`, `completed` or `failed`.
    pub state: String,
    pub rows_read: i64,
    pub imported: i64,
    /// Lines imported before (same tracking number and consignor).
    pub duplicates: i64,
    pub rejected: i64,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<ImportRow> for ImportView {
    fn from(row: ImportRow) -> Self {
        Self {
            id: row.id.0,
            file_name: row.file_name,
            state: row.state,
            rows_read: row.rows_read,
            imported: row.imported,
            duplicates: row.duplicates,
            rejected: row.rejected,
            error: row.error,
            created_at: utc(row.created_at),
            finished_at: row.finished_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionView {
    /// Line number in the file; the header is line 1.
    pub row: i64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, kept for the record.
    pub file_name: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RejectionQuery {
    /// Rejected rows per page, each with all of its reasons: 1 to 500
    /// (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

fn temp_path(id: Uuid) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("interdict-import-{id}.csv"))
}

/// Starts an import of a manifest CSV (`Content-Type: text/csv`) for the
/// caller's agency; answers 202 with the import to poll.
#[utoipa::path(post, operation_id = "imports_create", path = "/api/v1/imports", tag = "imports", security(("bearer" = [])),
    params(UploadQuery), request_body(content = String, content_type = "text/csv", description = "Manifest lines with a header row; columns in the README"),
    responses(
    (status = 202, body = ImportView),
    (status = 403, content_type = "application/problem+json"),
    (status = 413, content_type = "application/problem+json"),
    (status = 415, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    query: web::Query<UploadQuery>,
    mut body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let row = ImportRow::start(
        caller.actor.agency_id,
        caller.actor.user_id,
        query.file_name.as_deref().unwrap_or("upload.csv"),
    );
    let id = row.id.0;
    let mut event = caller.event_on(AuditAction::ImportCreate, "import", id);
    let csv = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with("text/csv"));
    let checks = ApiError::from_decision(policy::decide_create_record(&caller.actor)).and_then(
        |()| match () {
            _ if !csv => Err(ApiError::UnsupportedMediaType),
            _ if row.file_name.chars().count() > 200 => {
                Err(ApiError::bad_request("file_name", "at most 200 characters"))
            }
            _ => Ok(()),
        },
    );
    if let Err(e) = checks {
        return state.reject(event, e).await;
    }
    // Spool the upload, refusing it once it passes the limit.
    let path = temp_path(id);
    let spooled = async {
        let mut file = std::fs::File::create(&path).map_err(ApiError::internal)?;
        let mut size = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ApiError::bad_request("body", e.to_string()))?;
            size += chunk.len() as u64;
            if size > MAX_UPLOAD_BYTES {
                return Err(ApiError::PayloadTooLarge);
            }
            file.write_all(&chunk).map_err(ApiError::internal)?;
        }
        file.flush().map_err(ApiError::internal)?;
        Ok(size)
    }
    .await;
    let size = match spooled {
        Ok(size) => size,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return state.reject(event, e).await;
        }
    };
    event.detail =
        Some(serde_json::json!({ "file_name": row.file_name, "bytes": size }).to_string());
    let inserted = row.clone();
    let started = state
        .audited(
            event,
            state
                .db
                .run(move |conn| Ok::<_, ApiError>(imports::insert(conn, &inserted)?))
                .await,
        )
        .await;
    if let Err(e) = started {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let audit = state.audit.clone();
    let weights = state.config.risk.clone();
    let actor = caller.actor.clone();
    let base = caller.event(AuditAction::Import);
    tokio::spawn(async move {
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) => {
                tracing::error!(error = %e, "cannot reopen a spooled import");
                return;
            }
        };
        let reader = Box::new(std::io::BufReader::with_capacity(1 << 20, file));
        if let Err(e) = crate::import::run(&audit, &weights, &actor, base, id, reader, |_| {}).await
        {
            tracing::warn!(import = %id, error = %e, "import stopped");
        }
        let _ = std::fs::remove_file(&path);
    });
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{id}")))
        .json(ImportView::from(row)))
}

async fn find_allowed(state: &AppState, caller: &Caller, id: Uuid) -> Result<ImportRow, ApiError> {
    let row = state
        .db
        .run(move |conn| Ok::<_, ApiError>(imports::find(conn, id)?))
        .await?
        .ok_or(ApiError::NotFound)?;
    ApiError::from_decision(policy::decide_import(&caller.actor, row.agency_id.0))?;
    Ok(row)
}

/// An import's progress, or its totals once finished.
#[utoipa::path(get, operation_id = "imports_show", path = "/api/v1/imports/{id}", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path,)), responses(
    (status = 200, body = ImportView),
    (status = 404, content_type = "application/problem+json")))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<ImportView>, ApiError> {
    let id = path.into_inner();
    let found = find_allowed(&state, &caller, id).await;
    state
        .audited(
            caller.event_on(AuditAction::ImportRead, "import", id),
            found,
        )
        .await
        .map(|row| web::Json(row.into()))
}

/// The lines an import refused, by line number, with each field and why.
#[utoipa::path(get, operation_id = "imports_rejections", path = "/api/v1/imports/{id}/rejections", tag = "imports", security(("bearer" = [])),
    params(("id" = Uuid, Path,), RejectionQuery), responses(
    (status = 200, body = Page<RejectionView>),
    (status = 404, content_type = "application/problem+json")))]
pub async fn rejections(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<RejectionQuery>,
) -> Result<web::Json<Page<RejectionView>>, ApiError> {
    let id = path.into_inner();
    let page = async {
        find_allowed(&state, &caller, id).await?;
        let limit = check_limit(query.limit)?;
        let after = match query.cursor.as_deref() {
            None => 0,
            Some(c) => c
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request("cursor", "is not a cursor from this list"))?,
        };
        // A row may have several reasons: pages count rows, so none is split.
        let rows = state
            .db
            .run(move |conn| Ok::<_, ApiError>(imports::rejections(conn, id, after, limit + 1)?))
            .await?;
        let mut items: Vec<RejectionView> = rows
            .into_iter()
            .map(|r| RejectionView {
                row: r.row_number,
                field: r.field,
                reason: r.reason,
            })
            .collect();
        let more = items.chunk_by(|a, b| a.row == b.row).count() as i64 > limit;
        let next_cursor = if more {
            // One row more than asked for: the next page starts with it.
            let extra = items.last().map(|r| r.row);
            items.retain(|r| Some(r.row) != extra);
            items.last().map(|r| r.row.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
    .await;
    state
        .audited(
            caller.event_on(AuditAction::ImportRejections, "import", id),
            page,
        )
        .await
        .map(web::Json)
}
