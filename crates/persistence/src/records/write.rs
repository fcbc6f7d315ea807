//! Writing records: a new one (alone or in a batch, as imports do), a
//! new version, a withdrawal; each with its version row, its index, and
//! the risk refresh it makes due.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::record::{RecordIndex, RecordKind};
use interdict_domain::sharing::Scope;
use interdict_domain::shipment::PartyRole;
use std::collections::HashMap;
use uuid::Uuid;

use super::index::{clear_index, inherit_again, insert_index, referring_shipments, Inherited};
use super::RecordRow;
use crate::bulk_insert::{insert_rows, together};
use crate::risk::{self, Refresh};
use crate::schema::{record_versions, records};
use crate::{now, DbConnection, DbUuid, Result};

fn scope_columns(scope: Scope) -> (&'static str, Option<DbUuid>) {
    match scope {
        Scope::Agency => ("agency", None),
        Scope::All => ("all", None),
        Scope::TaskForce(tf) => ("task_force", Some(DbUuid(tf))),
    }
}

/// What a caller writes: the canonical document and its index.
pub struct Write<'a> {
    pub body: String,
    pub index: &'a RecordIndex,
    pub scope: Scope,
    pub actor: Uuid,
}

/// Writes a new record. `names`: the search text of parties it refers to,
/// as [`referable`] read them in this transaction, so they are not read
/// again; a party missing from it is read.
pub fn create(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    id: Uuid,
    kind: RecordKind,
    owner: Uuid,
    write: &Write<'_>,
    names: &HashMap<Uuid, String>,
) -> Result<RecordRow> {
    let written = insert_named(
        conn,
        refresh,
        names,
        &[NewRecord {
            id,
            kind,
            owner,
            scope: write.scope,
            actor: Some(write.actor),
            body: write.body.clone(),
            index: write.index.clone(),
        }],
    )?;
    written.into_iter().next().ok_or(crate::Error::NotFound)
}

/// A record written for the first time, alone or in a batch.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub id: Uuid,
    pub kind: RecordKind,
    pub owner: Uuid,
    pub scope: Scope,
    /// `None` for records the system writes (demo data).
    pub actor: Option<Uuid>,
    pub body: String,
    pub index: RecordIndex,
}

/// A new record with the text its search filters look at.
///
/// Like every row inserted here, it writes all its columns: left to
/// default, diesel wraps each field as "value or DEFAULT", and a statement
/// so built is neither kept prepared (PostgreSQL) nor sent as one
/// multi-row insert (SQLite).
#[derive(Insertable)]
#[diesel(table_name = records, treat_none_as_default_value = false)]
struct IndexedRow<'a> {
    #[diesel(embed)]
    row: RecordRow,
    search_text: &'a str,
    related_text: String,
}

/// Writes new records with their first version, identifiers, references,
/// facts and what shipments inherit from the records they refer to — a
/// few statements per batch, not per record, so imports stay fast. The
/// referenced records must exist already (or earlier in `batch`).
/// Returns the rows as written (timestamps are stored to the microsecond,
/// as `now` gives them, so no reload is needed).
pub fn insert_many(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    batch: &[NewRecord],
) -> Result<Vec<RecordRow>> {
    insert_named(conn, refresh, &HashMap::new(), batch)
}

/// [`insert_many`], given the search text of some of the parties the batch
/// refers to.
fn insert_named(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    names: &HashMap<Uuid, String>,
    batch: &[NewRecord],
) -> Result<Vec<RecordRow>> {
    let at = now();
    let inherited = Inherited::load(
        conn,
        names,
        batch
            .iter()
            .filter(|new| new.kind == RecordKind::Shipment)
            .map(|new| {
                let referenced = new.index.references.iter();
                let referenced = referenced.map(|r| (r.id, r.kind.as_str())).collect();
                (new.id, DbUuid(new.owner), referenced)
            }),
    )?;
    let shipment_owners: Vec<Uuid> = batch
        .iter()
        .filter(|new| new.kind == RecordKind::Shipment)
        .map(|new| new.owner)
        .collect();
    let mut references = crate::references::allocate(conn, &shipment_owners, at)?.into_iter();
    let rows: Vec<IndexedRow> = batch
        .iter()
        .map(|new| {
            let reference = match new.kind {
                RecordKind::Shipment => references.next(),
                _ => None,
            };
            let (scope_kind, scope_task_force_id) = scope_columns(new.scope);
            let row = RecordRow {
                id: DbUuid(new.id),
                kind: new.kind.as_str().to_owned(),
                owner_agency_id: DbUuid(new.owner),
                scope_kind: scope_kind.to_owned(),
                scope_task_force_id,
                version: 1,
                body: new.body.clone(),
                created_by: new.actor.map(DbUuid),
                created_at: at,
                updated_by: new.actor.map(DbUuid),
                updated_at: at,
                withdrawn_at: None,
                withdrawn_by: None,
                withdrawn_reason: None,
                reference,
            };
            IndexedRow {
                row,
                search_text: &new.index.search_text,
                related_text: inherited.related_text(new.id),
            }
        })
        .collect();
    together(conn, |conn, inserts| {
        insert_rows!(inserts, conn, records::table, rows.iter().collect());
        let versions = rows
            .iter()
            .map(|indexed| version_values(&indexed.row, "create", None))
            .collect::<Result<Vec<_>>>()?;
        insert_rows!(inserts, conn, record_versions::table, versions);
        insert_index(
            conn,
            inserts,
            batch
                .iter()
                .map(|new| (DbUuid(new.id), DbUuid(new.owner), &new.index)),
        )?;
        inherited.insert_identifiers(conn, inserts)
    })?;
    let mut shipments = Vec::new();
    let mut monthly = Vec::new();
    let mut consignors = Vec::new();
    for new in batch.iter().filter(|new| new.kind == RecordKind::Shipment) {
        shipments.push(new.id);
        let references = &new.index.references;
        if references.iter().any(|r| r.kind == RecordKind::Chemical) {
            monthly.push(new.id);
        }
        consignors.extend(
            references
                .iter()
                .filter(|r| r.role == PartyRole::Consignor.as_str())
                .map(|r| r.id),
        );
    }
    if !shipments.is_empty() {
        refresh.created(&shipments, &monthly, &consignors);
    }
    Ok(rows.into_iter().map(|indexed| indexed.row).collect())
}

/// Replaces the document if the row is still at `expected_version`;
/// `None` when someone else changed it first.
pub fn update(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    current: &RecordRow,
    expected_version: i64,
    write: &Write<'_>,
) -> Result<Option<RecordRow>> {
    let (scope_kind, scope_task_force_id) = scope_columns(write.scope);
    let changed = diesel::update(
        records::table
            .filter(records::id.eq(current.id))
            .filter(records::version.eq(expected_version)),
    )
    .set((
        records::body.eq(&write.body),
        records::search_text.eq(&write.index.search_text),
        records::scope_kind.eq(scope_kind),
        records::scope_task_force_id.eq(scope_task_force_id),
        records::version.eq(expected_version + 1),
        records::updated_by.eq(Some(DbUuid(write.actor))),
        records::updated_at.eq(now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    let row = reload(conn, current.id.0)?;
    record_version(conn, &row, "update", None)?;
    let is_shipment = row.kind == RecordKind::Shipment.as_str();
    let former = if is_shipment {
        risk::consignors_of(conn, &[row.id.0])?
    } else {
        Vec::new()
    };
    clear_index(conn, row.id)?;
    together(conn, |conn, inserts| {
        let indexed = std::iter::once((row.id, row.owner_agency_id, write.index));
        insert_index(conn, inserts, indexed)
    })?;
    if is_shipment {
        inherit_again(conn, row.id, row.owner_agency_id)?;
        refresh.around(&[row.id.0], &former);
    }
    // Shipments that mention this record search by its names and
    // identifiers, and the rules read the presses and dies they carry.
    let referring = referring_shipments(conn, row.id)?;
    for (shipment, owner) in &referring {
        inherit_again(conn, *shipment, *owner)?;
    }
    let referring: Vec<Uuid> = referring.into_iter().map(|(id, _)| id.0).collect();
    refresh.shipments(&referring);
    Ok(Some(row))
}

/// Withdraws a record: it stays, with the reason, visible to auditors.
pub fn withdraw(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    current: &RecordRow,
    reason: &str,
    actor: Uuid,
) -> Result<RecordRow> {
    let at = now();
    diesel::update(records::table.filter(records::id.eq(current.id)))
        .set((
            records::withdrawn_at.eq(Some(at)),
            records::withdrawn_by.eq(Some(DbUuid(actor))),
            records::withdrawn_reason.eq(Some(reason)),
            records::version.eq(records::version + 1),
            records::updated_by.eq(Some(DbUuid(actor))),
            records::updated_at.eq(at),
        ))
        .execute(conn)?;
    let row = reload(conn, current.id.0)?;
    record_version(conn, &row, "withdraw", Some(reason))?;
    if row.kind == RecordKind::Shipment.as_str() {
        // A withdrawn shipment no longer makes its consignor "seen".
        refresh.around(&[row.id.0], &[]);
    }
    Ok(row)
}

fn reload(conn: &mut DbConnection, id: Uuid) -> Result<RecordRow> {
    Ok(records::table
        .find(DbUuid(id))
        .select(RecordRow::as_select())
        .get_result(conn)?)
}

type VersionValues<'a> = (
    diesel::dsl::Eq<record_versions::record_id, DbUuid>,
    diesel::dsl::Eq<record_versions::version, i64>,
    diesel::dsl::Eq<record_versions::change, &'a str>,
    diesel::dsl::Eq<record_versions::changed_by, Option<DbUuid>>,
    diesel::dsl::Eq<record_versions::changed_at, NaiveDateTime>,
    diesel::dsl::Eq<record_versions::reason, Option<&'a str>>,
    diesel::dsl::Eq<record_versions::scope, String>,
    diesel::dsl::Eq<record_versions::body, &'a str>,
);

fn version_values<'a>(
    row: &'a RecordRow,
    change: &'a str,
    reason: Option<&'a str>,
) -> Result<VersionValues<'a>> {
    Ok((
        record_versions::record_id.eq(row.id),
        record_versions::version.eq(row.version),
        record_versions::change.eq(change),
        record_versions::changed_by.eq(row.updated_by),
        record_versions::changed_at.eq(row.updated_at),
        record_versions::reason.eq(reason),
        record_versions::scope.eq(row.scope()?.to_string()),
        record_versions::body.eq(row.body.as_str()),
    ))
}

fn record_version(
    conn: &mut DbConnection,
    row: &RecordRow,
    change: &str,
    reason: Option<&str>,
) -> Result<()> {
    diesel::insert_into(record_versions::table)
        .values(version_values(row, change, reason)?)
        .execute(conn)?;
    Ok(())
}
