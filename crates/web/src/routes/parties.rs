//! `/api/v1/parties`: consignors, consignees, forwarders and the rest.

use interdict_app::records::PartyQuery;
use interdict_domain::party::PartyInput;

use super::records::record_endpoints;

record_endpoints! {
    document: PartyInput,
    query: PartyQuery,
    show: interdict_app::records::show::<PartyInput>,
    tag: "parties",
    operation_prefix: "parties",
    collection: "/api/v1/parties",
    item: "/api/v1/parties/{id}",
    withdraw: "/api/v1/parties/{id}/withdraw",
    history: "/api/v1/parties/{id}/history",
}
