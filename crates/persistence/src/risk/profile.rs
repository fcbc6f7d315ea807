//! What the risk rules need to know about a shipment, gathered from the
//! shipment and the records its lines and parties point to.
//!
//! Profiles are built a batch at a time, with a handful of queries per
//! batch, and the profiler remembers what it read (catalogue entries,
//! presses, when a consignor was first seen), so an export of a million
//! shipments costs a few queries per page rather than per row.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use interdict_domain::chemical::{CasNumber, ChemicalInput, ControlStatus};
use interdict_domain::die_mold::DieMoldInput;
use interdict_domain::equipment::EquipmentInput;
use interdict_domain::regulation::{
    self, Concentration, DeaFiling, DeaTransaction, OtherLine, Quantity, Threshold,
};
use interdict_domain::risk::{self, ChemicalLine, DieLine, EquipmentLine, ShipmentProfile};
use interdict_domain::shipment::{parse_day, parse_time, PartyRole, ShipmentInput, Unit};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::in_list::in_list;
use crate::native::native;
use crate::schema::{
    deconfliction_notices, links, party_facts, record_refs, records, shipment_facts,
};
use crate::CHUNK;
use crate::{DbConnection, DbUuid, Result};

/// A record a shipment's line points to, as the rules see it.
#[derive(Debug, Clone)]
enum Item {
    Chemical(ChemicalInput),
    Equipment(EquipmentInput),
    DieMold(DieMoldInput),
    Unreadable,
}

#[derive(Debug, Default)]
pub struct Profiler {
    items: HashMap<Uuid, Item>,
    /// Consignor → the earliest live shipment naming it, if any.
    first_shipment: HashMap<Uuid, Option<DbUuid>>,
    /// Record → whether a deconfliction notice names it.
    hits: HashMap<Uuid, bool>,
    /// Party → its strongest sanctions hit in force (listed name, score,
    /// list date), if it has one.
    sanctions: HashMap<Uuid, Option<Sanctioned>>,
}

type Sanctioned = (String, f64, String);

/// Which of the profiled shipments a deconfliction notice names: asked of
/// the database, or known to the caller that has just written them.
enum Noticed {
    Ask,
    Known(HashSet<Uuid>),
}

impl Profiler {
    /// The profiles of shipments given as (id, body), in their order.
    /// Lines whose record cannot be read are left out rather than guessed.
    pub fn profiles(
        &mut self,
        conn: &mut DbConnection,
        rows: &[(Uuid, &str)],
    ) -> Result<Vec<ShipmentProfile>> {
        let inputs: Vec<Option<ShipmentInput>> = rows
            .iter()
            .map(|(_, body)| serde_json::from_str(body).ok())
            .collect();
        let parsed: Vec<(Uuid, Option<&ShipmentInput>)> = rows
            .iter()
            .zip(&inputs)
            .map(|((id, _), input)| (*id, input.as_ref()))
            .collect();
        self.profiles_of(conn, &parsed)
    }

    /// As `profiles`, for documents the caller has already read; `None`
    /// for one that could not be.
    pub fn profiles_of(
        &mut self,
        conn: &mut DbConnection,
        rows: &[(Uuid, Option<&ShipmentInput>)],
    ) -> Result<Vec<ShipmentProfile>> {
        let onward = onward_counts(conn, rows)?;
        self.profiles_given(conn, rows, &onward, Noticed::Ask)
    }

    /// Reads, on any connection before a new shipment is written, what
    /// its profile needs from records already committed: its lines'
    /// catalogue entries, its parties' sanctions hits and notices, and its
    /// consignor's first shipment. [`Self::profile_of_new`] then asks only
    /// for what the write's own transaction can change.
    pub fn prepare_new(&mut self, conn: &mut DbConnection, input: &ShipmentInput) -> Result<()> {
        let inputs = [input];
        self.load_items(conn, &inputs)?;
        self.load_first_shipments(conn, &inputs)?;
        self.load_hits(conn, &[], &inputs)?;
        self.load_sanctions(conn, &inputs)
    }

    /// The profile of a shipment written in the running transaction, which
    /// `noticed` says whether a deconfliction notice names. No link can
    /// continue it yet, so links are not asked for: on the audit writer's
    /// one connection, each statement of a create is a round trip every
    /// request behind it waits for, so what [`Self::prepare_new`] read is
    /// not asked again.
    pub fn profile_of_new(
        &mut self,
        conn: &mut DbConnection,
        id: Uuid,
        input: Option<&ShipmentInput>,
        noticed: bool,
    ) -> Result<ShipmentProfile> {
        let noticed = Noticed::Known(noticed.then_some(id).into_iter().collect());
        let mut profiles = self.profiles_given(conn, &[(id, input)], &HashMap::new(), noticed)?;
        Ok(profiles.pop().unwrap_or_default())
    }

    /// A shipment's date and its lines with their catalogue entries — what
    /// a reader is shown of its controls — without the links,
    /// deconfliction and monthly totals that weighing needs: one catalogue
    /// read instead of a profile's several, on every audited read.
    pub fn lines_of(
        &mut self,
        conn: &mut DbConnection,
        id: Uuid,
        input: Option<&ShipmentInput>,
    ) -> Result<ShipmentProfile> {
        let Some(input) = input else {
            return Ok(ShipmentProfile::default());
        };
        self.load_items(conn, &[input])?;
        Ok(self.profile_of(id, input))
    }

    /// The profiles of `rows`, given how many live links continue each.
    fn profiles_given(
        &mut self,
        conn: &mut DbConnection,
        rows: &[(Uuid, Option<&ShipmentInput>)],
        onward: &HashMap<Uuid, usize>,
        noticed: Noticed,
    ) -> Result<Vec<ShipmentProfile>> {
        let inputs: Vec<&ShipmentInput> = rows.iter().filter_map(|(_, input)| *input).collect();
        self.load_items(conn, &inputs)?;
        self.load_first_shipments(conn, &inputs)?;
        let noticed = match noticed {
            Noticed::Known(known) => {
                self.load_hits(conn, &[], &inputs)?;
                known
            }
            Noticed::Ask => {
                let own: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
                self.load_hits(conn, &own, &inputs)?
            }
        };
        self.load_sanctions(conn, &inputs)?;
        let mut profiles = Vec::with_capacity(rows.len());
        for (id, input) in rows {
            let Some(input) = input else {
                profiles.push(ShipmentProfile::default());
                continue;
            };
            let mut profile = self.profile_of(*id, input);
            profile.deconfliction_hit = noticed.contains(id)
                || input.parties.iter().any(|p| self.hit(p.party_id))
                || line_ids(input).any(|id| self.hit(id));
            let mut named = HashSet::new();
            for party in &input.parties {
                if let Some(Some((listed, score, date))) = self.sanctions.get(&party.party_id) {
                    if named.insert(party.party_id) {
                        profile.sanctioned_parties.push(format!(
                            "The {} screens as {listed} on the sanctions list of {date} (score {score:.2}).",
                            party.role.replace('_', " ")
                        ));
                    }
                }
            }
            profile.onward_links = onward.get(id).copied().unwrap_or(0);
            month_lines(conn, *id, input, &mut profile)?;
            profiles.push(profile);
        }
        Ok(profiles)
    }

    fn hit(&self, id: Uuid) -> bool {
        self.hits.get(&id).copied().unwrap_or(false)
    }

    fn profile_of(&self, id: Uuid, input: &ShipmentInput) -> ShipmentProfile {
        let route: Vec<String> = input
            .legs
            .first()
            .map(|l| l.from.country.clone())
            .into_iter()
            .chain(input.legs.iter().map(|l| l.to.country.clone()))
            .collect();
        let mut profile = ShipmentProfile {
            day: shipment_day(id, input),
            suspicious_order: input.incident_type == "suspicious_order",
            dea: input.dea.as_ref().map(dea_transaction).unwrap_or_default(),
            direction: risk::direction(&route),
            declared_description: input.declared_description.clone(),
            declared_hs_code: input.declared_hs_code.clone(),
            products: input.products.iter().filter_map(|p| p.to_line()).collect(),
            route,
            ..ShipmentProfile::default()
        };
        for line in &input.lines {
            let id = line.chemical_id.or(line.equipment_id).or(line.die_mold_id);
            match id.and_then(|id| self.items.get(&id)) {
                Some(Item::Chemical(chemical)) => {
                    let (Some(chemical_id), Some((quantity, concentration))) =
                        (line.chemical_id, amount(line))
                    else {
                        continue;
                    };
                    let table = regulation::controls();
                    let subject = CasNumber::parse(&chemical.cas)
                        .ok()
                        .and_then(|cas| table.by_cas(&cas))
                        .and_then(|row| table.subject(&row.id));
                    profile.chemicals.push(ChemicalLine {
                        id: chemical_id,
                        name: chemical.name.clone(),
                        subject,
                        recorded: chemical.us_control.parse().unwrap_or(ControlStatus::None),
                        hs_code: chemical.hs_code.clone(),
                        quantity,
                        concentration,
                        month: Vec::new(),
                    });
                }
                Some(Item::Equipment(equipment)) => {
                    if let Ok(kind) = equipment.kind.parse() {
                        profile.equipment.push(EquipmentLine {
                            kind,
                            markings_removed: equipment.markings_removed,
                        });
                    }
                }
                Some(Item::DieMold(mold)) => profile.dies.push(DieLine {
                    imprint: format!(
                        "{}/{}",
                        mold.front_imprint.as_deref().unwrap_or("-"),
                        mold.back_imprint.as_deref().unwrap_or("-")
                    ),
                    imitated_product: mold.imitated_product.clone(),
                }),
                Some(Item::Unreadable) | None => {}
            }
        }
        // First seen: no earlier shipment names the same consignor.
        let mut consignors = consignors(input).peekable();
        if consignors.peek().is_some() {
            profile.consignor_first_seen = consignors.all(|c| {
                self.first_shipment
                    .get(&c)
                    .copied()
                    .flatten()
                    .is_none_or(|first| first.0 >= id)
            });
        }
        profile
    }

    /// Keeps catalogue entries read with something else: (id, kind, body).
    pub fn keep_items(&mut self, rows: impl Iterator<Item = (Uuid, String, String)>) {
        for (id, kind, body) in rows {
            let item = match kind.as_str() {
                "chemical" => serde_json::from_str(&body).map(Item::Chemical),
                "equipment" => serde_json::from_str(&body).map(Item::Equipment),
                "die_mold" => serde_json::from_str(&body).map(Item::DieMold),
                _ => Ok(Item::Unreadable),
            };
            self.items.insert(id, item.unwrap_or(Item::Unreadable));
        }
    }

    fn load_items(&mut self, conn: &mut DbConnection, inputs: &[&ShipmentInput]) -> Result<()> {
        let missing = unknown(inputs.iter().flat_map(|input| line_ids(input)), |id| {
            self.items.contains_key(id)
        });
        for chunk in missing.chunks(CHUNK) {
            let found: Vec<(DbUuid, String, String)> =
                in_list!(conn, records::id, chunk, |item| records::table
                    .filter(item)
                    .select((records::id, records::kind, records::body))
                    .load(conn)?);
            self.keep_items(found.into_iter().map(|(id, kind, body)| (id.0, kind, body)));
            for id in chunk {
                self.items.entry(id.0).or_insert(Item::Unreadable);
            }
        }
        Ok(())
    }

    /// The earliest live shipment naming each consignor of the batch: one
    /// index seek per consignor on (consignor, role, shipment), stopping at
    /// the first shipment not withdrawn. A consignor's first shipment only
    /// changes if that shipment is withdrawn, so what was found is kept for
    /// later pages of an export; a consignor not yet named is asked again.
    fn load_first_shipments(
        &mut self,
        conn: &mut DbConnection,
        inputs: &[&ShipmentInput],
    ) -> Result<()> {
        let wanted = unknown(inputs.iter().flat_map(|input| consignors(input)), |id| {
            matches!(self.first_shipment.get(id), Some(Some(_)))
        });
        for chunk in wanted.chunks(CHUNK) {
            let first = record_refs::table
                .inner_join(records::table.on(records::id.eq(record_refs::record_id)))
                .filter(record_refs::ref_id.eq(party_facts::record_id))
                .filter(record_refs::role.eq(PartyRole::Consignor.as_str()))
                .filter(records::withdrawn_at.is_null())
                .order(record_refs::record_id)
                .select(record_refs::record_id)
                .limit(1)
                .single_value();
            let found: Vec<(DbUuid, Option<DbUuid>)> =
                in_list!(conn, party_facts::record_id, chunk, |consignor| {
                    native!(conn, |c| party_facts::table
                        .filter(consignor)
                        .select((party_facts::record_id, first))
                        .load(c))?
                });
            for id in chunk {
                self.first_shipment.insert(id.0, None);
            }
            for (consignor, shipment) in found {
                self.first_shipment.insert(consignor.0, shipment);
            }
        }
        Ok(())
    }

    /// Which of these shipments, or the records they refer to, another
    /// agency also holds (a deconfliction notice names them). What is known
    /// of parties and lines is kept for later pages, as they recur; the
    /// shipments' own answers are not, so an export's memory stays flat.
    fn load_hits(
        &mut self,
        conn: &mut DbConnection,
        own: &[Uuid],
        inputs: &[&ShipmentInput],
    ) -> Result<HashSet<Uuid>> {
        let related = inputs.iter().flat_map(|input| {
            input
                .parties
                .iter()
                .map(|p| p.party_id)
                .chain(line_ids(input))
        });
        let related = unknown(related, |id| self.hits.contains_key(id));
        let asked: Vec<DbUuid> = related
            .iter()
            .copied()
            .chain(own.iter().copied().map(DbUuid))
            .collect();
        let mut found = HashSet::new();
        for chunk in asked.chunks(CHUNK) {
            let named: Vec<DbUuid> =
                in_list!(conn, deconfliction_notices::record_id, chunk, |named| {
                    native!(conn, |c| deconfliction_notices::table
                        .filter(named)
                        .select(deconfliction_notices::record_id)
                        .distinct()
                        .load(c))?
                });
            found.extend(named.into_iter().map(Uuid::from));
        }
        for id in related {
            self.hits.insert(id.0, found.contains(&id.0));
        }
        Ok(found)
    }

    /// The strongest sanctions hit in force of each party named, kept as
    /// parties recur from page to page.
    fn load_sanctions(&mut self, conn: &mut DbConnection, inputs: &[&ShipmentInput]) -> Result<()> {
        let parties = inputs
            .iter()
            .flat_map(|input| input.parties.iter().map(|p| p.party_id));
        let wanted = unknown(parties, |id| self.sanctions.contains_key(id));
        if wanted.is_empty() {
            return Ok(());
        }
        let mut found = crate::screening::sanctioned(conn, &wanted)?;
        for party in wanted {
            self.sanctions.insert(party.0, found.remove(&party.0));
        }
        Ok(())
    }
}

/// A chemical line's quantity and concentration, if they can be read (the
/// document was validated when written; one that cannot be is left out).
fn amount(
    line: &interdict_domain::shipment::LineInput,
) -> Option<(Quantity, Option<Concentration>)> {
    let unit = line.unit.as_deref()?.parse::<Unit>().ok()?;
    let quantity = Quantity::new(line.quantity?, unit).ok()?;
    let concentration = line
        .concentration
        .as_deref()
        .and_then(|c| Concentration::parse(c).ok());
    Some((quantity, concentration))
}

/// The DEA details as the rules see them (the document was validated when
/// written; a filing that cannot be read is left out).
fn dea_transaction(input: &interdict_domain::shipment::DeaInput) -> DeaTransaction {
    DeaTransaction {
        filings: input
            .filings
            .iter()
            .filter_map(|f| {
                Some(DeaFiling {
                    form: f.form.parse().ok()?,
                    transaction_id: f.transaction_id.clone(),
                    filed_on: parse_day(&f.filed_on).ok()?,
                })
            })
            .collect(),
        event_date: input.released_on.as_deref().and_then(|d| parse_day(d).ok()),
    }
}

/// When the shipment left, or failing that arrived (as `shipment_facts`
/// records it); with neither, the day it was recorded, which a version 7
/// id carries.
fn shipment_day(id: Uuid, input: &ShipmentInput) -> NaiveDate {
    shipped_at(input)
        .or_else(|| {
            let (secs, _) = id.get_timestamp()?.to_unix();
            DateTime::<Utc>::from_timestamp(i64::try_from(secs).ok()?, 0)
        })
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

fn shipped_at(input: &ShipmentInput) -> Option<DateTime<Utc>> {
    input.legs.iter().find_map(|l| {
        let time = |t: &Option<String>| t.as_deref().and_then(|t| parse_time(t).ok());
        time(&l.departure_at).or_else(|| time(&l.arrival_at))
    })
}

/// Fills each chemical line's `month`: the same chemical on the other live
/// shipments to the same consignee in the shipment's calendar month, for
/// `cumulative_threshold` (21 CFR 1310.04(f)). Asked only for lines whose
/// threshold that day is cumulative, so most shipments cost no query.
///
/// Only shipments of the same owner agency, shared at least as widely as
/// this one, are counted: whoever may read this shipment's findings may
/// read every shipment they add up. Shipments with no recorded departure
/// or arrival have no month, and are not counted.
fn month_lines(
    conn: &mut DbConnection,
    id: Uuid,
    input: &ShipmentInput,
    profile: &mut ShipmentProfile,
) -> Result<()> {
    let table = regulation::controls();
    let day = profile.day;
    let cumulative = |line: &ChemicalLine| {
        line.subject.as_ref().is_some_and(|s| {
            matches!(
                table.threshold_at(s, day).map(|t| &t.value),
                Some(Threshold::Amount {
                    cumulative: true,
                    ..
                })
            )
        })
    };
    if !profile.chemicals.iter().any(cumulative) {
        return Ok(());
    }
    let consignees: Vec<DbUuid> = input
        .parties
        .iter()
        .filter(|p| p.role == PartyRole::Consignee.as_str())
        .map(|p| DbUuid(p.party_id))
        .collect();
    if consignees.is_empty() {
        return Ok(());
    }
    let Some((owner, scope, task_force)) = records::table
        .filter(records::id.eq(DbUuid(id)))
        .select((
            records::owner_agency_id,
            records::scope_kind,
            records::scope_task_force_id,
        ))
        .get_result::<(DbUuid, String, Option<DbUuid>)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let to_consignee = record_refs::table
        .filter(record_refs::role.eq(PartyRole::Consignee.as_str()))
        .filter(record_refs::ref_id.eq_any(consignees))
        .select(record_refs::record_id);
    let mut query = records::table
        .inner_join(shipment_facts::table.on(shipment_facts::record_id.eq(records::id)))
        .filter(records::id.eq_any(to_consignee))
        .filter(records::id.ne(DbUuid(id)))
        .filter(records::withdrawn_at.is_null())
        .filter(shipment_facts::shipped_at.ge(first.and_time(chrono::NaiveTime::MIN)))
        .filter(shipment_facts::shipped_at.lt(next.and_time(chrono::NaiveTime::MIN)))
        .select((
            shipment_facts::shipped_at,
            records::body,
            records::owner_agency_id,
        ))
        .into_boxed();
    query = match scope.as_str() {
        "all" => query.filter(records::scope_kind.eq("all")),
        "agency" => query,
        _ => query.filter(
            records::scope_kind
                .eq("all")
                .or(records::scope_task_force_id.eq(task_force)),
        ),
    };
    // The owner is compared here, not in SQL: SQLite, without statistics,
    // would read the agency's every record through `records_owner` instead
    // of the consignee's few shipments (at 1,000,000 shipments the demo's
    // risk step ran for hours).
    let others: Vec<(Option<chrono::NaiveDateTime>, String, DbUuid)> = query.load(conn)?;
    for (shipped, body, _) in others.into_iter().filter(|(_, _, o)| *o == owner) {
        let (Some(shipped), Ok(other)) = (shipped, serde_json::from_str::<ShipmentInput>(&body))
        else {
            continue;
        };
        for line in &other.lines {
            let (Some(chemical), Some((quantity, concentration))) =
                (line.chemical_id, amount(line))
            else {
                continue;
            };
            for mine in profile.chemicals.iter_mut().filter(|c| c.id == chemical) {
                mine.month.push(OtherLine {
                    day: shipped.date(),
                    quantity,
                    concentration,
                });
            }
        }
    }
    Ok(())
}

/// Those of `ids` not yet `known`, each once, ready for an `IN` list.
fn unknown(ids: impl Iterator<Item = Uuid>, known: impl Fn(&Uuid) -> bool) -> Vec<DbUuid> {
    ids.filter(|id| !known(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .map(DbUuid)
        .collect()
}

fn line_ids(input: &ShipmentInput) -> impl Iterator<Item = Uuid> + '_ {
    input
        .lines
        .iter()
        .filter_map(|l| l.chemical_id.or(l.equipment_id).or(l.die_mold_id))
}

fn consignors(input: &ShipmentInput) -> impl Iterator<Item = Uuid> + '_ {
    input
        .parties
        .iter()
        .filter(|p| p.role == PartyRole::Consignor.as_str())
        .map(|p| p.party_id)
}

/// How many live links continue each of these shipments.
fn onward_counts(
    conn: &mut DbConnection,
    rows: &[(Uuid, Option<&ShipmentInput>)],
) -> Result<HashMap<Uuid, usize>> {
    let ids: Vec<DbUuid> = rows.iter().map(|(id, _)| DbUuid(*id)).collect();
    let mut counts = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let from: Vec<DbUuid> = links::table
            .filter(links::withdrawn_at.is_null())
            .filter(links::from_shipment_id.eq_any(chunk))
            .select(links::from_shipment_id)
            .load(conn)?;
        for id in from {
            *counts.entry(id.0).or_insert(0) += 1;
        }
    }
    Ok(counts)
}
