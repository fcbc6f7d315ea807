//! Deconfliction: when two agencies hold records with the same identifier,
//! each is told that the other holds one and whom to contact — never the
//! other record's content or id.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::identifier::Identifier;
use uuid::Uuid;

use crate::agencies::AgencyRow;
use crate::records::RecordRow;
use crate::schema::{agencies, deconfliction_notices, record_identifiers, records};
use crate::{now, DbConnection, DbUuid};

/// Matches `identifiers` of `row` against every other agency's records,
/// shared or not, and notifies both sides of each match. Returns how many
/// new notices were written.
pub fn detect(
    conn: &mut DbConnection,
    row: &RecordRow,
    identifiers: &[Identifier],
) -> QueryResult<usize> {
    let mut written = 0;
    for identifier in identifiers {
        let matches: Vec<(DbUuid, DbUuid)> = record_identifiers::table
            .inner_join(records::table)
            .filter(record_identifiers::kind.eq(identifier.kind.as_str()))
            .filter(record_identifiers::value.eq(&identifier.value))
            .filter(record_identifiers::derived.eq(false))
            .filter(record_identifiers::owner_agency_id.ne(row.owner_agency_id))
            .filter(records::withdrawn_at.is_null())
            .select((
                record_identifiers::record_id,
                record_identifiers::owner_agency_id,
            ))
            .load(conn)?;
        for (other_record, other_agency) in matches {
            written += notify(conn, row.owner_agency_id, row.id, other_agency, identifier)?;
            written += notify(
                conn,
                other_agency,
                other_record,
                row.owner_agency_id,
                identifier,
            )?;
        }
    }
    Ok(written)
}

fn notify(
    conn: &mut DbConnection,
    agency: DbUuid,
    record: DbUuid,
    other_agency: DbUuid,
    identifier: &Identifier,
) -> QueryResult<usize> {
    let existing = deconfliction_notices::table
        .filter(deconfliction_notices::agency_id.eq(agency))
        .filter(deconfliction_notices::record_id.eq(record))
        .filter(deconfliction_notices::other_agency_id.eq(other_agency))
        .filter(deconfliction_notices::identifier_kind.eq(identifier.kind.as_str()))
        .filter(deconfliction_notices::identifier_value.eq(&identifier.value));
    if diesel::select(diesel::dsl::exists(existing)).get_result::<bool>(conn)? {
        return Ok(0);
    }
    diesel::insert_into(deconfliction_notices::table)
        .values((
            deconfliction_notices::id.eq(DbUuid(Uuid::now_v7())),
            deconfliction_notices::agency_id.eq(agency),
            deconfliction_notices::record_id.eq(record),
            deconfliction_notices::other_agency_id.eq(other_agency),
            deconfliction_notices::identifier_kind.eq(identifier.kind.as_str()),
            deconfliction_notices::identifier_value.eq(&identifier.value),
            deconfliction_notices::created_at.eq(now()),
        ))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct Notice {
    pub id: DbUuid,
    pub record_id: DbUuid,
    pub record_kind: String,
    pub identifier_kind: String,
    pub identifier_value: String,
    pub created_at: NaiveDateTime,
    pub other_agency: AgencyRow,
}

/// An agency's notices, newest first, after `before`.
pub fn list(
    conn: &mut DbConnection,
    agency: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Notice>> {
    let mut query = deconfliction_notices::table
        .inner_join(records::table.on(records::id.eq(deconfliction_notices::record_id)))
        .inner_join(agencies::table.on(agencies::id.eq(deconfliction_notices::other_agency_id)))
        .filter(deconfliction_notices::agency_id.eq(DbUuid(agency)))
        .order(deconfliction_notices::id.desc())
        .limit(limit)
        .select((
            deconfliction_notices::id,
            deconfliction_notices::record_id,
            records::kind,
            deconfliction_notices::identifier_kind,
            deconfliction_notices::identifier_value,
            deconfliction_notices::created_at,
            AgencyRow::as_select(),
        ))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(deconfliction_notices::id.lt(DbUuid(before)));
    }
    query.load(conn)
}
