//! The audit trail for oversight: search, each object's access history,
//! verification of the hash chain, and proofs of single entries.

use chrono::{DateTime, Utc};
use interdict_domain::audit::{AuditAction, ChainedEntry, Outcome, VerifyReport};
use interdict_domain::policy::{self, AuditScope};
use interdict_domain::record::RecordKind;
use interdict_persistence::audit::{self, AuditFilter, VerifyMode};
use interdict_persistence::{names, records};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::filters::{parse_time, text};
use crate::pagination::{bad_cursor, check_limit, Page};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    /// The user's username, when the account exists.
    pub username: Option<String>,
    pub agency_id: Option<Uuid>,
    /// The agency's name, when it exists.
    pub agency_name: Option<String>,
    #[schema(value_type = Option<interdict_domain::user::Role>)]
    pub role: Option<String>,
    #[schema(example = "user.read")]
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    #[schema(value_type = interdict_domain::audit::Outcome, example = "allowed")]
    pub outcome: String,
    pub request_id: Option<String>,
    pub source: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    /// Hex SHA-256 of the previous entry.
    pub prev_hash: String,
    /// Hex SHA-256 of this entry.
    pub hash: String,
}

impl From<ChainedEntry> for AuditEntryView {
    fn from(entry: ChainedEntry) -> Self {
        let event = entry.event;
        Self {
            seq: entry.seq,
            occurred_at: event.occurred_at,
            user_id: event.user_id,
            username: None,
            agency_id: event.agency_id,
            agency_name: None,
            role: event.role,
            action: event.action.as_str().to_owned(),
            object_type: event.object_type,
            object_id: event.object_id,
            outcome: event.outcome.as_str().to_owned(),
            request_id: event.request_id,
            source: event.source,
            detail: event
                .detail
                .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))),
            prev_hash: hex::encode(entry.prev_hash),
            hash: hex::encode(entry.hash),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub user_id: Option<Uuid>,
    /// e.g. `auth.login`, `user.update`.
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// `allowed`, `denied` or `error`.
    #[param(value_type = Option<interdict_domain::audit::Outcome>)]
    pub outcome: Option<String>,
    /// Inclusive start: RFC 3339 (e.g. `2026-01-01T00:00:00Z`), or a date
    /// for midnight UTC.
    pub from: Option<String>,
    /// Exclusive end: RFC 3339, or a date for midnight UTC at its start.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn filter(query: AuditQuery) -> Result<AuditFilter, AppError> {
    text("action", query.action.as_deref())?;
    text("object_type", query.object_type.as_deref())?;
    text("object_id", query.object_id.as_deref())?;
    let from = parse_time("from", query.from.as_deref())?;
    let to = parse_time("to", query.to.as_deref())?;
    let outcome = query
        .outcome
        .map(|o| {
            o.parse::<Outcome>()
                .map_err(|m| AppError::bad_request("outcome", m))
        })
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(AppError::bad_request("to", "must be after `from`"));
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

/// Entries in the caller's scope (their agency's; the system agency's
/// auditors see all), newest first. The search itself is audited.
pub async fn search(ctx: &Ctx, query: AuditQuery) -> Result<Page<AuditEntryView>, AppError> {
    let mut event = ctx.event_on(AuditAction::AuditSearch, "audit", "*");
    event.detail = Some(
        serde_json::json!({
            "user_id": query.user_id, "action": query.action, "object_type": query.object_type,
            "object_id": query.object_id, "outcome": query.outcome, "from": query.from, "to": query.to,
        })
        .to_string(),
    );
    let page = async {
        let actor = ctx.actor()?;
        AppError::from_decision(policy::decide_audit_search(actor))?;
        let filter = filter(query)?;
        let limit = filter.limit - 1;
        let scope = policy::audit_scope(actor);
        let (entries, users, agencies) = ctx
            .app
            .db
            .run(move |conn| {
                let entries = audit::search(conn, scope, &filter)?;
                let users: Vec<Uuid> = entries.iter().filter_map(|e| e.event.user_id).collect();
                let agencies: Vec<Uuid> =
                    entries.iter().filter_map(|e| e.event.agency_id).collect();
                Ok::<_, AppError>((
                    entries,
                    names::usernames(conn, &users)?,
                    names::agency_names(conn, &agencies)?,
                ))
            })
            .await?;
        Ok(Page::from_rows(
            entries,
            limit,
            |e| e.seq.to_string(),
            |e| {
                let mut view = AuditEntryView::from(e);
                view.username = view.user_id.and_then(|u| users.get(&u).cloned());
                view.agency_name = view.agency_id.and_then(|a| agencies.get(&a).cloned());
                view
            },
        ))
    }
    .await;
    ctx.audited(event, page).await
}

/// Re-hashes the chain (or only what came after the last signed
/// checkpoint) and checks every checkpoint's signature (auditors and
/// administrators).
pub async fn verify(ctx: &Ctx, since_checkpoint: bool) -> Result<VerifyReport, AppError> {
    let report = async {
        AppError::from_decision(policy::decide_audit_verify(ctx.actor()?))?;
        verified(ctx, since_checkpoint).await
    }
    .await;
    let mut event = ctx.event_on(AuditAction::AuditVerify, "audit", "*");
    if let Ok(report) = &report {
        event.detail = serde_json::to_string(report).ok();
    }
    ctx.audited(event, report).await
}

/// The chain checked (only after the last signed checkpoint if
/// `since_checkpoint`), for an operator of the installation (`interdict
/// audit verify`): not audited, as it reads no record.
pub async fn verified(ctx: &Ctx, since_checkpoint: bool) -> Result<VerifyReport, AppError> {
    let mode = if since_checkpoint {
        VerifyMode::SinceCheckpoint
    } else {
        VerifyMode::Full
    };
    let key = ctx.app.keys.audit.clone();
    ctx.app
        .db
        .run(move |conn| audit::verify(conn, &key, mode).map_err(AppError::from))
        .await
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ObjectHistoryQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Everyone who read or changed one object, newest first (auditors). For a
/// record the auditor may see, that includes other agencies' users who
/// read it through sharing; for other objects, the auditor's usual scope.
pub async fn object_history(
    ctx: &Ctx,
    object_type: String,
    object_id: String,
    query: &ObjectHistoryQuery,
) -> Result<Page<AuditEntryView>, AppError> {
    let event = ctx.event_on(AuditAction::AuditObjectHistory, &object_type, &object_id);
    let page = async {
        let actor = ctx.actor()?.clone();
        AppError::from_decision(policy::decide_audit_search(&actor))?;
        let limit = check_limit(query.limit)?;
        let before_seq = query
            .cursor
            .as_deref()
            .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
            .transpose()?;
        let record_kind = object_type.parse::<RecordKind>().ok();
        let entries = ctx
            .app
            .db
            .run(move |conn| {
                let scope = match record_kind {
                    Some(kind) => {
                        let id = Uuid::parse_str(&object_id).map_err(|_| AppError::NotFound)?;
                        let visibility = policy::visibility(&actor, kind);
                        records::find_visible(conn, kind, id, &visibility)?
                            .ok_or(AppError::NotFound)?;
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
                Ok::<_, AppError>(audit::search(conn, scope, &filter)?)
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
    ctx.audited(event, page).await
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProofLinkView {
    pub seq: i64,
    pub prev_hash: String,
    /// SHA-256 of the entry's content (not the content itself).
    pub digest: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProofView {
    pub entry: AuditEntryView,
    pub links: Vec<ProofLinkView>,
    pub checkpoint: CheckpointView,
    /// The server's own check of the proof.
    pub valid: bool,
}

/// A proof that one audit entry is part of the chain up to a signed
/// checkpoint (auditors, for entries in their scope).
pub async fn proof(ctx: &Ctx, seq: i64) -> Result<ProofView, AppError> {
    let key = ctx.app.keys.audit.clone();
    let found = async {
        let actor = ctx.actor()?;
        AppError::from_decision(policy::decide_audit_search(actor))?;
        let scope = policy::audit_scope(actor);
        ctx.app
            .db
            .run(move |conn| {
                let audit::Proof {
                    entry,
                    links,
                    checkpoint,
                } = audit::proof(conn, seq)?.ok_or(AppError::NotFound)?;
                let in_scope = match scope {
                    AuditScope::Everything => true,
                    AuditScope::Agency(agency) => entry.event.agency_id == Some(agency),
                    AuditScope::Nothing => false,
                };
                if !in_scope {
                    return Err(AppError::NotFound);
                }
                let checkpoint = checkpoint.ok_or_else(|| {
                    AppError::Conflict("no checkpoint covers this entry yet; one is signed every few thousand entries".into())
                })?;
                let valid = interdict_domain::audit::verify_proof(&entry, &links, &checkpoint)
                    .is_ok()
                    && checkpoint.is_valid(&key);
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
    ctx.audited(
        ctx.event_on(AuditAction::AuditProof, "audit_entry", seq),
        found,
    )
    .await
}
