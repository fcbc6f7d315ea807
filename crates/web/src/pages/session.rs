//! The pages' session: the same access token as the API, carried in an
//! `HttpOnly; SameSite=Strict` cookie, and a form token derived from it
//! that every form must send back.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use interdict_app::{auth, App, AppError, Ctx};
use std::ops::Deref;

use super::error::PageError;
use super::form::Fields;
use crate::caller;

pub const SESSION_COOKIE: &str = "interdict_session";

/// Bodies of page forms; the shipment form is the largest.
pub const FORM_LIMIT: usize = 256 * 1024;

/// The session cookie holding `value` for `max_age` seconds (0 removes it),
/// `Secure` when the page came over HTTPS.
pub fn session_cookie(req: &HttpRequest, value: &str, max_age: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(max_age))
        .secure(req.connection_info().scheme() == "https")
        .finish()
}

/// A signed-in user of the pages.
pub struct Session {
    pub ctx: Ctx,
    pub csrf: String,
    /// Unread notifications, for the header.
    pub unread: i64,
}

impl Deref for Session {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.ctx
    }
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
        let app = req.app_data::<web::Data<App>>().cloned();
        let token = req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty());
        let sign_in = sign_in_again(req);
        let req = req.clone();
        Box::pin(async move {
            let app = app.ok_or_else(|| AppError::internal("application state missing"))?;
            // Arriving without a session is how everyone starts; only a
            // session that is presented and refused is an audited denial.
            if token.is_none() {
                return Err(sign_in);
            }
            match caller::authenticate(&app, token, &req).await {
                Ok(ctx) => {
                    let jti = ctx.token().map(|claims| claims.jti).unwrap_or_default();
                    let csrf = auth::csrf_token(&app, jti);
                    let unread = interdict_app::watchlists::unread(&ctx).await.unwrap_or(0);
                    Ok(Session { ctx, csrf, unread })
                }
                Err(AppError::Unauthenticated) => Err(sign_in),
                Err(other) => Err(other.into()),
            }
        })
    }
}

/// A submitted form of a signed-in user whose form token checked out.
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
        let session = Session::from_request(req, payload);
        let form = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        let path = req.path().to_owned();
        Box::pin(async move {
            let session = session.await?;
            let fields = match form.await {
                Ok(form) => Fields::new(form.into_inner()),
                Err(e) => {
                    return Err(
                        AppError::bad_request("form", format!("unreadable form: {e}")).into(),
                    )
                }
            };
            let jti = session.token().map(|claims| claims.jti).unwrap_or_default();
            if !auth::csrf_matches(session.app(), jti, fields.get("csrf")) {
                auth::record_page_form_refusal(&session, &path).await?;
                return Err(PageError::Csrf);
            }
            Ok(Posted { session, fields })
        })
    }
}
