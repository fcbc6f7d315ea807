//! Flags on chains: raised by hand or by the system, and read with their
//! review history. A flag is as visible as its shipment.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use std::collections::HashMap;

use interdict_domain::audit::{AuditEvent, Outcome};
use interdict_domain::policy::{self, Actor, FlagSight, RecordAction, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::review::{self, FlagState, OpenFlag};
use interdict_domain::risk::Assessment;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::flags::{self, FlagRow, TransitionRow};
use interdict_persistence::{names, records, DbConnection, DbUuid};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::{Ctx, SYSTEM_ROLE};
use crate::error::AppError;
use crate::records::{shipment_for, ReasonRequest, Versioned};
use crate::{risk, utc};

/// A risk indicator as it stood when the flag was raised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagIndicator {
    #[schema(value_type = interdict_domain::risk::IndicatorCode, example = "controlled_chemical")]
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
    /// Whom to ask for access, when the flag was escalated to the caller's
    /// agency and its shipment is not shared with it: the holding agency's
    /// contact line, as a deconfliction notice gives it.
    pub owner_agency_contact: Option<String>,
    /// `open`, `under_review`, `confirmed`, `dismissed`, `escalated` or
    /// `merged` (closed into `merged_into`).
    #[schema(value_type = interdict_domain::review::FlagState, example = "open")]
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
    /// The flag this one was merged into, when its state is `merged`.
    pub merged_into: Option<Uuid>,
    /// Send back in `If-Match` with a decision.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// Whole days it has waited: since it was raised, or until it was
    /// decided.
    pub age_days: i64,
    /// Still undecided `[review] overdue_after_days` after it was raised.
    pub overdue: bool,
    /// Its chain at a glance, in the review queue, where the caller sees
    /// the flag's shipment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<crate::chains::ChainOutline>,
}

impl From<FlagRow> for FlagView {
    fn from(row: FlagRow) -> Self {
        Self {
            id: row.id.0,
            shipment_id: Some(row.shipment_id.0),
            shipment_reference: None,
            owner_agency_id: row.owner_agency_id.0,
            owner_agency_name: None,
            owner_agency_contact: None,
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
            merged_into: row.merged_into.map(|f| f.0),
            version: row.version,
            updated_at: utc(row.updated_at),
            age_days: 0,
            overdue: false,
            chain: None,
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
            view.owner_agency_contact = names.contact(view.owner_agency_id);
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
    /// Each agency's name and contact line.
    agencies: HashMap<Uuid, (String, String)>,
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
            agencies: names::agencies_named(conn, &agencies)?,
        })
    }

    fn user(&self, id: Option<Uuid>) -> Option<String> {
        id.and_then(|id| self.users.get(&id).cloned())
    }

    fn agency(&self, id: Option<Uuid>) -> Option<String> {
        id.and_then(|id| self.agencies.get(&id).map(|(name, _)| name.clone()))
    }

    fn contact(&self, id: Uuid) -> Option<String> {
        self.agencies.get(&id).map(|(_, contact)| contact.clone())
    }
}

/// What a transition's `detail` records.
#[derive(Debug, Default, Deserialize)]
struct Detail {
    assigned_to: Option<Uuid>,
    escalated_to: Option<Uuid>,
}

/// The flags one merged, or the one it was merged into, from a `merge`
/// entry's detail.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct MergeDetail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<Uuid>,
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
    #[schema(value_type = Option<interdict_domain::review::FlagState>)]
    pub from_state: Option<String>,
    #[schema(value_type = interdict_domain::review::FlagState)]
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

/// What raising a flag asks for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "reason": "4-AP declared as industrial dye", "separate": false }))]
pub struct RaiseFlagRequest {
    /// Why; kept with the flag for oversight.
    #[schema(example = "4-AP declared as industrial dye")]
    pub reason: String,
    /// A supervisor's choice to raise a second flag although the chain
    /// already has an open one; otherwise the reason is added to that flag.
    #[serde(default)]
    pub separate: bool,
}

/// What raising a flag did: a new flag, or the reason added to the
/// chain's open flag.
#[derive(Debug, Clone)]
pub enum Raised {
    New(FlagView),
    AddedTo(FlagView),
}

/// The indicators stored on a flag.
fn indicators_of(row: &FlagRow) -> Vec<FlagIndicator> {
    serde_json::from_str(&row.indicators).unwrap_or_default()
}

/// `row`'s indicators as the chain now shows them (`more`, a whole-chain
/// assessment), keeping those of its own the chain no longer shows, with
/// the higher of the scores: `None` when that adds no kind of indicator
/// and no score.
fn joined(
    row: &FlagRow,
    more: &[FlagIndicator],
    score: f64,
) -> Result<Option<(String, f64)>, AppError> {
    let before = indicators_of(row);
    let new_kind = more
        .iter()
        .any(|m| !before.iter().any(|b| b.code == m.code));
    if !new_kind && score <= row.score {
        return Ok(None);
    }
    let mut after = more.to_vec();
    after.extend(
        before
            .into_iter()
            .filter(|b| !more.iter().any(|m| m.code == b.code)),
    );
    let text = serde_json::to_string(&after).map_err(AppError::internal)?;
    Ok(Some((text, row.score.max(score))))
}

/// The undecided flags of `agency` on the chain through `nodes`, the one a
/// new reason joins first (under review, then oldest).
fn open_on_chain(
    conn: &mut DbConnection,
    nodes: &[Uuid],
    agency: Uuid,
) -> Result<Vec<FlagRow>, AppError> {
    let mut open = Vec::new();
    for flag in flags::on_shipments(conn, nodes)? {
        if flag.owner_agency_id.0 == agency && !flag.state()?.is_decided() {
            open.push(flag);
        }
    }
    open.sort_by_key(|f| (f.state != FlagState::UnderReview.as_str(), f.id.0));
    Ok(open)
}

fn moved_first() -> AppError {
    AppError::Conflict("a flag on this chain changed meanwhile; try again".into())
}

/// A system audit entry about `flag` in the caller's transaction.
fn system_event(
    context: &mut AuditContext<'_>,
    action: AuditAction,
    owner: Uuid,
    flag: Uuid,
    detail: Value,
) {
    let mut event = AuditEvent::at(action, context.occurred_at);
    event.agency_id = Some(owner);
    event.role = Some(SYSTEM_ROLE.into());
    event.object_type = Some("flag".into());
    event.object_id = Some(flag.to_string());
    event.request_id = context.request_id.clone();
    event.outcome = Outcome::Allowed;
    event.detail = Some(detail.to_string());
    context.also(event);
}

/// One open flag per chain: after a link, the undecided flags of each
/// agency on the chain through `nodes` merge into one, with the union of
/// their indicators, the highest score and a history entry on each; each
/// merge has its own audit entry in the caller's transaction. `by` is who
/// made the link.
pub(crate) fn merge_on_chain(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    nodes: &[Uuid],
    by: Option<Uuid>,
    reason: &str,
) -> Result<(), AppError> {
    let rows = flags::on_shipments(conn, nodes)?;
    let mut open = Vec::with_capacity(rows.len());
    for row in &rows {
        open.push(OpenFlag {
            id: row.id.0,
            owner_agency: row.owner_agency_id.0,
            state: row.state()?,
        });
    }
    for merge in review::merge_plan(&open) {
        let find = |id: Uuid| rows.iter().find(|r| r.id.0 == id).ok_or(AppError::NotFound);
        let survivor = find(merge.survivor)?;
        let mut indicators = indicators_of(survivor);
        let mut score = survivor.score;
        for id in &merge.absorbed {
            let absorbed = find(*id)?;
            indicators = review::union_indicators(
                &indicators,
                &indicators_of(absorbed),
                |i| (i.code.clone(), i.sentence.clone()),
                |i| i.weight,
            );
            score = score.max(absorbed.score);
            if !flags::close_merged(conn, absorbed, merge.survivor, by, reason)? {
                return Err(moved_first());
            }
        }
        let text = serde_json::to_string(&indicators).map_err(AppError::internal)?;
        let detail = MergeDetail {
            merged: merge.absorbed.clone(),
            merged_into: None,
        };
        flags::amend(
            conn,
            survivor,
            &flags::Amendment {
                action: "merge",
                indicators: &text,
                score,
                by,
                reason: Some(reason),
                detail: Some(serde_json::to_string(&detail).map_err(AppError::internal)?),
            },
        )?
        .ok_or_else(moved_first)?;
        system_event(
            context,
            AuditAction::FlagMerge,
            survivor.owner_agency_id.0,
            merge.survivor,
            serde_json::json!({ "merged": merge.absorbed, "by": by, "reason": reason }),
        );
    }
    Ok(())
}

/// A later assessment of a chain that reaches the threshold while the
/// owner already has an open flag on it: its indicators join that flag
/// (nothing is written if they add nothing). Returns whether there was
/// such a flag.
pub(crate) fn attach_to_open(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    nodes: &[Uuid],
    owner: Uuid,
    assessment: &Assessment,
    reason: &str,
) -> Result<bool, AppError> {
    let Some(open) = open_on_chain(conn, nodes, owner)?.into_iter().next() else {
        return Ok(false);
    };
    let more: Vec<FlagIndicator> = serde_json::to_value(&assessment.indicators)
        .and_then(serde_json::from_value)
        .map_err(AppError::internal)?;
    if let Some((text, score)) = joined(&open, &more, assessment.score)? {
        flags::amend(
            conn,
            &open,
            &flags::Amendment {
                action: "attach",
                indicators: &text,
                score,
                by: None,
                reason: Some(reason),
                detail: None,
            },
        )?
        .ok_or_else(moved_first)?;
        system_event(
            context,
            AuditAction::FlagAmend,
            owner,
            open.id.0,
            serde_json::json!({ "by": "system", "score": assessment.score }),
        );
    }
    Ok(true)
}

/// `flag` as `actor` sees it, named.
fn named(conn: &mut DbConnection, actor: &Actor, flag: FlagRow) -> Result<FlagView, AppError> {
    let sight = sight_of(conn, actor, &flag)?;
    let names = Names::load(conn, [&flag], &[])?;
    Ok(FlagView::seen(flag, sight, &names))
}

/// Flags the chain through a shipment for its agency's supervisors. If
/// the chain already has an open flag of that agency the caller can see,
/// the reason (and what the chain now shows) is added to it instead,
/// unless a supervisor asks for a separate flag.
pub async fn raise(ctx: &Ctx, id: Uuid, request: &RaiseFlagRequest) -> Result<Raised, AppError> {
    let event = ctx.event_on(AuditAction::FlagRaise, "shipment", id);
    let reason = match ReasonRequest::new(request.reason.clone()).reason() {
        Ok(reason) => reason,
        Err(e) => return ctx.reject(event, e).await,
    };
    let actor = ctx.actor()?.clone();
    let separate = request.separate;
    if separate {
        if let Err(e) = AppError::from_decision(policy::decide_separate_flag(&actor)) {
            return ctx.reject(event, e).await;
        }
    }
    let config = ctx.app.config.clone();
    let (flag, added) = ctx
        .app
        .audit
        .perform(event, move |conn, event| -> Result<(FlagView, bool), AppError> {
            let row = shipment_for(conn, &actor, id, RecordAction::Flag)?;
            let owner = row.owner_agency_id.0;
            let assessed = risk::chain(
                conn,
                id,
                &config.chain_limits,
                &config.risk,
                Some(&actor),
                Some(event.refresh),
            )?;
            let open = if separate {
                None
            } else {
                let mut seen = None;
                for flag in open_on_chain(conn, &assessed.trace.nodes, owner)? {
                    if matches!(sight_of(conn, &actor, &flag), Ok((FlagSight::Full, _))) {
                        seen = Some(flag);
                        break;
                    }
                }
                seen
            };
            if let Some(open) = open {
                let more: Vec<FlagIndicator> =
                    serde_json::to_value(&assessed.assessment.indicators)
                        .and_then(serde_json::from_value)
                        .map_err(AppError::internal)?;
                let (text, score) = joined(&open, &more, assessed.assessment.score)?
                    .unwrap_or_else(|| (open.indicators.clone(), open.score));
                let flag = flags::amend(
                    conn,
                    &open,
                    &flags::Amendment {
                        action: "add_reason",
                        indicators: &text,
                        score,
                        by: Some(actor.user_id),
                        reason: Some(&reason),
                        detail: None,
                    },
                )?
                .ok_or_else(moved_first)?;
                event.detail = Some(
                    serde_json::json!({ "flag_id": flag.id.0, "reason": reason, "added_to_open_flag": true })
                        .to_string(),
                );
                return Ok((named(conn, &actor, flag)?, true));
            }
            let indicators = serde_json::to_string(&assessed.assessment.indicators)
                .map_err(AppError::internal)?;
            let flag = flags::raise(
                conn,
                id,
                owner,
                &reason,
                assessed.assessment.score,
                &indicators,
                Some(actor.user_id),
            )?;
            event.detail = Some(
                serde_json::json!({ "flag_id": flag.id.0, "reason": reason, "separate": separate })
                    .to_string(),
            );
            Ok((named(conn, &actor, flag)?, false))
        })
        .await?;
    let flag = flag.aged(ctx.app.now(), ctx.app.config.overdue_after);
    Ok(if added {
        Raised::AddedTo(flag)
    } else {
        Raised::New(flag)
    })
}
