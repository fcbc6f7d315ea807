//! Deconfliction notices: "another agency holds a record with this
//! identifier — call them", never what that record says.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy;
use interdict_persistence::deconfliction;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{Page, PageQuery};
use crate::utc;

/// The agency to contact about a match.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub name: String,
    pub ori: String,
    pub contact: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    /// Your agency's record that matched.
    pub record_id: Uuid,
    #[schema(value_type = interdict_domain::record::RecordKind, example = "equipment")]
    pub record_kind: String,
    #[schema(value_type = interdict_domain::identifier::IdentifierKind, example = "serial")]
    pub identifier_kind: String,
    /// The identifier, normalised.
    #[schema(example = "TDP520230042")]
    pub identifier_value: String,
    /// The agency that holds a record with the same identifier.
    pub other_agency: ContactView,
    pub created_at: DateTime<Utc>,
}

/// Deconfliction notices for the caller's agency, newest first.
pub async fn list(ctx: &Ctx, query: &PageQuery) -> Result<Page<NoticeView>, AppError> {
    let page = async {
        let actor = ctx.actor()?;
        AppError::from_decision(policy::decide_deconfliction(actor))?;
        let limit = query.limit()?;
        let cursor = query.uuid_cursor()?;
        let agency = actor.agency_id;
        let notices = ctx
            .app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(deconfliction::list(conn, agency, cursor, limit + 1)?)
            })
            .await?;
        Ok(Page::from_rows(
            notices,
            limit,
            |n| n.id.0.to_string(),
            |n| NoticeView {
                id: n.id.0,
                record_id: n.record_id.0,
                record_kind: n.record_kind,
                identifier_kind: n.identifier_kind,
                identifier_value: n.identifier_value,
                other_agency: ContactView {
                    id: n.other_agency.id.0,
                    name: n.other_agency.name,
                    ori: n.other_agency.ori,
                    contact: n.other_agency.contact,
                },
                created_at: utc(n.created_at),
            },
        ))
    }
    .await;
    ctx.audited(
        ctx.event_on(AuditAction::DeconflictionList, "deconfliction", "*"),
        page,
    )
    .await
}
