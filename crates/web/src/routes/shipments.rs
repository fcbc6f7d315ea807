//! `/api/v1/shipments`: what moved, between whom, by which route; read
//! with the risk indicators it fires.

use interdict_app::shipments::ShipmentQuery;
use interdict_domain::shipment::ShipmentInput;

use super::records::record_endpoints;

record_endpoints! {
    document: ShipmentInput,
    query: ShipmentQuery,
    show: interdict_app::shipments::detail,
    tag: "shipments",
    operation_prefix: "shipments",
    collection: "/api/v1/shipments",
    item: "/api/v1/shipments/{id}",
    withdraw: "/api/v1/shipments/{id}/withdraw",
    history: "/api/v1/shipments/{id}/history",
}
