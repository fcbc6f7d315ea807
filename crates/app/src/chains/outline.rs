//! A chain at a glance, for each row of the review queue: where it starts
//! and ends with the stops between, how many shipments it holds, and its
//! main parties. Built for a whole page of chains in a fixed number of
//! queries (not a trace per row), and only from what the caller may see:
//! a shipment another agency holds is a stop naming that agency, as the
//! chain view's placeholder does, and a party the caller may not see is
//! left out.

use std::collections::{HashMap, HashSet};

use interdict_domain::chain::{self, Limits};
use interdict_domain::party::PartyInput;
use interdict_domain::policy::{self, Actor};
use interdict_domain::record::RecordKind;
use interdict_domain::shipment::{LocationInput, PartyRole, ShipmentInput};
use interdict_persistence::chains::{self as stored, LinkRow};
use interdict_persistence::{names, records, DbConnection};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppError;

/// How many parties a row names; the rest are counted.
const MAIN_PARTIES: usize = 3;

/// A chain at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainOutline {
    /// Shipments in the chain, those held by other agencies included (as
    /// the chain view counts them).
    pub shipments: usize,
    /// Shipments on the route below: the path through the flagged one.
    pub hops: usize,
    /// Origin→destination paths through the chain (more than one where a
    /// consignment was split or merged).
    pub paths: usize,
    /// The route through the flagged shipment, from the first origin to
    /// the last destination, stop by stop, each place once.
    pub route: Vec<RouteStop>,
    /// The parties named on the chain's shipments the caller may see:
    /// senders (consignor, exporter) first, then receivers (consignee,
    /// importer), then the rest.
    pub parties: Vec<OutlineParty>,
    /// Named parties beyond those listed.
    pub more_parties: usize,
}

/// A stop on a route: a place, or a shipment held by another agency,
/// named by that agency only.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RouteStop {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<LocationInput>,
    /// The agency holding a shipment the caller may not see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
}

/// A party as people tell it apart: name and country.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutlineParty {
    pub party_id: Uuid,
    pub name: String,
    pub country: Option<String>,
    /// Its role on the first shipment naming it, e.g. `consignor`.
    pub role: String,
}

/// The shipments of the chain through each of `starts`, as the chain
/// view traces them.
pub(crate) fn members(
    conn: &mut DbConnection,
    starts: &[Uuid],
    limits: &Limits,
) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError> {
    Ok(stored::members(conn, starts, limits)?)
}

/// Senders first, then receivers, then the rest.
fn rank(role: &str) -> u8 {
    match role.parse::<PartyRole>() {
        Ok(PartyRole::Consignor | PartyRole::Exporter) => 0,
        Ok(PartyRole::Consignee | PartyRole::Importer) => 1,
        _ => 2,
    }
}

/// The outline of the chain through each of `starts` (shipments the
/// caller sees), as `actor` may see it.
pub(crate) fn outlines(
    conn: &mut DbConnection,
    actor: &Actor,
    starts: &[Uuid],
    limits: &Limits,
) -> Result<HashMap<Uuid, ChainOutline>, AppError> {
    let chains = members(conn, starts, limits)?;
    let mut all: Vec<Uuid> = chains.values().flatten().copied().collect();
    all.sort();
    all.dedup();
    let links: Vec<LinkRow> = stored::active_from(conn, &all)?;
    let seen = policy::visibility(actor, RecordKind::Shipment);
    let mut shipments: HashMap<Uuid, ShipmentInput> = HashMap::new();
    for row in records::rows_visible(conn, RecordKind::Shipment, &all, &seen)? {
        let input = serde_json::from_str(&row.body).map_err(AppError::internal)?;
        shipments.insert(row.id.0, input);
    }
    // Whom to ask about each shipment the caller may not see.
    let hidden: Vec<Uuid> = all
        .iter()
        .filter(|id| !shipments.contains_key(id))
        .copied()
        .collect();
    let owners = records::owners_of(conn, &hidden)?;
    let agencies: Vec<Uuid> = owners.values().copied().collect();
    let agency_names = names::agency_names(conn, &agencies)?;
    let party_ids: Vec<Uuid> = shipments
        .values()
        .flat_map(|s| s.parties.iter().map(|p| p.party_id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let party_seen = policy::visibility(actor, RecordKind::Party);
    let mut parties: HashMap<Uuid, (String, Option<String>)> = HashMap::new();
    for (id, body) in records::bodies_visible(conn, RecordKind::Party, &party_ids, &party_seen)? {
        let party: PartyInput = serde_json::from_str(&body).map_err(AppError::internal)?;
        let country = party
            .address
            .map(|a| a.country)
            .filter(|c| !c.trim().is_empty());
        parties.insert(id, (party.name, country));
    }
    let known = Known {
        shipments: &shipments,
        owners: &owners,
        agency_names: &agency_names,
        parties: &parties,
    };
    Ok(chains
        .into_iter()
        .map(|(start, nodes)| {
            let outline = known.outline(start, &nodes, &links, limits);
            (start, outline)
        })
        .collect())
}

/// What a page's chains were read into.
struct Known<'a> {
    shipments: &'a HashMap<Uuid, ShipmentInput>,
    owners: &'a HashMap<Uuid, Uuid>,
    agency_names: &'a HashMap<Uuid, String>,
    parties: &'a HashMap<Uuid, (String, Option<String>)>,
}

impl Known<'_> {
    fn outline(
        &self,
        start: Uuid,
        nodes: &[Uuid],
        links: &[LinkRow],
        limits: &Limits,
    ) -> ChainOutline {
        let members: HashSet<Uuid> = nodes.iter().copied().collect();
        let edges: Vec<chain::Edge> = links
            .iter()
            .map(LinkRow::edge)
            .filter(|e| members.contains(&e.from) && members.contains(&e.to))
            .collect();
        let (paths, _) = chain::paths(nodes, &edges, limits.max_paths);
        // The path through the flagged shipment that left first, as the
        // chain view orders its paths.
        let departure = |id: &Uuid| {
            self.shipments
                .get(id)
                .and_then(|s| s.legs.first())
                .and_then(|l| l.departure_at.clone())
                .unwrap_or_default()
        };
        let path = paths
            .iter()
            .filter(|p| p.contains(&start))
            .min_by_key(|p| (departure(&p[0]), (*p).clone()))
            .cloned()
            .unwrap_or_else(|| vec![start]);
        // Each place once, where the route first reaches it: onward
        // shipments repeat the place the last one ended at, and a
        // consignment relabelled on the way repeats its whole route.
        let mut route: Vec<RouteStop> = Vec::new();
        let mut push = |stop: RouteStop| {
            let repeated = match stop.place {
                Some(_) => route.contains(&stop),
                None => route.last() == Some(&stop),
            };
            if !repeated {
                route.push(stop);
            }
        };
        for id in &path {
            match self.shipments.get(id) {
                Some(shipment) => {
                    for (i, leg) in shipment.legs.iter().enumerate() {
                        if i == 0 {
                            push(RouteStop {
                                place: Some(leg.from.clone()),
                                held_by: None,
                            });
                        }
                        push(RouteStop {
                            place: Some(leg.to.clone()),
                            held_by: None,
                        });
                    }
                }
                None => push(RouteStop {
                    place: None,
                    held_by: Some(
                        self.owners
                            .get(id)
                            .and_then(|a| self.agency_names.get(a))
                            .cloned()
                            .unwrap_or_else(|| "another agency".to_owned()),
                    ),
                }),
            }
        }
        // Each named party once, in the order the route meets it, senders
        // before receivers.
        let mut named: Vec<(u8, usize, OutlineParty)> = Vec::new();
        let order = path
            .iter()
            .chain(nodes.iter().filter(|n| !path.contains(n)));
        for (position, id) in order.enumerate() {
            let Some(shipment) = self.shipments.get(id) else {
                continue;
            };
            for party in &shipment.parties {
                if named.iter().any(|(_, _, p)| p.party_id == party.party_id) {
                    continue;
                }
                if let Some((name, country)) = self.parties.get(&party.party_id) {
                    named.push((
                        rank(&party.role),
                        position,
                        OutlineParty {
                            party_id: party.party_id,
                            name: name.clone(),
                            country: country.clone(),
                            role: party.role.clone(),
                        },
                    ));
                }
            }
        }
        named.sort_by_key(|(rank, position, _)| (*rank, *position));
        let more_parties = named.len().saturating_sub(MAIN_PARTIES);
        ChainOutline {
            shipments: nodes.len(),
            hops: path.len(),
            paths: paths.len().max(1),
            route,
            parties: named
                .into_iter()
                .take(MAIN_PARTIES)
                .map(|(_, _, p)| p)
                .collect(),
            more_parties,
        }
    }
}
