//! Where accounts sign in from: the sources each account has signed in
//! from before ("known"), and failed logins counted per unknown source.
//! A lockout earned from an unknown source locks out only that source, so
//! whoever guesses from elsewhere cannot lock the owner out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::user::{LOCKOUT, MAX_FAILED_LOGINS};
use uuid::Uuid;

use crate::schema::{login_lockouts, login_sources};
use crate::{DbConnection, DbUuid, Result};

/// Whether `user` has signed in successfully from `source` before.
pub fn is_known_source(conn: &mut DbConnection, user: Uuid, source: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        login_sources::table
            .filter(login_sources::user_id.eq(DbUuid(user)))
            .filter(login_sources::source.eq(source)),
    ))
    .get_result(conn)?)
}

/// Remembers a successful sign-in from `source` and forgets that source's
/// failures.
pub fn record_success(
    conn: &mut DbConnection,
    user: Uuid,
    source: &str,
    at: NaiveDateTime,
) -> Result<()> {
    let updated = diesel::update(
        login_sources::table
            .filter(login_sources::user_id.eq(DbUuid(user)))
            .filter(login_sources::source.eq(source)),
    )
    .set(login_sources::last_signed_in.eq(at))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_sources::table)
            .values((
                login_sources::user_id.eq(DbUuid(user)),
                login_sources::source.eq(source),
                login_sources::last_signed_in.eq(at),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        login_lockouts::table
            .filter(login_lockouts::user_id.eq(DbUuid(user)))
            .filter(login_lockouts::source.eq(source)),
    )
    .execute(conn)?;
    Ok(())
}

/// Whether `user` is locked out for `source` at `at`.
pub fn source_locked(
    conn: &mut DbConnection,
    user: Uuid,
    source: &str,
    at: NaiveDateTime,
) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        login_lockouts::table
            .filter(login_lockouts::user_id.eq(DbUuid(user)))
            .filter(login_lockouts::source.eq(source))
            .filter(login_lockouts::locked_until.gt(at)),
    ))
    .get_result(conn)?)
}

/// Counts a failed login from an unknown `source`; the fifth in a row
/// locks the account for that source only. Returns whether it is now
/// locked for it.
pub fn record_failure(
    conn: &mut DbConnection,
    user: Uuid,
    source: &str,
    at: NaiveDateTime,
) -> Result<bool> {
    let row = login_lockouts::table
        .filter(login_lockouts::user_id.eq(DbUuid(user)))
        .filter(login_lockouts::source.eq(source))
        .select(login_lockouts::failed_logins)
        .get_result::<i32>(conn)
        .optional()?;
    let failed = row.unwrap_or(0) + 1;
    let locks = failed >= MAX_FAILED_LOGINS;
    let (failed, locked_until) = if locks {
        (0, Some(at + LOCKOUT))
    } else {
        (failed, None)
    };
    let target = login_lockouts::table
        .filter(login_lockouts::user_id.eq(DbUuid(user)))
        .filter(login_lockouts::source.eq(source));
    if row.is_some() {
        diesel::update(target)
            .set((
                login_lockouts::failed_logins.eq(failed),
                login_lockouts::locked_until.eq(locked_until),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(login_lockouts::table)
            .values((
                login_lockouts::user_id.eq(DbUuid(user)),
                login_lockouts::source.eq(source),
                login_lockouts::failed_logins.eq(failed),
                login_lockouts::locked_until.eq(locked_until),
            ))
            .execute(conn)?;
    }
    Ok(locks)
}

/// Sources `user` is locked out for at `at`.
pub fn locked_sources(conn: &mut DbConnection, user: Uuid, at: NaiveDateTime) -> Result<i64> {
    Ok(login_lockouts::table
        .filter(login_lockouts::user_id.eq(DbUuid(user)))
        .filter(login_lockouts::locked_until.gt(at))
        .count()
        .get_result(conn)?)
}

/// Forgets every per-source failure and lockout of `user` (an
/// administrator's unlock). Returns how many sources were locked.
pub fn clear(conn: &mut DbConnection, user: Uuid, at: NaiveDateTime) -> Result<i64> {
    let locked = locked_sources(conn, user, at)?;
    diesel::delete(login_lockouts::table.filter(login_lockouts::user_id.eq(DbUuid(user))))
        .execute(conn)?;
    Ok(locked)
}
