//! DEA filing obligations of one shipment and their statutory clocks: which
//! rules applied on the shipment's date, what was due and when, and whether
//! it was met, late, missing or not yet due.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::citation::InForce;
use super::filing::{Applicability, Clock, DeaForm, FilingRule, FilingRules};
use super::findings::{assess_line, ChemicalLine, RegulatoryCode, RegulatoryFinding};
use super::table::ControlTable;
use super::threshold::{Comparison, Direction};
use crate::choice;

/// A filing made with DEA for the shipment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeaFiling {
    pub form: DeaForm,
    pub transaction_id: Option<String>,
    pub filed_on: NaiveDate,
}

/// The shipment's DEA transaction details.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct DeaTransaction {
    pub filings: Vec<DeaFiling>,
    /// Release by customs (import/export) or the transaction (domestic).
    pub event_date: Option<NaiveDate>,
}

/// What the obligations depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentFacts<'a> {
    /// The shipment's date: controls and rules are taken as of it.
    pub day: NaiveDate,
    pub direction: Direction,
    /// Recorded as a suspicious order.
    pub suspicious_order: bool,
    pub chemicals: &'a [ChemicalLine],
    /// Tableting and encapsulating machines on the shipment.
    pub machines: usize,
    pub dea: &'a DeaTransaction,
}

choice!(ObligationStatus {
    Met => "met",
    Late => "late",
    Missing => "missing",
    NotYetDue => "not_yet_due",
});

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Obligation {
    pub rule: String,
    pub citation: String,
    /// "DEA Form 486 import declaration for 4-anilinopiperidine, 15 days before release…"
    pub what: String,
    pub due: Option<NaiveDate>,
    pub status: ObligationStatus,
    pub explanation: String,
    /// False when the rule or its clock could not be confirmed in the regulation.
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ObligationReport {
    pub obligations: Vec<Obligation>,
    /// Rules that may apply but could not be decided, and why.
    pub undetermined: Vec<String>,
}

/// Every obligation that applies to the shipment, evaluated on `today`.
pub fn obligations(
    table: &ControlTable,
    rules: &FilingRules,
    shipment: &ShipmentFacts<'_>,
    today: NaiveDate,
) -> ObligationReport {
    let mut report = ObligationReport::default();
    let (regulated, undetermined) = regulated_chemicals(table, shipment);
    report.undetermined = undetermined;
    for rule in rules.rules() {
        let subject = match rule.applies_to {
            Applicability::ListedChemicalImport if shipment.direction == Direction::Import => {
                names(&regulated)
            }
            Applicability::ListedChemicalExport if shipment.direction == Direction::Export => {
                names(&regulated)
            }
            Applicability::SuspiciousOrder if shipment.suspicious_order => names(&regulated),
            Applicability::MachineImport if shipment.direction == Direction::Import => {
                machines(shipment.machines)
            }
            Applicability::MachineExport if shipment.direction == Direction::Export => {
                machines(shipment.machines)
            }
            Applicability::MachineDomestic if shipment.direction == Direction::Domestic => {
                machines(shipment.machines)
            }
            _ => None,
        };
        let Some(subject) = subject else { continue };
        match rule.dating.in_force_on(shipment.day) {
            InForce::Yes => report
                .obligations
                .push(evaluate(rule, &subject, shipment.dea, today)),
            InForce::Unknown if rule.dating.date().is_some() => report.undetermined.push(format!(
                "{} ({}): in force by {}, but whether it applied on {} was not confirmed.",
                rule.name,
                rule.source.citation.short(),
                rule.dating
                    .date()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                shipment.day
            )),
            // Not yet in effect, or pending with no effective date.
            _ => {}
        }
    }
    report
}

fn names(regulated: &[String]) -> Option<String> {
    (!regulated.is_empty()).then(|| regulated.join(", "))
}

fn machines(count: usize) -> Option<String> {
    match count {
        0 => None,
        1 => Some("a tableting or encapsulating machine".into()),
        n => Some(format!("{n} tableting or encapsulating machines")),
    }
}

/// Lines that were listed chemicals on the day and met their threshold (or
/// had none): the regulated transactions that filings concern.
fn regulated_chemicals(
    table: &ControlTable,
    shipment: &ShipmentFacts<'_>,
) -> (Vec<String>, Vec<String>) {
    let mut regulated = Vec::new();
    let mut undetermined = Vec::new();
    for line in shipment.chemicals {
        let assessed = assess_line(table, line, shipment.day, shipment.direction);
        if !assessed
            .control
            .tier()
            .is_some_and(|t| t.is_listed_chemical())
        {
            if let super::control::ControlAt::Unknown { .. } = assessed.control {
                undetermined.push(format!(
                    "{} Filings for it could not be decided.",
                    assessed.explanation
                ));
            }
            continue;
        }
        match assessed.comparison {
            Some(Ok(Comparison::AnyQuantity)) => regulated.push(line.subject.name.clone()),
            Some(Ok(Comparison::Multiple { multiple, .. })) if multiple >= 1.0 => {
                regulated.push(line.subject.name.clone())
            }
            Some(Ok(Comparison::Multiple { .. })) => {}
            Some(Err(e)) => undetermined.push(format!(
                "{}: {}; whether a filing was required could not be decided.",
                line.subject.name, e.reason
            )),
            None => undetermined.push(format!(
                "{}: no threshold is recorded for {}; whether a filing was required could not be decided.",
                line.subject.name, shipment.day
            )),
        }
    }
    (regulated, undetermined)
}

fn evaluate(
    rule: &FilingRule,
    subject: &str,
    dea: &DeaTransaction,
    today: NaiveDate,
) -> Obligation {
    let days = Days::new(u64::from(rule.days));
    let due = dea.event_date.and_then(|event| match rule.clock {
        Clock::BeforeEvent => event.checked_sub_days(days),
        Clock::AfterEvent => event.checked_add_days(days),
    });
    let of_form = || dea.filings.iter().filter(|f| f.form == rule.form);
    let counted = of_form()
        .filter(|f| !rule.transaction_id || f.transaction_id.is_some())
        .min_by_key(|f| f.filed_on);
    let when = match rule.clock {
        Clock::BeforeEvent => "before",
        Clock::AfterEvent => "after",
    };
    let what = format!(
        "{} for {subject}, {} calendar days {when} {}",
        rule.form.label(),
        rule.days,
        rule.event
    );
    let (status, explanation) = match (counted, due) {
        (Some(f), Some(due)) if f.filed_on <= due => (
            ObligationStatus::Met,
            format!("Filed {}, on or before {due}.", f.filed_on),
        ),
        (Some(f), Some(due)) => (
            ObligationStatus::Late,
            format!(
                "Filed {}, {} days after it was due on {due}.",
                f.filed_on,
                (f.filed_on - due).num_days()
            ),
        ),
        (Some(f), None) => (
            ObligationStatus::Met,
            format!(
                "Filed {}; timeliness not checked: the date of {} is not recorded.",
                f.filed_on, rule.event
            ),
        ),
        (None, Some(due)) if today <= due => (
            ObligationStatus::NotYetDue,
            format!("Not filed yet; due {due}."),
        ),
        (None, Some(due)) => (
            ObligationStatus::Missing,
            match of_form().next() {
                Some(f) => format!(
                    "Filed {} but no DEA transaction identification number is recorded; due {due}.",
                    f.filed_on
                ),
                None => format!("Not filed; it was due {due}."),
            },
        ),
        (None, None) => (
            ObligationStatus::NotYetDue,
            format!(
                "Not filed; the due date cannot be set until the date of {} is recorded.",
                rule.event
            ),
        ),
    };
    let confirmed = rule.source.confirmed;
    let caveat = if confirmed {
        ""
    } else {
        " (The rule or its clock is not confirmed in the regulation.)"
    };
    Obligation {
        rule: rule.id.clone(),
        citation: rule.source.citation.short(),
        what,
        due,
        status,
        explanation: format!("{explanation}{caveat}"),
        confirmed,
    }
}

/// `missing_dea_notice` and `late_dea_notice` from a shipment's obligations.
pub fn notice_findings(report: &ObligationReport) -> Vec<RegulatoryFinding> {
    report
        .obligations
        .iter()
        .filter_map(|o| {
            let code = match o.status {
                ObligationStatus::Missing => RegulatoryCode::MissingDeaNotice,
                ObligationStatus::Late => RegulatoryCode::LateDeaNotice,
                ObligationStatus::Met | ObligationStatus::NotYetDue => return None,
            };
            Some(RegulatoryFinding {
                code,
                tier: None,
                factor: 1.0,
                sentence: format!("{} ({}): {}", o.what, o.citation, o.explanation),
            })
        })
        .collect()
}
