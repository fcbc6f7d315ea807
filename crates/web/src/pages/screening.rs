//! Screening pages: a form to screen a name, the user's watchlists, their
//! notifications, and the sanctions hits the supervisor's queue shows.

use actix_web::{web, HttpResponse};
use interdict_app::pagination::PageQuery;
use interdict_app::screening::{self, DisposeRequest, HitView, ListView, ScreenRequest};
use interdict_app::watchlists::{self, MuteRequest, WatchRequest};
use interdict_app::AppError;
use maud::{html, Markup};
use uuid::Uuid;

use super::display::when;
use super::error::PageError;
use super::form::{param, Errors, Input};
use super::layout::{csrf, notice, page, see_other};
use super::session::{Posted, Session};

/// The list's date beside every hit shown, and a warning when it is old.
pub fn list_line(list: Option<&ListView>) -> Markup {
    html! {
        @match list {
            Some(l) => p.muted #list-in-force {
                "Screened against " (l.source) " of " strong { (l.list_date) } "."
                @if l.stale { " " strong.warning { "This list is more than 30 days old." } }
            },
            None => p.muted #list-in-force { "No sanctions list is loaded." },
        }
    }
}

/// Open sanctions hits, with a false-positive form for each (the queue).
pub fn hits_section(session: &Session, hits: &[HitView]) -> Markup {
    html! {
        section #sanctions-hits {
            h2 { "Sanctions hits" }
            @if hits.is_empty() { p.muted { "No open sanctions hits." } }
            @else {
                div.table-wrap { table.hits {
                    thead { tr { th { "Party" } th { "Listed as" } th { "Programs" } th { "Score" } th { "List of" } th { "Signals" } th { "Decision" } } }
                    tbody { @for h in hits {
                        tr {
                            td { (h.party_name.as_deref().unwrap_or("party")) }
                            td { (h.listed_name) @if h.listed_name != h.entry_name { " (" (h.entry_name) ")" } }
                            td { (h.programs.join(", ")) }
                            td { (format!("{:.2}", h.score)) }
                            td { (h.list_date) }
                            td { (signal_text(&h.signals)) }
                            td {
                                form method="post" action={ "/screening/hits/" (h.id) "/dispose" } {
                                    (csrf(session))
                                    label { "Reason " input type="text" name="reason" required; }
                                    button type="submit" { "False positive" }
                                }
                            }
                        }
                    } }
                } }
            }
        }
    }
}

fn signal_text(signals: &serde_json::Value) -> String {
    signals
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|s| s["text"].as_str().or_else(|| s["signal"].as_str()))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

pub async fn dispose(posted: Posted, path: web::Path<Uuid>) -> Result<HttpResponse, PageError> {
    let request = DisposeRequest {
        disposition: "false_positive".into(),
        reason: posted.fields.text("reason"),
    };
    screening::dispose(&posted.session, path.into_inner(), request).await?;
    Ok(see_other("/reviews"))
}

/// The screening form; with `name`, its answer.
pub async fn form(
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let name = param(&pairs, "name").trim().to_owned();
    let country = param(&pairs, "country").trim().to_owned();
    let mut errors = Errors::default();
    let (list, result) = if name.is_empty() {
        (screening::in_force(session.app()).await?, None)
    } else {
        let request = ScreenRequest {
            name: name.clone(),
            country: (!country.is_empty()).then(|| country.clone()),
            aliases: Vec::new(),
            identifiers: Vec::new(),
            kind: None,
        };
        match screening::screen(&session, request).await {
            Ok(answer) => (answer.list.clone(), Some(answer)),
            Err(AppError::Validation(e)) => {
                for e in e.errors() {
                    errors.field(e.field.clone(), e.message.clone());
                }
                (screening::in_force(session.app()).await?, None)
            }
            Err(other) => return Err(other.into()),
        }
    };
    let body = html! {
        h1 { "Screen a name" }
        (list_line(list.as_ref()))
        form.stack method="get" action="/screening" {
            (Input::new("Name", "name", &name).required().render(&errors))
            (Input::new("Country (ISO code)", "country", &country).render(&errors))
            div.actions { button type="submit" { "Screen" } }
        }
        @if let Some(answer) = &result {
            @if answer.hits.is_empty() { p #no-hits { "No listed entry matches." } }
            @else {
                table #screening-hits {
                    thead { tr { th { "Listed name" } th { "Entry" } th { "Programs" } th { "Score" } th { "Signals" } } }
                    tbody { @for h in &answer.hits {
                        tr {
                            td { (h.listed_name) }
                            td { (h.entry_name) " (" (h.entry_id) ")" }
                            td { (h.programs.join(", ")) }
                            td { (format!("{:.2}", h.score)) }
                            td { (h.signals.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("; ")) }
                        }
                    } }
                }
            }
        }
    };
    Ok(page(&session, "Screening", body))
}

pub async fn watchlists_page(session: Session) -> Result<HttpResponse, PageError> {
    let watches = watchlists::list(&session).await?;
    let body = watch_body(&session, &watches, None);
    Ok(page(&session, "Watchlists", body))
}

fn watch_body(
    session: &Session,
    watches: &[watchlists::WatchView],
    problem: Option<&str>,
) -> Markup {
    html! {
        h1 { "Your watchlists" }
        @if let Some(p) = problem { (notice("error", p)) }
        form.stack method="post" action="/watchlists" {
            (csrf(session))
            label { "Kind "
                select name="kind" {
                    option value="identifier" { "Identifier (tracking number, serial, phone…)" }
                    option value="party" { "Party (its id)" }
                    option value="imprint" { "Imprint" }
                    option value="chemical" { "Chemical (its id)" }
                }
            }
            label { "Value " input type="text" name="value" required; }
            div.actions { button type="submit" { "Watch" } }
        }
        @if watches.is_empty() { p.muted { "You watch nothing yet." } }
        @else {
            table #watches {
                thead { tr { th { "Kind" } th { "Value" } th { "Since" } th { "Expires" } th { "" } } }
                tbody { @for w in watches {
                    tr {
                        td { (w.kind) }
                        td { code { (w.value) } }
                        td { (when(&w.created_at)) }
                        td { @if let Some(at) = &w.expires_at { (when(at)) } @else { "—" } }
                        td {
                            form.inline method="post" action={ "/watchlists/" (w.id) "/mute" } {
                                (csrf(session))
                                input type="hidden" name="muted" value=(if w.muted { "false" } else { "true" });
                                button type="submit" { (if w.muted { "Unmute" } else { "Mute" }) }
                            }
                            form.inline method="post" action={ "/watchlists/" (w.id) "/delete" } {
                                (csrf(session))
                                button type="submit" { "Delete" }
                            }
                        }
                    }
                } }
            }
        }
    }
}

pub async fn watch_add(posted: Posted) -> Result<HttpResponse, PageError> {
    let request = WatchRequest {
        kind: posted.fields.text("kind"),
        value: posted.fields.text("value"),
        expires_at: None,
    };
    match watchlists::create(&posted.session, request).await {
        Ok(_) => Ok(see_other("/watchlists")),
        Err(AppError::Validation(e)) => {
            let watches = watchlists::list(&posted.session).await?;
            let text = e.to_string();
            let body = watch_body(&posted.session, &watches, Some(&text));
            Ok(page(&posted.session, "Watchlists", body))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn watch_mute(posted: Posted, path: web::Path<Uuid>) -> Result<HttpResponse, PageError> {
    let muted = posted.fields.get("muted") == "true";
    watchlists::mute(&posted.session, path.into_inner(), MuteRequest { muted }).await?;
    Ok(see_other("/watchlists"))
}

pub async fn watch_delete(
    posted: Posted,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    watchlists::delete(&posted.session, path.into_inner()).await?;
    Ok(see_other("/watchlists"))
}

pub async fn notifications_page(session: Session) -> Result<HttpResponse, PageError> {
    let query = PageQuery::default();
    let found = watchlists::notifications(&session, &query).await?;
    let body = html! {
        h1 { "Notifications" }
        p.muted { (found.unread) " unread." }
        @if found.page.items.is_empty() { p.muted { "No notifications." } }
        @else {
            table #notifications-list {
                thead { tr { th { "When" } th { "Watch" } th { "What matched" } th { "Count" } th { "" } } }
                tbody { @for n in &found.page.items {
                    tr.(if n.unread { "unread" } else { "read" }) {
                        td { (when(&n.created_at)) }
                        td { (n.watch_kind) ": " code { (n.watch_value) } }
                        td {
                            @match (n.visible, n.record_id) {
                                (true, Some(id)) if n.record_kind.as_deref() == Some("shipment") => {
                                    a href={ "/shipments/" (id) } { "a shipment" } " (" (n.cause) ")"
                                }
                                (true, Some(id)) => { (n.record_kind.as_deref().unwrap_or("record")) " " code { (id) } " (" (n.cause) ")" }
                                _ => {
                                    (n.holding_agency.name) " (" (n.holding_agency.ori) ") holds a matching record. Contact: "
                                    (n.holding_agency.contact)
                                }
                            }
                        }
                        td { (n.count) }
                        td {
                            @if n.unread {
                                form.inline method="post" action={ "/notifications/" (n.id) "/read" } {
                                    (csrf(&session))
                                    button type="submit" { "Mark read" }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    Ok(page(&session, "Notifications", body))
}

pub async fn notification_read(
    posted: Posted,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    watchlists::mark_read(&posted.session, path.into_inner()).await?;
    Ok(see_other("/notifications"))
}
