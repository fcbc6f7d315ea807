//! `/api/v1/equipment`: presses, encapsulators, punches and dies.

use interdict_domain::equipment::{EquipmentInput, EquipmentKind};
use interdict_domain::identifier::IdentifierKind;
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::registry::{base_search, choice_param, registry_endpoints};

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquipmentQuery {
    /// Text in the manufacturer or model.
    pub q: Option<String>,
    /// Serial number (case, spaces and punctuation ignored).
    pub serial: Option<String>,
    pub kind: Option<String>,
    pub markings_removed: Option<bool>,
    pub owner_agency_id: Option<uuid::Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A serial-number filter, shared with shipment search.
pub fn serial_match(raw: &Option<String>) -> Result<Option<IdentifierMatch>, ApiError> {
    raw.as_deref()
        .map(|raw| {
            IdentifierKind::Serial
                .normalise(raw)
                .map(|value| IdentifierMatch {
                    any_of: vec![(IdentifierKind::Serial, value)],
                    prefix: false,
                })
                .ok_or_else(|| {
                    ApiError::bad_request("serial", "needs at least 3 letters or digits")
                })
        })
        .transpose()
}

impl SearchQuery for EquipmentQuery {
    fn search(&self) -> Result<Search, ApiError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        search.identifiers.extend(serial_match(&self.serial)?);
        search.facts = FactFilter::Equipment {
            kind: choice_param::<EquipmentKind>("kind", &self.kind)?,
            markings_removed: self.markings_removed,
        };
        Ok(search)
    }
}

registry_endpoints! {
    document: EquipmentInput,
    query: EquipmentQuery,
    tag: "equipment",
    operation_prefix: "equipment",
    collection: "/api/v1/equipment",
    item: "/api/v1/equipment/{id}",
    withdraw: "/api/v1/equipment/{id}/withdraw",
    history: "/api/v1/equipment/{id}/history",
}
