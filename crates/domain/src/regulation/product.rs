//! Product lines: finished pills or powder, with what a laboratory found in
//! them, and the `counterfeit_pill` indicator.

use chrono::NaiveDate;
use serde::Serialize;

use super::control::Subject;
use super::findings::{RegulatoryCode, RegulatoryFinding};
use super::quantity::{format_grams, trim};
use super::table::ControlTable;
use crate::choice;

choice!(ProductForm {
    Tablet => "tablet",
    Capsule => "capsule",
    Powder => "powder",
});

/// What a laboratory confirmed a product contains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabResult {
    /// The substance's row in the controls table, e.g. `fentanyl`.
    pub substance: String,
    pub purity_percent: Option<f64>,
}

/// Finished product: pills counted, or powder weighed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductLine {
    pub form: ProductForm,
    pub count: Option<u64>,
    pub grams: Option<f64>,
    /// As stamped, e.g. "M 30".
    pub imprint: Option<String>,
    /// The legitimate product whose imprint this is, e.g. "oxycodone 30 mg",
    /// as matched against a die mold or an imprint reference.
    pub imitates: Option<String>,
    pub lab: Option<LabResult>,
}

impl ProductLine {
    /// Refuses a line that says nothing measurable or an impossible purity.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.count.is_none() && self.grams.is_none() {
            return Err(("count", "a product line needs a count or a mass".into()));
        }
        if self.count == Some(0) {
            return Err(("count", "must be at least 1".into()));
        }
        if let Some(g) = self.grams {
            if !(g.is_finite() && g > 0.0) {
                return Err(("grams", "must be more than 0".into()));
            }
        }
        if let Some(p) = self.lab.as_ref().and_then(|l| l.purity_percent) {
            if !(p.is_finite() && p > 0.0 && p <= 100.0) {
                return Err((
                    "lab.purity_percent",
                    "must be more than 0 and at most 100".into(),
                ));
            }
        }
        if self.imprint.as_deref().is_some_and(|i| i.trim().is_empty()) {
            return Err(("imprint", "must not be empty".into()));
        }
        Ok(())
    }
}

/// `counterfeit_pill`: tablets or capsules a laboratory confirmed to contain
/// fentanyl or a fentanyl-related substance, stamped with a legitimate
/// product's imprint.
pub fn counterfeit_pill(
    table: &ControlTable,
    line: &ProductLine,
    day: NaiveDate,
) -> Option<RegulatoryFinding> {
    if line.form == ProductForm::Powder {
        return None;
    }
    let imprint = line.imprint.as_deref()?;
    let imitates = line.imitates.as_deref()?;
    let lab = line.lab.as_ref()?;
    let substance = table.chemical(&lab.substance)?;
    if substance.class.as_deref() != Some("fentanyl") {
        return None;
    }
    let subject = Subject {
        name: substance.name.clone(),
        chemical: Some(substance.id.clone()),
        family: None,
    };
    let control = table.control_at(&subject, day);
    let how_many = match (line.count, line.grams) {
        (Some(n), _) => format!("{n} {}s", line.form),
        (None, Some(g)) => format!("{} of {}s", format_grams(g), line.form),
        (None, None) => format!("{}s", line.form),
    };
    let purity = lab
        .purity_percent
        .map(|p| format!(" at {}% purity", trim(p)))
        .unwrap_or_default();
    Some(RegulatoryFinding {
        code: RegulatoryCode::CounterfeitPill,
        tier: None,
        factor: 1.0,
        sentence: format!(
            "{how_many} imprinted “{imprint}”, the imprint of {imitates}, were lab-confirmed as {}{purity} ({}).",
            substance.name,
            control.describe()
        ),
    })
}
