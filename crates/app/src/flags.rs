//! Flags on chains: raised by hand or by the system, and read with their
//! review history. A flag is as visible as its shipment.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy::{Actor, RecordAction};
use interdict_persistence::flags::{self, FlagRow, TransitionRow};
use interdict_persistence::DbConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::records::{shipment_for, ReasonRequest, Versioned};
use crate::{risk, utc};

/// A risk indicator as it stood when the flag was raised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagIndicator {
    #[schema(example = "controlled_chemical")]
    pub code: String,
    pub weight: f64,
    pub sentence: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagView {
    pub id: Uuid,
    pub shipment_id: Uuid,
    pub owner_agency_id: Uuid,
    #[schema(example = "open")]
    pub state: String,
    pub reason: String,
    pub score: f64,
    /// The indicators that fired when it was raised.
    pub indicators: Vec<FlagIndicator>,
    /// Absent when the system raised it.
    pub raised_by: Option<Uuid>,
    pub raised_at: DateTime<Utc>,
    pub assigned_to: Option<Uuid>,
    pub escalated_to: Option<Uuid>,
    /// Send back in `If-Match` with a decision.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<FlagRow> for FlagView {
    fn from(row: FlagRow) -> Self {
        Self {
            id: row.id.0,
            shipment_id: row.shipment_id.0,
            owner_agency_id: row.owner_agency_id.0,
            state: row.state,
            reason: row.reason,
            score: row.score,
            indicators: serde_json::from_str(&row.indicators).unwrap_or_default(),
            raised_by: row.raised_by.map(|u| u.0),
            raised_at: utc(row.raised_at),
            assigned_to: row.assigned_to.map(|u| u.0),
            escalated_to: row.escalated_to.map(|u| u.0),
            version: row.version,
            updated_at: utc(row.updated_at),
        }
    }
}

impl Versioned for FlagView {
    fn version(&self) -> i64 {
        self.version
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransitionView {
    pub version: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// Absent for the system.
    pub by: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<Value>,
}

impl From<TransitionRow> for TransitionView {
    fn from(row: TransitionRow) -> Self {
        Self {
            version: row.version,
            action: row.action,
            from_state: row.from_state,
            to_state: row.to_state,
            by: row.by_user.map(|u| u.0),
            at: utc(row.at),
            reason: row.reason,
            detail: row.detail.and_then(|d| serde_json::from_str(&d).ok()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FlagDetail {
    #[serde(flatten)]
    pub flag: FlagView,
    /// Who did what, when and why, oldest first.
    pub history: Vec<TransitionView>,
}

impl Versioned for FlagDetail {
    fn version(&self) -> i64 {
        self.flag.version
    }
}

/// Loads a flag whose shipment the caller may act on in `action`.
pub(crate) fn flag_for(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    action: RecordAction,
) -> Result<FlagRow, AppError> {
    let flag = flags::find(conn, id)?.ok_or(AppError::NotFound)?;
    // The flag is as visible as its shipment.
    shipment_for(conn, actor, flag.shipment_id.0, RecordAction::Read)?;
    shipment_for(conn, actor, flag.shipment_id.0, action)?;
    Ok(flag)
}

/// A flag with its review history.
pub async fn show(ctx: &Ctx, id: Uuid) -> Result<FlagDetail, AppError> {
    let actor = ctx.actor()?.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| {
            let flag = flag_for(conn, &actor, id, RecordAction::Read)?;
            let history = flags::history(conn, id)?;
            Ok((flag, history))
        })
        .await;
    let (flag, history) = ctx
        .audited(ctx.event_on(AuditAction::FlagRead, "flag", id), found)
        .await?;
    Ok(FlagDetail {
        flag: flag.into(),
        history: history.into_iter().map(TransitionView::from).collect(),
    })
}

/// Flags the chain through a shipment for its agency's supervisors.
pub async fn raise(ctx: &Ctx, id: Uuid, request: &ReasonRequest) -> Result<FlagView, AppError> {
    let event = ctx.event_on(AuditAction::FlagRaise, "shipment", id);
    let reason = match request.reason() {
        Ok(reason) => reason,
        Err(e) => return ctx.reject(event, e).await,
    };
    let actor = ctx.actor()?.clone();
    let config = ctx.app.config.clone();
    let flag = ctx
        .app
        .audit
        .perform(event, move |conn, event| -> Result<_, AppError> {
            let row = shipment_for(conn, &actor, id, RecordAction::Flag)?;
            let assessed = risk::chain(
                conn,
                id,
                &config.chain_limits,
                &config.risk,
                Some(&actor),
                Some(event.refresh),
            )?;
            let indicators = serde_json::to_string(&assessed.assessment.indicators)
                .map_err(AppError::internal)?;
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
    Ok(flag.into())
}
