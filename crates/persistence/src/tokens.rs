//! Revoked access tokens. A token is listed until it would have expired
//! anyway, then pruned.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::revoked_tokens;
use crate::{now, DbConnection, DbUuid};

pub fn revoke(conn: &mut DbConnection, jti: Uuid, expires_at: NaiveDateTime) -> QueryResult<()> {
    if is_revoked(conn, jti)? {
        return Ok(());
    }
    diesel::insert_into(revoked_tokens::table)
        .values((
            revoked_tokens::jti.eq(DbUuid(jti)),
            revoked_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn is_revoked(conn: &mut DbConnection, jti: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        revoked_tokens::table.filter(revoked_tokens::jti.eq(DbUuid(jti))),
    ))
    .get_result(conn)
}

/// Drops entries for tokens that have expired on their own.
pub fn prune(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now()))).execute(conn)
}
