//! Regulatory indicators on chemical lines, each a pure function with an
//! explanation a supervisor can read: the line's control at the shipment's
//! date, its quantity against its threshold, the month's total to one
//! consignee, and control that rests only on a family listing.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::control::{Basis, ControlAt, Subject};
use super::quantity::{content, format_grams, Concentration, Content, Quantity};
use super::table::ControlTable;
use super::threshold::{compare, format_multiple, Comparison, Direction, Threshold, Unmeasurable};
use super::tier::Tier;
use crate::choice;

choice!(RegulatoryCode {
    ControlledChemical => "controlled_chemical",
    ThresholdExceeded => "threshold_exceeded",
    CumulativeThreshold => "cumulative_threshold",
    UnlistedFamilyMember => "unlisted_family_member",
    CounterfeitPill => "counterfeit_pill",
    MissingDeaNotice => "missing_dea_notice",
    LateDeaNotice => "late_dea_notice",
});

/// A rule that fired, before weighting (see `RegulatoryWeights::weight`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegulatoryFinding {
    pub code: RegulatoryCode,
    /// The control tier, for `controlled_chemical`, whose weight is the tier's.
    pub tier: Option<Tier>,
    /// Multiplies the weight: the quantity's share of the finding.
    pub factor: f64,
    pub sentence: String,
}

/// One chemical line of a shipment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChemicalLine {
    pub subject: Subject,
    pub quantity: Quantity,
    pub concentration: Option<Concentration>,
}

/// What the rules made of one chemical line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineAssessment {
    pub control: ControlAt,
    /// Against the threshold in force, when the line was controlled.
    pub comparison: Option<Result<Comparison, Unmeasurable>>,
    pub findings: Vec<RegulatoryFinding>,
    /// "4-piperidone: not controlled then (List I from 2023-05-12)."
    pub explanation: String,
}

/// A line's share of its tier's weight, from its quantity against its
/// threshold. Below the threshold the transaction is not regulated, so the
/// line weighs its fraction; above it, each tenfold adds half, up to double.
fn multiple_factor(multiple: f64) -> f64 {
    if multiple < 1.0 {
        multiple
    } else {
        (1.0 + 0.5 * multiple.log10()).min(2.0)
    }
}

/// Without a threshold every quantity is regulated, so any amount weighs in
/// full; kilograms of a fentanyl precursor make hundreds of thousands of
/// doses, so 1 kg and 10 kg weigh more.
fn any_quantity_factor(grams: Option<f64>) -> f64 {
    match grams {
        Some(g) if g >= 10_000.0 => 2.0,
        Some(g) if g >= 1_000.0 => 1.5,
        _ => 1.0,
    }
}

fn weighed(table: &ControlTable, line: &ChemicalLine) -> Content {
    let density = line
        .subject
        .chemical
        .as_deref()
        .and_then(|id| table.chemical(id))
        .and_then(|c| c.density.as_ref());
    content(line.quantity, line.concentration, density)
}

fn amount_text(line: &ChemicalLine, content: &Content) -> String {
    let of = match line.concentration {
        Some(c) => format!("{} at {c}", line.quantity),
        None => line.quantity.to_string(),
    };
    match (content.grams, line.concentration) {
        (Some(g), Some(_)) => format!("{of} ({} of the chemical)", format_grams(g)),
        _ => of,
    }
}

/// Assesses one line at the shipment's date: `controlled_chemical` weighted by
/// tier and quantity, with `threshold_exceeded` and `unlisted_family_member`.
pub fn assess_line(
    table: &ControlTable,
    line: &ChemicalLine,
    day: NaiveDate,
    direction: Direction,
) -> LineAssessment {
    let name = &line.subject.name;
    let control = table.control_at(&line.subject, day);
    let Some(tier) = control.tier() else {
        return LineAssessment {
            explanation: format!("{name}: {}.", control.describe()),
            control,
            comparison: None,
            findings: Vec::new(),
        };
    };
    let content = weighed(table, line);
    let amount = amount_text(line, &content);
    let threshold = table.threshold_at(&line.subject, day);
    let comparison = threshold.map(|t| compare(&t.value, direction, &content, name));
    let unconfirmed = threshold.is_some_and(|t| !t.source.confirmed);
    let caveat = if unconfirmed {
        " The threshold is not confirmed in the regulation."
    } else {
        ""
    };
    // Undiluted is assumed only where it changes the measure.
    let neat = match &comparison {
        Some(Ok(Comparison::Multiple { .. })) if content.assumed_neat => {
            " No concentration is recorded, so it is counted as undiluted."
        }
        _ => "",
    };
    let (factor, measure) = match &comparison {
        Some(Ok(Comparison::AnyQuantity)) => (
            any_quantity_factor(content.grams),
            "it has no threshold: any quantity is regulated".to_owned(),
        ),
        Some(Ok(Comparison::Multiple {
            multiple,
            threshold,
        })) => (
            multiple_factor(*multiple),
            format!("{} {threshold}", format_multiple(*multiple)),
        ),
        Some(Err(e)) => (1.0, e.reason.clone()),
        None => (1.0, "no threshold is recorded for that date".to_owned()),
    };
    let mut findings = vec![RegulatoryFinding {
        code: RegulatoryCode::ControlledChemical,
        tier: Some(tier),
        factor,
        sentence: format!(
            "Carries {amount} of {name}: {}; {measure}.{caveat}{neat}",
            control.describe()
        ),
    }];
    if let Some(Ok(c)) = &comparison {
        findings.extend(exceeded(name, &amount, c, caveat));
    }
    findings.extend(unlisted_family_member(table, &line.subject, day));
    let explanation = format!("{name}: {}.", control.describe());
    LineAssessment {
        control,
        comparison,
        findings,
        explanation,
    }
}

/// `threshold_exceeded`: a single line, controlled on the day, at or over its
/// threshold in the shipment's direction.
pub fn threshold_exceeded(
    table: &ControlTable,
    line: &ChemicalLine,
    day: NaiveDate,
    direction: Direction,
) -> Option<RegulatoryFinding> {
    assess_line(table, line, day, direction)
        .findings
        .into_iter()
        .find(|f| f.code == RegulatoryCode::ThresholdExceeded)
}

fn exceeded(
    name: &str,
    amount: &str,
    comparison: &Comparison,
    caveat: &str,
) -> Option<RegulatoryFinding> {
    match comparison {
        Comparison::Multiple {
            multiple,
            threshold,
        } if *multiple >= 1.0 => Some(RegulatoryFinding {
            code: RegulatoryCode::ThresholdExceeded,
            tier: None,
            factor: 1.0,
            sentence: format!(
                "{amount} of {name} is {} {threshold} (21 CFR 1310.04).{caveat}",
                format_multiple(*multiple)
            ),
        }),
        _ => None,
    }
}

/// `unlisted_family_member`: controlled that day only because a family
/// listing names its kind of derivative, not by its own name.
pub fn unlisted_family_member(
    table: &ControlTable,
    subject: &Subject,
    day: NaiveDate,
) -> Option<RegulatoryFinding> {
    match table.control_at(subject, day) {
        ControlAt::Controlled {
            basis:
                Basis::Family {
                    family_name,
                    derivative,
                    ..
                },
            citation,
            ..
        } => Some(RegulatoryFinding {
            code: RegulatoryCode::UnlistedFamilyMember,
            tier: None,
            factor: 1.0,
            sentence: format!(
                "{} is controlled only as a {derivative} of {family_name} ({citation}), not by its own name: a designer precursor.",
                subject.name
            ),
        }),
        _ => None,
    }
}

/// Another line of the same chemical to the same consignee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherLine {
    pub day: NaiveDate,
    pub quantity: Quantity,
    pub concentration: Option<Concentration>,
}

/// `cumulative_threshold`: a line below its threshold that, with the
/// consignee's earlier lines of the same calendar month, reaches it
/// (21 CFR 1310.04(f)). `others` are the consignee's other lines of the same
/// chemical (the caller picks them: one consignee, or one party profile);
/// those later in the month are not counted, so the indicator fires on the
/// shipment that crossed the threshold. The month's total is compared with
/// this line's direction's threshold.
pub fn cumulative_threshold(
    table: &ControlTable,
    line: &ChemicalLine,
    day: NaiveDate,
    direction: Direction,
    others: &[OtherLine],
) -> Option<RegulatoryFinding> {
    let name = &line.subject.name;
    table.control_at(&line.subject, day).tier()?;
    let threshold = table.threshold_at(&line.subject, day)?;
    let Threshold::Amount {
        cumulative: true, ..
    } = threshold.value
    else {
        return None;
    };
    let kg = threshold.value.limit(direction)?.kg?;
    let this = weighed(table, line).grams?;
    if this >= kg * 1000.0 {
        return None;
    }
    let month = (day.year(), day.month());
    let mut total = this;
    let mut counted = 1;
    let mut unweighed = 0;
    for other in others
        .iter()
        .filter(|o| (o.day.year(), o.day.month()) == month && o.day <= day)
    {
        let same = ChemicalLine {
            subject: line.subject.clone(),
            quantity: other.quantity,
            concentration: other.concentration,
        };
        match weighed(table, &same).grams {
            Some(g) => {
                total += g;
                counted += 1;
            }
            None => unweighed += 1,
        }
    }
    let multiple = total / (kg * 1000.0);
    if multiple < 1.0 {
        return None;
    }
    let skipped = match unweighed {
        0 => String::new(),
        n => format!(" {n} other line(s) could not be weighed and are not counted."),
    };
    let caveat = if threshold.source.confirmed {
        ""
    } else {
        " The threshold is not confirmed in the regulation."
    };
    Some(RegulatoryFinding {
        code: RegulatoryCode::CumulativeThreshold,
        tier: None,
        factor: 1.0,
        sentence: format!(
            "{counted} shipments of {name} to this consignee in {}-{:02} total {}, {} the {} {} threshold, which is cumulative over a calendar month (21 CFR 1310.04(f)).{skipped}{caveat}",
            month.0,
            month.1,
            format_grams(total),
            format_multiple(multiple),
            format_grams(kg * 1000.0),
            direction.threshold_name(),
        ),
    })
}
