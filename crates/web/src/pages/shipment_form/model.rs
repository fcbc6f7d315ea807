//! The shipment form as typed: read from the submitted fields, blank,
//! or with one more row of a section.

use interdict_app::shipment_entry::{LegEntry, LineEntry, PartyEntry, ProductEntry, ShipmentEntry};
use interdict_domain::shipment::{IncidentType, Mode, ShipmentStatus, TrackingKind};

use crate::pages::form::Fields;

pub const MAX_PARTIES: usize = 50;
pub const MAX_LINES: usize = 100;
pub const MAX_LEGS: usize = 20;
pub const MAX_PRODUCTS: usize = 20;

fn has_row(fields: &Fields, prefix: &str, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| !fields.get(&format!("{prefix}.{n}")).is_empty())
}

/// An empty form: consignor and consignee, one line, one leg.
pub fn blank() -> ShipmentEntry {
    ShipmentEntry {
        incident_type: IncidentType::ALL[0].as_str().into(),
        status: ShipmentStatus::ALL[0].as_str().into(),
        mode: Mode::ALL[0].as_str().into(),
        scope: "agency".into(),
        tracking_kind: TrackingKind::ALL[0].as_str().into(),
        parties: vec![
            PartyEntry {
                role: "consignor".into(),
                ..PartyEntry::default()
            },
            PartyEntry {
                role: "consignee".into(),
                ..PartyEntry::default()
            },
        ],
        lines: vec![LineEntry::default()],
        products: vec![ProductEntry::default()],
        legs: vec![LegEntry::default()],
        ..ShipmentEntry::default()
    }
}

/// What was submitted; rows left wholly blank are dropped.
pub fn read(f: &Fields) -> ShipmentEntry {
    let mut form = ShipmentEntry {
        incident_type: f.text("incident_type"),
        status: f.text("status"),
        mode: f.text("mode"),
        scope: f.text("scope"),
        tracking_kind: f.text("tracking_numbers[0].kind"),
        tracking_value: f.text("tracking_numbers[0].value"),
        declared_description: f.text("declared_description"),
        declared_hs_code: f.text("declared_hs_code"),
        declared_value: f.text("declared_value"),
        declared_currency: f.text("declared_currency"),
        gross_weight_kg: f.text("gross_weight_kg"),
        concealment_method: f.text("concealment_method"),
        narrative: f.get("narrative").trim().to_owned(),
        dea_form: f.text("dea_form"),
        dea_transaction_id: f.text("dea_transaction_id"),
        dea_filed_on: f.text("dea_filed_on"),
        dea_released_on: f.text("dea_released_on"),
        ..ShipmentEntry::default()
    };
    for i in 0..MAX_PARTIES {
        let p = format!("parties[{i}]");
        if has_row(f, &p, &["name", "country"]) {
            form.parties.push(PartyEntry {
                role: f.text(&format!("{p}.role")),
                kind: f.text(&format!("{p}.kind")),
                name: f.text(&format!("{p}.name")),
                country: f.text(&format!("{p}.country")).to_ascii_uppercase(),
            });
        }
    }
    for i in 0..MAX_LINES {
        let p = format!("lines[{i}]");
        let content = [
            "chemical",
            "quantity",
            "equipment.serial_number",
            "equipment.manufacturer",
            "die_mold.front_imprint",
            "die_mold.back_imprint",
            "die_mold.imitated_product",
        ];
        let kind = f.text(&format!("{p}.kind"));
        if has_row(f, &p, &content) {
            form.lines.push(LineEntry {
                kind,
                chemical: f.text(&format!("{p}.chemical")),
                quantity: f.text(&format!("{p}.quantity")),
                unit: f.text(&format!("{p}.unit")),
                concentration: f.text(&format!("{p}.concentration")),
                equipment_kind: f.text(&format!("{p}.equipment.kind")),
                serial_number: f.text(&format!("{p}.equipment.serial_number")),
                manufacturer: f.text(&format!("{p}.equipment.manufacturer")),
                front_imprint: f.text(&format!("{p}.die_mold.front_imprint")),
                back_imprint: f.text(&format!("{p}.die_mold.back_imprint")),
                shape: f.text(&format!("{p}.die_mold.shape")),
                imitated_product: f.text(&format!("{p}.die_mold.imitated_product")),
                count: f.text(&format!("{p}.count")),
            });
        }
    }
    for i in 0..MAX_PRODUCTS {
        let p = format!("products[{i}]");
        let content = [
            "count",
            "grams",
            "imprint",
            "lab.substance",
            "lab.purity_percent",
        ];
        if has_row(f, &p, &content) {
            form.products.push(ProductEntry {
                form: f.text(&format!("{p}.form")),
                count: f.text(&format!("{p}.count")),
                grams: f.text(&format!("{p}.grams")),
                imprint: f.text(&format!("{p}.imprint")),
                lab_substance: f.text(&format!("{p}.lab.substance")),
                purity_percent: f.text(&format!("{p}.lab.purity_percent")),
            });
        }
    }
    for i in 0..MAX_LEGS {
        let p = format!("legs[{i}]");
        let content = [
            "from.country",
            "from.city",
            "to.country",
            "to.city",
            "departure_at",
            "arrival_at",
            "carrier",
        ];
        if has_row(f, &p, &content) {
            form.legs.push(LegEntry {
                from_country: f.text(&format!("{p}.from.country")).to_ascii_uppercase(),
                from_subdivision: f.text(&format!("{p}.from.subdivision")),
                from_city: f.text(&format!("{p}.from.city")),
                to_country: f.text(&format!("{p}.to.country")).to_ascii_uppercase(),
                to_subdivision: f.text(&format!("{p}.to.subdivision")),
                to_city: f.text(&format!("{p}.to.city")),
                departure_at: f.text(&format!("{p}.departure_at")),
                arrival_at: f.text(&format!("{p}.arrival_at")),
                carrier: f.text(&format!("{p}.carrier")),
            });
        }
    }
    form
}

/// One more empty row of a section ("Add a party" and the like work
/// without JavaScript: the form comes back with the row added).
pub fn add_row(form: &mut ShipmentEntry, section: &str) {
    match section {
        "party" if form.parties.len() < MAX_PARTIES => form.parties.push(PartyEntry {
            role: "consignee".into(),
            ..PartyEntry::default()
        }),
        "line" if form.lines.len() < MAX_LINES => form.lines.push(LineEntry::default()),
        "product" if form.products.len() < MAX_PRODUCTS => {
            // The blank row shown when there is none becomes a typed one.
            if form.products.is_empty() {
                form.products.push(ProductEntry::default());
            }
            form.products.push(ProductEntry::default())
        }
        "leg" if form.legs.len() < MAX_LEGS => {
            // A new leg starts where the last one ended.
            let from = form.legs.last().cloned().unwrap_or_default();
            form.legs.push(LegEntry {
                from_country: from.to_country,
                from_subdivision: from.to_subdivision,
                from_city: from.to_city,
                ..LegEntry::default()
            })
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn blank_rows_are_dropped_and_typed_rows_kept_in_order() {
        let form = read(&fields(&[
            ("parties[0].name", "Acme"),
            ("parties[0].role", "consignor"),
            ("parties[1].name", ""),
            ("parties[2].name", "Beta"),
            ("legs[0].from.country", "cn"),
            ("legs[1].carrier", ""),
        ]));
        assert_eq!(form.parties.len(), 2);
        assert_eq!(form.parties[1].name, "Beta");
        assert_eq!(form.legs.len(), 1);
        assert_eq!(form.legs[0].from_country, "CN");
    }
}
