//! What every registry record has in common: its kind, how it is indexed
//! for search and deconfliction, and how a partial update is applied.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::chemical::{Chemical, ChemicalInput};
use crate::choice;
use crate::die_mold::{DieMold, DieMoldInput};
use crate::equipment::{Equipment, EquipmentInput};
use crate::identifier::Identifier;
use crate::party::{Party, PartyInput};
use crate::shipment::{Shipment, ShipmentInput};
use crate::validation::{search_text, ValidationErrors};

choice!(RecordKind {
    Party => "party",
    Chemical => "chemical",
    Equipment => "equipment",
    DieMold => "die_mold",
    Shipment => "shipment",
});

choice!(
    /// What a version of a record did.
    VersionChange { Create => "create", Update => "update", Withdraw => "withdraw" }
);

/// A reference from one record to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: RecordKind,
    pub id: Uuid,
    /// The party's role on a shipment; empty for lines.
    pub role: String,
    /// Where in the document the reference is, for error messages.
    pub field: String,
}

/// Per-kind facts kept for search.
#[derive(Debug, Clone, PartialEq)]
pub enum Facts {
    Party {
        kind: String,
        country: Option<String>,
        /// The name as `party::normalise_name` reduces it.
        name_key: String,
        /// The keys the party is filed under for matching
        /// (`matching::party_keys`).
        match_keys: Vec<String>,
    },
    Chemical {
        cas: String,
        us_control: String,
        un_table: Option<String>,
    },
    Equipment {
        kind: String,
        markings_removed: bool,
    },
    DieMold {
        shape: String,
    },
    Shipment {
        incident_type: String,
        status: String,
        mode: String,
        origin_country: String,
        destination_country: String,
        destination_subdivision: Option<String>,
        shipped_at: Option<DateTime<Utc>>,
    },
}

/// Everything derived from a record's document at write time.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordIndex {
    pub identifiers: Vec<Identifier>,
    pub references: Vec<Reference>,
    pub search_text: String,
    pub facts: Facts,
}

/// A registry document: the wire form, validated into its canonical form.
pub trait Document: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: RecordKind;

    /// Validates and returns the canonical document and its index.
    fn check(&self) -> Result<(Self, RecordIndex), ValidationErrors>;

    /// Values derived from a canonical document, shown beside it but never
    /// stored in it (a shipment's origin and destination).
    fn derived(&self) -> serde_json::Map<String, Value> {
        serde_json::Map::new()
    }
}

impl Document for PartyInput {
    const KIND: RecordKind = RecordKind::Party;

    fn check(&self) -> Result<(Self, RecordIndex), ValidationErrors> {
        let party = Party::validate(self)?;
        let index = RecordIndex {
            identifiers: party.identifiers(),
            references: Vec::new(),
            search_text: party.search_text(),
            facts: Facts::Party {
                kind: party.kind.as_str().to_owned(),
                country: party.country().map(|c| c.to_string()),
                name_key: crate::party::normalise_name(&party.name),
                match_keys: crate::matching::party_keys(&crate::matching::facts_of(&party)),
            },
        };
        Ok((party.to_input(), index))
    }
}

impl Document for ChemicalInput {
    const KIND: RecordKind = RecordKind::Chemical;

    fn check(&self) -> Result<(Self, RecordIndex), ValidationErrors> {
        let chemical = Chemical::validate(self)?;
        let cas = chemical.cas.to_string();
        let search_text = search_text(
            std::iter::once(&chemical.name)
                .chain(&chemical.synonyms)
                .chain(std::iter::once(&cas)),
        );
        let index = RecordIndex {
            identifiers: Vec::new(),
            references: Vec::new(),
            search_text,
            facts: Facts::Chemical {
                cas: chemical.cas.to_string(),
                us_control: chemical.us_control.as_str().to_owned(),
                un_table: chemical.un_table.map(|t| t.as_str().to_owned()),
            },
        };
        Ok((chemical.to_input(), index))
    }
}

impl Document for EquipmentInput {
    const KIND: RecordKind = RecordKind::Equipment;

    fn check(&self) -> Result<(Self, RecordIndex), ValidationErrors> {
        let equipment = Equipment::validate(self)?;
        let index = RecordIndex {
            identifiers: equipment.identifiers(),
            references: Vec::new(),
            search_text: equipment.search_text(),
            facts: Facts::Equipment {
                kind: equipment.kind.as_str().to_owned(),
                markings_removed: equipment.markings_removed,
            },
        };
        Ok((equipment.to_input(), index))
    }
}

impl Document for DieMoldInput {
    const KIND: RecordKind = RecordKind::DieMold;

    fn check(&self) -> Result<(Self, RecordIndex), ValidationErrors> {
        let mold = DieMold::validate(self)?;
        let references = mold
            .equipment_id
            .map(|id| Reference {
                kind: RecordKind::Equipment,
                id,
                role: String::new(),
                field: "equipment_id".into(),
            })
            .into_iter()
            .collect();
        let index = RecordIndex {
            identifiers: mold.identifiers(),
            references,
            search_text: mold.search_text(),
            facts: Facts::DieMold {
                shape: mold.shape.as_str().to_owned(),
            },
        };
        Ok((mold.to_input(), index))
    }
}

impl Document for ShipmentInput {
    const KIND: RecordKind = RecordKind::Shipment;

    fn derived(&self) -> serde_json::Map<String, Value> {
        let mut derived = serde_json::Map::new();
        derived.insert(
            "origin".into(),
            serde_json::to_value(self.legs.first().map(|l| &l.from)).unwrap_or_default(),
        );
        derived.insert(
            "destination".into(),
            serde_json::to_value(self.legs.last().map(|l| &l.to)).unwrap_or_default(),
        );
        let shipped_at = self
            .legs
            .iter()
            .find_map(|l| l.departure_at.clone().or_else(|| l.arrival_at.clone()));
        derived.insert(
            "shipped_at".into(),
            shipped_at.map(Value::String).unwrap_or(Value::Null),
        );
        derived
    }

    fn check(&self) -> Result<(Self, RecordIndex), ValidationErrors> {
        let shipment = Shipment::validate(self)?;
        let references = shipment
            .parties
            .iter()
            .enumerate()
            .map(|(i, (id, role))| Reference {
                kind: RecordKind::Party,
                id: *id,
                role: role.as_str().to_owned(),
                field: format!("parties[{i}].party_id"),
            })
            .chain(shipment.lines.iter().enumerate().map(|(i, line)| {
                let (kind, id, name) = match line.item {
                    crate::shipment::LineItem::Chemical { id, .. } => {
                        (RecordKind::Chemical, id, "chemical_id")
                    }
                    crate::shipment::LineItem::Equipment { id } => {
                        (RecordKind::Equipment, id, "equipment_id")
                    }
                    crate::shipment::LineItem::DieMold { id } => {
                        (RecordKind::DieMold, id, "die_mold_id")
                    }
                };
                Reference {
                    kind,
                    id,
                    role: String::new(),
                    field: format!("lines[{i}].{name}"),
                }
            }))
            .collect();
        // Validation guarantees at least one leg.
        let (origin, destination) = match (shipment.origin(), shipment.destination()) {
            (Some(o), Some(d)) => (o.clone(), d.clone()),
            _ => return Err(ValidationErrors::single("legs", "a shipment needs a route")),
        };
        let search_text = search_text(
            [&shipment.declared_description, &shipment.concealment_method]
                .into_iter()
                .flatten(),
        );
        let index = RecordIndex {
            identifiers: shipment.identifiers(),
            references,
            search_text,
            facts: Facts::Shipment {
                incident_type: shipment.incident_type.as_str().to_owned(),
                status: shipment.status.as_str().to_owned(),
                mode: shipment.mode.as_str().to_owned(),
                origin_country: origin.country.to_string(),
                destination_country: destination.country.to_string(),
                destination_subdivision: destination.subdivision.clone(),
                shipped_at: shipment.shipped_at(),
            },
        };
        Ok((shipment.to_input(), index))
    }
}

/// Applies an RFC 7396 JSON merge patch: objects merge key by key, `null`
/// removes a key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Top-level fields that differ between two versions of a document.
pub fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| {
            before.get(*key).unwrap_or(&Value::Null) != after.get(*key).unwrap_or(&Value::Null)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({ "a": "b", "c": { "d": "e", "f": "g" }, "list": [1, 2] });
        merge_patch(
            &mut doc,
            &json!({ "a": "z", "c": { "f": null }, "list": [3] }),
        );
        assert_eq!(doc, json!({ "a": "z", "c": { "d": "e" }, "list": [3] }));
    }

    #[test]
    fn changed_fields_lists_top_level_differences() {
        let before = json!({ "name": "A", "aliases": [], "kind": "company" });
        let after = json!({ "name": "B", "aliases": ["x"], "kind": "company", "phones": [] });
        assert_eq!(
            changed_fields(&before, &after),
            ["aliases", "name", "phones"]
        );
    }

    #[test]
    fn canonical_documents_are_stable() {
        let input: PartyInput = serde_json::from_value(json!({
            "kind": "person", "name": "  Li Wei ", "emails": ["LW@example.com"]
        }))
        .unwrap();
        let (canonical, index) = input.check().unwrap();
        assert_eq!(canonical.name, "Li Wei");
        let (again, _) = canonical.check().unwrap();
        assert_eq!(canonical, again);
        assert_eq!(index.identifiers[0].value, "lw@example.com");
    }
}
