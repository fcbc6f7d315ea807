//! The auditors' pages: audit search, a record's access history, the
//! chain's verification status, and the exports.

use actix_web::{web, HttpResponse};
use interdict_app::audit_trail::{self, AuditEntryView, AuditQuery, ObjectHistoryQuery};
use interdict_app::reports::{self, ReportQuery, SummaryQuery};
use interdict_domain::audit::{Outcome, VerifyReport};
use interdict_domain::policy::{self, Report};
use maud::{html, Markup};

use super::display::{pager, query_of, when, with_times};
use super::error::PageError;
use super::form::{any_of, param, select, Errors, Input};
use super::layout::{encode, notice, page_with};
use super::session::Session;

/// Pages show the incremental check (from the last signed checkpoint),
/// which stays fast however long the log grows; `interdict audit verify`
/// and the API offer the full one.
const SINCE_CHECKPOINT: bool = true;

pub fn verdict(view: &VerifyReport) -> Markup {
    match view {
        VerifyReport::Intact {
            entries,
            from_checkpoint,
            ..
        } => notice(
            "ok",
            &match from_checkpoint {
                Some(seq) => format!(
                    "The audit chain is intact: the signed checkpoint at entry {seq} and the {entries} entries since verify."
                ),
                None => format!("The audit chain is intact: all {entries} entries verify."),
            },
        ),
        VerifyReport::Broken {
            first_bad_seq,
            reason,
            ..
        } => notice(
            "error",
            &format!("The audit chain is BROKEN at entry {first_bad_seq}: {reason}"),
        ),
    }
}

fn entries_table(entries: &[AuditEntryView]) -> Markup {
    html! {
        div.table-wrap { table #audit-entries {
            thead { tr { th { "#" } th { "When" } th { "Action" } th { "Outcome" } th { "User" } th { "Role" } th { "Object" } th { "Detail" } } }
            tbody { @for e in entries {
                tr {
                    td { (e.seq) }
                    td { (when(&e.occurred_at)) }
                    td { (e.action) }
                    td { (e.outcome) }
                    td { (e.username.clone().or_else(|| e.user_id.map(|u| u.to_string())).unwrap_or_default())
                        @if let Some(agency) = &e.agency_name { br; span.muted { (agency) } } }
                    td { (super::labels::words(e.role.as_deref().unwrap_or_default())) }
                    td { @if let (Some(t), Some(id)) = (&e.object_type, &e.object_id) {
                        a href={ "/audit/objects/" (encode(t)) "/" (encode(id)) } { (t) " " (id.get(..8).unwrap_or(id)) }
                    } }
                    td.mono { (e.detail.as_ref().map(|d| d.to_string()).unwrap_or_default()) }
                }
            } }
        } }
        @if entries.is_empty() { p.muted { "No entries." } }
    }
}

pub async fn search(
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let get = |k: &str| param(&pairs, k);
    let mut errors = Errors::default();
    let result = async {
        let q = query_of::<AuditQuery>(&with_times(&pairs))?;
        audit_trail::search(&session, q).await
    }
    .await;
    let found = errors.filters(result)?;
    let verdict_view = audit_trail::verify(&session, SINCE_CHECKPOINT).await?;
    let export_query: String = pairs
        .iter()
        .filter(|(k, v)| k != "cursor" && k != "limit" && !v.is_empty())
        .map(|(k, v)| format!("{}={}", super::layout::encode(k), super::layout::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let body = html! {
        h1 { "Audit log" }
        (verdict(&verdict_view))
        form.stack method="get" action="/audit" role="search" {
            div.row {
                (Input::new("Action", "action", get("action")).hint("e.g. shipment.create").render(&errors))
                (Input::new("User id", "user_id", get("user_id")).render(&errors))
                (Input::new("Object type", "object_type", get("object_type")).render(&errors))
                (Input::new("Object id", "object_id", get("object_id")).render(&errors))
            }
            div.row {
                (select("Outcome", "outcome", &any_of(&Outcome::ALL.map(Outcome::as_str)), get("outcome"), &errors))
                (Input::new("From", "from", get("from")).kind("date").render(&errors))
                (Input::new("Before", "to", get("to")).kind("date").render(&errors))
            }
            div.actions {
                button type="submit" { "Search" }
                a.button.secondary href={ "/reports/audit.csv?" (export_query) } download { "Download these entries (CSV)" }
            }
        }
        (errors.summary())
        @if let Some(found) = &found {
            (entries_table(&found.items))
            (pager("/audit", &pairs, found.next_cursor.as_deref()))
        }
        p { a href="/reports" { "All exports and the PDF report" } }
    };
    let status = if found.is_some() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::BAD_REQUEST
    };
    Ok(page_with(status, &session, "Audit log", body))
}

pub async fn object(
    session: Session,
    path: web::Path<(String, String)>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let (kind, id) = path.into_inner();
    let pairs = query.into_inner();
    let q = query_of::<ObjectHistoryQuery>(&pairs)?;
    let found = audit_trail::object_history(&session, kind.clone(), id.clone(), &q).await?;
    let title = format!("Access history of {kind} {}", id.get(..8).unwrap_or(&id));
    let body = html! {
        h1 { (title) }
        p.muted.mono { (id) }
        (entries_table(&found.items))
        (pager(&format!("/audit/objects/{kind}/{id}"), &pairs, found.next_cursor.as_deref()))
    };
    Ok(page_with(
        actix_web::http::StatusCode::OK,
        &session,
        &title,
        body,
    ))
}

/// The exports, with the filters the reports take.
/// The reports page's downloads, each with the report it runs.
const REPORT_BUTTONS: &[(Report, &str, &str)] = &[
    (Report::Shipments, "/reports/shipments.csv", "Shipments CSV"),
    (
        Report::Shipments,
        "/reports/shipments.ndjson",
        "Shipments NDJSON",
    ),
    (Report::Links, "/reports/links.csv", "Links CSV"),
    (Report::Flags, "/reports/flags.csv", "Flags CSV"),
    (Report::Audit, "/reports/audit.csv", "Audit log CSV"),
    (
        Report::Summary,
        "/reports/summary.pdf",
        "Oversight report (PDF)",
    ),
];

pub async fn reports_page(session: Session) -> Result<HttpResponse, PageError> {
    let errors = Errors::default();
    let actor = session.actor()?.clone();
    let allows = |report: Report| policy::decide_export(&actor, report) == policy::Decision::Allow;
    let body = html! {
        h1 { "Reports" }
        p { "Exports contain what you may see, nothing more; each download is recorded in the audit log." }
        form.stack method="get" action="/reports/shipments.csv" {
            fieldset {
                legend { "Filters (optional)" }
                div.row {
                    (Input::new("From", "from", "").kind("date").render(&errors))
                    (Input::new("Before", "to", "").kind("date").render(&errors))
                }
                div.actions {
                    // Only the reports this role may run: a button that
                    // answers 403 is a stumble.
                    @for (report, path, label) in REPORT_BUTTONS {
                        @if allows(*report) {
                            button.secondary type="submit" formaction=(path) { (label) }
                        }
                    }
                }
            }
        }
    };
    Ok(page_with(
        actix_web::http::StatusCode::OK,
        &session,
        "Reports",
        body,
    ))
}

/// A download from a page: the report, streamed as the API streams it.
pub async fn download(
    session: Session,
    path: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let name = path.into_inner();
    let mut pairs = with_times(&query.into_inner());
    if name == "summary.pdf" {
        // The report needs a period; without one, the last quarter.
        let now = chrono::Utc::now();
        for (key, default) in [("from", now - chrono::Duration::days(91)), ("to", now)] {
            if !pairs.iter().any(|(k, v)| k == key && !v.is_empty()) {
                pairs.push((
                    key.into(),
                    default.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ));
            }
        }
        let q = query_of::<SummaryQuery>(&pairs)?;
        return Ok(crate::routes::reports::pdf(
            reports::summary(&session, &q).await?,
        ));
    }
    let q = query_of::<ReportQuery>(&pairs)?;
    Ok(crate::routes::reports::download(
        reports::export(&session, &name, q).await?,
    ))
}
