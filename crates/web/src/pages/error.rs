//! Errors on pages are pages: the same statuses as the API, rendered as
//! HTML with a way back, never a raw problem document.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use maud::html;

use interdict_app::AppError;

use super::layout;
use crate::error::{detail, kind, log_cause, status};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No session, or one that is no longer valid: go and sign in.
    #[error("sign in required")]
    SignIn { next: String },
    /// A form without the session's CSRF token.
    #[error("form not accepted")]
    Csrf,
    #[error(transparent)]
    App(#[from] AppError),
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::App(e) => status(e),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { next } => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, layout::sign_in_url(next)))
                .finish(),
            Self::Csrf => error_page(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent from an Interdict page of your current session. Go back, reload the page and try again.",
            ),
            Self::App(e) => {
                log_cause(e);
                let (_, title) = kind(e);
                let detail = match e {
                    AppError::NotFound => {
                        "There is no such page, or what it shows is not available to you.".into()
                    }
                    AppError::Forbidden => "Your account's role does not allow this. Ask your agency's administrator if your work needs it.".into(),
                    _ => detail(e).unwrap_or_default(),
                };
                error_page(status(e), title, &detail)
            }
        }
    }
}

pub fn error_page(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    let body = html! {
        h1 { (title) }
        p { (detail) }
        p { a href="/" { "Back to the start page" } }
    };
    layout::respond(status, &layout::document(title, None, body))
}

/// The HTML answer for a path that is neither a page nor the API.
pub fn not_found() -> HttpResponse {
    status_page(StatusCode::NOT_FOUND)
}

/// An error page for a bare status (unknown path, wrong method, a form
/// the framework could not read).
pub fn status_page(status: StatusCode) -> HttpResponse {
    let (title, detail) = match status {
        StatusCode::NOT_FOUND => (
            "Not found",
            "There is no such page, or what it shows is not available to you.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => ("Not allowed", "This page cannot be used that way."),
        StatusCode::PAYLOAD_TOO_LARGE => ("Too large", "What was sent is too large."),
        s if s.is_server_error() => (
            "Something went wrong",
            "An unexpected error occurred. Try again; if it persists, tell your administrator.",
        ),
        _ => ("Not accepted", "The request could not be processed."),
    };
    error_page(status, title, detail)
}
