//! Pill presses, encapsulators and their parts.

use serde::{Deserialize, Serialize};

use crate::choice;
use crate::identifier::{Identifier, IdentifierKind};
use crate::validation::{bounded_text, optional, pick, search_text, Invalid, ValidationErrors};

choice!(EquipmentKind {
    TabletingMachine => "tableting_machine",
    EncapsulatingMachine => "encapsulating_machine",
    Punch => "punch",
    Die => "die",
    DieSet => "die_set",
    OtherPart => "other_part",
});

choice!(Power { Manual => "manual", Electric => "electric" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentInput {
    #[cfg_attr(feature = "openapi", schema(value_type = EquipmentKind))]
    pub kind: String,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Power>))]
    pub power: Option<String>,
    #[serde(default)]
    pub capacity_per_hour: Option<i64>,
    #[serde(default)]
    pub markings_removed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Equipment {
    pub kind: EquipmentKind,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub power: Option<Power>,
    pub capacity_per_hour: Option<i64>,
    pub markings_removed: bool,
}

impl Equipment {
    pub fn validate(input: &EquipmentInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let kind = errors.check("kind", pick::<EquipmentKind>(&input.kind));
        let manufacturer = optional(&mut errors, "manufacturer", &input.manufacturer, |s| {
            bounded_text(s, 200)
        });
        let model = optional(&mut errors, "model", &input.model, |s| bounded_text(s, 200));
        let serial_number = optional(&mut errors, "serial_number", &input.serial_number, |s| {
            let text = bounded_text(s, 100)?;
            IdentifierKind::Serial
                .normalise(&text)
                .map(|_| text)
                .ok_or_else(|| Invalid::new("needs at least 3 letters or digits"))
        });
        let power = optional(&mut errors, "power", &input.power, pick::<Power>);
        if let Some(capacity) = input.capacity_per_hour {
            if !(1..=10_000_000).contains(&capacity) {
                errors.add(
                    "capacity_per_hour",
                    "must be between 1 and 10,000,000 units per hour",
                );
            }
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(Self {
                kind,
                manufacturer,
                model,
                serial_number,
                power,
                capacity_per_hour: input.capacity_per_hour,
                markings_removed: input.markings_removed,
            }),
            _ => Err(errors),
        }
    }

    pub fn to_input(&self) -> EquipmentInput {
        EquipmentInput {
            kind: self.kind.as_str().to_owned(),
            manufacturer: self.manufacturer.clone(),
            model: self.model.clone(),
            serial_number: self.serial_number.clone(),
            power: self.power.map(|p| p.as_str().to_owned()),
            capacity_per_hour: self.capacity_per_hour,
            markings_removed: self.markings_removed,
        }
    }

    pub fn identifiers(&self) -> Vec<Identifier> {
        self.serial_number
            .iter()
            .filter_map(|s| Identifier::new(IdentifierKind::Serial, s))
            .collect()
    }

    pub fn search_text(&self) -> String {
        search_text([&self.manufacturer, &self.model].into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_extracts_the_serial() {
        let input = EquipmentInput {
            kind: "tableting_machine".into(),
            manufacturer: Some("Generic Pharma Machinery".into()),
            model: Some("TDP-5".into()),
            serial_number: Some("tdp5-2023 0042".into()),
            power: Some("electric".into()),
            capacity_per_hour: Some(5000),
            markings_removed: true,
        };
        let equipment = Equipment::validate(&input).unwrap();
        assert_eq!(equipment.identifiers()[0].value, "TDP520230042");
        assert_eq!(
            Equipment::validate(&equipment.to_input()).unwrap(),
            equipment
        );
    }

    #[test]
    fn names_bad_fields() {
        let input = EquipmentInput {
            kind: "press".into(),
            manufacturer: None,
            model: None,
            serial_number: Some("#".into()),
            power: Some("steam".into()),
            capacity_per_hour: Some(0),
            markings_removed: false,
        };
        let errors = Equipment::validate(&input).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["kind", "serial_number", "power", "capacity_per_hour"]
        );
    }
}
