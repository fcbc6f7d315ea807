use super::*;

fn place(country: &str, city: &str) -> LocationInput {
    LocationInput {
        country: country.into(),
        subdivision: None,
        city: Some(city.into()),
        locode: None,
    }
}

fn leg(from: LocationInput, to: LocationInput, dep: &str, arr: &str) -> LegInput {
    LegInput {
        from,
        to,
        carrier: Some("Express carrier".into()),
        departure_at: Some(dep.into()),
        arrival_at: Some(arr.into()),
        document_number: None,
    }
}

/// 25 kg of 4-AP declared as industrial dye, CN → HK → US (TX).
pub fn four_ap() -> ShipmentInput {
    let mut houston = place("US", "Houston");
    houston.subdivision = Some("US-TX".into());
    ShipmentInput {
        incident_type: "seizure".into(),
        status: "seized".into(),
        mode: "air_express".into(),
        tracking_numbers: vec![TrackingNumberInput {
            kind: "courier_tracking".into(),
            value: "1Z 999 AA1 0123456784".into(),
        }],
        parties: vec![ShipmentPartyInput {
            party_id: Uuid::from_u128(1),
            role: "consignor".into(),
        }],
        declared_description: Some("industrial dye".into()),
        declared_hs_code: Some("3204.17".into()),
        declared_value: Some("1250.00".into()),
        declared_currency: Some("usd".into()),
        gross_weight_kg: Some(26.5),
        concealment_method: Some("drums labelled as pigment".into()),
        narrative: None,
        lines: vec![LineInput {
            chemical_id: Some(Uuid::from_u128(2)),
            quantity: Some(25.0),
            unit: Some("kg".into()),
            concentration: None,
            equipment_id: None,
            die_mold_id: None,
            count: 1,
        }],
        dea: None,
        products: Vec::new(),
        advance_data: None,
        legs: vec![
            leg(
                place("CN", "Shanghai"),
                place("HK", "Hong Kong"),
                "2026-03-01T08:00:00Z",
                "2026-03-01T12:00:00Z",
            ),
            leg(
                place("HK", "Hong Kong"),
                houston,
                "2026-03-02T01:00:00Z",
                "2026-03-03T06:00:00+00:00",
            ),
        ],
    }
}

#[test]
fn a_realistic_shipment_validates_and_derives_its_ends() {
    let shipment = Shipment::validate(&four_ap()).unwrap();
    assert_eq!(shipment.origin().unwrap().country.as_str(), "CN");
    let destination = shipment.destination().unwrap();
    assert_eq!(destination.subdivision.as_deref(), Some("US-TX"));
    assert_eq!(shipment.declared_value.as_ref().unwrap().1.as_str(), "USD");
    assert_eq!(shipment.identifiers()[0].value, "1Z999AA10123456784");
    assert_eq!(Shipment::validate(&shipment.to_input()).unwrap(), shipment);
    assert_eq!(shipment.references().len(), 2);
}

fn fields(input: &ShipmentInput) -> Vec<String> {
    Shipment::validate(input)
        .unwrap_err()
        .errors()
        .iter()
        .map(|e| e.field.clone())
        .collect()
}

#[test]
fn route_rules() {
    let mut empty = four_ap();
    empty.legs.clear();
    assert_eq!(fields(&empty), ["legs"]);

    let mut gap = four_ap();
    gap.legs[1].from = place("KR", "Incheon");
    assert_eq!(fields(&gap), ["legs[1].from"]);

    let mut backwards = four_ap();
    backwards.legs[0].arrival_at = Some("2026-02-28T00:00:00Z".into());
    assert_eq!(fields(&backwards), ["legs[0].arrival_at"]);

    let mut overlap = four_ap();
    overlap.legs[1].departure_at = Some("2026-03-01T11:00:00Z".into());
    assert_eq!(fields(&overlap), ["legs[1].departure_at"]);

    let mut bad_places = four_ap();
    bad_places.legs[1].to.subdivision = Some("US-ZZ".into());
    bad_places.legs[0].from.locode = Some("HKHKG".into());
    bad_places.legs[0].to.country = "XX".into();
    bad_places.legs[0].departure_at = Some("yesterday".into());
    let got = fields(&bad_places);
    assert_eq!(
        got,
        [
            "legs[0].from.locode",
            "legs[0].to.country",
            "legs[0].departure_at",
            "legs[1].to.subdivision"
        ]
    );

    // Five bytes, but not five letters: refused, not sliced mid-letter.
    let mut multibyte = four_ap();
    multibyte.legs[0].from.locode = Some("XÄZL".into());
    assert_eq!(fields(&multibyte), ["legs[0].from.locode"]);
}

#[test]
fn line_rules() {
    let mut bad = four_ap();
    bad.lines[0].quantity = Some(0.0);
    bad.lines[0].unit = Some("lb".into());
    bad.lines.push(LineInput {
        chemical_id: None,
        quantity: None,
        unit: None,
        concentration: None,
        equipment_id: None,
        die_mold_id: None,
        count: 1,
    });
    bad.lines.push(LineInput {
        chemical_id: None,
        quantity: None,
        unit: None,
        concentration: None,
        equipment_id: Some(Uuid::from_u128(3)),
        die_mold_id: None,
        count: 0,
    });
    assert_eq!(
        fields(&bad),
        [
            "lines[0].quantity",
            "lines[0].unit",
            "lines[1]",
            "lines[2].count"
        ]
    );
    let mut negative = four_ap();
    negative.lines[0].quantity = Some(-5.0);
    assert_eq!(fields(&negative), ["lines[0].quantity"]);
}

#[test]
fn declared_fields() {
    let mut bad = four_ap();
    bad.declared_currency = Some("DOLLARS".into());
    bad.declared_value = Some("-1".into());
    bad.declared_hs_code = Some("dye".into());
    bad.gross_weight_kg = Some(0.0);
    bad.incident_type = "accident".into();
    bad.mode = "teleport".into();
    bad.tracking_numbers[0].kind = "parcel".into();
    bad.parties[0].role = "friend".into();
    bad.declared_description = Some("x".repeat(1001));
    assert_eq!(
        fields(&bad),
        [
            "incident_type",
            "mode",
            "tracking_numbers[0].kind",
            "parties[0].role",
            "declared_description",
            "declared_hs_code",
            "declared_value",
            "declared_currency",
            "gross_weight_kg"
        ]
    );
    let mut lonely = four_ap();
    lonely.declared_currency = None;
    assert_eq!(fields(&lonely), ["declared_currency"]);
}

#[test]
fn a_blank_currency_with_a_value_is_refused_not_half_kept() {
    let mut bad = four_ap();
    bad.declared_currency = Some("  ".into());
    assert_eq!(fields(&bad), ["declared_currency"]);
    let mut bad = four_ap();
    bad.declared_value = Some("".into());
    assert_eq!(fields(&bad), ["declared_value"]);
}

#[test]
fn concentration_and_dea_details_are_checked_and_kept() {
    let mut input = four_ap();
    input.lines[0].concentration = Some("35 % W/W".into());
    input.dea = Some(DeaInput {
        filings: vec![DeaFilingInput {
            form: "486".into(),
            transaction_id: Some(" DEA-1 ".into()),
            filed_on: "2026-03-01".into(),
        }],
        released_on: Some("2026-03-16".into()),
    });
    let shipment = Shipment::validate(&input).unwrap();
    let stored = shipment.to_input();
    assert_eq!(stored.lines[0].concentration.as_deref(), Some("35% w/w"));
    let dea = stored.dea.unwrap();
    assert_eq!(dea.filings[0].transaction_id.as_deref(), Some("DEA-1"));
    assert_eq!(dea.released_on.as_deref(), Some("2026-03-16"));

    let mut bad = four_ap();
    bad.lines[0].concentration = Some("35 percent".into());
    bad.dea = Some(DeaInput {
        filings: vec![DeaFilingInput {
            form: "999".into(),
            transaction_id: None,
            filed_on: "1 March".into(),
        }],
        released_on: Some("2026-02-30".into()),
    });
    assert_eq!(
        fields(&bad),
        [
            "lines[0].concentration",
            "dea.filings[0].form",
            "dea.filings[0].filed_on",
            "dea.released_on"
        ]
    );
}
