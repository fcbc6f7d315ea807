//! The one error every use case answers with.
//!
//! Policy: a use case returns `AppError`; each adapter maps it once (the
//! API to an RFC 9457 problem with a stable type, the pages to an error
//! page, the command line to a message). Anything unexpected becomes
//! `Internal`, whose cause is logged by the adapter and never shown.
//! Storage errors are turned into these here, once: a unique constraint by
//! its name, from one table.

use interdict_domain::audit::Outcome;
use interdict_domain::policy::Decision;
use interdict_domain::ValidationErrors;
use interdict_persistence::audit::{AuditFailure, Audited};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        field: Option<String>,
    },
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    /// Too many failed attempts (passwords, codes) from this source or on
    /// this account: try again after this many seconds.
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed")]
    PreconditionFailed { current_version: i64 },
    #[error("precondition required")]
    PreconditionRequired,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            field: Some(field.into()),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// One field's error, as validation reports it.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(ValidationErrors::single(field, message))
    }

    /// Maps a denying policy decision; `Allow` is not an error.
    pub fn from_decision(decision: Decision) -> Result<(), Self> {
        match decision {
            Decision::Allow => Ok(()),
            Decision::Forbidden => Err(Self::Forbidden),
            Decision::NotFound => Err(Self::NotFound),
        }
    }
}

impl Audited for AppError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Unauthenticated
            | Self::InvalidCredentials
            | Self::Forbidden
            | Self::NotFound
            | Self::TooManyRequests { .. } => Outcome::Denied,
            _ => Outcome::Error,
        }
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<AuditFailure> for AppError {
    fn from(failure: AuditFailure) -> Self {
        Self::Unavailable(failure.to_string())
    }
}

/// What a unique constraint means to whoever ran into it, by the
/// constraint's name (persistence names them alike on both backends).
const CONFLICTS: &[(&str, &str)] = &[
    (
        "agencies_ori_key",
        "an agency with this ORI is already registered",
    ),
    ("task_forces_name_key", "a task force with this name exists"),
    ("users_username_key", "this username is already taken"),
    (
        "chemical_facts_cas_key",
        "the catalogue already has an entry with this CAS number",
    ),
    ("links_active_pair", "these shipments are already linked"),
];

impl From<interdict_persistence::Error> for AppError {
    fn from(e: interdict_persistence::Error) -> Self {
        use interdict_persistence::Error;
        match e {
            Error::Conflict { constraint } => Self::Conflict(
                CONFLICTS
                    .iter()
                    .find(|(name, _)| *name == constraint)
                    .map_or("a record with the same unique value already exists", |c| {
                        c.1
                    })
                    .to_owned(),
            ),
            Error::Unavailable(cause) => Self::Unavailable(cause),
            Error::NotFound => Self::NotFound,
            Error::Other(cause) => Self::Internal(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_constraint_is_explained_and_an_unknown_one_is_still_a_conflict() {
        let known = AppError::from(interdict_persistence::Error::Conflict {
            constraint: "links_active_pair".into(),
        });
        assert!(
            matches!(known, AppError::Conflict(m) if m == "these shipments are already linked")
        );
        let unknown = AppError::from(interdict_persistence::Error::Conflict {
            constraint: "imports.id".into(),
        });
        assert!(matches!(unknown, AppError::Conflict(m) if m.contains("already exists")));
    }

    #[test]
    fn refusals_are_denials_and_failures_errors() {
        assert_eq!(AppError::NotFound.outcome(), Outcome::Denied);
        assert_eq!(AppError::Forbidden.outcome(), Outcome::Denied);
        assert_eq!(AppError::Conflict("x".into()).outcome(), Outcome::Error);
        assert_eq!(AppError::internal("boom").outcome(), Outcome::Error);
    }
}
