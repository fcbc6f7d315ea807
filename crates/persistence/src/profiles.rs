//! What the risk rules need to know about a shipment, gathered from the
//! shipment and the records its lines and parties point to.

use diesel::prelude::*;
use interdict_domain::chemical::ChemicalInput;
use interdict_domain::die_mold::DieMoldInput;
use interdict_domain::equipment::EquipmentInput;
use interdict_domain::risk::{ChemicalLine, DieLine, EquipmentLine, ShipmentProfile};
use interdict_domain::shipment::{LineItem, PartyRole, Shipment, ShipmentInput};
use uuid::Uuid;

use crate::records::RecordRow;
use crate::schema::{deconfliction_notices, record_refs, records};
use crate::{chains, DbConnection, DbUuid};

fn body_of(conn: &mut DbConnection, id: Uuid) -> QueryResult<Option<String>> {
    records::table
        .find(DbUuid(id))
        .select(records::body)
        .first(conn)
        .optional()
}

fn parse<T: serde::de::DeserializeOwned>(body: Option<String>) -> Option<T> {
    body.and_then(|b| serde_json::from_str(&b).ok())
}

/// The shipment as the risk rules see it. Lines whose record cannot be
/// read are left out rather than guessed.
pub fn profile(conn: &mut DbConnection, row: &RecordRow) -> QueryResult<ShipmentProfile> {
    let Some(shipment) =
        parse::<ShipmentInput>(Some(row.body.clone())).and_then(|i| Shipment::validate(&i).ok())
    else {
        return Ok(ShipmentProfile::default());
    };
    let mut profile = ShipmentProfile {
        declared_description: shipment.declared_description.clone(),
        declared_hs_code: shipment.declared_hs_code.clone(),
        route: shipment
            .legs
            .first()
            .map(|l| l.from.country.to_string())
            .into_iter()
            .chain(shipment.legs.iter().map(|l| l.to.country.to_string()))
            .collect(),
        ..ShipmentProfile::default()
    };
    for line in &shipment.lines {
        match line.item {
            LineItem::Chemical { id, quantity, unit } => {
                if let Some(chemical) = parse::<ChemicalInput>(body_of(conn, id)?) {
                    profile.chemicals.push(ChemicalLine {
                        name: chemical.name,
                        control: chemical
                            .us_control
                            .parse()
                            .unwrap_or(interdict_domain::chemical::ControlStatus::None),
                        hs_code: chemical.hs_code,
                        quantity,
                        unit,
                    });
                }
            }
            LineItem::Equipment { id } => {
                if let Some(equipment) = parse::<EquipmentInput>(body_of(conn, id)?) {
                    if let Ok(kind) = equipment.kind.parse() {
                        profile.equipment.push(EquipmentLine {
                            kind,
                            markings_removed: equipment.markings_removed,
                        });
                    }
                }
            }
            LineItem::DieMold { id } => {
                if let Some(mold) = parse::<DieMoldInput>(body_of(conn, id)?) {
                    profile.dies.push(DieLine {
                        imprint: format!(
                            "{}/{}",
                            mold.front_imprint.as_deref().unwrap_or("-"),
                            mold.back_imprint.as_deref().unwrap_or("-")
                        ),
                        imitated_product: mold.imitated_product,
                    });
                }
            }
        }
    }
    // First seen: no earlier shipment names the same consignor.
    let consignors: Vec<DbUuid> = shipment
        .parties
        .iter()
        .filter(|(_, role)| *role == PartyRole::Consignor)
        .map(|(id, _)| DbUuid(*id))
        .collect();
    if !consignors.is_empty() {
        let earlier: i64 = record_refs::table
            .inner_join(records::table.on(records::id.eq(record_refs::record_id)))
            .filter(record_refs::ref_id.eq_any(&consignors))
            .filter(record_refs::role.eq(PartyRole::Consignor.as_str()))
            .filter(records::id.lt(row.id))
            .filter(records::withdrawn_at.is_null())
            .count()
            .get_result(conn)?;
        profile.consignor_first_seen = earlier == 0;
    }
    let mut related: Vec<DbUuid> = shipment
        .references()
        .into_iter()
        .map(|(_, id, _)| DbUuid(id))
        .collect();
    related.push(row.id);
    profile.deconfliction_hit = diesel::select(diesel::dsl::exists(
        deconfliction_notices::table.filter(deconfliction_notices::record_id.eq_any(&related)),
    ))
    .get_result(conn)?;
    profile.onward_links = chains::onward_count(conn, row.id.0)? as usize;
    Ok(profile)
}
