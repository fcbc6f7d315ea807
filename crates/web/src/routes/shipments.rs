//! `/api/v1/shipments`: what moved, between whom, by which route.

use interdict_domain::agency::is_state_or_territory;
use interdict_domain::chemical::{CasNumber, ControlStatus};
use interdict_domain::codes::CountryCode;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::shipment::{IncidentType, Mode, ShipmentInput, ShipmentStatus};
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search, ShipmentFacts};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::audit::parse_time;
use super::die_molds::imprint_match;
use super::equipment::serial_match;
use super::registry::{base_search, choice_param, registry_endpoints};

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShipmentQuery {
    /// Text in the declared description, concealment or party names.
    pub q: Option<String>,
    pub tracking_number: Option<String>,
    /// Serial number of equipment on a line.
    pub serial: Option<String>,
    /// Imprint of a die mold on a line, `M|30` or `M|30|round`.
    pub imprint: Option<String>,
    /// A chemical on a line, by catalogue id or CAS number.
    pub chemical: Option<String>,
    /// US control status of a chemical on a line.
    pub control_status: Option<String>,
    pub origin_country: Option<String>,
    pub destination_country: Option<String>,
    /// US state or territory of the destination, e.g. `TX`.
    pub destination_state: Option<String>,
    pub incident_type: Option<String>,
    pub status: Option<String>,
    pub mode: Option<String>,
    /// Shipped on or after (RFC 3339).
    pub from: Option<String>,
    /// Shipped before (RFC 3339).
    pub to: Option<String>,
    pub owner_agency_id: Option<uuid::Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn country(name: &str, value: &Option<String>) -> Result<Option<String>, ApiError> {
    value
        .as_deref()
        .map(|c| {
            CountryCode::parse(c)
                .map(|c| c.to_string())
                .map_err(|m| ApiError::bad_request(name, m))
        })
        .transpose()
}

/// A chemical filter value: a catalogue id, or a CAS number to look up.
#[derive(Debug, Clone)]
pub enum ChemicalRef {
    Id(uuid::Uuid),
    Cas(String),
}

/// `TX` or `US-TX` as the ISO 3166-2 code of a US state or territory.
pub fn destination_state(value: &Option<String>) -> Result<Option<String>, ApiError> {
    value
        .as_deref()
        .map(|s| {
            let code = s.trim().trim_start_matches("US-").to_ascii_uppercase();
            if is_state_or_territory(&code) {
                Ok(format!("US-{code}"))
            } else {
                Err(ApiError::bad_request(
                    "destination_state",
                    "must be a US state or territory code such as TX",
                ))
            }
        })
        .transpose()
}

/// A chemical filter: a catalogue id, or a CAS number.
pub fn chemical_ref(value: &Option<String>) -> Result<Option<ChemicalRef>, ApiError> {
    value
        .as_deref()
        .map(|c| match uuid::Uuid::parse_str(c) {
            Ok(id) => Ok(ChemicalRef::Id(id)),
            Err(_) => CasNumber::parse(c)
                .map(|cas| ChemicalRef::Cas(cas.to_string()))
                .map_err(|_| {
                    ApiError::bad_request("chemical", "must be a catalogue id or a CAS number")
                }),
        })
        .transpose()
}

impl SearchQuery for ShipmentQuery {
    fn search(&self) -> Result<Search, ApiError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        if let Some(raw) = &self.tracking_number {
            let value = IdentifierKind::TrackingNumber
                .normalise(raw)
                .ok_or_else(|| {
                    ApiError::bad_request("tracking_number", "needs at least 3 letters or digits")
                })?;
            search.identifiers.push(IdentifierMatch {
                any_of: vec![(IdentifierKind::TrackingNumber, value)],
                prefix: false,
            });
        }
        search.identifiers.extend(serial_match(&self.serial)?);
        search.identifiers.extend(imprint_match(&self.imprint)?);
        let destination_subdivision = destination_state(&self.destination_state)?;
        let shipped_from = parse_time("from", self.from.as_deref())?;
        let shipped_to = parse_time("to", self.to.as_deref())?;
        if let (Some(from), Some(to)) = (shipped_from, shipped_to) {
            if from >= to {
                return Err(ApiError::bad_request("to", "must be after `from`"));
            }
        }
        let (chemical, chemical_cas) = match chemical_ref(&self.chemical)? {
            Some(ChemicalRef::Id(id)) => (Some(id), None),
            Some(ChemicalRef::Cas(cas)) => (None, Some(cas)),
            None => (None, None),
        };
        search.facts = FactFilter::Shipment(ShipmentFacts {
            incident_type: choice_param::<IncidentType>("incident_type", &self.incident_type)?,
            status: choice_param::<ShipmentStatus>("status", &self.status)?,
            mode: choice_param::<Mode>("mode", &self.mode)?,
            origin_country: country("origin_country", &self.origin_country)?,
            destination_country: country("destination_country", &self.destination_country)?,
            destination_subdivision,
            shipped_from: shipped_from.map(|t| t.naive_utc()),
            shipped_to: shipped_to.map(|t| t.naive_utc()),
            chemical,
            chemical_cas,
            control_status: choice_param::<ControlStatus>("control_status", &self.control_status)?,
        });
        Ok(search)
    }
}

registry_endpoints! {
    document: ShipmentInput,
    query: ShipmentQuery,
    tag: "shipments",
    operation_prefix: "shipments",
    collection: "/api/v1/shipments",
    item: "/api/v1/shipments/{id}",
    withdraw: "/api/v1/shipments/{id}/withdraw",
    history: "/api/v1/shipments/{id}/history",
}
