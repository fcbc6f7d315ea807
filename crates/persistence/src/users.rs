//! User accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::policy::UserDirectory;
use interdict_domain::user::{NewUser, Role, LOCKOUT, MAX_FAILED_LOGINS};
use uuid::Uuid;

use crate::native::native;
use crate::schema::{agencies, revoked_tokens, task_force_members, users};
use crate::{now, DbConnection, DbUuid, Error, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: DbUuid,
    pub agency_id: DbUuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub password_hash: String,
    pub session_version: i64,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn new(user: &NewUser, agency_id: Uuid, password_hash: String) -> Self {
        let at = now();
        Self {
            id: Uuid::now_v7().into(),
            agency_id: agency_id.into(),
            username: user.username.as_str().to_owned(),
            display_name: user.display_name.clone(),
            role: user.role.as_str().to_owned(),
            active: true,
            password_hash,
            session_version: 1,
            failed_logins: 0,
            locked_until: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    /// The stored role. Rows are only written from a parsed `Role`, so
    /// any other value was not written by this program, and is refused
    /// rather than read as some role.
    pub fn role(&self) -> Result<Role> {
        self.role
            .parse()
            .map_err(|_| Error::unreadable(format!("user {} has role `{}`", self.id.0, self.role)))
    }

    pub fn is_locked(&self, at: NaiveDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > at)
    }
}

/// What a request needs to know about its caller on every call.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRow,
    pub agency_is_system: bool,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> Result<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<UserRow>> {
    Ok(users::table
        .find(DbUuid(id))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Who a token speaks for, as every authenticated request needs it.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// The token itself was revoked (signed out).
    pub revoked: bool,
    /// Task forces the user's agency belongs to.
    pub task_forces: Vec<Uuid>,
}

/// The user, their agency, whether token `jti` was revoked and their
/// agency's task forces, in one statement: it runs on every request, and
/// on PostgreSQL each statement is a round trip.
pub fn find_session(conn: &mut DbConnection, user: Uuid, jti: Uuid) -> Result<Option<Session>> {
    let revoked =
        diesel::dsl::exists(revoked_tokens::table.filter(revoked_tokens::jti.eq(DbUuid(jti))));
    // Every authenticated request asks this.
    let rows: Vec<(UserRow, bool, bool, Option<DbUuid>)> = native!(conn, |c| users::table
        .inner_join(agencies::table)
        .left_join(task_force_members::table.on(task_force_members::agency_id.eq(users::agency_id)))
        .filter(users::id.eq(DbUuid(user)))
        .select((
            UserRow::as_select(),
            agencies::is_system,
            revoked,
            task_force_members::task_force_id.nullable(),
        ))
        .load(c))?;
    let task_forces = rows
        .iter()
        .filter_map(|(.., task_force)| task_force.map(Uuid::from))
        .collect();
    Ok(rows
        .into_iter()
        .next()
        .map(|(user, agency_is_system, revoked, _)| Session {
            principal: Principal {
                user,
                agency_is_system,
            },
            revoked,
            task_forces,
        }))
}

/// Users the caller may administer, ordered by id, after `cursor`.
pub fn list(
    conn: &mut DbConnection,
    directory: UserDirectory,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<Vec<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    match directory {
        UserDirectory::Nothing => return Ok(Vec::new()),
        UserDirectory::Agency(agency) => query = query.filter(users::agency_id.eq(DbUuid(agency))),
        UserDirectory::Everyone => {}
    }
    if let Some(cursor) = cursor {
        query = query.filter(users::id.gt(DbUuid(cursor)));
    }
    Ok(query.load(conn)?)
}

/// The active supervisors of `agency`, by username: who a flag of that
/// agency may be assigned to.
pub fn supervisors(conn: &mut DbConnection, agency: Uuid) -> Result<Vec<UserRow>> {
    Ok(users::table
        .filter(users::agency_id.eq(DbUuid(agency)))
        .filter(users::role.eq("supervisor"))
        .filter(users::active.eq(true))
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Changes an administrator may make to an account.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

#[derive(Debug)]
pub enum UpdateOutcome {
    Updated(UserRow),
    Stale { current_version: i64 },
    Missing,
}

/// Applies `changes` if the row is still at `expected_version`. A new role
/// or a disabled account invalidates existing sessions.
pub fn update(
    conn: &mut DbConnection,
    id: Uuid,
    expected_version: i64,
    changes: &UserChanges,
) -> Result<UpdateOutcome> {
    let Some(current) = find(conn, id)? else {
        return Ok(UpdateOutcome::Missing);
    };
    if current.version != expected_version {
        return Ok(UpdateOutcome::Stale {
            current_version: current.version,
        });
    }
    let role = changes
        .role
        .map(|r| r.as_str().to_owned())
        .unwrap_or(current.role.clone());
    let active = changes.active.unwrap_or(current.active);
    let standing_changed = role != current.role || active != current.active;
    let display_name = changes
        .display_name
        .clone()
        .unwrap_or(current.display_name.clone());
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(DbUuid(id)))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        users::display_name.eq(&display_name),
        users::role.eq(&role),
        users::active.eq(active),
        users::session_version.eq(current.session_version + i64::from(standing_changed)),
        users::version.eq(expected_version + 1),
        users::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(UpdateOutcome::Stale {
            current_version: current.version,
        });
    }
    Ok(find(conn, id)?.map_or(UpdateOutcome::Missing, UpdateOutcome::Updated))
}

/// Replaces the password hash, clears any lockout and ends every session.
pub fn set_password(conn: &mut DbConnection, id: Uuid, password_hash: &str) -> Result<bool> {
    Ok(diesel::update(users::table.find(DbUuid(id)))
        .set((
            users::password_hash.eq(password_hash),
            users::session_version.eq(users::session_version + 1),
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|n| n > 0)?)
}

/// Counts a failed login; the fifth in a row locks the account. Returns
/// whether the account is now locked.
pub fn record_failed_login(conn: &mut DbConnection, id: Uuid) -> Result<bool> {
    diesel::update(users::table.find(DbUuid(id)))
        .set(users::failed_logins.eq(users::failed_logins + 1))
        .execute(conn)?;
    let failed: i32 = users::table
        .find(DbUuid(id))
        .select(users::failed_logins)
        .get_result(conn)?;
    if failed >= MAX_FAILED_LOGINS {
        diesel::update(users::table.find(DbUuid(id)))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(Some(now() + LOCKOUT)),
            ))
            .execute(conn)?;
        return Ok(true);
    }
    Ok(false)
}

pub fn record_successful_login(conn: &mut DbConnection, id: Uuid) -> Result<()> {
    diesel::update(users::table.find(DbUuid(id)))
        .filter(
            users::failed_logins
                .ne(0)
                .or(users::locked_until.is_not_null()),
        )
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Clears the account-wide failure count and lockout. Returns whether the
/// account was locked at `at`.
pub fn unlock(conn: &mut DbConnection, id: Uuid, at: NaiveDateTime) -> Result<bool> {
    let was_locked = find(conn, id)?.is_some_and(|u| u.is_locked(at));
    diesel::update(users::table.find(DbUuid(id)))
        .set((
            users::failed_logins.eq(0),
            users::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(was_locked)
}
