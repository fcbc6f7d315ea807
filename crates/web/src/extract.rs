//! Extractor settings: body size limit, problem documents that name the
//! field when JSON, a path segment or a query string cannot be read, and
//! an audit entry for each request so refused: its handler, which audits
//! its own refusals, never ran.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest, ResponseError};
use interdict_domain::audit::Outcome;

use crate::auth::caller::{anonymous_event, bearer_token, TokenRefused};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::request_meta::RequestMeta;
use crate::state::AppState;

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
            ApiError::bad_request(field, format!("is not valid here: {cause}")),
        )
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, req: &HttpRequest| {
        let QueryPayloadError::Deserialize(cause) = &err else {
            return refused(
                req,
                ApiError::bad_request("query", "cannot read the query string"),
            );
        };
        let message = cause.to_string();
        let field = backticked(&message).unwrap_or_else(|| "query".to_owned());
        refused(req, ApiError::bad_request(field, message))
    })
}

/// Marks a request an extractor refused, naming the field (never the
/// value, which could be a secret), for [`audit_refusals`].
#[derive(Debug, Clone)]
struct Refused {
    field: Option<String>,
}

fn refused(req: &HttpRequest, error: ApiError) -> Error {
    mark_refused(req, &error);
    error.into()
}

/// Marks `req` as refused before its handler ran, for [`audit_refusals`].
pub fn mark_refused(req: &HttpRequest, error: &ApiError) {
    let field = match error {
        ApiError::Validation(errors) => errors.errors().first().map(|e| e.field.clone()),
        ApiError::BadRequest { field, .. } => field.clone(),
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
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(response);
    };
    let unauthenticated = || Ok(response_with(&response, ApiError::Unauthenticated));
    if request.extensions().get::<TokenRefused>().is_some() {
        // The token extractor queued its refusal's entry and was abandoned
        // before the commit; that refusal is the answer, once committed.
        return match state.audit.settled().await {
            Ok(()) => unauthenticated(),
            Err(failure) => Ok(response_with(&response, failure.into())),
        };
    }
    // The token extractor, if the route has one, was abandoned before it
    // finished; rare enough to check the token again here than to keep
    // every request's caller on it.
    let caller = match bearer_token(&request) {
        Some(token) => match Caller::from_token(&state, Some(token), &request).await {
            Ok(caller) => Some(caller),
            Err(ApiError::Unauthenticated) => return unauthenticated(),
            Err(error) => return Ok(response_with(&response, error)),
        },
        None => None,
    };
    let meta = RequestMeta::of(&request);
    let mut event = match &caller {
        Some(caller) => caller.event("request.refused"),
        None => anonymous_event("request.refused", &meta),
    };
    event.outcome = Outcome::Error;
    event.object_type = Some("route".into());
    event.object_id = Some(format!("{} {}", request.method(), request.path()));
    event.detail = Some(
        serde_json::json!({ "status": response.status().as_u16(), "field": field }).to_string(),
    );
    match state.audit.record(event).await {
        Ok(()) => Ok(response),
        Err(failure) => Ok(response_with(&response, failure.into())),
    }
}

/// `error` answered instead of what `response` held, for the same request.
fn response_with(response: &ServiceResponse<BoxBody>, error: ApiError) -> ServiceResponse<BoxBody> {
    ServiceResponse::new(response.request().clone(), error.error_response())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(cause) if cause.is_data() => {
            // serde names the offending field in backticks: unknown field
            // `x`, missing field `y`, invalid value for `z`.
            let message = cause.to_string();
            let field = backticked(&message).unwrap_or_else(|| "body".to_owned());
            ApiError::Validation(interdict_domain::ValidationErrors::single(
                field,
                strip_position(&message),
            ))
        }
        JsonPayloadError::Deserialize(cause) => ApiError::bad_request(
            "body",
            format!("is not valid JSON: {}", strip_position(&cause.to_string())),
        ),
        other => ApiError::bad_request("body", other.to_string()),
    }
}

pub fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
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
