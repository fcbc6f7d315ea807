//! The page shell: head, navigation for the signed-in role, flash
//! messages, and the embedded stylesheet.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use interdict_domain::policy::{self, Decision};
use maud::{html, Markup, DOCTYPE};

use super::session::Session;

pub const STYLESHEET: &str = include_str!("../../assets/app.css");
/// Shows `<time>` elements in the reader's time zone.
pub const TIME_SCRIPT: &str = include_str!("../../assets/time.js");

pub fn sign_in_url(next: &str) -> String {
    format!("/login?next={}", encode(next))
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub fn respond(status: StatusCode, markup: &Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ))
        .body(markup.0.clone())
}

/// A page for a signed-in user.
pub fn page(session: &Session, title: &str, body: Markup) -> HttpResponse {
    respond(StatusCode::OK, &document(title, Some(session), body))
}

/// A page with a status other than 200 (a form sent back with errors).
pub fn page_with(status: StatusCode, session: &Session, title: &str, body: Markup) -> HttpResponse {
    respond(status, &document(title, Some(session), body))
}

/// Where a form goes after it succeeded (303, so reloading is harmless).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn allowed(decision: Decision) -> bool {
    decision == Decision::Allow
}

fn navigation(session: &Session) -> Markup {
    let Some(user) = session.signed_in() else {
        return html! {};
    };
    let actor = &user.actor;
    let sees_records = allowed(policy::decide_deconfliction(actor));
    html! {
        nav aria-label="Main" {
            ul {
                li { a href="/" { "Dashboard" } }
                @if sees_records {
                    li { a href="/shipments" { "Shipments" } }
                }
                @if allowed(policy::decide_create_record(actor)) {
                    li { a href="/shipments/new" { "New shipment" } }
                }
                @if allowed(policy::decide_review_queue(actor)) {
                    li { a href="/reviews" { "Review queue" } }
                }
                @if allowed(policy::decide_audit_search(actor)) {
                    li { a href="/audit" { "Audit" } }
                }
                @if sees_records {
                    li { a href="/catalogue" { "Catalogue" } }
                }
                @if allowed(policy::decide_screening(actor)) {
                    li { a href="/screening" { "Screening" } }
                }
                @if allowed(policy::decide_watch(actor)) {
                    li { a href="/watchlists" { "Watchlists" } }
                }
                @if policy::Report::ALL.iter().any(|r| allowed(policy::decide_export(actor, *r))) {
                    li { a href="/reports" { "Reports" } }
                }
                @if policy::user_directory(actor) != policy::UserDirectory::Nothing {
                    li { a href="/admin/users" { "Users" } }
                }
                @if allowed(policy::decide_directory_admin(actor)) {
                    li { a href="/admin/agencies" { "Agencies" } }
                    li { a href="/admin/task-forces" { "Task forces" } }
                }
            }
        }
        div.who {
            span { (user.username) " · " (actor.role.as_str()) }
            a #notifications href="/notifications" {
                "Notifications"
                @if session.unread > 0 { " " span.count aria-label="unread" { (session.unread) } }
            }
            a href="/account/mfa" { "Second factor" }
            form method="post" action="/logout" {
                (csrf(session))
                button.link type="submit" { "Sign out" }
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

pub fn document(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Interdict" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Interdict" }
                    @if let Some(session) = session { (navigation(session)) }
                }
                main #main { (body) }
                footer { "Interdict · records are audited · " a href="/api/v1/openapi.json" { "API" } }
                script src="/assets/time.js" defer {}
            }
        }
    }
}

/// A notice above the content: what just happened, or what went wrong.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { p.notice.(kind) role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}
