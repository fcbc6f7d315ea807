//! What the risk rules found on each shipment, kept beside it so a read or
//! an export weighs it instead of gathering the shipment's profile again.
//!
//! A shipment without kept findings (written before they were kept) is
//! assessed from its profile when read, so the answer is the same either
//! way; so is a shipment read in a transaction whose [`Refresh`] still
//! waits to be settled.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::policy::Visibility;
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self, Finding};
use interdict_domain::shipment::ShipmentInput;
use std::collections::HashMap;
use uuid::Uuid;

use super::profile::Profiler;
use super::refresh::Refresh;
use crate::native::native;
use crate::records::RecordRow;
use crate::schema::{record_refs, records, risk_findings};
use crate::search::{self, Search};
use crate::visibility::visible;
use crate::CHUNK;
use crate::{DbConnection, DbUuid, Result};

/// What the rules find on each of `shipments` (just written), in their
/// order: `refresh` is settled first, then the kept findings read.
pub fn current(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    shipments: &[Uuid],
) -> Result<Vec<Vec<Finding>>> {
    refresh.settle(conn)?;
    let mut kept = kept(conn, shipments.iter().copied())?;
    Ok(shipments
        .iter()
        .map(|id| kept.remove(id).unwrap_or_default())
        .collect())
}

/// What the rules find on a shipment written in the running transaction,
/// from its document as written: computed, as its kept findings wait for
/// the end of the transaction. `profiler`: what was read for it before the
/// write ([`Profiler::prepare_new`]), if anything; `noticed`: whether the
/// write made a deconfliction notice on it.
pub fn of_new(
    conn: &mut DbConnection,
    mut profiler: Profiler,
    id: Uuid,
    body: &str,
    noticed: bool,
) -> Result<Vec<Finding>> {
    let input: Option<ShipmentInput> = serde_json::from_str(body).ok();
    let profile = profiler.profile_of_new(conn, id, input.as_ref(), noticed)?;
    Ok(risk::findings(&profile))
}

impl Profiler {
    /// What the rules found on each of `found`, as [`search_kept`] read
    /// them, in their order: only the shipments without usable kept
    /// findings have their documents parsed and profiled. `pending`: the
    /// refreshes waiting in the caller's transaction, if it writes.
    pub fn findings_of_kept(
        &mut self,
        conn: &mut DbConnection,
        found: &[(ListedShipment, Option<String>)],
        pending: Option<&Refresh>,
    ) -> Result<Vec<Vec<Finding>>> {
        let documents: Vec<(Uuid, &str, Option<&str>)> = found
            .iter()
            .map(|(row, text)| (row.id.0, row.body.as_str(), text.as_deref()))
            .collect();
        self.given_kept(conn, &documents, pending)
    }

    /// What the rules found on each of `documents` (id, document, kept
    /// findings as stored, read with it): the kept findings unless a
    /// refresh waits, the profile's otherwise. Only the documents without
    /// usable kept findings are parsed.
    fn given_kept(
        &mut self,
        conn: &mut DbConnection,
        documents: &[(Uuid, &str, Option<&str>)],
        pending: Option<&Refresh>,
    ) -> Result<Vec<Vec<Finding>>> {
        let trusted = !pending.is_some_and(Refresh::waiting);
        let kept: HashMap<Uuid, Vec<Finding>> = documents
            .iter()
            .filter(|_| trusted)
            .filter_map(|(id, _, text)| Some((*id, serde_json::from_str((*text)?).ok()?)))
            .collect();
        let parsed: Vec<(Uuid, Option<ShipmentInput>)> = documents
            .iter()
            .map(|(id, body, _)| match kept.contains_key(id) {
                true => (*id, None),
                false => (*id, serde_json::from_str(body).ok()),
            })
            .collect();
        let rows: Vec<(Uuid, Option<&ShipmentInput>)> = parsed
            .iter()
            .map(|(id, input)| (*id, input.as_ref()))
            .collect();
        self.complete(conn, &rows, kept)
    }

    /// The findings of `rows`: those in `kept`, the others from profiles.
    fn complete(
        &mut self,
        conn: &mut DbConnection,
        rows: &[(Uuid, Option<&ShipmentInput>)],
        mut kept: HashMap<Uuid, Vec<Finding>>,
    ) -> Result<Vec<Vec<Finding>>> {
        let missing: Vec<(Uuid, Option<&ShipmentInput>)> = rows
            .iter()
            .filter(|(id, _)| !kept.contains_key(id))
            .copied()
            .collect();
        if !missing.is_empty() {
            let profiles = self.profiles_of(conn, &missing)?;
            for ((id, _), profile) in missing.iter().zip(&profiles) {
                kept.insert(*id, risk::findings(profile));
            }
        }
        Ok(rows
            .iter()
            .map(|(id, _)| kept.remove(id).unwrap_or_default())
            .collect())
    }
}

/// The page of shipments `search` finds, each with its kept findings as
/// stored (`None` if it has none), in one statement; weighed apart by
/// [`Profiler::findings_of_kept`], so a caller can read the next page while
/// another thread weighs this one.
pub fn search_kept(
    conn: &mut DbConnection,
    visibility: &Visibility,
    search: &Search,
) -> Result<Vec<(ListedShipment, Option<String>)>> {
    Ok(search::matching(RecordKind::Shipment, visibility, search)
        .select((ListedShipment::as_select(), kept_text()))
        .load(conn)?)
}

/// The findings kept for the record of the enclosing query, as stored.
#[diesel::dsl::auto_type]
fn kept_text() -> _ {
    risk_findings::table
        .filter(risk_findings::record_id.eq(records::id))
        .select(risk_findings::findings)
        .single_value()
}

/// The columns a listing of shipments shows: not the search text nor who
/// last changed what.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct ListedShipment {
    pub id: DbUuid,
    pub owner_agency_id: DbUuid,
    pub created_at: NaiveDateTime,
    pub body: String,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_reason: Option<String>,
    pub reference: Option<String>,
}

/// A shipment `visibility` lets the caller see, with what the rules found
/// on it: the record and its kept findings in one statement (a read's
/// round trips are most of its cost on PostgreSQL). `pending`: the
/// refreshes waiting in the caller's transaction, if it writes.
pub fn find_visible_shipment(
    conn: &mut DbConnection,
    id: Uuid,
    visibility: &Visibility,
    pending: Option<&Refresh>,
) -> Result<Option<(RecordRow, Vec<Finding>)>> {
    let found: Option<(RecordRow, Option<String>)> =
        visible(records::table.into_boxed(), visibility)
            .filter(records::id.eq(DbUuid(id)))
            .filter(records::kind.eq(RecordKind::Shipment.as_str()))
            .select((RecordRow::as_select(), kept_text()))
            .get_result(conn)
            .optional()?;
    let Some((row, text)) = found else {
        return Ok(None);
    };
    let findings = Profiler::default()
        .given_kept(conn, &[(id, row.body.as_str(), text.as_deref())], pending)?
        .pop()
        .unwrap_or_default();
    Ok(Some((row, findings)))
}

/// A catalogue entry a line names: id, kind, document.
type Catalogued = (DbUuid, String, String);

/// A shipment as a reader is shown it: the record, what the rules found on
/// it, and the catalogue entries its lines name (put in `profiler`, for
/// [`Profiler::lines_of`]), in one statement, as a read's round trips are
/// most of its cost on PostgreSQL. It is read whoever may see it: the
/// caller decides with the policy, from the row, before it shows anything.
pub fn read_shipment(
    conn: &mut DbConnection,
    id: Uuid,
    profiler: &mut Profiler,
) -> Result<Option<(RecordRow, Vec<Finding>)>> {
    let items = diesel::alias!(records as line_items);
    let rows: Vec<(RecordRow, Option<String>, Option<Catalogued>)> =
        native!(conn, |c| records::table
            .left_join(
                record_refs::table.on(record_refs::record_id
                    .eq(records::id)
                    .and(record_refs::ref_kind.ne(RecordKind::Party.as_str()))),
            )
            .left_join(items.on(items.field(records::id).eq(record_refs::ref_id)))
            .filter(records::id.eq(DbUuid(id)))
            .filter(records::kind.eq(RecordKind::Shipment.as_str()))
            .select((
                RecordRow::as_select(),
                kept_text(),
                items
                    .fields((records::id, records::kind, records::body))
                    .nullable(),
            ))
            .load(c))?;
    let mut rows = rows.into_iter();
    let Some((row, text, first)) = rows.next() else {
        return Ok(None);
    };
    profiler.keep_items(
        first
            .into_iter()
            .chain(rows.filter_map(|(_, _, item)| item))
            .map(|(id, kind, body)| (id.0, kind, body)),
    );
    let findings = profiler
        .given_kept(conn, &[(id, row.body.as_str(), text.as_deref())], None)?
        .pop()
        .unwrap_or_default();
    Ok(Some((row, findings)))
}

/// The kept findings of those of `ids` that have readable ones.
fn kept(
    conn: &mut DbConnection,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Vec<Finding>>> {
    let ids: Vec<DbUuid> = ids.map(DbUuid).collect();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(DbUuid, String)> = risk_findings::table
            .filter(risk_findings::record_id.eq_any(chunk))
            .select((risk_findings::record_id, risk_findings::findings))
            .load(conn)?;
        found.extend(
            rows.into_iter()
                .filter_map(|(id, text)| serde_json::from_str(&text).ok().map(|f| (id.0, f))),
        );
    }
    Ok(found)
}
