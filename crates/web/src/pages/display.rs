//! Small renderings shared by the pages: places, times, badges, pagers.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde_json::Value;

use super::layout::encode;
use crate::error::ApiError;

/// The JSON a service answered with, for services whose answer carries
/// headers (ETag, Location) as well as a body.
pub async fn body_of(response: HttpResponse) -> Result<Value, ApiError> {
    let bytes = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(ApiError::internal)
}

pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `City, US-TX, US` from a location object.
pub fn place(location: Option<&Value>) -> String {
    let Some(location) = location.filter(|l| l.is_object()) else {
        return "—".into();
    };
    ["city", "subdivision", "country"]
        .iter()
        .map(|k| str_of(location, k))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The date part of an RFC 3339 time as sent in documents.
pub fn day(value: Option<&str>) -> String {
    value.and_then(|v| v.get(..10)).unwrap_or("—").to_owned()
}

pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span.badge.(kind) { (text.replace('_', " ")) } }
}

pub fn short(id: &uuid::Uuid) -> String {
    id.simple().to_string()[..8].to_owned()
}

/// "Next page" for cursor pagination: the current query with the cursor.
pub fn pager(path: &str, query: &[(String, String)], next: Option<&str>) -> Markup {
    let href = next.map(|cursor| {
        let pairs: Vec<String> = query
            .iter()
            .filter(|(k, v)| k != "cursor" && !v.is_empty())
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .chain(std::iter::once(format!("cursor={}", encode(cursor))))
            .collect();
        format!("{path}?{}", pairs.join("&"))
    });
    html! {
        @if let Some(href) = href {
            nav.pager aria-label="Pages" { a href=(href) rel="next" { "Next page →" } }
        }
    }
}

/// A query for a service, from a page's query string with its blank
/// fields dropped (a search form sends every field, filled or not); a
/// parameter the service does not know is refused just as on the API.
pub fn query_of<T: serde::de::DeserializeOwned>(
    pairs: &[(String, String)],
) -> Result<actix_web::web::Query<T>, ApiError> {
    let filled: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.as_str(), v.trim()))
        .collect();
    let encoded = filled
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    actix_web::web::Query::<T>::from_query(&encoded)
        .map_err(|e| ApiError::bad_request("query", e.to_string()))
}

/// A day from a date input as the RFC 3339 time the services take
/// (midnight UTC); anything else is passed on for them to judge.
pub fn day_start(value: &str) -> String {
    if value.len() == 10 && value.as_bytes().get(4) == Some(&b'-') {
        format!("{value}T00:00:00Z")
    } else {
        value.to_owned()
    }
}

/// A query with its `from` and `to` days as times.
pub fn with_times(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| match k.as_str() {
            "from" | "to" => (k.clone(), day_start(v)),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}
