//! User administration: agency administrators manage their own agency's
//! accounts; the system administrator manages every agency's. And the
//! caller's own account.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy::{self, Actor, UserDirectory};
use interdict_domain::user::{check_password, parse_display_name, NewUser, Role};
use interdict_domain::ValidationErrors;
use interdict_persistence::users::{self, UpdateOutcome, UserChanges, UserRow};
use interdict_persistence::{agencies, logins, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::agencies::AgencyView;
use crate::auth::password;
use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{check_limit, uuid_cursor, Page};
use crate::records::Versioned;
use crate::utc;

/// A user account. The password hash never leaves the server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub agency_id: Uuid,
    #[schema(value_type = interdict_domain::user::Role, example = "investigator")]
    pub role: String,
    pub active: bool,
    /// Present while the account is locked after repeated failed logins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    /// Send back in `If-Match` to update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserView {
    fn new(row: UserRow, now: DateTime<Utc>) -> Self {
        let locked_until = row.locked_until.filter(|until| *until > now.naive_utc());
        Self {
            id: row.id.0,
            username: row.username,
            display_name: row.display_name,
            agency_id: row.agency_id.0,
            role: row.role,
            active: row.active,
            locked_until: locked_until.map(utc),
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

impl Versioned for UserView {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Refuses roles that may not administer users before anything is looked
/// up, so the answer never depends on whether the account exists.
fn require_user_admin(actor: &Actor) -> Result<(), AppError> {
    match policy::user_directory(actor) {
        UserDirectory::Nothing => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// Loads an account the caller may recover (unlock, reset its password
/// or second factor): never the caller's own.
fn recoverable_user(conn: &mut DbConnection, actor: &Actor, id: Uuid) -> Result<UserRow, AppError> {
    require_user_admin(actor)?;
    let user = users::find(conn, id)?.ok_or(AppError::NotFound)?;
    AppError::from_decision(policy::decide_account_recovery(
        actor,
        user.agency_id.0,
        user.id.0,
    ))?;
    Ok(user)
}

/// Loads an account the caller may administer, or answers 404.
fn administered_user(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<UserRow, AppError> {
    require_user_admin(actor)?;
    let user = users::find(conn, id)?.ok_or(AppError::NotFound)?;
    AppError::from_decision(policy::decide_user_admin(actor, user.agency_id.0))?;
    Ok(user)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(example = "jdoe")]
    pub username: String,
    #[schema(example = "Jane Doe")]
    pub display_name: String,
    #[schema(value_type = interdict_domain::user::Role, example = "investigator")]
    pub role: String,
    /// At least 15 characters and hard to guess; a passphrase works well.
    pub password: String,
    /// Defaults to the caller's agency; only the system administrator may
    /// name another.
    pub agency_id: Option<Uuid>,
}

/// Creates an account.
pub async fn create(ctx: &Ctx, request: CreateUserRequest) -> Result<UserView, AppError> {
    let new_id = Uuid::now_v7();
    let event = ctx.event_on(AuditAction::UserCreate, "user", new_id);
    let checked = ctx.actor().and_then(|actor| {
        let agency_id = request.agency_id.unwrap_or(actor.agency_id);
        AppError::from_decision(policy::decide_user_admin(actor, agency_id))?;
        let new_user = NewUser::parse(
            &request.username,
            &request.display_name,
            &request.role,
            &request.password,
        )?;
        Ok((agency_id, new_user))
    });
    let (agency_id, new_user) = match checked {
        Ok(checked) => checked,
        Err(e) => return ctx.reject(event, e).await,
    };
    let hash = password::hash_blocking(request.password).await?;
    let now = ctx.now();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            if agencies::find(conn, agency_id)?.is_none() {
                return Err(AppError::NotFound);
            }
            if users::find_by_username(conn, new_user.username.as_str())?.is_some() {
                return Err(AppError::Conflict(format!(
                    "the username `{}` is already taken",
                    new_user.username
                )));
            }
            let mut row = UserRow::new(&new_user, agency_id, hash);
            row.id = new_id.into();
            users::insert(conn, &row)?;
            Ok(UserView::new(row, now))
        })
        .await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only accounts of this agency (within the caller's scope).
    pub agency_id: Option<Uuid>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The accounts the caller administers, oldest first.
pub async fn list(ctx: &Ctx, query: &UserListQuery) -> Result<Page<UserView>, AppError> {
    let event = ctx.event_on(AuditAction::UserList, "user", "*");
    let page = async {
        let actor = ctx.actor()?;
        require_user_admin(actor)?;
        let limit = check_limit(query.limit)?;
        let cursor = uuid_cursor(&query.cursor)?;
        let directory = match (policy::user_directory(actor), query.agency_id) {
            (UserDirectory::Everyone, Some(agency)) => UserDirectory::Agency(agency),
            // An agency admin filtering on another agency sees nothing.
            (UserDirectory::Agency(own), Some(agency)) if own != agency => UserDirectory::Nothing,
            (directory, _) => directory,
        };
        let rows = ctx
            .app
            .db
            .run(move |conn| {
                users::list(conn, directory, cursor, limit + 1).map_err(AppError::from)
            })
            .await?;
        let now = ctx.now();
        Ok(Page::from_rows(
            rows,
            limit,
            |r| r.id.0.to_string(),
            |r| UserView::new(r, now),
        ))
    }
    .await;
    ctx.audited(event, page).await
}

/// One account the caller administers.
pub async fn show(ctx: &Ctx, id: Uuid) -> Result<UserView, AppError> {
    let found = match ctx.actor() {
        Ok(actor) => {
            let actor = actor.clone();
            ctx.app
                .db
                .run(move |conn| administered_user(conn, &actor, id))
                .await
        }
        Err(e) => Err(e),
    };
    let user = ctx
        .audited(ctx.event_on(AuditAction::UserRead, "user", id), found)
        .await?;
    Ok(UserView::new(user, ctx.now()))
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub display_name: Option<String>,
    #[schema(value_type = Option<interdict_domain::user::Role>, example = "supervisor")]
    pub role: Option<String>,
    /// `false` disables the account; its sessions end at once.
    pub active: Option<bool>,
}

fn parse_changes(body: UpdateUserRequest) -> Result<UserChanges, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let display_name = body
        .display_name
        .and_then(|name| errors.check("display_name", parse_display_name(&name)));
    let role = body
        .role
        .and_then(|role| errors.check("role", role.parse::<Role>()));
    if body.active.is_none() && display_name.is_none() && role.is_none() && errors.is_empty() {
        errors.add("body", "name at least one of display_name, role, active");
    }
    errors.into_result(|| UserChanges {
        display_name,
        role,
        active: body.active,
    })
}

/// Changes an account's display name, role or active flag, based on
/// `version` (from `If-Match`). A new role or a disabled account ends the
/// user's sessions; no one disables or demotes their own account.
pub async fn update(
    ctx: &Ctx,
    id: Uuid,
    version: Result<i64, AppError>,
    request: UpdateUserRequest,
) -> Result<UserView, AppError> {
    let event = ctx.event_on(AuditAction::UserUpdate, "user", id);
    let checked = parse_changes(request)
        .map_err(AppError::from)
        .and_then(|changes| Ok((changes, version?)));
    let (changes, version) = match checked {
        Ok(checked) => checked,
        Err(e) => return ctx.reject(event, e).await,
    };
    let actor = ctx.actor()?.clone();
    let now = ctx.now();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            administered_user(conn, &actor, id)?;
            if !policy::allows_account_change(&actor, id, changes.role, changes.active) {
                return Err(AppError::Conflict(
                    "you cannot disable or demote your own account; ask another administrator"
                        .into(),
                ));
            }
            match users::update(conn, id, version, &changes)? {
                UpdateOutcome::Updated(row) => Ok(UserView::new(row, now)),
                UpdateOutcome::Stale { current_version } => {
                    Err(AppError::PreconditionFailed { current_version })
                }
                UpdateOutcome::Missing => Err(AppError::NotFound),
            }
        })
        .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub password: String,
}

/// Sets a new password for an account the caller administers, clears any
/// lockout and ends its sessions. Not for the caller's own account, which
/// changes only with its current password (`/me/password`).
pub async fn reset_password(
    ctx: &Ctx,
    id: Uuid,
    request: ResetPasswordRequest,
) -> Result<(), AppError> {
    let event = ctx.event_on(AuditAction::UserPasswordReset, "user", id);
    let target = match ctx.actor() {
        Ok(actor) => {
            let actor = actor.clone();
            ctx.app
                .db
                .run(move |conn| recoverable_user(conn, &actor, id))
                .await
        }
        Err(e) => Err(e),
    };
    let target = match target {
        Ok(target) => target,
        Err(e) => return ctx.reject(event, e).await,
    };
    let new_password = request.password;
    if let Err(message) = check_password(&new_password, &[&target.username, &target.display_name]) {
        return ctx
            .reject(event, AppError::invalid("password", message))
            .await;
    }
    let hash = password::hash_blocking(new_password).await?;
    let actor = ctx.actor()?.clone();
    let now = ctx.now();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            recoverable_user(conn, &actor, id)?;
            let at = now.naive_utc();
            logins::clear(conn, id, at)?;
            users::set_password(conn, id, &hash).map_err(AppError::from)
        })
        .await?;
    Ok(())
}

/// What an unlock lifted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnlockView {
    /// The account was locked for everyone (failures from a source it had
    /// signed in from before).
    pub account_was_locked: bool,
    /// Unknown sources the account was locked for.
    pub sources_unlocked: i64,
}

/// Lifts an account's lockouts, account-wide and per source, and forgets
/// its failure counts.
pub async fn unlock(ctx: &Ctx, id: Uuid) -> Result<UnlockView, AppError> {
    let event = ctx.event_on(AuditAction::UserUnlock, "user", id);
    let actor = match ctx.actor() {
        Ok(actor) => actor.clone(),
        Err(e) => return ctx.reject(event, e).await,
    };
    let at = ctx.now().naive_utc();
    ctx.app
        .audit
        .perform(event, move |conn, event| {
            recoverable_user(conn, &actor, id)?;
            let view = UnlockView {
                account_was_locked: users::unlock(conn, id, at)?,
                sources_unlocked: logins::clear(conn, id, at)?,
            };
            event.detail = Some(
                serde_json::json!({
                    "account_was_locked": view.account_was_locked,
                    "sources_unlocked": view.sources_unlocked,
                })
                .to_string(),
            );
            Ok(view)
        })
        .await
}

/// The caller's own account, agency and role.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub agency: AgencyView,
    #[schema(value_type = interdict_domain::user::Role, example = "investigator")]
    pub role: String,
    /// Task forces the caller's agency belongs to.
    pub task_forces: Vec<Uuid>,
}

/// Who am I: the caller's account, agency and role.
pub async fn me(ctx: &Ctx) -> Result<MeView, AppError> {
    let actor = ctx.actor()?.clone();
    let (user_id, agency_id) = (actor.user_id, actor.agency_id);
    let found = ctx
        .app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
            let agency = agencies::find(conn, agency_id)?.ok_or(AppError::NotFound)?;
            Ok((user, agency))
        })
        .await;
    let (user, agency) = ctx
        .audited(ctx.event_on(AuditAction::UserRead, "user", user_id), found)
        .await?;
    Ok(MeView {
        user: UserView::new(user, ctx.now()),
        agency: agency.into(),
        role: actor.role.as_str().to_owned(),
        task_forces: actor.task_forces,
    })
}

/// Creates an account for an operator at the command line (`interdict
/// user add`), in the agency with `ori`, or the system agency.
pub async fn add_by_operator(
    app: &crate::App,
    new_user: NewUser,
    password: String,
    agency_ori: Option<String>,
) -> Result<UserView, AppError> {
    let ctx = Ctx::anonymous(app, crate::RequestMeta::local("cli"));
    let ori = agency_ori.map(|o| o.trim().to_ascii_uppercase());
    let hash = password::hash_blocking(password).await?;
    let event = ctx.event(AuditAction::UserCreate);
    let now = ctx.now();
    ctx.app
        .audit
        .perform(event, move |conn, event| -> Result<UserView, AppError> {
            let agency = match &ori {
                Some(ori) => agencies::find_by_ori(conn, ori)?,
                None => agencies::find_system(conn)?,
            }
            .ok_or_else(|| AppError::bad_request("agency_ori", "no agency has this ORI"))?;
            if users::find_by_username(conn, new_user.username.as_str())?.is_some() {
                return Err(AppError::Conflict(format!(
                    "the username `{}` is already taken",
                    new_user.username
                )));
            }
            let row = UserRow::new(&new_user, agency.id.0, hash);
            users::insert(conn, &row)?;
            event.object_type = Some("user".into());
            event.object_id = Some(row.id.0.to_string());
            event.agency_id = Some(agency.id.0);
            Ok(UserView::new(row, now))
        })
        .await
}
