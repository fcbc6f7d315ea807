//! Shipment search, detail, and what can be done from the detail page:
//! linking, flagging, and deciding link suggestions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_app::chains::{self, ChainQuery};
use interdict_app::flags::{RaiseFlagRequest, Raised};
use interdict_app::links::{self, CreateLinkRequest};
use interdict_app::records;
use interdict_app::shipments::{self, ShipmentQuery};
use interdict_app::suggestions::{self, Suggestion, SuggestionDecision};
use interdict_app::{flags, AppError};
use interdict_domain::chain::LinkRelation;
use interdict_domain::chemical::ChemicalInput;
use interdict_domain::chemical::ControlStatus;
use interdict_domain::die_mold::DieMoldInput;
use interdict_domain::equipment::EquipmentInput;
use interdict_domain::party::PartyInput;
use interdict_domain::shipment::{IncidentType, LineInput, Mode, ShipmentInput, ShipmentStatus};
use maud::html;
use uuid::Uuid;

use super::dashboard::{shipment_table, shipped_at};
use super::display::{
    badge, day, number, pager, place, query_of, shipment_label, when, with_times,
};
use super::error::PageError;
use super::form::{any_of, choices, param, select, Errors, Input};
use super::labels;
use super::layout::{csrf, notice, page, page_with, see_other};
use super::session::{Posted, Session};
use crate::error::{detail, kind, status};

fn words(all: Vec<&'static str>) -> Vec<(String, String)> {
    any_of(&all)
}

pub async fn search(
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let get = |k: &str| param(&pairs, k);
    let mut errors = Errors::default();
    let result = async {
        let q = query_of::<ShipmentQuery>(&with_times(&pairs))?;
        records::search::<ShipmentInput, _>(&session, &q).await
    }
    .await;
    let page_result = errors.filters(result)?;
    let text = |label: &'static str, name: &'static str| Input::new(label, name, get(name));
    let body = html! {
        h1 { "Shipments" }
        form.stack method="get" action="/shipments" role="search" {
            div.row {
                (text("Text", "q").hint("description, concealment, party names").render(&errors))
                (text("Tracking number", "tracking_number").render(&errors))
                (text("Press serial", "serial").render(&errors))
                (text("Die imprint", "imprint").hint("e.g. M|30").render(&errors))
                (text("Chemical (CAS)", "chemical").render(&errors))
            }
            div.row {
                (select("Control status", "control_status", &words(ControlStatus::ALL.iter().map(|c| c.as_str()).collect()), get("control_status"), &errors))
                (text("Origin country", "origin_country").render(&errors))
                (text("Destination country", "destination_country").render(&errors))
                (text("Destination state", "destination_state").hint("e.g. TX").render(&errors))
            }
            div.row {
                (select("Incident type", "incident_type", &words(IncidentType::ALL.iter().map(|c| c.as_str()).collect()), get("incident_type"), &errors))
                (select("Status", "status", &words(ShipmentStatus::ALL.iter().map(|c| c.as_str()).collect()), get("status"), &errors))
                (select("Mode", "mode", &words(Mode::ALL.iter().map(|c| c.as_str()).collect()), get("mode"), &errors))
                (Input::new("Shipped from", "from", get("from")).kind("date").render(&errors))
                (Input::new("Shipped before", "to", get("to")).kind("date").render(&errors))
            }
            div.actions { button type="submit" { "Search" } a.button.secondary href="/shipments" { "Clear" } }
        }
        (errors.summary())
        @if let Some(found) = &page_result {
            (shipment_table(&found.items))
            (pager("/shipments", &pairs, found.next_cursor.as_deref()))
        }
    };
    let status = if page_result.is_some() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(page_with(status, &session, "Shipments", body))
}

/// What the detail page shows after an action, or why the action failed.
#[derive(Default)]
struct Outcome {
    notice: Option<(&'static str, String)>,
    link_errors: Errors,
    flag_errors: Errors,
    link_values: (String, String, String),
    /// Shipments matching what was typed into the link form, to choose
    /// from: (reference or id, how people tell it apart).
    link_choices: Vec<(String, String)>,
}

/// How many shipments the link form offers as you type, besides the
/// suggestions: the newest the caller sees.
const LINK_OFFERS: i64 = 50;

/// A shipment as offered in the link form: reference and tracking
/// number, route and departure.
fn offer_label(record: &interdict_app::records::Record<ShipmentInput>) -> String {
    let s = &record.document;
    format!(
        "{} · {} → {} · {}",
        shipment_label(record),
        place(s.legs.first().map(|l| &l.from)),
        place(s.legs.last().map(|l| &l.to)),
        day(shipped_at(s))
    )
}

/// What a record is chosen by in a form: its reference, else its id.
fn offer_value(record: &interdict_app::records::Record<ShipmentInput>) -> String {
    record
        .reference
        .clone()
        .unwrap_or_else(|| record.id.to_string())
}

/// How many suggested links a shipment page shows before "show more".
const SUGGESTIONS_SHOWN: usize = 5;

/// Suggested links, each candidate named by reference, route and dates,
/// with all its reasons and one decision.
fn suggestion_table(session: &Session, id: Uuid, list: &[Suggestion]) -> maud::Markup {
    let strength = |score: u32| match score {
        0..=2 => "weak",
        3..=5 => "medium",
        _ => "strong",
    };
    html! {
        table.suggestions { thead { tr { th { "Candidate" } th { "Route" } th { "Dates" } th { "Evidence" } th { "Why" } th { "Decision" } } } tbody {
            @for s in list {
                tr {
                    td { a href={ "/shipments/" (s.candidate) } { (s.candidate_reference.clone().unwrap_or_else(|| "shipment".to_owned())) } }
                    td { (s.candidate_route) }
                    td {
                        @match &s.candidate_departure { Some(at) => (when(at)), None => "—" }
                        @if let Some(arrived) = &s.candidate_arrival { " → " (when(arrived)) }
                    }
                    td { (strength(s.score)) " (" (s.score) ")" @if s.from == id { br; span.muted { "continues this one" } } @else { br; span.muted { "comes before this one" } } }
                    td { ul.reasons { @for r in &s.reasons { li { (r) } } } }
                    td {
                        form.inline method="post" action={ "/shipments/" (id) "/suggestions/" (s.candidate) } {
                            (csrf(session))
                            label.muted for={ "rel-" (s.candidate) } { "Relation " }
                            select id={ "rel-" (s.candidate) } name="relation" {
                                @for r in LinkRelation::ALL { option value=(r.as_str()) { (super::labels::words(r.as_str())) } }
                            }
                            " "
                            button type="submit" name="decision" value="accept" { "Accept" }
                            " "
                            button.secondary type="submit" name="decision" value="reject" { "Reject" }
                        }
                    }
                }
            }
        } }
    }
}

fn done_message(done: &str) -> Option<&'static str> {
    match done {
        "recorded" => Some("The shipment was recorded."),
        "linked" => Some("The link was recorded."),
        "flagged" => Some("The chain was flagged for review."),
        "added_to_flag" => Some(
            "The chain was already flagged for review: your reason was added to its open flag.",
        ),
        "accepted" => Some("The suggestion was accepted and the link recorded."),
        "rejected" => Some("The suggestion was rejected."),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    session: Session,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let mut outcome = Outcome::default();
    if let Some(message) = query.done.as_deref().and_then(done_message) {
        outcome.notice = Some(("ok", message.to_owned()));
    }
    shipment_page(&session, path.into_inner(), outcome, StatusCode::OK).await
}

async fn shipment_page(
    session: &Session,
    id: Uuid,
    outcome: Outcome,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let detail = shipments::detail(session, id).await?;
    let obligations = shipments::obligations(session, id).await?;
    let history = records::history::<ShipmentInput>(session, id).await?;
    let links = links::of_shipment(session, id).await?;
    // Suggestions are for those who may link; others simply see none.
    let suggested = suggestions::list(session, id).await;
    let may_link = suggested.is_ok();
    let suggestions = suggested.unwrap_or_default();
    // What the link form offers as you type: the suggested candidates,
    // then the newest shipments the caller sees.
    let mut offers: Vec<(String, String)> = suggestions
        .iter()
        .filter_map(|s| {
            let reference = s.candidate_reference.clone()?;
            Some((
                reference.clone(),
                format!("{reference} · {} (suggested)", s.candidate_route),
            ))
        })
        .collect();
    if may_link {
        let newest = ShipmentQuery {
            limit: Some(LINK_OFFERS),
            ..ShipmentQuery::default()
        };
        if let Ok(page) = records::search::<ShipmentInput, _>(session, &newest).await {
            for record in page.items.iter().filter(|r| r.id != id) {
                let value = offer_value(record);
                if !offers.iter().any(|(v, _)| *v == value) {
                    offers.push((value, offer_label(record)));
                }
            }
        }
    }
    let shipment = &detail.record.document;
    let may_separate = session.actor().is_ok_and(|a| {
        matches!(
            interdict_domain::policy::decide_separate_flag(a),
            interdict_domain::policy::Decision::Allow
        )
    });
    let others: Vec<Uuid> = links
        .iter()
        .flat_map(|l| [l.from, l.to])
        .filter(|other| *other != id)
        .collect();
    let mut named = shipments::references(session, others).await?;
    if let Some(reference) = &detail.record.reference {
        named.insert(id, reference.clone());
    }
    let name_of = |other: &Uuid| {
        named
            .get(other)
            .cloned()
            .unwrap_or_else(|| "a shipment not shared with you".to_owned())
    };
    let mut line_names = Vec::new();
    for line in &shipment.lines {
        line_names.push(line_name(session, line).await?);
    }
    let mut party_rows = Vec::new();
    for party in &shipment.parties {
        let role = labels::words(&party.role);
        let (name, page) = match records::show::<PartyInput>(session, party.party_id).await {
            Ok(record) => (party_name(&record.document), Some(party.party_id)),
            Err(AppError::NotFound) => ("(not available to you)".to_owned(), None),
            Err(other) => return Err(other.into()),
        };
        party_rows.push((role, name, page));
    }
    let risk = &detail.risk;
    let title = format!("Shipment {}", shipment_label(&detail.record));
    let (to, relation, evidence) = &outcome.link_values;
    let body = html! {
        h1 { (title) }
        @if let Some((kind, text)) = &outcome.notice { (notice(kind, text)) }
        p.actions {
            a.button href={ "/shipments/" (id) "/chain" } { "View the chain" }
            @if detail.record.withdrawn.is_some() { (badge("dismissed", "withdrawn")) }
        }
        div.grid2 {
            section {
                h2 { "Facts" }
                dl.facts {
                    dt { "Incident type" } dd { (super::labels::words(&shipment.incident_type)) }
                    dt { "Status" } dd { (super::labels::words(&shipment.status)) }
                    dt { "Mode" } dd { (labels::words(&shipment.mode)) }
                    dt { "From" } dd { (place(shipment.legs.first().map(|l| &l.from))) }
                    dt { "To" } dd { (place(shipment.legs.last().map(|l| &l.to))) }
                    dt { "Shipped" } dd { (day(shipped_at(shipment))) }
                    dt { "Declared" } dd { (shipment.declared_description.as_deref().unwrap_or_default()) " " (shipment.declared_hs_code.as_deref().unwrap_or_default()) }
                    dt { "Tracking" } dd {
                        @for t in &shipment.tracking_numbers {
                            code { (t.value) } " (" (labels::words(&t.kind)) ") "
                        }
                    }
                    dt { "Shared with" } dd { (detail.record.scope) }
                    dt { "Version" } dd { (detail.record.version) }
                }
            }
            section {
                h2 { "Risk" }
                p { "Score " strong #risk-score { (risk.score) } }
                @if risk.indicators.is_empty() { p.muted { "No indicator fires." } }
                ul { @for i in &risk.indicators { li { (i.sentence) " " span.muted { "(" (labels::words(i.code.as_str())) ")" } } } }
            }
        }
        section #regulation {
            h2 { "Controls on " (detail.control_day) }
            @if detail.controls.is_empty() { p.muted { "No chemical line." } }
            ul { @for c in &detail.controls { li { (c.explanation) } } }
            h3 { "DEA filing obligations" }
            @if obligations.obligations.is_empty() { p.muted { "No DEA filing applies (" (obligations.direction) ")." } }
            @else {
                table #obligations { thead { tr { th { "Due" } th { "What" } th { "Rule" } th { "Status" } th { "Why" } } } tbody {
                    @for o in &obligations.obligations {
                        tr {
                            td { (o.due.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (o.what) }
                            td { (o.citation) }
                            td { (badge(&o.status, &o.status)) }
                            td { (o.explanation) }
                        }
                    }
                } }
            }
            @for u in &obligations.undetermined { p.muted { (u) } }
        }
        section {
            h2 { "Parties" }
            table { thead { tr { th { "Role" } th { "Name" } } } tbody {
                @for (role, name, page) in &party_rows { tr { td { (role) } td {
                    @if let Some(party) = page { a href={ "/parties/" (party) } { (name) } } @else { (name) }
                } } }
            } }
        }
        section {
            h2 { "Lines" }
            table { thead { tr { th { "#" } th { "Item" } th { "Quantity" } th { "Count" } } } tbody {
                @for (n, line) in shipment.lines.iter().enumerate() {
                    tr {
                        td { (n + 1) }
                        td { (line_names[n]) }
                        td {
                            (line.quantity.map(number).unwrap_or_default()) " " (line.unit.as_deref().unwrap_or_default())
                            @if let Some(c) = &line.concentration { " at " (c) }
                        }
                        td { (line.count) }
                    }
                }
            } }
        }
        @if !shipment.products.is_empty() {
            section #products {
                h2 { "Products" }
                table { thead { tr { th { "#" } th { "Form" } th { "Count" } th { "Mass" } th { "Imprint" } th { "Lab-confirmed" } } } tbody {
                    @for (n, product) in shipment.products.iter().enumerate() {
                        tr {
                            td { (n + 1) }
                            td { (product.form) }
                            td { (product.count.map(|c| c.to_string()).unwrap_or_default()) }
                            td { @if let Some(g) = product.grams { (number(g)) " g" } }
                            td {
                                (product.imprint.as_deref().unwrap_or_default())
                                @if let Some(legit) = product.to_line().and_then(|l| l.imitates) { br; span.muted { "imprint of " (legit) } }
                            }
                            td {
                                @if let Some(lab) = &product.lab {
                                    (lab.substance)
                                    @if let Some(p) = lab.purity_percent { " at " (number(p)) "%" }
                                }
                            }
                        }
                    }
                } }
            }
        }
        section {
            h2 { "Route" }
            table { thead { tr { th { "Leg" } th { "From" } th { "To" } th { "Departed" } th { "Arrived" } th { "Carrier" } } } tbody {
                @for (n, leg) in shipment.legs.iter().enumerate() {
                    tr {
                        td { (n + 1) }
                        td { (place(Some(&leg.from))) }
                        td { (place(Some(&leg.to))) }
                        td { (day(leg.departure_at.as_deref())) }
                        td { (day(leg.arrival_at.as_deref())) }
                        td { (leg.carrier.as_deref().unwrap_or_default()) }
                    }
                }
            } }
        }
        section {
            h2 { "Links" }
            @if links.is_empty() { p.muted { "Not linked to another shipment." } }
            @else {
                table { thead { tr { th { "From" } th { "To" } th { "Relation" } th { "Evidence" } th { "Recorded" } } } tbody {
                    @for l in &links {
                        tr {
                            td { a href={ "/shipments/" (l.from) } { (name_of(&l.from)) } }
                            td { a href={ "/shipments/" (l.to) } { (name_of(&l.to)) } }
                            td { (super::labels::words(&l.relation)) @if l.withdrawn_at.is_some() { " " (badge("dismissed", "withdrawn")) } }
                            td { (l.evidence) }
                            td { (when(&l.created_at)) }
                        }
                    }
                } }
            }
            @if !suggestions.is_empty() {
                h3 { "Suggested links" }
                p.muted { (suggestions.len()) " candidate" @if suggestions.len() != 1 { "s" } ", strongest evidence first: a shared identifier outweighs a party handing over, which outweighs place and time." }
                (suggestion_table(session, id, &suggestions[..suggestions.len().min(SUGGESTIONS_SHOWN)]))
                @if suggestions.len() > SUGGESTIONS_SHOWN {
                    details.more {
                        summary { "Show " (suggestions.len() - SUGGESTIONS_SHOWN) " more" }
                        (suggestion_table(session, id, &suggestions[SUGGESTIONS_SHOWN..]))
                    }
                }
            }
            h3 { "Link to another shipment" }
            (outcome.link_errors.summary())
            form.stack method="post" action={ "/shipments/" (id) "/links" } {
                (csrf(session))
                datalist #link-offers {
                    @for (value, label) in &offers { option value=(value) { (label) } }
                }
                @if !outcome.link_choices.is_empty() {
                    fieldset #link-choices {
                        legend { "Several shipments match “" (to) "”: choose one" }
                        @for (i, (value, label)) in outcome.link_choices.iter().enumerate() {
                            label { input type="radio" name="to_choice" value=(value) checked[i == 0]; " " (label) }
                        }
                    }
                }
                div.row {
                    (Input::new("Next shipment", "to", to).list("link-offers").hint("its reference, tracking number, or a party or word to search for: the shipment this one continues into").render(&outcome.link_errors))
                    (select("Relation", "relation", &choices(&LinkRelation::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>()), relation, &outcome.link_errors))
                    (Input::new("Evidence", "evidence", evidence).render(&outcome.link_errors))
                }
                div.actions { button #link type="submit" { "Record link" } }
            }
            h3 { "Flag the chain for review" }
            (outcome.flag_errors.summary())
            form.stack method="post" action={ "/shipments/" (id) "/flags" } {
                (csrf(session))
                (Input::new("Reason", "reason", "").kind("textarea").render(&outcome.flag_errors))
                @if may_separate {
                    label { input type="checkbox" name="separate" value="yes"; " Raise a separate flag even if the chain already has an open one" }
                }
                div.actions { button.danger #flag type="submit" { "Flag chain" } }
            }
        }
        section {
            h2 { "History" }
            table { thead { tr { th { "Version" } th { "Change" } th { "By" } th { "When" } th { "Fields" } } } tbody {
                @for v in &history {
                    tr {
                        td { (v.version) }
                        td { (v.change) }
                        td { (v.changed_by_username.clone().unwrap_or_default()) }
                        td { (when(&v.changed_at)) }
                        td { (v.changed_fields.join(", ")) }
                    }
                }
            } }
            p { a href={ "/audit/objects/shipment/" (id) } { "Who read or changed this record" } }
        }
    };
    Ok(page_with(status, session, &title, body))
}

/// A party as people tell it apart: its name and country.
fn party_name(party: &PartyInput) -> String {
    match party.address.as_ref().map(|a| a.country.as_str()) {
        Some(country) if !country.is_empty() => format!("{} ({country})", party.name),
        _ => party.name.clone(),
    }
}

/// What a line carries, named by what identifies it: a chemical by name
/// and control, a press by kind, maker and serial, a die by imprint and
/// shape. Something the caller may not see is said to be so.
async fn line_name(session: &Session, line: &LineInput) -> Result<String, PageError> {
    let hidden = |what: &str| format!("{what} not available to you");
    let named = if let Some(id) = line.chemical_id {
        match records::show::<ChemicalInput>(session, id).await {
            Ok(c) => format!(
                "{} ({})",
                c.document.name,
                labels::control(&c.document.us_control)
            ),
            Err(AppError::NotFound) => hidden("chemical"),
            Err(e) => return Err(e.into()),
        }
    } else if let Some(id) = line.equipment_id {
        match records::show::<EquipmentInput>(session, id).await {
            Ok(e) => {
                let d = &e.document;
                [
                    Some(labels::words(&d.kind)),
                    d.manufacturer.clone(),
                    d.serial_number.as_ref().map(|s| format!("serial {s}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            }
            Err(AppError::NotFound) => hidden("equipment"),
            Err(e) => return Err(e.into()),
        }
    } else if let Some(id) = line.die_mold_id {
        match records::show::<DieMoldInput>(session, id).await {
            Ok(d) => {
                let d = &d.document;
                let imprint = [d.front_imprint.as_deref(), d.back_imprint.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" / ");
                format!("Die: imprint {imprint}, {}", labels::words(&d.shape))
            }
            Err(AppError::NotFound) => hidden("die mold"),
            Err(e) => return Err(e.into()),
        }
    } else {
        "—".to_owned()
    };
    Ok(named)
}

/// A refusal the page can explain in place; anything else (not found,
/// unavailable) is the error page.
fn explainable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_)
            | AppError::BadRequest { .. }
            | AppError::Conflict(_)
            | AppError::Forbidden
    )
}

pub async fn link(path: web::Path<Uuid>, posted: Posted) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let Posted { session, fields } = posted;
    let values = (
        fields.text("to"),
        fields.text("relation"),
        fields.text("evidence"),
    );
    // A shipment chosen among those the search step offered.
    let typed = fields.opt("to_choice").unwrap_or_else(|| values.0.clone());
    let mut choices = Vec::new();
    let result = match chosen_shipment(&session, id, &typed).await {
        Ok(Chosen::Several(several)) => {
            choices = several;
            Err(AppError::invalid(
                "to",
                "several shipments match; choose one below",
            ))
        }
        Ok(Chosen::One(to)) => {
            let request = CreateLinkRequest {
                to,
                relation: values.1.clone(),
                evidence: values.2.clone(),
            };
            links::create(&session, id, request).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/shipments/{id}?done=linked"))),
        Err(e) if explainable(&e) => {
            let mut outcome = Outcome {
                link_values: values,
                link_choices: choices,
                ..Outcome::default()
            };
            outcome.link_errors.absorb(&e, str::to_owned);
            shipment_page(&session, id, outcome, status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What was typed into the link form found: one shipment, or several to
/// choose from.
enum Chosen {
    One(Uuid),
    Several(Vec<(String, String)>),
}

/// How many matches the search step offers to choose from.
const CHOICES: usize = 10;

/// The shipment someone typed into a form: by its reference or a tracking
/// number, as people know it (an id still works), else by searching its
/// text (party names, description) among those they see, `this` aside.
async fn chosen_shipment(session: &Session, this: Uuid, typed: &str) -> Result<Chosen, AppError> {
    let typed = typed.trim();
    if let Ok(id) = typed.parse::<Uuid>() {
        return Ok(Chosen::One(id));
    }
    if typed.is_empty() {
        return Err(AppError::invalid(
            "to",
            "name the shipment by its reference or tracking number",
        ));
    }
    let by_reference = ShipmentQuery {
        q: Some(typed.to_owned()),
        limit: Some(50),
        ..ShipmentQuery::default()
    };
    let found = records::search::<ShipmentInput, _>(session, &by_reference).await?;
    if let Some(hit) = found.items.iter().find(|r| {
        r.reference
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(typed))
    }) {
        return Ok(Chosen::One(hit.id));
    }
    let by_text: Vec<_> = found.items.iter().filter(|r| r.id != this).collect();
    let by_tracking = ShipmentQuery {
        tracking_number: Some(typed.to_owned()),
        limit: Some(2),
        ..ShipmentQuery::default()
    };
    let found = match records::search::<ShipmentInput, _>(session, &by_tracking).await {
        Ok(found) => found.items,
        Err(AppError::BadRequest { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let several = |records: &[&interdict_app::records::Record<ShipmentInput>]| {
        Chosen::Several(
            records
                .iter()
                .take(CHOICES)
                .map(|r| (offer_value(r), offer_label(r)))
                .collect(),
        )
    };
    match (found.as_slice(), by_text.as_slice()) {
        ([one], _) => Ok(Chosen::One(one.id)),
        ([], [one]) => Ok(Chosen::One(one.id)),
        ([], []) => Err(AppError::invalid(
            "to",
            "no shipment with this reference, tracking number or text is available to you",
        )),
        ([], matches) => Ok(several(matches)),
        (matches, _) => Ok(several(&matches.iter().collect::<Vec<_>>())),
    }
}

pub async fn flag(path: web::Path<Uuid>, posted: Posted) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let Posted { session, fields } = posted;
    let request = RaiseFlagRequest {
        reason: fields.text("reason"),
        separate: fields.opt("separate").is_some(),
    };
    match flags::raise(&session, id, &request).await {
        Ok(Raised::New(_)) => Ok(see_other(&format!("/shipments/{id}?done=flagged"))),
        Ok(Raised::AddedTo(_)) => Ok(see_other(&format!("/shipments/{id}?done=added_to_flag"))),
        Err(e) if explainable(&e) => {
            let mut outcome = Outcome::default();
            outcome.flag_errors.absorb(&e, str::to_owned);
            shipment_page(&session, id, outcome, status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn decide_suggestion(
    path: web::Path<(Uuid, Uuid)>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let (id, candidate) = path.into_inner();
    let Posted { session, fields } = posted;
    let decision = fields.text("decision");
    let request = SuggestionDecision {
        decision: decision.clone(),
        relation: fields.opt("relation").filter(|_| decision == "accept"),
    };
    match suggestions::decide(&session, id, candidate, &request).await {
        Ok(_) => {
            let done = if decision == "accept" {
                "accepted"
            } else {
                "rejected"
            };
            Ok(see_other(&format!("/shipments/{id}?done={done}")))
        }
        Err(e) if explainable(&e) => {
            let outcome = Outcome {
                notice: Some(("error", detail(&e).unwrap_or_else(|| kind(&e).1.to_owned()))),
                ..Outcome::default()
            };
            shipment_page(&session, id, outcome, status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn chain(session: Session, path: web::Path<Uuid>) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let view = chains::show(&session, id, &ChainQuery::default()).await?;
    let start = view
        .nodes
        .iter()
        .find(|n| n.id == id)
        .and_then(|n| n.reference.clone())
        .unwrap_or_else(|| "a shipment".to_owned());
    let title = format!("Chain of {start}");
    let body = html! {
        h1 { (title) }
        p { "Score " strong { (view.score) } " · " (view.nodes.len()) " shipments · " (view.edges.len()) " links"
            @if !view.flags.is_empty() { " · " (badge("flagged", "flagged")) } }
        @if view.truncated.depth || view.truncated.nodes { (notice("warn", "The chain is longer than the display limits; only part of it is shown.")) }
        (super::chain::diagram(&view))
        h2 #hops { "Hops" }
        (super::chain::table(&view))
        @if !view.flags.is_empty() {
            h2 { "Flags" }
            (super::reviews::queue_table(&view.flags))
        }
        p { a href={ "/shipments/" (id) } { "Back to the shipment" } }
    };
    Ok(page(&session, &title, body))
}
