//! The supervisors' review queue and the decisions on flags.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy::{self, RecordAction};
use interdict_domain::review::{next_state, FlagState, ReviewAction, ReviewError, Transition};
use interdict_domain::user::Role;
use interdict_domain::validation::{bounded_text, pick};
use interdict_domain::ValidationErrors;
use interdict_persistence::flags::{self, Change, FlagRow, TransitionRow};
use interdict_persistence::{agencies, users};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::chains::shipment_for;
use super::views::utc;
use super::{etag, IfMatch};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::{check_limit, Page};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    pub id: Uuid,
    pub shipment_id: Uuid,
    pub owner_agency_id: Uuid,
    #[schema(example = "open")]
    pub state: String,
    pub reason: String,
    pub score: f64,
    /// The indicators that fired when it was raised.
    #[schema(value_type = Vec<Object>)]
    pub indicators: Value,
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
            indicators: serde_json::from_str(&row.indicators).unwrap_or(Value::Null),
            raised_by: row.raised_by.map(|u| u.0),
            raised_at: utc(row.raised_at),
            assigned_to: row.assigned_to.map(|u| u.0),
            escalated_to: row.escalated_to.map(|u| u.0),
            version: row.version,
            updated_at: utc(row.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
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

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagDetail {
    #[serde(flatten)]
    pub flag: FlagView,
    /// Who did what, when and why, oldest first.
    pub history: Vec<TransitionView>,
}

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
#[utoipa::path(get, operation_id = "reviews_queue", path = "/api/v1/reviews/queue", tag = "reviews", security(("bearer" = [])), params(QueueQuery), responses(
    (status = 200, body = Page<FlagView>), (status = 403, content_type = "application/problem+json")))]
pub async fn queue(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<QueueQuery>,
) -> Result<web::Json<Page<FlagView>>, ApiError> {
    let actor = caller.actor.clone();
    let page = async {
        if actor.role != Role::Supervisor {
            return Err(ApiError::Forbidden);
        }
        let states: Vec<String> = match &query.state {
            Some(s) => vec![pick::<FlagState>(s)
                .map_err(|m| ApiError::bad_request("state", m))?
                .as_str()
                .to_owned()],
            None => vec![
                FlagState::Open.as_str().to_owned(),
                FlagState::UnderReview.as_str().to_owned(),
            ],
        };
        let limit = check_limit(query.limit)?;
        let before = crate::pagination::uuid_cursor(&query.cursor)?;
        let rows = state
            .db
            .run(move |conn| {
                Ok::<_, ApiError>(flags::queue(
                    conn,
                    actor.agency_id,
                    &actor.task_forces,
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
    state
        .audited(caller.event_on(AuditAction::ReviewQueue, "flag", "*"), page)
        .await
        .map(web::Json)
}

/// Loads a flag whose shipment the caller may act on in `action`.
fn flag_for(
    conn: &mut interdict_persistence::DbConnection,
    actor: &policy::Actor,
    id: Uuid,
    action: RecordAction,
) -> Result<FlagRow, ApiError> {
    let flag = flags::find(conn, id)?.ok_or(ApiError::NotFound)?;
    // The flag is as visible as its shipment.
    shipment_for(conn, actor, flag.shipment_id.0, RecordAction::Read)?;
    shipment_for(conn, actor, flag.shipment_id.0, action)?;
    Ok(flag)
}

/// A flag with its review history.
#[utoipa::path(get, operation_id = "reviews_show", path = "/api/v1/flags/{id}", tag = "reviews", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = FlagDetail, headers(("ETag" = String))), (status = 404, content_type = "application/problem+json")))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let actor = caller.actor.clone();
    let found = state
        .db
        .run(move |conn| {
            let flag = flag_for(conn, &actor, id, RecordAction::Read)?;
            let history = flags::history(conn, id)?;
            Ok((flag, history))
        })
        .await;
    let (flag, history) = state
        .audited(caller.event_on(AuditAction::FlagRead, "flag", id), found)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(flag.version))
        .json(FlagDetail {
            flag: flag.into(),
            history: history.into_iter().map(TransitionView::from).collect(),
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
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

fn parse_transition(body: &TransitionRequest) -> Result<(Transition, Option<String>), ApiError> {
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

/// Moves a flag through review. Needs `If-Match` with the flag's version: a
/// decision on a version someone else already moved is 412. An action the
/// state does not allow is 409; deciding a flag you raised is 403.
#[utoipa::path(post, operation_id = "reviews_transition", path = "/api/v1/flags/{id}/transitions", tag = "reviews", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The flag's version")), request_body = TransitionRequest, responses(
    (status = 200, body = FlagView, headers(("ETag" = String))),
    (status = 403, description = "Not a reviewer of this flag, or you raised it", content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 409, description = "Not allowed in the flag's state", content_type = "application/problem+json"),
    (status = 412, description = "Someone decided first", content_type = "application/problem+json"),
    (status = 422, content_type = "application/problem+json"),
    (status = 428, content_type = "application/problem+json")))]
pub async fn transition(
    state: web::Data<AppState>,
    caller: Caller,
    if_match: IfMatch,
    path: web::Path<Uuid>,
    body: web::Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut event = caller.event_on(AuditAction::FlagTransition, "flag", id);
    event.detail =
        Some(serde_json::json!({ "action": body.action, "reason": body.reason }).to_string());
    let prepared = parse_transition(&body).and_then(|t| Ok((t, if_match.0?)));
    let ((transition, reason), version) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return state.reject(event, e).await,
    };
    let actor = caller.actor.clone();
    let flag = state
        .audit
        .perform(event, move |conn, _| {
            let flag = flag_for(conn, &actor, id, RecordAction::Review)?;
            if flag.version != version {
                return Err(ApiError::PreconditionFailed {
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
                ReviewError::FourEyes => ApiError::Forbidden,
                invalid @ ReviewError::InvalidTransition { .. } => {
                    ApiError::Conflict(invalid.to_string())
                }
            })?;
            let (assigned_to, escalated_to) = match &transition {
                Transition::Assign { assignee } => {
                    let user = users::find(conn, *assignee)?;
                    let reviewer = match user {
                        Some(u) => {
                            u.active
                                && u.role()? == Role::Supervisor
                                && u.agency_id == flag.owner_agency_id
                        }
                        None => false,
                    };
                    if !reviewer {
                        return Err(ValidationErrors::single(
                            "assignee_id",
                            "must be an active supervisor of the flag's agency",
                        )
                        .into());
                    }
                    (Some(*assignee), None)
                }
                Transition::Escalate { agency } => {
                    if agencies::find(conn, *agency)?.is_none() {
                        return Err(ValidationErrors::single("agency_id", "no such agency").into());
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
            flags::transition(conn, &flag, version, &change)?.ok_or(ApiError::PreconditionFailed {
                current_version: flag.version + 1,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(flag.version))
        .json(FlagView::from(flag)))
}
