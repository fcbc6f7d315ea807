//! Extractor settings: body size limit, and problem documents that name the
//! field when JSON, a path segment or a query string cannot be read.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use crate::error::ApiError;

pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
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
        ApiError::bad_request(field, format!("is not valid here: {cause}")).into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req: &HttpRequest| {
        let QueryPayloadError::Deserialize(cause) = &err else {
            return ApiError::bad_request("query", "cannot read the query string").into();
        };
        let message = cause.to_string();
        let field = backticked(&message).unwrap_or_else(|| "query".to_owned());
        ApiError::bad_request(field, message).into()
    })
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
