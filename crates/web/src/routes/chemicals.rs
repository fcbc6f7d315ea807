//! `/api/v1/chemicals`: the catalogue everyone reads and administrators
//! keep, seeded with the controlled precursors.

use interdict_app::records::ChemicalQuery;
use interdict_domain::chemical::ChemicalInput;

use super::records::record_endpoints;

record_endpoints! {
    document: ChemicalInput,
    query: ChemicalQuery,
    show: interdict_app::records::show::<ChemicalInput>,
    tag: "chemicals",
    operation_prefix: "chemicals",
    collection: "/api/v1/chemicals",
    item: "/api/v1/chemicals/{id}",
    withdraw: "/api/v1/chemicals/{id}/withdraw",
    history: "/api/v1/chemicals/{id}/history",
}
