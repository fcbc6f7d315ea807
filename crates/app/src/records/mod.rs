//! The registry's use cases, one set for every kind of record: parties,
//! chemicals, equipment, die molds and shipments. Each kind's document
//! type (`interdict_domain::record::Document`) supplies validation and
//! indexing; sharing, versions, history, withdrawal and audit are the same
//! for all of them.

mod queries;
mod write;

pub use queries::{
    base_search, imprint_match, serial_match, ChemicalQuery, DieMoldQuery, EquipmentQuery,
    PartyQuery, SearchQuery,
};
pub use write::backticked;
pub use write::{create, prepare, update, withdraw, Prepared};
pub(crate) use write::{write_new, Lookups};

use chrono::{DateTime, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent, RecordVerb};
use interdict_domain::policy::{self, Actor, RecordAction};
use interdict_domain::record::{changed_fields, Document, RecordKind};
use interdict_domain::sharing::Scope;
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::{search, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::Page;
use crate::utc;

/// A request that only gives a reason: withdrawing a record or a link,
/// raising a flag.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; kept with the record for oversight.
    #[schema(example = "Duplicate of an earlier report")]
    pub reason: String,
}

impl ReasonRequest {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason, trimmed and bounded.
    pub fn reason(&self) -> Result<String, AppError> {
        interdict_domain::validation::bounded_text(&self.reason, 1000)
            .map_err(|m| AppError::invalid("reason", m))
    }
}

/// When a record was withdrawn, by whom and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub by: Option<Uuid>,
    pub reason: Option<String>,
}

/// A record: ownership, sharing and version, and its document. Serialised
/// as the API shows it: the document's fields (and values derived from
/// them, such as a shipment's `origin`) beside the record's own.
#[derive(Debug, Clone, Serialize)]
pub struct Record<D> {
    pub id: Uuid,
    pub kind: RecordKind,
    pub owner_agency_id: Uuid,
    /// A shipment's reference, e.g. `TXHSI0100-2026-000123`: its agency's
    /// ORI, the year and a number; unique.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub scope: Scope,
    /// Send back in `If-Match` to update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
    #[serde(flatten)]
    pub document: D,
    #[serde(flatten)]
    derived: Map<String, Value>,
}

impl<D: Document> Record<D> {
    pub(crate) fn from_row(row: RecordRow) -> Result<Self, AppError> {
        let document: D = serde_json::from_str(&row.body).map_err(AppError::internal)?;
        let derived = document.derived();
        Ok(Self {
            id: row.id.0,
            kind: D::KIND,
            owner_agency_id: row.owner_agency_id.0,
            reference: row.reference.clone(),
            scope: row.scope()?,
            version: row.version,
            created_at: utc(row.created_at),
            created_by: row.created_by.map(|u| u.0),
            updated_at: utc(row.updated_at),
            updated_by: row.updated_by.map(|u| u.0),
            withdrawn: row.withdrawn_at.map(|at| Withdrawal {
                at: utc(at),
                by: row.withdrawn_by.map(|u| u.0),
                reason: row.withdrawn_reason.clone(),
            }),
            document,
            derived,
        })
    }
}

/// Something answered with a version to send back in `If-Match`.
pub trait Versioned {
    fn version(&self) -> i64;
}

impl<D> Versioned for Record<D> {
    fn version(&self) -> i64 {
        self.version
    }
}

/// The audit event for `verb` on a record of `kind`.
pub(crate) fn record_event(
    ctx: &Ctx,
    kind: RecordKind,
    verb: RecordVerb,
    id: impl ToString,
) -> AuditEvent {
    ctx.event_on(AuditAction::Record(kind, verb), kind.as_str(), id)
}

/// Loads a record the caller may see and act on, or the error to answer.
pub(crate) fn authorised(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: RecordKind,
    id: Uuid,
    action: RecordAction,
) -> Result<RecordRow, AppError> {
    let row = records::find_visible(conn, kind, id, &policy::visibility(actor, kind))?
        .ok_or(AppError::NotFound)?;
    permitted(actor, kind, action, &row)?;
    Ok(row)
}

/// A shipment the caller may see and act on in `action`.
pub(crate) fn shipment_for(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    action: RecordAction,
) -> Result<RecordRow, AppError> {
    authorised(conn, actor, RecordKind::Shipment, id, action)
}

/// Whether the policy lets `actor` act on a record it can see.
pub(crate) fn permitted(
    actor: &Actor,
    kind: RecordKind,
    action: RecordAction,
    row: &RecordRow,
) -> Result<(), AppError> {
    AppError::from_decision(policy::decide(actor, kind, action, &row.meta()?))
}

/// One record (a shipment with its risk: [`crate::shipments::detail`]).
pub async fn show<D: Document>(ctx: &Ctx, id: Uuid) -> Result<Record<D>, AppError> {
    let kind = D::KIND;
    let actor = ctx.actor()?.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| authorised(conn, &actor, kind, id, RecordAction::Read))
        .await;
    let row = ctx
        .audited(record_event(ctx, kind, RecordVerb::Read, id), found)
        .await?;
    Record::from_row(row)
}

/// One version in a record's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    /// `create`, `update` or `withdraw`.
    #[schema(value_type = interdict_domain::record::VersionChange)]
    pub change: String,
    pub changed_by: Option<Uuid>,
    pub changed_by_username: Option<String>,
    pub changed_at: DateTime<Utc>,
    /// The withdrawal reason.
    pub reason: Option<String>,
    pub scope: String,
    /// Top-level fields that differ from the previous version.
    pub changed_fields: Vec<String>,
    /// The document as it was at this version.
    #[schema(value_type = Object)]
    pub document: Value,
}

/// Every version of a record: who changed what, and when.
pub async fn history<D: Document>(ctx: &Ctx, id: Uuid) -> Result<Vec<VersionView>, AppError> {
    let kind = D::KIND;
    let actor = ctx.actor()?.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| {
            authorised(conn, &actor, kind, id, RecordAction::Read)?;
            Ok(records::history(conn, id)?)
        })
        .await;
    let versions = ctx
        .audited(record_event(ctx, kind, RecordVerb::History, id), found)
        .await?;
    let mut previous = Value::Null;
    let mut previous_scope = String::new();
    let mut views = Vec::with_capacity(versions.len());
    for v in versions {
        let document: Value = serde_json::from_str(&v.body).map_err(AppError::internal)?;
        let mut changed = if v.version == 1 {
            Vec::new()
        } else {
            changed_fields(&previous, &document)
        };
        if v.version > 1 && v.scope != previous_scope {
            changed.push("scope".into());
        }
        previous_scope = v.scope.clone();
        previous = document.clone();
        views.push(VersionView {
            version: v.version,
            change: v.change,
            changed_by: v.changed_by.map(|u| u.0),
            changed_by_username: v.changed_by_username,
            changed_at: utc(v.changed_at),
            reason: v.reason,
            scope: v.scope,
            changed_fields: changed,
            document,
        });
    }
    Ok(views)
}

/// Records of `D`'s kind that `query` finds within what the caller may
/// see, newest first. The filters go into the audit entry.
pub async fn search<D: Document, Q: SearchQuery>(
    ctx: &Ctx,
    query: &Q,
) -> Result<Page<Record<D>>, AppError> {
    let kind = D::KIND;
    let mut event = record_event(ctx, kind, RecordVerb::Search, "*");
    event.detail = Some(serde_json::to_value(query).unwrap_or_default().to_string());
    let page = async {
        let actor = ctx.actor()?;
        let mut search = query.search()?;
        let limit = search.limit;
        search.limit = limit + 1;
        let visibility = policy::visibility(actor, kind);
        let rows = ctx
            .app
            .db
            .run(move |conn| Ok::<_, AppError>(search::search(conn, kind, &visibility, &search)?))
            .await?;
        let page = Page::from_rows(rows, limit, |r| r.id.0.to_string(), |r| r);
        let items = page
            .items
            .into_iter()
            .map(Record::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
    .await;
    ctx.audited(event, page).await
}
