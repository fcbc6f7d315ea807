//! Searching chains: roots in the caller's view, newest first, kept when a
//! member shipment the caller can see matches every filter.

use interdict_domain::audit::AuditAction;
use interdict_domain::chain;
use interdict_domain::chemical::ControlStatus;
use interdict_domain::equipment::EquipmentKind;
use interdict_domain::policy::{self, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::shipment::{LocationInput, ShipmentInput};
use interdict_persistence::chains::{self, LinkRow};
use interdict_persistence::search::{self, FactFilter, Search};
use interdict_persistence::{flags, records, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::filters::{self, chemical_ref, choice, country, destination_state, ChemicalRef};
use crate::pagination::{check_limit, uuid_cursor, Page};
use crate::risk::{self, AssessedChain};

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChainSearchQuery {
    /// Where the chain starts.
    pub origin_country: Option<String>,
    /// Where one of its branches ends.
    pub destination_country: Option<String>,
    /// US state or territory where one of its branches ends, e.g. `TX`.
    pub destination_state: Option<String>,
    /// A party on any of its shipments.
    pub party_id: Option<Uuid>,
    /// A chemical on any of its shipments, by catalogue id or CAS number.
    pub chemical: Option<String>,
    /// The control status of a chemical on any of its shipments.
    #[param(value_type = Option<interdict_domain::chemical::ControlStatus>)]
    pub control_status: Option<String>,
    /// The kind of equipment on any of its shipments.
    #[param(value_type = Option<interdict_domain::equipment::EquipmentKind>)]
    pub equipment_kind: Option<String>,
    /// Whether any of its shipments carries a flag.
    pub flagged: Option<bool>,
    /// The chain's first shipment left on or after (RFC 3339, or a date).
    pub from: Option<String>,
    /// The chain's first shipment left before (RFC 3339, or a date).
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainSummary {
    /// The chain's first shipment; trace it with `/shipments/{id}/chain`.
    pub root_id: Uuid,
    pub shipments: usize,
    pub origin: Option<LocationInput>,
    /// Where its branches end (visible shipments only).
    pub destinations: Vec<LocationInput>,
    pub flagged: bool,
    pub score: f64,
}

/// What the member-based filters ask for, resolved once per request.
struct MemberFilter {
    destination_country: Option<String>,
    destination_subdivision: Option<String>,
    /// The party asked for and those judged the same actor.
    party: Option<Vec<Uuid>>,
    chemicals: Option<Vec<Uuid>>,
    equipment_kind: Option<String>,
    /// Which equipment the caller may see: only that can match a kind.
    equipment: Visibility,
    flagged: Option<bool>,
}

fn chain_matches(
    conn: &mut DbConnection,
    filter: &MemberFilter,
    assessed: &AssessedChain,
) -> Result<Option<ChainSummary>, AppError> {
    let edges: Vec<chain::Edge> = assessed.trace.links.iter().map(LinkRow::edge).collect();
    let mut destinations = Vec::new();
    let mut dest_ok =
        filter.destination_country.is_none() && filter.destination_subdivision.is_none();
    let mut party_ok = filter.party.is_none();
    let mut chemical_ok = filter.chemicals.is_none();
    let mut equipment_ok = filter.equipment_kind.is_none();
    for (row, _) in &assessed.visible {
        let input: ShipmentInput = serde_json::from_str(&row.body).map_err(AppError::internal)?;
        let is_sink = !edges.iter().any(|e| e.from == row.id.0);
        if is_sink {
            if let Some(to) = input.legs.last().map(|l| &l.to) {
                let country_ok = filter
                    .destination_country
                    .as_ref()
                    .is_none_or(|c| *c == to.country);
                let state_ok = filter.destination_subdivision.as_ref().is_none_or(|s| {
                    to.subdivision
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(s))
                });
                dest_ok |= country_ok && state_ok;
                destinations.push(to.clone());
            }
        }
        party_ok |= filter
            .party
            .as_ref()
            .is_some_and(|p| input.parties.iter().any(|sp| p.contains(&sp.party_id)));
        if let Some(wanted) = &filter.chemicals {
            chemical_ok |= input
                .lines
                .iter()
                .any(|l| l.chemical_id.is_some_and(|c| wanted.contains(&c)));
        }
        if let Some(kind) = &filter.equipment_kind {
            // Only equipment the caller may see can match, or its kind
            // could be learned by filtering on it.
            for id in input.lines.iter().filter_map(|l| l.equipment_id) {
                let equipment =
                    records::find_visible(conn, RecordKind::Equipment, id, &filter.equipment)?;
                equipment_ok |= equipment
                    .and_then(|e| serde_json::from_str::<Value>(&e.body).ok())
                    .is_some_and(|b| b["kind"] == kind.as_str());
            }
        }
    }
    let visible_ids: Vec<Uuid> = assessed.visible.iter().map(|(r, _)| r.id.0).collect();
    let flagged = !flags::on_shipments(conn, &visible_ids)?.is_empty();
    let flag_ok = filter.flagged.is_none_or(|f| f == flagged);
    if !(dest_ok && party_ok && chemical_ok && equipment_ok && flag_ok) {
        return Ok(None);
    }
    let root = assessed
        .trace
        .nodes
        .iter()
        .find(|n| !edges.iter().any(|e| e.to == **n))
        .copied();
    let origin = assessed
        .visible
        .iter()
        .find(|(r, _)| Some(r.id.0) == root)
        .and_then(|(r, _)| serde_json::from_str::<ShipmentInput>(&r.body).ok())
        .and_then(|i| i.legs.first().map(|l| l.from.clone()));
    Ok(Some(ChainSummary {
        root_id: root.unwrap_or_default(),
        shipments: assessed.trace.nodes.len(),
        origin,
        destinations,
        flagged,
        score: assessed.assessment.score,
    }))
}

/// A chain search's parameters, checked.
struct ChainCriteria {
    origin: Option<String>,
    destination_country: Option<String>,
    destination_subdivision: Option<String>,
    chemical: Option<ChemicalRef>,
    control: Option<String>,
    equipment_kind: Option<String>,
    shipped: filters::Range,
    limit: i64,
    before: Option<Uuid>,
}

impl ChainSearchQuery {
    fn criteria(&self) -> Result<ChainCriteria, AppError> {
        let from = filters::parse_time("from", self.from.as_deref())?;
        let to = filters::parse_time("to", self.to.as_deref())?;
        Ok(ChainCriteria {
            origin: country("origin_country", &self.origin_country)?,
            destination_country: country("destination_country", &self.destination_country)?,
            destination_subdivision: destination_state(&self.destination_state)?,
            chemical: chemical_ref(&self.chemical)?,
            control: choice::<ControlStatus>("control_status", &self.control_status)?,
            equipment_kind: choice::<EquipmentKind>("equipment_kind", &self.equipment_kind)?,
            shipped: (from.map(|t| t.naive_utc()), to.map(|t| t.naive_utc())),
            limit: check_limit(self.limit)?,
            before: uuid_cursor(&self.cursor)?,
        })
    }
}

/// Chains in the caller's view, newest first by their first shipment. A
/// page scans a bounded number of chains; `next_cursor` continues.
pub async fn search(ctx: &Ctx, query: &ChainSearchQuery) -> Result<Page<ChainSummary>, AppError> {
    let mut event = ctx.event_on(AuditAction::ChainSearch, "chain", "*");
    event.detail = serde_json::to_string(query).ok();
    let criteria = match query.criteria() {
        Ok(criteria) => criteria,
        Err(e) => return ctx.reject(event, e).await,
    };
    let actor = ctx.actor()?.clone();
    let config = ctx.app.config.clone();
    let ChainCriteria {
        origin,
        destination_country,
        destination_subdivision,
        chemical,
        control,
        equipment_kind,
        shipped,
        limit,
        before,
    } = criteria;
    let (party, flagged) = (query.party_id, query.flagged);
    let page = ctx
        .app
        .db
        .run(move |conn| {
            // Chemicals asked for, by id, CAS or control status.
            let chemicals = match (chemical, control) {
                (None, None) => None,
                (chemical, control) => {
                    let catalogue = Search {
                        facts: FactFilter::Chemical {
                            cas: match &chemical {
                                Some(ChemicalRef::Cas(cas)) => Some(cas.clone()),
                                _ => None,
                            },
                            control_status: control,
                        },
                        limit: 1000,
                        ..Search::default()
                    };
                    let visibility = policy::visibility(&actor, RecordKind::Chemical);
                    let mut ids: Vec<Uuid> =
                        search::search(conn, RecordKind::Chemical, &visibility, &catalogue)?
                            .into_iter()
                            .map(|r| r.id.0)
                            .collect();
                    if let Some(ChemicalRef::Id(id)) = chemical {
                        ids.retain(|c| *c == id);
                    }
                    Some(ids)
                }
            };
            // A party's chains are those of its profile: every party
            // judged the same actor.
            let party = match party {
                None => None,
                Some(p) => match crate::party_matching::visible_profile(conn, &actor, p) {
                    Ok(members) => Some(members),
                    Err(AppError::NotFound) => Some(vec![p]),
                    Err(e) => return Err(e),
                },
            };
            let filter = MemberFilter {
                destination_country,
                destination_subdivision,
                party,
                chemicals,
                equipment_kind,
                equipment: policy::visibility(&actor, RecordKind::Equipment),
                flagged,
            };
            let visibility = policy::visibility(&actor, RecordKind::Shipment);
            let mut items = Vec::new();
            let mut cursor = before;
            let mut exhausted = false;
            // Scan at most ten pages' worth of chains per request.
            for _ in 0..10 {
                let batch =
                    chains::roots(conn, &visibility, origin.as_deref(), shipped, cursor, limit)?;
                exhausted = (batch.len() as i64) < limit;
                for root in batch {
                    cursor = Some(root.id.0);
                    let assessed = risk::chain(
                        conn,
                        root.id.0,
                        &config.chain_limits,
                        &config.risk,
                        Some(&actor),
                        None,
                    )?;
                    if let Some(summary) = chain_matches(conn, &filter, &assessed)? {
                        items.push(summary);
                        if items.len() as i64 == limit {
                            break;
                        }
                    }
                }
                if exhausted || items.len() as i64 == limit {
                    break;
                }
            }
            let next_cursor = if exhausted && (items.len() as i64) < limit {
                None
            } else {
                cursor.map(|c| c.to_string())
            };
            Ok::<_, AppError>(Page { items, next_cursor })
        })
        .await;
    ctx.audited(event, page).await
}
