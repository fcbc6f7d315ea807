//! `/api/v1/die-molds`: imprints that imitate pharmaceutical tablets.

use interdict_domain::die_mold::{DieMoldInput, Shape};
use interdict_domain::identifier::IdentifierKind;
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::registry::{base_search, choice_param, registry_endpoints};

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DieMoldQuery {
    /// Text in the imitated product or colour.
    pub q: Option<String>,
    /// Front and back imprint, `M|30` or `M/30`, optionally with the shape
    /// (`M|30|round`).
    pub imprint: Option<String>,
    pub shape: Option<String>,
    pub owner_agency_id: Option<uuid::Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An imprint filter, shared with shipment search: `M`, `M|30` or
/// `M|30|round`; what is left out matches anything.
pub fn imprint_match(raw: &Option<String>) -> Result<Option<IdentifierMatch>, ApiError> {
    let Some(raw) = raw.as_deref() else {
        return Ok(None);
    };
    let parts: Vec<&str> = raw.split(['|', '/']).map(str::trim).collect();
    let (front, back, shape) = match parts.as_slice() {
        [front] => (*front, "", None),
        [front, back] => (*front, *back, None),
        [front, back, shape] => (*front, *back, Some(*shape)),
        _ => {
            return Err(ApiError::bad_request(
                "imprint",
                "use front|back or front|back|shape",
            ))
        }
    };
    if let Some(shape) = shape {
        shape
            .parse::<Shape>()
            .map_err(|m| ApiError::bad_request("imprint", format!("shape {m}")))?;
    }
    // Without a back imprint, any back matches; without a shape, any shape.
    let key = match (parts.len(), shape) {
        (1, _) => format!("{front}|"),
        (_, Some(shape)) => format!("{front}|{back}|{shape}"),
        _ => format!("{front}|{back}|"),
    };
    let value = IdentifierKind::Imprint
        .normalise(&key)
        .ok_or_else(|| ApiError::bad_request("imprint", "needs at least one letter or digit"))?;
    Ok(Some(IdentifierMatch {
        any_of: vec![(IdentifierKind::Imprint, value)],
        prefix: shape.is_none(),
    }))
}

impl SearchQuery for DieMoldQuery {
    fn search(&self) -> Result<Search, ApiError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        search.identifiers.extend(imprint_match(&self.imprint)?);
        search.facts = FactFilter::DieMold {
            shape: choice_param::<Shape>("shape", &self.shape)?,
        };
        Ok(search)
    }
}

registry_endpoints! {
    document: DieMoldInput,
    query: DieMoldQuery,
    tag: "die molds",
    operation_prefix: "die_molds",
    collection: "/api/v1/die-molds",
    item: "/api/v1/die-molds/{id}",
    withdraw: "/api/v1/die-molds/{id}/withdraw",
    history: "/api/v1/die-molds/{id}/history",
}
