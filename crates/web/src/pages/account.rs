//! Signing in and out. Signing in goes through the API's login service,
//! so lockout, auditing and token issue are the same; the token is then
//! kept in the session cookie.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use interdict_domain::audit::{AuditAction, Outcome};
use maud::html;
use rand::RngCore;

use super::error::PageError;
use super::form::{Errors, Fields, Input};
use super::layout::{self, document, see_other};
use super::session::{cookie, session_cookie, Posted};
use crate::auth::caller::anonymous_event;
use crate::error::ApiError;
use crate::request_meta::RequestMeta;
use crate::routes::auth::{self, LoginRequest};
use crate::state::AppState;

/// Before there is a session, the login form is protected by a random
/// value in a cookie that the form must repeat (double submit).
const LOGIN_COOKIE: &str = "interdict_login";

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths of this site: never an open redirect.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

fn login_form(next: &str, nonce: &str, username: &str, errors: &Errors) -> maud::Markup {
    html! {
        h1 { "Sign in" }
        (errors.summary())
        form.stack method="post" action="/login" {
            input type="hidden" name="csrf" value=(nonce);
            input type="hidden" name="next" value=(next);
            (Input::new("Username", "username", username).required().render(errors))
            (Input::new("Password", "password", "").kind("password").required().render(errors))
            div.actions { button type="submit" { "Sign in" } }
        }
    }
}

fn login_page(status: StatusCode, next: &str, username: &str, errors: &Errors) -> HttpResponse {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let nonce = hex::encode(nonce);
    let mut response = layout::respond(
        status,
        &document("Sign in", None, login_form(next, &nonce, username, errors)),
    );
    if let Ok(value) = header::HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={nonce}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn show(query: web::Query<NextQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    login_page(StatusCode::OK, next, "", &Errors::default())
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let fields = Fields::new(form.into_inner());
    let next = safe_next(fields.get("next")).to_owned();
    let username = fields.text("username");
    let expected = cookie(&req, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != fields.get("csrf") {
        let mut event = anonymous_event(AuditAction::AuthLogin, &RequestMeta::of(&req));
        event.outcome = Outcome::Denied;
        event.detail = Some(r#"{"reason":"login form without its CSRF cookie"}"#.into());
        state.audit.record(event).await.map_err(ApiError::from)?;
        return Err(PageError::Csrf);
    }
    let request = LoginRequest {
        username: username.clone(),
        password: fields.get("password").to_owned(),
    };
    match auth::login(state, req.clone(), web::Json(request)).await {
        Ok(token) => {
            let mut response = see_other(&next);
            let session = session_cookie(&req, &token.access_token, token.expires_in);
            let forget_nonce =
                format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
            for value in [session, forget_nonce] {
                if let Ok(value) = header::HeaderValue::from_str(&value) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            Ok(response)
        }
        Err(ApiError::InvalidCredentials) | Err(ApiError::Validation(_)) => {
            let mut errors = Errors::default();
            errors.general(
                "The username or password is wrong, or the account is locked or disabled.",
            );
            Ok(login_page(
                StatusCode::UNAUTHORIZED,
                &next,
                &username,
                &errors,
            ))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    auth::logout(state, posted.session.caller).await?;
    let mut response = see_other("/login");
    if let Ok(value) = header::HeaderValue::from_str(&session_cookie(&req, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/shipments?x=1"), "/shipments?x=1");
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(safe_next(hostile), "/");
        }
    }
}
