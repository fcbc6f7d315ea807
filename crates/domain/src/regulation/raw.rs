//! Reading a regulatory TOML table: the shapes as written, and the checks
//! every dated, cited fact must pass. A bad entry is refused with a message
//! naming the entry and the field.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::value::Datetime;

use super::citation::{Citation, CitationKind, Dating, Provenance};

/// Why a table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry}: {field}: {message}")]
pub struct TableError {
    /// "chemical `npp`", "family `4-piperidone`", "rule `…`", or "table".
    pub entry: String,
    /// The field inside the entry, e.g. `control[1].citation.fr`.
    pub field: String,
    pub message: String,
}

impl TableError {
    pub(super) fn new(entry: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            entry: entry.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// The entries of one kind (`[[chemical]]`), each deserialized on its own so
/// that an error names the entry it is in.
pub(super) fn entries<T: DeserializeOwned>(
    doc: &toml::Table,
    key: &str,
) -> Result<Vec<(String, T)>, TableError> {
    let Some(value) = doc.get(key) else {
        return Ok(Vec::new());
    };
    let Some(items) = value.as_array() else {
        return Err(TableError::new("table", key, "must be an array of tables"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let name = match item.get("id").and_then(|id| id.as_str()) {
                Some(id) => format!("{key} `{id}`"),
                None => format!("{key} #{}", i + 1),
            };
            serde_path_to_error::deserialize::<_, T>(item.clone())
                .map(|entry| (name.clone(), entry))
                .map_err(|e| {
                    let path = e.path().to_string();
                    let field = if path == "." { String::new() } else { path };
                    TableError::new(&name, &field, e.into_inner().message().to_owned())
                })
        })
        .collect()
}

/// The document and its schema version.
pub(super) fn document(text: &str) -> Result<toml::Table, TableError> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| TableError::new("table", "", e.to_string()))?;
    match doc.get("schema").and_then(|v| v.as_integer()) {
        Some(1) => Ok(doc),
        _ => Err(TableError::new("table", "schema", "must be 1")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCitation {
    kind: CitationKind,
    fr: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    published: Option<RawDate>,
    docket: Option<String>,
    document: Option<String>,
    title: Option<String>,
    seen: Option<String>,
}

/// The dating and citation every dated fact carries, borrowed from its entry
/// (serde cannot flatten them into entries that refuse unknown fields).
pub(super) struct DatingFields<'a> {
    pub effective: &'a Option<RawDate>,
    pub in_force_by: &'a Option<RawDate>,
    pub citation: &'a RawCitation,
    pub confirmed: bool,
    pub note: &'a Option<String>,
}

/// Borrows the dating fields of a raw entry.
macro_rules! dating_fields {
    ($raw:expr) => {
        $crate::regulation::raw::DatingFields {
            effective: &$raw.effective,
            in_force_by: &$raw.in_force_by,
            citation: &$raw.citation,
            confirmed: $raw.confirmed,
            note: &$raw.note,
        }
    };
}
pub(super) use dating_fields;

/// A TOML date. Entries are read from `toml::Value`s, which hand dates over
/// as text, so the text is parsed back.
#[derive(Debug)]
pub(super) struct RawDate(Datetime);

impl<'de> Deserialize<'de> for RawDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<Datetime>()
            .map(RawDate)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a date (YYYY-MM-DD)")))
    }
}

pub(super) fn date(entry: &str, field: &str, value: &RawDate) -> Result<NaiveDate, TableError> {
    let value = &value.0;
    let bad = || {
        TableError::new(
            entry,
            field,
            format!("`{value}` is not a date (YYYY-MM-DD)"),
        )
    };
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

fn text(entry: &str, field: &str, value: &Option<String>) -> Result<Option<String>, TableError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(TableError::new(entry, field, "must not be empty")),
        other => Ok(other.clone()),
    }
}

/// "72 FR 20039": a volume, FR, a first page.
fn fr_citation(value: &str) -> bool {
    let parts: Vec<&str> = value.split(' ').collect();
    let number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    parts.len() == 3 && number(parts[0]) && parts[1] == "FR" && number(parts[2])
}

impl DatingFields<'_> {
    /// Checks the dating and citation of the fact at `field` (e.g. `control[0]`).
    pub(super) fn check(
        &self,
        entry: &str,
        field: &str,
    ) -> Result<(Dating, Provenance), TableError> {
        let at = |name: &str| {
            if field.is_empty() {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            }
        };
        let dating = match (self.effective, self.in_force_by) {
            (Some(_), Some(_)) => {
                return Err(TableError::new(
                    entry,
                    field,
                    "give `effective` or `in_force_by`, not both",
                ))
            }
            (Some(d), None) => Dating::Effective(date(entry, &at("effective"), d)?),
            (None, Some(d)) => Dating::InForceBy(date(entry, &at("in_force_by"), d)?),
            (None, None) => Dating::Undated,
        };
        let note = text(entry, &at("note"), self.note)?;
        if note.is_none() && (!self.confirmed || dating == Dating::Undated) {
            return Err(TableError::new(
                entry,
                &at("note"),
                "an unconfirmed or undated fact must say what is uncertain",
            ));
        }
        let citation = self.citation.check(entry, &at("citation"))?;
        if let (Dating::Effective(effective), Some(published)) = (dating, citation.published) {
            if citation.kind.is_federal_register() && effective < published {
                return Err(TableError::new(
                    entry,
                    &at("effective"),
                    format!("{effective} is before the document's publication on {published}"),
                ));
            }
        }
        Ok((
            dating,
            Provenance {
                citation,
                confirmed: self.confirmed,
                note,
            },
        ))
    }
}

impl RawCitation {
    fn check(&self, entry: &str, field: &str) -> Result<Citation, TableError> {
        let at = |name: &str| format!("{field}.{name}");
        let published = match &self.published {
            Some(d) => Some(date(entry, &at("published"), d)?),
            None => None,
        };
        let citation = Citation {
            kind: self.kind,
            fr: text(entry, &at("fr"), &self.fr)?,
            reference: text(entry, &at("ref"), &self.reference)?,
            published,
            docket: text(entry, &at("docket"), &self.docket)?,
            document: text(entry, &at("document"), &self.document)?,
            title: text(entry, &at("title"), &self.title)?,
            seen: text(entry, &at("seen"), &self.seen)?,
        };
        if self.kind.is_federal_register() {
            if let Some(fr) = &citation.fr {
                if !fr_citation(fr) {
                    return Err(TableError::new(
                        entry,
                        &at("fr"),
                        format!("`{fr}` is not a Federal Register citation such as 72 FR 20039"),
                    ));
                }
            } else if citation.document.is_none() {
                return Err(TableError::new(
                    entry,
                    &at("fr"),
                    "a Federal Register document needs `fr` (volume FR page) or its `document` number",
                ));
            }
            if citation.published.is_none() {
                return Err(TableError::new(
                    entry,
                    &at("published"),
                    "a Federal Register document needs its publication date",
                ));
            }
        } else if citation.reference.is_none() {
            return Err(TableError::new(
                entry,
                &at("ref"),
                format!("a {} citation needs `ref`", self.kind),
            ));
        }
        Ok(citation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federal_register_citations_have_volume_fr_and_page() {
        assert!(fr_citation("72 FR 20039"));
        for bad in [
            "72FR20039",
            "72 FR",
            "FR 20039",
            "72 fr 20039",
            "72 FR 2003a",
        ] {
            assert!(!fr_citation(bad), "{bad}");
        }
    }
}
