//! Exports for oversight, streamed as the application writes them, and
//! the oversight PDF.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use interdict_app::reports::{self, Export, ReportQuery, SummaryQuery};

use crate::caller::Caller;
use crate::error::ApiError;

/// An export as a streamed download.
pub fn download(export: Export) -> HttpResponse {
    let Export {
        format,
        file_name,
        chunks,
    } = export;
    let stream = futures_util::stream::unfold(chunks, |mut chunks| async move {
        chunks
            .recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(Bytes::from(chunk)), chunks))
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .streaming(stream)
}

/// The oversight PDF as a download.
pub fn pdf(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"interdict-summary.pdf\"",
        ))
        .body(bytes)
}

/// The file names `/api/v1/reports/{report}` serves, for the document.
pub struct ReportFile;

impl utoipa::PartialSchema for ReportFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(reports::FILE_NAMES.iter().copied()))
            .into()
    }
}

impl utoipa::ToSchema for ReportFile {}

/// Streams a report: `shipments`, `links`, `flags` or `audit`, as `.csv`
/// or `.ndjson`.
#[utoipa::path(get, operation_id = "reports_export", path = "/api/v1/reports/{report}", tag = "reports", security(("bearer" = [])),
    params(("report" = ReportFile, Path, description = "shipments, links, flags or audit, with .csv or .ndjson"), ReportQuery), responses(
    (status = 200, description = "The rows, streamed", content((String = "text/csv"), (String = "application/x-ndjson"))),
    (status = 400, description = "Unknown report or format, or a bad filter", content_type = "application/problem+json"),
    (status = 403, content_type = "application/problem+json")))]
pub async fn export(
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let export = reports::export(&caller, &path, query.into_inner()).await?;
    Ok(download(export))
}

/// The oversight report for a period, as a PDF (auditors).
#[utoipa::path(get, operation_id = "reports_summary", path = "/api/v1/reports/summary.pdf", tag = "reports", security(("bearer" = [])), params(SummaryQuery), responses(
    (status = 200, description = "The report", content_type = "application/pdf"),
    (status = 400, content_type = "application/problem+json"),
    (status = 403, content_type = "application/problem+json")))]
pub async fn summary(
    caller: Caller,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(pdf(reports::summary(&caller, &query).await?))
}
