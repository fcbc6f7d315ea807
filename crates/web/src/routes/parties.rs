//! `/api/v1/parties`: consignors, consignees, forwarders and the rest.

use interdict_domain::codes::CountryCode;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::party::{PartyInput, PartyKind};
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::registry::{base_search, choice_param, registry_endpoints};

#[derive(Debug, Deserialize, Serialize, IntoParams)]
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
    pub kind: Option<String>,
    pub owner_agency_id: Option<uuid::Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl SearchQuery for PartyQuery {
    fn search(&self) -> Result<Search, ApiError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        if let Some(raw) = &self.identifier {
            let any_of: Vec<(IdentifierKind, String)> = [
                IdentifierKind::Registration,
                IdentifierKind::Email,
                IdentifierKind::Phone,
            ]
            .into_iter()
            .filter_map(|kind| kind.normalise(raw).map(|value| (kind, value)))
            .collect();
            if any_of.is_empty() {
                return Err(ApiError::bad_request(
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
                    .map_err(|m| ApiError::bad_request("country", m))
            })
            .transpose()?;
        search.facts = FactFilter::Party {
            kind: choice_param::<PartyKind>("kind", &self.kind)?,
            country,
        };
        Ok(search)
    }
}

registry_endpoints! {
    document: PartyInput,
    query: PartyQuery,
    tag: "parties",
    operation_prefix: "parties",
    collection: "/api/v1/parties",
    item: "/api/v1/parties/{id}",
    withdraw: "/api/v1/parties/{id}/withdraw",
    history: "/api/v1/parties/{id}/history",
}
