//! Keeping each shipment's kept findings current.
//!
//! A shipment's findings depend on more than its own document: the
//! catalogue entries, presses and dies its lines name, whether another
//! agency holds a record sharing one of its identifiers, whether its
//! consignor was named on an earlier live shipment, and how many links
//! continue it. Every write that changes one of those asks, in the
//! [`Refresh`] its caller hands it, for the shipments it affects:
//! - a shipment written, changed or withdrawn, and those of the first two
//!   live shipments of each of its consignors that have a later id: the
//!   only ones whose "first seen" can change (`records`);
//! - the shipments naming a changed record (`records::update`);
//! - the shipments a new deconfliction notice touches (`deconfliction`);
//! - the shipment a link continues (`chains`);
//! - for a shipment changed or withdrawn, or written with a chemical line,
//!   the shipments to the same consignee later in the same calendar month,
//!   whose cumulative monthly quantity it counts in (`around`; a new
//!   shipment without a chemical line counts in no monthly total).
//!
//! The refreshes wait in the `Refresh` and are settled once, at the end of
//! the transaction: the audit writer settles one `Refresh` per batch, so a
//! bulk load that writes a batch's shipments, then their links, then its
//! notices, or many requests' actions committed together, assess each
//! shipment once rather than after every step. While refreshes wait, kept
//! findings may be stale, so reads in the same transaction compute instead
//! (see `kept`).

use diesel::prelude::*;
use interdict_domain::risk;
use interdict_domain::shipment::PartyRole;
use std::collections::HashSet;
use uuid::Uuid;

use super::profile::Profiler;
use crate::in_list::in_list;
use crate::native::native;
use crate::schema::{party_facts, record_refs, records, risk_findings, shipment_facts};
use crate::CHUNK;
use crate::{DbConnection, DbUuid, Error, Result};

/// The refreshes a transaction's writes have asked for, settled once at
/// its end. Handed explicitly to every write that asks for one.
#[derive(Debug, Clone, Default)]
pub struct Refresh {
    /// Shipments to refresh.
    shipments: HashSet<Uuid>,
    /// Shipments changed or withdrawn, whose consignors' first two live
    /// shipments to refresh too, as named when the refreshes are settled,
    /// and the later shipments of the month to their consignees.
    around: HashSet<Uuid>,
    /// Shipments written for the first time (their consignors are in
    /// `consignors` already).
    created: HashSet<Uuid>,
    /// Those of `created` with a chemical line, which monthly totals of
    /// later shipments to the same consignee count.
    monthly: HashSet<Uuid>,
    /// Consignors named before a change, or by a new shipment, whose first
    /// two to refresh too.
    consignors: HashSet<Uuid>,
}

impl Refresh {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a refresh waits, so that kept findings may be stale.
    pub fn waiting(&self) -> bool {
        !(self.shipments.is_empty() && self.consignors.is_empty())
    }

    /// Asks for `shipments` (ids of other kinds are ignored) to be
    /// recomputed.
    pub(crate) fn shipments(&mut self, shipments: &[Uuid]) {
        self.shipments.extend(shipments);
    }

    /// [`Refresh::shipments`], and for the first two live shipments of each
    /// consignor they name, plus of `former` consignors (named before a
    /// change): adding, changing or withdrawing a shipment can only change
    /// "first seen" on those.
    pub(crate) fn around(&mut self, shipments: &[Uuid], former: &[Uuid]) {
        self.shipments.extend(shipments);
        self.around.extend(shipments);
        self.consignors.extend(former);
    }

    /// [`Refresh::around`] for shipments written for the first time, given
    /// the consignors they name (so they are not read back) and which of
    /// them carry a chemical line: only those count in another shipment's
    /// monthly total.
    pub(crate) fn created(&mut self, shipments: &[Uuid], monthly: &[Uuid], consignors: &[Uuid]) {
        self.shipments.extend(shipments);
        self.created.extend(shipments);
        self.monthly.extend(monthly);
        self.consignors.extend(consignors);
    }

    /// After a rollback to a savepoint taken while `before` waited: a
    /// [`Refresh::settle`] inside it settled what was waiting, and that work
    /// is undone, so it waits again.
    pub fn rolled_back(&mut self, before: Refresh) {
        self.shipments.extend(before.shipments);
        self.around.extend(before.around);
        self.created.extend(before.created);
        self.monthly.extend(before.monthly);
        self.consignors.extend(before.consignors);
    }

    /// Recomputes and keeps the findings of every shipment waiting, now,
    /// so that kept findings are current again.
    pub fn settle(&mut self, conn: &mut DbConnection) -> Result<()> {
        let Refresh {
            mut shipments,
            around,
            created,
            monthly,
            mut consignors,
        } = std::mem::take(self);
        // "First seen" asks whether a live shipment with an earlier id
        // names the consignor: writing shipment x changes the answer only
        // for shipments with ids above x's. A new shipment's id (version
        // 7, from the clock) is normally above every other's, so an import
        // refreshes none of its consignors' earlier shipments.
        let earliest = around.iter().chain(&created).min().copied();
        let around: Vec<Uuid> = around.into_iter().collect();
        if !around.is_empty() {
            consignors.extend(consignors_of(conn, &around)?);
        }
        let monthly: Vec<Uuid> = around.into_iter().chain(monthly).collect();
        if !monthly.is_empty() {
            shipments.extend(later_in_month(conn, &monthly)?);
        }
        if !consignors.is_empty() {
            let firsts = first_two(conn, &distinct(consignors.into_iter()))?;
            shipments.extend(
                firsts
                    .into_iter()
                    .filter(|first| earliest.is_none_or(|written| *first > written)),
            );
        }
        compute(conn, shipments.into_iter().map(DbUuid).collect())
    }
}

/// Runs `work`, a transaction's worth of writes, and settles the refreshes
/// they ask for once it is done: for writes outside the audit writer,
/// which settles one [`Refresh`] per batch.
pub fn settled<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection, &mut Refresh) -> Result<T>,
) -> Result<T> {
    let mut refresh = Refresh::new();
    let done = work(conn, &mut refresh)?;
    refresh.settle(conn)?;
    Ok(done)
}

fn compute(conn: &mut DbConnection, ids: Vec<DbUuid>) -> Result<()> {
    let mut profiler = Profiler::default();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(DbUuid, String)> = in_list!(conn, records::id, chunk, |id| records::table
            .filter(id)
            .filter(records::kind.eq("shipment"))
            .select((records::id, records::body))
            .load(conn)?);
        let bodies: Vec<(Uuid, &str)> = rows.iter().map(|(id, b)| (id.0, b.as_str())).collect();
        let profiles = profiler.profiles(conn, &bodies)?;
        let mut kept = Vec::with_capacity(rows.len());
        for ((id, _), profile) in rows.iter().zip(&profiles) {
            let findings = serde_json::to_string(&risk::findings(profile))
                .map_err(|e| Error::Other(format!("cannot keep findings: {e}")))?;
            kept.push((
                risk_findings::record_id.eq(*id),
                risk_findings::findings.eq(findings),
            ));
        }
        in_list!(conn, risk_findings::record_id, chunk, |id| diesel::delete(
            risk_findings::table.filter(id)
        )
        .execute(conn)?);
        crate::bulk_insert::insert_rows!(conn, risk_findings::table, kept);
    }
    Ok(())
}

/// The consignors `shipments` name, as indexed.
pub(crate) fn consignors_of(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<Vec<Uuid>> {
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

/// The shipments to a consignee of `shipments` dated later in the same
/// calendar month as one of them (or the same day): their
/// `cumulative_threshold` counts it. What is dated is as `shipment_facts`
/// records it after the write.
fn later_in_month(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<Vec<Uuid>> {
    use chrono::Datelike;
    let month = |t: &chrono::NaiveDateTime| (t.year(), t.month());
    let mut found = Vec::new();
    for chunk in distinct(shipments.iter().copied()).chunks(CHUNK) {
        let dated: Vec<(DbUuid, Option<chrono::NaiveDateTime>)> = record_refs::table
            .inner_join(
                shipment_facts::table.on(shipment_facts::record_id.eq(record_refs::record_id)),
            )
            .filter(record_refs::record_id.eq_any(chunk))
            .filter(record_refs::role.eq(PartyRole::Consignee.as_str()))
            .select((record_refs::ref_id, shipment_facts::shipped_at))
            .load(conn)?;
        let mut earliest: std::collections::HashMap<DbUuid, Vec<chrono::NaiveDateTime>> =
            std::collections::HashMap::new();
        for (consignee, shipped) in dated {
            if let Some(shipped) = shipped {
                earliest.entry(consignee).or_default().push(shipped);
            }
        }
        if earliest.is_empty() {
            continue;
        }
        let consignees: Vec<DbUuid> = earliest.keys().copied().collect();
        let peers: Vec<(DbUuid, DbUuid, Option<chrono::NaiveDateTime>)> = record_refs::table
            .inner_join(
                shipment_facts::table.on(shipment_facts::record_id.eq(record_refs::record_id)),
            )
            .filter(record_refs::ref_id.eq_any(&consignees))
            .filter(record_refs::role.eq(PartyRole::Consignee.as_str()))
            .select((
                record_refs::record_id,
                record_refs::ref_id,
                shipment_facts::shipped_at,
            ))
            .load(conn)?;
        for (peer, consignee, shipped) in peers {
            let (Some(shipped), Some(days)) = (shipped, earliest.get(&consignee)) else {
                continue;
            };
            if days
                .iter()
                .any(|d| month(d) == month(&shipped) && d.date() <= shipped.date())
            {
                found.push(peer.0);
            }
        }
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
        let pairs: Vec<(Option<DbUuid>, Option<DbUuid>)> =
            in_list!(conn, party_facts::record_id, chunk, |consignor| native!(
                conn,
                |c| {
                    party_facts::table
                        .filter(consignor)
                        .select((nth(0), nth(1)))
                        .load(c)
                }
            )?);
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
pub(crate) fn referring(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<Uuid>> {
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

pub(crate) fn distinct(ids: impl Iterator<Item = Uuid>) -> Vec<DbUuid> {
    ids.collect::<HashSet<_>>()
        .into_iter()
        .map(DbUuid)
        .collect()
}
