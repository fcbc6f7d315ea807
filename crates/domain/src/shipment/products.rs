//! A shipment's product lines: finished pills or powder, counted or
//! weighed, with their imprint and what a laboratory confirmed they
//! contain. What an imprint imitates comes from `reference/imprints.toml`.

use serde::{Deserialize, Serialize};

use crate::regulation::{self, LabResult, ProductForm, ProductLine};
use crate::validation::{bounded_text, optional, pick, ValidationErrors};

pub const MAX_PRODUCTS: usize = 50;

/// What a laboratory confirmed a product contains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabInput {
    /// The substance's id in the rules table (`reference/controls.toml`),
    /// e.g. `fentanyl` or `fentanyl-related-substances`.
    pub substance: String,
    /// Purity in percent, more than 0 and at most 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purity_percent: Option<f64>,
}

/// Finished product: `tablet`, `capsule` or `powder`, with a count or a
/// mass in grams (or both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductInput {
    #[cfg_attr(feature = "openapi", schema(value_type = ProductForm))]
    pub form: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grams: Option<f64>,
    /// As stamped, e.g. `M 30` (faces may be separated by `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabInput>,
}

impl ProductInput {
    /// The line as the rules see it, for a document validated when written
    /// (`None` if it cannot be read).
    pub fn to_line(&self) -> Option<ProductLine> {
        let mut errors = ValidationErrors::new();
        product(&mut errors, 0, self)
    }

    pub fn from_line(line: &ProductLine) -> Self {
        Self {
            form: line.form.as_str().to_owned(),
            count: line.count,
            grams: line.grams,
            imprint: line.imprint.clone(),
            lab: line.lab.as_ref().map(|l| LabInput {
                substance: l.substance.clone(),
                purity_percent: l.purity_percent,
            }),
        }
    }
}

pub(super) fn product(
    errors: &mut ValidationErrors,
    i: usize,
    input: &ProductInput,
) -> Option<ProductLine> {
    let field = format!("products[{i}]");
    let before = errors.errors().len();
    let form = errors.check(&format!("{field}.form"), pick::<ProductForm>(&input.form));
    let imprint = optional(errors, &format!("{field}.imprint"), &input.imprint, |s| {
        bounded_text(s, 60)
    });
    let lab = input.lab.as_ref().and_then(|lab| {
        let table = regulation::controls();
        match table.chemical(lab.substance.trim()) {
            Some(substance) => Some(LabResult {
                substance: substance.id.clone(),
                purity_percent: lab.purity_percent,
            }),
            None => {
                errors.add(
                    format!("{field}.lab.substance"),
                    format!(
                        "`{}` is not a substance of the rules table (e.g. fentanyl)",
                        lab.substance
                    ),
                );
                None
            }
        }
    });
    let imitates = imprint
        .as_deref()
        .and_then(|i| regulation::imprints().lookup(i))
        .map(|legit| legit.describe());
    let line = ProductLine {
        form: form?,
        count: input.count,
        grams: input.grams,
        imprint,
        imitates,
        lab,
    };
    if let Err((name, message)) = line.check() {
        errors.add(format!("{field}.{name}"), message);
    }
    (errors.errors().len() == before).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(imprint: &str, substance: &str) -> ProductInput {
        ProductInput {
            form: "tablet".into(),
            count: Some(1000),
            grams: None,
            imprint: Some(imprint.into()),
            lab: Some(LabInput {
                substance: substance.into(),
                purity_percent: Some(1.8),
            }),
        }
    }

    #[test]
    fn a_known_imprint_names_the_product_it_imitates() {
        let line = input("M30", "fentanyl").to_line().unwrap();
        let imitates = line.imitates.as_deref().unwrap();
        assert!(imitates.starts_with("oxycodone hydrochloride 30 mg (Mallinckrodt)"));
        assert!(imitates.contains("not its label"), "unconfirmed says so");
        let line = input("XYZ 1", "fentanyl").to_line().unwrap();
        assert_eq!(line.imitates, None);
        assert_eq!(
            ProductInput::from_line(&line).imprint.as_deref(),
            Some("XYZ 1")
        );
    }

    #[test]
    fn bad_product_lines_name_their_field() {
        let fields = |p: ProductInput| {
            let mut errors = ValidationErrors::new();
            assert!(product(&mut errors, 2, &p).is_none());
            errors
                .errors()
                .iter()
                .map(|e| e.field.clone())
                .collect::<Vec<_>>()
        };
        let mut p = input("M 30", "fentanyl");
        p.form = "pill".into();
        assert_eq!(fields(p), ["products[2].form"]);
        assert_eq!(
            fields(input("M 30", "aspirin")),
            ["products[2].lab.substance"]
        );
        let mut p = input("M 30", "fentanyl");
        p.count = None;
        assert_eq!(fields(p), ["products[2].count"]);
        let mut p = input("M 30", "fentanyl");
        p.lab.as_mut().unwrap().purity_percent = Some(0.0);
        assert_eq!(fields(p), ["products[2].lab.purity_percent"]);
        let mut p = input("M 30", "fentanyl");
        p.grams = Some(-1.0);
        assert_eq!(fields(p), ["products[2].grams"]);
    }
}
