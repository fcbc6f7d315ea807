//! Shipment references (`TXHSI0100-2026-000123`): numbers counted per
//! agency and year in `reference_counters`, handed out inside the
//! transaction that writes the shipments.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use uuid::Uuid;

use crate::uuid_type::PortableUuid;
use crate::{DbConnection, DbUuid, Error, Result};

/// The agency's counter for the year, raised by `count`, and the agency's
/// code, read in the same statement: a create pays one round trip for its
/// reference, not three.
#[derive(QueryableByName)]
struct Raised {
    #[diesel(sql_type = BigInt)]
    last: i64,
    #[diesel(sql_type = Nullable<Text>)]
    code: Option<String>,
}

/// Raises the agency's counter for the year by `count` and answers the
/// new last number with the agency's code. The upsert takes the counter
/// row's lock until the transaction ends, so concurrent writers on
/// PostgreSQL (one instance or several) wait for each other instead of
/// reading the same number; on SQLite the transaction already holds the
/// only write lock.
fn raise(conn: &mut DbConnection, agency: Uuid, year: i32, count: i64) -> Result<(i64, String)> {
    let sql = match conn {
        DbConnection::Postgres(_) => {
            "INSERT INTO reference_counters (agency_id, year, last) VALUES ($1, $2, $3) \
             ON CONFLICT (agency_id, year) DO UPDATE SET last = reference_counters.last + EXCLUDED.last \
             RETURNING last, (SELECT ori FROM agencies WHERE agencies.id = reference_counters.agency_id) AS code"
        }
        DbConnection::Sqlite(_) => {
            "INSERT INTO reference_counters (agency_id, year, last) VALUES (?1, ?2, ?3) \
             ON CONFLICT (agency_id, year) DO UPDATE SET last = reference_counters.last + excluded.last \
             RETURNING last, (SELECT ori FROM agencies WHERE agencies.id = reference_counters.agency_id) AS code"
        }
    };
    let raised: Raised = diesel::sql_query(sql)
        .bind::<PortableUuid, _>(DbUuid(agency))
        .bind::<Integer, _>(year)
        .bind::<BigInt, _>(count)
        .get_result(conn)?;
    Ok((raised.last, raised.code.ok_or(Error::NotFound)?))
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
