//! The audit trail for auditors: search and chain verification.

use actix_web::web;
use chrono::{DateTime, Utc};
use interdict_domain::audit::{AuditAction, Outcome, VerifyReport};
use interdict_domain::policy::{self, AuditScope};
use interdict_domain::record::RecordKind;
use interdict_persistence::audit::{self, AuditFilter, VerifyMode};
use interdict_persistence::records;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::views::AuditEntryView;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::{bad_cursor, check_limit, Page};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub user_id: Option<Uuid>,
    /// e.g. `auth.login`, `user.update`.
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// `allowed`, `denied` or `error`.
    pub outcome: Option<String>,
    /// Inclusive start: RFC 3339 (e.g. `2026-01-01T00:00:00Z`), or a date
    /// for midnight UTC.
    pub from: Option<String>,
    /// Exclusive end: RFC 3339, or a date for midnight UTC at its start.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Parses a time query parameter, naming it when it is wrong: an RFC 3339
/// time, or a date alone for midnight UTC at its start (so
/// `from=2026-07-01&to=2026-10-01` is the third quarter).
pub fn parse_time(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
                })
                .map_err(|_| {
                    ApiError::bad_request(
                        field,
                        "must be a date such as 2026-01-01 or an RFC 3339 time such as 2026-01-01T00:00:00Z",
                    )
                })
        })
        .transpose()
}

fn filter(query: AuditQuery) -> Result<AuditFilter, ApiError> {
    let from = parse_time("from", query.from.as_deref())?;
    let to = parse_time("to", query.to.as_deref())?;
    let outcome = query
        .outcome
        .map(|o| {
            o.parse::<Outcome>()
                .map_err(|m| ApiError::bad_request("outcome", m))
        })
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(ApiError::bad_request("to", "must be after `from`"));
        }
    }
    let before_seq = query
        .cursor
        .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
        .transpose()?;
    Ok(AuditFilter {
        user_id: query.user_id,
        action: query.action,
        object_type: query.object_type,
        object_id: query.object_id,
        outcome,
        from: from.map(|t| t.naive_utc()),
        to: to.map(|t| t.naive_utc()),
        before_seq,
        limit: check_limit(query.limit)? + 1,
    })
}

/// Searches audit entries in the caller's scope (their agency's; the
/// system agency's auditors see all), newest first. The search itself is
/// audited.
#[utoipa::path(get, operation_id = "audit_search", path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery), responses(
    (status = 200, body = Page<AuditEntryView>),
    (status = 400, content_type = "application/problem+json"),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEntryView>>, ApiError> {
    let mut event = caller.event_on(AuditAction::AuditSearch, "audit", "*");
    let query = query.into_inner();
    event.detail = Some(
        serde_json::json!({
            "user_id": query.user_id, "action": query.action, "object_type": query.object_type,
            "object_id": query.object_id, "outcome": query.outcome, "from": query.from, "to": query.to,
        })
        .to_string(),
    );
    let actor = caller.actor.clone();
    let page = async {
        ApiError::from_decision(policy::decide_audit_search(&actor))?;
        let filter = filter(query)?;
        let limit = filter.limit - 1;
        let scope = policy::audit_scope(&actor);
        let entries = state
            .db
            .run(move |conn| audit::search(conn, scope, &filter).map_err(ApiError::from))
            .await?;
        Ok(Page::from_rows(
            entries,
            limit,
            |e| e.seq.to_string(),
            AuditEntryView::from,
        ))
    }
    .await;
    state.audited(event, page).await.map(web::Json)
}

/// The result of checking the audit chain.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum VerifyView {
    Intact {
        #[schema(example = true)]
        ok: bool,
        entries: i64,
        /// The checkpoint an incremental check started from.
        #[serde(skip_serializing_if = "Option::is_none")]
        from_checkpoint: Option<i64>,
    },
    Broken {
        #[schema(example = false)]
        ok: bool,
        first_bad_seq: i64,
        reason: String,
    },
}

impl From<VerifyReport> for VerifyView {
    fn from(report: VerifyReport) -> Self {
        match report {
            VerifyReport::Intact {
                ok,
                entries,
                from_checkpoint,
            } => Self::Intact {
                ok,
                entries,
                from_checkpoint,
            },
            VerifyReport::Broken {
                ok,
                first_bad_seq,
                reason,
            } => Self::Broken {
                ok,
                first_bad_seq,
                reason,
            },
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// Re-hash only the entries after the last signed checkpoint.
    pub since_checkpoint: Option<bool>,
}

/// Re-hashes the audit chain and checks its signed checkpoints (auditors
/// and administrators).
#[utoipa::path(get, operation_id = "audit_verify", path = "/api/v1/audit/verify", tag = "audit", security(("bearer" = [])), params(VerifyQuery), responses(
    (status = 200, body = VerifyView),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn verify(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<VerifyQuery>,
) -> Result<web::Json<VerifyView>, ApiError> {
    let actor = caller.actor.clone();
    let mode = if query.since_checkpoint.unwrap_or(false) {
        VerifyMode::SinceCheckpoint
    } else {
        VerifyMode::Full
    };
    let key = state.audit_key.clone();
    let report = async {
        ApiError::from_decision(policy::decide_audit_verify(&actor))?;
        state
            .db
            .run(move |conn| audit::verify(conn, &key, mode).map_err(ApiError::from))
            .await
    }
    .await;
    let mut event = caller.event_on(AuditAction::AuditVerify, "audit", "*");
    if let Ok(report) = &report {
        event.detail = serde_json::to_string(report).ok();
    }
    state
        .audited(event, report)
        .await
        .map(|r| web::Json(r.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ObjectHistoryQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Everyone who read or changed one object, newest first (auditors). For a
/// record the auditor may see, that includes other agencies' users who read
/// it through sharing; for other objects, the auditor's usual scope.
#[utoipa::path(get, operation_id = "audit_object_history", path = "/api/v1/audit/objects/{object_type}/{object_id}", tag = "audit", security(("bearer" = [])),
    params(("object_type" = String, Path, description = "e.g. shipment, party, user, flag"), ("object_id" = String, Path), ObjectHistoryQuery), responses(
    (status = 200, body = Page<AuditEntryView>),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "A record the auditor may not see", content_type = "application/problem+json"),
))]
pub async fn object_history(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<ObjectHistoryQuery>,
) -> Result<web::Json<Page<AuditEntryView>>, ApiError> {
    let (object_type, object_id) = path.into_inner();
    let event = caller.event_on(AuditAction::AuditObjectHistory, &object_type, &object_id);
    let actor = caller.actor.clone();
    let page = async {
        ApiError::from_decision(policy::decide_audit_search(&actor))?;
        let limit = check_limit(query.limit)?;
        let before_seq = query
            .cursor
            .as_deref()
            .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
            .transpose()?;
        let record_kind = object_type.parse::<RecordKind>().ok();
        let entries = state
            .db
            .run(move |conn| {
                let scope = match record_kind {
                    Some(kind) => {
                        let id = Uuid::parse_str(&object_id).map_err(|_| ApiError::NotFound)?;
                        let visibility = policy::visibility(&actor, kind);
                        records::find_visible(conn, kind, id, &visibility)?
                            .ok_or(ApiError::NotFound)?;
                        // The record's whole access history, whoever's agency.
                        AuditScope::Everything
                    }
                    None => policy::audit_scope(&actor),
                };
                let filter = AuditFilter {
                    object_type: Some(object_type),
                    object_id: Some(object_id),
                    before_seq,
                    limit: limit + 1,
                    ..AuditFilter::default()
                };
                Ok::<_, ApiError>(audit::search(conn, scope, &filter)?)
            })
            .await?;
        Ok(Page::from_rows(
            entries,
            limit,
            |e| e.seq.to_string(),
            AuditEntryView::from,
        ))
    }
    .await;
    state.audited(event, page).await.map(web::Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProofLinkView {
    pub seq: i64,
    pub prev_hash: String,
    /// SHA-256 of the entry's content (not the content itself).
    pub digest: String,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
    /// HMAC-SHA256 under the audit key.
    pub signature: String,
    /// Whether the signature verifies with this server's audit key.
    pub signature_valid: bool,
}

/// What one needs to check an entry against a signed checkpoint: recompute
/// the entry's hash from its content, then each link's hash from its
/// previous hash, position and digest, and arrive at the checkpoint's hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProofView {
    pub entry: AuditEntryView,
    pub links: Vec<ProofLinkView>,
    pub checkpoint: CheckpointView,
    /// The server's own check of the proof.
    pub valid: bool,
}

/// A proof that one audit entry is part of the chain up to a signed
/// checkpoint (auditors, for entries in their scope).
#[utoipa::path(get, operation_id = "audit_entry_proof", path = "/api/v1/audit/entries/{seq}/proof", tag = "audit", security(("bearer" = [])),
    params(("seq" = i64, Path)), responses(
    (status = 200, body = ProofView),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, description = "No such entry in the caller's scope", content_type = "application/problem+json"),
    (status = 409, description = "No checkpoint covers the entry yet", content_type = "application/problem+json"),
))]
pub async fn proof(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<web::Json<ProofView>, ApiError> {
    let seq = path.into_inner();
    let actor = caller.actor.clone();
    let key = state.audit_key.clone();
    let found = async {
        ApiError::from_decision(policy::decide_audit_search(&actor))?;
        let scope = policy::audit_scope(&actor);
        state
            .db
            .run(move |conn| {
                let audit::Proof { entry, links, checkpoint } = audit::proof(conn, seq)?.ok_or(ApiError::NotFound)?;
                let in_scope = match scope {
                    AuditScope::Everything => true,
                    AuditScope::Agency(agency) => entry.event.agency_id == Some(agency),
                    AuditScope::Nothing => false,
                };
                if !in_scope {
                    return Err(ApiError::NotFound);
                }
                let checkpoint = checkpoint.ok_or_else(|| {
                    ApiError::Conflict("no checkpoint covers this entry yet; one is signed every few thousand entries".into())
                })?;
                let valid = interdict_domain::audit::verify_proof(&entry, &links, &checkpoint).is_ok() && checkpoint.is_valid(&key);
                Ok(ProofView {
                    links: links
                        .into_iter()
                        .map(|l| ProofLinkView {
                            seq: l.seq,
                            prev_hash: hex::encode(l.prev_hash),
                            digest: hex::encode(l.digest),
                            hash: hex::encode(l.hash),
                        })
                        .collect(),
                    checkpoint: CheckpointView {
                        seq: checkpoint.seq,
                        hash: hex::encode(checkpoint.hash),
                        at: checkpoint.at,
                        signature: hex::encode(checkpoint.signature),
                        signature_valid: checkpoint.is_valid(&key),
                    },
                    entry: AuditEntryView::from(entry),
                    valid,
                })
            })
            .await
    }
    .await;
    state
        .audited(
            caller.event_on(AuditAction::AuditProof, "audit_entry", seq),
            found,
        )
        .await
        .map(web::Json)
}
