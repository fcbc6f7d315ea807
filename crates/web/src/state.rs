//! What every handler shares.

use interdict_domain::audit::AuditEvent;
use interdict_persistence::audit::{AuditWriter, Audited};
use interdict_persistence::Db;
use std::sync::Arc;

use crate::auth::token::TokenKeys;
use crate::config::Config;
use crate::error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub audit: AuditWriter,
    /// Signs and checks audit checkpoints.
    pub audit_key: Arc<[u8]>,
    pub tokens: TokenKeys,
    /// Derives the per-session CSRF tokens of the pages' forms.
    pub form_key: Arc<[u8]>,
    pub config: Arc<Config>,
}

impl AppState {
    /// Records the audit entry for a read (or a refused attempt) and then
    /// passes its result through: the caller sees nothing that was not
    /// recorded first.
    pub async fn audited<T>(
        &self,
        mut event: AuditEvent,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if let Err(error) = &result {
            event.outcome = error.outcome();
        }
        self.audit.record(event).await?;
        result
    }

    /// Records a refused or failed attempt and returns its error.
    pub async fn reject<T>(&self, event: AuditEvent, error: ApiError) -> Result<T, ApiError> {
        self.audited(event, Err(error)).await
    }
}
