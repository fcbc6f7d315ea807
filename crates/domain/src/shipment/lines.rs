//! A shipment's lines: the chemicals (with quantity and unit), presses
//! and dies it carried.

use uuid::Uuid;

use crate::regulation::Concentration;
use crate::validation::{optional, pick, ValidationErrors};

use super::{LineInput, Unit};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LineItem {
    Chemical {
        id: Uuid,
        quantity: f64,
        unit: Unit,
        /// None: counted as undiluted.
        concentration: Option<Concentration>,
    },
    Equipment {
        id: Uuid,
    },
    DieMold {
        id: Uuid,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub item: LineItem,
    pub count: i64,
}

pub(super) fn line(errors: &mut ValidationErrors, i: usize, input: &LineInput) -> Option<Line> {
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
        let concentration = optional(
            errors,
            &format!("{field}.concentration"),
            &input.concentration,
            Concentration::parse,
        );
        LineItem::Chemical {
            id,
            quantity: quantity?,
            unit: unit?,
            concentration,
        }
    } else {
        if input.quantity.is_some() || input.unit.is_some() || input.concentration.is_some() {
            errors.add(
                format!("{field}.quantity"),
                "quantity, unit and concentration apply to chemicals only; use count",
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
