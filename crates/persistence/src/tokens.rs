//! Revoked access tokens. A token is listed until it would have expired
//! anyway, then pruned.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::revoked_tokens;
use crate::{now, DbConnection, DbUuid, Result};

pub fn revoke(conn: &mut DbConnection, jti: Uuid, expires_at: NaiveDateTime) -> Result<()> {
    if is_revoked(conn, jti)? {
        return Ok(());
    }
    diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(DbUuid(jti)),
            revoked_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn is_revoked(conn: &mut DbConnection, jti: Uuid) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        revoked_tokens::table.filter(revoked_tokens::jti.eq(DbUuid(jti))),
    ))
    .get_result(conn)?)
}

/// Drops entries for tokens that have expired on their own.
pub fn prune(conn: &mut DbConnection) -> Result<usize> {
    Ok(
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now())))
            .execute(conn)?,
    )
}
