//! A shipment's route: the places it passed (country, subdivision, city,
//! UN/LOCODE) and the legs between them.

use chrono::{DateTime, Utc};

use crate::agency::is_state_or_territory;
use crate::codes::CountryCode;
use crate::validation::{bounded_text, optional, Invalid, ValidationErrors};

use super::{parse_time, LegInput, LocationInput};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub country: CountryCode,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub locode: Option<String>,
}

impl Location {
    /// The same place, comparing what both sides name.
    pub(super) fn continues(&self, next: &Location) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
            _ => true,
        };
        self.country == next.country
            && same(&self.subdivision, &next.subdivision)
            && same(&self.city, &next.city)
            && same(&self.locode, &next.locode)
    }

    pub(super) fn to_input(&self) -> LocationInput {
        LocationInput {
            country: self.country.to_string(),
            subdivision: self.subdivision.clone(),
            city: self.city.clone(),
            locode: self.locode.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub from: Location,
    pub to: Location,
    pub carrier: Option<String>,
    pub departure_at: Option<DateTime<Utc>>,
    pub arrival_at: Option<DateTime<Utc>>,
    pub document_number: Option<String>,
}

fn parse_subdivision(country: Option<CountryCode>, value: &str) -> Result<String, Invalid> {
    let code = value.trim().to_ascii_uppercase();
    let Some((prefix, local)) = code.split_once('-') else {
        return Err(format!("`{value}` is not an ISO 3166-2 code such as US-TX").into());
    };
    let local_ok =
        (1..=3).contains(&local.len()) && local.chars().all(|c| c.is_ascii_alphanumeric());
    if !local_ok {
        return Err(format!("`{value}` is not an ISO 3166-2 code such as US-TX").into());
    }
    if let Some(country) = country {
        if prefix != country.as_str() {
            return Err(format!("`{value}` is not in {country}").into());
        }
    }
    if prefix == "US" && !is_state_or_territory(local) {
        return Err(format!("`{local}` is not a US state or territory").into());
    }
    Ok(code)
}

fn parse_locode(country: Option<CountryCode>, value: &str) -> Result<String, Invalid> {
    let code = crate::locode::Locode::parse(value)?;
    if let Some(country) = country {
        if code.country() != country.as_str() {
            return Err(format!("`{value}` is not in {country}").into());
        }
    }
    Ok(code.to_string())
}

pub(super) fn location(
    errors: &mut ValidationErrors,
    field: &str,
    input: &LocationInput,
) -> Option<Location> {
    let country = errors.check(
        &format!("{field}.country"),
        CountryCode::parse(&input.country),
    );
    let subdivision = optional(
        errors,
        &format!("{field}.subdivision"),
        &input.subdivision,
        |s| parse_subdivision(country, s),
    );
    let city = optional(errors, &format!("{field}.city"), &input.city, |s| {
        bounded_text(s, 200)
    });
    let locode = optional(errors, &format!("{field}.locode"), &input.locode, |s| {
        parse_locode(country, s)
    });
    Some(Location {
        country: country?,
        subdivision,
        city,
        locode,
    })
}

pub(super) fn leg(errors: &mut ValidationErrors, i: usize, input: &LegInput) -> Option<Leg> {
    let field = format!("legs[{i}]");
    let from = location(errors, &format!("{field}.from"), &input.from);
    let to = location(errors, &format!("{field}.to"), &input.to);
    let carrier = optional(errors, &format!("{field}.carrier"), &input.carrier, |s| {
        bounded_text(s, 200)
    });
    let departure_at = optional(
        errors,
        &format!("{field}.departure_at"),
        &input.departure_at,
        parse_time,
    );
    let arrival_at = optional(
        errors,
        &format!("{field}.arrival_at"),
        &input.arrival_at,
        parse_time,
    );
    let document_number = optional(
        errors,
        &format!("{field}.document_number"),
        &input.document_number,
        |s| bounded_text(s, 100),
    );
    if let (Some(dep), Some(arr)) = (departure_at, arrival_at) {
        if arr < dep {
            errors.add(format!("{field}.arrival_at"), "is before the departure");
        }
    }
    Some(Leg {
        from: from?,
        to: to?,
        carrier,
        departure_at,
        arrival_at,
        document_number,
    })
}

pub(super) fn describe(location: &Location) -> String {
    match (&location.city, &location.subdivision) {
        (Some(city), _) => format!("{city}, {}", location.country),
        (None, Some(sub)) => sub.clone(),
        _ => location.country.to_string(),
    }
}
