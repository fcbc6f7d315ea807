//! Deconfliction: when two agencies hold records with the same identifier,
//! each is told that the other holds one and whom to contact — never the
//! other record's content or id.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::identifier::Identifier;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::agencies::AgencyRow;
use crate::in_list::in_list;
use crate::records::RecordRow;
use crate::risk::{self, Refresh};
use crate::schema::{agencies, deconfliction_notices, record_identifiers, records};
use crate::{now, DbConnection, DbUuid, Result};

/// Matches `identifiers` of `row` against every other agency's records,
/// shared or not, and notifies both sides of each match. Returns how many
/// new notices were written.
pub fn detect(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    row: &RecordRow,
    identifiers: &[Identifier],
) -> Result<usize> {
    detect_many(conn, refresh, &[(row.id, row.owner_agency_id, identifiers)])
}

/// [`detect`] for a batch of records already written: (id, owner, their
/// identifiers). Matches inside the batch count too.
pub fn detect_many(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    batch: &[(DbUuid, DbUuid, &[Identifier])],
) -> Result<usize> {
    // Grouped by owner, so that the database leaves out the owner's own
    // records: an import's lines share phones, e-mails and accounts with
    // thousands of the agency's earlier records, which never make a notice.
    let mut by_owner: HashMap<DbUuid, HashMap<(&str, &str), Vec<DbUuid>>> = HashMap::new();
    for (id, owner, identifiers) in batch {
        for identifier in *identifiers {
            by_owner
                .entry(*owner)
                .or_default()
                .entry((identifier.kind.as_str(), identifier.value.as_str()))
                .or_default()
                .push(*id);
        }
    }
    // (agency, record, other agency, kind, value)
    let mut notices: HashSet<(DbUuid, DbUuid, DbUuid, String, String)> = HashSet::new();
    for (agency, wanted) in &by_owner {
        let mut by_kind: HashMap<&str, Vec<&str>> = HashMap::new();
        for (kind, value) in wanted.keys() {
            by_kind.entry(kind).or_default().push(value);
        }
        for (kind, values) in by_kind {
            for chunk in values.chunks(crate::CHUNK) {
                let found: Vec<(DbUuid, DbUuid, String)> =
                    in_list!(conn, record_identifiers::value, chunk, |value| {
                        let matching = record_identifiers::table
                            .inner_join(records::table)
                            .filter(record_identifiers::kind.eq(kind))
                            .filter(value)
                            .filter(record_identifiers::derived.eq(false))
                            .filter(records::withdrawn_at.is_null())
                            .select((
                                record_identifiers::record_id,
                                record_identifiers::owner_agency_id,
                                record_identifiers::value,
                            ));
                        // The owners below the agency and above it: two ranges of
                        // the index on (kind, value, owner), which a "not this
                        // owner" would scan whole. On PostgreSQL in one statement,
                        // as each round trip costs a create inside the audit
                        // writer's batch; the backend-neutral DSL has no UNION.
                        // Copy in in_list!'s `=` and `OR` arms, not in its list's.
                        #[allow(clippy::clone_on_copy)]
                        let below = matching
                            .clone()
                            .filter(record_identifiers::owner_agency_id.lt(*agency));
                        let above =
                            matching.filter(record_identifiers::owner_agency_id.gt(*agency));
                        match &mut *conn {
                            DbConnection::Postgres(pg) => below.union_all(above).load(pg)?,
                            DbConnection::Sqlite(sqlite) => {
                                let mut found: Vec<(DbUuid, DbUuid, String)> =
                                    below.load(sqlite)?;
                                found.extend(above.load::<(DbUuid, DbUuid, String)>(sqlite)?);
                                found
                            }
                        }
                    });
                for (other_record, other_agency, value) in found {
                    let Some(mine) = wanted.get(&(kind, value.as_str())) else {
                        continue;
                    };
                    for record in mine {
                        notices.insert((
                            *agency,
                            *record,
                            other_agency,
                            kind.to_owned(),
                            value.clone(),
                        ));
                        notices.insert((
                            other_agency,
                            other_record,
                            *agency,
                            kind.to_owned(),
                            value.clone(),
                        ));
                    }
                }
            }
        }
    }
    if notices.is_empty() {
        return Ok(0);
    }
    let records: Vec<DbUuid> = notices
        .iter()
        .map(|n| n.1)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Records some notice named already: a shipment naming one is a hit
    // before this write, so its findings cannot change.
    let mut noticed_before = HashSet::new();
    for chunk in records.chunks(crate::CHUNK) {
        let existing: Vec<(DbUuid, DbUuid, DbUuid, String, String)> = deconfliction_notices::table
            .filter(deconfliction_notices::record_id.eq_any(chunk))
            .select((
                deconfliction_notices::agency_id,
                deconfliction_notices::record_id,
                deconfliction_notices::other_agency_id,
                deconfliction_notices::identifier_kind,
                deconfliction_notices::identifier_value,
            ))
            .load(conn)?;
        for notice in existing {
            noticed_before.insert(notice.1);
            notices.remove(&notice);
        }
    }
    let at = now();
    let mut notices: Vec<_> = notices.into_iter().collect();
    // A stable order, so ids rise the same way on every run.
    notices.sort();
    let rows: Vec<_> = notices
        .iter()
        .map(|(agency, record, other, kind, value)| {
            (
                deconfliction_notices::id.eq(DbUuid(Uuid::now_v7())),
                deconfliction_notices::agency_id.eq(*agency),
                deconfliction_notices::record_id.eq(*record),
                deconfliction_notices::other_agency_id.eq(*other),
                deconfliction_notices::identifier_kind.eq(kind.as_str()),
                deconfliction_notices::identifier_value.eq(value.as_str()),
                deconfliction_notices::created_at.eq(at),
            )
        })
        .collect();
    let written = rows.len();
    crate::bulk_insert::insert_rows!(conn, deconfliction_notices::table, rows);
    // A notice on a shipment, or on a record a shipment names, is a hit
    // for that shipment's risk.
    let named: Vec<Uuid> = notices
        .iter()
        .filter(|n| !noticed_before.contains(&n.1))
        .map(|n| n.1 .0)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut shipments = risk::referring(conn, &named)?;
    shipments.extend(named);
    refresh.shipments(&shipments);
    Ok(written)
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
) -> Result<Vec<Notice>> {
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
    Ok(query.load(conn)?)
}
