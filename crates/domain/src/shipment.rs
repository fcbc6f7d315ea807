//! Shipments: what moved, between whom, by which route.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::agency::is_state_or_territory;
use crate::chemical::parse_hs_code;
use crate::choice;
use crate::codes::{CountryCode, CurrencyCode};
use crate::identifier::{Identifier, IdentifierKind};
use crate::validation::{bounded_text, optional, pick, ValidationErrors};

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
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipmentPartyInput {
    pub party_id: Uuid,
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
    pub unit: Option<String>,
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
pub struct ShipmentInput {
    pub incident_type: String,
    #[serde(default = "reported")]
    pub status: String,
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
    pub legs: Vec<LegInput>,
}

fn reported() -> String {
    "reported".into()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub country: CountryCode,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub locode: Option<String>,
}

impl Location {
    /// The same place, comparing what both sides name.
    fn continues(&self, next: &Location) -> bool {
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (Some(a), Some(b)) => a.to_lowercase() == b.to_lowercase(),
            _ => true,
        };
        self.country == next.country
            && same(&self.subdivision, &next.subdivision)
            && same(&self.city, &next.city)
            && same(&self.locode, &next.locode)
    }

    fn to_input(&self) -> LocationInput {
        LocationInput {
            country: self.country.to_string(),
            subdivision: self.subdivision.clone(),
            city: self.city.clone(),
            locode: self.locode.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub from: Location,
    pub to: Location,
    pub carrier: Option<String>,
    pub departure_at: Option<DateTime<Utc>>,
    pub arrival_at: Option<DateTime<Utc>>,
    pub document_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LineItem {
    Chemical { id: Uuid, quantity: f64, unit: Unit },
    Equipment { id: Uuid },
    DieMold { id: Uuid },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub item: LineItem,
    pub count: i64,
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
    pub legs: Vec<Leg>,
}

pub const MAX_LEGS: usize = 50;
pub const MAX_LINES: usize = 200;

fn parse_subdivision(country: Option<CountryCode>, value: &str) -> Result<String, String> {
    let code = value.trim().to_ascii_uppercase();
    let Some((prefix, local)) = code.split_once('-') else {
        return Err(format!("`{value}` is not an ISO 3166-2 code such as US-TX"));
    };
    let local_ok =
        (1..=3).contains(&local.len()) && local.chars().all(|c| c.is_ascii_alphanumeric());
    if !local_ok {
        return Err(format!("`{value}` is not an ISO 3166-2 code such as US-TX"));
    }
    if let Some(country) = country {
        if prefix != country.as_str() {
            return Err(format!("`{value}` is not in {country}"));
        }
    }
    if prefix == "US" && !is_state_or_territory(local) {
        return Err(format!("`{local}` is not a US state or territory"));
    }
    Ok(code)
}

fn parse_locode(country: Option<CountryCode>, value: &str) -> Result<String, String> {
    let code = crate::locode::Locode::parse(value)?;
    if let Some(country) = country {
        if code.country() != country.as_str() {
            return Err(format!("`{value}` is not in {country}"));
        }
    }
    Ok(code.to_string())
}

pub fn parse_time(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("`{value}` is not an RFC 3339 time such as 2026-03-01T08:00:00Z"))
}

fn parse_decimal(value: &str) -> Result<String, String> {
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
        Err(format!(
            "`{value}` is not a non-negative decimal amount such as 1250.00"
        ))
    }
}

fn location(errors: &mut ValidationErrors, field: &str, input: &LocationInput) -> Option<Location> {
    let country = errors.check(
        &format!("{field}.country"),
        CountryCode::parse(&input.country),
    );
    let subdivision = optional(
        errors,
        &format!("{field}.subdivision"),
        &input.subdivision,
        |s| parse_subdivision(country, s),
    );
    let city = optional(errors, &format!("{field}.city"), &input.city, |s| {
        bounded_text(s, 200)
    });
    let locode = optional(errors, &format!("{field}.locode"), &input.locode, |s| {
        parse_locode(country, s)
    });
    Some(Location {
        country: country?,
        subdivision,
        city,
        locode,
    })
}

fn leg(errors: &mut ValidationErrors, i: usize, input: &LegInput) -> Option<Leg> {
    let field = format!("legs[{i}]");
    let from = location(errors, &format!("{field}.from"), &input.from);
    let to = location(errors, &format!("{field}.to"), &input.to);
    let carrier = optional(errors, &format!("{field}.carrier"), &input.carrier, |s| {
        bounded_text(s, 200)
    });
    let departure_at = optional(
        errors,
        &format!("{field}.departure_at"),
        &input.departure_at,
        parse_time,
    );
    let arrival_at = optional(
        errors,
        &format!("{field}.arrival_at"),
        &input.arrival_at,
        parse_time,
    );
    let document_number = optional(
        errors,
        &format!("{field}.document_number"),
        &input.document_number,
        |s| bounded_text(s, 100),
    );
    if let (Some(dep), Some(arr)) = (departure_at, arrival_at) {
        if arr < dep {
            errors.add(format!("{field}.arrival_at"), "is before the departure");
        }
    }
    Some(Leg {
        from: from?,
        to: to?,
        carrier,
        departure_at,
        arrival_at,
        document_number,
    })
}

fn line(errors: &mut ValidationErrors, i: usize, input: &LineInput) -> Option<Line> {
    let field = format!("lines[{i}]");
    if !(1..=1_000_000).contains(&input.count) {
        errors.add(format!("{field}.count"), "must be between 1 and 1,000,000");
    }
    let refs = [
        input.chemical_id.is_some(),
        input.equipment_id.is_some(),
        input.die_mold_id.is_some(),
    ];
    if refs.iter().filter(|r| **r).count() != 1 {
        errors.add(
            field,
            "needs exactly one of chemical_id, equipment_id, die_mold_id",
        );
        return None;
    }
    let item = if let Some(id) = input.chemical_id {
        let quantity = match input.quantity {
            None => {
                errors.add(format!("{field}.quantity"), "is required for a chemical");
                None
            }
            Some(q) if !(q.is_finite() && q > 0.0 && q <= 1e9) => {
                errors.add(format!("{field}.quantity"), "must be more than 0");
                None
            }
            Some(q) => Some(q),
        };
        let unit = match &input.unit {
            None => {
                errors.add(
                    format!("{field}.unit"),
                    "is required for a chemical (g, kg, mL or L)",
                );
                None
            }
            Some(u) => errors.check(&format!("{field}.unit"), pick::<Unit>(u)),
        };
        LineItem::Chemical {
            id,
            quantity: quantity?,
            unit: unit?,
        }
    } else {
        if input.quantity.is_some() || input.unit.is_some() {
            errors.add(
                format!("{field}.quantity"),
                "quantity and unit apply to chemicals only; use count",
            );
        }
        match (input.equipment_id, input.die_mold_id) {
            (Some(id), _) => LineItem::Equipment { id },
            (_, Some(id)) => LineItem::DieMold { id },
            _ => return None,
        }
    };
    Some(Line {
        item,
        count: input.count,
    })
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
                        .ok_or_else(|| "needs at least 3 letters or digits".to_owned())
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
            (Some(_), None, _, None) => {
                errors.add("declared_currency", "is required with declared_value");
                None
            }
            (None, Some(_), None, _) => {
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
                legs,
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
                        equipment_id: None,
                        die_mold_id: None,
                        count: l.count,
                    };
                    match l.item {
                        LineItem::Chemical { id, quantity, unit } => {
                            input.chemical_id = Some(id);
                            input.quantity = Some(quantity);
                            input.unit = Some(unit.as_str().to_owned());
                        }
                        LineItem::Equipment { id } => input.equipment_id = Some(id),
                        LineItem::DieMold { id } => input.die_mold_id = Some(id),
                    }
                    input
                })
                .collect(),
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

fn describe(location: &Location) -> String {
    match (&location.city, &location.subdivision) {
        (Some(city), _) => format!("{city}, {}", location.country),
        (None, Some(sub)) => sub.clone(),
        _ => location.country.to_string(),
    }
}

#[cfg(test)]
mod tests {
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
                equipment_id: None,
                die_mold_id: None,
                count: 1,
            }],
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
            equipment_id: None,
            die_mold_id: None,
            count: 1,
        });
        bad.lines.push(LineInput {
            chemical_id: None,
            quantity: None,
            unit: None,
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
}
