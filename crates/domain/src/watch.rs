//! Watches: what a user follows (an identifier, a party, an imprint or a
//! catalogue chemical), and the keys under which a written record matches
//! one. A watch and a record match when they share a key of the watch's
//! kind; keys are compared as normalised text, so `AB 123-456` watches
//! `ab123456`.

use uuid::Uuid;

use crate::choice;
use crate::identifier::IdentifierKind;
use crate::record::{RecordIndex, RecordKind};
use crate::validation::Invalid;

choice!(WatchKind {
    Identifier => "identifier",
    Party => "party",
    Imprint => "imprint",
    Chemical => "chemical",
});

choice!(
    /// What brought a watched value to light: a record written, an import,
    /// or a party re-screened against a new sanctions list.
    NotificationCause { Write => "write", Import => "import", Rescreen => "rescreen" }
);

/// Letters and digits, upper-cased: how identifiers and imprints match.
fn alphanumeric_upper(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The key a watch of `kind` on `value` matches under. Parties and
/// chemicals are followed by their record id.
pub fn watch_key(kind: WatchKind, value: &str) -> Result<String, Invalid> {
    match kind {
        WatchKind::Party | WatchKind::Chemical => value
            .trim()
            .parse::<Uuid>()
            .map(|id| id.to_string())
            .map_err(|_| Invalid::new("must be the id of the record to follow")),
        WatchKind::Identifier | WatchKind::Imprint => {
            let key = alphanumeric_upper(value);
            if key.chars().count() < if kind == WatchKind::Imprint { 1 } else { 3 } {
                Err(Invalid::new("is too short to identify anything"))
            } else if key.chars().count() > 200 {
                Err(Invalid::new("must be at most 200 characters"))
            } else {
                Ok(key)
            }
        }
    }
}

/// The keys a written record matches watches under: its identifiers (and
/// imprints), the parties and chemicals it names, and itself.
pub fn record_keys(id: Uuid, kind: RecordKind, index: &RecordIndex) -> Vec<(WatchKind, String)> {
    let mut keys = Vec::new();
    for identifier in &index.identifiers {
        let key = alphanumeric_upper(&identifier.value);
        if identifier.kind == IdentifierKind::Imprint {
            keys.push((WatchKind::Imprint, key.clone()));
        }
        keys.push((WatchKind::Identifier, key));
    }
    for reference in &index.references {
        match reference.kind {
            RecordKind::Party => keys.push((WatchKind::Party, reference.id.to_string())),
            RecordKind::Chemical => keys.push((WatchKind::Chemical, reference.id.to_string())),
            _ => {}
        }
    }
    match kind {
        RecordKind::Party => keys.push((WatchKind::Party, id.to_string())),
        RecordKind::Chemical => keys.push((WatchKind::Chemical, id.to_string())),
        _ => {}
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::Identifier;
    use crate::record::{Facts, Reference};

    #[test]
    fn identifiers_match_however_spelt_and_records_by_id() {
        let party = Uuid::from_u128(7);
        let index = RecordIndex {
            identifiers: vec![
                Identifier::new(IdentifierKind::TrackingNumber, "ab 123-456").unwrap(),
            ],
            references: vec![Reference {
                kind: RecordKind::Party,
                id: party,
                role: "consignor".into(),
                field: "parties[0].party_id".into(),
            }],
            search_text: String::new(),
            facts: Facts::DieMold {
                shape: "round".into(),
            },
        };
        let keys = record_keys(Uuid::from_u128(1), RecordKind::Shipment, &index);
        let watched = watch_key(WatchKind::Identifier, "AB123456").unwrap();
        assert!(keys.contains(&(WatchKind::Identifier, watched)));
        let party_key = watch_key(WatchKind::Party, &party.to_string()).unwrap();
        assert!(keys.contains(&(WatchKind::Party, party_key)));
        assert!(!keys.iter().any(|(k, _)| *k == WatchKind::Imprint));
        assert!(watch_key(WatchKind::Party, "not an id").is_err());
        assert!(watch_key(WatchKind::Identifier, "1-").is_err());
    }
}
