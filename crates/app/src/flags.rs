//! Flags on chains: raised by hand or by the system, and read with their
//! review history. A flag is as visible as its shipment.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use std::collections::HashMap;

use interdict_domain::policy::{self, Actor, FlagSight, RecordAction, Visibility};
use interdict_domain::record::RecordKind;
use interdict_persistence::flags::{self, FlagRow, TransitionRow};
use interdict_persistence::{names, records, DbConnection, DbUuid};
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
    /// Absent when the flag was escalated to the caller's agency and its
    /// shipment is not shared with it.
    pub shipment_id: Option<Uuid>,
    /// The shipment's reference, when the caller sees the shipment.
    pub shipment_reference: Option<String>,
    pub owner_agency_id: Uuid,
    pub owner_agency_name: Option<String>,
    #[schema(example = "open")]
    pub state: String,
    pub reason: String,
    pub score: f64,
    /// The indicators that fired when it was raised (codes and weights
    /// only where the caller does not see the shipment).
    pub indicators: Vec<FlagIndicator>,
    /// Absent when the system raised it.
    pub raised_by: Option<Uuid>,
    pub raised_by_username: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub assigned_to: Option<Uuid>,
    pub assigned_to_username: Option<String>,
    pub escalated_to: Option<Uuid>,
    pub escalated_to_name: Option<String>,
    /// Send back in `If-Match` with a decision.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// Whole days it has waited: since it was raised, or until it was
    /// decided.
    pub age_days: i64,
    /// Still undecided `[review] overdue_after_days` after it was raised.
    pub overdue: bool,
}

impl From<FlagRow> for FlagView {
    fn from(row: FlagRow) -> Self {
        Self {
            id: row.id.0,
            shipment_id: Some(row.shipment_id.0),
            shipment_reference: None,
            owner_agency_id: row.owner_agency_id.0,
            owner_agency_name: None,
            state: row.state,
            reason: row.reason,
            score: row.score,
            indicators: serde_json::from_str(&row.indicators).unwrap_or_default(),
            raised_by: row.raised_by.map(|u| u.0),
            raised_by_username: None,
            raised_at: utc(row.raised_at),
            assigned_to: row.assigned_to.map(|u| u.0),
            assigned_to_username: None,
            escalated_to: row.escalated_to.map(|u| u.0),
            escalated_to_name: None,
            version: row.version,
            updated_at: utc(row.updated_at),
            age_days: 0,
            overdue: false,
        }
    }
}

impl FlagView {
    /// Its age and whether it is overdue at `now`.
    pub fn aged(mut self, now: DateTime<Utc>, overdue_after: chrono::Duration) -> Self {
        if let Ok(state) = self.state.parse::<interdict_domain::review::FlagState>() {
            self.age_days =
                interdict_domain::review::flag_age(state, self.raised_at, self.updated_at, now)
                    .num_days();
            self.overdue =
                interdict_domain::review::is_overdue(state, self.raised_at, now, overdue_after);
        }
        self
    }
}

impl FlagView {
    /// The view of `row` for a caller with `sight` of it, with people and
    /// agencies named.
    fn seen(row: FlagRow, (sight, reference): Sight, names: &Names) -> Self {
        let mut view = Self::from(row);
        view.shipment_reference = reference;
        if sight != FlagSight::Full {
            view.shipment_reference = None;
            // The flag was handed over; the records under it were not.
            view.shipment_id = None;
            for indicator in &mut view.indicators {
                indicator.sentence.clear();
            }
        }
        view.owner_agency_name = names.agency(Some(view.owner_agency_id));
        view.escalated_to_name = names.agency(view.escalated_to);
        view.raised_by_username = names.user(view.raised_by);
        view.assigned_to_username = names.user(view.assigned_to);
        view
    }
}

/// Usernames and agency names for the ids a set of flags mentions.
#[derive(Default)]
struct Names {
    users: HashMap<Uuid, String>,
    agencies: HashMap<Uuid, String>,
}

impl Names {
    fn load<'a>(
        conn: &mut DbConnection,
        flags: impl IntoIterator<Item = &'a FlagRow>,
        history: &[TransitionRow],
    ) -> Result<Self, AppError> {
        let mut users = Vec::new();
        let mut agencies = Vec::new();
        for flag in flags {
            agencies.extend(
                [Some(flag.owner_agency_id), flag.escalated_to]
                    .into_iter()
                    .flatten(),
            );
            users.extend([flag.raised_by, flag.assigned_to].into_iter().flatten());
        }
        for step in history {
            users.extend(step.by_user);
            let detail = Detail::of(step);
            users.extend(detail.assigned_to.map(DbUuid));
            agencies.extend(detail.escalated_to.map(DbUuid));
        }
        let users: Vec<Uuid> = users.into_iter().map(|u| u.0).collect();
        let agencies: Vec<Uuid> = agencies.into_iter().map(|a| a.0).collect();
        Ok(Self {
            users: names::usernames(conn, &users)?,
            agencies: names::agency_names(conn, &agencies)?,
        })
    }

    fn user(&self, id: Option<Uuid>) -> Option<String> {
        id.and_then(|id| self.users.get(&id).cloned())
    }

    fn agency(&self, id: Option<Uuid>) -> Option<String> {
        id.and_then(|id| self.agencies.get(&id).cloned())
    }
}

/// What a transition's `detail` records.
#[derive(Debug, Default, Deserialize)]
struct Detail {
    assigned_to: Option<Uuid>,
    escalated_to: Option<Uuid>,
}

impl Detail {
    fn of(step: &TransitionRow) -> Self {
        step.detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
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
    pub by_username: Option<String>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<Value>,
    /// Who it was assigned to, with `assign`.
    pub assigned_to_username: Option<String>,
    /// The agency it was escalated to, with `escalate`.
    pub escalated_to_name: Option<String>,
}

impl TransitionView {
    fn named(row: TransitionRow, names: &Names) -> Self {
        let detail = Detail::of(&row);
        Self {
            version: row.version,
            action: row.action,
            from_state: row.from_state,
            to_state: row.to_state,
            by: row.by_user.map(|u| u.0),
            by_username: names.user(row.by_user.map(|u| u.0)),
            at: utc(row.at),
            reason: row.reason,
            detail: row.detail.and_then(|d| serde_json::from_str(&d).ok()),
            assigned_to_username: names.user(detail.assigned_to),
            escalated_to_name: names.agency(detail.escalated_to),
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

/// How much of a flag the caller sees, with its shipment's reference.
type Sight = (FlagSight, Option<String>);

/// How much of `flag` the caller sees (`policy::flag_sight`); a flag they
/// may not see is not found.
fn sight_of(conn: &mut DbConnection, actor: &Actor, flag: &FlagRow) -> Result<Sight, AppError> {
    let every = Visibility::Everything {
        include_withdrawn: true,
    };
    let shipment = records::find_visible(conn, RecordKind::Shipment, flag.shipment_id.0, &every)?
        .ok_or(AppError::NotFound)?;
    match policy::flag_sight(actor, &shipment.meta()?, flag.escalated_to.map(|a| a.0)) {
        FlagSight::NotFound => Err(AppError::NotFound),
        sight => Ok((sight, shipment.reference)),
    }
}

/// Flags as the caller sees them, named; a row they may not see is left
/// out (a list never holds what could not be fetched one by one).
pub(crate) fn views(
    conn: &mut DbConnection,
    actor: &Actor,
    rows: Vec<FlagRow>,
) -> Result<Vec<FlagView>, AppError> {
    let mut seen = Vec::with_capacity(rows.len());
    for row in rows {
        match sight_of(conn, actor, &row) {
            Ok(sight) => seen.push((row, sight)),
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let names = Names::load(conn, seen.iter().map(|(row, _)| row), &[])?;
    Ok(seen
        .into_iter()
        .map(|(row, sight)| FlagView::seen(row, sight, &names))
        .collect())
}

/// A flag with its review history: to those who see its shipment, and to
/// the supervisors of the agency it was escalated to.
pub async fn show(ctx: &Ctx, id: Uuid) -> Result<FlagDetail, AppError> {
    let actor = ctx.actor()?.clone();
    let (now, overdue_after) = (ctx.app.now(), ctx.app.config.overdue_after);
    let found = ctx
        .app
        .db
        .run(move |conn| {
            let flag = flags::find(conn, id)?.ok_or(AppError::NotFound)?;
            let sight = sight_of(conn, &actor, &flag)?;
            let history = flags::history(conn, id)?;
            let names = Names::load(conn, [&flag], &history)?;
            Ok::<_, AppError>(FlagDetail {
                flag: FlagView::seen(flag, sight, &names).aged(now, overdue_after),
                history: history
                    .into_iter()
                    .map(|t| TransitionView::named(t, &names))
                    .collect(),
            })
        })
        .await;
    ctx.audited(ctx.event_on(AuditAction::FlagRead, "flag", id), found)
        .await
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
    Ok(FlagView::from(flag).aged(ctx.app.now(), ctx.app.config.overdue_after))
}
