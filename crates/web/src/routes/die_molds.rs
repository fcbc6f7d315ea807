//! `/api/v1/die-molds`: imprints that imitate pharmaceutical tablets.

use interdict_app::records::DieMoldQuery;
use interdict_domain::die_mold::DieMoldInput;

use super::records::record_endpoints;

record_endpoints! {
    document: DieMoldInput,
    query: DieMoldQuery,
    show: interdict_app::records::show::<DieMoldInput>,
    tag: "die molds",
    operation_prefix: "die_molds",
    collection: "/api/v1/die-molds",
    item: "/api/v1/die-molds/{id}",
    withdraw: "/api/v1/die-molds/{id}/withdraw",
    history: "/api/v1/die-molds/{id}/history",
}
