//! The authenticated caller, extracted from the bearer token on each
//! request and checked against the account's current standing.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::policy::Actor;
use interdict_persistence::users;
use uuid::Uuid;

use super::token::Claims;
use crate::error::ApiError;
use crate::request_meta::RequestMeta;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub username: String,
    pub claims: Claims,
    pub meta: RequestMeta,
}

impl Caller {
    /// An audit event for this caller and request.
    pub fn event(&self, action: AuditAction) -> AuditEvent {
        let mut event = AuditEvent::now(action);
        event.user_id = Some(self.actor.user_id);
        event.agency_id = Some(self.actor.agency_id);
        event.role = Some(self.actor.role.as_str().to_owned());
        event.request_id = self.meta.request_id.clone();
        event.source = self.meta.source.clone();
        event
    }

    /// An audit event about one object.
    pub fn event_on(
        &self,
        action: AuditAction,
        object_type: &str,
        object_id: impl ToString,
    ) -> AuditEvent {
        let mut event = self.event(action);
        event.object_type = Some(object_type.to_owned());
        event.object_id = Some(object_id.to_string());
        event
    }
}

/// An audit event for a request with no authenticated caller.
pub fn anonymous_event(action: AuditAction, meta: &RequestMeta) -> AuditEvent {
    let mut event = AuditEvent::now(action);
    event.request_id = meta.request_id.clone();
    event.source = meta.source.clone();
    event
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            Caller::from_token(&state, token, &req).await
        })
    }
}

/// Left on a request whose token was refused, once the refusal's entry is
/// queued, so a refusal of its body that arrives first is not audited a
/// second time.
#[derive(Debug, Clone, Copy)]
pub struct TokenRefused;

impl Caller {
    /// Authenticates a token however it arrived (bearer header or session
    /// cookie); a refusal is audited against the route it was meant for.
    /// A refusal is left on the request for the audit entry of a request
    /// another extractor refuses.
    pub async fn from_token(
        state: &AppState,
        token: Option<String>,
        req: &HttpRequest,
    ) -> Result<Self, ApiError> {
        let meta = RequestMeta::of(req);
        match authenticate(state, token, &meta).await {
            Ok(caller) => Ok(caller),
            Err(Rejection::Unavailable(e)) => Err(e),
            Err(Rejection::Denied { reason, user }) => {
                let mut event = anonymous_event(AuditAction::AuthToken, &meta);
                event.outcome = Outcome::Denied;
                event.user_id = user;
                event.object_type = Some("route".into());
                event.object_id = Some(req.path().to_owned());
                event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
                let committed = state.audit.submit(event).await?;
                // Queued: the entry is committed even if this request's
                // extraction is abandoned for another extractor's error.
                req.extensions_mut().insert(TokenRefused);
                committed.await?;
                Err(ApiError::Unauthenticated)
            }
        }
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

enum Rejection {
    Denied { reason: String, user: Option<Uuid> },
    Unavailable(ApiError),
}

fn denied(reason: impl Into<String>, user: Option<Uuid>) -> Rejection {
    Rejection::Denied {
        reason: reason.into(),
        user,
    }
}

async fn authenticate(
    state: &AppState,
    token: Option<String>,
    meta: &RequestMeta,
) -> Result<Caller, Rejection> {
    let token = token.ok_or_else(|| denied("no token", None))?;
    let claims = state.tokens.verify(&token).map_err(|r| denied(r, None))?;
    let (user_id, jti) = (claims.sub, claims.jti);
    let session = state
        .db
        .run(move |conn| -> Result<_, ApiError> { Ok(users::find_session(conn, user_id, jti)?) })
        .await
        .map_err(Rejection::Unavailable)?;
    let subject = Some(user_id);
    let users::Session {
        principal,
        revoked,
        task_forces,
    } = session.ok_or_else(|| denied("unknown user", subject))?;
    let user = &principal.user;
    let role = user.role().map_err(|e| Rejection::Unavailable(e.into()))?;
    if revoked {
        return Err(denied("token revoked", subject));
    }
    if !user.active {
        return Err(denied("account disabled", subject));
    }
    if user.session_version != claims.sv || role != claims.role || user.agency_id.0 != claims.agency
    {
        return Err(denied(
            "account changed since the token was issued",
            subject,
        ));
    }
    Ok(Caller {
        actor: Actor {
            user_id: user.id.0,
            agency_id: user.agency_id.0,
            role,
            task_forces,
            system_agency: principal.agency_is_system,
        },
        username: user.username.clone(),
        claims,
        meta: meta.clone(),
    })
}
