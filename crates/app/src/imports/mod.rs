//! Imports of manifest files, in two phases. Acceptance (`acceptance`)
//! reads the file, checks each line and stores it, fast as a loader:
//! uploaded (spooled, then accepted in the background) or run from the
//! command line. Settlement (`settlement`) turns the accepted lines into
//! shipments in the background, on any instance. Also: an import's
//! progress and the lines it refused.

mod acceptance;
mod settlement;

pub use acceptance::{ImportStopped, Progress, Reading, BATCH};
pub use settlement::{settle_until_done, Settler};

use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_persistence::imports::{self, Counts, ImportRow, Rejection};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{check_limit, Page};
use crate::utc;

/// The largest manifest accepted in one upload.
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportView {
    pub id: Uuid,
    pub file_name: String,
    /// `accepting` (the file being read and its lines stored), `settling`
    /// (accepted lines becoming shipments in the background), `completed`,
    /// or `failed` (acceptance stopped: see `error`; the lines it accepted
    /// are settled all the same).
    #[schema(value_type = interdict_domain::manifest::ImportPhase)]
    pub phase: String,
    pub rows_read: i64,
    /// Lines stored for settlement.
    pub accepted: i64,
    /// Accepted lines settled (imported, found imported before, or
    /// refused at settlement).
    pub settled: i64,
    /// Shipments written.
    pub imported: i64,
    /// Lines imported before (same tracking number and consignor).
    pub duplicates: i64,
    /// Lines refused, at acceptance or at settlement; their reasons are at
    /// `/api/v1/imports/{id}/rejections`.
    pub rejected: i64,
    /// Lines per second of the phase under way (of settlement once
    /// completed).
    pub rate: Option<f64>,
    /// Seconds until every accepted line is settled, at the current rate.
    pub eta_seconds: Option<i64>,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportView {
    /// The row as seen at `now`, with the rate and ETA worked out.
    pub fn at(row: ImportRow, now: DateTime<Utc>) -> Self {
        let seconds = |from: chrono::NaiveDateTime, to: DateTime<Utc>| {
            ((to - utc(from)).num_milliseconds() as f64 / 1000.0).max(0.001)
        };
        let (rate, eta_seconds) = match (row.state.as_str(), row.accepted_at) {
            ("accepting", _) => (
                Some(row.rows_read as f64 / seconds(row.created_at, now)),
                None,
            ),
            (_, Some(accepted_at)) => {
                let end = row.finished_at.map_or(now, utc);
                let rate = row.settled as f64 / seconds(accepted_at, end);
                let left = (row.accepted - row.settled).max(0);
                let eta = (row.finished_at.is_none() && rate > 0.0)
                    .then(|| (left as f64 / rate).ceil() as i64);
                (Some(rate), eta)
            }
            _ => (None, None),
        };
        Self {
            id: row.id.0,
            file_name: row.file_name,
            phase: row.state,
            rows_read: row.rows_read,
            accepted: row.accepted,
            settled: row.settled,
            imported: row.imported,
            duplicates: row.duplicates,
            rejected: row.rejected,
            rate: rate.map(|r| (r * 10.0).round() / 10.0),
            eta_seconds,
            error: row.error,
            created_at: utc(row.created_at),
            accepted_at: row.accepted_at.map(utc),
            finished_at: row.finished_at.map(utc),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectionView {
    /// Line number in the file; the header is line 1.
    pub row: i64,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, kept for the record.
    pub file_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RejectionQuery {
    /// Rejected rows per page, each with all of its reasons: 1 to 500
    /// (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

fn temp_path(id: Uuid) -> PathBuf {
    std::env::temp_dir().join(format!("interdict-import-{id}.csv"))
}

/// Spools `body` to `path`, refusing it once it passes the limit.
async fn spool<B, E>(path: &Path, body: impl Stream<Item = Result<B, E>>) -> Result<u64, AppError>
where
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let mut file = std::fs::File::create(path).map_err(AppError::internal)?;
    let mut size = 0u64;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AppError::bad_request("body", e.to_string()))?;
        let chunk = chunk.as_ref();
        size += chunk.len() as u64;
        if size > MAX_UPLOAD_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        file.write_all(chunk).map_err(AppError::internal)?;
    }
    file.flush().map_err(AppError::internal)?;
    Ok(size)
}

/// Starts an import of a manifest CSV for the caller's agency: the upload
/// (`csv` says whether it came as `text/csv`) is spooled to a temporary
/// file, then imported in the background; the import is answered at once,
/// to poll.
pub async fn upload<B, E>(
    ctx: &Ctx,
    query: &UploadQuery,
    csv: bool,
    body: impl Stream<Item = Result<B, E>>,
) -> Result<ImportView, AppError>
where
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let actor = ctx.actor()?.clone();
    let row = ImportRow::start(
        actor.agency_id,
        actor.user_id,
        query.file_name.as_deref().unwrap_or("upload.csv"),
    );
    let id = row.id.0;
    let mut event = ctx.event_on(AuditAction::ImportCreate, "import", id);
    let checks =
        AppError::from_decision(policy::decide_create_record(&actor)).and_then(|()| match () {
            _ if !csv => Err(AppError::UnsupportedMediaType),
            _ if row.file_name.chars().count() > 200 => {
                Err(AppError::bad_request("file_name", "at most 200 characters"))
            }
            _ => Ok(()),
        });
    if let Err(e) = checks {
        return ctx.reject(event, e).await;
    }
    let path = temp_path(id);
    let size = match spool(&path, body).await {
        Ok(size) => size,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return ctx.reject(event, e).await;
        }
    };
    event.detail =
        Some(serde_json::json!({ "file_name": row.file_name, "bytes": size }).to_string());
    let inserted = row.clone();
    let written = ctx
        .app
        .db
        .run(move |conn| Ok::<_, AppError>(imports::insert(conn, &inserted)?))
        .await;
    if let Err(e) = ctx.audited(event, written).await {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let importer = ctx.clone();
    let now = ctx.now();
    ctx.app.jobs.spawn(format!("import {id}"), async move {
        let reader = std::fs::File::open(&path)
            .map(|file| Box::new(std::io::BufReader::with_capacity(1 << 20, file)));
        let ran = match reader {
            Ok(reader) => acceptance::run(&importer, id, reader, Reading::default(), |_| {})
                .await
                .map(|_| ())
                .map_err(|stopped| AppError::Internal(stopped.0)),
            Err(e) => Err(AppError::Internal(format!(
                "cannot reopen the spooled file: {e}"
            ))),
        };
        let _ = std::fs::remove_file(&path);
        ran
    });
    Ok(ImportView::at(row, now))
}

/// What acceptance from the command line reports when it ends.
pub struct FileImport {
    pub id: Uuid,
    pub totals: Counts,
    /// The first thousand reasons lines were refused.
    pub rejections: Vec<Rejection>,
}

/// Accepts a manifest file as the caller (an operator acting as a user),
/// calling `progress` after each batch; settlement follows in the
/// background (or [`wait`]). If an earlier run of a file of the same name
/// was stopped while accepting (its process killed), this run continues
/// that import after the lines it stored, and completes it; `started` is
/// told the import's id and how many lines of the file an earlier run
/// read.
pub async fn run_file(
    ctx: &Ctx,
    file_name: &str,
    input: Box<dyn std::io::Read + Send>,
    started: impl FnOnce(Uuid, i64),
    progress: impl FnMut(Progress),
) -> Result<FileImport, AppError> {
    let actor = ctx.actor()?.clone();
    let mut reading = Reading {
        digest: true,
        ..Reading::default()
    };
    let id = match acceptance::take_over_stopped(ctx, actor.agency_id, file_name).await? {
        Some(stopped) => {
            reading.skip = stopped.rows_read;
            reading.expected = stopped.read_digest;
            stopped.id.0
        }
        None => {
            let row = ImportRow::start_file(actor.agency_id, actor.user_id, file_name);
            let id = row.id.0;
            ctx.app
                .db
                .run(move |conn| Ok::<_, AppError>(imports::insert(conn, &row)?))
                .await?;
            id
        }
    };
    started(id, reading.skip);
    let totals = acceptance::run(ctx, id, input, reading, progress)
        .await
        .map_err(|stopped| AppError::Internal(stopped.0))?;
    let rejections = ctx
        .app
        .db
        .run(move |conn| Ok::<_, AppError>(imports::rejections(conn, id, 0, 1000)?))
        .await?;
    Ok(FileImport {
        id,
        totals,
        rejections,
    })
}

/// Settles in this process until the import `id` has settled, calling
/// `progress` after each batch (for `interdict import --wait`).
pub async fn wait(
    ctx: &Ctx,
    id: Uuid,
    mut progress: impl FnMut(&ImportView),
) -> Result<ImportView, AppError> {
    let app = ctx.app.clone();
    let row = settle_until_done(&ctx.app, id, |row| {
        progress(&ImportView::at(row.clone(), app.now()))
    })
    .await?;
    Ok(ImportView::at(row, ctx.now()))
}

async fn find_allowed(ctx: &Ctx, id: Uuid) -> Result<ImportRow, AppError> {
    let actor = ctx.actor()?.clone();
    let row = ctx
        .app
        .db
        .run(move |conn| Ok::<_, AppError>(imports::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    AppError::from_decision(policy::decide_import(&actor, row.agency_id.0))?;
    Ok(row)
}

/// An import's progress, or its totals once finished.
pub async fn show(ctx: &Ctx, id: Uuid) -> Result<ImportView, AppError> {
    let found = find_allowed(ctx, id).await;
    ctx.audited(ctx.event_on(AuditAction::ImportRead, "import", id), found)
        .await
        .map(|row| ImportView::at(row, ctx.now()))
}

/// The lines an import refused, by line number, with each field and why.
pub async fn rejections(
    ctx: &Ctx,
    id: Uuid,
    query: &RejectionQuery,
) -> Result<Page<RejectionView>, AppError> {
    let page = async {
        find_allowed(ctx, id).await?;
        let limit = check_limit(query.limit)?;
        let after = match query.cursor.as_deref() {
            None => 0,
            Some(c) => c
                .parse::<i64>()
                .map_err(|_| AppError::bad_request("cursor", "is not a cursor from this list"))?,
        };
        // A row may have several reasons: pages count rows, so none is split.
        let rows = ctx
            .app
            .db
            .run(move |conn| Ok::<_, AppError>(imports::rejections(conn, id, after, limit + 1)?))
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
    ctx.audited(
        ctx.event_on(AuditAction::ImportRejections, "import", id),
        page,
    )
    .await
}
