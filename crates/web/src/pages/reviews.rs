//! The supervisors' review queue and the decision on one flag.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_domain::review::FlagState;
use maud::{html, Markup};
use serde_json::Value;
use uuid::Uuid;

use super::display::{badge, body_of, pager, query_of, short, str_of, when};
use super::error::PageError;
use super::form::{any_of, select, Errors, Input};
use super::layout::{csrf, notice, page, page_with, see_other};
use super::session::{Posted, Session};
use crate::error::ApiError;
use crate::routes::reviews::{self, FlagView, QueueQuery, TransitionRequest};
use crate::routes::IfMatch;
use crate::state::AppState;

pub fn queue_table(flags: &[FlagView]) -> Markup {
    html! {
        @if flags.is_empty() { p.muted { "No flags." } }
        @else {
            div.table-wrap { table.flags {
                thead { tr { th { "Flag" } th { "State" } th { "Score" } th { "Indicators" } th { "Shipment" } th { "Raised" } th { "Assigned" } } }
                tbody { @for f in flags {
                    tr {
                        td { a href={ "/flags/" (f.id) } { (short(&f.id)) } }
                        td { (badge(&f.state, &f.state)) }
                        td { (f.score) }
                        td { (indicator_codes(&f.indicators)) }
                        td { a href={ "/shipments/" (f.shipment_id) } { (short(&f.shipment_id)) } }
                        td { (when(&f.raised_at)) }
                        td { (f.assigned_to.map(|u| short(&u)).unwrap_or_else(|| "—".into())) }
                    }
                } }
            } }
        }
    }
}

fn indicator_codes(indicators: &Value) -> String {
    indicators
        .as_array()
        .map(|list| {
            list.iter()
                .map(|i| str_of(i, "code").replace('_', " "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

pub async fn queue(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let q = query_of::<QueueQuery>(&pairs)?;
    let chosen = q.state.clone().unwrap_or_default();
    let found = reviews::queue(state, session.caller.clone(), q)
        .await?
        .into_inner();
    let states: Vec<&str> = FlagState::ALL.iter().map(|s| s.as_str()).collect();
    let body = html! {
        h1 { "Review queue" }
        form.stack method="get" action="/reviews" {
            div.row {
                (select("State", "state", &any_of(&states), &chosen, &Errors::default()))
                div.actions { button type="submit" { "Show" } }
            }
        }
        (queue_table(&found.items))
        (pager("/reviews", &pairs, found.next_cursor.as_deref()))
    };
    Ok(page(&session, "Review queue", body))
}

async fn flag_page(
    state: &web::Data<AppState>,
    session: &Session,
    id: Uuid,
    message: Option<(&str, String)>,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let flag =
        body_of(reviews::show(state.clone(), session.caller.clone(), web::Path::from(id)).await?)
            .await?;
    // Escalation needs a list of agencies; a role that cannot list them
    // simply does not get the choice.
    let escalation_targets: Vec<(String, String)> = super::admin::listed_agencies(state, session)
        .await
        .into_iter()
        .filter(|a| a.id != session.caller.actor.agency_id && !a.is_system)
        .map(|a| (a.id.to_string(), a.name))
        .collect();
    let flag_state = str_of(&flag, "state").to_owned();
    let version = flag.get("version").and_then(Value::as_i64).unwrap_or(0);
    let decided = flag_state
        .parse::<FlagState>()
        .map(FlagState::is_decided)
        .unwrap_or(true);
    let title = format!("Flag {}", short(&id));
    let body = html! {
        h1 { (title) " " (badge(&flag_state, &flag_state)) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        (errors.summary())
        dl.facts {
            dt { "Shipment" } dd { a href={ "/shipments/" (str_of(&flag, "shipment_id")) "/chain" } { "chain of " (str_of(&flag, "shipment_id")) } }
            dt { "Reason" } dd { (str_of(&flag, "reason")) }
            dt { "Score" } dd { (flag.get("score").and_then(Value::as_f64).unwrap_or(0.0)) }
            dt { "Indicators" } dd { (indicator_codes(flag.get("indicators").unwrap_or(&Value::Null))) }
            dt { "Version" } dd { (version) }
        }
        @if !decided {
            h2 { "Decide" }
            form.stack method="post" action={ "/flags/" (id) } {
                (csrf(session))
                input type="hidden" name="version" value=(version);
                input type="hidden" name="assignee_id" value=(session.caller.actor.user_id);
                (Input::new("Reason (required to dismiss)", "reason", "").kind("textarea").render(errors))
                @if !escalation_targets.is_empty() {
                    (select("Escalate to", "agency_id", &escalation_targets, "", errors))
                }
                div.actions {
                    @if flag_state == "open" {
                        button.secondary type="submit" name="action" value="assign" { "Assign to me" }
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
        table { thead { tr { th { "Version" } th { "Action" } th { "From" } th { "To" } th { "When" } th { "Reason" } } } tbody {
            @for t in flag.get("history").and_then(Value::as_array).into_iter().flatten() {
                tr {
                    td { (t.get("version").and_then(Value::as_i64).unwrap_or(0)) }
                    td { (str_of(t, "action").replace('_', " ")) }
                    td { (str_of(t, "from_state").replace('_', " ")) }
                    td { (str_of(t, "to_state").replace('_', " ")) }
                    td { (str_of(t, "at")) }
                    td { (str_of(t, "reason")) }
                }
            }
        } }
    };
    Ok(page_with(status, session, &title, body))
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    flag_page(
        &state,
        &session,
        path.into_inner(),
        None,
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn decide(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
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
    let result = reviews::transition(
        state.clone(),
        session.caller.clone(),
        IfMatch(version),
        web::Path::from(id),
        web::Json(request),
    )
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/flags/{id}"))),
        Err(ApiError::PreconditionFailed { .. }) => {
            let message = "Another supervisor decided or changed this flag first. Here is its current state; nothing of yours was saved.".to_owned();
            flag_page(
                &state,
                &session,
                id,
                Some(("warn", message)),
                &Errors::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(
            e @ (ApiError::Validation(_)
            | ApiError::BadRequest { .. }
            | ApiError::Conflict(_)
            | ApiError::Forbidden),
        ) => {
            let mut errors = Errors::default();
            errors.absorb(&e, str::to_owned);
            use actix_web::ResponseError;
            flag_page(&state, &session, id, None, &errors, e.status_code()).await
        }
        Err(e) => Err(e.into()),
    }
}
