//! Die molds: the imprint that makes a counterfeit pill look legitimate.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::choice;
use crate::identifier::{Identifier, IdentifierKind};
use crate::validation::{bounded_text, optional, pick, search_text, Invalid, ValidationErrors};

choice!(Shape {
    Round => "round",
    Oval => "oval",
    Oblong => "oblong",
    Capsule => "capsule",
    Triangle => "triangle",
    Square => "square",
    Rectangle => "rectangle",
    Diamond => "diamond",
    Other => "other",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DieMoldInput {
    #[serde(default)]
    pub front_imprint: Option<String>,
    #[serde(default)]
    pub back_imprint: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Shape))]
    pub shape: String,
    #[serde(default)]
    pub diameter_mm: Option<f64>,
    #[serde(default)]
    pub colour: Option<String>,
    /// The legitimate product imitated, e.g. "oxycodone hydrochloride 30 mg".
    #[serde(default)]
    pub imitated_product: Option<String>,
    #[serde(default)]
    pub equipment_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DieMold {
    pub front_imprint: Option<String>,
    pub back_imprint: Option<String>,
    pub shape: Shape,
    pub diameter_mm: Option<f64>,
    pub colour: Option<String>,
    pub imitated_product: Option<String>,
    pub equipment_id: Option<Uuid>,
}

fn imprint(value: &str) -> Result<String, Invalid> {
    bounded_text(value, 40)
}

impl DieMold {
    pub fn validate(input: &DieMoldInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let front = optional(&mut errors, "front_imprint", &input.front_imprint, imprint);
        let back = optional(&mut errors, "back_imprint", &input.back_imprint, imprint);
        let shape = errors.check("shape", pick::<Shape>(&input.shape));
        if let Some(d) = input.diameter_mm {
            if !(d.is_finite() && d > 0.0 && d <= 100.0) {
                errors.add("diameter_mm", "must be more than 0 and at most 100 mm");
            }
        }
        let colour = optional(&mut errors, "colour", &input.colour, |s| {
            bounded_text(s, 50)
        });
        let imitated = optional(
            &mut errors,
            "imitated_product",
            &input.imitated_product,
            |s| bounded_text(s, 200),
        );
        if front.is_none() && back.is_none() && errors.is_empty() {
            errors.add(
                "front_imprint",
                "a die mold needs an imprint on at least one face",
            );
        }
        match shape {
            Some(shape) if errors.is_empty() => Ok(Self {
                front_imprint: front,
                back_imprint: back,
                shape,
                diameter_mm: input.diameter_mm,
                colour,
                imitated_product: imitated,
                equipment_id: input.equipment_id,
            }),
            _ => Err(errors),
        }
    }

    pub fn to_input(&self) -> DieMoldInput {
        DieMoldInput {
            front_imprint: self.front_imprint.clone(),
            back_imprint: self.back_imprint.clone(),
            shape: self.shape.as_str().to_owned(),
            diameter_mm: self.diameter_mm,
            colour: self.colour.clone(),
            imitated_product: self.imitated_product.clone(),
            equipment_id: self.equipment_id,
        }
    }

    /// The imprint with its shape: `M|30|ROUND`. The same letters on a
    /// different shape are a different die.
    pub fn imprint_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.front_imprint.as_deref().unwrap_or(""),
            self.back_imprint.as_deref().unwrap_or(""),
            self.shape.as_str()
        )
    }

    pub fn identifiers(&self) -> Vec<Identifier> {
        Identifier::new(IdentifierKind::Imprint, &self.imprint_key())
            .into_iter()
            .collect()
    }

    pub fn search_text(&self) -> String {
        search_text([&self.imitated_product, &self.colour].into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m30() -> DieMoldInput {
        DieMoldInput {
            front_imprint: Some("M".into()),
            back_imprint: Some("30".into()),
            shape: "round".into(),
            diameter_mm: Some(7.1),
            colour: Some("light blue".into()),
            imitated_product: Some("oxycodone hydrochloride 30 mg".into()),
            equipment_id: None,
        }
    }

    #[test]
    fn imprint_key_includes_the_shape() {
        let mold = DieMold::validate(&m30()).unwrap();
        assert_eq!(mold.identifiers()[0].value, "M|30|ROUND");
        let mut oval = m30();
        oval.shape = "oval".into();
        assert_ne!(
            DieMold::validate(&oval).unwrap().identifiers(),
            mold.identifiers()
        );
    }

    #[test]
    fn needs_an_imprint_and_a_sane_size() {
        let mut blank = m30();
        blank.front_imprint = None;
        blank.back_imprint = Some("  ".into());
        assert_eq!(
            DieMold::validate(&blank).unwrap_err().errors()[0].field,
            "front_imprint"
        );
        let mut huge = m30();
        huge.diameter_mm = Some(-1.0);
        huge.shape = "star".into();
        let fields: Vec<String> = DieMold::validate(&huge)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.field.clone())
            .collect();
        assert_eq!(fields, ["shape", "diameter_mm"]);
    }
}
