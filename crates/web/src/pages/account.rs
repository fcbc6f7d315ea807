//! Signing in and out. Signing in goes through the API's login service,
//! so lockout, auditing and token issue are the same; the token is then
//! kept in the session cookie.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use interdict_app::auth::{self, LoginOutcome, LoginRequest, SecondFactorRequest, SignedIn};
use interdict_app::{App, AppError};
use maud::html;
use rand::RngCore;

use super::error::PageError;
use super::form::{Errors, Fields, Input};
use super::layout::{self, document, see_other};
use super::session::{session_cookie, Posted};
use crate::request_meta;

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
    let nonce = new_nonce();
    let mut response = layout::respond(
        status,
        &document("Sign in", None, login_form(next, &nonce, username, errors)),
    );
    let _ = response.add_cookie(&login_cookie(nonce, 3600));
    response
}

fn new_nonce() -> String {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    hex::encode(nonce)
}

/// The second step: a code from the authenticator app (or a recovery
/// code), sent with the password step's challenge token.
fn second_step_page(
    status: StatusCode,
    next: &str,
    challenge: &str,
    errors: &Errors,
) -> HttpResponse {
    let nonce = new_nonce();
    let body = html! {
        h1 { "Sign in: second step" }
        p { "Enter the 6-digit code your authenticator app shows for Interdict, or one of your recovery codes." }
        (errors.summary())
        form.stack method="post" action="/login/mfa" {
            input type="hidden" name="csrf" value=(nonce);
            input type="hidden" name="next" value=(next);
            input type="hidden" name="challenge" value=(challenge);
            (Input::new("Code", "code", "").required().render(errors))
            div.actions { button type="submit" { "Verify" } }
        }
    };
    let mut response = layout::respond(status, &document("Sign in", None, body));
    let _ = response.add_cookie(&login_cookie(nonce, 3600));
    response
}

/// Puts a session in its cookie and goes on: to `next`, or to enrolment
/// when the account must enrol a second factor first.
fn signed_in(req: &HttpRequest, token: &SignedIn, next: &str) -> HttpResponse {
    let mut response = see_other(if token.enrol_only {
        "/account/mfa"
    } else {
        next
    });
    let _ = response.add_cookie(&session_cookie(req, &token.access_token, token.expires_in));
    let _ = response.add_cookie(&login_cookie(String::new(), 0));
    response
}

fn too_many(retry_after_seconds: u64, page: impl FnOnce(&Errors) -> HttpResponse) -> HttpResponse {
    let mut errors = Errors::default();
    errors.general(format!(
        "Too many failed sign-ins from here or for this account. Try again in {retry_after_seconds} seconds."
    ));
    let mut response = page(&errors);
    if let Ok(value) = retry_after_seconds.to_string().parse() {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    response
}

fn login_form_checks_out(req: &HttpRequest, fields: &Fields) -> bool {
    let expected = req
        .cookie(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    !expected.is_empty() && expected == fields.get("csrf")
}

pub async fn submit_second_step(
    app: web::Data<App>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let fields = Fields::new(form.into_inner());
    let next = safe_next(fields.get("next")).to_owned();
    if !login_form_checks_out(&req, &fields) {
        auth::record_login_form_refusal(&app, request_meta::of(&req)).await?;
        return Err(PageError::Csrf);
    }
    let challenge = fields.get("challenge").to_owned();
    let request = SecondFactorRequest {
        challenge_token: challenge.clone(),
        code: fields.get("code").to_owned(),
    };
    match auth::login_second_step(&app, request_meta::of(&req), request).await {
        Ok(token) => Ok(signed_in(&req, &token, &next)),
        Err(AppError::InvalidCredentials) | Err(AppError::Validation(_)) => {
            let mut errors = Errors::default();
            errors.general("The code is wrong or was already used, or the sign-in expired.");
            Ok(second_step_page(
                StatusCode::UNAUTHORIZED,
                &next,
                &challenge,
                &errors,
            ))
        }
        Err(AppError::TooManyRequests {
            retry_after_seconds,
        }) => Ok(too_many(retry_after_seconds, |errors| {
            second_step_page(StatusCode::TOO_MANY_REQUESTS, &next, &challenge, errors)
        })),
        Err(other) => Err(other.into()),
    }
}

/// The login form's nonce cookie; `max_age` 0 removes it.
fn login_cookie(nonce: String, max_age: i64) -> Cookie<'static> {
    Cookie::build(LOGIN_COOKIE, nonce)
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(max_age))
        .finish()
}

pub async fn show(query: web::Query<NextQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    login_page(StatusCode::OK, next, "", &Errors::default())
}

pub async fn submit(
    app: web::Data<App>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let fields = Fields::new(form.into_inner());
    let next = safe_next(fields.get("next")).to_owned();
    let username = fields.text("username");
    if !login_form_checks_out(&req, &fields) {
        auth::record_login_form_refusal(&app, request_meta::of(&req)).await?;
        return Err(PageError::Csrf);
    }
    let request = LoginRequest {
        username: username.clone(),
        password: fields.get("password").to_owned(),
    };
    match auth::login(&app, request_meta::of(&req), request).await {
        Ok(LoginOutcome::SignedIn(token)) => Ok(signed_in(&req, &token, &next)),
        Ok(LoginOutcome::SecondFactorDue {
            challenge_token, ..
        }) => Ok(second_step_page(
            StatusCode::OK,
            &next,
            &challenge_token,
            &Errors::default(),
        )),
        Err(AppError::InvalidCredentials) | Err(AppError::Validation(_)) => {
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
        Err(AppError::TooManyRequests {
            retry_after_seconds,
        }) => {
            let mut errors = Errors::default();
            errors.general(format!(
                "Too many failed sign-ins from here or for this account. Try again in {retry_after_seconds} seconds."
            ));
            let mut response = login_page(StatusCode::TOO_MANY_REQUESTS, &next, &username, &errors);
            if let Ok(value) = retry_after_seconds.to_string().parse() {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, value);
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn logout(req: HttpRequest, posted: Posted) -> Result<HttpResponse, PageError> {
    auth::logout(&posted.session).await?;
    let mut response = see_other("/login");
    let _ = response.add_cookie(&session_cookie(&req, "", 0));
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
