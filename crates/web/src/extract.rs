//! Extractor settings: body size limit, problem documents that name the
//! field when JSON, a path segment or a query string cannot be read, the
//! `If-Match` version, and an audit entry for each request so refused:
//! its use case, which audits its own refusals, never ran.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest, ResponseError};
use interdict_app::{App, AppError};

use crate::caller::{bearer_token, TokenRefused};
use crate::error::ApiError;
use crate::request_meta;

pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|err, req: &HttpRequest| refused(req, json_error(err)))
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req: &HttpRequest| {
        let cause = match &err {
            PathError::Deserialize(cause) => cause.to_string(),
            other => other.to_string(),
        };
        // Every path parameter is an id: name the first that is not one.
        let params: Vec<(&str, &str)> = req.match_info().iter().collect();
        let field = params
            .iter()
            .find(|(_, value)| uuid::Uuid::parse_str(value).is_err())
            .or(params.last())
            .map_or("path", |(name, _)| name);
        refused(
            req,
            AppError::bad_request(field, format!("is not valid here: {cause}")),
        )
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req: &HttpRequest| {
        let QueryPayloadError::Deserialize(cause) = &err else {
            return refused(
                req,
                AppError::bad_request("query", "cannot read the query string"),
            );
        };
        let message = cause.to_string();
        let field = backticked(&message).unwrap_or_else(|| "query".to_owned());
        refused(req, AppError::bad_request(field, message))
    })
}

/// Marks a request an extractor refused, naming the field (never the
/// value, which could be a secret), for [`audit_refusals`].
#[derive(Debug, Clone)]
struct Refused {
    field: Option<String>,
}

fn refused(req: &HttpRequest, error: AppError) -> Error {
    mark_refused(req, &error);
    ApiError(error).into()
}

/// Marks `req` as refused before its handler ran, for [`audit_refusals`].
pub fn mark_refused(req: &HttpRequest, error: &AppError) {
    let field = match error {
        AppError::Validation(errors) => errors.errors().first().map(|e| e.field.clone()),
        AppError::BadRequest { field, .. } => field.clone(),
        _ => None,
    };
    req.extensions_mut().insert(Refused { field });
}

/// Records a `request.refused` entry for a request an extractor refused,
/// before answering: as the caller when its token is good (a bad one is
/// refused as any other, 401), anonymously without one.
pub async fn audit_refusals(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    let marked = response.request().extensions().get::<Refused>().cloned();
    let Some(Refused { field }) = marked else {
        return Ok(response);
    };
    let request = response.request().clone();
    let Some(app) = request.app_data::<web::Data<App>>().cloned() else {
        return Ok(response);
    };
    let recorded = if request.extensions().get::<TokenRefused>().is_some() {
        // The token extractor queued its refusal's entry and was abandoned
        // before the commit; that refusal is the answer, once committed.
        interdict_app::refusals::queued_committed(&app)
            .await
            .and(Err(AppError::Unauthenticated))
    } else {
        // The token extractor, if the route has one, was abandoned before
        // it finished; rare enough to check the token again here than to
        // keep every request's caller on it.
        interdict_app::refusals::record(
            &app,
            bearer_token(&request),
            request_meta::of(&request),
            request.method().as_str(),
            request.path(),
            response.status().as_u16(),
            field,
        )
        .await
    };
    match recorded {
        Ok(()) => Ok(response),
        Err(error) => Ok(response_with(&response, error)),
    }
}

/// `error` answered instead of what `response` held, for the same request.
fn response_with(response: &ServiceResponse<BoxBody>, error: AppError) -> ServiceResponse<BoxBody> {
    ServiceResponse::new(response.request().clone(), ApiError(error).error_response())
}

fn json_error(err: JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(cause) if cause.is_data() => {
            // serde names the offending field in backticks: unknown field
            // `x`, missing field `y`, invalid value for `z`.
            let message = cause.to_string();
            let field = backticked(&message).unwrap_or_else(|| "body".to_owned());
            AppError::invalid(field, strip_position(&message))
        }
        JsonPayloadError::Deserialize(cause) => AppError::bad_request(
            "body",
            format!("is not valid JSON: {}", strip_position(&cause.to_string())),
        ),
        other => AppError::bad_request("body", other.to_string()),
    }
}

pub use interdict_app::records::backticked;

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The `If-Match` version as an extractor that never fails, so the use
/// case answers (and audits) a missing or malformed header itself; the
/// pages pass the version from a hidden form field instead.
pub struct IfMatch(pub Result<i64, AppError>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Self(if_match_version(req))))
    }
}

/// The version an update is based on, from `If-Match: "N"`.
fn if_match_version(req: &HttpRequest) -> Result<i64, AppError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(AppError::PreconditionRequired)?
        .to_str()
        .map_err(|_| AppError::bad_request("If-Match", "must be a quoted version number"))?;
    value
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| {
            AppError::bad_request(
                "If-Match",
                "must be the quoted version from the ETag header",
            )
        })
}

impl IfMatch {
    /// The version if the header was sent at all (a withdrawal may go
    /// without one).
    pub fn if_sent(self) -> Option<Result<i64, AppError>> {
        match self.0 {
            Err(AppError::PreconditionRequired) => None,
            sent => Some(sent),
        }
    }
}

pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_serde_names() {
        assert_eq!(
            backticked("unknown field `colour`, expected one of `name`").as_deref(),
            Some("colour")
        );
        assert_eq!(backticked("expected value"), None);
        assert_eq!(
            strip_position("missing field `a` at line 1 column 2"),
            "missing field `a`"
        );
    }
}
