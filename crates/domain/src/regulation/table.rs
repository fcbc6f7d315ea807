//! The controls table: chemicals, drugs and families, each with its dated,
//! cited control history, thresholds and UN table.

use serde::Serialize;

use super::citation::Dated;
use super::quantity::Density;
use super::threshold::Threshold;
use super::tier::{ChemicalKind, Derivative, Tier};
use crate::chemical::{CasNumber, UnTable};

/// A value with whether it was confirmed in the regulation, and from where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact<T> {
    pub value: T,
    pub confirmed: bool,
    pub source: Option<String>,
    pub note: Option<String>,
}

/// A chemical named by a family listing ("a carbamate of 4-AP").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub family: String,
    pub derivative: Derivative,
}

/// A family control: the tier it gives, and the derivative kinds it names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyControl {
    pub tier: Tier,
    pub derivatives: Vec<Derivative>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Family {
    pub id: String,
    pub name: String,
    /// The chemical whose name the family carries.
    pub head: Option<String>,
    /// Oldest first.
    pub controls: Vec<Dated<FamilyControl>>,
    pub thresholds: Vec<Dated<Threshold>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chemical {
    pub id: String,
    pub name: String,
    pub synonyms: Vec<String>,
    /// None only for a class of substances.
    #[serde(serialize_with = "cas_text")]
    pub cas: Option<CasNumber>,
    pub kind: ChemicalKind,
    /// "fentanyl" for fentanyl and its related substances.
    pub class: Option<String>,
    /// DEA chemical or drug code (21 CFR 1310.02, 1308).
    pub dea_code: Option<Fact<u32>>,
    pub hs: Option<Fact<String>>,
    pub density: Option<Density>,
    pub family: Option<Membership>,
    /// Controls by name, oldest first.
    pub controls: Vec<Dated<Tier>>,
    pub thresholds: Vec<Dated<Threshold>>,
    pub un: Vec<Dated<UnTable>>,
}

fn cas_text<S: serde::Serializer>(cas: &Option<CasNumber>, s: S) -> Result<S::Ok, S::Error> {
    match cas {
        Some(cas) => s.serialize_some(cas.as_str()),
        None => s.serialize_none(),
    }
}

/// The whole table, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlTable {
    pub(super) chemicals: Vec<Chemical>,
    pub(super) families: Vec<Family>,
}

impl ControlTable {
    pub fn chemicals(&self) -> &[Chemical] {
        &self.chemicals
    }

    pub fn families(&self) -> &[Family] {
        &self.families
    }

    pub fn chemical(&self, id: &str) -> Option<&Chemical> {
        self.chemicals.iter().find(|c| c.id == id)
    }

    pub fn family(&self, id: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.id == id)
    }

    /// The row for a CAS number, so a catalogue entry can find its controls.
    pub fn by_cas(&self, cas: &CasNumber) -> Option<&Chemical> {
        self.chemicals.iter().find(|c| c.cas.as_ref() == Some(cas))
    }
}
