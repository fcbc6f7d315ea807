//! `/api/v1/chemicals`: the catalogue everyone reads and administrators
//! keep, seeded with the controlled precursors.

use interdict_domain::chemical::{CasNumber, ChemicalInput, ControlStatus};
use interdict_persistence::search::{FactFilter, Search};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::registry::{base_search, choice_param, registry_endpoints};

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChemicalQuery {
    /// Text in the name, a synonym or the CAS number.
    pub q: Option<String>,
    /// Exact CAS number, check digit verified.
    pub cas: Option<String>,
    /// `list_i`, `list_ii`, `schedule_ii_immediate_precursor` or `none`.
    pub control_status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl SearchQuery for ChemicalQuery {
    fn search(&self) -> Result<Search, ApiError> {
        let mut search = base_search(&self.q, None, self.limit, &self.cursor)?;
        let cas = self
            .cas
            .as_deref()
            .map(|c| {
                CasNumber::parse(c)
                    .map(|c| c.to_string())
                    .map_err(|m| ApiError::bad_request("cas", m))
            })
            .transpose()?;
        search.facts = FactFilter::Chemical {
            cas,
            control_status: choice_param::<ControlStatus>("control_status", &self.control_status)?,
        };
        Ok(search)
    }
}

registry_endpoints! {
    document: ChemicalInput,
    query: ChemicalQuery,
    tag: "chemicals",
    operation_prefix: "chemicals",
    collection: "/api/v1/chemicals",
    item: "/api/v1/chemicals/{id}",
    withdraw: "/api/v1/chemicals/{id}/withdraw",
    history: "/api/v1/chemicals/{id}/history",
}
