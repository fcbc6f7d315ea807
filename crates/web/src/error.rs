//! One application error type, mapped once to RFC 9457 problem documents.
//!
//! Policy: handlers return `ApiError`. Each variant has a stable `type` URN
//! and an explicit status. Anything unexpected becomes `Internal`, which is
//! logged with its cause and answered with a generic 500 that leaks nothing.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use interdict_domain::audit::Outcome;
use interdict_domain::policy::Decision;
use interdict_domain::{FieldError, ValidationErrors};
use interdict_persistence::audit::{AuditFailure, Audited};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
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

impl ApiError {
    pub fn bad_request(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            field: Some(field.into()),
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// Maps a denying policy decision; `Allow` is not an error.
    pub fn from_decision(decision: Decision) -> Result<(), Self> {
        match decision {
            Decision::Allow => Ok(()),
            Decision::Forbidden => Err(Self::Forbidden),
            Decision::NotFound => Err(Self::NotFound),
        }
    }

    /// Logs what the answer will not say: the cause of a 500 or 503.
    pub fn log_cause(&self) {
        match self {
            Self::Internal(cause) => tracing::error!(%cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
            _ => {}
        }
    }

    pub fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::Validation(_) => ("validation", "The request has invalid fields"),
            Self::BadRequest { .. } => ("bad-request", "The request is malformed"),
            Self::Unauthenticated => ("unauthenticated", "Authentication is required"),
            Self::InvalidCredentials => ("invalid-credentials", "Invalid username or password"),
            Self::Forbidden => ("forbidden", "Your role may not do this"),
            Self::NotFound => ("not-found", "Not found"),
            Self::Conflict(_) => ("conflict", "The request conflicts with the current state"),
            Self::PreconditionFailed { .. } => {
                ("stale-version", "The record changed since you read it")
            }
            Self::PreconditionRequired => (
                "precondition-required",
                "This update needs an If-Match header with the version you read",
            ),
            Self::PayloadTooLarge => ("payload-too-large", "The request body is too large"),
            Self::UnsupportedMediaType => (
                "unsupported-media-type",
                "The request body must be application/json",
            ),
            Self::Unavailable(_) => ("unavailable", "The service is temporarily unavailable"),
            Self::Internal(_) => ("internal", "An unexpected error occurred"),
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Self::Validation(errors) => Some(errors.to_string()),
            Self::BadRequest { detail, .. } => Some(detail.clone()),
            Self::Conflict(detail) => Some(detail.clone()),
            Self::PreconditionFailed { current_version } => Some(format!(
                "the current version is {current_version}; reload and apply your change again"
            )),
            Self::InvalidCredentials => Some(
                "the username or password is wrong, or the account is locked or disabled".into(),
            ),
            Self::Unauthenticated => {
                Some("send a valid, unexpired bearer token in the Authorization header".into())
            }
            Self::PayloadTooLarge => Some("request bodies are limited to 1 MiB".into()),
            _ => None,
        }
    }

    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation(errors) => errors.errors().to_vec(),
            Self::BadRequest {
                detail,
                field: Some(field),
            } => vec![FieldError {
                field: field.clone(),
                message: detail.clone(),
            }],
            _ => Vec::new(),
        }
    }
}

#[derive(Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub fn problem_type(kind: &str) -> String {
    format!("urn:interdict:problem:{kind}")
}

/// A problem response for a status that has no richer error behind it
/// (unknown route, wrong method, framework-level rejections).
pub fn problem_for_status(status: StatusCode) -> HttpResponse {
    let (kind, title) = match status {
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "This method is not allowed here"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "The request body is too large"),
        s if s.is_server_error() => ("internal", "An unexpected error occurred"),
        _ => ("bad-request", "The request could not be processed"),
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .json(Problem {
            kind: problem_type(kind),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
        })
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log_cause();
        let (kind, title) = self.kind();
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if matches!(self, Self::Unauthenticated | Self::InvalidCredentials) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"interdict\""));
        }
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.json(Problem {
            kind: problem_type(kind),
            title: title.into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: self.field_errors(),
        })
    }
}

impl Audited for ApiError {
    fn outcome(&self) -> Outcome {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials | Self::Forbidden | Self::NotFound => {
                Outcome::Denied
            }
            _ => Outcome::Error,
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<AuditFailure> for ApiError {
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

impl From<interdict_persistence::Error> for ApiError {
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
