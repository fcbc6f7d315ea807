//! The supervisors' review queue and the decision on one flag.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_app::flags::{self, FlagIndicator, FlagView};
use interdict_app::reviews::{self, QueueQuery, TransitionRequest};
use interdict_app::AppError;
use interdict_domain::review::{FlagState, QueueView};
use maud::{html, Markup};
use uuid::Uuid;

use super::display::{badge, pager, query_of, when};
use super::error::PageError;
use super::form::{any_of, select, Errors, Input};
use super::layout::{csrf, notice, page, page_with, see_other};
use super::session::{Posted, Session};

pub fn queue_table(flags: &[FlagView]) -> Markup {
    html! {
        @if flags.is_empty() { p.muted { "No flags." } }
        @else {
            div.table-wrap { table.flags {
                thead { tr { th { "Flag" } th { "State" } th { "Score" } th { "Indicators" } th { "Shipment" } th { "Chain" } th { "Main parties" } th { "Agency" } th { "Raised" } th { "Age" } th { "Assigned" } th { "Escalated to" } } }
                tbody { @for f in flags {
                    tr {
                        td { a href={ "/flags/" (f.id) } { (flag_name(f)) } }
                        td { (badge(&f.state, &f.state)) }
                        td { (f.score) }
                        td { (indicator_codes(&f.indicators)) }
                        td { (shipment_cell(f)) }
                        td.chain { (chain_cell(f)) }
                        td.parties { (parties_cell(f)) }
                        td { (f.owner_agency_name.as_deref().unwrap_or("—")) }
                        td { (when(&f.raised_at)) }
                        td.age { (f.age_days) " d" @if f.overdue { " " (badge("overdue", "overdue")) } }
                        td { (f.assigned_to_username.as_deref().unwrap_or("—")) }
                        td { (f.escalated_to_name.as_deref().unwrap_or("—")) }
                    }
                } }
            } }
        }
    }
}

/// A flag as people tell it apart: why it was raised.
fn flag_name(flag: &FlagView) -> String {
    const LONGEST: usize = 60;
    match flag.reason.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("{}…", &flag.reason[..cut]),
        None => flag.reason.clone(),
    }
}

/// The flag's shipment, or why the caller does not see it.
fn shipment_cell(flag: &FlagView) -> Markup {
    html! {
        @match flag.shipment_id {
            Some(id) => a href={ "/shipments/" (id) } { (flag.shipment_reference.as_deref().unwrap_or("shipment")) },
            None => span.muted { "not shared with your agency" },
        }
    }
}

/// The flag's chain at a glance: its route stop by stop (a shipment held
/// by another agency names only that agency) and its size.
fn chain_cell(flag: &FlagView) -> Markup {
    let Some(chain) = &flag.chain else {
        return html! { span.muted { "—" } };
    };
    let stops: Vec<String> = chain
        .route
        .iter()
        .map(|stop| match (&stop.place, &stop.held_by) {
            (Some(place), _) => brief_place(place),
            (None, Some(agency)) => format!("[held by {agency}]"),
            (None, None) => "—".to_owned(),
        })
        .collect();
    let size = if chain.shipments == 1 {
        "1 shipment, not linked".to_owned()
    } else {
        let paths = if chain.paths > 1 {
            format!(", {} paths", chain.paths)
        } else {
            String::new()
        };
        format!(
            "{} shipments, {} on this route{paths}",
            chain.shipments, chain.hops
        )
    };
    html! {
        span.route { (stops.join(" → ")) }
        br;
        span.muted.size data-shipments=(chain.shipments) { (size) }
    }
}

/// A stop as a row of the queue has room for: the city (else the port's
/// name, else the country) and the port code, or the country.
fn brief_place(place: &interdict_domain::shipment::LocationInput) -> String {
    use interdict_domain::locode::Locode;
    let code = place
        .locode
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let known = code
        .and_then(|c| Locode::parse(c).ok())
        .and_then(|c| c.place());
    let name = place
        .city
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| known.map(|k| k.name.to_string()))
        .unwrap_or_else(|| place.country.clone());
    format!("{name} ({})", code.unwrap_or(&place.country))
}

/// The chain's main parties by name and country.
fn parties_cell(flag: &FlagView) -> Markup {
    let Some(chain) = &flag.chain else {
        return html! { span.muted { "—" } };
    };
    let named: Vec<String> = chain
        .parties
        .iter()
        .map(|p| match &p.country {
            Some(country) => format!("{} ({country})", p.name),
            None => p.name.clone(),
        })
        .collect();
    html! {
        @if named.is_empty() { span.muted { "none you may see" } }
        @else {
            (named.join("; "))
            @if chain.more_parties > 0 { span.muted { " and " (chain.more_parties) " more" } }
        }
    }
}

fn indicator_codes(indicators: &[FlagIndicator]) -> String {
    indicators
        .iter()
        .map(|i| super::labels::words(&i.code))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn queue(
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let q = query_of::<QueueQuery>(&pairs)?;
    let chosen = q.state.clone().unwrap_or_default();
    let chosen_view = q.view.clone().unwrap_or_default();
    let found = reviews::queue(&session, &q).await?;
    // Assigned to a named supervisor of the agency, from the directory.
    let mut assigned = assignments();
    for r in flags_reviewers(&session).await {
        assigned.push((r.id.to_string(), format!("to {}", reviewer_label(&r))));
    }
    let hits = interdict_app::screening::open_hits(&session, 50).await?;
    let states: Vec<&str> = FlagState::ALL.iter().map(|s| s.as_str()).collect();
    let indicators: Vec<(String, String)> = std::iter::once((String::new(), "any".to_owned()))
        .chain(
            interdict_domain::risk::IndicatorCode::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), super::labels::words(c.as_str()))),
        )
        .collect();
    let agencies: Vec<(String, String)> = std::iter::once((String::new(), "any".to_owned()))
        .chain(
            super::admin::listed_agencies(&session)
                .await
                .into_iter()
                .filter(|a| !a.is_system)
                .map(|a| (a.id.to_string(), a.name)),
        )
        .collect();
    let chosen_agency = q.agency_id.map(|a| a.to_string()).unwrap_or_default();
    let views: Vec<(String, String)> = QueueView::ALL
        .iter()
        .map(|v| (v.as_str().to_owned(), queue_view_label(*v).to_owned()))
        .collect();
    let body = html! {
        h1 { "Review queue" }
        form.stack method="get" action="/reviews" {
            div.row {
                (select("Show", "view", &views, &chosen_view, &Errors::default()))
                (select("State", "state", &any_of(&states), &chosen, &Errors::default()))
                (select("Sort", "sort", &sorts(), q.sort.as_deref().unwrap_or_default(), &Errors::default()))
                (select("Assigned", "assigned_to", &assigned, q.assigned_to.as_deref().unwrap_or_default(), &Errors::default()))
                (select("Overdue", "overdue", &overdue_choices(), &q.overdue.map(|o| o.to_string()).unwrap_or_default(), &Errors::default()))
                (select("Indicator", "indicator", &indicators, q.indicator.as_deref().unwrap_or_default(), &Errors::default()))
                (select("Agency", "agency_id", &agencies, &chosen_agency, &Errors::default()))
                div.actions { button type="submit" { "Show" } }
            }
        }
        (queue_table(&found.items))
        (pager("/reviews", &pairs, found.next_cursor.as_deref()))
        (super::screening::hits_section(&session, &hits))
    };
    Ok(page(&session, "Review queue", body))
}

fn sorts() -> Vec<(String, String)> {
    [
        ("newest", "Newest first"),
        ("oldest", "Waiting longest (age)"),
        ("score", "Highest score"),
        ("chain", "Largest chain"),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .to_vec()
}

fn overdue_choices() -> Vec<(String, String)> {
    [
        ("", "overdue or not"),
        ("true", "overdue only"),
        ("false", "not overdue"),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .to_vec()
}

fn assignments() -> Vec<(String, String)> {
    [
        ("", "anyone or no one"),
        ("me", "to me"),
        ("none", "to no one"),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .to_vec()
}

fn queue_view_label(view: QueueView) -> &'static str {
    match view {
        QueueView::Inbox => "To decide, and escalated to us",
        QueueView::Review => "To decide",
        QueueView::EscalatedToUs => "Escalated to us",
        QueueView::EscalatedByUs => "Escalated by us",
    }
}

/// The reviewer directory, or none for a role that may not read it.
async fn flags_reviewers(session: &Session) -> Vec<interdict_app::reviews::ReviewerView> {
    interdict_app::reviews::reviewers(session)
        .await
        .unwrap_or_default()
}

/// A supervisor as colleagues know them: name and username.
fn reviewer_label(r: &interdict_app::reviews::ReviewerView) -> String {
    if r.display_name.is_empty() || r.display_name == r.username {
        r.username.clone()
    } else {
        format!("{} ({})", r.display_name, r.username)
    }
}

async fn flag_page(
    session: &Session,
    id: Uuid,
    message: Option<(&str, String)>,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let detail = flags::show(session, id).await?;
    let actor = session.actor()?;
    // Escalation needs a list of agencies; a role that cannot list them
    // simply does not get the choice.
    let escalation_targets: Vec<(String, String)> = super::admin::listed_agencies(session)
        .await
        .into_iter()
        .filter(|a| a.id != actor.agency_id && !a.is_system)
        .map(|a| (a.id.to_string(), a.name))
        .collect();
    let flag = &detail.flag;
    // Whom it may be assigned to: the supervisors of its agency, from the
    // directory supervisors may read (the caller first).
    let mut reviewers: Vec<(String, String)> = Vec::new();
    if flag.owner_agency_id == actor.agency_id {
        for r in flags_reviewers(session).await {
            let entry = (r.id.to_string(), reviewer_label(&r));
            if r.id == actor.user_id {
                reviewers.insert(0, entry);
            } else {
                reviewers.push(entry);
            }
        }
    }
    let flag_state = flag.state.clone();
    let version = flag.version;
    let decided = flag_state
        .parse::<FlagState>()
        .map(FlagState::is_decided)
        .unwrap_or(true);
    // The system's reasons read alike ("Risk score 85 reached…"): the
    // shipment's reference tells one flag from another.
    let title = match &flag.shipment_reference {
        Some(reference) => format!("Flag on {reference}: {}", flag_name(flag)),
        None => format!("Flag: {}", flag_name(flag)),
    };
    let body = html! {
        h1 { (title) " " (badge(&flag_state, &flag_state)) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        (errors.summary())
        dl.facts {
            dt { "Agency" } dd { (flag.owner_agency_name.as_deref().unwrap_or("—")) }
            dt { "Shipment" } dd {
                @match flag.shipment_id {
                    Some(shipment) => a href={ "/shipments/" (shipment) "/chain" } { "chain of " (flag.shipment_reference.as_deref().unwrap_or("the shipment")) },
                    None => span.muted {
                        "Not shared with your agency: ask " (flag.owner_agency_name.as_deref().unwrap_or("the flag's agency")) " for access"
                        @if let Some(contact) = &flag.owner_agency_contact { " (" (contact) ")" }
                        "."
                    },
                }
            }
            dt { "Reason" } dd { (flag.reason) }
            dt { "Raised" } dd { (when(&flag.raised_at)) " by " (flag.raised_by_username.as_deref().unwrap_or("the system")) }
            @if let Some(assignee) = &flag.assigned_to_username { dt { "Assigned to" } dd { (assignee) } }
            @if let Some(target) = &flag.escalated_to_name { dt { "Escalated to" } dd { (target) } }
            dt { "Score" } dd { (flag.score) }
            dt { "Indicators" } dd { (indicator_codes(&flag.indicators)) }
            dt { "Version" } dd { (version) }
        }
        @if !decided {
            h2 { "Decide" }
            form.stack method="post" action={ "/flags/" (id) } {
                (csrf(session))
                input type="hidden" name="version" value=(version);
                @if reviewers.is_empty() {
                    input type="hidden" name="assignee_id" value=(actor.user_id);
                } @else {
                    (select("Assign to", "assignee_id", &reviewers, &actor.user_id.to_string(), errors))
                }
                (Input::new("Reason (required to dismiss or escalate)", "reason", "").kind("textarea").render(errors))
                // Escalating is a decision, offered once the review has
                // started, as its button is.
                @if flag_state != "open" && !escalation_targets.is_empty() {
                    (select("Escalate to", "agency_id", &escalation_targets, "", errors))
                }
                div.actions {
                    @if flag_state == "open" {
                        button.secondary type="submit" name="action" value="assign" { "Assign" }
                        button type="submit" name="action" value="start_review" { "Start review" }
                    } @else {
                        button #confirm type="submit" name="action" value="confirm" { "Confirm" }
                        button.secondary type="submit" name="action" value="dismiss" { "Dismiss" }
                        @if !escalation_targets.is_empty() {
                            button.secondary type="submit" name="action" value="escalate" { "Escalate" }
                        }
                    }
                }
            }
        }
        h2 { "History" }
        table.history { thead { tr { th { "Version" } th { "Action" } th { "By" } th { "From" } th { "To" } th { "When" } th { "Reason" } } } tbody {
            @for t in &detail.history {
                tr {
                    td { (t.version) }
                    td {
                        (super::labels::words(&t.action))
                        @if let Some(agency) = &t.escalated_to_name { " to " (agency) }
                        @if let Some(user) = &t.assigned_to_username { " to " (user) }
                    }
                    td { (t.by_username.as_deref().unwrap_or("the system")) }
                    td { (super::labels::words(t.from_state.as_deref().unwrap_or_default())) }
                    td { (super::labels::words(&t.to_state)) }
                    td { (when(&t.at)) }
                    td { (t.reason.as_deref().unwrap_or_default()) }
                }
            }
        } }
    };
    Ok(page_with(status, session, &title, body))
}

pub async fn show(session: Session, path: web::Path<Uuid>) -> Result<HttpResponse, PageError> {
    flag_page(
        &session,
        path.into_inner(),
        None,
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn decide(path: web::Path<Uuid>, posted: Posted) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let Posted { session, fields } = posted;
    let action = fields.text("action");
    let version = fields.version();
    let request = TransitionRequest {
        action: action.clone(),
        reason: fields.opt("reason"),
        assignee_id: fields.opt("assignee_id").and_then(|v| v.parse().ok()),
        agency_id: fields
            .opt("agency_id")
            .and_then(|v| v.parse().ok())
            .filter(|_| action == "escalate"),
    };
    let result = reviews::transition(&session, id, version, &request).await;
    match result {
        Ok(_) => Ok(see_other(&format!("/flags/{id}"))),
        Err(AppError::PreconditionFailed { .. }) => {
            let message = "Another supervisor decided or changed this flag first. Here is its current state; nothing of yours was saved.".to_owned();
            flag_page(
                &session,
                id,
                Some(("warn", message)),
                &Errors::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(
            e @ (AppError::Validation(_)
            | AppError::BadRequest { .. }
            | AppError::Conflict(_)
            | AppError::Forbidden),
        ) => {
            let mut errors = Errors::default();
            errors.absorb(&e, str::to_owned);
            let status = crate::error::status(&e);
            flag_page(&session, id, None, &errors, status).await
        }
        Err(e) => Err(e.into()),
    }
}
