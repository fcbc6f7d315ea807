//! What people call users and agencies, for pages and exports that would
//! otherwise show their ids.

use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{agencies, users};
use crate::{DbConnection, DbUuid, Result, CHUNK};

/// Usernames of the users among `ids` that exist.
pub fn usernames(conn: &mut DbConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    let mut names = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let keys: Vec<DbUuid> = chunk.iter().copied().map(DbUuid).collect();
        let rows: Vec<(DbUuid, String)> = users::table
            .filter(users::id.eq_any(keys))
            .select((users::id, users::username))
            .load(conn)?;
        names.extend(rows.into_iter().map(|(id, name)| (id.0, name)));
    }
    Ok(names)
}

/// Names of the agencies among `ids` that exist.
pub fn agency_names(conn: &mut DbConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    Ok(agencies_named(conn, ids)?
        .into_iter()
        .map(|(id, (name, _))| (id, name))
        .collect())
}

/// The name and the contact line (whom other agencies should ask) of
/// each of `ids`.
pub fn agencies_named(
    conn: &mut DbConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (String, String)>> {
    let mut named = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let keys: Vec<DbUuid> = chunk.iter().copied().map(DbUuid).collect();
        let rows: Vec<(DbUuid, String, String)> = agencies::table
            .filter(agencies::id.eq_any(keys))
            .select((agencies::id, agencies::name, agencies::contact))
            .load(conn)?;
        named.extend(
            rows.into_iter()
                .map(|(id, name, contact)| (id.0, (name, contact))),
        );
    }
    Ok(named)
}
