//! Registry records: one table for ownership, sharing, versions and
//! withdrawal of parties, chemicals, equipment, die molds and shipments,
//! plus the per-kind indexes that search and deconfliction read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::policy::{RecordMeta, Visibility};
use interdict_domain::record::{Facts, RecordIndex, RecordKind};
use interdict_domain::sharing::Scope;
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

use crate::db::MultiBackend;
use crate::inserts::{insert_rows, together, Inserts};
use crate::risk::{self, Refresh};
use crate::schema::{
    chemical_facts, die_mold_facts, equipment_facts, party_facts, record_identifiers, record_refs,
    record_versions, records, shipment_facts, users,
};
use crate::{now, DbConnection, DbUuid, Error, Result};

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

fn scope_columns(scope: Scope) -> (&'static str, Option<DbUuid>) {
    match scope {
        Scope::Agency => ("agency", None),
        Scope::All => ("all", None),
        Scope::TaskForce(tf) => ("task_force", Some(DbUuid(tf))),
    }
}

pub type BoxedRecords<'a> = records::BoxedQuery<'a, MultiBackend>;

/// The sharing rule in SQL: owned by the agency, shared with all, or shared
/// with one of its task forces. A macro, not a function, because the
/// expression's type cannot be named; it is used both as a filter and
/// inside unboxed subqueries.
macro_rules! shared_with {
    ($agency:expr, $task_forces:expr) => {
        crate::schema::records::owner_agency_id
            .eq($agency)
            .or(crate::schema::records::scope_kind.eq("all"))
            .or(crate::schema::records::scope_task_force_id.eq_any($task_forces))
    };
}
pub(crate) use shared_with;

/// The parts of a `Scoped` visibility as column values; `None` for the
/// other kinds, which no scoped query needs.
pub(crate) fn scoped(visibility: &Visibility) -> Option<(DbUuid, Vec<DbUuid>, bool)> {
    match visibility {
        Visibility::Scoped {
            agency_id,
            task_forces,
            include_withdrawn,
        } => Some((
            DbUuid(*agency_id),
            task_forces.iter().copied().map(DbUuid).collect(),
            *include_withdrawn,
        )),
        _ => None,
    }
}

/// Restricts a query to the records `visibility` allows: the policy, in SQL.
pub fn visible<'a>(query: BoxedRecords<'a>, visibility: &Visibility) -> BoxedRecords<'a> {
    match visibility {
        Visibility::Nothing => query.filter(records::id.ne(records::id)),
        Visibility::Everything {
            include_withdrawn: true,
        } => query,
        Visibility::Everything {
            include_withdrawn: false,
        } => query.filter(records::withdrawn_at.is_null()),
        Visibility::Scoped {
            agency_id,
            task_forces,
            include_withdrawn,
        } => {
            let task_forces: Vec<DbUuid> = task_forces.iter().copied().map(DbUuid).collect();
            let query = query.filter(shared_with!(DbUuid(*agency_id), task_forces));
            if *include_withdrawn {
                query
            } else {
                query.filter(records::withdrawn_at.is_null())
            }
        }
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
/// caller see, in one query per chunk.
pub fn bodies_visible(
    conn: &mut DbConnection,
    kind: RecordKind,
    ids: &[Uuid],
    visibility: &Visibility,
) -> Result<Vec<(Uuid, String)>> {
    let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
    let mut bodies = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let found: Vec<(DbUuid, String)> = visible(records::table.into_boxed(), visibility)
            .filter(records::id.eq_any(chunk))
            .filter(records::kind.eq(kind.as_str()))
            .select((records::id, records::body))
            .load(conn)?;
        bodies.extend(found.into_iter().map(|(id, body)| (id.0, body)));
    }
    Ok(bodies)
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

/// Rows per multi-row INSERT, and per statement of several
/// (`inserts`): well under both backends' limits on bound parameters
/// (SQLite 32,766; PostgreSQL 65,535) for the widest table.
pub(crate) const CHUNK: usize = 1000;

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
    let rows: Vec<IndexedRow> = batch
        .iter()
        .map(|new| {
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
    let shipments: Vec<Uuid> = batch
        .iter()
        .filter(|new| new.kind == RecordKind::Shipment)
        .map(|new| new.id)
        .collect();
    if !shipments.is_empty() {
        refresh.around(&shipments, &[]);
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

/// Removes a record's own identifiers, references and facts before they
/// are written again.
fn clear_index(conn: &mut DbConnection, id: DbUuid) -> Result<()> {
    diesel::delete(
        record_identifiers::table
            .filter(record_identifiers::record_id.eq(id))
            .filter(record_identifiers::derived.eq(false)),
    )
    .execute(conn)?;
    diesel::delete(record_refs::table.filter(record_refs::record_id.eq(id))).execute(conn)?;
    diesel::delete(party_facts::table.find(id)).execute(conn)?;
    diesel::delete(chemical_facts::table.find(id)).execute(conn)?;
    diesel::delete(equipment_facts::table.find(id)).execute(conn)?;
    diesel::delete(die_mold_facts::table.find(id)).execute(conn)?;
    diesel::delete(shipment_facts::table.find(id)).execute(conn)?;
    Ok(())
}

/// Writes the identifiers, references and facts of records, a chunk of
/// rows per statement.
fn insert_index<'a>(
    conn: &mut DbConnection,
    inserts: &mut Inserts<'a>,
    records: impl Iterator<Item = (DbUuid, DbUuid, &'a RecordIndex)>,
) -> Result<()> {
    let mut identifiers = Vec::new();
    let mut references = Vec::new();
    let mut parties = Vec::new();
    let mut chemicals = Vec::new();
    let mut equipment = Vec::new();
    let mut dies = Vec::new();
    let mut shipments = Vec::new();
    for (id, owner, index) in records {
        let mut seen = std::collections::HashSet::new();
        for identifier in &index.identifiers {
            if seen.insert((identifier.kind, identifier.value.as_str())) {
                identifiers.push((
                    record_identifiers::record_id.eq(id),
                    record_identifiers::kind.eq(identifier.kind.as_str()),
                    record_identifiers::value.eq(identifier.value.as_str()),
                    record_identifiers::owner_agency_id.eq(owner),
                    record_identifiers::derived.eq(false),
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for reference in &index.references {
            if seen.insert((reference.id, reference.role.as_str())) {
                references.push((
                    record_refs::record_id.eq(id),
                    record_refs::ref_kind.eq(reference.kind.as_str()),
                    record_refs::ref_id.eq(DbUuid(reference.id)),
                    record_refs::role.eq(reference.role.as_str()),
                ));
            }
        }
        match &index.facts {
            Facts::Party {
                kind,
                country,
                name_key,
            } => parties.push((
                party_facts::record_id.eq(id),
                party_facts::party_kind.eq(kind.as_str()),
                party_facts::country.eq(country.as_deref()),
                party_facts::name_key.eq(Some(name_key.as_str())),
            )),
            Facts::Chemical {
                cas,
                us_control,
                un_table,
            } => chemicals.push((
                chemical_facts::record_id.eq(id),
                chemical_facts::cas.eq(cas.as_str()),
                chemical_facts::us_control.eq(us_control.as_str()),
                chemical_facts::un_table.eq(un_table.as_deref()),
            )),
            Facts::Equipment {
                kind,
                markings_removed,
            } => equipment.push((
                equipment_facts::record_id.eq(id),
                equipment_facts::equipment_kind.eq(kind.as_str()),
                equipment_facts::markings_removed.eq(*markings_removed),
            )),
            Facts::DieMold { shape } => dies.push((
                die_mold_facts::record_id.eq(id),
                die_mold_facts::shape.eq(shape.as_str()),
            )),
            Facts::Shipment {
                incident_type,
                status,
                mode,
                origin_country,
                destination_country,
                destination_subdivision,
                shipped_at,
            } => shipments.push((
                shipment_facts::record_id.eq(id),
                shipment_facts::incident_type.eq(incident_type.as_str()),
                shipment_facts::status.eq(status.as_str()),
                shipment_facts::mode.eq(mode.as_str()),
                shipment_facts::origin_country.eq(origin_country.as_str()),
                shipment_facts::destination_country.eq(destination_country.as_str()),
                shipment_facts::destination_subdivision.eq(destination_subdivision.as_deref()),
                shipment_facts::shipped_at.eq(shipped_at.map(|t| t.naive_utc())),
            )),
        }
    }
    insert_rows!(inserts, conn, record_identifiers::table, identifiers);
    insert_rows!(inserts, conn, record_refs::table, references);
    insert_rows!(inserts, conn, party_facts::table, parties);
    insert_rows!(inserts, conn, chemical_facts::table, chemicals);
    insert_rows!(inserts, conn, equipment_facts::table, equipment);
    insert_rows!(inserts, conn, die_mold_facts::table, dies);
    insert_rows!(inserts, conn, shipment_facts::table, shipments);
    Ok(())
}

/// What shipments take from the records they refer to: their parties'
/// names as `related_text`, and equipment serials and die imprints as
/// derived identifiers, so a shipment is found by them.
struct Inherited {
    /// Shipment → its owner and the records it refers to.
    shipments: HashMap<Uuid, (DbUuid, Vec<Uuid>)>,
    names: HashMap<Uuid, String>,
    identifiers: HashMap<Uuid, Vec<(String, String)>>,
}

impl Inherited {
    /// `shipments`: (id, owner, the records it refers to, each with its
    /// kind). Only parties have names to inherit, and only presses and dies
    /// serials or imprints, so neither is asked of the other kinds; nor are
    /// the names of the parties in `known`.
    fn load<'a>(
        conn: &mut DbConnection,
        known: &HashMap<Uuid, String>,
        shipments: impl Iterator<Item = (Uuid, DbUuid, Vec<(Uuid, &'a str)>)>,
    ) -> Result<Self> {
        let mut parties = BTreeSet::new();
        let mut marked = BTreeSet::new();
        let shipments: HashMap<Uuid, (DbUuid, Vec<Uuid>)> = shipments
            .map(|(id, owner, referenced)| {
                for &(record, kind) in &referenced {
                    if kind == RecordKind::Party.as_str() && !known.contains_key(&record) {
                        parties.insert(DbUuid(record));
                    } else if kind == RecordKind::Equipment.as_str()
                        || kind == RecordKind::DieMold.as_str()
                    {
                        marked.insert(DbUuid(record));
                    }
                }
                (
                    id,
                    (owner, referenced.into_iter().map(|(r, _)| r).collect()),
                )
            })
            .collect();
        let mut names = known.clone();
        for chunk in parties.into_iter().collect::<Vec<_>>().chunks(CHUNK) {
            let found: Vec<(DbUuid, String)> = records::table
                .filter(records::id.eq_any(chunk))
                .filter(records::kind.eq(RecordKind::Party.as_str()))
                .select((records::id, records::search_text))
                .load(conn)?;
            names.extend(found.into_iter().map(|(id, name)| (id.0, name)));
        }
        let mut identifiers: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
        for chunk in marked.into_iter().collect::<Vec<_>>().chunks(CHUNK) {
            let found: Vec<(DbUuid, String, String)> = record_identifiers::table
                .filter(record_identifiers::record_id.eq_any(chunk))
                .filter(record_identifiers::derived.eq(false))
                .filter(record_identifiers::kind.eq_any([
                    IdentifierKind::Serial.as_str(),
                    IdentifierKind::Imprint.as_str(),
                ]))
                .select((
                    record_identifiers::record_id,
                    record_identifiers::kind,
                    record_identifiers::value,
                ))
                .load(conn)?;
            for (id, kind, value) in found {
                identifiers.entry(id.0).or_default().push((kind, value));
            }
        }
        Ok(Self {
            shipments,
            names,
            identifiers,
        })
    }

    fn related_text(&self, shipment: Uuid) -> String {
        let Some((_, referenced)) = self.shipments.get(&shipment) else {
            return String::new();
        };
        let mut seen = HashSet::new();
        referenced
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| self.names.get(id).map(String::as_str))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Writes the derived identifiers of every shipment loaded.
    fn insert_identifiers<'a>(
        &'a self,
        conn: &mut DbConnection,
        inserts: &mut Inserts<'a>,
    ) -> Result<()> {
        let mut rows = Vec::new();
        for (id, (owner, referenced)) in &self.shipments {
            let mut seen = HashSet::new();
            for (kind, value) in referenced
                .iter()
                .filter_map(|r| self.identifiers.get(r))
                .flatten()
            {
                if seen.insert((kind, value)) {
                    rows.push((
                        record_identifiers::record_id.eq(DbUuid(*id)),
                        record_identifiers::kind.eq(kind.as_str()),
                        record_identifiers::value.eq(value.as_str()),
                        record_identifiers::owner_agency_id.eq(*owner),
                        record_identifiers::derived.eq(true),
                    ));
                }
            }
        }
        insert_rows!(inserts, conn, record_identifiers::table, rows);
        Ok(())
    }
}

/// The shipments that refer to record `id`, with their owners.
fn referring_shipments(conn: &mut DbConnection, id: DbUuid) -> Result<Vec<(DbUuid, DbUuid)>> {
    Ok(record_refs::table
        .inner_join(records::table.on(records::id.eq(record_refs::record_id)))
        .filter(record_refs::ref_id.eq(id))
        .filter(records::kind.eq(RecordKind::Shipment.as_str()))
        .select((record_refs::record_id, records::owner_agency_id))
        .distinct()
        .load(conn)?)
}

/// Copies again what a shipment inherits from the records it refers to,
/// after it or one of them changed.
fn inherit_again(conn: &mut DbConnection, shipment: DbUuid, owner: DbUuid) -> Result<()> {
    let referenced: Vec<(DbUuid, String)> = record_refs::table
        .filter(record_refs::record_id.eq(shipment))
        .select((record_refs::ref_id, record_refs::ref_kind))
        .load(conn)?;
    let inherited = Inherited::load(
        conn,
        &HashMap::new(),
        std::iter::once((
            shipment.0,
            owner,
            referenced
                .iter()
                .map(|(r, kind)| (r.0, kind.as_str()))
                .collect(),
        )),
    )?;
    diesel::update(records::table.filter(records::id.eq(shipment)))
        .set(records::related_text.eq(inherited.related_text(shipment.0)))
        .execute(conn)?;
    diesel::delete(
        record_identifiers::table
            .filter(record_identifiers::record_id.eq(shipment))
            .filter(record_identifiers::derived.eq(true)),
    )
    .execute(conn)?;
    together(conn, |conn, inserts| {
        inherited.insert_identifiers(conn, inserts)
    })
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
