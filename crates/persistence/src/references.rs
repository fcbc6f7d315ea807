//! Shipment references (`TXHSI0100-2026-000123`): numbers counted per
//! agency and year in `reference_counters`, handed out inside the
//! transaction that writes the shipments.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use uuid::Uuid;

use crate::schema::{agencies, reference_counters};
use crate::uuid_type::PortableUuid;
use crate::{DbConnection, DbUuid, Error, Result};

/// Raises the agency's counter for the year by `count` and answers the
/// new last number. The upsert takes the counter row's lock until the
/// transaction ends, so concurrent writers on PostgreSQL (one instance or
/// several) wait for each other instead of reading the same number; on
/// SQLite the transaction already holds the only write lock.
fn raise(conn: &mut DbConnection, agency: Uuid, year: i32, count: i64) -> Result<i64> {
    let sql = match conn {
        DbConnection::Postgres(_) => {
            "INSERT INTO reference_counters (agency_id, year, last) VALUES ($1, $2, $3) \
             ON CONFLICT (agency_id, year) DO UPDATE SET last = reference_counters.last + EXCLUDED.last"
        }
        DbConnection::Sqlite(_) => {
            "INSERT INTO reference_counters (agency_id, year, last) VALUES (?1, ?2, ?3) \
             ON CONFLICT (agency_id, year) DO UPDATE SET last = reference_counters.last + excluded.last"
        }
    };
    diesel::sql_query(sql)
        .bind::<PortableUuid, _>(DbUuid(agency))
        .bind::<Integer, _>(year)
        .bind::<BigInt, _>(count)
        .execute(conn)?;
    Ok(reference_counters::table
        .find((DbUuid(agency), year))
        .select(reference_counters::last)
        .get_result(conn)?)
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
        let last = raise(conn, owner, year, count)?;
        let code: String = agencies::table
            .find(DbUuid(owner))
            .select(agencies::ori)
            .get_result(conn)
            .optional()?
            .ok_or(Error::NotFound)?;
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
