//! The chemical catalogue: CAS numbers and control status.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::validation::{bounded_text, optional, Invalid, ValidationErrors};

/// A CAS Registry Number, `NNNNNNN-NN-N`, with its check digit verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CasNumber(String);

impl CasNumber {
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let cas = value.trim();
        let parts: Vec<&str> = cas.split('-').collect();
        let well_formed = parts.len() == 3
            && (2..=7).contains(&parts[0].len())
            && parts[1].len() == 2
            && parts[2].len() == 1
            && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
        if !well_formed {
            return Err(
                format!("`{value}` is not a CAS number (digits in the form 1234-56-7)").into(),
            );
        }
        let body: Vec<u32> = parts[0]
            .chars()
            .chain(parts[1].chars())
            .filter_map(|c| c.to_digit(10))
            .collect();
        let check = parts[2]
            .chars()
            .next()
            .and_then(|c| c.to_digit(10))
            .unwrap_or(10);
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| (i as u32 + 1) * d)
            .sum();
        if sum % 10 != check {
            return Err(format!(
                "`{value}` fails the CAS check digit (expected {})",
                sum % 10
            )
            .into());
        }
        Ok(Self(cas.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CasNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// US control status under the Controlled Substances Act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ControlStatus {
    ListI,
    ListIi,
    ScheduleIiImmediatePrecursor,
    None,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 4] = [
        Self::ListI,
        Self::ListIi,
        Self::ScheduleIiImmediatePrecursor,
        Self::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListI => "list_i",
            Self::ListIi => "list_ii",
            Self::ScheduleIiImmediatePrecursor => "schedule_ii_immediate_precursor",
            Self::None => "none",
        }
    }

    pub fn is_controlled(self) -> bool {
        self != Self::None
    }
}

impl FromStr for ControlStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "must be one of list_i, list_ii, schedule_ii_immediate_precursor, none",
                )
            })
    }
}

/// Table of the UN 1988 Convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UnTable {
    TableI,
    TableIi,
}

impl UnTable {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TableI => "table_i",
            Self::TableIi => "table_ii",
        }
    }
}

impl FromStr for UnTable {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table_i" => Ok(Self::TableI),
            "table_ii" => Ok(Self::TableIi),
            _ => Err("must be table_i or table_ii".into()),
        }
    }
}

/// Harmonized System code: 4 to 10 digits, dots allowed (`2933.39`).
pub fn parse_hs_code(value: &str) -> Result<String, Invalid> {
    let code = value.trim();
    let digits = code.chars().filter(char::is_ascii_digit).count();
    let shape_ok = code.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !code.starts_with('.')
        && !code.ends_with('.');
    if shape_ok && (4..=10).contains(&digits) {
        Ok(code.to_owned())
    } else {
        Err(format!("`{value}` is not an HS code (4 to 10 digits, e.g. 2933.39)").into())
    }
}

/// A catalogue entry as submitted and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChemicalInput {
    pub name: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
    pub cas: String,
    #[cfg_attr(feature = "openapi", schema(value_type = ControlStatus))]
    pub us_control: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<UnTable>))]
    pub un_table: Option<String>,
    #[serde(default)]
    pub hs_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A validated catalogue entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Chemical {
    pub name: String,
    pub synonyms: Vec<String>,
    pub cas: CasNumber,
    pub us_control: ControlStatus,
    pub un_table: Option<UnTable>,
    pub hs_code: Option<String>,
    pub note: Option<String>,
}

impl Chemical {
    pub fn validate(input: &ChemicalInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check("name", bounded_text(&input.name, 300));
        if input.synonyms.len() > 50 {
            errors.add("synonyms", "at most 50 synonyms");
        }
        let synonyms: Vec<String> = input
            .synonyms
            .iter()
            .enumerate()
            .filter_map(|(i, s)| errors.check(&format!("synonyms[{i}]"), bounded_text(s, 300)))
            .collect();
        let cas = errors.check("cas", CasNumber::parse(&input.cas));
        let us_control = errors.check("us_control", input.us_control.parse::<ControlStatus>());
        let un_table = optional(&mut errors, "un_table", &input.un_table, |s| {
            s.parse::<UnTable>()
        });
        let hs_code = optional(&mut errors, "hs_code", &input.hs_code, parse_hs_code);
        let note = optional(&mut errors, "note", &input.note, |s| bounded_text(s, 2000));
        match (name, cas, us_control) {
            (Some(name), Some(cas), Some(us_control)) if errors.is_empty() => Ok(Self {
                name,
                synonyms,
                cas,
                us_control,
                un_table,
                hs_code,
                note,
            }),
            _ => Err(errors),
        }
    }

    /// The canonical stored form.
    pub fn to_input(&self) -> ChemicalInput {
        ChemicalInput {
            name: self.name.clone(),
            synonyms: self.synonyms.clone(),
            cas: self.cas.to_string(),
            us_control: self.us_control.as_str().to_owned(),
            un_table: self.un_table.map(|t| t.as_str().to_owned()),
            hs_code: self.hs_code.clone(),
            note: self.note.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cas_check_digits() {
        for good in [
            "39742-60-4",
            "21409-26-7",
            "23056-29-3",
            "7722-64-7",
            "108-24-7",
            "50-00-0",
        ] {
            assert!(CasNumber::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "39742-60-5",
            "23056-29-4",
            "108-24-8",
            "1234567",
            "12-34-5-6",
            "abc-de-f",
            "1-23-4",
            "12345678-90-1",
        ] {
            assert!(CasNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_seeded_precursor_has_a_valid_cas_number() {
        let csv = include_str!("../../../reference/precursors.csv");
        for line in csv.lines().skip(1) {
            let cas = line.split(',').nth(2).unwrap();
            assert!(CasNumber::parse(cas).is_ok(), "{line}");
        }
    }

    #[test]
    fn hs_codes() {
        assert!(parse_hs_code("2933.39").is_ok());
        assert!(parse_hs_code("293339").is_ok());
        for bad in ["29", "2933.", "29a3.39", "12345678901"] {
            assert!(parse_hs_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_fields() {
        let input = ChemicalInput {
            name: "".into(),
            synonyms: vec!["ok".into(), " ".into()],
            cas: "39742-60-5".into(),
            us_control: "list_iii".into(),
            un_table: Some("table_iii".into()),
            hs_code: Some("x".into()),
            note: None,
        };
        let errors = Chemical::validate(&input).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "synonyms[1]",
                "cas",
                "us_control",
                "un_table",
                "hs_code"
            ]
        );
    }
}
