//! The start page: what needs the signed-in user's attention.

use actix_web::HttpResponse;
use interdict_app::pagination::PageQuery;
use interdict_app::records::{self, Record};
use interdict_app::reviews::QueueQuery;
use interdict_app::shipments::ShipmentQuery;
use interdict_app::{audit_trail, deconfliction, reviews};
use interdict_domain::policy::{self, Decision};
use interdict_domain::shipment::ShipmentInput;
use maud::{html, Markup};

use super::display::{place, shipment_label, short, when};
use super::error::PageError;
use super::layout::page;
use super::session::Session;

/// When a shipment was shipped: the first leg's departure, or arrival.
pub fn shipped_at(shipment: &ShipmentInput) -> Option<&str> {
    shipment
        .legs
        .iter()
        .find_map(|l| l.departure_at.as_deref().or(l.arrival_at.as_deref()))
}

/// A table of shipments, shared by the dashboard and the search page.
pub fn shipment_table(items: &[Record<ShipmentInput>]) -> Markup {
    html! {
        @if items.is_empty() {
            p.muted { "No shipments." }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Shipment" } th { "Shipped" } th { "From" } th { "To" } th { "Type" } th { "Status" } } }
                tbody {
                    @for item in items {
                        @let shipment = &item.document;
                        tr {
                            td { a href={ "/shipments/" (item.id) } { (shipment_label(item)) } }
                            td { (super::display::day(shipped_at(shipment))) }
                            td { (place(shipment.legs.first().map(|l| &l.from))) }
                            td { (place(shipment.legs.last().map(|l| &l.to))) }
                            td { (super::labels::words(&shipment.incident_type)) }
                            td { (super::labels::words(&shipment.status)) }
                        }
                    }
                }
            } }
        }
    }
}

pub async fn show(session: Session) -> Result<HttpResponse, PageError> {
    let actor = session.actor()?.clone();
    let mut sections = Vec::new();
    if policy::decide_deconfliction(&actor) == Decision::Allow {
        let query = ShipmentQuery {
            owner_agency_id: Some(actor.agency_id),
            limit: Some(15),
            ..ShipmentQuery::default()
        };
        let recent = records::search::<ShipmentInput, _>(&session, &query).await?;
        let notices = deconfliction::list(
            &session,
            &PageQuery {
                limit: Some(15),
                cursor: None,
            },
        )
        .await?;
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
                                td { (super::labels::words(&n.identifier_kind)) ": " code { (n.identifier_value) } }
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
    if policy::decide_review_queue(&actor) == Decision::Allow {
        let queue = reviews::queue(
            &session,
            &QueueQuery {
                limit: Some(10),
                ..QueueQuery::default()
            },
        )
        .await?;
        sections.push(html! {
            section {
                h2 { "Flags waiting for review" }
                (super::reviews::queue_table(&queue.items))
                p { a href="/reviews" { "Open the review queue" } }
            }
        });
    }
    if policy::decide_audit_verify(&actor) == Decision::Allow {
        let verdict = audit_trail::verify(&session, true).await?;
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
