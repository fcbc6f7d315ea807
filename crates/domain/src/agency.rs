//! Agencies: who owns records. Level, jurisdiction and the NCIC Originating
//! Agency Identifier (ORI) are validated here so the rest of the system only
//! ever sees well-formed values.

use serde::Serialize;
use std::fmt;

use crate::choice;
use crate::validation::{bounded_text, pick, Invalid, ValidationErrors};

choice!(AgencyLevel {
    Federal => "federal",
    State => "state",
    Territorial => "territorial",
    Local => "local",
    Tribal => "tribal",
});

/// US states, the District of Columbia and the inhabited territories, as
/// used in the first two characters of an ORI.
const STATES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];
const TERRITORIES: [&str; 5] = ["AS", "GU", "MP", "PR", "VI"];

pub fn is_state_or_territory(code: &str) -> bool {
    STATES.contains(&code) || TERRITORIES.contains(&code)
}

pub fn is_territory(code: &str) -> bool {
    TERRITORIES.contains(&code)
}

/// Where an agency has authority: a state or territory, or the whole US.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Jurisdiction(String);

impl Jurisdiction {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let code = value.trim().to_ascii_uppercase();
        if code == "US" || is_state_or_territory(&code) {
            Ok(Self(code))
        } else {
            Err(
                format!("`{value}` is not a US state or territory code (e.g. TX, PR) or `US`")
                    .into(),
            )
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_national(&self) -> bool {
        self.0 == "US"
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// NCIC Originating Agency Identifier: a two-letter state or territory code
/// followed by seven letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Ori(String);

impl Ori {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let ori = value.trim().to_ascii_uppercase();
        if ori.len() != 9 || !ori.is_ascii() {
            return Err("must be exactly 9 characters".into());
        }
        let (state, rest) = ori.split_at(2);
        if !is_state_or_territory(state) {
            return Err(
                format!("must start with a US state or territory code, not `{state}`").into(),
            );
        }
        if !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("characters 3 to 9 must be letters or digits".into());
        }
        Ok(Self(ori))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ori {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated request to register an agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    pub name: String,
    pub level: AgencyLevel,
    pub jurisdiction: Jurisdiction,
    pub ori: Ori,
    pub contact: String,
}

pub const NAME_MAX: usize = 200;
pub const CONTACT_MAX: usize = 300;

impl NewAgency {
    pub fn parse(
        name: &str,
        level: &str,
        jurisdiction: &str,
        ori: &str,
        contact: &str,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", bounded_text(name, NAME_MAX));
        let level = errors.check("level", pick::<AgencyLevel>(level));
        let jurisdiction = errors.check("jurisdiction", Jurisdiction::parse(jurisdiction));
        let ori = errors.check("ori", Ori::parse(ori));
        let contact = errors.check("contact", bounded_text(contact, CONTACT_MAX));
        if let (Some(level), Some(jurisdiction)) = (level, &jurisdiction) {
            if let Err(message) = check_level_fits(level, jurisdiction) {
                errors.add("jurisdiction", message);
            }
        }
        match (name, level, jurisdiction, ori, contact) {
            (Some(name), Some(level), Some(jurisdiction), Some(ori), Some(contact))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    level,
                    jurisdiction,
                    ori,
                    contact,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Only federal agencies act nationwide, and territorial agencies belong to
/// a territory.
fn check_level_fits(level: AgencyLevel, jurisdiction: &Jurisdiction) -> Result<(), Invalid> {
    match level {
        AgencyLevel::Federal => Ok(()),
        _ if jurisdiction.is_national() => Err(format!(
            "a {} agency needs a state or territory code, not US",
            level.as_str()
        )
        .into()),
        AgencyLevel::Territorial if !is_territory(jurisdiction.as_str()) => Err(format!(
            "a territorial agency needs a territory code (AS, GU, MP, PR, VI), not {jurisdiction}"
        )
        .into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ori_accepts_state_prefix_and_seven_alphanumerics() {
        assert_eq!(Ori::parse("tx0570000").unwrap().as_str(), "TX0570000");
        assert_eq!(Ori::parse("PRDEA0100").unwrap().as_str(), "PRDEA0100");
    }

    #[test]
    fn ori_rejects_malformed_values() {
        for bad in [
            "TX057000",
            "TX05700000",
            "XX0570000",
            "TX05700-0",
            "ÄX0570000",
            "",
        ] {
            assert!(Ori::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn jurisdiction_is_a_state_territory_or_us() {
        assert!(Jurisdiction::parse("US").unwrap().is_national());
        assert_eq!(Jurisdiction::parse("gu").unwrap().as_str(), "GU");
        assert!(Jurisdiction::parse("ZZ").is_err());
        assert!(Jurisdiction::parse("USA").is_err());
    }

    #[test]
    fn new_agency_reports_every_bad_field() {
        let errors = NewAgency::parse("", "county", "ZZ", "123", " ").unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "level", "jurisdiction", "ori", "contact"]);
    }

    #[test]
    fn level_must_fit_jurisdiction() {
        assert!(NewAgency::parse("DEA", "federal", "US", "DCDEA0000", "ops@dea").is_ok());
        let local = NewAgency::parse("PD", "local", "US", "TX0570000", "desk").unwrap_err();
        assert_eq!(local.errors()[0].field, "jurisdiction");
        let territorial = NewAgency::parse("P", "territorial", "TX", "TX0570000", "d").unwrap_err();
        assert_eq!(territorial.errors()[0].field, "jurisdiction");
        assert!(NewAgency::parse("PRPD", "territorial", "PR", "PR0010000", "d").is_ok());
    }
}
