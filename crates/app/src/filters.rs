//! Reading the filters of searches and reports: each bad value is refused
//! naming its parameter.

use chrono::{DateTime, NaiveDateTime, Utc};
use interdict_domain::agency::is_state_or_territory;
use interdict_domain::chemical::CasNumber;
use interdict_domain::codes::CountryCode;
use interdict_domain::validation::Invalid;
use uuid::Uuid;

use crate::error::AppError;

/// The most characters any free-text filter takes (`q`, a tracking
/// number, serial, imprint or identifier, the audit trail's action and
/// object): no name or number is longer, and a longer value is refused
/// naming its parameter rather than searched for.
pub const MAX_TEXT_CHARS: usize = 200;

/// A free-text filter value, refused (422, naming `field`) when longer
/// than [`MAX_TEXT_CHARS`].
pub fn text<'a>(field: &str, value: Option<&'a str>) -> Result<Option<&'a str>, AppError> {
    match value {
        Some(v) if v.chars().count() > MAX_TEXT_CHARS => Err(AppError::invalid(
            field,
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        )),
        value => Ok(value),
    }
}

/// Parses a time parameter: an RFC 3339 time, or a date alone for
/// midnight UTC at its start (so `from=2026-07-01&to=2026-10-01` is the
/// third quarter).
pub fn parse_time(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
                })
                .map_err(|_| {
                    AppError::bad_request(
                        field,
                        "must be a date such as 2026-01-01 or an RFC 3339 time such as 2026-01-01T00:00:00Z",
                    )
                })
        })
        .transpose()
}

/// A `from`/`to` range: `to` after `from` when both are given.
pub type Range = (Option<NaiveDateTime>, Option<NaiveDateTime>);

pub fn range(from: Option<&str>, to: Option<&str>) -> Result<Range, AppError> {
    let from = parse_time("from", from)?;
    let to = parse_time("to", to)?;
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(AppError::bad_request("to", "must be after `from`"));
        }
    }
    Ok((from.map(|t| t.naive_utc()), to.map(|t| t.naive_utc())))
}

/// An ISO 3166-1 country.
pub fn country(name: &str, value: &Option<String>) -> Result<Option<String>, AppError> {
    value
        .as_deref()
        .map(|c| {
            CountryCode::parse(c)
                .map(|c| c.to_string())
                .map_err(|m| AppError::bad_request(name, m))
        })
        .transpose()
}

/// `TX` or `US-TX` as the ISO 3166-2 code of a US state or territory.
pub fn destination_state(value: &Option<String>) -> Result<Option<String>, AppError> {
    value
        .as_deref()
        .map(|s| {
            let code = s.trim().trim_start_matches("US-").to_ascii_uppercase();
            if is_state_or_territory(&code) {
                Ok(format!("US-{code}"))
            } else {
                Err(AppError::bad_request(
                    "destination_state",
                    "must be a US state or territory code such as TX",
                ))
            }
        })
        .transpose()
}

/// A chemical filter value: a catalogue id, or a CAS number to look up.
#[derive(Debug, Clone)]
pub enum ChemicalRef {
    Id(Uuid),
    Cas(String),
}

/// A chemical filter: a catalogue id, or a CAS number.
pub fn chemical_ref(value: &Option<String>) -> Result<Option<ChemicalRef>, AppError> {
    value
        .as_deref()
        .map(|c| match Uuid::parse_str(c) {
            Ok(id) => Ok(ChemicalRef::Id(id)),
            Err(_) => CasNumber::parse(c)
                .map(|cas| ChemicalRef::Cas(cas.to_string()))
                .map_err(|_| {
                    AppError::bad_request("chemical", "must be a catalogue id or a CAS number")
                }),
        })
        .transpose()
}

/// An optional closed-set filter value, checked, naming the parameter.
pub fn choice<T: std::str::FromStr<Err = Invalid>>(
    name: &str,
    value: &Option<String>,
) -> Result<Option<String>, AppError> {
    value
        .as_deref()
        .map(|v| {
            v.parse::<T>()
                .map(|_| v.to_owned())
                .map_err(|m| AppError::bad_request(name, m))
        })
        .transpose()
}
