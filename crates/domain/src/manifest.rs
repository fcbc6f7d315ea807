//! Courier and freight manifest lines, as bulk imports bring them: one
//! shipment per line, between a consignor and a consignee named in it.
//! Each field is checked here, with the column's name in every error, so
//! a rejection report points at the cell to fix.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::advance_data::{AdvanceData, AdvanceDataInput};
use crate::chemical::{parse_hs_code, CasNumber};
use crate::choice;
use crate::codes::CountryCode;
use crate::identifier::{Identifier, IdentifierKind};
use crate::party::{normalise_name, AddressInput, PartyInput};
use crate::shipment::{
    check_chemical_line, check_dea, check_product, parse_time, DeaFilingInput, DeaInput, LabInput,
    LegInput, LineInput, LocationInput, Mode, ProductInput, ShipmentInput, ShipmentPartyInput,
    TrackingNumberInput,
};
use crate::validation::{bounded_text, ValidationErrors};

choice!(
    /// Where an import stands: its file being read and stored, its accepted
    /// lines becoming shipments, done, or stopped while reading.
    ImportPhase {
        Accepting => "accepting",
        Settling => "settling",
        Completed => "completed",
        Failed => "failed",
    }
);

/// The columns of a manifest file, in the order of the template.
pub const COLUMNS: &[&str] = &[
    "tracking_number",
    "carrier",
    "mode",
    "consignor_name",
    "consignor_address",
    "consignor_country",
    "consignee_name",
    "consignee_address",
    "consignee_country",
    "description",
    "hs_code",
    "weight_kg",
    "value",
    "currency",
    "origin",
    "destination",
    "shipped_at",
    "arrived_at",
    "pieces",
    "master_awb",
    "house_awb",
    "consignor_phone",
    "consignor_email",
    "consignee_phone",
    "consignee_email",
    "shipper_account",
    "booking_ip",
    "payment_crypto_address",
    "chemical_cas",
    "chemical_quantity",
    "chemical_unit",
    "chemical_concentration",
    "product_form",
    "product_count",
    "product_grams",
    "product_imprint",
    "lab_substance",
    "lab_purity_percent",
    "dea_form",
    "dea_transaction_id",
    "dea_filed_on",
    "dea_released_on",
];

/// Columns a file must have; the others may be left out.
pub const REQUIRED: &[&str] = &[
    "tracking_number",
    "consignor_name",
    "consignor_country",
    "consignee_name",
    "consignee_country",
    "origin",
    "destination",
];

/// One line as read, every cell as text. Empty cells are absent values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManifestRow {
    pub tracking_number: String,
    pub carrier: String,
    pub mode: String,
    pub consignor_name: String,
    pub consignor_address: String,
    pub consignor_country: String,
    pub consignee_name: String,
    pub consignee_address: String,
    pub consignee_country: String,
    pub description: String,
    pub hs_code: String,
    pub weight_kg: String,
    pub value: String,
    pub currency: String,
    pub origin: String,
    pub destination: String,
    pub shipped_at: String,
    pub arrived_at: String,
    // The carriers' advance data (`advance_data`), each optional.
    pub pieces: String,
    pub master_awb: String,
    pub house_awb: String,
    pub consignor_phone: String,
    pub consignor_email: String,
    pub consignee_phone: String,
    pub consignee_email: String,
    pub shipper_account: String,
    pub booking_ip: String,
    pub payment_crypto_address: String,
    // One chemical line (`chemical`), one product line (`product`) and
    // one DEA filing (`dea`), each optional. Left out of the stored line
    // when blank, which keeps staging small.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chemical_cas: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chemical_quantity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chemical_unit: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chemical_concentration: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub product_form: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub product_count: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub product_grams: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub product_imprint: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lab_substance: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lab_purity_percent: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dea_form: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dea_transaction_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dea_filed_on: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dea_released_on: String,
}

impl ManifestRow {
    /// The line as acceptance stores it: a JSON array of the cells in the
    /// order of this struct's fields (which is [`COLUMNS`]' order), the
    /// blank ones at the end left out. Read back with `serde_json` as any
    /// `ManifestRow` (a serde struct reads from an array as from an
    /// object); about half the bytes of the object form, which names
    /// every field on every line.
    pub fn to_cells(&self) -> String {
        let cells: [&String; 42] = [
            &self.tracking_number,
            &self.carrier,
            &self.mode,
            &self.consignor_name,
            &self.consignor_address,
            &self.consignor_country,
            &self.consignee_name,
            &self.consignee_address,
            &self.consignee_country,
            &self.description,
            &self.hs_code,
            &self.weight_kg,
            &self.value,
            &self.currency,
            &self.origin,
            &self.destination,
            &self.shipped_at,
            &self.arrived_at,
            &self.pieces,
            &self.master_awb,
            &self.house_awb,
            &self.consignor_phone,
            &self.consignor_email,
            &self.consignee_phone,
            &self.consignee_email,
            &self.shipper_account,
            &self.booking_ip,
            &self.payment_crypto_address,
            &self.chemical_cas,
            &self.chemical_quantity,
            &self.chemical_unit,
            &self.chemical_concentration,
            &self.product_form,
            &self.product_count,
            &self.product_grams,
            &self.product_imprint,
            &self.lab_substance,
            &self.lab_purity_percent,
            &self.dea_form,
            &self.dea_transaction_id,
            &self.dea_filed_on,
            &self.dea_released_on,
        ];
        let used = cells
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        // Strings only: serialising them cannot fail.
        serde_json::to_string(&cells[..used]).unwrap_or_default()
    }
}

/// A line that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestLine {
    /// What makes it the same line again: normalised tracking number and
    /// consignor (name and country).
    pub key: String,
    pub consignor: PartyInput,
    pub consignee: PartyInput,
    /// `party::normalise_name` of each, with their countries, for finding
    /// parties already on record.
    pub consignor_key: (String, String),
    pub consignee_key: (String, String),
    /// The CAS number of the line's chemical, canonical (`40064-34-4`),
    /// for finding it in the catalogue.
    pub chemical_cas: Option<String>,
    template: ShipmentInput,
}

impl ManifestLine {
    /// The shipment, once its parties have ids and its chemical, if it
    /// names one, has been found in the catalogue (`chemical`; without
    /// it the chemical line is left out).
    pub fn shipment(
        &self,
        consignor: Uuid,
        consignee: Uuid,
        chemical: Option<Uuid>,
    ) -> ShipmentInput {
        let mut shipment = self.template.clone();
        match chemical {
            Some(id) => shipment
                .lines
                .iter_mut()
                .for_each(|l| l.chemical_id = Some(id)),
            None => shipment.lines.clear(),
        }
        shipment.parties = vec![
            ShipmentPartyInput {
                party_id: consignor,
                role: "consignor".into(),
            },
            ShipmentPartyInput {
                party_id: consignee,
                role: "consignee".into(),
            },
        ];
        shipment
    }
}

fn present(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// A place as manifests write it: a country (`CN`), a state or province
/// (`US-TX`), or a UN/LOCODE (`CNSZX`).
fn place(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<LocationInput> {
    let code = value.trim().to_ascii_uppercase();
    let location = match code.len() {
        0 => {
            errors.add(field, "is required");
            return None;
        }
        2 => LocationInput {
            country: code,
            subdivision: None,
            city: None,
            locode: None,
        },
        5 if !code.contains('-') => match crate::locode::Locode::parse(&code) {
            Ok(locode) => LocationInput {
                country: locode.country().to_owned(),
                subdivision: None,
                city: None,
                locode: Some(locode.to_string()),
            },
            Err(message) => {
                errors.add(field, message);
                return None;
            }
        },
        _ if code.get(2..3) == Some("-") => LocationInput {
            country: code[..2].to_owned(),
            subdivision: Some(code),
            city: None,
            locode: None,
        },
        _ => {
            errors.add(
                field,
                format!(
                    "`{value}` is not a country (CN), a subdivision (US-TX) or a UN/LOCODE (CNSZX)"
                ),
            );
            return None;
        }
    };
    if let Err(e) = CountryCode::parse(&location.country) {
        errors.add(field, e);
        return None;
    }
    Some(location)
}

/// A date (`2026-03-01`) or an RFC 3339 time, as RFC 3339.
fn time(errors: &mut ValidationErrors, field: &str, value: &str) -> Option<String> {
    let value = present(value)?;
    let full = if value.len() == 10 {
        format!("{value}T00:00:00Z")
    } else {
        value.clone()
    };
    match parse_time(&full) {
        Ok(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        Err(_) => {
            errors.add(
                field,
                format!("`{value}` is not a date such as 2026-03-01 or a time such as 2026-03-01T08:00:00Z"),
            );
            None
        }
    }
}

fn party(
    errors: &mut ValidationErrors,
    role: &str,
    name: &str,
    address: &str,
    country: &str,
) -> Option<(PartyInput, (String, String))> {
    let name_field = format!("{role}_name");
    let name = match present(name).map(|n| bounded_text(&n, 300)) {
        Some(Ok(name)) if !normalise_name(&name).is_empty() => name,
        Some(Ok(_)) => {
            errors.add(&name_field, "must contain letters or digits");
            return None;
        }
        Some(Err(e)) => {
            errors.add(&name_field, e);
            return None;
        }
        None => {
            errors.add(&name_field, "is required");
            return None;
        }
    };
    let country_field = format!("{role}_country");
    let country = match CountryCode::parse(country) {
        Ok(c) => c.to_string(),
        Err(e) => {
            errors.add(&country_field, e);
            return None;
        }
    };
    let street = match present(address).map(|a| bounded_text(&a, 300)).transpose() {
        Ok(street) => street,
        Err(e) => {
            errors.add(format!("{role}_address"), e);
            return None;
        }
    };
    let key = (normalise_name(&name), country.clone());
    Some((
        PartyInput {
            kind: "company".into(),
            name,
            aliases: Vec::new(),
            address: Some(AddressInput {
                street,
                city: None,
                region: None,
                postal_code: None,
                country,
            }),
            phones: Vec::new(),
            emails: Vec::new(),
            registration_numbers: Vec::new(),
        },
        key,
    ))
}

/// A number in a cell, if there is one.
fn number(errors: &mut ValidationErrors, field: &str, value: &str, example: &str) -> Option<f64> {
    let value = present(value)?;
    match value.parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            errors.add(
                field,
                format!("`{value}` is not a number such as {example}"),
            );
            None
        }
    }
}

/// The problems `shipment` found in a part of the line, each named by its
/// column (`columns` maps the part's field to it; others go to `fallback`).
fn by_column(
    errors: &mut ValidationErrors,
    found: ValidationErrors,
    columns: &[(&str, &str)],
    fallback: &str,
) {
    for e in found.errors() {
        let column = columns
            .iter()
            .find(|(field, _)| *field == e.field)
            .map_or(fallback, |(_, column)| column);
        errors.add(column, e.message.clone());
    }
}

/// Says `column` is needed when any of `others` is filled in; true if so.
fn needed(errors: &mut ValidationErrors, column: &str, others: &[(&str, &Option<String>)]) -> bool {
    match others.iter().find(|(_, value)| value.is_some()) {
        Some((other, _)) => {
            errors.add(column, format!("is required with {other}"));
            true
        }
        None => false,
    }
}

impl ManifestRow {
    /// The chemical line: its canonical CAS number and the line, checked
    /// as the API checks one (its catalogue id is found at settlement).
    fn chemical_line(&self, errors: &mut ValidationErrors) -> Option<(String, LineInput)> {
        let quantity = present(&self.chemical_quantity);
        let unit = present(&self.chemical_unit);
        let concentration = present(&self.chemical_concentration);
        let Some(cas) = present(&self.chemical_cas) else {
            needed(
                errors,
                "chemical_cas",
                &[
                    ("chemical_quantity", &quantity),
                    ("chemical_unit", &unit),
                    ("chemical_concentration", &concentration),
                ],
            );
            return None;
        };
        let cas = errors.check("chemical_cas", CasNumber::parse(&cas));
        if quantity.is_none() {
            errors.add("chemical_quantity", "is required with chemical_cas");
        }
        if unit.is_none() {
            errors.add(
                "chemical_unit",
                "is required with chemical_cas (g, kg, mL or L)",
            );
        }
        let amount = number(errors, "chemical_quantity", &self.chemical_quantity, "2.5");
        let line = LineInput {
            chemical_id: Some(Uuid::nil()),
            quantity: amount,
            unit: Some(unit?),
            concentration,
            equipment_id: None,
            die_mold_id: None,
            count: 1,
        };
        let mut found = check_chemical_line(&line);
        if amount.is_none() {
            // Its quantity is missing or unreadable, as said above.
            found = found.without("quantity");
        }
        by_column(
            errors,
            found,
            &[
                ("quantity", "chemical_quantity"),
                ("unit", "chemical_unit"),
                ("concentration", "chemical_concentration"),
            ],
            "chemical_cas",
        );
        amount?;
        Some((cas?.as_str().to_owned(), line))
    }

    /// The product line, checked as the API checks one.
    fn product(&self, errors: &mut ValidationErrors) -> Option<ProductInput> {
        let form = present(&self.product_form);
        let count = present(&self.product_count);
        let grams = present(&self.product_grams);
        let imprint = present(&self.product_imprint);
        let substance = present(&self.lab_substance);
        let purity = present(&self.lab_purity_percent);
        let others = [
            ("product_count", &count),
            ("product_grams", &grams),
            ("product_imprint", &imprint),
            ("lab_substance", &substance),
            ("lab_purity_percent", &purity),
        ];
        let count = match count.as_deref().map(str::parse::<u64>) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                errors.add(
                    "product_count",
                    format!(
                        "`{}` is not a count such as 1000",
                        self.product_count.trim()
                    ),
                );
                None
            }
        };
        let grams = number(errors, "product_grams", &self.product_grams, "250 or 12.5");
        let purity_percent = number(
            errors,
            "lab_purity_percent",
            &self.lab_purity_percent,
            "1.8",
        );
        if substance.is_none() {
            needed(errors, "lab_substance", &[("lab_purity_percent", &purity)]);
        }
        let Some(form) = form else {
            needed(errors, "product_form", &others);
            return None;
        };
        let product = ProductInput {
            form,
            count,
            grams,
            imprint,
            lab: substance.map(|substance| LabInput {
                substance,
                purity_percent,
            }),
        };
        by_column(
            errors,
            check_product(&product),
            &[
                ("form", "product_form"),
                ("count", "product_count"),
                ("grams", "product_grams"),
                ("imprint", "product_imprint"),
                ("lab.substance", "lab_substance"),
                ("lab.purity_percent", "lab_purity_percent"),
            ],
            "product_form",
        );
        Some(product)
    }

    /// The DEA details: one filing (form, transaction id, day filed) and
    /// the day of release or transaction, checked as the API checks them.
    fn dea(&self, errors: &mut ValidationErrors) -> Option<DeaInput> {
        let form = present(&self.dea_form);
        let transaction_id = present(&self.dea_transaction_id);
        let filed_on = present(&self.dea_filed_on);
        let released_on = present(&self.dea_released_on);
        let filing = [&form, &transaction_id, &filed_on]
            .iter()
            .any(|v| v.is_some());
        if !filing && released_on.is_none() {
            return None;
        }
        let mut filings = Vec::new();
        if filing {
            let no_form = form.is_none()
                && needed(
                    errors,
                    "dea_form",
                    &[
                        ("dea_transaction_id", &transaction_id),
                        ("dea_filed_on", &filed_on),
                    ],
                );
            let no_day = filed_on.is_none()
                && needed(
                    errors,
                    "dea_filed_on",
                    &[("dea_form", &form), ("dea_transaction_id", &transaction_id)],
                );
            if no_form || no_day {
                return None;
            }
            filings.push(DeaFilingInput {
                form: form?,
                transaction_id,
                filed_on: filed_on?,
            });
        }
        let dea = DeaInput {
            filings,
            released_on,
        };
        by_column(
            errors,
            check_dea(&dea),
            &[
                ("filings[0].form", "dea_form"),
                ("filings[0].transaction_id", "dea_transaction_id"),
                ("filings[0].filed_on", "dea_filed_on"),
                ("released_on", "dea_released_on"),
            ],
            "dea_form",
        );
        Some(dea)
    }

    /// Checks every cell; all problems of the line are reported together.
    /// The shipment itself is checked again as any other when it is
    /// written.
    pub fn validate(&self) -> Result<ManifestLine, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let tracking = match present(&self.tracking_number) {
            None => {
                errors.add("tracking_number", "is required");
                None
            }
            Some(value) => match Identifier::new(IdentifierKind::TrackingNumber, &value) {
                Some(identifier) => Some((value, identifier.value)),
                None => {
                    errors.add("tracking_number", "must contain letters or digits");
                    None
                }
            },
        };
        let mode = match present(&self.mode) {
            None => Some(Mode::AirExpress),
            Some(m) => errors.check("mode", m.parse::<Mode>()),
        };
        let consignor = party(
            &mut errors,
            "consignor",
            &self.consignor_name,
            &self.consignor_address,
            &self.consignor_country,
        );
        let consignee = party(
            &mut errors,
            "consignee",
            &self.consignee_name,
            &self.consignee_address,
            &self.consignee_country,
        );
        let description = present(&self.description)
            .map(|d| bounded_text(&d, 500))
            .transpose()
            .unwrap_or_else(|e| {
                errors.add("description", e);
                None
            });
        let hs_code = present(&self.hs_code)
            .map(|h| parse_hs_code(&h))
            .transpose()
            .unwrap_or_else(|e| {
                errors.add("hs_code", e);
                None
            });
        let weight = match present(&self.weight_kg) {
            None => None,
            Some(w) => match w.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 && w <= 1e7 => Some(w),
                _ => {
                    errors.add("weight_kg", format!("`{w}` is not a weight in kg above 0"));
                    None
                }
            },
        };
        let value = present(&self.value);
        let currency = present(&self.currency).map(|c| c.to_ascii_uppercase());
        match (&value, &currency) {
            (Some(_), None) => errors.add("currency", "is required with value"),
            (None, Some(_)) => errors.add("value", "is required with currency"),
            _ => {}
        }
        let origin = place(&mut errors, "origin", &self.origin);
        let destination = place(&mut errors, "destination", &self.destination);
        let shipped_at = time(&mut errors, "shipped_at", &self.shipped_at);
        let arrived_at = time(&mut errors, "arrived_at", &self.arrived_at);
        if let (Some(shipped), Some(arrived)) = (&shipped_at, &arrived_at) {
            if arrived < shipped {
                errors.add("arrived_at", "is before shipped_at");
            }
        }
        let carrier = present(&self.carrier);
        let advance = AdvanceDataInput {
            pieces: present(&self.pieces),
            master_awb: present(&self.master_awb),
            house_awb: present(&self.house_awb),
            consignor_phone: present(&self.consignor_phone),
            consignor_email: present(&self.consignor_email),
            consignee_phone: present(&self.consignee_phone),
            consignee_email: present(&self.consignee_email),
            shipper_account: present(&self.shipper_account),
            booking_ip: present(&self.booking_ip),
            payment_crypto_address: present(&self.payment_crypto_address),
        };
        // Phones are read in their party's country; stored in E.164.
        let advance_data = (advance != AdvanceDataInput::default())
            .then(|| {
                AdvanceData::check(
                    &mut errors,
                    &advance,
                    CountryCode::parse(&self.consignor_country).ok(),
                    CountryCode::parse(&self.consignee_country).ok(),
                )
                .to_input()
            })
            .map(Box::new);
        let chemical = self.chemical_line(&mut errors);
        let product = self.product(&mut errors);
        let dea = self.dea(&mut errors);
        let (
            Some((tracking, tracking_key)),
            Some(mode),
            Some((consignor, consignor_key)),
            Some((consignee, consignee_key)),
            Some(origin),
            Some(destination),
        ) = (tracking, mode, consignor, consignee, origin, destination)
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let template = ShipmentInput {
            incident_type: "suspicious_shipment".into(),
            status: if arrived_at.is_some() {
                "delivered".into()
            } else {
                "in_transit".into()
            },
            mode: mode.as_str().into(),
            tracking_numbers: vec![TrackingNumberInput {
                kind: "courier_tracking".into(),
                value: tracking,
            }],
            parties: Vec::new(),
            declared_description: description,
            declared_hs_code: hs_code,
            declared_value: value,
            declared_currency: currency,
            gross_weight_kg: weight,
            concealment_method: None,
            narrative: None,
            lines: chemical.iter().map(|(_, line)| line.clone()).collect(),
            dea,
            products: product.into_iter().collect(),
            advance_data,
            legs: vec![LegInput {
                from: origin,
                to: destination,
                carrier,
                departure_at: shipped_at,
                arrival_at: arrived_at,
                document_number: None,
            }],
        };
        Ok(ManifestLine {
            key: format!("{tracking_key}|{}|{}", consignor_key.0, consignor_key.1),
            consignor,
            consignee,
            consignor_key,
            consignee_key,
            chemical_cas: chemical.map(|(cas, _)| cas),
            template,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Document;

    pub fn row() -> ManifestRow {
        ManifestRow {
            tracking_number: "1Z 999 AA1 0123456784".into(),
            carrier: "UPS".into(),
            consignor_name: "Hebei Shengxue Trading Co., Ltd.".into(),
            consignor_address: "12 Industrial Road, Shijiazhuang".into(),
            consignor_country: "CN".into(),
            consignee_name: "Desert Sun Supply LLC".into(),
            consignee_country: "US".into(),
            description: "pigment".into(),
            hs_code: "3204.17".into(),
            weight_kg: "12.5".into(),
            value: "420.00".into(),
            currency: "usd".into(),
            origin: "CNSZX".into(),
            destination: "US-TX".into(),
            shipped_at: "2026-03-01".into(),
            arrived_at: "2026-03-04T10:00:00Z".into(),
            ..ManifestRow::default()
        }
    }

    #[test]
    fn a_good_line_becomes_a_valid_shipment() {
        let line = row().validate().unwrap();
        assert_eq!(line.key, "1Z999AA10123456784|hebei shengxue|CN");
        let shipment = line.shipment(Uuid::from_u128(1), Uuid::from_u128(2), None);
        let (canonical, index) = shipment.check().unwrap();
        assert_eq!(canonical.legs[0].from.locode.as_deref(), Some("CNSZX"));
        assert_eq!(canonical.legs[0].to.subdivision.as_deref(), Some("US-TX"));
        assert_eq!(
            canonical.legs[0].departure_at.as_deref(),
            Some("2026-03-01T00:00:00Z")
        );
        assert_eq!(canonical.declared_currency.as_deref(), Some("USD"));
        assert!(!index.identifiers.is_empty());
        line.consignor.check().unwrap();
        line.consignee.check().unwrap();
    }

    #[test]
    fn the_key_ignores_how_the_consignor_is_written() {
        let mut other = row();
        other.tracking_number = "1z999aa1-0123456784".into();
        other.consignor_name = "HEBEI SHENGXUE TRADING CO LTD".into();
        assert_eq!(row().validate().unwrap().key, other.validate().unwrap().key);
    }

    #[test]
    fn every_bad_cell_is_named() {
        let bad = ManifestRow {
            tracking_number: "".into(),
            consignor_name: "Acme".into(),
            consignor_country: "XX".into(),
            consignee_name: "  ".into(),
            consignee_country: "US".into(),
            hs_code: "29".into(),
            weight_kg: "-3".into(),
            value: "10".into(),
            origin: "Shenzhen China".into(),
            destination: "US-TX".into(),
            shipped_at: "yesterday".into(),
            ..ManifestRow::default()
        };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        for field in [
            "tracking_number",
            "consignor_country",
            "consignee_name",
            "hs_code",
            "weight_kg",
            "currency",
            "origin",
            "shipped_at",
        ] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
    }

    #[test]
    fn a_five_byte_place_with_a_non_ascii_letter_is_refused_not_a_panic() {
        let mut bad = row();
        bad.origin = "XÄZL".into();
        let errors = bad.validate().unwrap_err();
        assert!(
            errors.errors().iter().any(|e| e.field == "origin"),
            "{errors}"
        );
    }

    #[test]
    fn arrival_before_departure_is_refused() {
        let mut bad = row();
        bad.arrived_at = "2026-02-01".into();
        let errors = bad.validate().unwrap_err();
        assert!(errors.errors().iter().any(|e| e.field == "arrived_at"));
    }

    #[test]
    fn advance_data_is_read_into_the_shipment_and_its_identifiers() {
        let mut line = row();
        line.pieces = "3".into();
        line.master_awb = "176 1234 5675".into();
        line.consignor_phone = "021 5555 0100".into();
        line.consignee_email = " Compras@Desert-Sun.example ".into();
        line.shipper_account = "acct-00912-x".into();
        line.booking_ip = "203.0.113.9".into();
        line.payment_crypto_address = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t".into();
        let checked = line.validate().unwrap();
        let shipment = checked.shipment(Uuid::from_u128(1), Uuid::from_u128(2), None);
        let advance = *shipment.advance_data.clone().unwrap();
        // The consignor's phone read in the consignor's country.
        assert_eq!(advance.consignor_phone.as_deref(), Some("+862155550100"));
        assert_eq!(advance.master_awb.as_deref(), Some("176-12345675"));
        let (canonical, index) = shipment.check().unwrap();
        assert_eq!(canonical.advance_data, Some(Box::new(advance)));
        let ids: Vec<(&str, &str)> = index
            .identifiers
            .iter()
            .map(|i| (i.kind.as_str(), i.value.as_str()))
            .collect();
        for expected in [
            ("phone", "862155550100"),
            ("email", "compras@desert-sun.example"),
            ("shipper_account", "ACCT00912X"),
            ("crypto_address", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            ("tracking_number", "17612345675"),
        ] {
            assert!(ids.contains(&expected), "{expected:?} in {ids:?}");
        }
    }

    #[test]
    fn each_bad_advance_value_is_named_by_its_column() {
        let mut bad = row();
        bad.pieces = "0".into();
        bad.master_awb = "176-12345670".into();
        bad.consignor_phone = "12".into();
        bad.consignee_email = "not an address".into();
        bad.shipper_account = "a!".into();
        bad.booking_ip = "300.1.1.1".into();
        bad.payment_crypto_address = "hello".into();
        let errors = bad.validate().unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        for field in [
            "pieces",
            "master_awb",
            "consignor_phone",
            "consignee_email",
            "shipper_account",
            "booking_ip",
            "payment_crypto_address",
        ] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
    }

    fn with_goods() -> ManifestRow {
        ManifestRow {
            chemical_cas: "23056-29-3".into(),
            chemical_quantity: "2.5".into(),
            chemical_unit: "kg".into(),
            chemical_concentration: "98% w/w".into(),
            product_form: "tablet".into(),
            product_count: "1000".into(),
            product_imprint: "M 30".into(),
            lab_substance: "fentanyl".into(),
            lab_purity_percent: "1.8".into(),
            dea_form: "486".into(),
            dea_transaction_id: "DEA-486-0001".into(),
            dea_filed_on: "2026-03-05".into(),
            dea_released_on: "2026-03-16".into(),
            ..row()
        }
    }

    #[test]
    fn chemical_product_and_dea_columns_become_the_shipments_lines_and_filing() {
        let line = with_goods().validate().unwrap();
        assert_eq!(line.chemical_cas.as_deref(), Some("23056-29-3"));
        let chemical = Uuid::from_u128(9);
        let shipment = line.shipment(Uuid::from_u128(1), Uuid::from_u128(2), Some(chemical));
        let (canonical, _) = shipment.check().unwrap();
        let chemical_line = &canonical.lines[0];
        assert_eq!(chemical_line.chemical_id, Some(chemical));
        assert_eq!(chemical_line.quantity, Some(2.5));
        assert_eq!(chemical_line.unit.as_deref(), Some("kg"));
        assert_eq!(chemical_line.concentration.as_deref(), Some("98% w/w"));
        let product = &canonical.products[0];
        assert_eq!(
            (product.form.as_str(), product.count),
            ("tablet", Some(1000))
        );
        assert_eq!(product.imprint.as_deref(), Some("M 30"));
        let lab = product.lab.as_ref().unwrap();
        assert_eq!(
            (lab.substance.as_str(), lab.purity_percent),
            ("fentanyl", Some(1.8))
        );
        let dea = canonical.dea.as_ref().unwrap();
        assert_eq!(dea.released_on.as_deref(), Some("2026-03-16"));
        assert_eq!(dea.filings[0].form, "486");
        assert_eq!(dea.filings[0].filed_on, "2026-03-05");
        assert_eq!(
            dea.filings[0].transaction_id.as_deref(),
            Some("DEA-486-0001")
        );
        // A chemical not found in the catalogue leaves no line behind.
        let without = line.shipment(Uuid::from_u128(1), Uuid::from_u128(2), None);
        assert!(without.lines.is_empty());
        // A release date alone: nothing filed, which the obligations call
        // missing.
        let released = ManifestRow {
            dea_released_on: "2026-03-16".into(),
            ..row()
        };
        let dea = released.validate().unwrap().template.dea.unwrap();
        assert!(dea.filings.is_empty());
    }

    #[test]
    fn each_bad_goods_value_is_named_by_its_column() {
        let fields = |row: ManifestRow| -> Vec<String> {
            let errors = row.validate().unwrap_err();
            errors.errors().iter().map(|e| e.field.clone()).collect()
        };
        let bad = ManifestRow {
            chemical_cas: "23056-29-4".into(),
            chemical_quantity: "lots".into(),
            chemical_unit: "lb".into(),
            chemical_concentration: "98 percent".into(),
            product_form: "pill".into(),
            product_count: "-3".into(),
            product_grams: "heavy".into(),
            lab_substance: "aspirin".into(),
            lab_purity_percent: "140".into(),
            dea_form: "999".into(),
            dea_transaction_id: "x".repeat(61),
            dea_filed_on: "05/03/2026".into(),
            dea_released_on: "tomorrow".into(),
            ..row()
        };
        let found = fields(bad);
        for column in [
            "chemical_cas",
            "chemical_quantity",
            "chemical_unit",
            "product_form",
            "product_count",
            "product_grams",
            "lab_substance",
            "dea_form",
            "dea_transaction_id",
            "dea_filed_on",
            "dea_released_on",
        ] {
            assert!(found.iter().any(|f| f == column), "{column} in {found:?}");
        }
        // With the rest good, each remaining check names its column.
        let mut one = with_goods();
        one.chemical_concentration = "98 percent".into();
        assert_eq!(fields(one), ["chemical_concentration"]);
        let mut one = with_goods();
        one.chemical_quantity = "0".into();
        assert_eq!(fields(one), ["chemical_quantity"]);
        let mut one = with_goods();
        one.lab_purity_percent = "140".into();
        assert_eq!(fields(one), ["lab_purity_percent"]);
        let mut one = with_goods();
        one.product_count = "".into();
        assert_eq!(fields(one), ["product_count"]);
    }

    #[test]
    fn a_goods_column_needs_the_one_that_says_what_it_is() {
        let fields = |row: ManifestRow| -> Vec<String> {
            let errors = row.validate().unwrap_err();
            errors.errors().iter().map(|e| e.field.clone()).collect()
        };
        let one = |f: fn(&mut ManifestRow)| {
            let mut r = row();
            f(&mut r);
            fields(r)
        };
        assert_eq!(one(|r| r.chemical_quantity = "2".into()), ["chemical_cas"]);
        assert_eq!(
            one(|r| r.chemical_cas = "23056-29-3".into()),
            ["chemical_quantity", "chemical_unit"]
        );
        assert_eq!(one(|r| r.product_imprint = "M 30".into()), ["product_form"]);
        assert_eq!(
            one(|r| {
                r.product_form = "tablet".into();
                r.product_count = "10".into();
                r.lab_purity_percent = "2".into();
            }),
            ["lab_substance"]
        );
        assert_eq!(one(|r| r.dea_filed_on = "2026-03-01".into()), ["dea_form"]);
        assert_eq!(one(|r| r.dea_form = "486".into()), ["dea_filed_on"]);
    }

    #[test]
    fn stored_cells_read_back_as_the_row_in_column_order() {
        // Each cell named after its column: the array is in COLUMNS' order.
        let named: serde_json::Map<String, serde_json::Value> = COLUMNS
            .iter()
            .map(|c| (c.to_string(), serde_json::Value::from(*c)))
            .collect();
        let named: ManifestRow = serde_json::from_value(named.into()).unwrap();
        let cells: Vec<String> = serde_json::from_str(&named.to_cells()).unwrap();
        assert_eq!(cells, COLUMNS);
        // Blank cells inside are kept, blank ones at the end left out;
        // quotes, commas, backslashes, line breaks and any script survive.
        let mut awkward = row();
        awkward.consignor_name = "Shenzhen \"Best\", Ltd.\\ \r\n\t 深圳 Ünïcødé 🚚".into();
        awkward.carrier = String::new();
        let stored = awkward.to_cells();
        assert!(stored.starts_with('[') && !stored.contains("consignor_name"));
        assert!(!stored.ends_with(",\"\"]"), "{stored}");
        let back: ManifestRow = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, awkward);
        let back: ManifestRow = serde_json::from_str(&with_goods().to_cells()).unwrap();
        assert_eq!(back, with_goods());
        let empty: ManifestRow = serde_json::from_str(&ManifestRow::default().to_cells()).unwrap();
        assert_eq!(empty, ManifestRow::default());
        // One cell too many is not a line.
        let mut long: Vec<&str> = COLUMNS.to_vec();
        long.push("extra");
        assert!(
            serde_json::from_str::<ManifestRow>(&serde_json::to_string(&long).unwrap()).is_err()
        );
    }

    #[test]
    fn a_stored_line_keeps_blank_goods_cells_out_and_older_lines_still_read() {
        let stored = serde_json::to_string(&row()).unwrap();
        assert!(!stored.contains("chemical_cas"), "{stored}");
        let back: ManifestRow = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, row());
        let stored = serde_json::to_string(&with_goods()).unwrap();
        let back: ManifestRow = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, with_goods());
    }
}
