//! OFAC's SDN list in its legacy CSV layout: `sdn.csv` (one row per
//! entry), `alt.csv` (aliases) and `add.csv` (addresses), joined on the
//! entry number. No header row; `-0-` means empty; the files end with a
//! DOS end-of-file byte (0x1A).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use super::countries::country_code;
use super::list::{Alias, AliasStrength, Entry, EntryKind, ListedAddress, SanctionsList};
use super::remarks::{identifiers, weak_aliases};

const SDN_FIELDS: [&str; 12] = [
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
];
const ALT_FIELDS: [&str; 5] = ["ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"];
const ADD_FIELDS: [&str; 6] = [
    "ent_num",
    "add_num",
    "address",
    "city_state_postal",
    "country",
    "add_remarks",
];

/// Why a list file was refused: which file, which line, which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    pub file: &'static str,
    pub line: u64,
    pub field: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.file, self.line)?;
        if let Some(field) = self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ListError {}

/// Reads the three files of an SDN list. Every entry number in `alt.csv`
/// and `add.csv` must name an entry of `sdn.csv`.
pub fn parse_sdn(
    sdn: impl Read,
    alt: impl Read,
    add: impl Read,
) -> Result<SanctionsList, ListError> {
    let mut entries: BTreeMap<u32, Entry> = BTreeMap::new();
    for_each_row("sdn.csv", sdn, &SDN_FIELDS, |row| {
        let id = row.number(0)?;
        let name = row.required(1)?;
        let kind = match row.text(2) {
            None => EntryKind::Entity,
            Some("individual") => EntryKind::Individual,
            Some("vessel") => EntryKind::Vessel,
            Some("aircraft") => EntryKind::Aircraft,
            Some(other) => {
                return Err(row.error(
                    2,
                    format!("`{other}` is not individual, vessel, aircraft or -0-"),
                ))
            }
        };
        let programs: Vec<String> = row
            .text(3)
            .map(|p| {
                p.split("] [")
                    .map(|p| {
                        p.trim_matches(|c| c == '[' || c == ']' || c == ' ')
                            .to_owned()
                    })
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let remarks = row.text(11).map(str::to_owned);
        let mut aliases: Vec<Alias> = Vec::new();
        if let Some(remarks) = &remarks {
            for weak in weak_aliases(remarks) {
                aliases.push(Alias {
                    name: weak,
                    kind: "aka".into(),
                    strength: AliasStrength::Weak,
                });
            }
        }
        let entry = Entry {
            id,
            name: name.to_owned(),
            kind,
            programs,
            title: row.text(4).map(str::to_owned),
            aliases,
            addresses: Vec::new(),
            identifiers: remarks.as_deref().map(identifiers).unwrap_or_default(),
            remarks,
        };
        if entries.insert(id, entry).is_some() {
            return Err(row.error(0, format!("entry {id} appears twice")));
        }
        Ok(())
    })?;
    for_each_row("alt.csv", alt, &ALT_FIELDS, |row| {
        let id = row.number(0)?;
        row.number(1)?;
        let kind = match row.text(2) {
            Some(k @ ("aka" | "fka" | "nka")) => k.to_owned(),
            other => {
                return Err(row.error(
                    2,
                    format!("`{}` is not aka, fka or nka", other.unwrap_or("-0-")),
                ))
            }
        };
        let name = row.required(3)?.to_owned();
        let entry = entries
            .get_mut(&id)
            .ok_or_else(|| row.error(0, format!("no entry {id} in sdn.csv")))?;
        // A strong alias may repeat a weak one: keep the strong.
        entry
            .aliases
            .retain(|a| !(a.strength == AliasStrength::Weak && a.name == name));
        entry.aliases.push(Alias {
            name,
            kind,
            strength: AliasStrength::Strong,
        });
        Ok(())
    })?;
    for_each_row("add.csv", add, &ADD_FIELDS, |row| {
        let id = row.number(0)?;
        row.number(1)?;
        let text = [row.text(2), row.text(3)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let country_name = row.text(4).map(str::to_owned);
        let entry = entries
            .get_mut(&id)
            .ok_or_else(|| row.error(0, format!("no entry {id} in sdn.csv")))?;
        let country = country_name.as_deref().and_then(country_code);
        entry.addresses.push(ListedAddress {
            text,
            country_name,
            country,
        });
        Ok(())
    })?;
    for entry in entries.values_mut() {
        entry
            .aliases
            .sort_by_key(|a| a.strength == AliasStrength::Weak);
    }
    Ok(SanctionsList {
        source: "OFAC SDN".into(),
        entries: entries.into_values().collect(),
    })
}

struct Row<'a> {
    file: &'static str,
    fields: &'a [&'static str],
    line: u64,
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn error(&self, index: usize, message: String) -> ListError {
        ListError {
            file: self.file,
            line: self.line,
            field: Some(self.fields[index]),
            message,
        }
    }

    /// A field's text, `None` for `-0-` or blank.
    fn text(&self, index: usize) -> Option<&str> {
        let value = self.record.get(index)?.trim();
        (!value.is_empty() && value != "-0-").then_some(value)
    }

    fn required(&self, index: usize) -> Result<&str, ListError> {
        self.text(index)
            .ok_or_else(|| self.error(index, "is empty".into()))
    }

    fn number(&self, index: usize) -> Result<u32, ListError> {
        let value = self.required(index)?;
        value
            .parse()
            .map_err(|_| self.error(index, format!("`{value}` is not a number")))
    }
}

fn for_each_row(
    file: &'static str,
    mut reader: impl Read,
    fields: &[&'static str],
    mut handle: impl FnMut(&Row) -> Result<(), ListError>,
) -> Result<(), ListError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| ListError {
        file,
        line: 0,
        field: None,
        message: format!("cannot be read ({e})"),
    })?;
    // Lines are counted here from byte offsets: the csv reader's own line
    // numbers count CR LF line ends unevenly.
    let mut lines = LineCounter {
        bytes: &bytes,
        offset: 0,
        line: 1,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut record = csv::StringRecord::new();
    loop {
        let start = csv.position().byte();
        match csv.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => {
                let line = lines.line_at(error.position().map_or(start, |p| p.byte()));
                let message = match error.kind() {
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_owned(),
                    _ => format!("cannot be read as CSV ({error})"),
                };
                return Err(ListError {
                    file,
                    line,
                    field: None,
                    message,
                });
            }
        }
        let line = lines.line_at(record.position().map_or(start, |p| p.byte()));
        // The DOS end-of-file byte the legacy files end with.
        if record.len() == 1
            && record[0]
                .trim_matches(|c: char| c == '\u{1a}' || c.is_whitespace())
                .is_empty()
        {
            continue;
        }
        if record.len() != fields.len() {
            return Err(ListError {
                file,
                line,
                field: None,
                message: format!(
                    "has {} fields, expected {} ({})",
                    record.len(),
                    fields.len(),
                    fields.join(", ")
                ),
            });
        }
        handle(&Row {
            file,
            fields,
            line,
            record: &record,
        })?;
    }
}

struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of a byte offset; offsets must not go backwards.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = (offset as usize).min(self.bytes.len());
        // A record's offset may point at the line end of the one before.
        while offset < self.bytes.len() && matches!(self.bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset > self.offset {
            self.line += memchr_count(&self.bytes[self.offset..offset]);
            self.offset = offset;
        }
        self.line
    }
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
