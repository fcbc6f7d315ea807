//! The shipments export: one row per shipment with its places, parties,
//! lines and risk.
//!
//! Each page goes through three steps — read (query and parse), profile
//! (the lookups the risk rules and the names need, batched per page) and
//! write (assess, format, encode) — so only one page is in memory whatever
//! the export's size.

use interdict_domain::chemical::ChemicalInput;
use interdict_domain::policy::{self, Actor, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self, Assessment, Finding, RiskWeights};
use interdict_domain::shipment::{IncidentType, ShipmentInput, ShipmentStatus};
use interdict_persistence::profiles::Profiler;
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::search::{self, FactFilter, Search, ShipmentFacts};
use interdict_persistence::{agencies, DbConnection};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

use super::{no_flag_state, range, Producer, ReportQuery};
use crate::error::ApiError;
use crate::routes::registry::choice_param;
use crate::routes::views::utc;

pub const COLUMNS: &[&str] = &[
    "id",
    "owner_agency",
    "created_at",
    "incident_type",
    "status",
    "mode",
    "origin_country",
    "origin_city",
    "destination_country",
    "destination_subdivision",
    "destination_city",
    "shipped_at",
    "consignors",
    "consignees",
    "other_parties",
    "lines",
    "tracking_numbers",
    "declared_description",
    "risk_score",
    "indicators",
    "withdrawn_at",
    "withdrawn_reason",
];

/// Shipments are read in larger pages than other reports: their lookups
/// are batched per page.
const PAGE: i64 = 1000;

/// A page as read: the rows and their parsed documents.
struct Read {
    rows: Vec<RecordRow>,
    inputs: Vec<ShipmentInput>,
}

/// A page ready to write: what was read and what the risk rules found on
/// each shipment.
struct Profiled {
    read: Read,
    findings: Vec<Vec<Finding>>,
}

pub fn producer(
    actor: Actor,
    query: &ReportQuery,
    weights: RiskWeights,
) -> Result<Producer, ApiError> {
    if query.has_audit_filters() {
        return Err(ApiError::bad_request(
            "query",
            "user, action, object and outcome filters apply to the audit export",
        ));
    }
    no_flag_state(query)?;
    let (from, to) = range(query)?;
    let search = Search {
        owner_agency: query.owner_agency_id,
        facts: FactFilter::Shipment(ShipmentFacts {
            incident_type: choice_param::<IncidentType>("incident_type", &query.incident_type)?,
            status: choice_param::<ShipmentStatus>("status", &query.status)?,
            shipped_from: from,
            shipped_to: to,
            ..ShipmentFacts::default()
        }),
        limit: PAGE,
        ..Search::default()
    };
    Ok(Box::new(move |conn, emit| {
        let visibility = policy::visibility(&actor, RecordKind::Shipment);
        let mut search = search;
        let mut profiler = Profiler::default();
        let mut loader = NameLoader::new(&actor);
        let mut sent = 0;
        while let Some((read, full)) = read_page(conn, &visibility, &mut search)? {
            let page = profile_page(conn, &mut profiler, &mut loader, read)?;
            if !write_page(&loader.book, page, &weights, emit, &mut sent) || !full {
                break;
            }
        }
        Ok(sent)
    }))
}

/// The next page of visible shipments, newest first, parsed, and whether
/// it was full (so another may follow); `None` when none are left.
fn read_page(
    conn: &mut DbConnection,
    visibility: &Visibility,
    search: &mut Search,
) -> Result<Option<(Read, bool)>, ApiError> {
    let mut rows = search::search(conn, RecordKind::Shipment, visibility, search)?;
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    search.before = Some(last.id.0);
    let full = rows.len() as i64 == PAGE;
    // The document is parsed here and its text dropped, so it is not
    // carried through the other steps.
    let inputs = rows
        .iter_mut()
        .map(|row| {
            let body = std::mem::take(&mut row.body);
            serde_json::from_str(&body).map_err(ApiError::internal)
        })
        .collect::<Result<_, _>>()?;
    Ok(Some((Read { rows, inputs }, full)))
}

/// What the rules found on a page's shipments, and the names it needs.
fn profile_page(
    conn: &mut DbConnection,
    profiler: &mut Profiler,
    names: &mut NameLoader,
    read: Read,
) -> Result<Profiled, ApiError> {
    let shipments: Vec<(Uuid, Option<&ShipmentInput>)> = read
        .rows
        .iter()
        .zip(&read.inputs)
        .map(|(row, input)| (row.id.0, Some(input)))
        .collect();
    let findings = profiler.findings_of(conn, &shipments)?;
    names.load(conn, &read)?;
    Ok(Profiled { read, findings })
}

/// A page assessed, formatted and handed to `emit`, counting rows sent;
/// false once the client has gone.
fn write_page(
    names: &NameBook,
    page: Profiled,
    weights: &RiskWeights,
    emit: &mut dyn FnMut(Vec<Value>) -> bool,
    sent: &mut u64,
) -> bool {
    let shipments = page.read.rows.iter().zip(page.read.inputs);
    for ((row, input), findings) in shipments.zip(page.findings) {
        let risk = risk::weigh(findings, weights);
        if !emit(row_values(names, row, input, risk)) {
            return false;
        }
        *sent += 1;
    }
    true
}

/// Names of the parties, chemicals and agencies rows mention.
#[derive(Default)]
struct NameBook {
    parties: HashMap<Uuid, String>,
    chemicals: HashMap<Uuid, String>,
    agencies: HashMap<Uuid, String>,
}

fn name<'a>(names: &'a HashMap<Uuid, String>, id: &Uuid) -> &'a str {
    names.get(id).map_or("", String::as_str)
}

/// Looks names up a page at a time, each once per export.
struct NameLoader {
    parties: Visibility,
    book: NameBook,
}

impl NameLoader {
    fn new(actor: &Actor) -> Self {
        Self {
            parties: policy::visibility(actor, RecordKind::Party),
            book: NameBook::default(),
        }
    }

    /// Adds the names `page` needs that no earlier page did. Parties the caller
    /// may not see are named as such; the catalogue is public.
    fn load(&mut self, conn: &mut DbConnection, page: &Read) -> Result<(), ApiError> {
        let parties = unknown(
            page.inputs
                .iter()
                .flat_map(|i| i.parties.iter().map(|p| p.party_id)),
            &self.book.parties,
        );
        if !parties.is_empty() {
            let found = records::bodies_visible(conn, RecordKind::Party, &parties, &self.parties)?;
            self.book
                .parties
                .extend(named(parties, found, "(not visible)", |body| {
                    serde_json::from_str::<Value>(body)
                        .ok()
                        .and_then(|body| body["name"].as_str().map(str::to_owned))
                }));
        }
        let chemicals = unknown(
            page.inputs
                .iter()
                .flat_map(|i| i.lines.iter().filter_map(|l| l.chemical_id)),
            &self.book.chemicals,
        );
        if !chemicals.is_empty() {
            let everything = Visibility::Everything {
                include_withdrawn: true,
            };
            let found =
                records::bodies_visible(conn, RecordKind::Chemical, &chemicals, &everything)?;
            self.book
                .chemicals
                .extend(named(chemicals, found, "chemical", |body| {
                    serde_json::from_str::<ChemicalInput>(body)
                        .ok()
                        .map(|c| c.name)
                }));
        }
        for id in unknown(
            page.rows.iter().map(|r| r.owner_agency_id.0),
            &self.book.agencies,
        ) {
            let agency = agencies::find(conn, id)?.map(|a| a.name);
            self.book.agencies.insert(id, agency.unwrap_or_default());
        }
        Ok(())
    }
}

/// Those of `ids` not in `known`, each once.
fn unknown(ids: impl Iterator<Item = Uuid>, known: &HashMap<Uuid, String>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.filter(|id| !known.contains_key(id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Each of `ids` with the name read from its body, or `missing` where the
/// body was not found or had no name.
fn named(
    ids: Vec<Uuid>,
    found: Vec<(Uuid, String)>,
    missing: &str,
    read: impl Fn(&str) -> Option<String>,
) -> HashMap<Uuid, String> {
    let mut names: HashMap<Uuid, String> = found
        .into_iter()
        .map(|(id, body)| (id, read(&body).unwrap_or_default()))
        .collect();
    for id in ids {
        names.entry(id).or_insert_with(|| missing.to_owned());
    }
    names
}

fn text(value: String) -> Value {
    Value::String(value)
}

fn optional(value: Option<String>) -> Value {
    value.map_or(Value::Null, Value::String)
}

fn row_values(
    names: &NameBook,
    row: &RecordRow,
    input: ShipmentInput,
    risk: Assessment,
) -> Vec<Value> {
    let (mut consignors, mut consignees, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for party in &input.parties {
        let name = name(&names.parties, &party.party_id);
        match party.role.as_str() {
            "consignor" => consignors.push(name.to_owned()),
            "consignee" => consignees.push(name.to_owned()),
            role => others.push(format!("{name} ({role})")),
        }
    }
    let lines: Vec<String> = input
        .lines
        .iter()
        .map(|line| {
            if let Some(id) = line.chemical_id {
                format!(
                    "{} {} {}",
                    line.quantity.unwrap_or_default(),
                    line.unit.as_deref().unwrap_or_default(),
                    name(&names.chemicals, &id)
                )
            } else if line.equipment_id.is_some() {
                format!("{}× equipment", line.count)
            } else {
                format!("{}× die mold", line.count)
            }
        })
        .collect();
    let shipped_at = input
        .legs
        .iter()
        .find_map(|l| l.departure_at.clone().or_else(|| l.arrival_at.clone()));
    let tracking: Vec<&str> = input
        .tracking_numbers
        .iter()
        .map(|t| t.value.as_str())
        .collect();
    let tracking = tracking.join("; ");
    let mut legs = input.legs.into_iter();
    let first = legs.next();
    let last = legs.next_back().or_else(|| first.clone());
    let (origin_country, origin_city) =
        first.map_or((None, None), |l| (Some(l.from.country), l.from.city));
    let (destination_country, destination_subdivision, destination_city) = last
        .map_or((None, None, None), |l| {
            (Some(l.to.country), l.to.subdivision, l.to.city)
        });
    let indicators: Vec<&str> = risk.indicators.iter().map(|i| i.code.as_str()).collect();
    vec![
        text(row.id.0.to_string()),
        text(name(&names.agencies, &row.owner_agency_id.0).to_owned()),
        text(utc(row.created_at).to_rfc3339()),
        text(input.incident_type),
        text(input.status),
        text(input.mode),
        optional(origin_country),
        optional(origin_city),
        optional(destination_country),
        optional(destination_subdivision),
        optional(destination_city),
        optional(shipped_at),
        text(consignors.join("; ")),
        text(consignees.join("; ")),
        text(others.join("; ")),
        text(lines.join("; ")),
        text(tracking),
        optional(input.declared_description),
        serde_json::json!(risk.score),
        text(indicators.join("; ")),
        optional(row.withdrawn_at.map(|t| utc(t).to_rfc3339())),
        optional(row.withdrawn_reason.clone()),
    ]
}
