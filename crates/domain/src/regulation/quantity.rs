//! Quantities with real units, concentrations, and how much of a chemical a
//! line holds. A volume becomes a mass only through a recorded density; a
//! comparison that would need one that is not recorded says so.

use serde::Serialize;

use crate::shipment::Unit;

/// An amount in a mass or volume unit, as declared on a line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantity {
    pub amount: f64,
    pub unit: Unit,
}

impl Quantity {
    pub fn new(amount: f64, unit: Unit) -> Result<Self, String> {
        if amount.is_finite() && amount > 0.0 && amount <= 1e12 {
            Ok(Self { amount, unit })
        } else {
            Err(format!("`{amount}` is not a quantity more than 0"))
        }
    }

    fn grams(self) -> Option<f64> {
        match self.unit {
            Unit::Gram => Some(self.amount),
            Unit::Kilogram => Some(self.amount * 1000.0),
            Unit::Millilitre | Unit::Litre => None,
        }
    }

    fn millilitres(self) -> Option<f64> {
        match self.unit {
            Unit::Millilitre => Some(self.amount),
            Unit::Litre => Some(self.amount * 1000.0),
            Unit::Gram | Unit::Kilogram => None,
        }
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", trim(self.amount), self.unit.as_str())
    }
}

/// How much of the chemical a mixture holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "basis", content = "percent", rename_all = "snake_case")]
pub enum Concentration {
    /// % w/w: grams of chemical per 100 g of mixture.
    WeightPerWeight(f64),
    /// % w/v: grams of chemical per 100 mL of mixture.
    WeightPerVolume(f64),
}

impl Concentration {
    /// Reads "35% w/w", "12.5 % w/v".
    pub fn parse(value: &str) -> Result<Self, String> {
        let text = value.trim().to_ascii_lowercase();
        let bad = || format!("`{value}` is not a concentration such as 35% w/w or 12% w/v");
        let (number, basis) = text.split_once('%').ok_or_else(bad)?;
        let percent: f64 = number.trim().parse().map_err(|_| bad())?;
        let concentration = match basis.trim() {
            "w/w" => Self::WeightPerWeight(percent),
            "w/v" => Self::WeightPerVolume(percent),
            _ => return Err(bad()),
        };
        concentration.checked()
    }

    /// A w/w share above 100% is impossible; w/v may exceed 100 for liquids
    /// denser than water (neat acetic anhydride is about 108 g per 100 mL).
    pub fn checked(self) -> Result<Self, String> {
        let (percent, max) = match self {
            Self::WeightPerWeight(p) => (p, 100.0),
            Self::WeightPerVolume(p) => (p, 250.0),
        };
        if percent.is_finite() && percent > 0.0 && percent <= max {
            Ok(self)
        } else {
            Err(format!("{percent}% must be more than 0 and at most {max}"))
        }
    }
}

impl std::fmt::Display for Concentration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WeightPerWeight(p) => write!(f, "{}% w/w", trim(*p)),
            Self::WeightPerVolume(p) => write!(f, "{}% w/v", trim(*p)),
        }
    }
}

/// A chemical's density, with where it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Density {
    pub g_per_ml: f64,
    pub celsius: Option<f64>,
    pub source: String,
    pub seen: Option<String>,
}

/// Why a line's content could not be weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingDensity {
    /// A neat volume needs the chemical's density, and none is recorded.
    Chemical,
    /// A w/w share of a volume, or a w/v share of a mass, needs the
    /// mixture's density, which no line records.
    Mixture,
}

impl MissingDensity {
    pub fn explain(self, chemical: &str) -> String {
        match self {
            Self::Chemical => format!("no density of {chemical} is recorded"),
            Self::Mixture => {
                "the mixture's density is not recorded, so its concentration cannot be applied"
                    .into()
            }
        }
    }
}

/// How much of the chemical itself a line holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Content {
    /// Grams of the chemical, when they can be known.
    pub grams: Option<f64>,
    /// Litres of the neat chemical, when the line is an undiluted volume.
    pub neat_litres: Option<f64>,
    /// No concentration was recorded, so the line is counted as undiluted.
    pub assumed_neat: bool,
    pub missing: Option<MissingDensity>,
}

/// Weighs a line: its quantity, at its concentration, of a chemical of the
/// given density. No concentration means undiluted, which can only
/// overstate a diluted line, never hide a pure one.
pub fn content(
    quantity: Quantity,
    concentration: Option<Concentration>,
    density: Option<&Density>,
) -> Content {
    let mut out = Content {
        grams: None,
        neat_litres: None,
        assumed_neat: concentration.is_none(),
        missing: None,
    };
    let share = |p: f64| p / 100.0;
    if let Some(grams) = quantity.grams() {
        match concentration {
            None => out.grams = Some(grams),
            Some(Concentration::WeightPerWeight(p)) => out.grams = Some(grams * share(p)),
            Some(Concentration::WeightPerVolume(_)) => out.missing = Some(MissingDensity::Mixture),
        }
    } else if let Some(ml) = quantity.millilitres() {
        match concentration {
            Some(Concentration::WeightPerVolume(p)) => out.grams = Some(ml * share(p)),
            Some(Concentration::WeightPerWeight(p)) if p < 100.0 => {
                out.missing = Some(MissingDensity::Mixture)
            }
            // Undiluted: the chemical's own density applies.
            _ => {
                out.neat_litres = Some(ml / 1000.0);
                match density {
                    Some(d) => out.grams = Some(ml * d.g_per_ml),
                    None => out.missing = Some(MissingDensity::Chemical),
                }
            }
        }
    }
    out
}

/// "900 g", "1.2 kg", "1,023 kg".
pub fn format_grams(grams: f64) -> String {
    if grams >= 1000.0 {
        format!("{} kg", group(grams / 1000.0))
    } else {
        format!("{} g", group(grams))
    }
}

/// A number with at most three significant decimals and no trailing zeros.
pub(crate) fn trim(value: f64) -> String {
    let text = if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "0" && value > 0.0 {
        format!("{value:.1e}")
    } else {
        text
    }
}

fn group(value: f64) -> String {
    let text = trim(value);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.len() <= 3 || whole.contains('e') {
        return text;
    }
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        grouped
    } else {
        format!("{grouped}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn density(g_per_ml: f64) -> Density {
        Density {
            g_per_ml,
            celsius: Some(20.0),
            source: "test".into(),
            seen: None,
        }
    }

    fn q(amount: f64, unit: Unit) -> Quantity {
        Quantity::new(amount, unit).unwrap()
    }

    #[test]
    fn masses_count_directly_and_w_w_scales_them() {
        let c = content(q(2.0, Unit::Kilogram), None, None);
        assert_eq!(c.grams, Some(2000.0));
        assert!(c.assumed_neat);
        let c = content(
            q(2.0, Unit::Kilogram),
            Some(Concentration::WeightPerWeight(25.0)),
            None,
        );
        assert_eq!(c.grams, Some(500.0));
        assert!(!c.assumed_neat);
    }

    #[test]
    fn a_volume_becomes_a_mass_only_through_a_recorded_density() {
        let c = content(q(10.0, Unit::Litre), None, Some(&density(1.082)));
        assert!((c.grams.unwrap() - 10_820.0).abs() < 1e-6);
        assert_eq!(c.neat_litres, Some(10.0));
        let c = content(q(10.0, Unit::Litre), None, None);
        assert_eq!(c.grams, None);
        assert_eq!(c.missing, Some(MissingDensity::Chemical));
        assert_eq!(
            c.neat_litres,
            Some(10.0),
            "a volume threshold can still be used"
        );
    }

    #[test]
    fn w_v_of_a_volume_needs_no_density_but_w_w_of_a_volume_needs_the_mixtures() {
        let c = content(
            q(500.0, Unit::Millilitre),
            Some(Concentration::WeightPerVolume(10.0)),
            None,
        );
        assert_eq!(c.grams, Some(50.0));
        let c = content(
            q(500.0, Unit::Millilitre),
            Some(Concentration::WeightPerWeight(10.0)),
            Some(&density(1.0)),
        );
        assert_eq!(c.grams, None, "the chemical's density is not the mixture's");
        assert_eq!(c.missing, Some(MissingDensity::Mixture));
        let c = content(
            q(1.0, Unit::Kilogram),
            Some(Concentration::WeightPerVolume(10.0)),
            None,
        );
        assert_eq!(c.missing, Some(MissingDensity::Mixture));
    }

    #[test]
    fn concentrations_parse_and_refuse_nonsense() {
        assert_eq!(
            Concentration::parse("35% w/w"),
            Ok(Concentration::WeightPerWeight(35.0))
        );
        assert_eq!(
            Concentration::parse(" 12.5 % W/V "),
            Ok(Concentration::WeightPerVolume(12.5))
        );
        for bad in ["35", "35% v/v", "abc% w/w", "0% w/w", "120% w/w", "-3% w/v"] {
            assert!(Concentration::parse(bad).is_err(), "{bad}");
        }
        assert!(Quantity::new(0.0, Unit::Gram).is_err());
        assert!(Quantity::new(f64::NAN, Unit::Gram).is_err());
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(format_grams(900.0), "900 g");
        assert_eq!(format_grams(1200.0), "1.2 kg");
        assert_eq!(format_grams(1_023_000.0), "1,023 kg");
        assert_eq!(trim(1.2000000000000002), "1.2");
        assert_eq!(trim(0.0098), "0.01");
    }
}
