//! Rules moved out of `shipment.rs` into their own modules, checked against
//! the copies `shipment.rs` still has until the wiring makes it call the
//! moved ones (then this file goes): `locode::Locode::parse` for a leg's
//! `locode`, `advance_data::value` for `declared_value` and
//! `declared_currency`.

use crate::advance_data::DeclaredValue;
use crate::locode::Locode;
use crate::shipment::{LegInput, LocationInput, Shipment, ShipmentInput};
use crate::validation::ValidationErrors;

/// The smallest valid shipment: CN to MX, one leg, nothing else.
fn cn_to_mx() -> ShipmentInput {
    let place = |country: &str| LocationInput {
        country: country.into(),
        subdivision: None,
        city: None,
        locode: None,
    };
    ShipmentInput {
        incident_type: "seizure".into(),
        status: "reported".into(),
        mode: "air_cargo".into(),
        tracking_numbers: Vec::new(),
        parties: Vec::new(),
        declared_description: None,
        declared_hs_code: None,
        declared_value: None,
        declared_currency: None,
        gross_weight_kg: None,
        concealment_method: None,
        narrative: None,
        lines: Vec::new(),
        dea: None,
        products: Vec::new(),
        advance_data: None,
        legs: vec![LegInput {
            from: place("CN"),
            to: place("MX"),
            carrier: None,
            departure_at: None,
            arrival_at: None,
            document_number: None,
        }],
    }
}

#[test]
fn locodes_are_read_as_shipments_read_them() {
    assert!(Shipment::validate(&cn_to_mx()).is_ok());
    // Not `XÄZL`: `shipment.rs` panics on it (see `locode::tests`).
    for code in [
        "CNWUH",
        "cnwuh",
        "CN WUH",
        "C N W U H",
        " CNSHA ",
        "CNSH2",
        "CNSH0",
        "CNSH1",
        "CN-WUH",
        "CNWU",
        "CNWUHA",
        "CNW.H",
        "CN\tWUH",
    ] {
        let mut shipment = cn_to_mx();
        shipment.legs[0].from.locode = Some(code.into());
        let theirs = Shipment::validate(&shipment).is_ok();
        assert_eq!(Locode::parse(code).is_ok(), theirs, "`{code}`");
    }
}

/// They agree on every pair given in full. On a blank half they differ:
/// `shipment.rs` silently drops `12` with a blank currency, and a currency
/// with a blank value; `DeclaredValue::check` refuses both (its tests).
#[test]
fn declared_values_are_read_as_shipments_read_them() {
    for (amount, currency) in [
        ("1250.00", "usd"),
        ("0", "JPY"),
        ("1.2345", "EUR"),
        ("1.23456", "EUR"),
        ("-1", "USD"),
        ("1,250", "USD"),
        ("12", "DOLLARS"),
        ("999999999999999", "MXN"),
        ("1000000000000000", "MXN"),
    ] {
        let mut errors = ValidationErrors::new();
        let ours = DeclaredValue::check(
            &mut errors,
            ("declared_value", Some(amount)),
            ("declared_currency", Some(currency)),
        )
        .is_some();
        let mut shipment = cn_to_mx();
        shipment.declared_value = Some(amount.into());
        shipment.declared_currency = Some(currency.into());
        let theirs = Shipment::validate(&shipment).is_ok();
        assert_eq!(ours && errors.is_empty(), theirs, "{amount} {currency}");
    }
}
