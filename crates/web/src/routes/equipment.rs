//! `/api/v1/equipment`: presses, encapsulators, punches and dies.

use interdict_app::records::EquipmentQuery;
use interdict_domain::equipment::EquipmentInput;

use super::records::record_endpoints;

record_endpoints! {
    document: EquipmentInput,
    query: EquipmentQuery,
    show: interdict_app::records::show::<EquipmentInput>,
    tag: "equipment",
    operation_prefix: "equipment",
    collection: "/api/v1/equipment",
    item: "/api/v1/equipment/{id}",
    withdraw: "/api/v1/equipment/{id}/withdraw",
    history: "/api/v1/equipment/{id}/history",
}
