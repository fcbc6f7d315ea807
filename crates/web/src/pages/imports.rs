//! An import's page: its phase and counts, refreshing itself (with the
//! `Refresh` header, no script) until the import has ended.

use actix_web::web;
use actix_web::HttpResponse;
use interdict_app::imports::{self, ImportView, RejectionQuery};
use maud::html;
use uuid::Uuid;

use super::display::when;
use super::error::PageError;
use super::layout::page;
use super::session::Session;

/// Seconds between refreshes while the import runs.
const REFRESH_SECONDS: u32 = 3;

pub async fn show(session: Session, path: web::Path<Uuid>) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let import: ImportView = imports::show(&session, id).await?;
    let refused = imports::rejections(
        &session,
        id,
        &RejectionQuery {
            limit: Some(50),
            cursor: None,
        },
    )
    .await?;
    let running = import.phase == "accepting" || import.phase == "settling";
    let body = html! {
        h1 { "Import " (import.file_name) }
        p { "Phase: " strong { (import.phase) }
            @if running { " · this page refreshes every " (REFRESH_SECONDS) " seconds" } }
        h2 { "Acceptance" }
        p { "The file read and each line checked and stored: "
            (import.rows_read) " rows, " (import.accepted) " accepted, "
            (import.duplicates) " accepted or imported before, " (import.rejected) " refused." }
        h2 { "Settlement" }
        p { "Accepted lines becoming shipments in the background." }
        p { progress max=(import.accepted.max(1)) value=(import.settled) {} " "
            (import.settled) " of " (import.accepted) " settled, "
            (import.imported) " shipments written" }
        dl {
            dt { "Rate" } dd { @match import.rate { Some(r) => { (format!("{r:.0}")) " lines/s" }, None => "—" } }
            dt { "Time left" } dd { @match import.eta_seconds { Some(s) => { (s) " s" }, None => "—" } }
            dt { "Started" } dd { (when(&import.created_at)) }
            dt { "Accepted" } dd { @match &import.accepted_at { Some(t) => (when(t)), None => "—" } }
            dt { "Finished" } dd { @match &import.finished_at { Some(t) => (when(t)), None => "—" } }
        }
        @if let Some(error) = &import.error { p.notice.error role="alert" { (error) } }
        @if !refused.items.is_empty() {
            h2 { "Refused lines" }
            div.table-wrap { table {
                thead { tr { th { "Row" } th { "Column" } th { "Why" } } }
                tbody { @for r in &refused.items {
                    tr { td { (r.row) } td { (r.field) } td { (r.reason) } }
                } }
            } }
            @if refused.next_cursor.is_some() {
                p.muted { "More at /api/v1/imports/" (id) "/rejections." }
            }
        }
    };
    let mut response = page(&session, &format!("Import {}", import.file_name), body);
    if running {
        if let Ok(value) = REFRESH_SECONDS.to_string().parse() {
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("refresh"),
                value,
            );
        }
    }
    Ok(response)
}
