//! Registry records: one table for ownership, sharing, versions and
//! withdrawal of parties, chemicals, equipment, die molds and shipments,
//! plus the per-kind indexes that search and deconfliction read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::policy::{RecordMeta, Visibility};
use interdict_domain::record::{Facts, RecordIndex, RecordKind};
use interdict_domain::sharing::Scope;
use uuid::Uuid;

use crate::db::MultiBackend;
use crate::schema::{
    chemical_facts, die_mold_facts, equipment_facts, party_facts, record_identifiers, record_refs,
    record_versions, records, shipment_facts, users,
};
use crate::{now, DbConnection, DbUuid};

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
    pub search_text: String,
    pub related_text: String,
    pub created_by: Option<DbUuid>,
    pub created_at: NaiveDateTime,
    pub updated_by: Option<DbUuid>,
    pub updated_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<DbUuid>,
    pub withdrawn_reason: Option<String>,
}

impl RecordRow {
    pub fn scope(&self) -> Scope {
        match (self.scope_kind.as_str(), self.scope_task_force_id) {
            ("all", _) => Scope::All,
            ("task_force", Some(tf)) => Scope::TaskForce(tf.0),
            _ => Scope::Agency,
        }
    }

    pub fn meta(&self) -> RecordMeta {
        RecordMeta {
            owner_agency: self.owner_agency_id.0,
            scope: self.scope(),
            withdrawn: self.withdrawn_at.is_some(),
        }
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
) -> QueryResult<Option<RecordRow>> {
    visible(records::table.into_boxed(), visibility)
        .filter(records::id.eq(DbUuid(id)))
        .filter(records::kind.eq(kind.as_str()))
        .select(RecordRow::as_select())
        .first(conn)
        .optional()
}

/// What a caller writes: the canonical document and its index.
pub struct Write<'a> {
    pub body: String,
    pub index: &'a RecordIndex,
    pub scope: Scope,
    pub actor: Uuid,
}

pub fn create(
    conn: &mut DbConnection,
    id: Uuid,
    kind: RecordKind,
    owner: Uuid,
    write: &Write<'_>,
) -> QueryResult<RecordRow> {
    let at = now();
    let (scope_kind, scope_task_force_id) = scope_columns(write.scope);
    let row = RecordRow {
        id: DbUuid(id),
        kind: kind.as_str().to_owned(),
        owner_agency_id: DbUuid(owner),
        scope_kind: scope_kind.to_owned(),
        scope_task_force_id,
        version: 1,
        body: write.body.clone(),
        search_text: write.index.search_text.clone(),
        related_text: String::new(),
        created_by: Some(DbUuid(write.actor)),
        created_at: at,
        updated_by: Some(DbUuid(write.actor)),
        updated_at: at,
        withdrawn_at: None,
        withdrawn_by: None,
        withdrawn_reason: None,
    };
    diesel::insert_into(records::table)
        .values(&row)
        .execute(conn)?;
    record_version(conn, &row, "create", None)?;
    write_index(conn, &row, write.index)?;
    refresh(conn, &row)
}

/// Replaces the document if the row is still at `expected_version`;
/// `None` when someone else changed it first.
pub fn update(
    conn: &mut DbConnection,
    current: &RecordRow,
    expected_version: i64,
    write: &Write<'_>,
) -> QueryResult<Option<RecordRow>> {
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
    write_index(conn, &row, write.index)?;
    let row = refresh(conn, &row)?;
    // Shipments that mention this record search by its names and identifiers.
    for shipment in referring_shipments(conn, row.id.0)? {
        let shipment = reload(conn, shipment)?;
        refresh(conn, &shipment)?;
    }
    Ok(Some(row))
}

/// Withdraws a record: it stays, with the reason, visible to auditors.
pub fn withdraw(
    conn: &mut DbConnection,
    current: &RecordRow,
    reason: &str,
    actor: Uuid,
) -> QueryResult<RecordRow> {
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
    Ok(row)
}

fn reload(conn: &mut DbConnection, id: Uuid) -> QueryResult<RecordRow> {
    records::table
        .find(DbUuid(id))
        .select(RecordRow::as_select())
        .first(conn)
}

fn record_version(
    conn: &mut DbConnection,
    row: &RecordRow,
    change: &str,
    reason: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(record_versions::table)
        .values((
            record_versions::record_id.eq(row.id),
            record_versions::version.eq(row.version),
            record_versions::change.eq(change),
            record_versions::changed_by.eq(row.updated_by),
            record_versions::changed_at.eq(row.updated_at),
            record_versions::reason.eq(reason),
            record_versions::scope.eq(row.scope().to_string()),
            record_versions::body.eq(&row.body),
        ))
        .execute(conn)
        .map(|_| ())
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

pub fn history(conn: &mut DbConnection, id: Uuid) -> QueryResult<Vec<VersionRow>> {
    record_versions::table
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
        .load(conn)
}

/// Rewrites the record's own identifiers, references and facts.
fn write_index(conn: &mut DbConnection, row: &RecordRow, index: &RecordIndex) -> QueryResult<()> {
    diesel::delete(
        record_identifiers::table
            .filter(record_identifiers::record_id.eq(row.id))
            .filter(record_identifiers::derived.eq(false)),
    )
    .execute(conn)?;
    for identifier in &index.identifiers {
        diesel::insert_into(record_identifiers::table)
            .values((
                record_identifiers::record_id.eq(row.id),
                record_identifiers::kind.eq(identifier.kind.as_str()),
                record_identifiers::value.eq(&identifier.value),
                record_identifiers::owner_agency_id.eq(row.owner_agency_id),
                record_identifiers::derived.eq(false),
            ))
            .execute(conn)?;
    }
    diesel::delete(record_refs::table.filter(record_refs::record_id.eq(row.id))).execute(conn)?;
    let mut seen = std::collections::HashSet::new();
    for reference in &index.references {
        if !seen.insert((reference.id, reference.role.clone())) {
            continue;
        }
        diesel::insert_into(record_refs::table)
            .values((
                record_refs::record_id.eq(row.id),
                record_refs::ref_kind.eq(reference.kind.as_str()),
                record_refs::ref_id.eq(DbUuid(reference.id)),
                record_refs::role.eq(&reference.role),
            ))
            .execute(conn)?;
    }
    write_facts(conn, row.id, &index.facts)
}

fn write_facts(conn: &mut DbConnection, id: DbUuid, facts: &Facts) -> QueryResult<()> {
    match facts {
        Facts::Party { kind, country } => {
            diesel::delete(party_facts::table.find(id)).execute(conn)?;
            diesel::insert_into(party_facts::table)
                .values((
                    party_facts::record_id.eq(id),
                    party_facts::party_kind.eq(kind),
                    party_facts::country.eq(country),
                ))
                .execute(conn)?;
        }
        Facts::Chemical {
            cas,
            us_control,
            un_table,
        } => {
            diesel::delete(chemical_facts::table.find(id)).execute(conn)?;
            diesel::insert_into(chemical_facts::table)
                .values((
                    chemical_facts::record_id.eq(id),
                    chemical_facts::cas.eq(cas),
                    chemical_facts::us_control.eq(us_control),
                    chemical_facts::un_table.eq(un_table),
                ))
                .execute(conn)?;
        }
        Facts::Equipment {
            kind,
            markings_removed,
        } => {
            diesel::delete(equipment_facts::table.find(id)).execute(conn)?;
            diesel::insert_into(equipment_facts::table)
                .values((
                    equipment_facts::record_id.eq(id),
                    equipment_facts::equipment_kind.eq(kind),
                    equipment_facts::markings_removed.eq(markings_removed),
                ))
                .execute(conn)?;
        }
        Facts::DieMold { shape } => {
            diesel::delete(die_mold_facts::table.find(id)).execute(conn)?;
            diesel::insert_into(die_mold_facts::table)
                .values((
                    die_mold_facts::record_id.eq(id),
                    die_mold_facts::shape.eq(shape),
                ))
                .execute(conn)?;
        }
        Facts::Shipment {
            incident_type,
            status,
            mode,
            origin_country,
            destination_country,
            destination_subdivision,
            shipped_at,
        } => {
            diesel::delete(shipment_facts::table.find(id)).execute(conn)?;
            diesel::insert_into(shipment_facts::table)
                .values((
                    shipment_facts::record_id.eq(id),
                    shipment_facts::incident_type.eq(incident_type),
                    shipment_facts::status.eq(status),
                    shipment_facts::mode.eq(mode),
                    shipment_facts::origin_country.eq(origin_country),
                    shipment_facts::destination_country.eq(destination_country),
                    shipment_facts::destination_subdivision.eq(destination_subdivision),
                    shipment_facts::shipped_at.eq(shipped_at.map(|t| t.naive_utc())),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn referring_shipments(conn: &mut DbConnection, id: Uuid) -> QueryResult<Vec<Uuid>> {
    record_refs::table
        .inner_join(records::table.on(records::id.eq(record_refs::record_id)))
        .filter(record_refs::ref_id.eq(DbUuid(id)))
        .filter(records::kind.eq(RecordKind::Shipment.as_str()))
        .select(record_refs::record_id)
        .distinct()
        .load::<DbUuid>(conn)
        .map(|ids| ids.into_iter().map(Uuid::from).collect())
}

/// For a shipment, copies what it inherits from the records it refers to:
/// their parties' names into `related_text`, and equipment serials and die
/// imprints as derived identifiers, so a shipment is found by them.
fn refresh(conn: &mut DbConnection, row: &RecordRow) -> QueryResult<RecordRow> {
    if row.kind != RecordKind::Shipment.as_str() {
        return Ok(row.clone());
    }
    let referenced: Vec<DbUuid> = record_refs::table
        .filter(record_refs::record_id.eq(row.id))
        .select(record_refs::ref_id)
        .load(conn)?;
    let names: Vec<String> = records::table
        .filter(records::id.eq_any(&referenced))
        .filter(records::kind.eq(RecordKind::Party.as_str()))
        .select(records::search_text)
        .load(conn)?;
    let related_text = names.join(" | ");
    diesel::update(records::table.filter(records::id.eq(row.id)))
        .set(records::related_text.eq(&related_text))
        .execute(conn)?;
    diesel::delete(
        record_identifiers::table
            .filter(record_identifiers::record_id.eq(row.id))
            .filter(record_identifiers::derived.eq(true)),
    )
    .execute(conn)?;
    let inherited: Vec<(String, String)> = record_identifiers::table
        .filter(record_identifiers::record_id.eq_any(&referenced))
        .filter(record_identifiers::derived.eq(false))
        .filter(record_identifiers::kind.eq_any([
            IdentifierKind::Serial.as_str(),
            IdentifierKind::Imprint.as_str(),
        ]))
        .select((record_identifiers::kind, record_identifiers::value))
        .distinct()
        .load(conn)?;
    for (kind, value) in inherited {
        diesel::insert_into(record_identifiers::table)
            .values((
                record_identifiers::record_id.eq(row.id),
                record_identifiers::kind.eq(kind),
                record_identifiers::value.eq(value),
                record_identifiers::owner_agency_id.eq(row.owner_agency_id),
                record_identifiers::derived.eq(true),
            ))
            .execute(conn)?;
    }
    Ok(RecordRow {
        related_text,
        ..row.clone()
    })
}

/// The owner agency of any record, for placeholders that show whom to ask.
pub fn owner_of(conn: &mut DbConnection, id: Uuid) -> QueryResult<Option<Uuid>> {
    records::table
        .find(DbUuid(id))
        .select(records::owner_agency_id)
        .first::<DbUuid>(conn)
        .optional()
        .map(|o| o.map(Uuid::from))
}
