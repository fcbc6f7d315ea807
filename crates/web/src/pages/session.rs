//! The pages' session: the same access token as the API, carried in an
//! `HttpOnly; SameSite=Strict` cookie, and a CSRF token derived from it
//! that every form must send back.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use hmac::{Hmac, Mac};
use interdict_domain::audit::{AuditAction, Outcome};
use sha2::Sha256;
use std::sync::Arc;
use uuid::Uuid;

use super::error::PageError;
use super::form::Fields;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "interdict_session";

/// Bodies of page forms; the shipment form is the largest.
pub const FORM_LIMIT: usize = 256 * 1024;

/// The key for CSRF tokens, derived from the token secret so that forms
/// stay valid across restarts exactly as long as their session does.
pub fn form_key(secret: &[u8]) -> Arc<[u8]> {
    let mut mac = keyed(secret);
    mac.update(b"interdict page forms");
    Arc::from(mac.finalize().into_bytes().to_vec())
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// The CSRF token of one session (one token id).
pub fn csrf_token(key: &[u8], jti: Uuid) -> String {
    let mut mac = keyed(key);
    mac.update(jti.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn csrf_matches(key: &[u8], jti: Uuid, sent: &str) -> bool {
    let Ok(sent) = hex::decode(sent) else {
        return false;
    };
    let mut mac = keyed(key);
    mac.update(jti.as_bytes());
    mac.verify_slice(&sent).is_ok()
}

/// A cookie value from the request's `Cookie` headers.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` for the session; `max_age` 0 removes it.
pub fn session_cookie(req: &HttpRequest, value: &str, max_age: i64) -> String {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

/// A signed-in user of the pages.
pub struct Session {
    pub caller: Caller,
    pub csrf: String,
}

fn sign_in_again(req: &HttpRequest) -> PageError {
    let next = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    PageError::SignIn { next }
}

impl FromRequest for Session {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = cookie(req, SESSION_COOKIE).filter(|t| !t.is_empty());
        let sign_in = sign_in_again(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            // Arriving without a session is how everyone starts; only a
            // session that is presented and refused is an audited denial.
            if token.is_none() {
                return Err(sign_in);
            }
            match Caller::from_token(&state, token, &req).await {
                Ok(caller) => {
                    let csrf = csrf_token(&state.form_key, caller.claims.jti);
                    Ok(Session { caller, csrf })
                }
                Err(ApiError::Unauthenticated) => Err(sign_in),
                Err(other) => Err(other.into()),
            }
        })
    }
}

/// A submitted form of a signed-in user whose CSRF token checked out.
/// Page handlers that change anything take this, so no form can skip the
/// check.
pub struct Posted {
    pub session: Session,
    pub fields: Fields,
}

impl FromRequest for Posted {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = Session::from_request(req, payload);
        let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        let path = req.path().to_owned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let session = session.await?;
            let fields = match form.await {
                Ok(form) => Fields::new(form.into_inner()),
                Err(e) => {
                    return Err(
                        ApiError::bad_request("form", format!("unreadable form: {e}")).into(),
                    )
                }
            };
            let jti = session.caller.claims.jti;
            if !csrf_matches(&state.form_key, jti, fields.get("csrf")) {
                let mut event = session
                    .caller
                    .event_on(AuditAction::PageForm, "route", path);
                event.outcome = Outcome::Denied;
                event.detail = Some(r#"{"reason":"missing or wrong CSRF token"}"#.into());
                state.audit.record(event).await.map_err(ApiError::from)?;
                return Err(PageError::Csrf);
            }
            Ok(Posted { session, fields })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_one_key() {
        let key = form_key(b"secret one");
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let token = csrf_token(&key, a);
        assert!(csrf_matches(&key, a, &token));
        assert!(!csrf_matches(&key, b, &token));
        assert!(!csrf_matches(&form_key(b"secret two"), a, &token));
        assert!(!csrf_matches(&key, a, ""));
        assert!(!csrf_matches(&key, a, "not hex"));
    }
}
