//! Thresholds (21 CFR 1310.04): the quantity from which a transaction in a
//! listed chemical is regulated, and a line's quantity as a multiple of it.

use serde::Serialize;

use super::quantity::{format_grams, trim, Content, MissingDensity};
use crate::choice;

choice!(
    /// Which threshold applies: 1310.04 sets domestic and import/export
    /// amounts separately.
    Direction {
        Domestic => "domestic",
        Import => "import",
        Export => "export",
    }
);

impl Direction {
    pub(super) fn threshold_name(self) -> &'static str {
        match self {
            Self::Domestic => "domestic",
            Self::Import | Self::Export => "import/export",
        }
    }
}

/// An amount by weight, by volume, or both (either one reached is enough).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    pub kg: Option<f64>,
    pub litres: Option<f64>,
}

impl Limit {
    fn describe(self) -> String {
        match (self.kg, self.litres) {
            (Some(kg), Some(l)) => format!("{} or {} L", format_grams(kg * 1000.0), trim(l)),
            (Some(kg), None) => format_grams(kg * 1000.0),
            (None, Some(l)) => format!("{} L", trim(l)),
            (None, None) => "no amount".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "threshold", rename_all = "snake_case")]
pub enum Threshold {
    /// No threshold: any quantity, at any concentration, is regulated.
    AnyQuantity,
    Amount {
        domestic: Limit,
        import_export: Limit,
        /// Transactions within a calendar month add up (1310.04(f)).
        cumulative: bool,
    },
}

impl Threshold {
    pub fn limit(&self, direction: Direction) -> Option<Limit> {
        match self {
            Self::AnyQuantity => None,
            Self::Amount {
                domestic,
                import_export,
                ..
            } => Some(match direction {
                Direction::Domestic => *domestic,
                Direction::Import | Direction::Export => *import_export,
            }),
        }
    }
}

/// A line measured against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Comparison {
    /// No threshold: any quantity is regulated.
    AnyQuantity,
    /// The line's content as a multiple of the threshold.
    Multiple {
        multiple: f64,
        /// "the 1,023 kg or 946 L import/export threshold".
        threshold: String,
    },
}

/// Why a line could not be measured against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unmeasurable {
    pub reason: String,
}

/// Measures a line's content against a threshold, by weight where both are
/// known, else by the volume of an undiluted line; never by a guessed
/// density.
pub fn compare(
    threshold: &Threshold,
    direction: Direction,
    content: &Content,
    chemical: &str,
) -> Result<Comparison, Unmeasurable> {
    let Some(limit) = threshold.limit(direction) else {
        return Ok(Comparison::AnyQuantity);
    };
    let described = format!(
        "the {} {} threshold",
        limit.describe(),
        direction.threshold_name()
    );
    let by_weight = limit
        .kg
        .zip(content.grams)
        .map(|(kg, grams)| grams / (kg * 1000.0));
    let by_volume = limit
        .litres
        .zip(content.neat_litres)
        .map(|(limit, litres)| litres / limit);
    match by_weight.or(by_volume) {
        Some(multiple) => Ok(Comparison::Multiple {
            multiple,
            threshold: described,
        }),
        None => Err(Unmeasurable {
            reason: format!(
                "cannot be compared with {described}: {}",
                content
                    .missing
                    .unwrap_or(MissingDensity::Chemical)
                    .explain(chemical)
            ),
        }),
    }
}

/// "1.2×", "0.01×", "35×".
pub fn format_multiple(multiple: f64) -> String {
    format!("{}×", trim(multiple))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(kg: Option<f64>, litres: Option<f64>) -> Threshold {
        Threshold::Amount {
            domestic: Limit { kg, litres },
            import_export: Limit {
                kg: kg.map(|k| k * 2.0),
                litres,
            },
            cumulative: true,
        }
    }

    fn weighed(grams: Option<f64>, neat_litres: Option<f64>) -> Content {
        Content {
            grams,
            neat_litres,
            assumed_neat: true,
            missing: grams.is_none().then_some(MissingDensity::Chemical),
        }
    }

    #[test]
    fn multiples_by_weight_depend_on_direction() {
        let t = amount(Some(4.0), None);
        let c = weighed(Some(4800.0), None);
        match compare(&t, Direction::Domestic, &c, "piperonal").unwrap() {
            Comparison::Multiple {
                multiple,
                threshold,
            } => {
                assert!((multiple - 1.2).abs() < 1e-9);
                assert_eq!(threshold, "the 4 kg domestic threshold");
            }
            other => panic!("{other:?}"),
        }
        match compare(&t, Direction::Import, &c, "piperonal").unwrap() {
            Comparison::Multiple { multiple, .. } => assert!((multiple - 0.6).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_threshold_means_any_quantity() {
        let c = weighed(Some(1.0), None);
        assert_eq!(
            compare(&Threshold::AnyQuantity, Direction::Export, &c, "NPP"),
            Ok(Comparison::AnyQuantity)
        );
    }

    #[test]
    fn a_missing_density_is_said_not_guessed() {
        let t = amount(Some(4.0), None);
        let c = weighed(None, Some(2.0));
        let err = compare(&t, Direction::Domestic, &c, "safrole").unwrap_err();
        assert_eq!(
            err.reason,
            "cannot be compared with the 4 kg domestic threshold: no density of safrole is recorded"
        );
        // With a volume threshold, an undiluted volume compares directly.
        let t = amount(Some(1023.0), Some(946.0));
        assert!(matches!(
            compare(&t, Direction::Domestic, &c, "acetic anhydride"),
            Ok(Comparison::Multiple { .. })
        ));
    }

    #[test]
    fn multiples_read_plainly() {
        assert_eq!(format_multiple(0.4 * 3.0), "1.2×");
        assert_eq!(format_multiple(35.0), "35×");
    }
}
