//! The check every request's access token passes, against the account's
//! standing now: a token stays good only while its account is active,
//! unchanged and not signed out.

use interdict_domain::audit::{AuditAction, Outcome};
use interdict_domain::policy::{self, Actor, Decision};
use interdict_persistence::{agencies, users};
use uuid::Uuid;

use super::tokens::Claims;
use crate::context::{App, Authentication, Ctx, RequestMeta, User};
use crate::error::AppError;

/// Signs a request in with its access token (a bearer header or the pages'
/// session cookie). A refusal is answered `Unauthenticated` and audited as
/// an `auth.token` entry naming `route`; `queued` is called once that
/// entry is queued, before it commits, for an adapter that must know a
/// refusal is on its way to the trail even if this call is abandoned.
pub async fn authenticate(
    app: &App,
    token: Option<String>,
    meta: RequestMeta,
    route: &str,
    queued: impl FnOnce(),
) -> Result<Ctx, AppError> {
    match check(app, token, route).await {
        Ok((actor, username, claims)) => Ok(Ctx::user(
            app,
            User {
                actor,
                username,
                authentication: Authentication::Token(claims),
            },
            meta,
        )),
        Err(Rejection::Unavailable(e)) => Err(e),
        Err(Rejection::MustEnrol { user }) => {
            let mut event = Ctx::anonymous(app, meta).event(AuditAction::AuthToken);
            event.outcome = Outcome::Denied;
            event.user_id = Some(user);
            event.object_type = Some("route".into());
            event.object_id = Some(route.to_owned());
            event.detail = Some(
                serde_json::json!({ "reason": "a second factor is required: enrol first" })
                    .to_string(),
            );
            let committed = app.audit.submit(event).await?;
            queued();
            committed.await?;
            Err(AppError::Forbidden)
        }
        Err(Rejection::Denied { reason, user }) => {
            let mut event = Ctx::anonymous(app, meta).event(AuditAction::AuthToken);
            event.outcome = Outcome::Denied;
            event.user_id = user;
            event.object_type = Some("route".into());
            event.object_id = Some(route.to_owned());
            event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
            let committed = app.audit.submit(event).await?;
            queued();
            committed.await?;
            Err(AppError::Unauthenticated)
        }
    }
}

enum Rejection {
    Denied {
        reason: String,
        user: Option<Uuid>,
    },
    /// A good session of an account that must enrol a second factor,
    /// asking for something other than enrolment.
    MustEnrol {
        user: Uuid,
    },
    Unavailable(AppError),
}

/// What a session that must first enrol a second factor may reach: the
/// account, its enrolment, and signing out (API and pages).
/// Every other route refuses it (403), as the OpenAPI document says.
pub fn reachable_before_enrolment(route: &str) -> bool {
    matches!(route, "/api/v1/me" | "/api/v1/auth/logout" | "/logout")
        || route.starts_with("/api/v1/me/mfa")
        || route.starts_with("/account/mfa")
}

fn denied(reason: impl Into<String>, user: Option<Uuid>) -> Rejection {
    Rejection::Denied {
        reason: reason.into(),
        user,
    }
}

async fn check(
    app: &App,
    token: Option<String>,
    route: &str,
) -> Result<(Actor, String, Claims), Rejection> {
    let token = token.ok_or_else(|| denied("no token", None))?;
    let claims = app
        .keys
        .tokens
        .verify(&token)
        .map_err(|r| denied(r, None))?;
    let (user_id, jti) = (claims.sub, claims.jti);
    let session = app
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(users::find_session(conn, user_id, jti)?) })
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
    if claims.enrol_only && !reachable_before_enrolment(route) {
        return Err(Rejection::MustEnrol { user: user.id.0 });
    }
    let actor = Actor {
        user_id: user.id.0,
        agency_id: user.agency_id.0,
        role,
        task_forces,
        system_agency: principal.agency_is_system,
    };
    Ok((actor, user.username.clone(), claims))
}

/// The context of an operator at the command line acting as `username`,
/// who must be an active user whose role records shipments (`interdict
/// import --as USER`).
pub async fn operator(app: &App, username: &str) -> Result<Ctx, AppError> {
    let username = username.trim().to_ascii_lowercase();
    let (actor, username) = app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find_by_username(conn, &username)?
                .filter(|u| u.active)
                .ok_or_else(|| AppError::bad_request("as", "no active user has this username"))?;
            let actor = Actor {
                user_id: user.id.0,
                agency_id: user.agency_id.0,
                role: user.role()?,
                task_forces: agencies::task_forces_of(conn, user.agency_id.0)?,
                system_agency: false,
            };
            Ok((actor, user.username))
        })
        .await?;
    if policy::decide_create_record(&actor) != Decision::Allow {
        return Err(AppError::bad_request(
            "as",
            "only investigators and supervisors record shipments",
        ));
    }
    Ok(Ctx::user(
        app,
        User {
            actor,
            username,
            authentication: Authentication::CommandLine,
        },
        RequestMeta::local("cli"),
    ))
}
