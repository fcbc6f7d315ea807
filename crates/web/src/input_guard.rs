//! Refuses, before any handler runs, input that no handler should have to
//! think about: text PostgreSQL cannot store (the NUL character), bytes
//! that are not UTF-8 in a path or query string, and JSON whose meaning is
//! ambiguous (the same key twice in one object).
//!
//! Why here and not in each handler: a NUL that reaches a query or an audit
//! entry on PostgreSQL fails the statement, and an audit entry that cannot
//! be stored once failed every other action committed with it. Checking
//! the path, every query parameter and every JSON or form body at the door
//! closes that for every route at once, including routes added later.
//! The refusal names the parameter or JSON field, never its value, and is
//! audited as a `request.refused` like any other extractor refusal.
//!
//! The body is read here under a deadline (`server.body_timeout_seconds`):
//! a client that stops partway through is answered 408 and disconnected
//! instead of holding its connection for ever (see `connection_limits`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::StreamExt;
use interdict_domain::ValidationErrors;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

use crate::connection_limits::{body_timed_out, body_timeout};
use crate::error::ApiError;
use crate::extract::{mark_refused, BODY_LIMIT};
use interdict_app::AppError;

/// The largest body inspected; larger ones are refused with 413 as their
/// extractors would.
const INSPECT_LIMIT: usize = BODY_LIMIT;

pub async fn refuse_unreadable_input(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if let Err(error) = check_path(req.path()).and_then(|()| check_query(req.query_string())) {
        return Ok(refuse(req, error));
    }
    if let Some(kind) = body_kind(&req) {
        let mut payload = req.take_payload();
        let deadline = body_timeout(req.request());
        let body = match tokio::time::timeout(deadline, read_bounded(&mut payload)).await {
            Ok(Ok(body)) => body,
            Ok(Err(error)) => return Ok(refuse(req, error)),
            Err(_) => return Ok(req.into_response(body_timed_out())),
        };
        let checked = match kind {
            BodyKind::Json => check_json(&body),
            BodyKind::Form => check_query(std::str::from_utf8(&body).unwrap_or("\u{0}")),
        };
        if let Err(error) = checked {
            return Ok(refuse(req, error));
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn refuse(req: ServiceRequest, error: AppError) -> ServiceResponse<BoxBody> {
    mark_refused(req.request(), &error);
    let response = if crate::routes::is_api(req.path()) {
        ApiError(error).error_response()
    } else {
        crate::pages::error::PageError::App(error).error_response()
    };
    req.into_response(response)
}

enum BodyKind {
    Json,
    Form,
}

fn body_kind(req: &ServiceRequest) -> Option<BodyKind> {
    let content_type = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Some(BodyKind::Json)
    } else if essence == "application/x-www-form-urlencoded" {
        Some(BodyKind::Form)
    } else {
        None
    }
}

async fn read_bounded(payload: &mut Payload) -> Result<Bytes, AppError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::bad_request("body", "could not be read"))?;
        if body.len() + chunk.len() > INSPECT_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

const NUL_MESSAGE: &str = "must not contain the NUL character";

/// The path, percent-decoded, must be UTF-8 without NUL.
fn check_path(path: &str) -> Result<(), AppError> {
    match decode(path, false) {
        Some(text) if !text.contains('\0') => Ok(()),
        Some(_) => Err(AppError::bad_request("path", NUL_MESSAGE)),
        None => Err(AppError::bad_request("path", "is not valid UTF-8")),
    }
}

/// Each name and value of a query string (or a form body), decoded, must
/// be UTF-8 without NUL.
fn check_query(query: &str) -> Result<(), AppError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = match decode(name, true) {
            Some(name) if !name.contains('\0') => name,
            Some(_) => return Err(AppError::bad_request("query", NUL_MESSAGE)),
            None => return Err(AppError::bad_request("query", "is not valid UTF-8")),
        };
        match decode(value, true) {
            Some(value) if !value.contains('\0') => {}
            Some(_) => return Err(AppError::bad_request(name, NUL_MESSAGE)),
            None => return Err(AppError::bad_request(name, "is not valid UTF-8")),
        }
    }
    Ok(())
}

/// Percent-decodes (and, in query strings, turns `+` into a space); `None`
/// if the result is not UTF-8. A `%` not followed by two hex digits is
/// kept as it is, as the router and serde_urlencoded do.
fn decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// A JSON body must not hold NUL in any key or string, nor the same key
/// twice in one object. Malformed JSON is left to the extractor, which
/// names what is wrong with it.
fn check_json(body: &[u8]) -> Result<(), AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let mut path = Vec::new();
    match (Guard { path: &mut path }).deserialize(&mut deserializer) {
        Ok(()) => Ok(()),
        Err(error) if error.is_data() => {
            let field = if path.is_empty() {
                "body".to_owned()
            } else {
                path.join(".").replace(".[", "[")
            };
            Err(AppError::Validation(ValidationErrors::single(
                field,
                error
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or(NUL_MESSAGE),
            )))
        }
        Err(_) => Ok(()),
    }
}

/// Walks a JSON value, keeping the path to where it is.
struct Guard<'p> {
    path: &'p mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Guard<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Guard<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<(), E> {
        if value.contains('\0') {
            return Err(E::custom(NUL_MESSAGE));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            self.path.push(format!("[{index}]"));
            let more = seq.next_element_seed(Guard { path: self.path })?;
            if more.is_none() {
                self.path.pop();
                return Ok(());
            }
            self.path.pop();
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if key.contains('\0') {
                return Err(serde::de::Error::custom(NUL_MESSAGE));
            }
            self.path.push(key.clone());
            if !seen.insert(key) {
                return Err(serde::de::Error::custom("appears more than once"));
            }
            map.next_value_seed(Guard { path: self.path })?;
            self.path.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: AppError) -> String {
        crate::error::field_errors(&error)[0].field.clone()
    }

    #[test]
    fn nul_in_a_path_or_query_is_named() {
        assert!(check_path("/api/v1/reports/shipments.csv").is_ok());
        assert_eq!(
            field_of(check_path("/api/v1/reports/shipments.csv%00.txt").unwrap_err()),
            "path"
        );
        assert!(check_query("q=a%20b&limit=5").is_ok());
        assert_eq!(field_of(check_query("limit=5&q=a%00b").unwrap_err()), "q");
        assert_eq!(field_of(check_query("action=a%00b").unwrap_err()), "action");
        assert_eq!(field_of(check_query("q=%ff%fe").unwrap_err()), "q");
        // A stray percent sign is text, not an escape.
        assert!(check_query("q=100%").is_ok());
        assert!(check_query("q=%2").is_ok());
    }

    #[test]
    fn nul_and_duplicate_keys_in_json_are_named_by_path() {
        assert!(check_json(br#"{"username":"admin","password":"x"}"#).is_ok());
        let nul = check_json(br#"{"username":"admin\u0000","password":"x"}"#).unwrap_err();
        assert_eq!(field_of(nul), "username");
        let nested = check_json(br#"{"legs":[{"a":1},{"to":{"city":"a\u0000"}}]}"#);
        assert_eq!(field_of(nested.unwrap_err()), "legs[1].to.city");
        let twice = check_json(br#"{"role":"auditor","role":"admin"}"#).unwrap_err();
        assert_eq!(field_of(twice), "role");
        // A literal backslash followed by u0000 is ordinary text.
        assert!(check_json(br#"{"note":"\\u0000"}"#).is_ok());
        // Malformed JSON is the extractor's to describe.
        assert!(check_json(b"{not json").is_ok());
    }
}
