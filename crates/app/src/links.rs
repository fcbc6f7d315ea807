//! Links between shipments: "shipment B continues shipment A", with
//! evidence. Both must be visible to whoever links them; a link that
//! would close a cycle is refused; withdrawn links stay in the history.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::chain::LinkRelation;
use interdict_domain::policy::{self, Actor, RecordAction};
use interdict_domain::validation::{bounded_text, pick};
use interdict_domain::ValidationErrors;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains::{self, LinkRow};
use interdict_persistence::DbConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::Config;
use crate::context::Ctx;
use crate::error::AppError;
use crate::records::{shipment_for, ReasonRequest};
use crate::{risk, utc};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "to": "01934f2e-7c1a-7d3e-9a4b-2f6c8e0d1a2d",
    "relation": "transshipment",
    "evidence": "Same drums re-labelled at the forwarder; courier receipt 7789"
}))]
pub struct CreateLinkRequest {
    /// The shipment that continues this one.
    pub to: Uuid,
    /// `transshipment`, `reconsignment`, `same_goods` or `same_equipment`.
    #[schema(value_type = interdict_domain::chain::LinkRelation, example = "transshipment")]
    pub relation: String,
    /// Why the two belong together.
    #[schema(example = "Same drums re-labelled at the forwarder; courier receipt 7789")]
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkView {
    pub id: Uuid,
    pub from: Uuid,
    pub to: Uuid,
    #[schema(value_type = interdict_domain::chain::LinkRelation)]
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

/// Links `from` → `to` for `actor` in the caller's transaction: both
/// visible, no cycle, not already linked; then the chain is scored again.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    actor: &Actor,
    config: &Config,
    from: Uuid,
    to: Uuid,
    relation: LinkRelation,
    evidence: String,
) -> Result<LinkRow, AppError> {
    shipment_for(conn, actor, from, RecordAction::Link)?;
    shipment_for(conn, actor, to, RecordAction::Link)?;
    match chains::would_close_cycle(conn, from, to, CYCLE_CHECK_DEPTH)? {
        Some(false) => {}
        Some(true) => {
            return Err(AppError::invalid(
                "to",
                "this link would close a cycle: the shipment already leads back here",
            ))
        }
        None => {
            return Err(AppError::invalid(
                "to",
                "the chain is too long to check for a cycle",
            ))
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
    chains::insert(conn, context.refresh, &row)?;
    context.detail =
        Some(serde_json::json!({ "link_id": row.id.0, "from": from, "to": to }).to_string());
    let trace = chains::trace(conn, to, &config.chain_limits)?;
    crate::flags::merge_on_chain(
        conn,
        context,
        &trace.nodes,
        Some(actor.user_id),
        &format!("Shipments linked ({})", relation.as_str()),
    )?;
    risk::auto_flag(conn, context, to, trace, &config.risk)?;
    Ok(row)
}

/// Says that shipment `request.to` continues shipment `from`.
pub async fn create(
    ctx: &Ctx,
    from: Uuid,
    request: CreateLinkRequest,
) -> Result<LinkView, AppError> {
    let mut event = ctx.event_on(AuditAction::LinkCreate, "shipment", from);
    event.detail = Some(serde_json::json!({ "from": from, "to": request.to }).to_string());
    let mut errors = ValidationErrors::new();
    let relation = errors.check("relation", pick::<LinkRelation>(&request.relation));
    let evidence = errors.check("evidence", bounded_text(&request.evidence, 2000));
    let (Some(relation), Some(evidence)) = (relation, evidence) else {
        return ctx.reject(event, errors.into()).await;
    };
    let to = request.to;
    let actor = ctx.actor()?.clone();
    let config = ctx.app.config.clone();
    let row = ctx
        .app
        .audit
        .perform(event, move |conn, context| {
            insert(conn, context, &actor, &config, from, to, relation, evidence)
        })
        .await?;
    Ok(row.into())
}

/// Links to and from a shipment, withdrawn ones included.
pub async fn of_shipment(ctx: &Ctx, id: Uuid) -> Result<Vec<LinkView>, AppError> {
    let actor = ctx.actor()?.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| {
            shipment_for(conn, &actor, id, RecordAction::Read)?;
            Ok(chains::links_of(conn, id)?)
        })
        .await;
    let rows = ctx
        .audited(ctx.event_on(AuditAction::LinkList, "shipment", id), found)
        .await?;
    Ok(rows.into_iter().map(LinkView::from).collect())
}

/// Withdraws a link (the agency that made it); it stays in the history.
pub async fn withdraw(ctx: &Ctx, id: Uuid, request: &ReasonRequest) -> Result<LinkView, AppError> {
    let mut event = ctx.event_on(AuditAction::LinkWithdraw, "link", id);
    let reason = match request.reason() {
        Ok(reason) => reason,
        Err(e) => return ctx.reject(event, e).await,
    };
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    let actor = ctx.actor()?.clone();
    let row = ctx
        .app
        .audit
        .perform(event, move |conn, context| {
            let link = chains::find(conn, id)?.ok_or(AppError::NotFound)?;
            // Seeing either end is what makes a link known to the caller.
            shipment_for(conn, &actor, link.from_shipment_id.0, RecordAction::Read).or_else(
                |_| shipment_for(conn, &actor, link.to_shipment_id.0, RecordAction::Read),
            )?;
            AppError::from_decision(policy::decide_link_withdrawal(
                &actor,
                link.owner_agency_id.0,
            ))?;
            if link.withdrawn_at.is_some() {
                return Err(AppError::Conflict("the link is already withdrawn".into()));
            }
            chains::withdraw(conn, context.refresh, id, actor.user_id, &reason)?;
            chains::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(row.into())
}
