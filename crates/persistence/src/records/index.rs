//! A record's index: the identifiers, references and facts that search
//! and deconfliction read, and what a shipment inherits from the records
//! it names (its parties' names, its presses' serials, its dies'
//! imprints), written again when either side changes.

use diesel::prelude::*;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::record::{Facts, RecordIndex, RecordKind};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

use crate::bulk_insert::{insert_rows, together, Inserts};
use crate::schema::{
    chemical_facts, die_mold_facts, equipment_facts, party_facts, party_match_keys,
    record_identifiers, record_refs, records, shipment_facts,
};
use crate::{DbConnection, DbUuid, Result, CHUNK};

/// Removes a record's own identifiers, references and facts before they
/// are written again.
pub(super) fn clear_index(conn: &mut DbConnection, id: DbUuid) -> Result<()> {
    diesel::delete(
        record_identifiers::table
            .filter(record_identifiers::record_id.eq(id))
            .filter(record_identifiers::derived.eq(false)),
    )
    .execute(conn)?;
    diesel::delete(record_refs::table.filter(record_refs::record_id.eq(id))).execute(conn)?;
    diesel::delete(party_facts::table.find(id)).execute(conn)?;
    diesel::delete(party_match_keys::table.filter(party_match_keys::party_id.eq(id)))
        .execute(conn)?;
    diesel::delete(chemical_facts::table.find(id)).execute(conn)?;
    diesel::delete(equipment_facts::table.find(id)).execute(conn)?;
    diesel::delete(die_mold_facts::table.find(id)).execute(conn)?;
    diesel::delete(shipment_facts::table.find(id)).execute(conn)?;
    Ok(())
}

/// Writes the identifiers, references and facts of records, a chunk of
/// rows per statement.
pub(super) fn insert_index<'a>(
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
    let mut keys = Vec::new();
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
                match_keys,
            } => {
                parties.push((
                    party_facts::record_id.eq(id),
                    party_facts::party_kind.eq(kind.as_str()),
                    party_facts::country.eq(country.as_deref()),
                    party_facts::name_key.eq(Some(name_key.as_str())),
                ));
                let mut seen = HashSet::new();
                for key in match_keys {
                    if seen.insert(key.as_str()) {
                        keys.push((
                            party_match_keys::match_key.eq(key.as_str()),
                            party_match_keys::party_id.eq(id),
                        ));
                    }
                }
            }
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
    insert_rows!(inserts, conn, party_match_keys::table, keys);
    insert_rows!(inserts, conn, chemical_facts::table, chemicals);
    insert_rows!(inserts, conn, equipment_facts::table, equipment);
    insert_rows!(inserts, conn, die_mold_facts::table, dies);
    insert_rows!(inserts, conn, shipment_facts::table, shipments);
    Ok(())
}

/// What shipments take from the records they refer to: their parties'
/// names as `related_text`, and equipment serials and die imprints as
/// derived identifiers, so a shipment is found by them.
pub(super) struct Inherited {
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
    pub(super) fn load<'a>(
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

    pub(super) fn related_text(&self, shipment: Uuid) -> String {
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
    pub(super) fn insert_identifiers<'a>(
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
pub(crate) fn referring_shipments(
    conn: &mut DbConnection,
    id: DbUuid,
) -> Result<Vec<(DbUuid, DbUuid)>> {
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
pub(super) fn inherit_again(
    conn: &mut DbConnection,
    shipment: DbUuid,
    owner: DbUuid,
) -> Result<()> {
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
