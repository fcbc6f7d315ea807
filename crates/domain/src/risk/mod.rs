//! Risk indicators: explainable rules, each with a code, a weight from
//! configuration and a sentence a supervisor can read, computed for a
//! shipment and for a chain.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::chemical::ControlStatus;
use crate::choice;
use crate::equipment::EquipmentKind;
use crate::regulation::{
    self, Concentration, ControlAt, ControlTable, DeaTransaction, Direction, ObligationReport,
    OtherLine, Quantity, RegulatoryCode, RegulatoryFinding, RegulatoryWeights, Subject, Tier,
};
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
    ThresholdExceeded => "threshold_exceeded",
    CumulativeThreshold => "cumulative_threshold",
    UnlistedFamilyMember => "unlisted_family_member",
    CounterfeitPill => "counterfeit_pill",
    MissingDeaNotice => "missing_dea_notice",
    LateDeaNotice => "late_dea_notice",
    SanctionedParty => "sanctioned_party",
});

impl IndicatorCode {
    fn regulatory(code: RegulatoryCode) -> Self {
        match code {
            RegulatoryCode::ControlledChemical => Self::ControlledChemical,
            RegulatoryCode::ThresholdExceeded => Self::ThresholdExceeded,
            RegulatoryCode::CumulativeThreshold => Self::CumulativeThreshold,
            RegulatoryCode::UnlistedFamilyMember => Self::UnlistedFamilyMember,
            RegulatoryCode::CounterfeitPill => Self::CounterfeitPill,
            RegulatoryCode::MissingDeaNotice => Self::MissingDeaNotice,
            RegulatoryCode::LateDeaNotice => Self::LateDeaNotice,
        }
    }
}

/// Weight of each rule and the score at which a chain is flagged
/// automatically. Set in configuration (`[risk]`); the weights that follow
/// the law (per control tier, and the regulatory indicators) are in
/// `[risk.regulation]`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskWeights {
    pub pill_press: f64,
    pub counterfeit_imprint: f64,
    pub misdeclaration: f64,
    pub transshipment: f64,
    pub marks_removed: f64,
    pub first_seen_consignor: f64,
    pub deconfliction_hit: f64,
    pub split_consignment: f64,
    /// A party on the shipment screens as a listed entry of a sanctions
    /// list (a hit at or above the threshold, not disposed of).
    #[serde(default = "default_sanctioned_party")]
    pub sanctioned_party: f64,
    pub auto_flag_threshold: f64,
    #[serde(default)]
    pub regulation: RegulatoryWeights,
}

fn default_sanctioned_party() -> f64 {
    60.0
}

impl RiskWeights {
    /// The weight of one finding before its factor: a controlled chemical
    /// weighs its tier's weight (none recorded: nothing).
    fn of(&self, code: IndicatorCode, tier: Option<Tier>) -> f64 {
        let law = &self.regulation;
        match code {
            IndicatorCode::ControlledChemical => tier.map_or(0.0, |t| law.tier(t)),
            IndicatorCode::ThresholdExceeded => law.threshold_exceeded,
            IndicatorCode::CumulativeThreshold => law.cumulative_threshold,
            IndicatorCode::UnlistedFamilyMember => law.unlisted_family_member,
            IndicatorCode::CounterfeitPill => law.counterfeit_pill,
            IndicatorCode::MissingDeaNotice => law.missing_dea_notice,
            IndicatorCode::LateDeaNotice => law.late_dea_notice,
            IndicatorCode::PillPress => self.pill_press,
            IndicatorCode::CounterfeitImprint => self.counterfeit_imprint,
            IndicatorCode::Misdeclaration => self.misdeclaration,
            IndicatorCode::Transshipment => self.transshipment,
            IndicatorCode::MarksRemoved => self.marks_removed,
            IndicatorCode::FirstSeenConsignor => self.first_seen_consignor,
            IndicatorCode::DeconflictionHit => self.deconfliction_hit,
            IndicatorCode::SplitConsignment => self.split_consignment,
            IndicatorCode::SanctionedParty => self.sanctioned_party,
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

/// A chemical line as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChemicalLine {
    /// The catalogue entry.
    pub id: Uuid,
    pub name: String,
    /// Its row (or family) in the rules table (`reference/controls.toml`),
    /// found by CAS number; `None` for a chemical the table does not know.
    pub subject: Option<Subject>,
    /// The control the catalogue entry records: used only when the table
    /// does not know the chemical, as it has no date nor citation.
    pub recorded: ControlStatus,
    pub hs_code: Option<String>,
    pub quantity: Quantity,
    pub concentration: Option<Concentration>,
    /// The same chemical on the consignee's other shipments of the same
    /// calendar month, for `cumulative_threshold`.
    pub month: Vec<OtherLine>,
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
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentProfile {
    /// The shipment's date: controls, thresholds and rules are taken as of it.
    pub day: NaiveDate,
    /// Into the United States, out of it, or within it.
    pub direction: Direction,
    pub chemicals: Vec<ChemicalLine>,
    pub equipment: Vec<EquipmentLine>,
    pub dies: Vec<DieLine>,
    /// Finished pills or powder, with what a laboratory found in them.
    pub products: Vec<regulation::ProductLine>,
    pub declared_description: Option<String>,
    pub declared_hs_code: Option<String>,
    /// Countries along the route: the first leg's start, then every leg's end.
    pub route: Vec<String>,
    /// The consignor appears on no earlier shipment.
    pub consignor_first_seen: bool,
    /// Another agency holds a record sharing one of this shipment's identifiers.
    pub deconfliction_hit: bool,
    /// Parties on the shipment that screen as a listed sanctions entry:
    /// one sentence each, naming the listed name, score and list date.
    pub sanctioned_parties: Vec<String>,
    /// Shipments that continue this one.
    pub onward_links: usize,
    /// Recorded as a suspicious order.
    pub suspicious_order: bool,
    /// DEA forms filed and the release or transaction date.
    pub dea: DeaTransaction,
}

impl Default for ShipmentProfile {
    fn default() -> Self {
        Self {
            day: NaiveDate::default(),
            direction: Direction::Import,
            chemicals: Vec::new(),
            equipment: Vec::new(),
            dies: Vec::new(),
            products: Vec::new(),
            declared_description: None,
            declared_hs_code: None,
            route: Vec::new(),
            consignor_first_seen: false,
            deconfliction_hit: false,
            sanctioned_parties: Vec::new(),
            onward_links: 0,
            suspicious_order: false,
            dea: DeaTransaction::default(),
        }
    }
}

impl ShipmentProfile {
    fn regulated_lines(&self) -> Vec<regulation::ChemicalLine> {
        self.chemicals
            .iter()
            .filter_map(|c| {
                Some(regulation::ChemicalLine {
                    subject: c.subject.clone()?,
                    quantity: c.quantity,
                    concentration: c.concentration,
                })
            })
            .collect()
    }

    fn machines(&self) -> usize {
        self.equipment
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EquipmentKind::TabletingMachine | EquipmentKind::EncapsulatingMachine
                )
            })
            .count()
    }
}

/// The DEA filing obligations of a shipment and their status on `today`
/// (`regulation::obligations`, with the bundled tables).
pub fn obligations_of(profile: &ShipmentProfile, today: NaiveDate) -> ObligationReport {
    obligations_under(regulation::controls(), profile, today)
}

fn obligations_under(
    table: &ControlTable,
    profile: &ShipmentProfile,
    today: NaiveDate,
) -> ObligationReport {
    let chemicals = profile.regulated_lines();
    let facts = regulation::ShipmentFacts {
        day: profile.day,
        direction: profile.direction,
        suspicious_order: profile.suspicious_order,
        chemicals: &chemicals,
        machines: profile.machines(),
        dea: &profile.dea,
    };
    regulation::obligations(table, regulation::filing_rules(), &facts, today)
}

/// `missing_dea_notice` and `late_dea_notice`, judged as of the release or
/// transaction date (else the shipment's date), not as of the day they are
/// computed: a notice due before the release is missing or late for good
/// once the release is recorded, so the finding can be kept. A filing due
/// after the event and not yet made shows on the obligations, not here.
fn notice_findings(table: &ControlTable, profile: &ShipmentProfile) -> Vec<Finding> {
    if profile.dea.filings.is_empty() && profile.dea.event_date.is_none() {
        return Vec::new();
    }
    let as_of = profile.dea.event_date.unwrap_or(profile.day);
    regulation::notice_findings(&obligations_under(table, profile, as_of))
        .into_iter()
        .map(Finding::regulatory)
        .collect()
}

/// The threshold direction of a route (countries, first to last): into the
/// United States, out of it, or within it. A route that touches it nowhere
/// is taken as an import, the strictest reading for what Interdict tracks.
pub fn direction(route: &[String]) -> Direction {
    let us = |c: Option<&String>| c.is_some_and(|c| c == "US");
    match (us(route.first()), us(route.last())) {
        (true, true) => Direction::Domestic,
        (true, false) => Direction::Export,
        _ => Direction::Import,
    }
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

/// A chemical the rules table does not know weighs its recorded tier by
/// mass alone, as the old rule did: without a density a volume is not
/// weighed, and says so.
fn recorded_factor(quantity: Quantity) -> (f64, &'static str) {
    let kg = match quantity.unit {
        Unit::Gram => quantity.amount / 1000.0,
        Unit::Kilogram => quantity.amount,
        Unit::Millilitre | Unit::Litre => {
            return (
                1.0,
                " Its volume is not weighed: the table records no density.",
            )
        }
    };
    let factor = if kg >= 10.0 {
        2.0
    } else if kg >= 1.0 {
        1.5
    } else {
        1.0
    };
    (factor, "")
}

fn recorded_tier(control: ControlStatus) -> Option<Tier> {
    match control {
        ControlStatus::ListI => Some(Tier::ListI),
        ControlStatus::ListIi => Some(Tier::ListIi),
        ControlStatus::ScheduleIiImmediatePrecursor => Some(Tier::ScheduleIiImmediatePrecursor),
        ControlStatus::None => None,
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
    /// For `controlled_chemical`: the control tier on the shipment's date,
    /// whose weight it carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Multiplies the rule's weight (larger quantities weigh more).
    pub factor: f64,
    pub sentence: String,
}

/// Assesses one shipment.
pub fn assess(profile: &ShipmentProfile, weights: &RiskWeights) -> Assessment {
    weigh(findings(profile), weights)
}

/// Weighs what the rules found on one shipment. A rule that fired on
/// several lines counts once, at its heaviest, and says how many more
/// lines it fired on: a shipment is as suspicious as its worst line, and
/// a chain counts each rule once the same way.
pub fn weigh(findings: Vec<Finding>, weights: &RiskWeights) -> Assessment {
    let mut best: Vec<(Indicator, usize)> = Vec::new();
    for f in findings {
        let indicator = Indicator {
            code: f.code,
            weight: weights.of(f.code, f.tier) * f.factor,
            sentence: f.sentence,
        };
        match best.iter_mut().find(|(i, _)| i.code == indicator.code) {
            Some((kept, more)) => {
                *more += 1;
                if indicator.weight > kept.weight {
                    *kept = indicator;
                }
            }
            None => best.push((indicator, 0)),
        }
    }
    Assessment::from(
        best.into_iter()
            .map(|(mut indicator, more)| {
                if more > 0 {
                    indicator.sentence =
                        format!("{} (and {more} lighter line(s))", indicator.sentence);
                }
                indicator
            })
            .collect(),
    )
}

impl Finding {
    fn regulatory(f: RegulatoryFinding) -> Self {
        Self {
            code: IndicatorCode::regulatory(f.code),
            tier: f.tier,
            factor: f.factor,
            sentence: f.sentence,
        }
    }
}

/// A chemical line's control on the shipment's date, for a page or the API:
/// "4-piperidone: not controlled then (List I from 2023-05-12)."
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineControl {
    pub chemical_id: Uuid,
    pub name: String,
    /// The tier in force on the shipment's date, if any.
    pub tier: Option<Tier>,
    pub explanation: String,
}

/// The control of each chemical line on the shipment's date.
pub fn line_controls(profile: &ShipmentProfile) -> Vec<LineControl> {
    let table = regulation::controls();
    profile
        .chemicals
        .iter()
        .map(|line| {
            let (tier, explanation) = match &line.subject {
                Some(subject) => {
                    let control = table.control_at(subject, profile.day);
                    let text = format!("{}: {} on {}.", line.name, control.describe(), profile.day);
                    (control.tier(), text)
                }
                None => {
                    let tier = recorded_tier(line.recorded);
                    let text = match tier {
                        Some(t) => format!(
                            "{}: {} as recorded in the catalogue; the rules table has no entry for it, so no date or citation.",
                            line.name,
                            t.label()
                        ),
                        None => format!("{}: not controlled.", line.name),
                    };
                    (tier, text)
                }
            };
            LineControl {
                chemical_id: line.id,
                name: line.name.clone(),
                tier,
                explanation,
            }
        })
        .collect()
}

/// What the regulatory rules find on the chemical lines, and the lines
/// controlled on the shipment's date.
fn chemical_findings<'p>(
    table: &ControlTable,
    profile: &'p ShipmentProfile,
    fired: &mut Vec<Finding>,
) -> Vec<&'p ChemicalLine> {
    let mut controlled = Vec::new();
    for line in &profile.chemicals {
        match &line.subject {
            Some(subject) => {
                let regulated = regulation::ChemicalLine {
                    subject: subject.clone(),
                    quantity: line.quantity,
                    concentration: line.concentration,
                };
                let assessed =
                    regulation::assess_line(table, &regulated, profile.day, profile.direction);
                if matches!(assessed.control, ControlAt::Controlled { .. }) {
                    controlled.push(line);
                }
                fired.extend(assessed.findings.into_iter().map(Finding::regulatory));
                fired.extend(
                    regulation::cumulative_threshold(
                        table,
                        &regulated,
                        profile.day,
                        profile.direction,
                        &line.month,
                    )
                    .map(Finding::regulatory),
                );
            }
            None => {
                let Some(tier) = recorded_tier(line.recorded) else {
                    continue;
                };
                controlled.push(line);
                let (factor, volume) = recorded_factor(line.quantity);
                fired.push(Finding {
                    code: IndicatorCode::ControlledChemical,
                    tier: Some(tier),
                    factor,
                    sentence: format!(
                        "Carries {} of {}: {} as recorded in the catalogue; the rules table has no entry for it, so no date, threshold or citation applies.{volume}",
                        line.quantity,
                        line.name,
                        tier.label()
                    ),
                });
            }
        }
    }
    controlled
}

/// The rules that fire on one shipment, against the bundled rules table.
pub fn findings(profile: &ShipmentProfile) -> Vec<Finding> {
    findings_under(regulation::controls(), profile)
}

/// The rules that fire on one shipment, against `table`.
pub fn findings_under(table: &ControlTable, profile: &ShipmentProfile) -> Vec<Finding> {
    let mut fired = Vec::new();
    let controlled = chemical_findings(table, profile, &mut fired);
    fired.extend(notice_findings(table, profile));
    fired.extend(
        profile
            .products
            .iter()
            .filter_map(|p| regulation::counterfeit_pill(table, p, profile.day))
            .map(Finding::regulatory),
    );
    let mut fire = |code: IndicatorCode, factor: f64, sentence: String| {
        fired.push(Finding {
            code,
            tier: None,
            factor,
            sentence,
        });
    };
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
    for sentence in &profile.sanctioned_parties {
        fire(IndicatorCode::SanctionedParty, 1.0, sentence.clone());
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
