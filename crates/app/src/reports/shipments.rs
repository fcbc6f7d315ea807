//! The shipments export: one row per shipment with its places, parties,
//! lines and risk.
//!
//! Three threads work a page apart: one runs the page queries back to
//! back, one weighs each page's kept findings and looks up the names it
//! mentions (on a second connection), and one formats and encodes the
//! rows. The database's own dump keeps the server and its client busy at
//! once; an export that queried, weighed and named on one thread left the
//! server idle while it weighed, and was bound by that one thread on
//! SQLite. Pages go back up the line once written, to be freed on the
//! thread that allocated them: memory freed elsewhere contends for the
//! allocator's locks, which cost a reader a tenth of its time. A few pages
//! are in memory whatever the export's size.

use interdict_domain::chemical::ChemicalInput;
use interdict_domain::policy::{self, Actor, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self, Assessment, RiskWeights};
use interdict_domain::shipment::{IncidentType, ShipmentStatus};
use interdict_persistence::records;
use interdict_persistence::risk::{self as findings, ListedShipment, Profiler};
use interdict_persistence::search::{FactFilter, Search, ShipmentFacts};
use interdict_persistence::{agencies, Db, DbConnection};
use memchr::memmem;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use uuid::Uuid;

use super::encoder::Cell;
use super::{no_flag_state, Producer, ReportQuery};
use crate::error::AppError;
use crate::filters::choice;
use crate::utc;

pub(super) const COLUMNS: &[&str] = &[
    "id",
    "reference",
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
    "origin",
    "destination",
    "via",
    "shipped_at",
    "consignors",
    "consignees",
    "other_parties",
    "lines",
    "products",
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

/// A page as the query returns it: each shipment with its kept findings
/// as stored.
type Found = Vec<(ListedShipment, Option<String>)>;

/// A page ready to write: the rows, each shipment's risk, and the names
/// it needs that no earlier page did.
struct Page {
    rows: Found,
    risks: Vec<Assessment>,
    names: NameBook,
}

/// Finds the ids a stored shipment document names under one key
/// (`"party_id":"` or `"chemical_id":"`) by looking for the key in its
/// text rather than parsing it: the weighing thread parsed each whole
/// document only for these, two fifths of its time, and the writer parses
/// it anyway. Stored documents are compact JSON as serde_json writes them,
/// where a quote inside a string is escaped, so the key with its quotes and
/// colon can only be the key itself.
struct KeyFinder(memmem::Finder<'static>);

impl KeyFinder {
    fn parties() -> Self {
        Self(memmem::Finder::new(r#""party_id":""#))
    }

    fn chemicals() -> Self {
        Self(memmem::Finder::new(r#""chemical_id":""#))
    }

    fn ids_in<'a>(&'a self, body: &'a str) -> impl Iterator<Item = Uuid> + 'a {
        let key = self.0.needle().len();
        self.0.find_iter(body.as_bytes()).filter_map(move |at| {
            let id = at + key;
            body.get(id..id + 36)
                .and_then(|id| Uuid::try_parse(id).ok())
        })
    }
}

/// What the export shows of a stored [`ShipmentInput`](interdict_domain::shipment::ShipmentInput),
/// borrowed from the document's text where it needs no unescaping. The
/// fields and defaults are the input's; those the export does not show are
/// skipped.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(borrow)]
    incident_type: Cow<'a, str>,
    #[serde(borrow, default = "reported")]
    status: Cow<'a, str>,
    #[serde(borrow)]
    mode: Cow<'a, str>,
    #[serde(borrow, default)]
    tracking_numbers: Vec<Tracking<'a>>,
    #[serde(borrow, default)]
    parties: Vec<Party<'a>>,
    #[serde(borrow, default)]
    declared_description: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    lines: Vec<Line<'a>>,
    #[serde(borrow, default)]
    products: Vec<Product<'a>>,
    #[serde(borrow)]
    legs: Vec<Leg<'a>>,
}

#[derive(Deserialize)]
struct Product<'a> {
    #[serde(borrow)]
    form: Cow<'a, str>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    grams: Option<f64>,
    #[serde(borrow, default)]
    imprint: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    lab: Option<Lab<'a>>,
}

#[derive(Deserialize)]
struct Lab<'a> {
    #[serde(borrow)]
    substance: Cow<'a, str>,
    #[serde(default)]
    purity_percent: Option<f64>,
}

/// "500 tablet imprinted M 30, lab: fentanyl 2.1%".
fn product_text(p: &Product<'_>) -> String {
    let mut text = match (p.count, p.grams) {
        (Some(n), Some(g)) => format!("{n} {} ({g} g)", p.form),
        (Some(n), None) => format!("{n} {}", p.form),
        (None, Some(g)) => format!("{g} g {}", p.form),
        (None, None) => p.form.to_string(),
    };
    if let Some(i) = &p.imprint {
        text.push_str(&format!(" imprinted {i}"));
    }
    if let Some(lab) = &p.lab {
        text.push_str(&format!(", lab: {}", lab.substance));
        if let Some(purity) = lab.purity_percent {
            text.push_str(&format!(" {purity}%"));
        }
    }
    text
}

fn reported() -> Cow<'static, str> {
    Cow::Borrowed("reported")
}

#[derive(Deserialize)]
struct Tracking<'a> {
    #[serde(borrow)]
    value: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Party<'a> {
    party_id: Uuid,
    #[serde(borrow)]
    role: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default)]
    chemical_id: Option<Uuid>,
    #[serde(default)]
    quantity: Option<f64>,
    #[serde(borrow, default)]
    unit: Option<Cow<'a, str>>,
    #[serde(default)]
    equipment_id: Option<Uuid>,
    #[serde(default = "one")]
    count: i64,
}

fn one() -> i64 {
    1
}

#[derive(Deserialize)]
struct Leg<'a> {
    #[serde(borrow)]
    from: Place<'a>,
    #[serde(borrow)]
    to: Place<'a>,
    #[serde(borrow, default)]
    departure_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arrival_at: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Place<'a> {
    #[serde(borrow)]
    country: Cow<'a, str>,
    #[serde(borrow, default)]
    subdivision: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    city: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    locode: Option<Cow<'a, str>>,
}

pub(super) fn producer(
    actor: Actor,
    query: &ReportQuery,
    weights: RiskWeights,
    db: Db,
) -> Result<Producer, AppError> {
    if query.has_audit_filters() {
        return Err(AppError::bad_request(
            "query",
            "user, action, object and outcome filters apply to the audit export",
        ));
    }
    no_flag_state(query)?;
    let (from, to) = query.range()?;
    let search = Search {
        owner_agency: query.owner_agency_id,
        facts: FactFilter::Shipment(ShipmentFacts {
            incident_type: choice::<IncidentType>("incident_type", &query.incident_type)?,
            status: choice::<ShipmentStatus>("status", &query.status)?,
            shipped_from: from,
            shipped_to: to,
            ..ShipmentFacts::default()
        }),
        limit: PAGE,
        ..Search::default()
    };
    Ok(Box::new(move |conn, emit| {
        let mut names = NameBook::default();
        let mut sent = 0;
        pipelined(
            "export-weigh",
            move |pages, written| {
                let visibility = policy::visibility(&actor, RecordKind::Shipment);
                let mut weigher = Weigher::new(&actor, &weights);
                let mut hand_on =
                    |conn: &mut DbConnection, rows: Found| -> Result<bool, AppError> {
                        let page = weigher.page(conn, rows)?;
                        Ok(pages.send(page).is_ok())
                    };
                // With no connection to spare, one thread queries, weighs
                // and names: slower, rather than waiting for a connection
                // other exports may be holding while they wait too.
                let Some(mut other) = db.try_get() else {
                    return search_pages(conn, &visibility, search, |conn, rows| {
                        written.try_iter().for_each(drop);
                        hand_on(conn, rows)
                    });
                };
                pipelined(
                    "export-pages",
                    |found, spent| {
                        search_pages(conn, &visibility, search, |_, rows| {
                            spent.try_iter().for_each(drop);
                            Ok(found.send(rows).is_ok())
                        })
                    },
                    |found: &mut Found| {
                        // The rows the writer is done with go back to the
                        // query thread in place of these.
                        let rows = std::mem::take(found);
                        written
                            .try_iter()
                            .for_each(|page: Page| found.extend(page.rows));
                        hand_on(&mut other, rows)
                    },
                )
            },
            |page: &mut Page| {
                names.extend(std::mem::take(&mut page.names));
                write_page(&names, page, emit, &mut sent)
            },
        )?;
        Ok(sent)
    }))
}

/// Runs `read` on a thread of its own, named `name`, and hands each page
/// it sends to `write` on this one, a page behind; written pages go back
/// to `read` (on its receiver) to be freed on the thread that allocated
/// them. Ends when `read` is done, or when `write` answers false (the
/// client left) or fails, which stops `read` at its next send.
fn pipelined<P: Send>(
    name: &str,
    read: impl FnOnce(mpsc::SyncSender<P>, mpsc::Receiver<P>) -> Result<(), AppError> + Send,
    mut write: impl FnMut(&mut P) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    // One page waits between the threads while one is read and one
    // written.
    let (pages, ready) = mpsc::sync_channel(1);
    let (spent, written) = mpsc::channel();
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, move || read(pages, written))
            .map_err(AppError::internal)?;
        let mut outcome = Ok(());
        for mut page in ready.iter() {
            match write(&mut page) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            // Once the reader has finished, the page is freed here.
            let _ = spent.send(page);
        }
        drop(ready);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(AppError::internal("the export's reader panicked")));
        read.and(outcome)
    })
}

/// Runs the page queries and hands each page to `hand`, until none are
/// left or `hand` answers false (whoever takes the pages has stopped).
fn search_pages(
    conn: &mut DbConnection,
    visibility: &Visibility,
    mut search: Search,
    mut hand: impl FnMut(&mut DbConnection, Found) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    loop {
        let page = findings::search_kept(conn, visibility, &search)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        search.before = Some(last.id.0);
        let full = page.len() as i64 == PAGE;
        if !hand(conn, page)? || !full {
            break;
        }
    }
    Ok(())
}

/// Turns pages as read into pages to write: each shipment weighed, and the
/// names the page mentions looked up.
struct Weigher<'a> {
    weights: &'a RiskWeights,
    profiler: Profiler,
    names: NameLoader,
}

impl<'a> Weigher<'a> {
    fn new(actor: &Actor, weights: &'a RiskWeights) -> Self {
        Self {
            weights,
            profiler: Profiler::default(),
            names: NameLoader::new(actor),
        }
    }

    fn page(&mut self, conn: &mut DbConnection, rows: Found) -> Result<Page, AppError> {
        let risks = self
            .profiler
            .findings_of_kept(conn, &rows, None)?
            .into_iter()
            .map(|findings| risk::weigh(findings, self.weights))
            .collect();
        let names = self.names.load(conn, &rows)?;
        Ok(Page { rows, risks, names })
    }
}

/// A page formatted and handed to `emit`, counting rows sent; false once
/// the client has gone.
fn write_page(
    names: &NameBook,
    page: &Page,
    emit: &mut dyn FnMut(Vec<Cell>) -> bool,
    sent: &mut u64,
) -> Result<bool, AppError> {
    for ((row, _), risk) in page.rows.iter().zip(&page.risks) {
        let document = serde_json::from_str(&row.body).map_err(AppError::internal)?;
        if !emit(row_values(names, row, document, risk)) {
            return Ok(false);
        }
        *sent += 1;
    }
    Ok(true)
}

/// Names of the parties, chemicals and agencies rows mention.
#[derive(Default)]
struct NameBook {
    parties: HashMap<Uuid, String>,
    chemicals: HashMap<Uuid, String>,
    agencies: HashMap<Uuid, String>,
}

impl NameBook {
    fn extend(&mut self, more: NameBook) {
        self.parties.extend(more.parties);
        self.chemicals.extend(more.chemicals);
        self.agencies.extend(more.agencies);
    }
}

fn name<'a>(names: &'a HashMap<Uuid, String>, id: &Uuid) -> &'a str {
    names.get(id).map_or("", String::as_str)
}

/// Looks names up a page at a time, each once per export.
struct NameLoader {
    parties: Visibility,
    known: Known,
    party_key: KeyFinder,
    chemical_key: KeyFinder,
}

impl NameLoader {
    fn new(actor: &Actor) -> Self {
        Self {
            parties: policy::visibility(actor, RecordKind::Party),
            known: HashSet::default(),
            party_key: KeyFinder::parties(),
            chemical_key: KeyFinder::chemicals(),
        }
    }

    /// The names `rows` need that no earlier page's did. Parties the caller
    /// may not see are named as such; the catalogue is public.
    fn load(&mut self, conn: &mut DbConnection, rows: &Found) -> Result<NameBook, AppError> {
        let mut book = NameBook::default();
        let parties = unknown(
            &mut self.known,
            rows.iter()
                .flat_map(|(r, _)| self.party_key.ids_in(&r.body)),
        );
        if !parties.is_empty() {
            let found = records::bodies_visible(conn, RecordKind::Party, &parties, &self.parties)?;
            book.parties = named(parties, found, "(not visible)", |body| {
                serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|body| body["name"].as_str().map(str::to_owned))
            });
        }
        let chemicals = unknown(
            &mut self.known,
            rows.iter()
                .flat_map(|(r, _)| self.chemical_key.ids_in(&r.body)),
        );
        if !chemicals.is_empty() {
            let everything = Visibility::Everything {
                include_withdrawn: true,
            };
            let found =
                records::bodies_visible(conn, RecordKind::Chemical, &chemicals, &everything)?;
            book.chemicals = named(chemicals, found, "chemical", |body| {
                serde_json::from_str::<ChemicalInput>(body)
                    .ok()
                    .map(|c| c.name)
            });
        }
        for id in unknown(
            &mut self.known,
            rows.iter().map(|(r, _)| r.owner_agency_id.0),
        ) {
            let agency = agencies::find(conn, id)?.map(|a| a.name);
            book.agencies.insert(id, agency.unwrap_or_default());
        }
        Ok(book)
    }
}

/// Every id an export has asked the names of: ids are random, so a fast
/// hash will do.
type Known = HashSet<Uuid, foldhash::fast::RandomState>;

/// Those of `ids` not in `known`, each once; they are added to it.
fn unknown(known: &mut Known, ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = ids.filter(|id| known.insert(*id)).collect();
    ids.sort_unstable();
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

/// A shipment's row. Its text is borrowed from the document and the names
/// where it can be.
fn row_values<'a>(
    names: &'a NameBook,
    row: &'a ListedShipment,
    input: Document<'a>,
    risk: &Assessment,
) -> Vec<Cell<'a>> {
    let (mut consignors, mut consignees, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for party in &input.parties {
        let name = name(&names.parties, &party.party_id);
        match &*party.role {
            "consignor" => consignors.push(Cow::Borrowed(name)),
            "consignee" => consignees.push(Cow::Borrowed(name)),
            role => others.push(Cow::Owned(format!("{name} ({role})"))),
        }
    }
    let lines: Vec<Cow<str>> = input
        .lines
        .iter()
        .map(|line| {
            Cow::Owned(if let Some(id) = line.chemical_id {
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
            })
        })
        .collect();
    let products: Vec<Cow<str>> = input
        .products
        .iter()
        .map(|p| Cow::Owned(product_text(p)))
        .collect();
    let tracking: Vec<Cow<str>> = input
        .tracking_numbers
        .into_iter()
        .map(|t| t.value)
        .collect();
    let shipped_at = input
        .legs
        .iter()
        .find_map(|l| l.departure_at.clone().or_else(|| l.arrival_at.clone()));
    // The route by its UN/LOCODEs: where it started, where it ended, and
    // every port it touched on the way (as stored; unknown codes kept).
    let code = |place: &Place<'a>| place.locode.clone();
    let origin = input.legs.first().and_then(|l| code(&l.from));
    let destination = input.legs.last().and_then(|l| code(&l.to));
    let last_leg = input.legs.len().saturating_sub(1);
    let via: Vec<Cow<str>> = input
        .legs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < last_leg)
        .filter_map(|(_, l)| code(&l.to))
        .collect();
    let mut legs = input.legs.into_iter();
    let first = legs.next();
    let last = legs.next_back();
    let (origin_country, origin_city) = first.as_ref().map_or((None, None), |l| {
        (Some(l.from.country.clone()), l.from.city.clone())
    });
    let (destination_country, destination_subdivision, destination_city) =
        last.or(first).map_or((None, None, None), |l| {
            (Some(l.to.country), l.to.subdivision, l.to.city)
        });
    let indicators: Vec<&str> = risk.indicators.iter().map(|i| i.code.as_str()).collect();
    vec![
        row.id.0.to_string().into(),
        row.reference.as_deref().into(),
        name(&names.agencies, &row.owner_agency_id.0).into(),
        utc(row.created_at).to_rfc3339().into(),
        input.incident_type.into(),
        input.status.into(),
        input.mode.into(),
        origin_country.into(),
        origin_city.into(),
        destination_country.into(),
        destination_subdivision.into(),
        destination_city.into(),
        origin.into(),
        destination.into(),
        listed(via),
        shipped_at.into(),
        listed(consignors),
        listed(consignees),
        listed(others),
        listed(lines),
        listed(products),
        listed(tracking),
        input.declared_description.into(),
        Cell::Json(serde_json::json!(risk.score)),
        indicators.join("; ").into(),
        row.withdrawn_at.map(|t| utc(t).to_rfc3339()).into(),
        row.withdrawn_reason.as_deref().into(),
    ]
}

/// Items as one cell, separated by semicolons; one item is lent as it is.
fn listed(mut items: Vec<Cow<'_, str>>) -> Cell<'_> {
    match items.len() {
        1 => Cell::Text(items.remove(0)),
        _ => Cell::Text(Cow::Owned(items.join("; "))),
    }
}

#[cfg(test)]
#[path = "shipments_tests.rs"]
mod tests;
