//! Chains: the origin→destination paths links between shipments form,
//! traced in the database within depth and node limits, and shown as far
//! as the caller may see them: a shipment another agency holds is a
//! placeholder naming only that agency.

pub(crate) mod outline;
mod search;

pub use outline::{ChainOutline, OutlineParty, RouteStop};
pub use search::{search, ChainSearchQuery, ChainSummary};

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::chain::{self, Limits};
use interdict_domain::policy::{self, Actor, RecordAction};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{Assessment, Indicator, RiskWeights};
use interdict_domain::shipment::{LineItem, LocationInput, Shipment, ShipmentInput};
use interdict_persistence::chains::LinkRow;
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::{agencies, flags, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::flags::FlagView;
use crate::links::LinkView;
use crate::records::shipment_for;
use crate::risk;

/// A party on a node: its name only if the caller may see the party.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeParty {
    pub party_id: Uuid,
    #[schema(value_type = interdict_domain::shipment::PartyRole)]
    pub role: String,
    pub name: Option<String>,
}

/// One shipment in a chain. A shipment the caller may not see is a
/// placeholder: its id and the holding agency, nothing else.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NodeView {
    pub id: Uuid,
    pub placeholder: bool,
    /// The shipment's reference; absent for a placeholder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub agency_id: Uuid,
    pub agency_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<LocationInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<LocationInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<NodeParty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<interdict_domain::shipment::IncidentType>)]
    pub incident_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<Indicator>,
    pub flagged: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Truncation {
    /// The depth limit stopped the walk.
    pub depth: bool,
    /// The node cap stopped it.
    pub nodes: bool,
    /// More origin→destination paths exist than were listed.
    pub paths: bool,
}

/// A link in a chain. One neither end of which the caller may see is a
/// placeholder: that the two shipments are linked, nothing more (no
/// relation, evidence, creator or link id), as the links list and the
/// export leave it out altogether.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainEdge {
    pub from: Uuid,
    pub to: Uuid,
    pub placeholder: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<interdict_domain::chain::LinkRelation>)]
    pub relation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

impl ChainEdge {
    /// The link as seen by a caller who may see the shipments `visible`.
    fn seen(link: LinkRow, visible: &[Uuid]) -> Self {
        let (from, to) = (link.from_shipment_id.0, link.to_shipment_id.0);
        if !visible.contains(&from) && !visible.contains(&to) {
            return Self {
                from,
                to,
                placeholder: true,
                id: None,
                relation: None,
                evidence: None,
                created_by: None,
                created_at: None,
            };
        }
        let link = LinkView::from(link);
        Self {
            from,
            to,
            placeholder: false,
            id: Some(link.id),
            relation: Some(link.relation),
            evidence: Some(link.evidence),
            created_by: Some(link.created_by),
            created_at: Some(link.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainView {
    /// The shipment the chain was traced through.
    pub shipment_id: Uuid,
    pub nodes: Vec<NodeView>,
    pub edges: Vec<ChainEdge>,
    /// Every origin→destination path, as shipment ids in order.
    pub paths: Vec<Vec<Uuid>>,
    pub score: f64,
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<Indicator>,
    pub truncated: Truncation,
    pub flags: Vec<FlagView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChainQuery {
    /// At most the configured depth (32 by default).
    pub max_depth: Option<u32>,
    /// At most the configured node cap (500 by default).
    pub max_nodes: Option<usize>,
}

/// What a shipment's lines carry, in words, naming what the caller may see.
fn lines_summary(
    conn: &mut DbConnection,
    actor: &Actor,
    shipment: &Shipment,
) -> Result<String, AppError> {
    let mut parts = Vec::new();
    for line in &shipment.lines {
        let (kind, id) = match line.item {
            LineItem::Chemical { id, .. } => (RecordKind::Chemical, id),
            LineItem::Equipment { id } => (RecordKind::Equipment, id),
            LineItem::DieMold { id } => (RecordKind::DieMold, id),
        };
        let name = records::find_visible(conn, kind, id, &policy::visibility(actor, kind))?
            .and_then(|row| serde_json::from_str::<Value>(&row.body).ok())
            .map(|body| match kind {
                RecordKind::Chemical => body["name"].as_str().unwrap_or("chemical").to_owned(),
                RecordKind::Equipment => body["kind"]
                    .as_str()
                    .unwrap_or("equipment")
                    .replace('_', " "),
                _ => format!(
                    "die {}/{}",
                    body["front_imprint"].as_str().unwrap_or("-"),
                    body["back_imprint"].as_str().unwrap_or("-")
                ),
            })
            .unwrap_or_else(|| kind.as_str().replace('_', " "));
        parts.push(match line.item {
            LineItem::Chemical { quantity, unit, .. } => {
                format!("{quantity} {} {name}", unit.as_str())
            }
            _ => format!("{}× {name}", line.count),
        });
    }
    Ok(parts.join("; "))
}

fn node(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    visible: Option<&(RecordRow, Assessment)>,
    flagged: bool,
) -> Result<NodeView, AppError> {
    let Some((row, assessment)) = visible else {
        // Only the holding agency of a shipment the caller may not see.
        let owner: Uuid = records::owner_of(conn, id)?.ok_or(AppError::NotFound)?;
        let agency = agencies::find(conn, owner)?.ok_or(AppError::NotFound)?;
        return Ok(NodeView {
            id,
            placeholder: true,
            reference: None,
            agency_id: owner,
            agency_name: agency.name,
            origin: None,
            destination: None,
            departed_at: None,
            arrived_at: None,
            parties: Vec::new(),
            lines: None,
            incident_type: None,
            score: None,
            indicators: Vec::new(),
            flagged: false,
        });
    };
    let agency = agencies::find(conn, row.owner_agency_id.0)?.ok_or(AppError::NotFound)?;
    let input: ShipmentInput = serde_json::from_str(&row.body).map_err(AppError::internal)?;
    let shipment = Shipment::validate(&input).map_err(AppError::internal)?;
    let mut parties = Vec::new();
    for (party_id, role) in &shipment.parties {
        let name = records::find_visible(
            conn,
            RecordKind::Party,
            *party_id,
            &policy::visibility(actor, RecordKind::Party),
        )?
        .and_then(|p| serde_json::from_str::<Value>(&p.body).ok())
        .and_then(|b| b["name"].as_str().map(str::to_owned));
        parties.push(NodeParty {
            party_id: *party_id,
            role: role.as_str().to_owned(),
            name,
        });
    }
    Ok(NodeView {
        id,
        placeholder: false,
        reference: row.reference.clone(),
        agency_id: row.owner_agency_id.0,
        agency_name: agency.name,
        origin: input.legs.first().map(|l| l.from.clone()),
        destination: input.legs.last().map(|l| l.to.clone()),
        departed_at: input.legs.first().and_then(|l| l.departure_at.clone()),
        arrived_at: input.legs.last().and_then(|l| l.arrival_at.clone()),
        parties,
        lines: Some(lines_summary(conn, actor, &shipment)?),
        incident_type: Some(input.incident_type.clone()),
        score: Some(assessment.score),
        indicators: assessment.indicators.clone(),
        flagged,
    })
}

/// Builds the chain view through `start` for `actor`.
fn chain_view(
    conn: &mut DbConnection,
    actor: &Actor,
    start: Uuid,
    limits: &Limits,
    weights: &RiskWeights,
) -> Result<ChainView, AppError> {
    let assessed = risk::chain(conn, start, limits, weights, Some(actor), None)?;
    let chain_flags = flags::on_shipments(conn, &assessed.trace.nodes)?;
    let mut nodes = Vec::with_capacity(assessed.trace.nodes.len());
    for id in &assessed.trace.nodes {
        let visible = assessed.visible.iter().find(|(row, _)| row.id.0 == *id);
        let flagged = visible.is_some() && chain_flags.iter().any(|f| f.shipment_id.0 == *id);
        nodes.push(node(conn, actor, *id, visible, flagged)?);
    }
    let edges: Vec<chain::Edge> = assessed.trace.links.iter().map(LinkRow::edge).collect();
    let (mut paths, paths_truncated) =
        chain::paths(&assessed.trace.nodes, &edges, limits.max_paths);
    // From the first origin: order paths by their first shipment's departure.
    let departure = |id: &Uuid| {
        nodes
            .iter()
            .find(|n| n.id == *id)
            .and_then(|n| n.departed_at.clone())
            .unwrap_or_default()
    };
    paths.sort_by_key(|p| (departure(&p[0]), p.clone()));
    // Hops in route order: as they first appear along the paths.
    let order: Vec<Uuid> = paths.iter().flatten().copied().collect();
    nodes.sort_by_key(|n| {
        order
            .iter()
            .position(|id| *id == n.id)
            .unwrap_or(usize::MAX)
    });
    let visible_flags: Vec<FlagView> = chain_flags
        .into_iter()
        .filter(|f| {
            assessed
                .visible
                .iter()
                .any(|(row, _)| row.id == f.shipment_id)
        })
        .map(FlagView::from)
        .collect();
    let seen: Vec<Uuid> = assessed.visible.iter().map(|(row, _)| row.id.0).collect();
    Ok(ChainView {
        shipment_id: start,
        nodes,
        edges: assessed
            .trace
            .links
            .into_iter()
            .map(|link| ChainEdge::seen(link, &seen))
            .collect(),
        paths,
        score: assessed.assessment.score,
        indicators: assessed.assessment.indicators,
        truncated: Truncation {
            depth: assessed.trace.depth_truncated,
            nodes: assessed.trace.nodes_truncated,
            paths: paths_truncated,
        },
        flags: visible_flags,
    })
}

/// The origin→destination chain through a shipment, traced within the
/// configured limits or tighter ones the caller asks for.
pub async fn show(ctx: &Ctx, id: Uuid, query: &ChainQuery) -> Result<ChainView, AppError> {
    let config = ctx.app.config.clone();
    let mut limits = config.chain_limits;
    let bad = match (query.max_depth, query.max_nodes) {
        (Some(d), _) if d == 0 || d > limits.max_depth => Some(AppError::bad_request(
            "max_depth",
            format!("must be between 1 and {}", limits.max_depth),
        )),
        (_, Some(n)) if n < 2 || n > limits.max_nodes => Some(AppError::bad_request(
            "max_nodes",
            format!("must be between 2 and {}", limits.max_nodes),
        )),
        _ => None,
    };
    let event = ctx.event_on(AuditAction::ChainRead, "shipment", id);
    if let Some(error) = bad {
        return ctx.reject(event, error).await;
    }
    limits.max_depth = query.max_depth.unwrap_or(limits.max_depth);
    limits.max_nodes = query.max_nodes.unwrap_or(limits.max_nodes);
    let actor = ctx.actor()?.clone();
    let (now, overdue_after) = (ctx.app.now(), config.overdue_after);
    let found = ctx
        .app
        .db
        .run(move |conn| {
            shipment_for(conn, &actor, id, RecordAction::Read)?;
            chain_view(conn, &actor, id, &limits, &config.risk)
        })
        .await
        .map(|mut view| {
            view.flags = view
                .flags
                .into_iter()
                .map(|f| f.aged(now, overdue_after))
                .collect();
            view
        });
    ctx.audited(event, found).await
}
