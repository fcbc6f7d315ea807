//! The audit export: the entries of the caller's audit scope, filtered as
//! the audit search is.

use interdict_domain::audit::Outcome;
use interdict_domain::policy::{self, Actor, AuditScope};
use interdict_persistence::audit::{self, AuditFilter};

use super::{each, no_flag_state, only_dates, pages, Producer, ReportQuery, PAGE};
use crate::audit_trail::AuditEntryView;
use crate::error::AppError;

pub(super) const COLUMNS: &[&str] = &[
    "seq",
    "occurred_at",
    "user_id",
    "agency_id",
    "role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "source",
    "detail",
    "prev_hash",
    "hash",
];

pub(super) fn producer(actor: Actor, query: &ReportQuery) -> Result<Producer, AppError> {
    only_dates(query, "audit")?;
    for (field, value) in [
        ("action", &query.action),
        ("object_type", &query.object_type),
        ("object_id", &query.object_id),
    ] {
        crate::filters::text(field, value.as_deref())?;
    }
    no_flag_state(query)?;
    let (from, to) = query.range()?;
    let outcome = query
        .outcome
        .as_deref()
        .map(|o| {
            o.parse::<Outcome>()
                .map_err(|m| AppError::bad_request("outcome", m))
        })
        .transpose()?;
    let (user_id, action, object_type, object_id) = (
        query.user_id,
        query.action.clone(),
        query.object_type.clone(),
        query.object_id.clone(),
    );
    Ok(Box::new(move |conn, emit| {
        let scope: AuditScope = policy::audit_scope(&actor);
        pages(
            conn,
            emit,
            PAGE,
            |conn, before| {
                let filter = AuditFilter {
                    user_id,
                    action: action.clone(),
                    object_type: object_type.clone(),
                    object_id: object_id.clone(),
                    outcome,
                    from,
                    to,
                    before_seq: before,
                    limit: PAGE,
                };
                Ok(audit::search(conn, scope, &filter)?)
            },
            |entry| entry.seq,
            each(|_, entry| {
                let view = serde_json::to_value(AuditEntryView::from(entry))
                    .map_err(AppError::internal)?;
                Ok(COLUMNS.iter().map(|c| view[*c].clone()).collect())
            }),
        )
    }))
}
