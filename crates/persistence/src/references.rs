//! Shipment references (`TXHSI0100-2026-000123`): numbers counted per
//! agency and year in `reference_counters`, handed out inside the
//! transaction that writes the shipments.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Integer, Nullable, Text};
use uuid::Uuid;

use crate::native::native;
use crate::uuid_type::PortableUuid;
use crate::{DbConnection, DbUuid, Error, Result};

/// Raises an agency's counter for a year by `count`, answering the new last
/// number and the agency's code in the same statement: a create pays one
/// round trip for its reference, not three. Written by hand because diesel
/// never caches an `ON CONFLICT … DO UPDATE` (nor a `sql_query`), and
/// SQLite then parsed and planned it for every create; this text is fixed,
/// so the statement is prepared once per connection.
#[derive(QueryId)]
struct Raise {
    agency: DbUuid,
    year: i32,
    count: i64,
}

impl Query for Raise {
    type SqlType = (BigInt, Nullable<Text>);
}

impl<Conn> RunQueryDsl<Conn> for Raise {}

/// One text for both backends, whose bind markers diesel writes (`$n`, `?`).
impl<DB> QueryFragment<DB> for Raise
where
    DB: Backend + HasSqlType<PortableUuid> + HasSqlType<Integer> + HasSqlType<BigInt>,
    DbUuid: ToSql<PortableUuid, DB>,
    i32: ToSql<Integer, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO reference_counters (agency_id, year, last) VALUES (");
        out.push_bind_param::<PortableUuid, _>(&self.agency)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&self.year)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.count)?;
        out.push_sql(RAISE_TAIL);
        Ok(())
    }
}

/// After the values: the same on both backends.
const RAISE_TAIL: &str = ") ON CONFLICT (agency_id, year) DO UPDATE \
     SET last = reference_counters.last + excluded.last \
     RETURNING last, (SELECT ori FROM agencies WHERE agencies.id = reference_counters.agency_id)";

/// Raises the agency's counter for the year by `count` and answers the
/// new last number with the agency's code. The upsert takes the counter
/// row's lock until the transaction ends, so concurrent writers on
/// PostgreSQL (one instance or several) wait for each other instead of
/// reading the same number; on SQLite the transaction already holds the
/// only write lock.
fn raise(conn: &mut DbConnection, agency: Uuid, year: i32, count: i64) -> Result<(i64, String)> {
    let query = Raise {
        agency: DbUuid(agency),
        year,
        count,
    };
    let (last, code): (i64, Option<String>) = native!(conn, |c| query.get_result(c))?;
    Ok((last, code.ok_or(Error::NotFound)?))
}

/// The reference for the `number`th shipment of an agency known by `code`
/// in `year`.
pub fn format(code: &str, year: i32, number: i64) -> String {
    format!("{code}-{year}-{number:06}")
}

/// New references for shipments recorded `at` by the owners given, in the
/// order given (each owner's numbers rise in that order).
pub fn allocate(
    conn: &mut DbConnection,
    owners: &[Uuid],
    at: NaiveDateTime,
) -> Result<Vec<String>> {
    let year = at.year();
    let mut counts: BTreeMap<Uuid, i64> = BTreeMap::new();
    for owner in owners {
        *counts.entry(*owner).or_default() += 1;
    }
    // Each agency's first new number and its code; agencies in a fixed
    // order, so two batches never wait on each other's counters crosswise.
    let mut next: HashMap<Uuid, (String, i64)> = HashMap::new();
    for (owner, count) in counts {
        // The write first: on SQLite a transaction that read before its
        // first write may find another writer got in between.
        let (last, code) = raise(conn, owner, year, count)?;
        next.insert(owner, (code, last - count + 1));
    }
    owners
        .iter()
        .map(|owner| {
            let (code, number) = next.get_mut(owner).ok_or(Error::NotFound)?;
            let reference = format(code, year, *number);
            *number += 1;
            Ok(reference)
        })
        .collect()
}
