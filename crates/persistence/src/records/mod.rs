//! Registry records: one table for ownership, sharing, versions and
//! withdrawal of parties, chemicals, equipment, die molds and shipments.
//! Reading them here; writing them in `write`, with the per-kind indexes
//! that search and deconfliction read (`index`).

mod index;
mod write;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::policy::{RecordMeta, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::sharing::Scope;
use uuid::Uuid;

use crate::schema::{record_versions, records, users};
use crate::visibility::{visible, BoxedRecords};
use crate::{DbConnection, DbUuid, Error, Result, CHUNK};

pub(crate) use index::referring_shipments;
pub use write::{create, insert_many, update, withdraw, NewRecord, Write};

/// A record as read. The search columns are left out: only the search
/// filters look at them, and reading them would double what every read of
/// a record moves.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = records, treat_none_as_default_value = false)]
pub struct RecordRow {
    pub id: DbUuid,
    pub kind: String,
    pub owner_agency_id: DbUuid,
    pub scope_kind: String,
    pub scope_task_force_id: Option<DbUuid>,
    pub version: i64,
    pub body: String,
    pub created_by: Option<DbUuid>,
    pub created_at: NaiveDateTime,
    pub updated_by: Option<DbUuid>,
    pub updated_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<DbUuid>,
    pub withdrawn_reason: Option<String>,
    /// A shipment's reference (`TXHSI0100-2026-000123`); other kinds have none.
    pub reference: Option<String>,
}

impl RecordRow {
    /// The stored sharing scope. Rows are only written from a `Scope`; any
    /// other value is refused rather than read as some scope.
    pub fn scope(&self) -> Result<Scope> {
        match (self.scope_kind.as_str(), self.scope_task_force_id) {
            ("agency", None) => Ok(Scope::Agency),
            ("all", None) => Ok(Scope::All),
            ("task_force", Some(tf)) => Ok(Scope::TaskForce(tf.0)),
            (kind, tf) => Err(Error::unreadable(format!(
                "record {} is shared as `{kind}` with {tf:?}",
                self.id.0
            ))),
        }
    }

    pub fn meta(&self) -> Result<RecordMeta> {
        Ok(RecordMeta {
            owner_agency: self.owner_agency_id.0,
            scope: self.scope()?,
            withdrawn: self.withdrawn_at.is_some(),
        })
    }
}

/// A record of `kind` that `visibility` lets the caller see.
pub fn find_visible(
    conn: &mut DbConnection,
    kind: RecordKind,
    id: Uuid,
    visibility: &Visibility,
) -> Result<Option<RecordRow>> {
    Ok(visible_one(kind, id, visibility)
        .select(RecordRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// The search text of a live record of `kind` that `visibility` lets the
/// caller see, if there is one: whether a new record may refer to it, and
/// for a party the names a shipment naming it inherits, in one statement.
pub fn referable(
    conn: &mut DbConnection,
    kind: RecordKind,
    id: Uuid,
    visibility: &Visibility,
) -> Result<Option<String>> {
    Ok(visible_one(kind, id, visibility)
        .filter(records::withdrawn_at.is_null())
        .select(records::search_text)
        .get_result(conn)
        .optional()?)
}

/// The record `id` of `kind`, if `visibility` lets the caller see it.
fn visible_one<'a>(kind: RecordKind, id: Uuid, visibility: &Visibility) -> BoxedRecords<'a> {
    visible(records::table.into_boxed(), visibility)
        .filter(records::id.eq(DbUuid(id)))
        .filter(records::kind.eq(kind.as_str()))
}

/// The bodies of those of `ids` of `kind` that `visibility` lets the
/// caller see.
pub fn bodies_visible(
    conn: &mut DbConnection,
    kind: RecordKind,
    ids: &[Uuid],
    visibility: &Visibility,
) -> Result<Vec<(Uuid, String)>> {
    Ok(rows_visible(conn, kind, ids, visibility)?
        .into_iter()
        .map(|row| (row.id.0, row.body))
        .collect())
}

/// Those of `ids` of `kind` that `visibility` lets the caller see, in one
/// query per chunk.
pub fn rows_visible(
    conn: &mut DbConnection,
    kind: RecordKind,
    ids: &[Uuid],
    visibility: &Visibility,
) -> Result<Vec<RecordRow>> {
    let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            visible(records::table.into_boxed(), visibility)
                .filter(records::id.eq_any(chunk))
                .filter(records::kind.eq(kind.as_str()))
                .select(RecordRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// The references of those of `ids` (shipments) that `visibility` lets
/// the caller see.
pub fn references_visible(
    conn: &mut DbConnection,
    ids: &[Uuid],
    visibility: &Visibility,
) -> Result<Vec<(Uuid, String)>> {
    let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
    let mut references = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<(DbUuid, Option<String>)> = visible(records::table.into_boxed(), visibility)
            .filter(records::id.eq_any(chunk))
            .select((records::id, records::reference))
            .load(conn)?;
        references.extend(found.into_iter().filter_map(|(id, r)| Some((id.0, r?))));
    }
    Ok(references)
}

/// One entry of a record's history.
#[derive(Debug, Clone, Queryable)]
pub struct VersionRow {
    pub version: i64,
    pub change: String,
    pub changed_by: Option<DbUuid>,
    pub changed_by_username: Option<String>,
    pub changed_at: NaiveDateTime,
    pub reason: Option<String>,
    pub scope: String,
    pub body: String,
}

pub fn history(conn: &mut DbConnection, id: Uuid) -> Result<Vec<VersionRow>> {
    Ok(record_versions::table
        .left_join(users::table.on(record_versions::changed_by.eq(users::id.nullable())))
        .filter(record_versions::record_id.eq(DbUuid(id)))
        .order(record_versions::version.asc())
        .select((
            record_versions::version,
            record_versions::change,
            record_versions::changed_by,
            users::username.nullable(),
            record_versions::changed_at,
            record_versions::reason,
            record_versions::scope,
            record_versions::body,
        ))
        .load(conn)?)
}

/// The owner agencies of any records, for placeholders that show whom to
/// ask, in one query per chunk.
pub fn owners_of(
    conn: &mut DbConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Uuid>> {
    let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
    let mut owners = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<(DbUuid, DbUuid)> = records::table
            .filter(records::id.eq_any(chunk))
            .select((records::id, records::owner_agency_id))
            .load(conn)?;
        owners.extend(found.into_iter().map(|(id, owner)| (id.0, owner.0)));
    }
    Ok(owners)
}

/// The owner agency of any record, for placeholders that show whom to ask.
pub fn owner_of(conn: &mut DbConnection, id: Uuid) -> Result<Option<Uuid>> {
    Ok(records::table
        .find(DbUuid(id))
        .select(records::owner_agency_id)
        .get_result::<DbUuid>(conn)
        .optional()
        .map(|o| o.map(Uuid::from))?)
}
