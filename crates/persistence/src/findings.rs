//! What the risk rules found on each shipment, kept beside it so a read or
//! an export weighs it instead of gathering the shipment's profile again.
//!
//! A shipment's findings depend on more than its own document: the
//! catalogue entries, presses and dies its lines name, whether another
//! agency holds a record sharing one of its identifiers, whether its
//! consignor was named on an earlier live shipment, and how many links
//! continue it. Every write that changes one of those refreshes the
//! shipments it affects, in the same transaction:
//! - a shipment written, changed or withdrawn, and the first two live
//!   shipments of each of its consignors, the only ones whose "first seen"
//!   can change (`records`);
//! - the shipments naming a changed record (`records::update`);
//! - the shipments a new deconfliction notice touches (`deconfliction`);
//! - the shipment a link continues (`chains`).
//!
//! A shipment without kept findings (written before they were kept) is
//! assessed from its profile when read, so the answer is the same either
//! way; so is a shipment read while a refresh waits for the end of a
//! [`batched`] run.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::policy::Visibility;
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self, Finding};
use interdict_domain::shipment::{PartyRole, ShipmentInput};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::profiles::Profiler;
use crate::records::{visible, RecordRow, CHUNK};
use crate::schema::{party_facts, record_refs, records, risk_findings};
use crate::search::{self, Search};
use crate::{DbConnection, DbUuid, Result};

thread_local! {
    /// Inside [`batched`]: what waits for its end.
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// The refreshes a batch has asked for, settled once at its end.
#[derive(Debug, Clone, Default)]
struct Pending {
    /// Shipments to refresh.
    shipments: HashSet<Uuid>,
    /// Shipments whose consignors' first two live shipments to refresh too,
    /// as named when the batch ends.
    around: HashSet<Uuid>,
    /// Consignors named before a change, whose first two to refresh too.
    consignors: HashSet<Uuid>,
}

/// Runs `work`, a transaction's worth of writes, refreshing each shipment
/// they affect once at the end instead of after every step: a bulk load
/// writes a batch's shipments, then their links, then its deconfliction
/// notices, and each step would otherwise assess the batch again; the
/// audit writer runs many requests' actions in one transaction. While a
/// refresh waits, [`Profiler::findings_of`] computes findings rather than
/// read kept ones, which may be stale; [`current`] settles first. Nested
/// calls join the outer one.
pub fn batched<T, E: From<crate::Error>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    let outermost = PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        pending.is_none() && pending.replace(Pending::default()).is_none()
    });
    if !outermost {
        return work(conn);
    }
    /// Ends the batch however `work` ends, a panic included.
    struct End;
    impl Drop for End {
        fn drop(&mut self) {
            PENDING.with(|p| p.borrow_mut().take());
        }
    }
    let end = End;
    let done = work(conn)?;
    let pending = PENDING.with(|p| p.borrow_mut().take()).unwrap_or_default();
    drop(end);
    settle(conn, pending)?;
    Ok(done)
}

/// Whether refreshes wait for the end of a [`batched`] run; if so, `defer`
/// has been given its pending set.
fn deferred(defer: impl FnOnce(&mut Pending)) -> bool {
    PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(pending) => {
            defer(pending);
            true
        }
        None => false,
    })
}

/// Whether a refresh is waiting for the end of a batch, so that kept
/// findings may be stale.
fn waiting() -> bool {
    PENDING.with(|p| {
        p.borrow()
            .as_ref()
            .is_some_and(|p| !(p.shipments.is_empty() && p.consignors.is_empty()))
    })
}

impl Pending {
    fn absorb(&mut self, other: Pending) {
        self.shipments.extend(other.shipments);
        self.around.extend(other.around);
        self.consignors.extend(other.consignors);
    }
}

/// The refreshes waiting when a savepoint was taken; see [`rolled_back`].
#[derive(Debug, Clone, Default)]
pub struct Waiting(Option<Pending>);

/// What waits now, to hand to [`rolled_back`] if the savepoint taken next
/// is rolled back.
pub fn waiting_at_savepoint() -> Waiting {
    Waiting(PENDING.with(|p| p.borrow().clone()))
}

/// After a rollback to a savepoint: a [`flush`] inside it settled what was
/// waiting, and that work is undone, so it waits again.
pub fn rolled_back(waiting: Waiting) {
    let Waiting(Some(before)) = waiting else {
        return;
    };
    PENDING.with(|p| {
        if let Some(pending) = p.borrow_mut().as_mut() {
            pending.absorb(before);
        }
    });
}

/// Settles the refreshes waiting in the enclosing [`batched`] run now,
/// so that kept findings are current again.
pub fn flush(conn: &mut DbConnection) -> Result<()> {
    let pending = PENDING.with(|p| p.borrow_mut().as_mut().map(std::mem::take));
    match pending {
        Some(pending) => settle(conn, pending),
        None => Ok(()),
    }
}

/// What the rules find on each of `shipments` (just written), in their
/// order: waiting refreshes are settled, then the kept findings read.
pub fn current(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<Vec<Vec<Finding>>> {
    flush(conn)?;
    let mut kept = kept(conn, shipments.iter().copied())?;
    Ok(shipments
        .iter()
        .map(|id| kept.remove(id).unwrap_or_default())
        .collect())
}

/// What the rules find on a shipment written in the running transaction,
/// from its document as written: computed, as its kept findings wait for
/// the end of the batch.
pub fn of_new(conn: &mut DbConnection, id: Uuid, body: &str) -> Result<Vec<Finding>> {
    let input: Option<ShipmentInput> = serde_json::from_str(body).ok();
    let profile = Profiler::default().profile_of_new(conn, id, input.as_ref())?;
    Ok(risk::findings(&profile))
}

/// Recomputes and keeps the findings of `shipments` (ids of other kinds
/// are ignored), now or at the end of the enclosing [`batched`].
pub fn refresh(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<()> {
    if deferred(|pending| pending.shipments.extend(shipments)) {
        return Ok(());
    }
    compute(conn, distinct(shipments.iter().copied()))
}

/// [`refresh`] for `shipments` and for the first two live shipments of
/// each consignor they name, plus of `former` consignors (named before a
/// change): adding, changing or withdrawing a shipment can only change
/// "first seen" on those.
pub fn refresh_around(conn: &mut DbConnection, shipments: &[Uuid], former: &[Uuid]) -> Result<()> {
    let waits = deferred(|pending| {
        pending.shipments.extend(shipments);
        pending.around.extend(shipments);
        pending.consignors.extend(former);
    });
    if waits {
        return Ok(());
    }
    settle(
        conn,
        Pending {
            shipments: shipments.iter().copied().collect(),
            around: shipments.iter().copied().collect(),
            consignors: former.iter().copied().collect(),
        },
    )
}

fn settle(conn: &mut DbConnection, pending: Pending) -> Result<()> {
    let Pending {
        mut shipments,
        around,
        mut consignors,
    } = pending;
    if !around.is_empty() {
        let around: Vec<Uuid> = around.into_iter().collect();
        consignors.extend(consignors_of(conn, &around)?);
    }
    if !consignors.is_empty() {
        shipments.extend(first_two(conn, &distinct(consignors.into_iter()))?);
    }
    compute(conn, shipments.into_iter().map(DbUuid).collect())
}

fn compute(conn: &mut DbConnection, ids: Vec<DbUuid>) -> Result<()> {
    let mut profiler = Profiler::default();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(DbUuid, String)> = records::table
            .filter(records::id.eq_any(chunk))
            .filter(records::kind.eq("shipment"))
            .select((records::id, records::body))
            .load(conn)?;
        let bodies: Vec<(Uuid, &str)> = rows.iter().map(|(id, b)| (id.0, b.as_str())).collect();
        let profiles = profiler.profiles(conn, &bodies)?;
        let mut kept = Vec::with_capacity(rows.len());
        for ((id, _), profile) in rows.iter().zip(&profiles) {
            let findings = serde_json::to_string(&risk::findings(profile))
                .map_err(|e| crate::Error::Other(format!("cannot keep findings: {e}")))?;
            kept.push((
                risk_findings::record_id.eq(*id),
                risk_findings::findings.eq(findings),
            ));
        }
        diesel::delete(risk_findings::table.filter(risk_findings::record_id.eq_any(chunk)))
            .execute(conn)?;
        crate::inserts::insert_rows!(conn, risk_findings::table, kept);
    }
    Ok(())
}

/// The consignors `shipments` name, as indexed.
pub fn consignors_of(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut found = Vec::new();
    for chunk in distinct(shipments.iter().copied()).chunks(CHUNK) {
        let named: Vec<DbUuid> = record_refs::table
            .filter(record_refs::record_id.eq_any(chunk))
            .filter(record_refs::role.eq(PartyRole::Consignor.as_str()))
            .select(record_refs::ref_id)
            .load(conn)?;
        found.extend(named.into_iter().map(Uuid::from));
    }
    Ok(found)
}

/// The first two live shipments naming each of `consignors`.
fn first_two(conn: &mut DbConnection, consignors: &[DbUuid]) -> Result<Vec<Uuid>> {
    let mut found = Vec::new();
    for chunk in consignors.chunks(CHUNK) {
        let nth = |n: i64| {
            record_refs::table
                .inner_join(records::table.on(records::id.eq(record_refs::record_id)))
                .filter(record_refs::ref_id.eq(party_facts::record_id))
                .filter(record_refs::role.eq(PartyRole::Consignor.as_str()))
                .filter(records::withdrawn_at.is_null())
                .order(record_refs::record_id)
                .select(record_refs::record_id)
                .limit(1)
                .offset(n)
                .single_value()
        };
        let pairs: Vec<(Option<DbUuid>, Option<DbUuid>)> = party_facts::table
            .filter(party_facts::record_id.eq_any(chunk))
            .select((nth(0), nth(1)))
            .load(conn)?;
        found.extend(
            pairs
                .into_iter()
                .flat_map(|(a, b)| [a, b])
                .flatten()
                .map(Uuid::from),
        );
    }
    Ok(found)
}

/// The shipments naming any of `ids` (through a party or a line).
pub fn referring(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut found = Vec::new();
    for chunk in distinct(ids.iter().copied()).chunks(CHUNK) {
        let named: Vec<DbUuid> = record_refs::table
            .filter(record_refs::ref_id.eq_any(chunk))
            .select(record_refs::record_id)
            .load(conn)?;
        found.extend(named.into_iter().map(Uuid::from));
    }
    Ok(found)
}

impl Profiler {
    /// What the rules found on each of `found`, as [`search_kept`] read
    /// them, in their order: only the shipments without usable kept
    /// findings have their documents parsed and profiled.
    pub fn findings_of_kept(
        &mut self,
        conn: &mut DbConnection,
        found: &[(ListedShipment, Option<String>)],
    ) -> Result<Vec<Vec<Finding>>> {
        let documents: Vec<(Uuid, &str, Option<&str>)> = found
            .iter()
            .map(|(row, text)| (row.id.0, row.body.as_str(), text.as_deref()))
            .collect();
        self.given_kept(conn, &documents)
    }

    /// What the rules found on each of `documents` (id, document, kept
    /// findings as stored, read with it): the kept findings unless a
    /// refresh waits, the profile's otherwise. Only the documents without
    /// usable kept findings are parsed.
    fn given_kept(
        &mut self,
        conn: &mut DbConnection,
        documents: &[(Uuid, &str, Option<&str>)],
    ) -> Result<Vec<Vec<Finding>>> {
        let trusted = !waiting();
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
}

/// A shipment `visibility` lets the caller see, with what the rules found
/// on it: the record and its kept findings in one statement (a read's
/// round trips are most of its cost on PostgreSQL).
pub fn find_visible_shipment(
    conn: &mut DbConnection,
    id: Uuid,
    visibility: &Visibility,
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
        .given_kept(conn, &[(id, row.body.as_str(), text.as_deref())])?
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

fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<DbUuid> {
    ids.collect::<HashSet<_>>()
        .into_iter()
        .map(DbUuid)
        .collect()
}
