//! The start page: what needs the signed-in user's attention.

use actix_web::{web, HttpResponse};
use interdict_domain::policy::{self, Decision};
use interdict_domain::user::Role;
use maud::{html, Markup};

use super::audit::since_checkpoint;
use super::display::{place, short, when};
use super::error::PageError;
use super::layout::page;
use super::session::Session;
use crate::pagination::PageQuery;
use crate::routes::registry::RecordView;
use crate::routes::reviews::QueueQuery;
use crate::routes::shipments::ShipmentQuery;
use crate::routes::{audit, deconfliction, reviews, shipments};
use crate::state::AppState;

fn text(item: &RecordView, key: &str) -> String {
    item.document
        .get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .replace('_', " ")
}

/// A table of shipments, shared by the dashboard and the search page.
pub fn shipment_table(items: &[RecordView]) -> Markup {
    html! {
        @if items.is_empty() {
            p.muted { "No shipments." }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Shipment" } th { "Shipped" } th { "From" } th { "To" } th { "Type" } th { "Status" } } }
                tbody {
                    @for item in items {
                        tr {
                            td { a href={ "/shipments/" (item.id) } { (short(&item.id)) } }
                            td { (super::display::day(item.document.get("shipped_at").and_then(|v| v.as_str()))) }
                            td { (place(item.document.get("origin"))) }
                            td { (place(item.document.get("destination"))) }
                            td { (text(item, "incident_type")) }
                            td { (text(item, "status")) }
                        }
                    }
                }
            } }
        }
    }
}

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, PageError> {
    let actor = session.caller.actor.clone();
    let mut sections = Vec::new();
    if policy::decide_deconfliction(&actor) == Decision::Allow {
        let query = ShipmentQuery {
            owner_agency_id: Some(actor.agency_id),
            limit: Some(15),
            ..ShipmentQuery::default()
        };
        let recent = shipments::list(state.clone(), session.caller.clone(), web::Query(query))
            .await?
            .into_inner();
        let notices = deconfliction::list(
            state.clone(),
            session.caller.clone(),
            web::Query(PageQuery {
                limit: Some(15),
                cursor: None,
            }),
        )
        .await?
        .into_inner();
        sections.push(html! {
            section aria-labelledby="recent" {
                h2 #recent { "My agency's recent shipments" }
                (shipment_table(&recent.items))
                p { a href="/shipments" { "Search all shipments" } }
            }
            section aria-labelledby="notices" {
                h2 #notices { "Deconfliction notices" }
                @if notices.items.is_empty() {
                    p.muted { "No other agency holds a record with the same identifiers as yours." }
                } @else {
                    div.table-wrap { table {
                        thead { tr { th { "Your record" } th { "Shared identifier" } th { "Other agency" } th { "Contact" } th { "Noticed" } } }
                        tbody { @for n in &notices.items {
                            tr {
                                td { @if n.record_kind == "shipment" { a href={ "/shipments/" (n.record_id) } { (short(&n.record_id)) } } @else { (n.record_kind) " " (short(&n.record_id)) } }
                                td { (n.identifier_kind.replace('_', " ")) ": " code { (n.identifier_value) } }
                                td { (n.other_agency.name) " (" (n.other_agency.ori) ")" }
                                td { (n.other_agency.contact) }
                                td { (when(&n.created_at)) }
                            }
                        } }
                    } }
                }
            }
        });
    }
    if actor.role == Role::Supervisor {
        let queue = reviews::queue(
            state.clone(),
            session.caller.clone(),
            web::Query(QueueQuery {
                limit: Some(10),
                ..QueueQuery::default()
            }),
        )
        .await?
        .into_inner();
        sections.push(html! {
            section {
                h2 { "Flags waiting for review" }
                (super::reviews::queue_table(&queue.items))
                p { a href="/reviews" { "Open the review queue" } }
            }
        });
    }
    if policy::decide_audit_verify(&actor) == Decision::Allow {
        let verdict = audit::verify(
            state.clone(),
            session.caller.clone(),
            web::Query(since_checkpoint()),
        )
        .await?
        .into_inner();
        sections.push(html! {
            section {
                h2 { "Audit log" }
                (super::audit::verdict(&verdict))
                @if policy::decide_audit_search(&actor) == Decision::Allow {
                    p { a href="/audit" { "Search the audit log" } }
                }
            }
        });
    }
    if policy::user_directory(&actor) != policy::UserDirectory::Nothing {
        sections.push(html! {
            section {
                h2 { "Administration" }
                ul {
                    li { a href="/admin/users" { "Manage user accounts" } }
                    @if policy::decide_directory_admin(&actor) == Decision::Allow {
                        li { a href="/admin/agencies" { "Manage agencies" } }
                        li { a href="/admin/task-forces" { "Manage task forces" } }
                    }
                }
            }
        });
    }
    let body = html! {
        h1 { "Dashboard" }
        @for section in &sections { (section) }
    };
    Ok(page(&session, "Dashboard", body))
}
