//! Shipments: what moved, between whom, by which route. The route's
//! places and legs are in `route`, the goods' lines in `lines`.

mod dea;
mod lines;
mod products;
mod route;

pub use dea::{parse_day, DeaFilingInput, DeaInput};
pub use lines::{Line, LineItem};
pub use products::{LabInput, ProductInput, MAX_PRODUCTS};
pub use route::{Leg, Location};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chemical::parse_hs_code;
use crate::choice;
use crate::codes::CurrencyCode;
use crate::identifier::{Identifier, IdentifierKind};
use crate::regulation::{DeaTransaction, ProductLine};
use crate::validation::{bounded_text, optional, pick, Invalid, ValidationErrors};
use lines::line;
use route::{describe, leg};

choice!(IncidentType {
    SuspiciousShipment => "suspicious_shipment",
    StoppedShipment => "stopped_shipment",
    Seizure => "seizure",
    SuspiciousOrder => "suspicious_order",
    DiversionAttempt => "diversion_attempt",
    ControlledDelivery => "controlled_delivery",
});

choice!(ShipmentStatus {
    Reported => "reported",
    InTransit => "in_transit",
    Held => "held",
    Seized => "seized",
    Released => "released",
    Delivered => "delivered",
});

choice!(Mode {
    AirExpress => "air_express",
    AirCargo => "air_cargo",
    Ocean => "ocean",
    Truck => "truck",
    Rail => "rail",
    Postal => "postal",
});

choice!(PartyRole {
    Consignor => "consignor",
    Consignee => "consignee",
    Forwarder => "forwarder",
    Broker => "broker",
    Carrier => "carrier",
    NotifyParty => "notify_party",
    Exporter => "exporter",
    Importer => "importer",
});

choice!(TrackingKind {
    AirWaybill => "air_waybill",
    BillOfLading => "bill_of_lading",
    CourierTracking => "courier_tracking",
});

choice!(Unit { Gram => "g", Kilogram => "kg", Millilitre => "mL", Litre => "L" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackingNumberInput {
    #[cfg_attr(feature = "openapi", schema(value_type = TrackingKind))]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipmentPartyInput {
    pub party_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = PartyRole))]
    pub role: String,
}

/// One line: a chemical with quantity and unit, or equipment, or a die
/// mold — exactly one — with a count of packages or pieces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chemical_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Unit>))]
    pub unit: Option<String>,
    /// How much of the line is the chemical: `35% w/w` or `12% w/v`.
    /// Without it the line is counted as undiluted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concentration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub die_mold_id: Option<Uuid>,
    #[serde(default = "one")]
    pub count: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationInput {
    pub country: String,
    /// ISO 3166-2, e.g. `US-TX`.
    #[serde(default)]
    pub subdivision: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// UN/LOCODE, e.g. `CNSHA`.
    #[serde(default)]
    pub locode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegInput {
    pub from: LocationInput,
    pub to: LocationInput,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub departure_at: Option<String>,
    #[serde(default)]
    pub arrival_at: Option<String>,
    #[serde(default)]
    pub document_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "incident_type": "suspicious_shipment",
    "status": "held",
    "mode": "air_cargo",
    "tracking_numbers": [{ "kind": "air_waybill", "value": "176-12345675" }],
    "parties": [{ "party_id": "01934f2e-7c1a-7d3e-9a4b-2f6c8e0d1a2b", "role": "consignor" }],
    "declared_description": "industrial dye intermediate",
    "declared_value": "1250.00",
    "declared_currency": "USD",
    "gross_weight_kg": 26.5,
    "lines": [{ "chemical_id": "01934f2e-7c1a-7d3e-9a4b-2f6c8e0d1a2c", "quantity": 25, "unit": "kg", "count": 1 }],
    "legs": [{
        "from": { "country": "CN", "city": "Wuhan", "locode": "CNWUH" },
        "to": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" },
        "carrier": "Example Air Cargo",
        "departure_at": "2026-11-02T08:00:00Z",
        "arrival_at": "2026-11-03T14:30:00Z"
    }]
})))]
pub struct ShipmentInput {
    #[cfg_attr(feature = "openapi", schema(value_type = IncidentType))]
    pub incident_type: String,
    #[serde(default = "reported")]
    #[cfg_attr(feature = "openapi", schema(value_type = ShipmentStatus))]
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Mode))]
    pub mode: String,
    #[serde(default)]
    pub tracking_numbers: Vec<TrackingNumberInput>,
    #[serde(default)]
    pub parties: Vec<ShipmentPartyInput>,
    #[serde(default)]
    pub declared_description: Option<String>,
    #[serde(default)]
    pub declared_hs_code: Option<String>,
    /// Decimal string, e.g. "1250.00", so no precision is lost.
    #[serde(default)]
    pub declared_value: Option<String>,
    #[serde(default)]
    pub declared_currency: Option<String>,
    #[serde(default)]
    pub gross_weight_kg: Option<f64>,
    #[serde(default)]
    pub concealment_method: Option<String>,
    #[serde(default)]
    pub narrative: Option<String>,
    #[serde(default)]
    pub lines: Vec<LineInput>,
    /// Finished pills or powder: form, count or mass, imprint, and what a
    /// laboratory confirmed they contain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductInput>,
    pub legs: Vec<LegInput>,
    /// DEA transaction details: forms filed and the release date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dea: Option<DeaInput>,
    /// The carrier's advance data: pieces, waybills, the parties' phones
    /// and e-mails, the shipper's account, the booking's IP address and
    /// the payment's cryptocurrency address. Phones in E.164 (`+86…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance_data: Option<Box<crate::advance_data::AdvanceDataInput>>,
}

fn reported() -> String {
    "reported".into()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    pub incident_type: IncidentType,
    pub status: ShipmentStatus,
    pub mode: Mode,
    pub tracking_numbers: Vec<(TrackingKind, String)>,
    pub parties: Vec<(Uuid, PartyRole)>,
    pub declared_description: Option<String>,
    pub declared_hs_code: Option<String>,
    pub declared_value: Option<(String, CurrencyCode)>,
    pub gross_weight_kg: Option<f64>,
    pub concealment_method: Option<String>,
    pub narrative: Option<String>,
    pub lines: Vec<Line>,
    pub products: Vec<ProductLine>,
    pub legs: Vec<Leg>,
    pub dea: Option<DeaTransaction>,
    pub advance_data: Option<crate::advance_data::AdvanceData>,
}

pub const MAX_LEGS: usize = 50;
pub const MAX_LINES: usize = 200;

pub fn parse_time(value: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Invalid::new(format!(
                "`{value}` is not an RFC 3339 time such as 2026-03-01T08:00:00Z"
            ))
        })
}

fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|v| v.trim().is_empty())
}

fn parse_decimal(value: &str) -> Result<String, Invalid> {
    let text = value.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let valid = !whole.is_empty()
        && whole.len() <= 15
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.len() <= 4
        && fraction.chars().all(|c| c.is_ascii_digit())
        && !(text.contains('.') && fraction.is_empty());
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!("`{value}` is not a non-negative decimal amount such as 1250.00").into())
    }
}

/// `errors` with `prefix` taken off each field name: a part of a shipment
/// checked on its own, for a reader that names fields its own way (a
/// manifest's columns).
fn relative(errors: ValidationErrors, prefix: &str) -> ValidationErrors {
    let mut out = ValidationErrors::new();
    for e in errors.errors() {
        let field = e.field.strip_prefix(prefix).unwrap_or(&e.field);
        out.add(field, e.message.clone());
    }
    out
}

/// Checks one chemical line as `Shipment::validate` does; fields named
/// `quantity`, `unit`, `concentration`, `count`.
pub fn check_chemical_line(input: &LineInput) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    line(&mut errors, 0, input);
    relative(errors, "lines[0].")
}

/// Checks one product line as `Shipment::validate` does; fields named
/// `form`, `count`, `grams`, `imprint`, `lab.substance`,
/// `lab.purity_percent`.
pub fn check_product(input: &ProductInput) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    products::product(&mut errors, 0, input);
    relative(errors, "products[0].")
}

/// Checks DEA details as `Shipment::validate` does; fields named
/// `filings[0].form`, `filings[0].transaction_id`, `filings[0].filed_on`,
/// `released_on`.
pub fn check_dea(input: &DeaInput) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    dea::dea(&mut errors, input);
    relative(errors, "dea.")
}

impl Shipment {
    pub fn validate(input: &ShipmentInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let incident_type =
            errors.check("incident_type", pick::<IncidentType>(&input.incident_type));
        let status = errors.check("status", pick::<ShipmentStatus>(&input.status));
        let mode = errors.check("mode", pick::<Mode>(&input.mode));

        if input.tracking_numbers.len() > 20 {
            errors.add("tracking_numbers", "at most 20 tracking numbers");
        }
        let mut tracking_numbers = Vec::new();
        for (i, t) in input.tracking_numbers.iter().enumerate().take(20) {
            let kind = errors.check(
                &format!("tracking_numbers[{i}].kind"),
                pick::<TrackingKind>(&t.kind),
            );
            let value = errors.check(&format!("tracking_numbers[{i}].value"), {
                bounded_text(&t.value, 60).and_then(|v| {
                    IdentifierKind::TrackingNumber
                        .normalise(&v)
                        .map(|_| v)
                        .ok_or_else(|| Invalid::new("needs at least 3 letters or digits"))
                })
            });
            if let (Some(kind), Some(value)) = (kind, value) {
                tracking_numbers.push((kind, value));
            }
        }

        if input.parties.len() > 50 {
            errors.add("parties", "at most 50 parties");
        }
        let parties: Vec<(Uuid, PartyRole)> = input
            .parties
            .iter()
            .enumerate()
            .take(50)
            .filter_map(|(i, p)| {
                errors
                    .check(&format!("parties[{i}].role"), pick::<PartyRole>(&p.role))
                    .map(|role| (p.party_id, role))
            })
            .collect();

        let declared_description = optional(
            &mut errors,
            "declared_description",
            &input.declared_description,
            |s| bounded_text(s, 1000),
        );
        let declared_hs_code = optional(
            &mut errors,
            "declared_hs_code",
            &input.declared_hs_code,
            parse_hs_code,
        );
        let value = optional(
            &mut errors,
            "declared_value",
            &input.declared_value,
            parse_decimal,
        );
        let currency = optional(
            &mut errors,
            "declared_currency",
            &input.declared_currency,
            CurrencyCode::parse,
        );
        let declared_value = match (
            value,
            currency,
            &input.declared_value,
            &input.declared_currency,
        ) {
            (Some(v), Some(c), _, _) => Some((v, c)),
            // A blank currency is no currency: refused, not half-kept.
            (Some(_), None, _, c) if blank(c) => {
                errors.add("declared_currency", "is required with declared_value");
                None
            }
            (None, Some(_), v, _) if blank(v) => {
                errors.add("declared_value", "is required with declared_currency");
                None
            }
            _ => None,
        };
        if let Some(w) = input.gross_weight_kg {
            if !(w.is_finite() && w > 0.0 && w <= 1e7) {
                errors.add("gross_weight_kg", "must be more than 0");
            }
        }
        let concealment_method = optional(
            &mut errors,
            "concealment_method",
            &input.concealment_method,
            |s| bounded_text(s, 500),
        );
        let narrative = optional(&mut errors, "narrative", &input.narrative, |s| {
            bounded_text(s, 20_000)
        });

        if input.lines.len() > MAX_LINES {
            errors.add("lines", format!("at most {MAX_LINES} lines"));
        }
        let lines: Vec<Line> = input
            .lines
            .iter()
            .take(MAX_LINES)
            .enumerate()
            .filter_map(|(i, l)| line(&mut errors, i, l))
            .collect();

        if input.products.len() > MAX_PRODUCTS {
            errors.add("products", format!("at most {MAX_PRODUCTS} product lines"));
        }
        let products: Vec<ProductLine> = input
            .products
            .iter()
            .take(MAX_PRODUCTS)
            .enumerate()
            .filter_map(|(i, p)| products::product(&mut errors, i, p))
            .collect();

        let dea = input.dea.as_ref().and_then(|d| dea::dea(&mut errors, d));
        let advance_data = input.advance_data.as_ref().map(|a| {
            let mut found = ValidationErrors::new();
            let data = crate::advance_data::AdvanceData::check(&mut found, a, None, None);
            for e in found.errors() {
                errors.add(format!("advance_data.{}", e.field), e.message.clone());
            }
            data
        });

        let mut legs = Vec::new();
        if input.legs.is_empty() {
            errors.add("legs", "a shipment needs a route of at least one leg");
        } else if input.legs.len() > MAX_LEGS {
            errors.add("legs", format!("at most {MAX_LEGS} legs"));
        } else {
            let parsed: Vec<Option<Leg>> = input
                .legs
                .iter()
                .enumerate()
                .map(|(i, l)| leg(&mut errors, i, l))
                .collect();
            for (i, pair) in parsed.windows(2).enumerate() {
                if let [Some(a), Some(b)] = pair {
                    if !a.to.continues(&b.from) {
                        errors.add(
                            format!("legs[{}].from", i + 1),
                            format!("must start where leg {i} ends ({})", describe(&a.to)),
                        );
                    }
                    if let (Some(arr), Some(dep)) = (a.arrival_at, b.departure_at) {
                        if dep < arr {
                            errors.add(
                                format!("legs[{}].departure_at", i + 1),
                                format!("is before leg {i} arrives"),
                            );
                        }
                    }
                }
            }
            legs = parsed.into_iter().flatten().collect();
        }

        match (incident_type, status, mode) {
            (Some(incident_type), Some(status), Some(mode)) if errors.is_empty() => Ok(Self {
                incident_type,
                status,
                mode,
                tracking_numbers,
                parties,
                declared_description,
                declared_hs_code,
                declared_value,
                gross_weight_kg: input.gross_weight_kg,
                concealment_method,
                narrative,
                lines,
                products,
                legs,
                dea,
                advance_data,
            }),
            _ => Err(errors),
        }
    }

    pub fn to_input(&self) -> ShipmentInput {
        let time =
            |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        ShipmentInput {
            incident_type: self.incident_type.as_str().to_owned(),
            status: self.status.as_str().to_owned(),
            mode: self.mode.as_str().to_owned(),
            tracking_numbers: self
                .tracking_numbers
                .iter()
                .map(|(kind, value)| TrackingNumberInput {
                    kind: kind.as_str().to_owned(),
                    value: value.clone(),
                })
                .collect(),
            parties: self
                .parties
                .iter()
                .map(|(party_id, role)| ShipmentPartyInput {
                    party_id: *party_id,
                    role: role.as_str().to_owned(),
                })
                .collect(),
            declared_description: self.declared_description.clone(),
            declared_hs_code: self.declared_hs_code.clone(),
            declared_value: self.declared_value.as_ref().map(|(v, _)| v.clone()),
            declared_currency: self.declared_value.as_ref().map(|(_, c)| c.to_string()),
            gross_weight_kg: self.gross_weight_kg,
            concealment_method: self.concealment_method.clone(),
            narrative: self.narrative.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| {
                    let mut input = LineInput {
                        chemical_id: None,
                        quantity: None,
                        unit: None,
                        concentration: None,
                        equipment_id: None,
                        die_mold_id: None,
                        count: l.count,
                    };
                    match l.item {
                        LineItem::Chemical {
                            id,
                            quantity,
                            unit,
                            concentration,
                        } => {
                            input.chemical_id = Some(id);
                            input.quantity = Some(quantity);
                            input.unit = Some(unit.as_str().to_owned());
                            input.concentration = concentration.map(|c| c.to_string());
                        }
                        LineItem::Equipment { id } => input.equipment_id = Some(id),
                        LineItem::DieMold { id } => input.die_mold_id = Some(id),
                    }
                    input
                })
                .collect(),
            products: self.products.iter().map(ProductInput::from_line).collect(),
            dea: self.dea.as_ref().map(DeaInput::from_transaction),
            advance_data: self.advance_data.as_ref().map(|a| Box::new(a.to_input())),
            legs: self
                .legs
                .iter()
                .map(|l| LegInput {
                    from: l.from.to_input(),
                    to: l.to.to_input(),
                    carrier: l.carrier.clone(),
                    departure_at: time(&l.departure_at),
                    arrival_at: time(&l.arrival_at),
                    document_number: l.document_number.clone(),
                })
                .collect(),
        }
    }

    /// Where the goods started: the first leg's start.
    pub fn origin(&self) -> Option<&Location> {
        self.legs.first().map(|l| &l.from)
    }

    /// Where they were going: the last leg's end.
    pub fn destination(&self) -> Option<&Location> {
        self.legs.last().map(|l| &l.to)
    }

    /// When the shipment left its origin, or failing that, when it arrived.
    pub fn shipped_at(&self) -> Option<DateTime<Utc>> {
        self.legs
            .iter()
            .find_map(|l| l.departure_at.or(l.arrival_at))
    }

    pub fn identifiers(&self) -> Vec<Identifier> {
        let mut ids: Vec<Identifier> = self
            .tracking_numbers
            .iter()
            .filter_map(|(_, v)| Identifier::new(IdentifierKind::TrackingNumber, v))
            .collect();
        if let Some(data) = &self.advance_data {
            for (kind, value) in data.identifiers() {
                if let Ok(kind) = kind.parse() {
                    ids.push(Identifier { kind, value });
                }
            }
        }
        ids.sort();
        ids.dedup();
        ids
    }

    /// Records this shipment refers to: (kind, id, role).
    pub fn references(&self) -> Vec<(&'static str, Uuid, Option<PartyRole>)> {
        let parties = self
            .parties
            .iter()
            .map(|(id, role)| ("party", *id, Some(*role)));
        let lines = self.lines.iter().map(|l| match l.item {
            LineItem::Chemical { id, .. } => ("chemical", id, None),
            LineItem::Equipment { id } => ("equipment", id, None),
            LineItem::DieMold { id } => ("die_mold", id, None),
        });
        parties.chain(lines).collect()
    }
}

#[cfg(test)]
mod tests;
