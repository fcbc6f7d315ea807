//! What every use case is given: the services ([`App`]) and who is asking
//! ([`Caller`]), together a [`Ctx`].

use chrono::{DateTime, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent};
use interdict_domain::policy::Actor;
use interdict_persistence::audit::AuditWriter;
use interdict_persistence::Db;
use std::sync::Arc;

use crate::auth::throttle::Throttle;
use crate::auth::tokens::{Claims, TokenKeys};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::AppError;
use crate::jobs::Jobs;

/// The services: the database, the audit writer, the configuration, the
/// keys, the clock and the background jobs. Cheap to clone (handles and
/// shared pointers).
#[derive(Clone)]
pub struct App {
    pub(crate) db: Db,
    pub(crate) audit: AuditWriter,
    pub(crate) config: Arc<Config>,
    pub(crate) keys: Arc<Keys>,
    pub(crate) clock: Clock,
    pub(crate) jobs: Jobs,
    /// Failed password and code guesses, by source and by account.
    pub(crate) throttle: Arc<Throttle>,
    /// Wakes this instance's settler when an import's lines are accepted.
    pub(crate) settle: Arc<tokio::sync::Notify>,
    /// The sanctions list in force, indexed in memory.
    pub(crate) screener: crate::screening::Screener,
}

/// The installation's secrets, each for one purpose.
pub(crate) struct Keys {
    /// Signs and checks access tokens.
    pub tokens: TokenKeys,
    /// Signs and checks audit checkpoints; separate from the token key, so
    /// a stolen token key cannot forge checkpoints.
    pub audit: Vec<u8>,
    /// Derives the pages' per-session CSRF tokens.
    pub forms: Vec<u8>,
    /// Seals the second factors' TOTP secrets at rest.
    pub mfa: Vec<u8>,
}

impl App {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The same services on another clock (tests, replays).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }
}

/// Where a request came from, for its audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    /// The client's address, or what started the work (`cli`, `startup`).
    pub source: Option<String>,
}

impl RequestMeta {
    /// Work started on this machine rather than by a request: `cli` or
    /// `startup`.
    pub fn local(source: &str) -> Self {
        Self {
            request_id: None,
            source: Some(source.to_owned()),
        }
    }
}

/// How a user proved who they are.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// An access token: a bearer header, or the pages' session cookie.
    Token(Claims),
    /// An operator of the installation at its command line
    /// (`interdict import --as USER`).
    CommandLine,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct User {
    pub actor: Actor,
    pub username: String,
    pub authentication: Authentication,
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Principal {
    User(Box<User>),
    /// Nobody signed in: a login, a refused token, an operator's command
    /// that acts for no user.
    Anonymous,
    /// Interdict itself: automatic flags, demonstration data, background
    /// work. Its entries say `system` where a role would be.
    System,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub meta: RequestMeta,
}

/// A use case's context: the services and the caller.
#[derive(Clone)]
pub struct Ctx {
    pub(crate) app: App,
    caller: Caller,
}

impl Ctx {
    pub fn new(app: App, caller: Caller) -> Self {
        Self { app, caller }
    }

    pub fn user(app: &App, user: User, meta: RequestMeta) -> Self {
        Self::new(
            app.clone(),
            Caller {
                principal: Principal::User(Box::new(user)),
                meta,
            },
        )
    }

    pub fn anonymous(app: &App, meta: RequestMeta) -> Self {
        Self::new(
            app.clone(),
            Caller {
                principal: Principal::Anonymous,
                meta,
            },
        )
    }

    pub fn system(app: &App, meta: RequestMeta) -> Self {
        Self::new(
            app.clone(),
            Caller {
                principal: Principal::System,
                meta,
            },
        )
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The signed-in user, if any.
    pub fn signed_in(&self) -> Option<&User> {
        match &self.caller.principal {
            Principal::User(user) => Some(user),
            _ => None,
        }
    }

    /// The signed-in user as the policy sees them; asking without one is
    /// refused as unauthenticated.
    pub fn actor(&self) -> Result<&Actor, AppError> {
        self.signed_in()
            .map(|user| &user.actor)
            .ok_or(AppError::Unauthenticated)
    }

    /// The access token the caller signed in with, if they did with one.
    pub fn token(&self) -> Option<&Claims> {
        match self.signed_in().map(|u| &u.authentication) {
            Some(Authentication::Token(claims)) => Some(claims),
            _ => None,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.app.now()
    }

    /// An audit entry for `action` by this caller, stamped now.
    pub fn event(&self, action: AuditAction) -> AuditEvent {
        let mut event = AuditEvent::at(action, self.now());
        event.request_id = self.caller.meta.request_id.clone();
        event.source = self.caller.meta.source.clone();
        match &self.caller.principal {
            Principal::User(user) => {
                event.user_id = Some(user.actor.user_id);
                event.agency_id = Some(user.actor.agency_id);
                event.role = Some(user.actor.role.as_str().to_owned());
            }
            Principal::System => event.role = Some(SYSTEM_ROLE.to_owned()),
            Principal::Anonymous => {}
        }
        event
    }

    /// An audit entry for `action` on one object.
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

    /// Records the entry of a read (or of a refused attempt), then passes
    /// its result on: the caller sees nothing that was not recorded first.
    pub(crate) async fn audited<T>(
        &self,
        mut event: AuditEvent,
        result: Result<T, AppError>,
    ) -> Result<T, AppError> {
        use interdict_persistence::audit::Audited;
        if let Err(error) = &result {
            event.outcome = error.outcome();
        }
        self.app.audit.record(event).await?;
        result
    }

    /// Records a refused or failed attempt and returns its error.
    pub(crate) async fn reject<T>(
        &self,
        event: AuditEvent,
        error: AppError,
    ) -> Result<T, AppError> {
        self.audited(event, Err(error)).await
    }
}

/// What an entry of the system's own says where a role would be.
pub const SYSTEM_ROLE: &str = "system";
