//! Imprints of legitimate finished products (`reference/imprints.toml`),
//! which counterfeit pills copy: a product line's imprint is looked up here
//! to learn what it imitates.

use std::sync::OnceLock;

use serde::Deserialize;

use super::raw::TableError;

const IMPRINTS: &str = include_str!("../../../../reference/imprints.toml");

/// One legitimate product's imprint, with where it was read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegitimateImprint {
    /// As stamped, faces separated by " / ".
    pub imprint: String,
    /// E.g. "oxycodone hydrochloride 30 mg (Mallinckrodt)".
    pub product: String,
    pub description: String,
    pub source: String,
    #[serde(default)]
    pub seen: Vec<String>,
    pub confirmed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

impl LegitimateImprint {
    /// "oxycodone hydrochloride 30 mg (Mallinckrodt), imprint not confirmed in its label".
    pub fn describe(&self) -> String {
        if self.confirmed {
            self.product.clone()
        } else {
            format!(
                "{} (imprint from secondary sources, not its label)",
                self.product
            )
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImprintTable {
    imprints: Vec<LegitimateImprint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    schema: u32,
    #[serde(default)]
    imprint: Vec<toml::Value>,
}

/// An imprint as compared: upper case, without spaces, hyphens or slashes.
pub fn normalise_imprint(imprint: &str) -> String {
    imprint
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '/' | '|'))
        .flat_map(char::to_uppercase)
        .collect()
}

impl ImprintTable {
    pub fn parse(text: &str) -> Result<Self, TableError> {
        let raw: Raw = toml::from_str(text)
            .map_err(|e| TableError::new("table", "", e.message().to_owned()))?;
        if raw.schema != 1 {
            return Err(TableError::new("table", "schema", "must be 1"));
        }
        let mut imprints: Vec<LegitimateImprint> = Vec::new();
        for (i, value) in raw.imprint.into_iter().enumerate() {
            let entry = format!("imprint[{i}]");
            let row: LegitimateImprint = value
                .try_into()
                .map_err(|e: toml::de::Error| TableError::new(&entry, "", e.message()))?;
            if normalise_imprint(&row.imprint).is_empty() {
                return Err(TableError::new(&entry, "imprint", "must not be empty"));
            }
            if row.product.trim().is_empty() {
                return Err(TableError::new(&entry, "product", "must not be empty"));
            }
            if row.source.trim().is_empty() {
                return Err(TableError::new(&entry, "source", "every imprint is cited"));
            }
            if !row.confirmed && row.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(TableError::new(&entry, "note", "unconfirmed facts say why"));
            }
            let key = normalise_imprint(&row.imprint);
            if imprints
                .iter()
                .any(|r| normalise_imprint(&r.imprint) == key)
            {
                return Err(TableError::new(&entry, "imprint", "listed twice"));
            }
            imprints.push(row);
        }
        Ok(Self { imprints })
    }

    pub fn imprints(&self) -> &[LegitimateImprint] {
        &self.imprints
    }

    /// The legitimate product stamped with this imprint, if any.
    pub fn lookup(&self, imprint: &str) -> Option<&LegitimateImprint> {
        let key = normalise_imprint(imprint);
        self.imprints
            .iter()
            .find(|r| normalise_imprint(&r.imprint) == key)
    }
}

fn bundled() -> &'static Result<ImprintTable, TableError> {
    static BUNDLED: OnceLock<Result<ImprintTable, TableError>> = OnceLock::new();
    BUNDLED.get_or_init(|| ImprintTable::parse(IMPRINTS))
}

/// The imprints of `reference/imprints.toml` (empty if it does not parse,
/// which `imprints_error` reports at start).
pub fn imprints() -> &'static ImprintTable {
    static EMPTY: ImprintTable = ImprintTable {
        imprints: Vec::new(),
    };
    bundled().as_ref().unwrap_or(&EMPTY)
}

pub fn imprints_error() -> Option<&'static TableError> {
    bundled().as_ref().err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_imprint_parses_and_is_cited() {
        assert_eq!(imprints_error(), None);
        let table = imprints();
        assert!(table.imprints().len() >= 3);
        for row in table.imprints() {
            assert!(!row.source.is_empty(), "{}", row.imprint);
            assert!(
                !row.seen.is_empty(),
                "{} says where it was read",
                row.imprint
            );
            assert!(row.confirmed || row.note.is_some(), "{}", row.imprint);
        }
    }

    #[test]
    fn imprints_match_however_they_are_written() {
        let table = imprints();
        for written in ["M 30", "m30", "M-30", "M / 30"] {
            let found = table.lookup(written).expect(written);
            assert!(found.product.starts_with("oxycodone hydrochloride 30 mg"));
        }
        assert!(table.lookup("M 31").is_none());
        assert!(table.lookup("").is_none());
    }

    #[test]
    fn a_bad_row_is_refused() {
        let good = "schema = 1\n[[imprint]]\nimprint = \"X 1\"\nproduct = \"p\"\ndescription = \"d\"\nsource = \"s\"\nconfirmed = true\n";
        assert!(ImprintTable::parse(good).is_ok());
        let e = ImprintTable::parse(&good.replace("confirmed = true", "confirmed = false"))
            .unwrap_err();
        assert_eq!(e.field, "note");
        let e = ImprintTable::parse(&good.replace("source = \"s\"", "source = \" \"")).unwrap_err();
        assert_eq!(e.field, "source");
        assert!(ImprintTable::parse(&good.replace("product", "prodcut")).is_err());
        let twice = format!("{good}[[imprint]]\nimprint = \"x1\"\nproduct = \"p\"\ndescription = \"d\"\nsource = \"s\"\nconfirmed = true\n");
        assert_eq!(ImprintTable::parse(&twice).unwrap_err().field, "imprint");
    }
}
