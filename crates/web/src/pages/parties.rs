//! A party's page: what is on file, the parties judged the same actor,
//! and the candidates the matcher proposes, each with its signals and
//! buttons to judge it `same`, `different` or `unsure`. A strong match the
//! caller may not see is only a notice naming the agency to call.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_app::party_matching::{self, JudgementRequest};
use interdict_app::records;
use interdict_app::AppError;
use interdict_domain::party::PartyInput;
use maud::html;
use uuid::Uuid;

use super::error::PageError;
use super::layout::{csrf, notice, page_with, see_other};
use super::session::{Posted, Session};
use crate::error::{detail, kind};

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    session: Session,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    let message = match query.done.as_deref() {
        Some("same") => Some(("ok", "Judged the same actor: the two now form one profile.")),
        Some("different") => Some((
            "ok",
            "Judged different: the pair will not be proposed again.",
        )),
        Some("unsure") => Some(("ok", "Judged unsure: the pair stays proposed.")),
        _ => None,
    };
    party_page(
        &session,
        path.into_inner(),
        message.map(|(k, t)| (k, t.to_owned())),
        StatusCode::OK,
    )
    .await
}

async fn party_page(
    session: &Session,
    id: Uuid,
    message: Option<(&str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let record = records::show::<PartyInput>(session, id).await?;
    let matches = party_matching::matches(session, id).await?;
    let party = &record.document;
    let country = party
        .address
        .as_ref()
        .map(|a| a.country.clone())
        .unwrap_or_default();
    let title = format!("Party {}", party.name);
    let body = html! {
        h1 { (title) }
        @if let Some((kind, text)) = &message { (notice(kind, text)) }
        section {
            h2 { "On file" }
            dl.facts {
                dt { "Name" } dd #party-name { (party.name) }
                dt { "Kind" } dd { (super::labels::words(&party.kind)) }
                @if !party.aliases.is_empty() { dt { "Aliases" } dd { (party.aliases.join("; ")) } }
                @if !country.is_empty() { dt { "Country" } dd { (country) } }
                @if !party.phones.is_empty() { dt { "Phones" } dd { (party.phones.join("; ")) } }
                @if !party.emails.is_empty() { dt { "E-mails" } dd { (party.emails.join("; ")) } }
                @if !party.registration_numbers.is_empty() { dt { "Registration numbers" } dd { (party.registration_numbers.join("; ")) } }
            }
        }
        @if !matches.profile.is_empty() {
            section #profile {
                h2 { "The same actor" }
                p.muted { "Judged the same: names, aliases and identifiers are shared, and chains, suggestions and chain search follow them all." }
                ul { @for m in &matches.profile { li { a href={ "/parties/" (m.party_id) } { (m.name) } } } }
            }
        }
        section #matches {
            h2 { "Possible matches" }
            @if matches.matches.is_empty() { p.muted { "No party on file looks like the same actor." } }
            @else {
                table { thead { tr { th { "Party" } th { "Score" } th { "Why" } th { "Judgement" } } } tbody {
                    @for m in &matches.matches {
                        tr data-party=(m.party_id) {
                            td { a href={ "/parties/" (m.party_id) } { (m.name) } @if let Some(c) = &m.country { " (" (c) ")" } }
                            td { (format!("{:.2}", m.score)) }
                            td { ul.signals { @for s in &m.signals { li { (s.text) } } } }
                            td {
                                @if let Some(j) = &m.judgement { p.muted { "Judged " (j) } }
                                form.inline method="post" action={ "/parties/" (id) "/judgements" } {
                                    (csrf(session))
                                    input type="hidden" name="other_id" value=(m.party_id);
                                    label.muted for={ "note-" (m.party_id) } { "Note " }
                                    input id={ "note-" (m.party_id) } name="note" type="text";
                                    " "
                                    button type="submit" name="decision" value="same" { "Same" }
                                    " "
                                    button.secondary type="submit" name="decision" value="different" { "Different" }
                                    " "
                                    button.secondary type="submit" name="decision" value="unsure" { "Unsure" }
                                }
                            }
                        }
                    }
                } }
            }
            @for n in &matches.notices {
                (notice("warn", &format!(
                    "{} ({}) holds a record that strongly matches this party. Contact: {}",
                    n.other_agency.name, n.other_agency.ori, n.other_agency.contact
                )))
            }
        }
    };
    Ok(page_with(status, session, &title, body))
}

pub async fn judge(path: web::Path<Uuid>, posted: Posted) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let Posted { session, fields } = posted;
    let decision = fields.text("decision");
    let Ok(other_id) = fields.text("other_id").parse::<Uuid>() else {
        let text = "Choose a party to judge.".to_owned();
        return party_page(
            &session,
            id,
            Some(("error", text)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let request = JudgementRequest {
        other_id,
        decision: decision.clone(),
        note: fields.text("note"),
    };
    match party_matching::judge(&session, id, request).await {
        Ok(view) => Ok(see_other(&format!("/parties/{id}?done={}", view.decision))),
        Err(e @ (AppError::Validation(_) | AppError::BadRequest { .. } | AppError::Forbidden)) => {
            let text = detail(&e).unwrap_or_else(|| kind(&e).1.to_owned());
            let status = crate::error::status(&e);
            party_page(&session, id, Some(("error", text)), status).await
        }
        Err(e) => Err(e.into()),
    }
}
