//! Response bodies: what the API shows of stored rows.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use interdict_domain::audit::ChainedEntry;
use interdict_persistence::agencies::{AgencyRow, TaskForceRow};
use interdict_persistence::users::UserRow;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A request that only gives a reason: withdrawing a record or a link,
/// raising a flag.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; kept with the record for oversight.
    #[schema(example = "Duplicate of an earlier report")]
    pub reason: String,
}

impl ReasonRequest {
    /// The reason, trimmed and bounded.
    pub fn reason(&self) -> Result<String, crate::error::ApiError> {
        interdict_domain::validation::bounded_text(&self.reason, 1000)
            .map_err(|m| interdict_domain::ValidationErrors::single("reason", m).into())
    }
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at)
}

/// A user account. The password hash never leaves the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub agency_id: Uuid,
    #[schema(value_type = String, example = "investigator")]
    pub role: String,
    pub active: bool,
    /// Present while the account is locked after repeated failed logins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<DateTime<Utc>>,
    /// Send back in `If-Match` to update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        let locked_until = row
            .locked_until
            .filter(|until| *until > interdict_persistence::now());
        Self {
            id: row.id.0,
            username: row.username,
            display_name: row.display_name,
            agency_id: row.agency_id.0,
            role: row.role,
            active: row.active,
            locked_until: locked_until.map(utc),
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyView {
    pub id: Uuid,
    pub name: String,
    #[schema(example = "state")]
    pub level: String,
    #[schema(example = "TX")]
    pub jurisdiction: String,
    #[schema(example = "TX0570000")]
    pub ori: String,
    /// Whom other agencies should contact about deconfliction notices.
    pub contact: String,
    /// The agency that operates this installation.
    pub is_system: bool,
    pub created_at: DateTime<Utc>,
}

impl From<AgencyRow> for AgencyView {
    fn from(row: AgencyRow) -> Self {
        Self {
            id: row.id.0,
            name: row.name,
            level: row.level,
            jurisdiction: row.jurisdiction,
            ori: row.ori,
            contact: row.contact,
            is_system: row.is_system,
            created_at: utc(row.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskForceView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Member agency ids.
    pub members: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl TaskForceView {
    pub fn new(row: TaskForceRow, members: Vec<Uuid>) -> Self {
        Self {
            id: row.id.0,
            name: row.name,
            description: row.description,
            members,
            created_at: utc(row.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
    pub role: Option<String>,
    #[schema(example = "user.read")]
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    #[schema(example = "allowed")]
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
            agency_id: event.agency_id,
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
