//! Recording a shipment described in full, as the pages' form does:
//! parties by name, lines that pick a chemical from the catalogue or
//! describe a press or a die mold, and several legs. The parties, presses
//! and die molds described are recorded as records of their own (a party
//! already on file under the same normalised name and country, or that the
//! matcher is sure is the same (`party_matching::on_file`), is reused),
//! all in the shipment's one transaction with the same audit entries the
//! API writes. A refused entry writes nothing, and each error is named by
//! the entry's own field names.

use interdict_domain::audit::RecordVerb;
use interdict_domain::chemical::{CasNumber, ChemicalInput};
use interdict_domain::die_mold::DieMoldInput;
use interdict_domain::equipment::EquipmentInput;
use interdict_domain::party::PartyInput;
use interdict_domain::policy::Actor;
use interdict_domain::record::{Document, Facts, RecordKind};
use interdict_domain::shipment::ShipmentInput;
use interdict_domain::FieldError;
use interdict_persistence::imports;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{PageQuery, MAX_LIMIT};
use crate::records::{self, prepare, record_event, ChemicalQuery, Lookups, PartyQuery, Prepared};

#[derive(Debug, Default, Clone)]
pub struct PartyEntry {
    pub role: String,
    pub kind: String,
    pub name: String,
    pub country: String,
}

#[derive(Debug, Default, Clone)]
pub struct LineEntry {
    /// `chemical`, `equipment` or `die_mold`.
    pub kind: String,
    /// A catalogue entry's name, a synonym, or its CAS number anywhere in
    /// the text.
    pub chemical: String,
    pub quantity: String,
    pub unit: String,
    /// `35% w/w` or `12% w/v`; blank for undiluted.
    pub concentration: String,
    pub equipment_kind: String,
    pub serial_number: String,
    pub manufacturer: String,
    pub front_imprint: String,
    pub back_imprint: String,
    pub shape: String,
    pub imitated_product: String,
    pub count: String,
}

/// A product line as typed: finished pills or powder.
#[derive(Debug, Default, Clone)]
pub struct ProductEntry {
    /// `tablet`, `capsule` or `powder`.
    pub form: String,
    pub count: String,
    pub grams: String,
    pub imprint: String,
    /// The rules table's id of what a laboratory confirmed, e.g. `fentanyl`.
    pub lab_substance: String,
    pub purity_percent: String,
}

#[derive(Debug, Default, Clone)]
pub struct LegEntry {
    pub from_country: String,
    pub from_subdivision: String,
    pub from_city: String,
    pub to_country: String,
    pub to_subdivision: String,
    pub to_city: String,
    /// A date (`2026-03-01`) or an RFC 3339 time.
    pub departure_at: String,
    pub arrival_at: String,
    pub carrier: String,
}

/// A shipment as typed, every value as text.
#[derive(Debug, Default, Clone)]
pub struct ShipmentEntry {
    pub incident_type: String,
    pub status: String,
    pub mode: String,
    pub scope: String,
    pub tracking_kind: String,
    pub tracking_value: String,
    pub declared_description: String,
    pub declared_hs_code: String,
    pub declared_value: String,
    pub declared_currency: String,
    pub gross_weight_kg: String,
    pub concealment_method: String,
    pub narrative: String,
    pub parties: Vec<PartyEntry>,
    pub lines: Vec<LineEntry>,
    pub products: Vec<ProductEntry>,
    pub legs: Vec<LegEntry>,
    /// One DEA filing (`486` or `452`), its transaction id and day, and the
    /// release or transaction day; all blank for none.
    pub dea_form: String,
    pub dea_transaction_id: String,
    pub dea_filed_on: String,
    pub dea_released_on: String,
}

/// A catalogue entry as the entry offers it.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub id: Uuid,
    pub name: String,
    pub cas: String,
    pub synonyms: Vec<String>,
}

/// The catalogue and sharing choices an entry offers.
#[derive(Debug, Clone, Default)]
pub struct EntryOptions {
    pub catalogue: Vec<CatalogueEntry>,
    /// Task forces of the caller's agency: (id, name).
    pub task_forces: Vec<(Uuid, String)>,
    /// Parties on file the caller sees, newest first, to name one by
    /// typing part of its name: (name, country). Typed with the same name
    /// and country, the agency's own party on file is reused, another's
    /// when the party matcher is sure it is the same.
    pub parties: Vec<(String, Option<String>)>,
}

impl EntryOptions {
    pub async fn load(ctx: &Ctx) -> Result<Self, AppError> {
        let query = ChemicalQuery {
            limit: Some(MAX_LIMIT),
            ..ChemicalQuery::default()
        };
        let page = records::search::<ChemicalInput, _>(ctx, &query).await?;
        let catalogue = page
            .items
            .into_iter()
            .map(|c| CatalogueEntry {
                id: c.id,
                name: c.document.name,
                cas: c.document.cas,
                synonyms: c.document.synonyms,
            })
            .collect();
        let mut task_forces = Vec::new();
        let mine = &ctx.actor()?.task_forces;
        if !mine.is_empty() {
            let query = PageQuery {
                limit: Some(MAX_LIMIT),
                cursor: None,
            };
            if let Ok(page) = crate::task_forces::list(ctx, &query).await {
                task_forces = page
                    .items
                    .into_iter()
                    .filter(|t| mine.contains(&t.id))
                    .map(|t| (t.id, t.name))
                    .collect();
            }
        }
        let query = PartyQuery {
            limit: Some(MAX_LIMIT),
            ..PartyQuery::default()
        };
        // A role that cannot search parties types names without help.
        let parties = match records::search::<PartyInput, _>(ctx, &query).await {
            Ok(page) => page
                .items
                .into_iter()
                .map(|p| {
                    let country = p.document.address.map(|a| a.country);
                    (p.document.name, country.filter(|c| !c.is_empty()))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        Ok(Self {
            catalogue,
            task_forces,
            parties,
        })
    }

    /// A catalogue entry by CAS number anywhere in the text, or by name
    /// or synonym.
    pub fn chemical(&self, text: &str) -> Option<Uuid> {
        let cas = text
            .split(|c: char| !(c.is_ascii_digit() || c == '-'))
            .find_map(|t| CasNumber::parse(t).ok())
            .map(|c| c.to_string());
        if let Some(cas) = cas {
            return self.catalogue.iter().find(|c| c.cas == cas).map(|c| c.id);
        }
        let wanted = text.trim().to_lowercase();
        self.catalogue
            .iter()
            .find(|c| {
                c.name.to_lowercase() == wanted
                    || c.synonyms.iter().any(|s| s.to_lowercase() == wanted)
            })
            .map(|c| c.id)
    }
}

/// Why an entry was not recorded.
#[derive(Debug)]
pub enum EntryError {
    /// Refused, with each reason: those about a field name it as the entry
    /// does. Nothing was written.
    Refused(Vec<AppError>),
    /// Could not be done now (the database, the audit trail).
    Failed(AppError),
}

/// `error` with its fields renamed by `rename`.
fn renamed(error: AppError, rename: &impl Fn(&str) -> String) -> AppError {
    match error {
        AppError::Validation(errors) => {
            let mut out = interdict_domain::ValidationErrors::new();
            for FieldError { field, message } in errors.errors() {
                out.add(rename(field), message.clone());
            }
            AppError::Validation(out)
        }
        AppError::BadRequest {
            detail,
            field: Some(field),
        } => AppError::BadRequest {
            detail,
            field: Some(rename(&field)),
        },
        other => other,
    }
}

/// Maps the shipment document's field names to the entry's.
pub fn rename_shipment_field(field: &str) -> String {
    if let Some((row, rest)) = field.split_once("].") {
        match rest {
            "party_id" => return format!("{row}].name"),
            "chemical_id" => return format!("{row}].chemical"),
            "equipment_id" => return format!("{row}].equipment.kind"),
            "die_mold_id" => return format!("{row}].die_mold.front_imprint"),
            "form" if row == "dea.filings[0" => return "dea_form".into(),
            "transaction_id" if row == "dea.filings[0" => return "dea_transaction_id".into(),
            "filed_on" if row == "dea.filings[0" => return "dea_filed_on".into(),
            _ => {}
        }
    }
    if field == "dea.released_on" {
        return "dea_released_on".into();
    }
    if field.starts_with("lines[") && field.ends_with(']') {
        return format!("{field}.kind");
    }
    field.to_owned()
}

/// A day from a date input as the RFC 3339 time documents take
/// (midnight UTC); anything else is passed on for them to judge.
pub fn day_start(value: &str) -> String {
    if value.len() == 10 && value.as_bytes().get(4) == Some(&b'-') {
        format!("{value}T00:00:00Z")
    } else {
        value.to_owned()
    }
}

fn opt_str(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.into(), Value::String(value.to_owned()));
    }
}

fn number(errors: &mut Vec<AppError>, name: &str, value: &str) -> Option<Value> {
    if value.is_empty() {
        return None;
    }
    match value.replace(',', "").parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Value::Number),
        _ => {
            errors.push(AppError::invalid(name, "must be a number"));
            None
        }
    }
}

/// `TX` next to country `US` means `US-TX`.
pub fn subdivision(country: &str, value: &str) -> String {
    if !value.is_empty() && !value.contains('-') && !country.is_empty() {
        format!("{country}-{}", value.to_ascii_uppercase())
    } else {
        value.to_ascii_uppercase()
    }
}

fn location(country: &str, subdivision_text: &str, city: &str) -> Value {
    let mut map = Map::new();
    map.insert("country".into(), Value::String(country.to_owned()));
    opt_str(
        &mut map,
        "subdivision",
        &subdivision(country, subdivision_text),
    );
    opt_str(&mut map, "city", city);
    Value::Object(map)
}

/// A record the entry creates alongside the shipment.
struct Dependent {
    prepared: Prepared,
    /// A party's (normalised name, country), to reuse one on file.
    party_key: Option<(String, String)>,
}

/// Everything an entry will write, checked.
struct Plan {
    dependents: Vec<Dependent>,
    shipment_id: Uuid,
    shipment: Value,
}

fn prepare_dependent<D: Document>(
    actor: &Actor,
    body: Value,
    errors: &mut Vec<AppError>,
    rename: impl Fn(&str) -> String,
) -> Option<Prepared> {
    match prepare::<D>(actor, Uuid::now_v7(), body) {
        Ok(prepared) => Some(prepared),
        Err(e) => {
            errors.push(renamed(e, &rename));
            None
        }
    }
}

/// Checks every record the entry describes, without writing.
fn plan(entry: &ShipmentEntry, options: &EntryOptions, actor: &Actor) -> (Plan, Vec<AppError>) {
    let mut errors = Vec::new();
    let mut dependents = Vec::new();
    let mut parties = Vec::new();
    for (i, row) in entry.parties.iter().enumerate() {
        let mut body = json!({ "kind": if row.kind.is_empty() { "company" } else { row.kind.as_str() }, "name": row.name });
        if !row.country.is_empty() {
            body["address"] = json!({ "country": row.country });
        }
        let rename = |f: &str| match f {
            "address.country" => format!("parties[{i}].country"),
            "kind" => format!("parties[{i}].kind"),
            _ => format!("parties[{i}].name"),
        };
        let id =
            prepare_dependent::<PartyInput>(actor, body, &mut errors, rename).map(|prepared| {
                let id = prepared.id;
                let party_key = match &prepared.index.facts {
                    Facts::Party {
                        name_key, country, ..
                    } => Some((name_key.clone(), country.clone().unwrap_or_default())),
                    _ => None,
                };
                dependents.push(Dependent {
                    prepared,
                    party_key,
                });
                id
            });
        parties.push(json!({ "party_id": id.unwrap_or_else(Uuid::now_v7), "role": row.role }));
    }
    let mut lines = Vec::new();
    for (i, row) in entry.lines.iter().enumerate() {
        let p = format!("lines[{i}]");
        let mut line = Map::new();
        match row.kind.as_str() {
            "equipment" => {
                let mut body = Map::new();
                body.insert("kind".into(), Value::String(row.equipment_kind.clone()));
                opt_str(&mut body, "serial_number", &row.serial_number);
                opt_str(&mut body, "manufacturer", &row.manufacturer);
                let rename = |f: &str| format!("{p}.equipment.{f}");
                if let Some(prepared) = prepare_dependent::<EquipmentInput>(
                    actor,
                    Value::Object(body),
                    &mut errors,
                    rename,
                ) {
                    line.insert("equipment_id".into(), json!(prepared.id));
                    dependents.push(Dependent {
                        prepared,
                        party_key: None,
                    });
                }
            }
            "die_mold" => {
                let mut body = Map::new();
                body.insert("shape".into(), Value::String(row.shape.clone()));
                opt_str(&mut body, "front_imprint", &row.front_imprint);
                opt_str(&mut body, "back_imprint", &row.back_imprint);
                opt_str(&mut body, "imitated_product", &row.imitated_product);
                let rename = |f: &str| format!("{p}.die_mold.{f}");
                if let Some(prepared) = prepare_dependent::<DieMoldInput>(
                    actor,
                    Value::Object(body),
                    &mut errors,
                    rename,
                ) {
                    line.insert("die_mold_id".into(), json!(prepared.id));
                    dependents.push(Dependent {
                        prepared,
                        party_key: None,
                    });
                }
            }
            _ => match options.chemical(&row.chemical) {
                Some(id) => {
                    line.insert("chemical_id".into(), json!(id));
                    if let Some(q) = number(&mut errors, &format!("{p}.quantity"), &row.quantity) {
                        line.insert("quantity".into(), q);
                    }
                    opt_str(&mut line, "unit", &row.unit);
                    opt_str(&mut line, "concentration", &row.concentration);
                }
                None => errors.push(AppError::invalid(
                    format!("{p}.chemical"),
                    "no chemical in the catalogue has this name or CAS number",
                )),
            },
        }
        if let Some(count) = number(&mut errors, &format!("{p}.count"), &row.count) {
            line.insert("count".into(), json!(count.as_f64().map(|c| c as i64)));
        }
        lines.push(Value::Object(line));
    }
    let products = product_lines(entry, &mut errors);
    let legs: Vec<Value> = entry
        .legs
        .iter()
        .map(|leg| {
            let mut map = Map::new();
            map.insert(
                "from".into(),
                location(&leg.from_country, &leg.from_subdivision, &leg.from_city),
            );
            map.insert(
                "to".into(),
                location(&leg.to_country, &leg.to_subdivision, &leg.to_city),
            );
            opt_str(&mut map, "departure_at", &day_start(&leg.departure_at));
            opt_str(&mut map, "arrival_at", &day_start(&leg.arrival_at));
            opt_str(&mut map, "carrier", &leg.carrier);
            Value::Object(map)
        })
        .collect();
    let mut shipment = Map::new();
    for (key, value) in [
        ("incident_type", &entry.incident_type),
        ("status", &entry.status),
        ("mode", &entry.mode),
    ] {
        shipment.insert(key.into(), Value::String(value.clone()));
    }
    if !entry.tracking_value.is_empty() {
        shipment.insert(
            "tracking_numbers".into(),
            json!([{ "kind": entry.tracking_kind, "value": entry.tracking_value }]),
        );
    }
    shipment.insert("parties".into(), Value::Array(parties));
    for (key, value) in [
        ("declared_description", &entry.declared_description),
        ("declared_hs_code", &entry.declared_hs_code),
        ("declared_value", &entry.declared_value),
        ("declared_currency", &entry.declared_currency),
        ("concealment_method", &entry.concealment_method),
        ("narrative", &entry.narrative),
    ] {
        opt_str(&mut shipment, key, value);
    }
    if let Some(weight) = number(&mut errors, "gross_weight_kg", &entry.gross_weight_kg) {
        shipment.insert("gross_weight_kg".into(), weight);
    }
    shipment.insert("lines".into(), Value::Array(lines));
    if !products.is_empty() {
        shipment.insert("products".into(), Value::Array(products));
    }
    shipment.insert("legs".into(), Value::Array(legs));
    if let Some(dea) = dea_details(entry) {
        shipment.insert("dea".into(), dea);
    }
    opt_str(&mut shipment, "scope", &entry.scope);
    let shipment_id = Uuid::now_v7();
    let shipment = Value::Object(shipment);
    // The document is checked now, with the dependents' new ids, so every
    // error shows at once; it is checked again when written.
    if let Err(e) = prepare::<ShipmentInput>(actor, shipment_id, shipment.clone()) {
        errors.push(renamed(e, &rename_shipment_field));
    }
    let plan = Plan {
        dependents,
        shipment_id,
        shipment,
    };
    (plan, errors)
}

/// The product lines as the document takes them; the document's validation
/// names what is missing or wrong, under the same field names.
fn product_lines(entry: &ShipmentEntry, errors: &mut Vec<AppError>) -> Vec<Value> {
    let mut products = Vec::new();
    for (i, row) in entry.products.iter().enumerate() {
        let p = format!("products[{i}]");
        let mut product = Map::new();
        let form = if row.form.is_empty() {
            "tablet"
        } else {
            &row.form
        };
        product.insert("form".into(), Value::String(form.to_owned()));
        if let Some(count) = number(errors, &format!("{p}.count"), &row.count) {
            let whole = count.as_f64().unwrap_or_default();
            if whole >= 0.0 && whole.fract() == 0.0 {
                product.insert("count".into(), json!(whole as u64));
            } else {
                errors.push(AppError::invalid(
                    format!("{p}.count"),
                    "must be a whole number of pills",
                ));
            }
        }
        if let Some(grams) = number(errors, &format!("{p}.grams"), &row.grams) {
            product.insert("grams".into(), grams);
        }
        opt_str(&mut product, "imprint", &row.imprint);
        let purity = number(
            errors,
            &format!("{p}.lab.purity_percent"),
            &row.purity_percent,
        );
        if !row.lab_substance.is_empty() {
            let mut lab = Map::new();
            lab.insert("substance".into(), Value::String(row.lab_substance.clone()));
            if let Some(purity) = purity {
                lab.insert("purity_percent".into(), purity);
            }
            product.insert("lab".into(), Value::Object(lab));
        } else if purity.is_some() {
            errors.push(AppError::invalid(
                format!("{p}.lab.substance"),
                "is required with a purity",
            ));
        }
        products.push(Value::Object(product));
    }
    products
}

/// The DEA details as the document takes them: a filing if any of its
/// fields is filled (the document's validation names what is missing), and
/// the release day.
fn dea_details(entry: &ShipmentEntry) -> Option<Value> {
    let mut dea = Map::new();
    let filing = [
        &entry.dea_form,
        &entry.dea_transaction_id,
        &entry.dea_filed_on,
    ];
    if filing.iter().any(|v| !v.trim().is_empty()) {
        let mut one = Map::new();
        one.insert("form".into(), Value::String(entry.dea_form.clone()));
        opt_str(&mut one, "transaction_id", &entry.dea_transaction_id);
        one.insert("filed_on".into(), Value::String(entry.dea_filed_on.clone()));
        dea.insert("filings".into(), json!([one]));
    }
    opt_str(&mut dea, "released_on", &entry.dea_released_on);
    (!dea.is_empty()).then_some(Value::Object(dea))
}

fn replace_id(value: &mut Value, from: Uuid, to: Uuid) {
    let (from, to) = (from.to_string(), to.to_string());
    if let Some(parties) = value.get_mut("parties").and_then(Value::as_array_mut) {
        for party in parties {
            if party.get("party_id").and_then(Value::as_str) == Some(from.as_str()) {
                party["party_id"] = Value::String(to.clone());
            }
        }
    }
}

/// Records an entry in one audited transaction; returns the shipment's id.
pub async fn record(
    ctx: &Ctx,
    entry: &ShipmentEntry,
    options: &EntryOptions,
) -> Result<Uuid, EntryError> {
    let actor = ctx.actor().map_err(EntryError::Failed)?.clone();
    let (plan, errors) = plan(entry, options, &actor);
    if !errors.is_empty() {
        // The audit shows refused attempts as the API does.
        let event = record_event(
            ctx,
            RecordKind::Shipment,
            RecordVerb::Create,
            Uuid::now_v7(),
        );
        let refused = ctx
            .reject::<()>(
                event,
                AppError::bad_request("form", "the shipment form has errors"),
            )
            .await;
        return match refused {
            Err(AppError::BadRequest { .. }) => Err(EntryError::Refused(errors)),
            Err(other) => Err(EntryError::Failed(other)),
            Ok(()) => Err(EntryError::Refused(errors)),
        };
    }
    let Plan {
        dependents,
        shipment_id,
        mut shipment,
    } = plan;
    let event = record_event(ctx, RecordKind::Shipment, RecordVerb::Create, shipment_id);
    let config = ctx.app.config.clone();
    let screener = ctx.app.screener.clone();
    let dependent_events: Vec<_> = dependents
        .iter()
        .map(|d| record_event(ctx, d.prepared.kind, RecordVerb::Create, d.prepared.id))
        .collect();
    let written = ctx
        .app
        .audit
        .perform(event, move |conn, context| {
            let keys: Vec<(String, String)> = dependents
                .iter()
                .filter_map(|d| d.party_key.clone())
                .collect();
            let on_file = imports::parties_by_key(conn, actor.agency_id, &keys)?;
            let mut written = Vec::new();
            for (dependent, event) in dependents.into_iter().zip(dependent_events) {
                let mut existing = dependent
                    .party_key
                    .as_ref()
                    .and_then(|k| on_file.get(k))
                    .copied();
                if existing.is_none() && dependent.party_key.is_some() {
                    // Not under the same normalised name: the matcher's
                    // party on file, if it is sure of one.
                    existing =
                        crate::party_matching::on_file(conn, &actor, &dependent.prepared.body)?;
                }
                match existing {
                    Some(existing) => {
                        // Point the shipment at the party on file.
                        replace_id(&mut shipment, dependent.prepared.id, existing);
                    }
                    None => written.push((dependent.prepared, event)),
                }
            }
            // Read here, not before: the shipment names the parties written
            // just above.
            for (prepared, event) in written {
                context.also(event);
                let lookups = Lookups::read(conn, &actor, &prepared)?;
                records::write_new(conn, context, &actor, prepared, lookups, &config, &screener)?;
            }
            let prepared = prepare::<ShipmentInput>(&actor, shipment_id, shipment)?;
            let lookups = Lookups::read(conn, &actor, &prepared)?;
            records::write_new(conn, context, &actor, prepared, lookups, &config, &screener)?;
            Ok::<_, AppError>(shipment_id)
        })
        .await;
    match written {
        Ok(id) => Ok(id),
        Err(
            e @ (AppError::Validation(_) | AppError::BadRequest { .. } | AppError::Conflict(_)),
        ) => Err(EntryError::Refused(vec![renamed(
            e,
            &rename_shipment_field,
        )])),
        Err(other) => Err(EntryError::Failed(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_errors_are_named_as_the_entry_names_them() {
        assert_eq!(
            rename_shipment_field("parties[1].party_id"),
            "parties[1].name"
        );
        assert_eq!(
            rename_shipment_field("lines[0].chemical_id"),
            "lines[0].chemical"
        );
        assert_eq!(rename_shipment_field("lines[2]"), "lines[2].kind");
        assert_eq!(
            rename_shipment_field("legs[0].from.country"),
            "legs[0].from.country"
        );
    }

    #[test]
    fn dates_and_regions_are_completed_as_documents_need_them() {
        assert_eq!(day_start("2026-03-01"), "2026-03-01T00:00:00Z");
        assert_eq!(day_start("2026-03-01T08:00:00Z"), "2026-03-01T08:00:00Z");
        assert_eq!(subdivision("US", "tx"), "US-TX");
        assert_eq!(subdivision("CN", "CN-GD"), "CN-GD");
    }

    #[test]
    fn a_chemical_is_found_by_cas_anywhere_in_the_text_or_by_name() {
        let id = Uuid::now_v7();
        let options = EntryOptions {
            catalogue: vec![CatalogueEntry {
                id,
                name: "Piperidine".into(),
                cas: "110-89-4".into(),
                synonyms: vec!["hexahydropyridine".into()],
            }],
            task_forces: Vec::new(),
            parties: Vec::new(),
        };
        assert_eq!(options.chemical("Piperidine (CAS 110-89-4)"), Some(id));
        assert_eq!(options.chemical("piperidine"), Some(id));
        assert_eq!(options.chemical("Hexahydropyridine"), Some(id));
        assert_eq!(options.chemical("water"), None);
    }
}
