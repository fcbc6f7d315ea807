//! A sanctions list as loaded: entries with their names, aliases,
//! addresses and identifiers.

use serde::{Deserialize, Serialize};

use crate::codes::CountryCode;
use crate::matching::{NameKind, PartyFacts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Individual,
    /// A company, organisation or group (`-0-` in OFAC's SDN_Type).
    Entity,
    Vessel,
    Aircraft,
}

impl EntryKind {
    pub fn name_kind(self) -> NameKind {
        match self {
            Self::Individual => NameKind::Person,
            _ => NameKind::Organisation,
        }
    }
}

/// How firmly the list attributes an alias: OFAC calls the aliases it
/// gives only in remarks "weak" — too broad to block on by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasStrength {
    Strong,
    Weak,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub name: String,
    /// `aka`, `fka` (formerly known as) or `nka` (now known as).
    pub kind: String,
    pub strength: AliasStrength,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedAddress {
    /// Street, city, province and postal code as listed, comma-joined.
    pub text: String,
    /// The country as the list writes it (`Korea, North`).
    pub country_name: Option<String>,
    pub country: Option<CountryCode>,
}

/// An identifier from an entry's remarks: `Passport 1084010 (Egypt)`,
/// `Digital Currency Address - XBT 12QtD5…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedIdentifier {
    /// The list's label, e.g. `Passport`, `R.F.C.`,
    /// `Digital Currency Address - XBT`.
    pub label: String,
    pub value: String,
    pub country_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The list's own number for the entry (OFAC's ent_num).
    pub id: u32,
    pub name: String,
    pub kind: EntryKind,
    /// Sanctions programs, e.g. `SDNTK`, `SDGT`.
    pub programs: Vec<String>,
    pub title: Option<String>,
    pub aliases: Vec<Alias>,
    pub addresses: Vec<ListedAddress>,
    pub identifiers: Vec<ListedIdentifier>,
    pub remarks: Option<String>,
}

impl Entry {
    /// The entry's names, primary first, with the strength of each.
    pub fn names(&self) -> impl Iterator<Item = (&str, AliasStrength)> {
        std::iter::once((self.name.as_str(), AliasStrength::Strong))
            .chain(self.aliases.iter().map(|a| (a.name.as_str(), a.strength)))
    }

    /// What the matcher compares: names, countries of its addresses,
    /// identifiers (e-mails, phones and registration numbers by label).
    pub fn facts(&self) -> PartyFacts {
        let mut facts = PartyFacts {
            kind: Some(self.kind.name_kind()),
            names: self.names().map(|(n, _)| n.to_owned()).collect(),
            ..PartyFacts::default()
        };
        for address in &self.addresses {
            if let Some(country) = address.country {
                if !facts.countries.contains(&country) {
                    facts.countries.push(country);
                }
            }
            if !address.text.is_empty() {
                facts.addresses.push(address.text.clone());
            }
        }
        for id in &self.identifiers {
            let label = id.label.to_ascii_lowercase();
            if label.starts_with("email") {
                facts.emails.push(id.value.clone());
            } else if label.starts_with("phone")
                || label.starts_with("telephone")
                || label.starts_with("fax")
            {
                facts.phones.push(id.value.clone());
            } else if label != "website" {
                facts.registration_numbers.push(id.value.clone());
            }
        }
        facts
    }
}

/// A loaded list: which list it is, and its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SanctionsList {
    /// e.g. `OFAC SDN`.
    pub source: String,
    pub entries: Vec<Entry>,
}

impl SanctionsList {
    pub fn entry(&self, id: u32) -> Option<&Entry> {
        self.entries
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// How many names (primary and aliases) the list holds.
    pub fn name_count(&self) -> usize {
        self.entries.iter().map(|e| 1 + e.aliases.len()).sum()
    }
}
