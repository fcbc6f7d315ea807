//! The supervisors' review: the queue, and moving a flag through
//! `open → under_review → confirmed | dismissed | escalated` (the
//! transitions themselves are `interdict_domain::review`).

use interdict_domain::audit::AuditAction;
use interdict_domain::policy::{self, RecordAction, Reviewer};
use interdict_domain::record::RecordKind;
use interdict_domain::review::{next_state, FlagState, ReviewAction, ReviewError, Transition};
use interdict_domain::validation::{bounded_text, pick};
use interdict_domain::ValidationErrors;
use interdict_persistence::flags::{self, Change};
use interdict_persistence::{agencies, users};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::flags::{flag_for, FlagView};
use crate::pagination::{check_limit, uuid_cursor, Page};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `open`, `under_review`, `confirmed`, `dismissed` or `escalated`;
    /// by default the flags still to decide.
    pub state: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Flags for the caller's agency, and for task forces its records are
/// shared with (supervisors only), newest first.
pub async fn queue(ctx: &Ctx, query: &QueueQuery) -> Result<Page<FlagView>, AppError> {
    let page = async {
        let actor = ctx.actor()?.clone();
        AppError::from_decision(policy::decide_review_queue(&actor))?;
        let states: Vec<String> = match &query.state {
            Some(s) => vec![pick::<FlagState>(s)
                .map_err(|m| AppError::bad_request("state", m))?
                .as_str()
                .to_owned()],
            None => vec![
                FlagState::Open.as_str().to_owned(),
                FlagState::UnderReview.as_str().to_owned(),
            ],
        };
        let limit = check_limit(query.limit)?;
        let before = uuid_cursor(&query.cursor)?;
        let rows = ctx
            .app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(flags::queue(
                    conn,
                    &policy::visibility(&actor, RecordKind::Shipment),
                    &states,
                    before,
                    limit + 1,
                )?)
            })
            .await?;
        Ok(Page::from_rows(
            rows,
            limit,
            |f| f.id.0.to_string(),
            FlagView::from,
        ))
    }
    .await;
    ctx.audited(ctx.event_on(AuditAction::ReviewQueue, "flag", "*"), page)
        .await
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// `assign`, `start_review`, `confirm`, `dismiss` or `escalate`.
    #[schema(example = "confirm")]
    pub action: String,
    /// Required to dismiss; kept with every transition.
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
        Some(ReviewAction::Escalate) => body
            .agency_id
            .map(|agency| Transition::Escalate { agency })
            .or_else(|| {
                errors.add("agency_id", "is required to escalate");
                None
            }),
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
                    if agencies::find(conn, *agency)?.is_none() {
                        return Err(AppError::invalid("agency_id", "no such agency"));
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
            flags::transition(conn, &flag, version, &change)?.ok_or(AppError::PreconditionFailed {
                current_version: flag.version + 1,
            })
        })
        .await?;
    Ok(flag.into())
}
