//! Small renderings shared by the pages: places, times, badges, pagers.

use chrono::{DateTime, Utc};
use interdict_app::AppError;
use interdict_domain::shipment::{LocationInput, ShipmentInput};
use maud::{html, Markup};

use super::layout::encode;

/// A location as people read it: a known UN/LOCODE by its name and code
/// (`Manzanillo, Colima, MX (MXZLO)`), an unknown one kept beside the
/// place (`Wuhan, CN (CNXXX)`), otherwise `City, US-TX, US`.
pub fn place(location: Option<&LocationInput>) -> String {
    let Some(location) = location else {
        return "—".into();
    };
    use interdict_domain::locode::Locode;
    let Some(code) = location.locode.as_deref().filter(|c| !c.trim().is_empty()) else {
        return place_words(location);
    };
    match Locode::parse(code).ok().and_then(|c| c.place()) {
        Some(known) => known.label(),
        None => format!("{} ({})", place_words(location), code.trim()),
    }
}

/// `City, US-TX, US` from a location.
fn place_words(location: &LocationInput) -> String {
    [
        location.city.as_deref(),
        location.subdivision.as_deref(),
        Some(location.country.as_str()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// A quantity as documents write it (`500.0`, `25.5`).
pub fn number(value: f64) -> String {
    serde_json::Number::from_f64(value).map_or_else(|| value.to_string(), |n| n.to_string())
}

/// A moment, to the minute: sent in UTC inside `<time>` with the UTC time
/// on hover; `/assets/time.js` shows it in the reader's time zone.
pub fn when(at: &DateTime<Utc>) -> Markup {
    let utc = at.format("%Y-%m-%d %H:%M UTC").to_string();
    html! {
        time datetime=(at.format("%Y-%m-%dT%H:%M:%SZ")) title={ "UTC " (at.format("%Y-%m-%d %H:%M")) } { (utc) }
    }
}

/// The date part of an RFC 3339 time as sent in documents.
pub fn day(value: Option<&str>) -> String {
    value.and_then(|v| v.get(..10)).unwrap_or("—").to_owned()
}

pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span.badge.(kind) { (super::labels::words(text)) } }
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

/// A use case's query, from a page's query string with its blank fields
/// dropped (a search form sends every field, filled or not); a parameter
/// the use case does not know is refused just as on the API.
pub fn query_of<T: serde::de::DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, AppError> {
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
        .map(actix_web::web::Query::into_inner)
        .map_err(|e| AppError::bad_request("query", e.to_string()))
}

pub use interdict_app::shipment_entry::day_start;

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

/// A shipment as people name it: its reference, then its main tracking
/// number. The id only when there is neither (a machine needs it).
pub fn shipment_name(reference: Option<&str>, shipment: Option<&ShipmentInput>) -> String {
    let tracking = shipment.and_then(|s| s.tracking_numbers.first().map(|t| t.value.as_str()));
    match (reference, tracking) {
        (Some(reference), Some(tracking)) => format!("{reference} · {tracking}"),
        (Some(reference), None) => reference.to_owned(),
        (None, Some(tracking)) => tracking.to_owned(),
        (None, None) => "shipment without a reference".to_owned(),
    }
}

/// [`shipment_name`] of a shipment record.
pub fn shipment_label(record: &interdict_app::records::Record<ShipmentInput>) -> String {
    shipment_name(record.reference.as_deref(), Some(&record.document))
}
