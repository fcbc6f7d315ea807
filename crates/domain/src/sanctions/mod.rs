//! Sanctions lists and screening against them.
//!
//! [`parse_sdn`] reads OFAC's SDN list from its three CSV files (from any
//! reader: the domain does no I/O) into a [`SanctionsList`], refusing a
//! malformed file with the file, line and field at fault. A
//! [`ScreeningIndex`] over a loaded list screens parties against every
//! listed name and alias with the party matcher, returning ranked [`Hit`]s.

mod countries;
mod list;
mod ofac;
mod remarks;
mod screen;

#[cfg(test)]
mod tests;

pub use countries::country_code;
pub use list::{
    Alias, AliasStrength, Entry, EntryKind, ListedAddress, ListedIdentifier, SanctionsList,
};
pub use ofac::{parse_sdn, ListError};
pub use remarks::{identifiers, weak_aliases};
pub use screen::{Hit, ScreeningIndex};

crate::choice!(
    /// What a supervisor may decide about a screening hit.
    Disposition { FalsePositive => "false_positive" }
);
