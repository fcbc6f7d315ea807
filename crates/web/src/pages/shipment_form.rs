//! The shipment form: parties by name, lines that pick a chemical from
//! the catalogue or describe a press or a die mold, and several legs.
//!
//! Parties, presses and die molds the investigator types are recorded as
//! records of their own (a party already on file under the same
//! normalised name and country is reused), all in the shipment's one
//! transaction with the same audit entries the API writes: a refused form
//! writes nothing and comes back with what was typed and each error
//! beside its field.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_domain::chemical::CasNumber;
use interdict_domain::die_mold::{DieMoldInput, Shape};
use interdict_domain::equipment::{EquipmentInput, EquipmentKind};
use interdict_domain::party::{PartyInput, PartyKind};
use interdict_domain::policy::Actor;
use interdict_domain::record::{Document, Facts};
use interdict_domain::shipment::{
    IncidentType, Mode, PartyRole, ShipmentInput, ShipmentStatus, TrackingKind, Unit,
};
use interdict_persistence::imports;
use maud::html;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::display::day_start;
use super::error::PageError;
use super::form::{choices, select, Errors, Fields, Input};
use super::layout::{csrf, page_with, see_other};
use super::session::{Posted, Session};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pagination::PageQuery;
use crate::routes::chemicals::{self, ChemicalQuery};
use crate::routes::registry::{self, Prepared};
use crate::routes::task_forces;
use crate::state::AppState;

const MAX_PARTIES: usize = 50;
const MAX_LINES: usize = 100;
const MAX_LEGS: usize = 20;

#[derive(Debug, Default, Clone)]
pub struct PartyRow {
    pub role: String,
    pub kind: String,
    pub name: String,
    pub country: String,
}

#[derive(Debug, Default, Clone)]
pub struct LineRow {
    /// `chemical`, `equipment` or `die_mold`.
    pub kind: String,
    pub chemical: String,
    pub quantity: String,
    pub unit: String,
    pub equipment_kind: String,
    pub serial_number: String,
    pub manufacturer: String,
    pub front_imprint: String,
    pub back_imprint: String,
    pub shape: String,
    pub imitated_product: String,
    pub count: String,
}

#[derive(Debug, Default, Clone)]
pub struct LegRow {
    pub from_country: String,
    pub from_subdivision: String,
    pub from_city: String,
    pub to_country: String,
    pub to_subdivision: String,
    pub to_city: String,
    pub departure_at: String,
    pub arrival_at: String,
    pub carrier: String,
}

#[derive(Debug, Default)]
pub struct ShipmentForm {
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
    pub parties: Vec<PartyRow>,
    pub lines: Vec<LineRow>,
    pub legs: Vec<LegRow>,
}

fn has_row(fields: &Fields, prefix: &str, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| !fields.get(&format!("{prefix}.{n}")).is_empty())
}

impl ShipmentForm {
    /// An empty form: consignor and consignee, one line, one leg.
    pub fn blank() -> Self {
        Self {
            incident_type: IncidentType::ALL[0].as_str().into(),
            status: ShipmentStatus::ALL[0].as_str().into(),
            mode: Mode::ALL[0].as_str().into(),
            scope: "agency".into(),
            tracking_kind: TrackingKind::ALL[0].as_str().into(),
            parties: vec![
                PartyRow {
                    role: "consignor".into(),
                    ..PartyRow::default()
                },
                PartyRow {
                    role: "consignee".into(),
                    ..PartyRow::default()
                },
            ],
            lines: vec![LineRow::default()],
            legs: vec![LegRow::default()],
            ..Self::default()
        }
    }

    /// What was submitted; rows left wholly blank are dropped.
    pub fn read(f: &Fields) -> Self {
        let mut form = Self {
            incident_type: f.text("incident_type"),
            status: f.text("status"),
            mode: f.text("mode"),
            scope: f.text("scope"),
            tracking_kind: f.text("tracking_numbers[0].kind"),
            tracking_value: f.text("tracking_numbers[0].value"),
            declared_description: f.text("declared_description"),
            declared_hs_code: f.text("declared_hs_code"),
            declared_value: f.text("declared_value"),
            declared_currency: f.text("declared_currency"),
            gross_weight_kg: f.text("gross_weight_kg"),
            concealment_method: f.text("concealment_method"),
            narrative: f.get("narrative").trim().to_owned(),
            ..Self::default()
        };
        for i in 0..MAX_PARTIES {
            let p = format!("parties[{i}]");
            if has_row(f, &p, &["name", "country"]) {
                form.parties.push(PartyRow {
                    role: f.text(&format!("{p}.role")),
                    kind: f.text(&format!("{p}.kind")),
                    name: f.text(&format!("{p}.name")),
                    country: f.text(&format!("{p}.country")).to_ascii_uppercase(),
                });
            }
        }
        for i in 0..MAX_LINES {
            let p = format!("lines[{i}]");
            let content = [
                "chemical",
                "quantity",
                "equipment.serial_number",
                "equipment.manufacturer",
                "die_mold.front_imprint",
                "die_mold.back_imprint",
                "die_mold.imitated_product",
            ];
            let kind = f.text(&format!("{p}.kind"));
            if has_row(f, &p, &content) {
                form.lines.push(LineRow {
                    kind,
                    chemical: f.text(&format!("{p}.chemical")),
                    quantity: f.text(&format!("{p}.quantity")),
                    unit: f.text(&format!("{p}.unit")),
                    equipment_kind: f.text(&format!("{p}.equipment.kind")),
                    serial_number: f.text(&format!("{p}.equipment.serial_number")),
                    manufacturer: f.text(&format!("{p}.equipment.manufacturer")),
                    front_imprint: f.text(&format!("{p}.die_mold.front_imprint")),
                    back_imprint: f.text(&format!("{p}.die_mold.back_imprint")),
                    shape: f.text(&format!("{p}.die_mold.shape")),
                    imitated_product: f.text(&format!("{p}.die_mold.imitated_product")),
                    count: f.text(&format!("{p}.count")),
                });
            }
        }
        for i in 0..MAX_LEGS {
            let p = format!("legs[{i}]");
            let content = [
                "from.country",
                "from.city",
                "to.country",
                "to.city",
                "departure_at",
                "arrival_at",
                "carrier",
            ];
            if has_row(f, &p, &content) {
                form.legs.push(LegRow {
                    from_country: f.text(&format!("{p}.from.country")).to_ascii_uppercase(),
                    from_subdivision: f.text(&format!("{p}.from.subdivision")),
                    from_city: f.text(&format!("{p}.from.city")),
                    to_country: f.text(&format!("{p}.to.country")).to_ascii_uppercase(),
                    to_subdivision: f.text(&format!("{p}.to.subdivision")),
                    to_city: f.text(&format!("{p}.to.city")),
                    departure_at: f.text(&format!("{p}.departure_at")),
                    arrival_at: f.text(&format!("{p}.arrival_at")),
                    carrier: f.text(&format!("{p}.carrier")),
                });
            }
        }
        form
    }

    /// One more empty row of a section ("Add a party" and the like work
    /// without JavaScript: the form comes back with the row added).
    fn add_row(&mut self, section: &str) {
        match section {
            "party" if self.parties.len() < MAX_PARTIES => self.parties.push(PartyRow {
                role: "consignee".into(),
                ..PartyRow::default()
            }),
            "line" if self.lines.len() < MAX_LINES => self.lines.push(LineRow::default()),
            "leg" if self.legs.len() < MAX_LEGS => {
                // A new leg starts where the last one ended.
                let from = self.legs.last().cloned().unwrap_or_default();
                self.legs.push(LegRow {
                    from_country: from.to_country,
                    from_subdivision: from.to_subdivision,
                    from_city: from.to_city,
                    ..LegRow::default()
                })
            }
            _ => {}
        }
    }
}

/// The catalogue and sharing choices the form offers.
pub struct Options {
    pub catalogue: Vec<(Uuid, String, String, Vec<String>)>,
    pub task_forces: Vec<(Uuid, String)>,
}

impl Options {
    pub async fn load(state: &web::Data<AppState>, caller: &Caller) -> Result<Self, ApiError> {
        let query = ChemicalQuery {
            limit: Some(crate::pagination::MAX_LIMIT),
            ..ChemicalQuery::default()
        };
        let page = chemicals::list(state.clone(), caller.clone(), web::Query(query))
            .await?
            .into_inner();
        let catalogue = page
            .items
            .iter()
            .map(|c| {
                let text = |k: &str| {
                    c.document
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let synonyms = c
                    .document
                    .get("synonyms")
                    .and_then(Value::as_array)
                    .map(|s| {
                        s.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                (c.id, text("name"), text("cas"), synonyms)
            })
            .collect();
        let mut task_forces = Vec::new();
        if !caller.actor.task_forces.is_empty() {
            let query = PageQuery {
                limit: Some(crate::pagination::MAX_LIMIT),
                cursor: None,
            };
            if let Ok(page) =
                task_forces::list(state.clone(), caller.clone(), web::Query(query)).await
            {
                task_forces = page
                    .into_inner()
                    .items
                    .into_iter()
                    .filter(|t| caller.actor.task_forces.contains(&t.id))
                    .map(|t| (t.id, t.name))
                    .collect();
            }
        }
        Ok(Self {
            catalogue,
            task_forces,
        })
    }

    /// A catalogue entry by CAS number anywhere in the text, or by name
    /// or synonym.
    fn chemical(&self, text: &str) -> Option<Uuid> {
        let cas = text
            .split(|c: char| !(c.is_ascii_digit() || c == '-'))
            .find_map(|t| CasNumber::parse(t).ok())
            .map(|c| c.to_string());
        if let Some(cas) = cas {
            return self.catalogue.iter().find(|c| c.2 == cas).map(|c| c.0);
        }
        let wanted = text.trim().to_lowercase();
        self.catalogue
            .iter()
            .find(|c| {
                c.1.to_lowercase() == wanted || c.3.iter().any(|s| s.to_lowercase() == wanted)
            })
            .map(|c| c.0)
    }
}

fn opt_str(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.into(), Value::String(value.to_owned()));
    }
}

fn number(errors: &mut Errors, name: &str, value: &str) -> Option<Value> {
    if value.is_empty() {
        return None;
    }
    match value.replace(',', "").parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Value::Number),
        _ => {
            errors.field(name, "must be a number");
            None
        }
    }
}

/// `TX` next to country `US` means `US-TX`.
fn subdivision(country: &str, value: &str) -> String {
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

/// A record the form creates alongside the shipment.
struct Dependent {
    prepared: Prepared,
    /// A party's (normalised name, country), to reuse one on file.
    party_key: Option<(String, String)>,
}

/// Everything the form will write, checked.
pub struct Plan {
    dependents: Vec<Dependent>,
    shipment_id: Uuid,
    shipment: Value,
}

fn prepare_dependent<D: Document>(
    actor: &Actor,
    body: Value,
    errors: &mut Errors,
    rename: impl Fn(&str) -> String,
) -> Option<Prepared> {
    match registry::prepare::<D>(actor, Uuid::now_v7(), body) {
        Ok(prepared) => Some(prepared),
        Err(e) => {
            errors.absorb(&e, rename);
            None
        }
    }
}

/// Maps the shipment document's field names to the form's.
pub fn rename_shipment_field(field: &str) -> String {
    if let Some((row, rest)) = field.split_once("].") {
        match rest {
            "party_id" => return format!("{row}].name"),
            "chemical_id" => return format!("{row}].chemical"),
            "equipment_id" => return format!("{row}].equipment.kind"),
            "die_mold_id" => return format!("{row}].die_mold.front_imprint"),
            _ => {}
        }
    }
    if field.starts_with("lines[") && field.ends_with(']') {
        return format!("{field}.kind");
    }
    field.to_owned()
}

impl ShipmentForm {
    /// Checks every record the form describes, without writing.
    pub fn plan(&self, options: &Options, actor: &Actor, errors: &mut Errors) -> Plan {
        let mut dependents = Vec::new();
        let mut parties = Vec::new();
        for (i, row) in self.parties.iter().enumerate() {
            let mut body = json!({ "kind": if row.kind.is_empty() { "company" } else { row.kind.as_str() }, "name": row.name });
            if !row.country.is_empty() {
                body["address"] = json!({ "country": row.country });
            }
            let rename = |f: &str| match f {
                "address.country" => format!("parties[{i}].country"),
                "kind" => format!("parties[{i}].kind"),
                _ => format!("parties[{i}].name"),
            };
            let id = prepare_dependent::<PartyInput>(actor, body, errors, rename).map(|prepared| {
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
        for (i, row) in self.lines.iter().enumerate() {
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
                        errors,
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
                        errors,
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
                        if let Some(q) = number(errors, &format!("{p}.quantity"), &row.quantity) {
                            line.insert("quantity".into(), q);
                        }
                        opt_str(&mut line, "unit", &row.unit);
                    }
                    None => errors.field(
                        format!("{p}.chemical"),
                        "no chemical in the catalogue has this name or CAS number",
                    ),
                },
            }
            if let Some(count) = number(errors, &format!("{p}.count"), &row.count) {
                line.insert("count".into(), json!(count.as_f64().map(|c| c as i64)));
            }
            lines.push(Value::Object(line));
        }
        let legs: Vec<Value> = self
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
            ("incident_type", &self.incident_type),
            ("status", &self.status),
            ("mode", &self.mode),
        ] {
            shipment.insert(key.into(), Value::String(value.clone()));
        }
        if !self.tracking_value.is_empty() {
            shipment.insert(
                "tracking_numbers".into(),
                json!([{ "kind": self.tracking_kind, "value": self.tracking_value }]),
            );
        }
        shipment.insert("parties".into(), Value::Array(parties));
        for (key, value) in [
            ("declared_description", &self.declared_description),
            ("declared_hs_code", &self.declared_hs_code),
            ("declared_value", &self.declared_value),
            ("declared_currency", &self.declared_currency),
            ("concealment_method", &self.concealment_method),
            ("narrative", &self.narrative),
        ] {
            opt_str(&mut shipment, key, value);
        }
        if let Some(weight) = number(errors, "gross_weight_kg", &self.gross_weight_kg) {
            shipment.insert("gross_weight_kg".into(), weight);
        }
        shipment.insert("lines".into(), Value::Array(lines));
        shipment.insert("legs".into(), Value::Array(legs));
        opt_str(&mut shipment, "scope", &self.scope);
        let shipment_id = Uuid::now_v7();
        let shipment = Value::Object(shipment);
        // The document is checked now, with the dependents' new ids, so
        // every error shows at once; it is checked again when written.
        if let Err(e) = registry::prepare::<ShipmentInput>(actor, shipment_id, shipment.clone()) {
            errors.absorb(&e, rename_shipment_field);
        }
        Plan {
            dependents,
            shipment_id,
            shipment,
        }
    }
}

/// Writes a checked plan in one audited transaction.
async fn write(state: &web::Data<AppState>, caller: &Caller, plan: Plan) -> Result<Uuid, ApiError> {
    let Plan {
        dependents,
        shipment_id,
        mut shipment,
    } = plan;
    let event = registry::create_event(caller, ShipmentInput::KIND, shipment_id);
    let actor = caller.actor.clone();
    let config = state.config.clone();
    let dependent_events: Vec<_> = dependents
        .iter()
        .map(|d| registry::create_event(caller, d.prepared.kind, d.prepared.id))
        .collect();
    state
        .audit
        .perform(event, move |conn, context| {
            let keys: Vec<(String, String)> = dependents
                .iter()
                .filter_map(|d| d.party_key.clone())
                .collect();
            let on_file = imports::parties_by_key(conn, actor.agency_id, &keys)?;
            let mut written = Vec::new();
            for (dependent, event) in dependents.into_iter().zip(dependent_events) {
                let existing = dependent.party_key.as_ref().and_then(|k| on_file.get(k));
                match existing {
                    Some(existing) => {
                        // Point the shipment at the party on file.
                        replace_id(&mut shipment, dependent.prepared.id, *existing);
                    }
                    None => written.push((dependent.prepared, event)),
                }
            }
            for (prepared, event) in written {
                context.also(event);
                registry::write_new(conn, context, &actor, prepared, &config)?;
            }
            let prepared = registry::prepare::<ShipmentInput>(&actor, shipment_id, shipment)?;
            registry::write_new(conn, context, &actor, prepared, &config)?;
            Ok::<_, ApiError>(shipment_id)
        })
        .await
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

pub async fn new(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, PageError> {
    let options = Options::load(&state, &session.caller).await?;
    Ok(render(
        &session,
        &ShipmentForm::blank(),
        &options,
        &Errors::default(),
        StatusCode::OK,
    ))
}

pub async fn create(state: web::Data<AppState>, posted: Posted) -> Result<HttpResponse, PageError> {
    let Posted { session, fields } = posted;
    let mut form = ShipmentForm::read(&fields);
    let options = Options::load(&state, &session.caller).await?;
    if let Some(section) = fields.opt("add") {
        form.add_row(&section);
        return Ok(render(
            &session,
            &form,
            &options,
            &Errors::default(),
            StatusCode::OK,
        ));
    }
    let mut errors = Errors::default();
    let plan = form.plan(&options, &session.caller.actor, &mut errors);
    if errors.is_empty() {
        match write(&state, &session.caller, plan).await {
            Ok(id) => return Ok(see_other(&format!("/shipments/{id}?done=recorded"))),
            Err(
                e @ (ApiError::Validation(_) | ApiError::BadRequest { .. } | ApiError::Conflict(_)),
            ) => errors.absorb(&e, rename_shipment_field),
            Err(other) => return Err(other.into()),
        }
    } else {
        // The audit shows refused attempts as the API does.
        let event = registry::create_event(&session.caller, ShipmentInput::KIND, Uuid::now_v7());
        let _ = state
            .reject::<()>(
                event,
                ApiError::bad_request("form", "the shipment form has errors"),
            )
            .await;
    }
    Ok(render(
        &session,
        &form,
        &options,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

fn words<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> Vec<(String, String)> {
    choices(&all.iter().map(|v| text(*v)).collect::<Vec<_>>())
}

fn render(
    session: &Session,
    form: &ShipmentForm,
    options: &Options,
    errors: &Errors,
    status: StatusCode,
) -> HttpResponse {
    let mut scopes = vec![
        ("agency".to_owned(), "my agency only".to_owned()),
        ("all".to_owned(), "all agencies".to_owned()),
    ];
    scopes.extend(
        options
            .task_forces
            .iter()
            .map(|(id, name)| (id.to_string(), format!("task force: {name}"))),
    );
    let body = html! {
        h1 { "Record a shipment" }
        (errors.summary())
        form.stack method="post" action="/shipments/new" novalidate {
            (csrf(session))
            fieldset {
                legend { "What and how" }
                div.row {
                    (select("Incident type", "incident_type", &words(IncidentType::ALL, IncidentType::as_str), &form.incident_type, errors))
                    (select("Status", "status", &words(ShipmentStatus::ALL, ShipmentStatus::as_str), &form.status, errors))
                    (select("Mode", "mode", &words(Mode::ALL, Mode::as_str), &form.mode, errors))
                    (select("Shared with", "scope", &scopes, &form.scope, errors))
                }
                div.row {
                    (select("Tracking number type", "tracking_numbers[0].kind", &words(TrackingKind::ALL, TrackingKind::as_str), &form.tracking_kind, errors))
                    (Input::new("Tracking number", "tracking_numbers[0].value", &form.tracking_value).render(errors))
                    (Input::new("HS code declared", "declared_hs_code", &form.declared_hs_code).render(errors))
                    (Input::new("Gross weight (kg)", "gross_weight_kg", &form.gross_weight_kg).kind("text").render(errors))
                }
                div.row {
                    (Input::new("Declared description", "declared_description", &form.declared_description).render(errors))
                    (Input::new("Declared value", "declared_value", &form.declared_value).hint("e.g. 1250.00").render(errors))
                    (Input::new("Currency", "declared_currency", &form.declared_currency).hint("ISO 4217, e.g. USD").render(errors))
                    (Input::new("Concealment method", "concealment_method", &form.concealment_method).render(errors))
                }
                (Input::new("Narrative", "narrative", &form.narrative).kind("textarea").render(errors))
            }
            fieldset {
                legend { "Parties" }
                @for (i, party) in form.parties.iter().enumerate() {
                    div.row {
                        (select(&format!("Party {} role", i + 1), &format!("parties[{i}].role"), &words(PartyRole::ALL, PartyRole::as_str), &party.role, errors))
                        (select("Kind", &format!("parties[{i}].kind"), &words(PartyKind::ALL, PartyKind::as_str), &party.kind, errors))
                        (Input::new("Name", &format!("parties[{i}].name"), &party.name).render(errors))
                        (Input::new("Country", &format!("parties[{i}].country"), &party.country).hint("ISO code, e.g. CN").render(errors))
                    }
                }
                div.actions { button.secondary type="submit" name="add" value="party" { "Add a party" } }
            }
            fieldset {
                legend { "Lines" }
                datalist #catalogue {
                    @for (_, name, cas, _) in &options.catalogue { option value={ (name) " (CAS " (cas) ")" } {} }
                }
                @for (i, line) in form.lines.iter().enumerate() {
                    fieldset {
                        legend { "Line " (i + 1) }
                        div.row {
                            (select("What", &format!("lines[{i}].kind"), &[("chemical".into(), "chemical".into()), ("equipment".into(), "press or equipment".into()), ("die_mold".into(), "die mold".into())], &line.kind, errors))
                            (Input::new("Count", &format!("lines[{i}].count"), &line.count).hint("packages or pieces; 1 if blank").render(errors))
                        }
                        div.row {
                            (Input::new("Chemical (name or CAS)", &format!("lines[{i}].chemical"), &line.chemical).list("catalogue").render(errors))
                            (Input::new("Quantity", &format!("lines[{i}].quantity"), &line.quantity).render(errors))
                            (select("Unit", &format!("lines[{i}].unit"), &words(Unit::ALL, Unit::as_str), &line.unit, errors))
                        }
                        div.row {
                            (select("Equipment kind", &format!("lines[{i}].equipment.kind"), &words(EquipmentKind::ALL, EquipmentKind::as_str), &line.equipment_kind, errors))
                            (Input::new("Serial number", &format!("lines[{i}].equipment.serial_number"), &line.serial_number).render(errors))
                            (Input::new("Manufacturer", &format!("lines[{i}].equipment.manufacturer"), &line.manufacturer).render(errors))
                        }
                        div.row {
                            (Input::new("Die front imprint", &format!("lines[{i}].die_mold.front_imprint"), &line.front_imprint).render(errors))
                            (Input::new("Die back imprint", &format!("lines[{i}].die_mold.back_imprint"), &line.back_imprint).render(errors))
                            (select("Die shape", &format!("lines[{i}].die_mold.shape"), &words(Shape::ALL, Shape::as_str), &line.shape, errors))
                            (Input::new("Imitated product", &format!("lines[{i}].die_mold.imitated_product"), &line.imitated_product).render(errors))
                        }
                    }
                }
                div.actions { button.secondary type="submit" name="add" value="line" { "Add a line" } }
            }
            fieldset {
                legend { "Route" }
                @for (i, leg) in form.legs.iter().enumerate() {
                    fieldset {
                        legend { "Leg " (i + 1) }
                        div.row {
                            (Input::new("From country", &format!("legs[{i}].from.country"), &leg.from_country).hint("ISO code").render(errors))
                            (Input::new("From region", &format!("legs[{i}].from.subdivision"), &leg.from_subdivision).hint("e.g. TX or CN-GD").render(errors))
                            (Input::new("From city", &format!("legs[{i}].from.city"), &leg.from_city).render(errors))
                            (Input::new("Departed", &format!("legs[{i}].departure_at"), &leg.departure_at).kind("date").render(errors))
                        }
                        div.row {
                            (Input::new("To country", &format!("legs[{i}].to.country"), &leg.to_country).hint("ISO code").render(errors))
                            (Input::new("To region", &format!("legs[{i}].to.subdivision"), &leg.to_subdivision).render(errors))
                            (Input::new("To city", &format!("legs[{i}].to.city"), &leg.to_city).render(errors))
                            (Input::new("Arrived", &format!("legs[{i}].arrival_at"), &leg.arrival_at).kind("date").render(errors))
                        }
                        (Input::new("Carrier", &format!("legs[{i}].carrier"), &leg.carrier).render(errors))
                    }
                }
                div.actions { button.secondary type="submit" name="add" value="leg" { "Add a leg" } }
            }
            div.actions { button #record type="submit" { "Record shipment" } }
        }
    };
    page_with(status, session, "Record a shipment", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn blank_rows_are_dropped_and_typed_rows_kept_in_order() {
        let form = ShipmentForm::read(&fields(&[
            ("parties[0].name", "Acme"),
            ("parties[0].role", "consignor"),
            ("parties[1].name", ""),
            ("parties[2].name", "Beta"),
            ("legs[0].from.country", "cn"),
            ("legs[1].carrier", ""),
        ]));
        assert_eq!(form.parties.len(), 2);
        assert_eq!(form.parties[1].name, "Beta");
        assert_eq!(form.legs.len(), 1);
        assert_eq!(form.legs[0].from_country, "CN");
    }

    #[test]
    fn document_errors_are_shown_on_the_inputs_that_caused_them() {
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
        let options = Options {
            catalogue: vec![(
                id,
                "Piperidine".into(),
                "110-89-4".into(),
                vec!["hexahydropyridine".into()],
            )],
            task_forces: Vec::new(),
        };
        assert_eq!(options.chemical("Piperidine (CAS 110-89-4)"), Some(id));
        assert_eq!(options.chemical("piperidine"), Some(id));
        assert_eq!(options.chemical("Hexahydropyridine"), Some(id));
        assert_eq!(options.chemical("water"), None);
    }
}
