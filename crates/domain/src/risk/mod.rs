//! Risk indicators: explainable rules, each with a code, a weight from
//! configuration and a sentence a supervisor can read, computed for a
//! shipment and for a chain.

use serde::Serialize;

use crate::chemical::ControlStatus;
use crate::choice;
use crate::equipment::EquipmentKind;
use crate::shipment::Unit;

choice!(IndicatorCode {
    ControlledChemical => "controlled_chemical",
    PillPress => "pill_press",
    CounterfeitImprint => "counterfeit_imprint",
    Misdeclaration => "misdeclaration",
    Transshipment => "transshipment",
    MarksRemoved => "marks_removed",
    FirstSeenConsignor => "first_seen_consignor",
    DeconflictionHit => "deconfliction_hit",
    SplitConsignment => "split_consignment",
});

/// Weight of each rule and the score at which a chain is flagged
/// automatically. Set in configuration (`[risk]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskWeights {
    pub controlled_chemical: f64,
    pub pill_press: f64,
    pub counterfeit_imprint: f64,
    pub misdeclaration: f64,
    pub transshipment: f64,
    pub marks_removed: f64,
    pub first_seen_consignor: f64,
    pub deconfliction_hit: f64,
    pub split_consignment: f64,
    pub auto_flag_threshold: f64,
}

impl RiskWeights {
    fn of(&self, code: IndicatorCode) -> f64 {
        match code {
            IndicatorCode::ControlledChemical => self.controlled_chemical,
            IndicatorCode::PillPress => self.pill_press,
            IndicatorCode::CounterfeitImprint => self.counterfeit_imprint,
            IndicatorCode::Misdeclaration => self.misdeclaration,
            IndicatorCode::Transshipment => self.transshipment,
            IndicatorCode::MarksRemoved => self.marks_removed,
            IndicatorCode::FirstSeenConsignor => self.first_seen_consignor,
            IndicatorCode::DeconflictionHit => self.deconfliction_hit,
            IndicatorCode::SplitConsignment => self.split_consignment,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub code: IndicatorCode,
    pub weight: f64,
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub score: f64,
    pub indicators: Vec<Indicator>,
}

impl Assessment {
    fn from(mut indicators: Vec<Indicator>) -> Self {
        indicators.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.code.cmp(&b.code)));
        let score = indicators.iter().map(|i| i.weight).sum::<f64>();
        Self {
            score: (score * 100.0).round() / 100.0,
            indicators,
        }
    }

    pub fn fired(&self, code: IndicatorCode) -> bool {
        self.indicators.iter().any(|i| i.code == code)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChemicalLine {
    pub name: String,
    pub control: ControlStatus,
    pub hs_code: Option<String>,
    pub quantity: f64,
    pub unit: Unit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EquipmentLine {
    pub kind: EquipmentKind,
    pub markings_removed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DieLine {
    pub imitated_product: Option<String>,
    pub imprint: String,
}

/// What the rules look at for one shipment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShipmentProfile {
    pub chemicals: Vec<ChemicalLine>,
    pub equipment: Vec<EquipmentLine>,
    pub dies: Vec<DieLine>,
    pub declared_description: Option<String>,
    pub declared_hs_code: Option<String>,
    /// Countries along the route: the first leg's start, then every leg's end.
    pub route: Vec<String>,
    /// The consignor appears on no earlier shipment.
    pub consignor_first_seen: bool,
    /// Another agency holds a record sharing one of this shipment's identifiers.
    pub deconfliction_hit: bool,
    /// Shipments that continue this one.
    pub onward_links: usize,
}

/// Words that describe innocuous goods, used to hide precursors and presses.
const COVER_TERMS: &[&str] = &[
    "dye",
    "pigment",
    "ink",
    "paint",
    "colorant",
    "colourant",
    "candy",
    "sugar",
    "food",
    "toy",
    "cosmetic",
    "supplement",
    "sample",
    "gift",
    "spare part",
    "machine part",
    "mold",
    "mould",
    "industrial",
    "household",
];

fn quantity_factor(line: &ChemicalLine) -> f64 {
    let amount = match line.unit {
        Unit::Gram | Unit::Millilitre => line.quantity / 1000.0,
        Unit::Kilogram | Unit::Litre => line.quantity,
    };
    if amount >= 10.0 {
        2.0
    } else if amount >= 1.0 {
        1.5
    } else {
        1.0
    }
}

fn control_label(control: ControlStatus) -> &'static str {
    match control {
        ControlStatus::ListI => "a List I chemical",
        ControlStatus::ListIi => "a List II chemical",
        ControlStatus::ScheduleIiImmediatePrecursor => "a Schedule II immediate precursor",
        ControlStatus::None => "an uncontrolled chemical",
    }
}

fn chapter(hs: &str) -> String {
    hs.chars().filter(char::is_ascii_digit).take(2).collect()
}

/// A rule that fired on a shipment, before weighting: what the rules found
/// does not depend on the configured weights, so it can be kept with the
/// shipment and weighed when read.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub code: IndicatorCode,
    /// Multiplies the rule's weight (larger quantities weigh more).
    pub factor: f64,
    pub sentence: String,
}

/// Assesses one shipment.
pub fn assess(profile: &ShipmentProfile, weights: &RiskWeights) -> Assessment {
    weigh(findings(profile), weights)
}

/// Weighs what the rules found on one shipment.
pub fn weigh(findings: Vec<Finding>, weights: &RiskWeights) -> Assessment {
    Assessment::from(
        findings
            .into_iter()
            .map(|f| Indicator {
                code: f.code,
                weight: weights.of(f.code) * f.factor,
                sentence: f.sentence,
            })
            .collect(),
    )
}

/// The rules that fire on one shipment.
pub fn findings(profile: &ShipmentProfile) -> Vec<Finding> {
    let mut fired = Vec::new();
    let mut fire = |code: IndicatorCode, factor: f64, sentence: String| {
        fired.push(Finding {
            code,
            factor,
            sentence,
        });
    };

    let controlled: Vec<&ChemicalLine> = profile
        .chemicals
        .iter()
        .filter(|c| c.control.is_controlled())
        .collect();
    if let Some(worst) = controlled
        .iter()
        .max_by(|a, b| quantity_factor(a).total_cmp(&quantity_factor(b)))
    {
        fire(
            IndicatorCode::ControlledChemical,
            quantity_factor(worst),
            format!(
                "Carries {} ({} {} of {}).",
                control_label(worst.control),
                worst.quantity,
                worst.unit.as_str(),
                worst.name
            ),
        );
    }
    let presses: Vec<&EquipmentLine> = profile
        .equipment
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EquipmentKind::TabletingMachine | EquipmentKind::EncapsulatingMachine
            )
        })
        .collect();
    if let Some(press) = presses.first() {
        fire(
            IndicatorCode::PillPress,
            1.0,
            format!("Carries a {}.", press.kind.as_str().replace('_', " ")),
        );
    }
    if let Some(die) = profile.dies.iter().find(|d| d.imitated_product.is_some()) {
        fire(
            IndicatorCode::CounterfeitImprint,
            1.0,
            format!(
                "Carries a die imprinted {} that imitates {}.",
                die.imprint,
                die.imitated_product.as_deref().unwrap_or_default()
            ),
        );
    }
    if let Some(sentence) = misdeclaration(profile, &controlled, !presses.is_empty()) {
        fire(IndicatorCode::Misdeclaration, 1.0, sentence);
    }
    if let (Some(origin), Some(destination)) = (profile.route.first(), profile.route.last()) {
        let third: Vec<&String> = profile.route[1..profile.route.len().saturating_sub(1).max(1)]
            .iter()
            .filter(|c| *c != origin && *c != destination)
            .collect();
        if let Some(via) = third.first() {
            fire(
                IndicatorCode::Transshipment,
                1.0,
                format!("Routed from {origin} to {destination} through {via}, a third country."),
            );
        }
    }
    if profile.equipment.iter().any(|e| e.markings_removed) {
        fire(
            IndicatorCode::MarksRemoved,
            1.0,
            "Equipment had its identifying marks removed.".into(),
        );
    }
    if profile.consignor_first_seen {
        fire(
            IndicatorCode::FirstSeenConsignor,
            1.0,
            "The consignor has not been seen on any earlier shipment.".into(),
        );
    }
    if profile.deconfliction_hit {
        fire(
            IndicatorCode::DeconflictionHit,
            1.0,
            "Another agency holds a record with one of this shipment's identifiers.".into(),
        );
    }
    if profile.onward_links > 1 {
        fire(
            IndicatorCode::SplitConsignment,
            1.0,
            format!(
                "The consignment was split into {} onward shipments.",
                profile.onward_links
            ),
        );
    }
    fired
}

fn misdeclaration(
    profile: &ShipmentProfile,
    controlled: &[&ChemicalLine],
    presses: bool,
) -> Option<String> {
    if controlled.is_empty() && !presses {
        return None;
    }
    let goods = if controlled.is_empty() {
        "a pill press"
    } else {
        "a controlled chemical"
    };
    if let Some(description) = &profile.declared_description {
        let lower = description.to_lowercase();
        if COVER_TERMS.iter().any(|t| lower.contains(t)) {
            return Some(format!("Declared as “{description}” but carries {goods}."));
        }
    }
    let declared = profile.declared_hs_code.as_deref().map(chapter)?;
    let mismatch = controlled
        .iter()
        .filter_map(|c| c.hs_code.as_deref().map(|hs| (c, chapter(hs))))
        .find(|(_, ch)| *ch != declared);
    mismatch.map(|(c, ch)| {
        format!(
            "Declared under HS chapter {declared}, but {} belongs in chapter {ch}.",
            c.name
        )
    })
}

/// Assesses a chain: each indicator once, at its highest weight among the
/// shipments, sentences naming how many shipments it fired on.
pub fn assess_chain(shipments: &[Assessment]) -> Assessment {
    let mut best: Vec<(Indicator, usize)> = Vec::new();
    for indicator in shipments.iter().flat_map(|a| &a.indicators) {
        match best.iter_mut().find(|(i, _)| i.code == indicator.code) {
            Some((kept, count)) => {
                *count += 1;
                if indicator.weight > kept.weight {
                    *kept = indicator.clone();
                }
            }
            None => best.push((indicator.clone(), 1)),
        }
    }
    Assessment::from(
        best.into_iter()
            .map(|(mut indicator, count)| {
                if count > 1 {
                    indicator.sentence = format!("{} (on {count} shipments)", indicator.sentence);
                }
                indicator
            })
            .collect(),
    )
}

/// Whether the system flags a chain after a write: its score has reached
/// the configured threshold, and no flag on it is still under way. The
/// answer is the flag's reason. `under_way` is asked only once the score is
/// reached (finding it out costs a query).
pub fn auto_flag<E>(
    chain: &Assessment,
    weights: &RiskWeights,
    under_way: impl FnOnce() -> Result<bool, E>,
) -> Result<Option<String>, E> {
    if chain.score < weights.auto_flag_threshold || under_way()? {
        return Ok(None);
    }
    Ok(Some(format!(
        "Risk score {} reached the threshold of {}",
        chain.score, weights.auto_flag_threshold
    )))
}

#[cfg(test)]
mod tests;
