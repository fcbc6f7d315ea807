//! The application's errors as the API answers them: RFC 9457 problem
//! documents, each kind with a stable `type` and an explicit status,
//! mapped here once. Anything unexpected is a logged 500 that leaks
//! nothing. The pages present the same errors as pages (`pages::error`).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use interdict_app::AppError;
use interdict_domain::FieldError;
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An application error on its way to an API client.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub AppError);

/// The status an error is answered with.
pub fn status(error: &AppError) -> StatusCode {
    match error {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
        AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The stable type slug and the title of an error.
pub fn kind(error: &AppError) -> (&'static str, &'static str) {
    match error {
        AppError::Validation(_) => ("validation", "The request has invalid fields"),
        AppError::BadRequest { .. } => ("bad-request", "The request is malformed"),
        AppError::Unauthenticated => ("unauthenticated", "Authentication is required"),
        AppError::InvalidCredentials => ("invalid-credentials", "Invalid username or password"),
        AppError::Forbidden => ("forbidden", "Your role may not do this"),
        AppError::TooManyRequests { .. } => ("too-many-requests", "Too many failed attempts"),
        AppError::NotFound => ("not-found", "Not found"),
        AppError::Conflict(_) => ("conflict", "The request conflicts with the current state"),
        AppError::PreconditionFailed { .. } => {
            ("stale-version", "The record changed since you read it")
        }
        AppError::PreconditionRequired => (
            "precondition-required",
            "This update needs an If-Match header with the version you read",
        ),
        AppError::PayloadTooLarge => ("payload-too-large", "The request body is too large"),
        AppError::UnsupportedMediaType => (
            "unsupported-media-type",
            "The request body must be application/json",
        ),
        AppError::Unavailable(_) => ("unavailable", "The service is temporarily unavailable"),
        AppError::Internal(_) => ("internal", "An unexpected error occurred"),
    }
}

/// What the answer says beyond its title, if anything; never a cause.
pub fn detail(error: &AppError) -> Option<String> {
    match error {
        AppError::Validation(errors) => Some(errors.to_string()),
        AppError::BadRequest { detail, .. } => Some(detail.clone()),
        AppError::Conflict(detail) => Some(detail.clone()),
        AppError::TooManyRequests {
            retry_after_seconds,
        } => Some(format!(
            "too many failed attempts from this address or on this account; try again in {retry_after_seconds} seconds"
        )),
        AppError::PreconditionFailed { current_version } => Some(format!(
            "the current version is {current_version}; reload and apply your change again"
        )),
        AppError::InvalidCredentials => {
            Some("the username or password is wrong, or the account is locked or disabled".into())
        }
        AppError::Unauthenticated => {
            Some("send a valid, unexpired bearer token in the Authorization header".into())
        }
        AppError::PayloadTooLarge => Some("request bodies are limited to 1 MiB".into()),
        _ => None,
    }
}

/// The fields an error names, each with its message.
pub fn field_errors(error: &AppError) -> Vec<FieldError> {
    match error {
        AppError::Validation(errors) => errors.errors().to_vec(),
        AppError::BadRequest {
            detail,
            field: Some(field),
        } => vec![FieldError {
            field: field.clone(),
            message: detail.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Logs what the answer will not say: the cause of a 500 or 503.
pub fn log_cause(error: &AppError) {
    match error {
        AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
        AppError::Unavailable(cause) => tracing::warn!(%cause, "service unavailable"),
        _ => {}
    }
}

/// An RFC 9457 problem document: every error the API answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:interdict:problem:` and the kind, e.g. `validation`.
    #[serde(rename = "type")]
    #[schema(example = "urn:interdict:problem:validation")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The fields at fault, each named with its message.
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
        status(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        let error = &self.0;
        log_cause(error);
        let (kind, title) = kind(error);
        let status = status(error);
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if matches!(
            error,
            AppError::Unauthenticated | AppError::InvalidCredentials
        ) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"interdict\""));
        }
        if matches!(error, AppError::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if let AppError::TooManyRequests {
            retry_after_seconds,
        } = error
        {
            response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
        }
        response.json(Problem {
            kind: problem_type(kind),
            title: title.into(),
            status: status.as_u16(),
            detail: detail(error),
            errors: field_errors(error),
        })
    }
}
