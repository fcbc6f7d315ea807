//! The account's second factor: enrolment with a QR code of the secret
//! (inline SVG, drawn here; no script, no image request), confirmation with
//! a code, and the recovery codes, each shown once.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use interdict_app::auth::mfa::{self, ConfirmEnrolmentRequest};
use interdict_app::AppError;
use maud::{html, PreEscaped};
use qrcodegen::{QrCode, QrCodeEcc};
use std::fmt::Write;

use super::error::PageError;
use super::form::{Errors, Input};
use super::layout::{csrf, notice, page, page_with};
use super::session::{Posted, Session};

/// A QR code of `text` as SVG markup, four modules of quiet zone.
fn qr_svg(text: &str) -> Option<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    const BORDER: i32 = 4;
    let size = qr.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                let _ = write!(path, "M{},{}h1v1h-1z", x + BORDER, y + BORDER);
            }
        }
    }
    let dim = size + 2 * BORDER;
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {dim} {dim}" width="240" height="240" role="img" aria-label="QR code of the authenticator secret" shape-rendering="crispEdges"><rect width="{dim}" height="{dim}" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

pub async fn show(session: Session) -> Result<HttpResponse, PageError> {
    let status = mfa::status(&session).await?;
    let body = html! {
        h1 { "Second factor" }
        @if status.enabled {
            (notice("ok", "Your authenticator app is set up: signing in asks for its code."))
            p { "Recovery codes left: " (status.recovery_codes_left) ". If you lose your phone, ask your agency's administrator to reset your second factor." }
        } @else {
            @if status.required {
                (notice("warn", "Your agency requires a second factor. Set it up to continue."))
            }
            p { "Use an authenticator app (FreeOTP, Google Authenticator, 1Password, …). You will scan a QR code, then type the code the app shows." }
            form.stack method="post" action="/account/mfa/enrol" {
                (csrf(&session))
                div.actions { button type="submit" { "Set up an authenticator app" } }
            }
        }
    };
    Ok(page(&session, "Second factor", body))
}

fn confirm_form(session: &Session, errors: &Errors) -> maud::Markup {
    html! {
        form.stack method="post" action="/account/mfa/confirm" {
            (csrf(session))
            (Input::new("Code from the app", "code", "").required().render(errors))
            div.actions { button type="submit" { "Confirm" } }
        }
    }
}

pub async fn enrol(posted: Posted) -> Result<HttpResponse, PageError> {
    let session = posted.session;
    let enrolment = match mfa::start_enrolment(&session).await {
        Ok(enrolment) => enrolment,
        Err(AppError::Conflict(text)) => {
            return Ok(page_with(
                StatusCode::CONFLICT,
                &session,
                "Second factor",
                html! { h1 { "Second factor" } (notice("error", &text)) },
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let qr = qr_svg(&enrolment.otpauth_url).unwrap_or_default();
    let body = html! {
        h1 { "Set up your authenticator app" }
        p { "Scan this code with the app, or type the secret in by hand. It is shown only now." }
        figure #mfa-qr { (PreEscaped(qr)) }
        p { "Secret: " code #mfa-secret { (enrolment.secret) } }
        (confirm_form(&session, &Errors::default()))
    };
    Ok(page(&session, "Second factor", body))
}

pub async fn confirm(posted: Posted) -> Result<HttpResponse, PageError> {
    let Posted { session, fields } = posted;
    let request = ConfirmEnrolmentRequest {
        code: fields.text("code"),
    };
    match mfa::confirm_enrolment(&session, request).await {
        Ok(codes) => {
            let body = html! {
                h1 { "Second factor active" }
                (notice("ok", "From now on, signing in asks for a code from your app. Sign out and in again to continue."))
                p { "Keep these recovery codes somewhere safe. Each works once instead of a code; they are shown only now." }
                ul #recovery-codes { @for code in &codes.recovery_codes { li.mono { (code) } } }
            };
            Ok(page(&session, "Second factor", body))
        }
        Err(
            e
            @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::TooManyRequests { .. }),
        ) => {
            let mut errors = Errors::default();
            errors.absorb(&e, str::to_owned);
            if !matches!(e, AppError::Validation(_)) {
                errors.general(crate::error::detail(&e).unwrap_or_default());
            }
            let body = html! {
                h1 { "Set up your authenticator app" }
                p { "The code did not match. Type the code the app shows now, or start again." }
                (confirm_form(&session, &errors))
            };
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &session,
                "Second factor",
                body,
            ))
        }
        Err(e) => Err(e.into()),
    }
}
