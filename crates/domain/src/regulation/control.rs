//! Control as of a date: what a chemical was on the day of a shipment, by
//! its own listing or through the family a listing names.

use chrono::NaiveDate;
use serde::Serialize;

use super::citation::{Dated, Dating, InForce, Provenance};
use super::table::{ControlTable, Membership};
use super::threshold::Threshold;
use super::tier::{Derivative, Tier};

/// What the rules evaluate: a table row, or a catalogue chemical known only
/// as a member of a family ("a halide of 4-AP").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    pub name: String,
    /// The table row, when there is one.
    pub chemical: Option<String>,
    pub family: Option<Membership>,
}

impl Subject {
    pub fn family_member(name: &str, family: &str, derivative: Derivative) -> Self {
        Self {
            name: name.to_owned(),
            chemical: None,
            family: Some(Membership {
                family: family.to_owned(),
                derivative,
            }),
        }
    }
}

/// How a control reaches a chemical.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Basis {
    /// Listed or scheduled by name.
    Listed,
    /// Named only by a family listing.
    Family {
        family: String,
        family_name: String,
        derivative: Derivative,
    },
}

/// A chemical's control on a given day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ControlAt {
    Controlled {
        tier: Tier,
        /// The start of the unbroken run of this tier.
        since: Dating,
        basis: Basis,
        /// The act that started the run, e.g. "72 FR 20039, interim rule of 2007-04-23".
        citation: String,
        confirmed: bool,
    },
    /// Controlled only later: "not controlled then (List I from 2023-05-12)".
    NotYet {
        tier: Tier,
        from: NaiveDate,
    },
    /// A text shows control from `known_from`; earlier status was not read.
    Unknown {
        tier: Tier,
        known_from: NaiveDate,
    },
    Uncontrolled,
}

impl ControlAt {
    /// The tier in force, if the chemical was controlled that day.
    pub fn tier(&self) -> Option<Tier> {
        match self {
            Self::Controlled { tier, .. } => Some(*tier),
            _ => None,
        }
    }

    /// One sentence for a page or a finding.
    pub fn describe(&self) -> String {
        match self {
            Self::Controlled {
                tier,
                since,
                basis,
                citation,
                confirmed,
            } => {
                let how = match basis {
                    Basis::Listed => tier.label().to_owned(),
                    Basis::Family {
                        family_name,
                        derivative,
                        ..
                    } => format!(
                        "{} as {} of {family_name}",
                        tier.label(),
                        article(derivative.as_str())
                    ),
                };
                let unconfirmed = if *confirmed { "" } else { "; not confirmed" };
                format!("{how} {} ({citation}{unconfirmed})", since.describe_since())
            }
            Self::NotYet { tier, from } => {
                format!("not controlled then ({} from {from})", tier.label())
            }
            Self::Unknown { tier, known_from } => format!(
                "control then unknown ({} in force by {known_from}; earlier status not confirmed)",
                tier.label()
            ),
            Self::Uncontrolled => "not controlled".into(),
        }
    }
}

fn article(word: &str) -> String {
    let vowel = word.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {word}", if vowel { "an" } else { "a" })
}

/// One chain of dated controls reaching the subject.
struct Chain<'t> {
    basis: Basis,
    entries: Vec<(Tier, Dating, &'t Provenance)>,
}

impl ControlTable {
    /// The subject for a table row, with the family its row names.
    pub fn subject(&self, id: &str) -> Option<Subject> {
        self.chemical(id).map(|c| Subject {
            name: c.name.clone(),
            chemical: Some(c.id.clone()),
            family: c.family.clone(),
        })
    }

    fn chains(&self, subject: &Subject) -> Vec<Chain<'_>> {
        let mut chains = Vec::new();
        if let Some(chemical) = subject.chemical.as_deref().and_then(|id| self.chemical(id)) {
            chains.push(Chain {
                basis: Basis::Listed,
                entries: chemical
                    .controls
                    .iter()
                    .map(|c| (c.value, c.dating, &c.source))
                    .collect(),
            });
        }
        if let Some(m) = &subject.family {
            if let Some(family) = self.family(&m.family) {
                chains.push(Chain {
                    basis: Basis::Family {
                        family: family.id.clone(),
                        family_name: family.name.clone(),
                        derivative: m.derivative,
                    },
                    entries: family
                        .controls
                        .iter()
                        .filter(|c| c.value.derivatives.contains(&m.derivative))
                        .map(|c| (c.value.tier, c.dating, &c.source))
                        .collect(),
                });
            }
        }
        chains
    }

    /// The control in force on `day`. By name wins over a family when both
    /// apply, and the stricter tier over the weaker.
    pub fn control_at(&self, subject: &Subject, day: NaiveDate) -> ControlAt {
        let chains = self.chains(subject);
        let mut current: Option<ControlAt> = None;
        for chain in &chains {
            // Entries are oldest first: the last one in force is current.
            let Some(at) = chain
                .entries
                .iter()
                .rposition(|(_, dating, _)| dating.in_force_on(day) == InForce::Yes)
            else {
                continue;
            };
            let tier = chain.entries[at].0;
            let start = (0..=at)
                .rev()
                .take_while(|&i| chain.entries[i].0 == tier)
                .last()
                .unwrap_or(at);
            let (_, since, source) = chain.entries[start];
            let candidate = ControlAt::Controlled {
                tier,
                since,
                basis: chain.basis.clone(),
                citation: source.citation.short(),
                confirmed: source.confirmed && chain.entries[at].2.confirmed,
            };
            let better = match &current {
                Some(ControlAt::Controlled { tier: held, .. }) => tier > *held,
                _ => true,
            };
            if better {
                current = Some(candidate);
            }
        }
        current.unwrap_or_else(|| later(&chains, day))
    }

    /// The threshold in force on `day`: the chemical's own, else its family's.
    pub fn threshold_at(&self, subject: &Subject, day: NaiveDate) -> Option<&Dated<Threshold>> {
        let own = subject
            .chemical
            .as_deref()
            .and_then(|id| self.chemical(id))
            .map(|c| c.thresholds.as_slice())
            .unwrap_or_default();
        let family = subject
            .family
            .as_ref()
            .and_then(|m| self.family(&m.family))
            .map(|f| f.thresholds.as_slice())
            .unwrap_or_default();
        current_threshold(own, day).or_else(|| current_threshold(family, day))
    }
}

fn current_threshold(list: &[Dated<Threshold>], day: NaiveDate) -> Option<&Dated<Threshold>> {
    list.iter()
        .rev()
        .find(|t| t.dating.in_force_on(day) == InForce::Yes)
}

/// Not controlled on the day: controlled later, or unknown before a start
/// that could not be read, or never.
fn later(chains: &[Chain<'_>], day: NaiveDate) -> ControlAt {
    let upcoming = |pick: fn(Dating) -> Option<NaiveDate>| {
        chains
            .iter()
            .flat_map(|c| c.entries.iter())
            .filter_map(|(tier, dating, _)| pick(*dating).map(|d| (d, *tier)))
            .filter(|(d, _)| *d > day)
            .min_by_key(|(d, _)| *d)
    };
    let effective = upcoming(|d| match d {
        Dating::Effective(d) => Some(d),
        _ => None,
    });
    let seen = upcoming(|d| match d {
        Dating::InForceBy(d) => Some(d),
        _ => None,
    });
    match (effective, seen) {
        // In force by a day before any known start: it may already have been.
        (e, Some((known_from, tier))) if e.is_none_or(|(from, _)| known_from < from) => {
            ControlAt::Unknown { tier, known_from }
        }
        (Some((from, tier)), _) => ControlAt::NotYet { tier, from },
        _ => ControlAt::Uncontrolled,
    }
}
