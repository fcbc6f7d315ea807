//! The search filters of each kind of record, checked into a `Search`.

use interdict_domain::chemical::{CasNumber, ControlStatus};
use interdict_domain::codes::CountryCode;
use interdict_domain::die_mold::Shape;
use interdict_domain::equipment::EquipmentKind;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::party::PartyKind;
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::AppError;
use crate::filters::{self, choice};
use crate::pagination;

/// A search query for one kind of record.
pub trait SearchQuery: Serialize + Send + Sync {
    fn search(&self) -> Result<Search, AppError>;
}

/// Common search parameters, shared by every kind's query.
pub fn base_search(
    q: &Option<String>,
    owner_agency_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: &Option<String>,
) -> Result<Search, AppError> {
    let text = match filters::text("q", q.as_deref())?.map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(text.to_lowercase()),
    };
    let before = pagination::uuid_cursor(cursor)?;
    Ok(Search {
        text,
        owner_agency: owner_agency_id,
        before,
        limit: pagination::check_limit(limit)?,
        ..Search::default()
    })
}

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartyQuery {
    /// Text in the name or aliases.
    pub q: Option<String>,
    /// A phone, email or registration number (matched normalised).
    pub identifier: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// `company` or `person`.
    #[param(value_type = Option<interdict_domain::party::PartyKind>)]
    pub kind: Option<String>,
    pub owner_agency_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl SearchQuery for PartyQuery {
    fn search(&self) -> Result<Search, AppError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        if let Some(raw) = filters::text("identifier", self.identifier.as_deref())? {
            let any_of: Vec<(IdentifierKind, String)> = [
                IdentifierKind::Registration,
                IdentifierKind::Email,
                IdentifierKind::Phone,
            ]
            .into_iter()
            .filter_map(|kind| kind.normalise(raw).map(|value| (kind, value)))
            .collect();
            if any_of.is_empty() {
                return Err(AppError::bad_request(
                    "identifier",
                    "needs at least 3 letters or digits",
                ));
            }
            search.identifiers.push(IdentifierMatch {
                any_of,
                prefix: false,
            });
        }
        let country = self
            .country
            .as_deref()
            .map(|c| {
                CountryCode::parse(c)
                    .map(|c| c.to_string())
                    .map_err(|m| AppError::bad_request("country", m))
            })
            .transpose()?;
        search.facts = FactFilter::Party {
            kind: choice::<PartyKind>("kind", &self.kind)?,
            country,
        };
        Ok(search)
    }
}

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChemicalQuery {
    /// Text in the name, a synonym or the CAS number.
    pub q: Option<String>,
    /// Exact CAS number, check digit verified.
    pub cas: Option<String>,
    /// `list_i`, `list_ii`, `schedule_ii_immediate_precursor` or `none`.
    #[param(value_type = Option<interdict_domain::chemical::ControlStatus>)]
    pub control_status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl SearchQuery for ChemicalQuery {
    fn search(&self) -> Result<Search, AppError> {
        let mut search = base_search(&self.q, None, self.limit, &self.cursor)?;
        let cas = self
            .cas
            .as_deref()
            .map(|c| {
                CasNumber::parse(c)
                    .map(|c| c.to_string())
                    .map_err(|m| AppError::bad_request("cas", m))
            })
            .transpose()?;
        search.facts = FactFilter::Chemical {
            cas,
            control_status: choice::<ControlStatus>("control_status", &self.control_status)?,
        };
        Ok(search)
    }
}

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquipmentQuery {
    /// Text in the manufacturer or model.
    pub q: Option<String>,
    /// Serial number (case, spaces and punctuation ignored).
    pub serial: Option<String>,
    #[param(value_type = Option<interdict_domain::equipment::EquipmentKind>)]
    pub kind: Option<String>,
    pub markings_removed: Option<bool>,
    pub owner_agency_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A serial-number filter, shared with shipment search.
pub fn serial_match(raw: &Option<String>) -> Result<Option<IdentifierMatch>, AppError> {
    filters::text("serial", raw.as_deref())?
        .map(|raw| {
            IdentifierKind::Serial
                .normalise(raw)
                .map(|value| IdentifierMatch {
                    any_of: vec![(IdentifierKind::Serial, value)],
                    prefix: false,
                })
                .ok_or_else(|| {
                    AppError::bad_request("serial", "needs at least 3 letters or digits")
                })
        })
        .transpose()
}

impl SearchQuery for EquipmentQuery {
    fn search(&self) -> Result<Search, AppError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        search.identifiers.extend(serial_match(&self.serial)?);
        search.facts = FactFilter::Equipment {
            kind: choice::<EquipmentKind>("kind", &self.kind)?,
            markings_removed: self.markings_removed,
        };
        Ok(search)
    }
}

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DieMoldQuery {
    /// Text in the imitated product or colour.
    pub q: Option<String>,
    /// Front and back imprint, `M|30` or `M/30`, optionally with the shape
    /// (`M|30|round`).
    pub imprint: Option<String>,
    #[param(value_type = Option<interdict_domain::die_mold::Shape>)]
    pub shape: Option<String>,
    pub owner_agency_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An imprint filter, shared with shipment search: `M`, `M|30` or
/// `M|30|round`; what is left out matches anything.
pub fn imprint_match(raw: &Option<String>) -> Result<Option<IdentifierMatch>, AppError> {
    let Some(raw) = filters::text("imprint", raw.as_deref())? else {
        return Ok(None);
    };
    let parts: Vec<&str> = raw.split(['|', '/']).map(str::trim).collect();
    let (front, back, shape) = match parts.as_slice() {
        [front] => (*front, "", None),
        [front, back] => (*front, *back, None),
        [front, back, shape] => (*front, *back, Some(*shape)),
        _ => {
            return Err(AppError::bad_request(
                "imprint",
                "use front|back or front|back|shape",
            ))
        }
    };
    if let Some(shape) = shape {
        shape
            .parse::<Shape>()
            .map_err(|m| AppError::bad_request("imprint", format!("shape {m}")))?;
    }
    // Without a back imprint, any back matches; without a shape, any shape.
    let key = match (parts.len(), shape) {
        (1, _) => format!("{front}|"),
        (_, Some(shape)) => format!("{front}|{back}|{shape}"),
        _ => format!("{front}|{back}|"),
    };
    let value = IdentifierKind::Imprint
        .normalise(&key)
        .ok_or_else(|| AppError::bad_request("imprint", "needs at least one letter or digit"))?;
    Ok(Some(IdentifierMatch {
        any_of: vec![(IdentifierKind::Imprint, value)],
        prefix: shape.is_none(),
    }))
}

impl SearchQuery for DieMoldQuery {
    fn search(&self) -> Result<Search, AppError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        search.identifiers.extend(imprint_match(&self.imprint)?);
        search.facts = FactFilter::DieMold {
            shape: choice::<Shape>("shape", &self.shape)?,
        };
        Ok(search)
    }
}
