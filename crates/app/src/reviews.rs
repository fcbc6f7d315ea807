//! The supervisors' review: the queue, and moving a flag through
//! `open → under_review → confirmed | dismissed | escalated` (the
//! transitions themselves are `interdict_domain::review`).

use interdict_domain::audit::AuditAction;
use interdict_domain::chain::Limits;
use interdict_domain::policy::{self, RecordAction, Reviewer};
use interdict_domain::record::RecordKind;
use interdict_domain::review::{
    next_state, FlagState, QueueView, ReviewAction, ReviewError, Transition,
};
use interdict_domain::risk::IndicatorCode;
use interdict_domain::validation::{bounded_text, pick};
use interdict_domain::ValidationErrors;
use interdict_persistence::flags::{self, Change, FlagRow, QueueFilter, QueueOrder, RaisedFilter};
use interdict_persistence::{agencies, records, users, DbConnection};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::chains::outline;
use crate::context::Ctx;
use crate::error::AppError;
use crate::flags::{flag_for, views, FlagView};
use crate::pagination::{check_limit, uuid_cursor, Page};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `inbox` (the default: flags to decide, and flags other agencies
    /// escalated to the caller's), `review`, `escalated_to_us` or
    /// `escalated_by_us`.
    #[param(value_type = Option<interdict_domain::review::QueueView>)]
    pub view: Option<String>,
    /// `open`, `under_review`, `confirmed`, `dismissed`, `escalated` or `merged`;
    /// by default the flags still to decide, and escalated ones in the
    /// escalation views.
    #[param(value_type = Option<interdict_domain::review::FlagState>)]
    pub state: Option<String>,
    /// `newest` (the default), `oldest` (what has waited longest),
    /// `score` (highest first) or `chain` (the largest chain first, as
    /// the caller sees it; then by score).
    #[param(value_type = Option<interdict_domain::review::QueueSort>)]
    pub sort: Option<String>,
    /// `me`, `none` or a supervisor's id.
    pub assigned_to: Option<String>,
    /// `true`: only flags still undecided `[review] overdue_after_days`
    /// after they were raised; `false`: only those that are not.
    pub overdue: Option<bool>,
    /// Only flags carrying this indicator, e.g. `pill_press`.
    #[param(value_type = Option<interdict_domain::risk::IndicatorCode>)]
    pub indicator: Option<String>,
    /// Only flags owned by this agency (e.g. escalated to us by it).
    pub agency_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// How a queue is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Newest,
    Oldest,
    Score,
    ChainSize,
}

/// How many flags of a queue the chain-size sort ranks: it weighs every
/// chain of the queue in the application, the oldest flags first.
pub const CHAIN_SORT_CAP: i64 = 5_000;

/// The queue's order from `sort` and the page's `cursor`: an id for the
/// newest first, a position otherwise. The chain-size sort reads the
/// queue oldest first and ranks it itself, from the position returned.
fn queue_order(
    sort: &Option<String>,
    cursor: &Option<String>,
) -> Result<(QueueOrder, Option<i64>), AppError> {
    let sort = match sort.as_deref() {
        None | Some("newest") => Sort::Newest,
        // The longest wait first.
        Some("oldest") | Some("age") => Sort::Oldest,
        Some("score") => Sort::Score,
        Some("chain") | Some("chain_size") => Sort::ChainSize,
        Some(_) => {
            return Err(AppError::bad_request(
                "sort",
                "must be newest, oldest (or age), score or chain",
            ))
        }
    };
    let offset = || match cursor {
        None => Ok(0),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::bad_request("cursor", "is not a cursor of this queue")),
    };
    Ok(match sort {
        Sort::Newest => (
            QueueOrder::Newest {
                before: uuid_cursor(cursor)?,
            },
            None,
        ),
        Sort::Oldest => (QueueOrder::Oldest { offset: offset()? }, None),
        Sort::Score => (QueueOrder::Score { offset: offset()? }, None),
        Sort::ChainSize => (QueueOrder::Oldest { offset: 0 }, Some(offset()?)),
    })
}

/// The largest chains first (then the highest score, then the oldest):
/// `rows` re-ordered by the size of each flag's chain as `actor` sees it.
/// A flag whose shipment the caller may not see (escalated to them, not
/// shared) ranks as if alone, so its place says nothing of its chain.
fn by_chain_size(
    conn: &mut DbConnection,
    actor: &policy::Actor,
    rows: Vec<FlagRow>,
    limits: &Limits,
) -> Result<Vec<FlagRow>, AppError> {
    let starts: Vec<Uuid> = rows.iter().map(|f| f.shipment_id.0).collect();
    let seen = policy::visibility(actor, RecordKind::Shipment);
    let visible: HashSet<Uuid> = records::rows_visible(conn, RecordKind::Shipment, &starts, &seen)?
        .into_iter()
        .map(|r| r.id.0)
        .collect();
    let shown: Vec<Uuid> = starts
        .iter()
        .filter(|s| visible.contains(s))
        .copied()
        .collect();
    let sizes = outline::members(conn, &shown, limits)?;
    let size = |f: &FlagRow| {
        sizes
            .get(&f.shipment_id.0)
            .filter(|_| visible.contains(&f.shipment_id.0))
            .map_or(1, Vec::len)
    };
    let mut ranked: Vec<(usize, FlagRow)> = rows.into_iter().map(|f| (size(&f), f)).collect();
    ranked.sort_by(|(a, fa), (b, fb)| {
        b.cmp(a)
            .then(fb.score.total_cmp(&fa.score))
            .then(fa.id.0.cmp(&fb.id.0))
    });
    Ok(ranked.into_iter().map(|(_, f)| f).collect())
}

/// The states each part of a queue `view` lists: flags we review,
/// escalated to us, escalated by us.
fn queue_states(view: QueueView, state: Option<FlagState>) -> [Vec<String>; 3] {
    let names = |states: &[FlagState]| -> Vec<String> {
        states.iter().map(|s| s.as_str().to_owned()).collect()
    };
    let undecided = [FlagState::Open, FlagState::UnderReview];
    let escalated = [FlagState::Escalated];
    let (review, to_us, by_us) = match view {
        QueueView::Inbox => (Some(&undecided[..]), Some(&escalated[..]), None),
        QueueView::Review => (Some(&undecided[..]), None, None),
        QueueView::EscalatedToUs => (None, Some(&escalated[..]), None),
        QueueView::EscalatedByUs => (None, None, Some(&escalated[..])),
    };
    // A state asked for replaces each listed part's default.
    let part = |default: Option<&[FlagState]>| match (default, state) {
        (None, _) => Vec::new(),
        (Some(_), Some(state)) => names(&[state]),
        (Some(default), None) => names(default),
    };
    [part(review), part(to_us), part(by_us)]
}

/// Flags for the caller's agency, and for task forces its records are
/// shared with, and flags escalated to it (supervisors only), newest first.
pub async fn queue(ctx: &Ctx, query: &QueueQuery) -> Result<Page<FlagView>, AppError> {
    let page = async {
        let actor = ctx.actor()?.clone();
        AppError::from_decision(policy::decide_review_queue(&actor))?;
        let view = match &query.view {
            Some(v) => pick::<QueueView>(v).map_err(|m| AppError::bad_request("view", m))?,
            None => QueueView::Inbox,
        };
        let state = match &query.state {
            Some(s) => Some(pick::<FlagState>(s).map_err(|m| AppError::bad_request("state", m))?),
            None => None,
        };
        let [mut reviewing, mut escalated_to_us, mut escalated_by_us] = queue_states(view, state);
        let now = ctx.app.now();
        let overdue_after = ctx.app.config.overdue_after;
        // Overdue: raised at least `overdue_after` ago and still undecided.
        let overdue_since = (now - overdue_after).naive_utc();
        let raised = match query.overdue {
            None => None,
            Some(true) => {
                let undecided = |s: &String| {
                    s.parse::<FlagState>()
                        .map(|s| !s.is_decided())
                        .unwrap_or(false)
                };
                reviewing.retain(undecided);
                escalated_to_us.retain(undecided);
                escalated_by_us.retain(undecided);
                Some(RaisedFilter::Before(overdue_since))
            }
            Some(false) => Some(RaisedFilter::NotOverdue(overdue_since)),
        };
        let limit = check_limit(query.limit)?;
        let (order, ranked_from) = queue_order(&query.sort, &query.cursor)?;
        let limits = ctx.app.config.chain_limits;
        let assigned_to = match query.assigned_to.as_deref() {
            None => None,
            Some("me") => Some(Some(actor.user_id)),
            Some("none") => Some(None),
            Some(id) => Some(Some(id.parse::<Uuid>().map_err(|_| {
                AppError::bad_request("assigned_to", "must be me, none or a user id")
            })?)),
        };
        let indicator = match &query.indicator {
            Some(code) => Some(
                pick::<IndicatorCode>(code)
                    .map_err(|m| AppError::bad_request("indicator", m))?
                    .as_str(),
            ),
            None => None,
        };
        let owner_agency = query.agency_id;
        let (rows, more) = ctx
            .app
            .db
            .run(move |conn| {
                let filter = QueueFilter {
                    agency: actor.agency_id,
                    task_forces: &actor.task_forces,
                    reviewing: &reviewing,
                    escalated_to_us: &escalated_to_us,
                    escalated_by_us: &escalated_by_us,
                    assigned_to,
                    raised,
                    indicator,
                    owner_agency,
                    include_withdrawn: matches!(
                        policy::visibility(&actor, RecordKind::Shipment),
                        policy::Visibility::Scoped {
                            include_withdrawn: true,
                            ..
                        }
                    ),
                    order,
                };
                let mut rows = match ranked_from {
                    None => flags::queue(conn, &filter, limit + 1)?,
                    Some(offset) => {
                        let all = flags::queue(conn, &filter, CHAIN_SORT_CAP)?;
                        by_chain_size(conn, &actor, all, &limits)?
                            .into_iter()
                            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                            .take(limit as usize + 1)
                            .collect()
                    }
                };
                let more = rows.len() as i64 > limit;
                rows.truncate(limit as usize);
                let next = match (order, ranked_from) {
                    (_, Some(offset)) => Some((offset + limit).to_string()),
                    (QueueOrder::Newest { .. }, None) => rows.last().map(|f| f.id.0.to_string()),
                    (QueueOrder::Oldest { offset } | QueueOrder::Score { offset }, None) => {
                        Some((offset + limit).to_string())
                    }
                };
                let mut views: Vec<FlagView> = views(conn, &actor, rows)?
                    .into_iter()
                    .map(|v| v.aged(now, overdue_after))
                    .collect();
                // Each row's chain, for the shipments the caller sees.
                let starts: Vec<Uuid> = views.iter().filter_map(|v| v.shipment_id).collect();
                let outlines = outline::outlines(conn, &actor, &starts, &limits)?;
                for view in &mut views {
                    view.chain = view.shipment_id.and_then(|s| outlines.get(&s).cloned());
                }
                Ok::<_, AppError>((views, next.filter(|_| more)))
            })
            .await?;
        Ok(Page {
            items: rows,
            next_cursor: more,
        })
    }
    .await;
    ctx.audited(ctx.event_on(AuditAction::ReviewQueue, "flag", "*"), page)
        .await
}

/// A supervisor a flag may be assigned to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewerView {
    pub id: Uuid,
    #[schema(example = "sup.garcia")]
    pub username: String,
    pub display_name: String,
}

/// The active supervisors of the caller's agency, to assign flags to
/// (supervisors only).
pub async fn reviewers(ctx: &Ctx) -> Result<Vec<ReviewerView>, AppError> {
    let found = async {
        let actor = ctx.actor()?.clone();
        AppError::from_decision(policy::decide_reviewer_directory(&actor))?;
        let agency = actor.agency_id;
        let rows = ctx
            .app
            .db
            .run(move |conn| Ok::<_, AppError>(users::supervisors(conn, agency)?))
            .await?;
        Ok(rows
            .into_iter()
            .map(|u| ReviewerView {
                id: u.id.0,
                username: u.username,
                display_name: u.display_name,
            })
            .collect())
    }
    .await;
    let agency = ctx
        .actor()
        .map(|a| a.agency_id.to_string())
        .unwrap_or_default();
    ctx.audited(
        ctx.event_on(AuditAction::UserList, "reviewers", agency),
        found,
    )
    .await
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "action": "escalate", "reason": "The consignee is in their case", "agency_id": "01934f2e-7c1a-7d3e-9a4b-2f6c8e0d1a2e" }))]
pub struct TransitionRequest {
    /// `assign`, `start_review`, `confirm`, `dismiss` or `escalate`.
    #[schema(value_type = interdict_domain::review::ReviewAction, example = "confirm")]
    pub action: String,
    /// Required to dismiss and to escalate; kept with every transition.
    pub reason: Option<String>,
    /// The supervisor to assign (with `assign`).
    pub assignee_id: Option<Uuid>,
    /// The agency to escalate to (with `escalate`).
    pub agency_id: Option<Uuid>,
}

fn parse_transition(body: &TransitionRequest) -> Result<(Transition, Option<String>), AppError> {
    let mut errors = ValidationErrors::new();
    let action = errors.check("action", pick::<ReviewAction>(&body.action));
    let reason = match body.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => errors.check("reason", bounded_text(text, 2000)),
    };
    let transition = match action {
        Some(ReviewAction::Assign) => body
            .assignee_id
            .map(|assignee| Transition::Assign { assignee })
            .or_else(|| {
                errors.add("assignee_id", "is required to assign");
                None
            }),
        Some(ReviewAction::StartReview) => Some(Transition::StartReview),
        Some(ReviewAction::Confirm) => Some(Transition::Confirm),
        Some(ReviewAction::Dismiss) => match &reason {
            Some(reason) => Some(Transition::Dismiss {
                reason: reason.clone(),
            }),
            None => {
                errors.add("reason", "is required to dismiss");
                None
            }
        },
        Some(ReviewAction::Escalate) => {
            // The agency receiving it reads why in the flag's history.
            if reason.is_none() {
                errors.add("reason", "is required to escalate");
            }
            body.agency_id
                .map(|agency| Transition::Escalate { agency })
                .or_else(|| {
                    errors.add("agency_id", "is required to escalate");
                    None
                })
        }
        None => None,
    };
    match transition {
        Some(transition) if errors.is_empty() => Ok((transition, reason)),
        _ => Err(errors.into()),
    }
}

/// Moves a flag through review, based on its `version` (from `If-Match`):
/// a decision on a version someone else already moved is refused as stale.
/// An action the state does not allow is a conflict; deciding a flag one
/// raised oneself is forbidden.
pub async fn transition(
    ctx: &Ctx,
    id: Uuid,
    version: Result<i64, AppError>,
    request: &TransitionRequest,
) -> Result<FlagView, AppError> {
    let mut event = ctx.event_on(AuditAction::FlagTransition, "flag", id);
    event.detail =
        Some(serde_json::json!({ "action": request.action, "reason": request.reason }).to_string());
    let prepared = parse_transition(request).and_then(|t| Ok((t, version?)));
    let ((transition, reason), version) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return ctx.reject(event, e).await,
    };
    let actor = ctx.actor()?.clone();
    let (now, overdue_after) = (ctx.app.now(), ctx.app.config.overdue_after);
    let flag = ctx
        .app
        .audit
        .perform(event, move |conn, _| {
            let flag = flag_for(conn, &actor, id, RecordAction::Review)?;
            if flag.version != version {
                return Err(AppError::PreconditionFailed {
                    current_version: flag.version,
                });
            }
            let to = next_state(
                flag.state()?,
                &transition,
                actor.user_id,
                flag.raised_by.map(|u| u.0),
            )
            .map_err(|e| match e {
                ReviewError::FourEyes => AppError::Forbidden,
                invalid @ ReviewError::InvalidTransition { .. } => {
                    AppError::Conflict(invalid.to_string())
                }
            })?;
            let (assigned_to, escalated_to) = match &transition {
                Transition::Assign { assignee } => {
                    let reviewer = match users::find(conn, *assignee)? {
                        Some(user) => policy::may_review(
                            &Reviewer {
                                role: user.role()?,
                                agency: user.agency_id.0,
                                active: user.active,
                            },
                            flag.owner_agency_id.0,
                        ),
                        None => false,
                    };
                    if !reviewer {
                        return Err(AppError::invalid(
                            "assignee_id",
                            "must be an active supervisor of the flag's agency",
                        ));
                    }
                    (Some(*assignee), None)
                }
                Transition::Escalate { agency } => {
                    let Some(target) = agencies::find(conn, *agency)? else {
                        return Err(AppError::invalid("agency_id", "no such agency"));
                    };
                    if let Some(refusal) = policy::escalation_refusal(
                        flag.owner_agency_id.0,
                        target.id.0,
                        target.is_system,
                    ) {
                        return Err(AppError::invalid("agency_id", refusal));
                    }
                    (None, Some(*agency))
                }
                _ => (None, None),
            };
            let change = Change {
                action: transition.action().as_str(),
                to,
                assigned_to,
                escalated_to,
                by: actor.user_id,
                reason: reason.as_deref(),
            };
            let moved = flags::transition(conn, &flag, version, &change)?.ok_or(
                AppError::PreconditionFailed {
                    current_version: flag.version + 1,
                },
            )?;
            views(conn, &actor, vec![moved])?
                .pop()
                .map(|v| v.aged(now, overdue_after))
                .ok_or(AppError::NotFound)
        })
        .await?;
    Ok(flag)
}
