//! The signed-in caller of a request: its access token (a bearer header,
//! or the pages' session cookie) checked by the application, which audits
//! a refusal against the route it was meant for.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use interdict_app::{App, AppError, Ctx};
use std::ops::Deref;

use crate::error::ApiError;
use crate::request_meta;

/// The caller of an API request, as the use cases' context.
pub struct Caller(pub Ctx);

impl Deref for Caller {
    type Target = Ctx;
    fn deref(&self) -> &Ctx {
        &self.0
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = req.app_data::<web::Data<App>>().cloned();
        let token = bearer_token(req);
        let req = req.clone();
        Box::pin(async move {
            let app = app.ok_or_else(|| AppError::internal("application state missing"))?;
            Ok(Caller(authenticate(&app, token, &req).await?))
        })
    }
}

/// Left on a request whose token was refused, once the refusal's entry is
/// queued, so a refusal of its body that arrives first is not audited a
/// second time.
#[derive(Debug, Clone, Copy)]
pub struct TokenRefused;

/// Signs a request in with its token, however it arrived.
pub async fn authenticate(
    app: &App,
    token: Option<String>,
    req: &HttpRequest,
) -> Result<Ctx, AppError> {
    let meta = request_meta::of(req);
    interdict_app::auth::authenticate(app, token, meta, req.path(), || {
        // Queued: the entry is committed even if this request's
        // extraction is abandoned for another extractor's error.
        req.extensions_mut().insert(TokenRefused);
    })
    .await
}

pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}
