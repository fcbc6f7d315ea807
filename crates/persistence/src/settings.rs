//! Server-wide settings kept in the database, so every instance behind a
//! load balancer shares them.

use diesel::prelude::*;

use crate::schema::settings;
use crate::{DbConnection, Error, Result};

pub fn get(conn: &mut DbConnection, key: &str) -> Result<Option<String>> {
    Ok(settings::table
        .find(key)
        .select(settings::value)
        .get_result(conn)
        .optional()?)
}

/// Returns the stored value, storing `generate()` first if there is none.
/// When two instances race, both end up with the value that won.
pub fn get_or_insert(
    conn: &mut DbConnection,
    key: &str,
    generate: impl FnOnce() -> String,
) -> Result<String> {
    if let Some(value) = get(conn, key)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(generate())))
        .execute(conn)
        .map_err(Error::from);
    match inserted {
        Ok(_) | Err(Error::Conflict { .. }) => {}
        Err(e) => return Err(e),
    }
    get(conn, key)?.ok_or(Error::NotFound)
}

/// Stores `value` under `key`, replacing any value there.
pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> Result<()> {
    let updated = diesel::update(settings::table.find(key))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(conn)?;
    }
    Ok(())
}
