//! Links between shipments, the chains they form, and flags raised on them.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::chain::{self, Limits, LinkRelation};
use interdict_domain::policy::{self, Actor, RecordAction};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{Assessment, Indicator};
use interdict_domain::shipment::{LineItem, Shipment, ShipmentInput};
use interdict_domain::validation::{bounded_text, pick};
use interdict_domain::ValidationErrors;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains::{self as links, LinkRow};
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::search::{self, FactFilter, Search};
use interdict_persistence::{agencies, flags, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::reviews::FlagView;
use super::views::{utc, ReasonRequest};
use crate::assessment;
use crate::auth::Caller;
use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;

/// A shipment the caller may act on in `action`, or the error to answer.
pub fn shipment_for(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    action: RecordAction,
) -> Result<RecordRow, ApiError> {
    let visibility = policy::visibility(actor, RecordKind::Shipment);
    let row = records::find_visible(conn, RecordKind::Shipment, id, &visibility)?
        .ok_or(ApiError::NotFound)?;
    ApiError::from_decision(policy::decide(
        actor,
        RecordKind::Shipment,
        action,
        &row.meta()?,
    ))?;
    Ok(row)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLinkRequest {
    /// The shipment that continues this one.
    pub to: Uuid,
    /// `transshipment`, `reconsignment`, `same_goods` or `same_equipment`.
    #[schema(example = "transshipment")]
    pub relation: String,
    /// Why the two belong together.
    #[schema(example = "Same drums re-labelled at the forwarder; courier receipt 7789")]
    pub evidence: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub id: Uuid,
    pub from: Uuid,
    pub to: Uuid,
    pub relation: String,
    pub evidence: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_reason: Option<String>,
}

impl From<LinkRow> for LinkView {
    fn from(row: LinkRow) -> Self {
        Self {
            id: row.id.0,
            from: row.from_shipment_id.0,
            to: row.to_shipment_id.0,
            relation: row.relation,
            evidence: row.evidence,
            created_by: row.created_by.0,
            created_at: utc(row.created_at),
            withdrawn_at: row.withdrawn_at.map(utc),
            withdrawn_reason: row.withdrawn_reason,
        }
    }
}

/// How deep the cycle check may look before refusing to guess.
const CYCLE_CHECK_DEPTH: u32 = 1024;

/// Links `from` → `to` for `actor`: both visible, no cycle, not already
/// linked; then re-scores the chain.
#[allow(clippy::too_many_arguments)]
pub fn insert_link(
    conn: &mut DbConnection,
    context: &mut AuditContext,
    actor: &Actor,
    config: &Config,
    from: Uuid,
    to: Uuid,
    relation: LinkRelation,
    evidence: String,
) -> Result<LinkRow, ApiError> {
    shipment_for(conn, actor, from, RecordAction::Link)?;
    shipment_for(conn, actor, to, RecordAction::Link)?;
    match links::would_close_cycle(conn, from, to, CYCLE_CHECK_DEPTH)? {
        Some(false) => {}
        Some(true) => {
            return Err(ValidationErrors::single(
                "to",
                "this link would close a cycle: the shipment already leads back here",
            )
            .into())
        }
        None => {
            return Err(ValidationErrors::single(
                "to",
                "the chain is too long to check for a cycle",
            )
            .into())
        }
    }
    let row = LinkRow {
        id: Uuid::now_v7().into(),
        from_shipment_id: from.into(),
        to_shipment_id: to.into(),
        relation: relation.as_str().to_owned(),
        evidence,
        owner_agency_id: actor.agency_id.into(),
        created_by: actor.user_id.into(),
        created_at: interdict_persistence::now(),
        withdrawn_at: None,
        withdrawn_by: None,
        withdrawn_reason: None,
    };
    links::insert(conn, context.refresh, &row).map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict("these shipments are already linked".into()),
        other => other,
    })?;
    context.detail =
        Some(serde_json::json!({ "link_id": row.id.0, "from": from, "to": to }).to_string());
    let trace = links::trace(conn, to, &config.chain_limits)?;
    assessment::auto_flag(conn, context, to, trace, &config.risk)?;
    Ok(row)
}

/// Says that shipment `to` continues this one. Both must be visible to the
/// caller; a link that would close a cycle is refused.
#[utoipa::path(post, operation_id = "chains_create_link", path = "/api/v1/shipments/{id}/links", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreateLinkRequest, responses(
    (status = 201, body = LinkView),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "Either shipment is not visible", content_type = "application/problem+json"),
    (status = 409, description = "The link exists", content_type = "application/problem+json"),
    (status = 422, description = "Invalid, or it would close a cycle", content_type = "application/problem+json"),
))]
pub async fn create_link(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<CreateLinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let from = path.into_inner();
    let mut event = caller.event_on(AuditAction::LinkCreate, "shipment", from);
    event.detail = Some(serde_json::json!({ "from": from, "to": body.to }).to_string());
    let event = event;
    let mut errors = ValidationErrors::new();
    let relation = errors.check("relation", pick::<LinkRelation>(&body.relation));
    let evidence = errors.check("evidence", bounded_text(&body.evidence, 2000));
    let (Some(relation), Some(evidence)) = (relation, evidence) else {
        return state.reject(event, errors.into()).await;
    };
    let to = body.to;
    let actor = caller.actor.clone();
    let config = state.config.clone();
    let row = state
        .audit
        .perform(event, move |conn, context| {
            insert_link(conn, context, &actor, &config, from, to, relation, evidence)
        })
        .await?;
    Ok(HttpResponse::Created().json(LinkView::from(row)))
}

/// Links to and from a shipment, withdrawn ones included.
#[utoipa::path(get, operation_id = "chains_list_links", path = "/api/v1/shipments/{id}/links", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Vec<LinkView>), (status = 404, content_type = "application/problem+json")))]
pub async fn list_links(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<Vec<LinkView>>, ApiError> {
    let id = path.into_inner();
    let actor = caller.actor.clone();
    let found = state
        .db
        .run(move |conn| {
            shipment_for(conn, &actor, id, RecordAction::Read)?;
            Ok(links::links_of(conn, id)?)
        })
        .await;
    let rows = state
        .audited(
            caller.event_on(AuditAction::LinkList, "shipment", id),
            found,
        )
        .await?;
    Ok(web::Json(rows.into_iter().map(LinkView::from).collect()))
}

/// Withdraws a link (the agency that made it); it stays in the history.
#[utoipa::path(post, operation_id = "chains_withdraw_link", path = "/api/v1/links/{id}/withdraw", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReasonRequest, responses(
    (status = 200, body = LinkView), (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"), (status = 409, content_type = "application/problem+json")))]
pub async fn withdraw_link(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<web::Json<LinkView>, ApiError> {
    let id = path.into_inner();
    let mut event = caller.event_on(AuditAction::LinkWithdraw, "link", id);
    let reason = match body.reason() {
        Ok(reason) => reason,
        Err(e) => return state.reject(event, e).await,
    };
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    let actor = caller.actor.clone();
    let row = state
        .audit
        .perform(event, move |conn, context| {
            let link = links::find(conn, id)?.ok_or(ApiError::NotFound)?;
            // Seeing either end is what makes a link known to the caller.
            shipment_for(conn, &actor, link.from_shipment_id.0, RecordAction::Read).or_else(
                |_| shipment_for(conn, &actor, link.to_shipment_id.0, RecordAction::Read),
            )?;
            if link.owner_agency_id.0 != actor.agency_id
                || policy::decide_create_record(&actor) != policy::Decision::Allow
            {
                return Err(ApiError::Forbidden);
            }
            if link.withdrawn_at.is_some() {
                return Err(ApiError::Conflict("the link is already withdrawn".into()));
            }
            links::withdraw(conn, context.refresh, id, actor.user_id, &reason)?;
            links::find(conn, id)?.ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(web::Json(row.into()))
}

/// A party on a node: its name only if the caller may see the party.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeParty {
    pub party_id: Uuid,
    pub role: String,
    pub name: Option<String>,
}

/// One shipment in a chain. A shipment the caller may not see is a
/// placeholder: its id and the holding agency, nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeView {
    pub id: Uuid,
    pub placeholder: bool,
    pub agency_id: Uuid,
    pub agency_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub origin: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub destination: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrived_at: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<NodeParty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<Indicator>,
    pub flagged: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Truncation {
    /// The depth limit stopped the walk.
    pub depth: bool,
    /// The node cap stopped it.
    pub nodes: bool,
    /// More origin→destination paths exist than were listed.
    pub paths: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainView {
    /// The shipment the chain was traced through.
    pub shipment_id: Uuid,
    pub nodes: Vec<NodeView>,
    pub edges: Vec<LinkView>,
    /// Every origin→destination path, as shipment ids in order.
    pub paths: Vec<Vec<Uuid>>,
    pub score: f64,
    #[schema(value_type = Vec<Object>)]
    pub indicators: Vec<Indicator>,
    pub truncated: Truncation,
    pub flags: Vec<FlagView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChainQuery {
    /// At most the configured depth (32 by default).
    pub max_depth: Option<u32>,
    /// At most the configured node cap (500 by default).
    pub max_nodes: Option<usize>,
}

fn lines_summary(
    conn: &mut DbConnection,
    actor: &Actor,
    shipment: &Shipment,
) -> Result<String, ApiError> {
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
) -> Result<NodeView, ApiError> {
    let Some((row, assessment)) = visible else {
        // Only the holding agency of a shipment the caller may not see.
        let owner: Uuid = records::owner_of(conn, id)?.ok_or(ApiError::NotFound)?;
        let agency = agencies::find(conn, owner)?.ok_or(ApiError::NotFound)?;
        return Ok(NodeView {
            id,
            placeholder: true,
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
    let agency = agencies::find(conn, row.owner_agency_id.0)?.ok_or(ApiError::NotFound)?;
    let input: ShipmentInput = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let shipment = Shipment::validate(&input).map_err(ApiError::internal)?;
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
        agency_id: row.owner_agency_id.0,
        agency_name: agency.name,
        origin: input
            .legs
            .first()
            .and_then(|l| serde_json::to_value(&l.from).ok()),
        destination: input
            .legs
            .last()
            .and_then(|l| serde_json::to_value(&l.to).ok()),
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
pub fn chain_view(
    conn: &mut DbConnection,
    actor: &Actor,
    start: Uuid,
    limits: &Limits,
    weights: &interdict_domain::risk::RiskWeights,
) -> Result<ChainView, ApiError> {
    let assessed = assessment::chain(conn, start, limits, weights, Some(actor), None)?;
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
    Ok(ChainView {
        shipment_id: start,
        nodes,
        edges: assessed
            .trace
            .links
            .into_iter()
            .map(LinkView::from)
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

/// The origin→destination chain through a shipment, traced in the
/// database within the depth and node limits.
#[utoipa::path(get, operation_id = "chains_show_chain", path = "/api/v1/shipments/{id}/chain", tag = "chains", security(("bearer" = [])),
    params(("id" = Uuid, Path), ChainQuery), responses((status = 200, body = ChainView), (status = 404, content_type = "application/problem+json")))]
pub async fn show_chain(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: web::Query<ChainQuery>,
) -> Result<web::Json<ChainView>, ApiError> {
    let id = path.into_inner();
    let actor = caller.actor.clone();
    let config = state.config.clone();
    let mut limits = config.chain_limits;
    let bad = match (query.max_depth, query.max_nodes) {
        (Some(d), _) if d == 0 || d > limits.max_depth => Some(ApiError::bad_request(
            "max_depth",
            format!("must be between 1 and {}", limits.max_depth),
        )),
        (_, Some(n)) if n < 2 || n > limits.max_nodes => Some(ApiError::bad_request(
            "max_nodes",
            format!("must be between 2 and {}", limits.max_nodes),
        )),
        _ => None,
    };
    let event = caller.event_on(AuditAction::ChainRead, "shipment", id);
    if let Some(error) = bad {
        return state.reject(event, error).await;
    }
    limits.max_depth = query.max_depth.unwrap_or(limits.max_depth);
    limits.max_nodes = query.max_nodes.unwrap_or(limits.max_nodes);
    let found = state
        .db
        .run(move |conn| {
            shipment_for(conn, &actor, id, RecordAction::Read)?;
            chain_view(conn, &actor, id, &limits, &config.risk)
        })
        .await;
    state.audited(event, found).await.map(web::Json)
}

/// Flags the chain through a shipment for its agency's supervisors.
#[utoipa::path(post, operation_id = "chains_raise_flag", path = "/api/v1/shipments/{id}/flags", tag = "reviews", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReasonRequest, responses(
    (status = 201, body = FlagView), (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"), (status = 422, content_type = "application/problem+json")))]
pub async fn raise_flag(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let event = caller.event_on(AuditAction::FlagRaise, "shipment", id);
    let reason = match body.reason() {
        Ok(reason) => reason,
        Err(e) => return state.reject(event, e).await,
    };
    let actor = caller.actor.clone();
    let config = state.config.clone();
    let flag = state
        .audit
        .perform(event, move |conn, event| -> Result<_, ApiError> {
            let row = shipment_for(conn, &actor, id, RecordAction::Flag)?;
            let assessed = assessment::chain(
                conn,
                id,
                &config.chain_limits,
                &config.risk,
                Some(&actor),
                Some(event.refresh),
            )?;
            let indicators = serde_json::to_string(&assessed.assessment.indicators)
                .map_err(ApiError::internal)?;
            let flag = flags::raise(
                conn,
                id,
                row.owner_agency_id.0,
                &reason,
                assessed.assessment.score,
                &indicators,
                Some(actor.user_id),
            )?;
            event.detail =
                Some(serde_json::json!({ "flag_id": flag.id.0, "reason": reason }).to_string());
            Ok(flag)
        })
        .await?;
    Ok(HttpResponse::Created().json(FlagView::from(flag)))
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
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
    pub control_status: Option<String>,
    /// The kind of equipment on any of its shipments.
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainSummary {
    /// The chain's first shipment; trace it with `/shipments/{id}/chain`.
    pub root_id: Uuid,
    pub shipments: usize,
    #[schema(value_type = Option<Object>)]
    pub origin: Option<Value>,
    /// Where its branches end (visible shipments only).
    #[schema(value_type = Vec<Object>)]
    pub destinations: Vec<Value>,
    pub flagged: bool,
    pub score: f64,
}

/// What the member-based filters ask for, resolved once per request.
struct MemberFilter {
    destination_country: Option<String>,
    destination_subdivision: Option<String>,
    party: Option<Uuid>,
    chemicals: Option<Vec<Uuid>>,
    equipment_kind: Option<String>,
    flagged: Option<bool>,
}

fn chain_matches(
    conn: &mut DbConnection,
    filter: &MemberFilter,
    assessed: &assessment::AssessedChain,
) -> Result<Option<ChainSummary>, ApiError> {
    let edges: Vec<chain::Edge> = assessed.trace.links.iter().map(LinkRow::edge).collect();
    let mut destinations = Vec::new();
    let mut dest_ok =
        filter.destination_country.is_none() && filter.destination_subdivision.is_none();
    let mut party_ok = filter.party.is_none();
    let mut chemical_ok = filter.chemicals.is_none();
    let mut equipment_ok = filter.equipment_kind.is_none();
    for (row, _) in &assessed.visible {
        let input: ShipmentInput = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
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
                destinations.push(serde_json::to_value(to).map_err(ApiError::internal)?);
            }
        }
        party_ok |= filter
            .party
            .is_some_and(|p| input.parties.iter().any(|sp| sp.party_id == p));
        if let Some(wanted) = &filter.chemicals {
            chemical_ok |= input
                .lines
                .iter()
                .any(|l| l.chemical_id.is_some_and(|c| wanted.contains(&c)));
        }
        if let Some(kind) = &filter.equipment_kind {
            for id in input.lines.iter().filter_map(|l| l.equipment_id) {
                let equipment = records::find_visible(
                    conn,
                    RecordKind::Equipment,
                    id,
                    &policy::Visibility::Everything {
                        include_withdrawn: true,
                    },
                )?;
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
        .and_then(|i| {
            i.legs
                .first()
                .and_then(|l| serde_json::to_value(&l.from).ok())
        });
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
    chemical: Option<super::shipments::ChemicalRef>,
    control: Option<String>,
    equipment_kind: Option<String>,
    shipped: (Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>),
    limit: i64,
    before: Option<Uuid>,
}

impl ChainSearchQuery {
    fn criteria(&self) -> Result<ChainCriteria, ApiError> {
        use super::shipments::{chemical_ref, country, destination_state};
        let from = super::audit::parse_time("from", self.from.as_deref())?;
        let to = super::audit::parse_time("to", self.to.as_deref())?;
        Ok(ChainCriteria {
            origin: country("origin_country", &self.origin_country)?,
            destination_country: country("destination_country", &self.destination_country)?,
            destination_subdivision: destination_state(&self.destination_state)?,
            chemical: chemical_ref(&self.chemical)?,
            control: super::registry::choice_param::<interdict_domain::chemical::ControlStatus>(
                "control_status",
                &self.control_status,
            )?,
            equipment_kind: super::registry::choice_param::<
                interdict_domain::equipment::EquipmentKind,
            >("equipment_kind", &self.equipment_kind)?,
            shipped: (from.map(|t| t.naive_utc()), to.map(|t| t.naive_utc())),
            limit: crate::pagination::check_limit(self.limit)?,
            before: crate::pagination::uuid_cursor(&self.cursor)?,
        })
    }
}

/// Chains in the caller's view, newest first by their first shipment. A
/// page scans a bounded number of chains; `next_cursor` continues.
#[utoipa::path(get, operation_id = "chains_search", path = "/api/v1/chains", tag = "chains", security(("bearer" = [])), params(ChainSearchQuery), responses(
    (status = 200, body = crate::pagination::Page<ChainSummary>), (status = 400, content_type = "application/problem+json")))]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ChainSearchQuery>,
) -> Result<web::Json<crate::pagination::Page<ChainSummary>>, ApiError> {
    use super::shipments::ChemicalRef;
    let mut event = caller.event_on(AuditAction::ChainSearch, "chain", "*");
    event.detail = serde_json::to_string(&*query).ok();
    let actor = caller.actor.clone();
    let config = state.config.clone();
    let query = query.into_inner();
    let criteria = match query.criteria() {
        Ok(criteria) => criteria,
        Err(e) => return state.reject(event, e).await,
    };
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
    let page = state
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
            let filter = MemberFilter {
                destination_country,
                destination_subdivision,
                party,
                chemicals,
                equipment_kind,
                flagged,
            };
            let visibility = policy::visibility(&actor, RecordKind::Shipment);
            let mut items = Vec::new();
            let mut cursor = before;
            let mut exhausted = false;
            // Scan at most ten pages' worth of chains per request.
            for _ in 0..10 {
                let batch =
                    links::roots(conn, &visibility, origin.as_deref(), shipped, cursor, limit)?;
                exhausted = (batch.len() as i64) < limit;
                for root in batch {
                    cursor = Some(root.id.0);
                    let assessed = assessment::chain(
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
            Ok::<_, ApiError>(crate::pagination::Page { items, next_cursor })
        })
        .await;
    state.audited(event, page).await.map(web::Json)
}
