//! Exports for oversight, streamed as they are read: CSV (RFC 4180, with
//! formula-looking cells neutralised) or NDJSON. Rows are limited by the
//! access policy exactly as the API's lists are, and each export leaves one
//! audit entry with its filter, format and row count — also when the
//! client goes away halfway.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use interdict_domain::audit::{AuditAction, Outcome};
use interdict_domain::policy::{self, Actor, AuditScope, Decision, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::shipment::ShipmentInput;
use interdict_persistence::audit::{self, AuditFilter};
use interdict_persistence::records;
use interdict_persistence::{agencies, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use uuid::Uuid;

use super::audit::parse_time;
use super::registry::choice_param;
use super::views::AuditEntryView;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

mod shipments;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Shipments,
    Links,
    Flags,
    Audit,
}

fn parse_name(file: &str) -> Result<(Report, Format), ApiError> {
    let (name, extension) = file.rsplit_once('.').ok_or_else(|| {
        ApiError::bad_request(
            "format",
            "name the format: shipments.csv or shipments.ndjson",
        )
    })?;
    let format = match extension {
        "csv" => Format::Csv,
        "ndjson" => Format::Ndjson,
        other => {
            return Err(ApiError::bad_request(
                "format",
                format!("`{other}` is not a format; use csv or ndjson"),
            ))
        }
    };
    let report = match name {
        "shipments" => Report::Shipments,
        "links" => Report::Links,
        "flags" => Report::Flags,
        "audit" => Report::Audit,
        other => {
            return Err(ApiError::bad_request(
                "report",
                format!("there is no `{other}` report; use shipments, links, flags or audit"),
            ))
        }
    };
    Ok((report, format))
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// From (inclusive; RFC 3339, or a date for midnight UTC): when shipped, or when the audit entry was written.
    pub from: Option<String>,
    /// To (exclusive; RFC 3339, or a date for midnight UTC at its start).
    pub to: Option<String>,
    /// Only records of this agency (within the caller's scope).
    pub owner_agency_id: Option<Uuid>,
    pub incident_type: Option<String>,
    pub status: Option<String>,
    /// Flags only: `open`, `under_review`, `confirmed`, `dismissed` or `escalated`.
    pub flag_state: Option<String>,
    /// Audit only: the filters of `GET /api/v1/audit`.
    pub user_id: Option<Uuid>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: Option<String>,
}

impl ReportQuery {
    fn has_audit_filters(&self) -> bool {
        self.user_id.is_some()
            || self.action.is_some()
            || self.object_type.is_some()
            || self.object_id.is_some()
            || self.outcome.is_some()
    }
}

/// A cell as a spreadsheet will not execute it: anything that starts like a
/// formula gets a leading apostrophe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// One cell of an exported row. Text may borrow from what the producer
/// holds (the shipments export lends most of a row from the stored
/// document), so a row need not copy what it shows.
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Json(Value),
}

impl Cell<'_> {
    pub const NULL: Cell<'static> = Cell::Json(Value::Null);
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Cell<'_> {
    fn from(text: String) -> Self {
        Cell::Text(Cow::Owned(text))
    }
}

impl<'a> From<Cow<'a, str>> for Cell<'a> {
    fn from(text: Cow<'a, str>) -> Self {
        Cell::Text(text)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::NULL, Into::into)
    }
}

impl serde::Serialize for Cell<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Json(value) => value.serialize(serializer),
        }
    }
}

/// Turns rows into the chosen format. Rows are gathered into chunks of
/// about `CHUNK_BYTES`, so the stream carries a few large writes rather
/// than one small one per row.
struct Encoder {
    columns: &'static [&'static str],
    sink: Sink,
}

enum Sink {
    Csv(Box<csv::Writer<Vec<u8>>>),
    Ndjson(Vec<u8>),
}

const CHUNK_BYTES: usize = 64 * 1024;

impl Encoder {
    fn new(format: Format, columns: &'static [&'static str]) -> Self {
        let sink = match format {
            Format::Csv => Sink::Csv(Box::new(csv_writer())),
            Format::Ndjson => Sink::Ndjson(Vec::with_capacity(CHUNK_BYTES * 2)),
        };
        Self { columns, sink }
    }

    /// The CSV header row; NDJSON has none.
    fn header(&mut self) {
        if let Sink::Csv(writer) = &mut self.sink {
            // Writing to memory cannot fail.
            let _ = writer.write_record(self.columns);
        }
    }

    fn row(&mut self, values: Vec<Cell>) {
        match &mut self.sink {
            Sink::Csv(writer) => {
                for value in &values {
                    let _ = match value {
                        Cell::Text(s) => writer.write_field(neutralise(s).as_bytes()),
                        Cell::Json(Value::Null) => writer.write_field(""),
                        Cell::Json(Value::String(s)) => {
                            writer.write_field(neutralise(s).as_bytes())
                        }
                        Cell::Json(other) => {
                            writer.write_field(neutralise(&other.to_string()).as_bytes())
                        }
                    };
                }
                let _ = writer.write_record(None::<&[u8]>);
            }
            Sink::Ndjson(out) => {
                use serde::ser::{SerializeMap, Serializer};
                let mut serializer = serde_json::Serializer::new(&mut *out);
                // Serialising strings and numbers into memory cannot fail.
                if let Ok(mut map) = serializer.serialize_map(Some(self.columns.len())) {
                    for (column, value) in self.columns.iter().zip(&values) {
                        let _ = map.serialize_entry(column, value);
                    }
                    let _ = map.end();
                }
                out.push(b'\n');
            }
        }
    }

    /// Whether a chunk's worth of output is waiting.
    fn full(&self) -> bool {
        match &self.sink {
            Sink::Csv(writer) => writer.get_ref().len() >= CHUNK_BYTES,
            Sink::Ndjson(out) => out.len() >= CHUNK_BYTES,
        }
    }

    /// Everything written so far, leaving the encoder empty.
    fn take(&mut self) -> Bytes {
        let out = match &mut self.sink {
            Sink::Csv(writer) => std::mem::replace(writer.as_mut(), csv_writer())
                .into_inner()
                .unwrap_or_default(),
            Sink::Ndjson(out) => std::mem::replace(out, Vec::with_capacity(CHUNK_BYTES * 2)),
        };
        Bytes::from(out)
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(CHUNK_BYTES * 2))
}

const LINK_COLUMNS: &[&str] = &[
    "id",
    "relation",
    "evidence",
    "created_at",
    "created_by",
    "withdrawn_at",
    "withdrawn_reason",
    "from_shipment",
    "from_agency",
    "from_origin_country",
    "from_destination_country",
    "to_shipment",
    "to_agency",
    "to_origin_country",
    "to_destination_country",
];

const FLAG_COLUMNS: &[&str] = &[
    "id",
    "shipment_id",
    "owner_agency",
    "state",
    "reason",
    "score",
    "indicators",
    "raised_by",
    "raised_at",
    "assigned_to",
    "escalated_to",
    "history",
];

const AUDIT_COLUMNS: &[&str] = &[
    "seq",
    "occurred_at",
    "user_id",
    "agency_id",
    "role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "source",
    "detail",
    "prev_hash",
    "hash",
];

const PAGE: i64 = 500;

/// Reads rows page by page and hands each to `emit`, which answers false
/// once the client has gone. Returns how many rows were sent.
type Producer = Box<
    dyn FnOnce(&mut DbConnection, &mut dyn FnMut(Vec<Cell>) -> bool) -> Result<u64, ApiError>
        + Send,
>;

/// Pages through rows with keyset pagination and sends each, until the
/// rows run out or the client goes away; returns how many were sent.
/// `rows` turns a whole page into output rows, so lookups can be batched.
fn pages<T, C>(
    conn: &mut DbConnection,
    emit: &mut dyn FnMut(Vec<Cell>) -> bool,
    page_size: i64,
    mut fetch: impl FnMut(&mut DbConnection, Option<C>) -> Result<Vec<T>, ApiError>,
    cursor: impl Fn(&T) -> C,
    mut rows: impl FnMut(&mut DbConnection, Vec<T>) -> Result<Vec<Vec<Value>>, ApiError>,
) -> Result<u64, ApiError> {
    let mut after = None;
    let mut sent = 0;
    loop {
        let page = fetch(conn, after.take())?;
        let Some(last) = page.last() else { break };
        after = Some(cursor(last));
        let full = page.len() as i64 == page_size;
        for row in rows(conn, page)? {
            if !emit(row.into_iter().map(Cell::Json).collect()) {
                return Ok(sent);
            }
            sent += 1;
        }
        if !full {
            break;
        }
    }
    Ok(sent)
}

/// Applies a per-item conversion to a page.
fn each<T>(
    mut row: impl FnMut(&mut DbConnection, T) -> Result<Vec<Value>, ApiError>,
) -> impl FnMut(&mut DbConnection, Vec<T>) -> Result<Vec<Vec<Value>>, ApiError> {
    move |conn, page| page.into_iter().map(|item| row(conn, item)).collect()
}

/// Agency names, looked up once per export rather than once per row.
#[derive(Default)]
struct AgencyNames(HashMap<Uuid, String>);

impl AgencyNames {
    fn get(&mut self, conn: &mut DbConnection, id: Uuid) -> Result<String, ApiError> {
        if let Some(name) = self.0.get(&id) {
            return Ok(name.clone());
        }
        let name = agencies::find(conn, id)?
            .map(|a| a.name)
            .unwrap_or_default();
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

/// The `from`/`to` range, checked.
fn range(
    query: &ReportQuery,
) -> Result<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>), ApiError> {
    let from = parse_time("from", query.from.as_deref())?;
    let to = parse_time("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(ApiError::bad_request("to", "must be after `from`"));
        }
    }
    Ok((from.map(|t| t.naive_utc()), to.map(|t| t.naive_utc())))
}

fn only_dates(query: &ReportQuery, report: &str) -> Result<(), ApiError> {
    if report != "audit" && query.has_audit_filters() {
        return Err(ApiError::bad_request(
            "query",
            "user, action, object and outcome filters apply to the audit export",
        ));
    }
    if query.incident_type.is_some() || query.status.is_some() || query.owner_agency_id.is_some() {
        return Err(ApiError::bad_request(
            "query",
            format!("the {report} export takes only from and to"),
        ));
    }
    Ok(())
}

/// Every export but the flags one refuses a flag-state filter.
fn no_flag_state(query: &ReportQuery) -> Result<(), ApiError> {
    match query.flag_state {
        Some(_) => Err(ApiError::bad_request(
            "flag_state",
            "applies to the flags export only",
        )),
        None => Ok(()),
    }
}

/// Origin and destination countries of a shipment the caller may see.
fn ends(
    conn: &mut DbConnection,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(
        records::find_visible(conn, RecordKind::Shipment, id, visibility)?
            .and_then(|row| serde_json::from_str::<ShipmentInput>(&row.body).ok())
            .and_then(|input| {
                let origin = input.legs.first()?.from.country.clone();
                let destination = input.legs.last()?.to.country.clone();
                Some((origin, destination))
            }),
    )
}

fn links_producer(actor: Actor, query: &ReportQuery) -> Result<Producer, ApiError> {
    only_dates(query, "links")?;
    no_flag_state(query)?;
    let created = range(query)?;
    Ok(Box::new(move |conn, emit| {
        let visibility = policy::visibility(&actor, RecordKind::Shipment);
        let mut names = AgencyNames::default();
        pages(
            conn,
            emit,
            PAGE,
            |conn, after| {
                Ok(interdict_persistence::chains::visible_links_page(
                    conn,
                    &visibility,
                    created,
                    after,
                    PAGE,
                )?)
            },
            |link| link.id.0,
            each(|conn, link: interdict_persistence::chains::LinkRow| {
                let mut values = vec![
                    Value::String(link.id.0.to_string()),
                    Value::String(link.relation.clone()),
                    Value::String(link.evidence.clone()),
                    Value::String(super::views::utc(link.created_at).to_rfc3339()),
                    Value::String(link.created_by.0.to_string()),
                    link.withdrawn_at
                        .map(|t| Value::String(super::views::utc(t).to_rfc3339()))
                        .unwrap_or_default(),
                    link.withdrawn_reason
                        .clone()
                        .map(Value::String)
                        .unwrap_or_default(),
                ];
                for end in [link.from_shipment_id.0, link.to_shipment_id.0] {
                    let owner = records::owner_of(conn, end)?;
                    let agency = match owner {
                        Some(owner) => names.get(conn, owner)?,
                        None => String::new(),
                    };
                    let (origin, destination) = ends(conn, &visibility, end)?.unwrap_or_default();
                    values.extend([
                        Value::String(end.to_string()),
                        Value::String(agency),
                        Value::String(origin),
                        Value::String(destination),
                    ]);
                }
                Ok(values)
            }),
        )
    }))
}

fn flags_producer(actor: Actor, query: &ReportQuery) -> Result<Producer, ApiError> {
    only_dates(query, "flags")?;
    let state =
        choice_param::<interdict_domain::review::FlagState>("flag_state", &query.flag_state)?;
    let raised = range(query)?;
    Ok(Box::new(move |conn, emit| {
        let visibility = policy::visibility(&actor, RecordKind::Shipment);
        let mut names = AgencyNames::default();
        pages(
            conn,
            emit,
            PAGE,
            |conn, after| {
                Ok(interdict_persistence::flags::visible_page(
                    conn,
                    &visibility,
                    state.as_deref(),
                    raised,
                    after,
                    PAGE,
                )?)
            },
            |flag| flag.id.0,
            each(|conn, flag: interdict_persistence::flags::FlagRow| {
                let history: Vec<String> = interdict_persistence::flags::history(conn, flag.id.0)?
                    .into_iter()
                    .map(|t| {
                        let by = t.by_user.map_or("system".to_owned(), |u| u.0.to_string());
                        let at = super::views::utc(t.at).to_rfc3339();
                        let reason = t.reason.map(|r| format!(" ({r})")).unwrap_or_default();
                        format!("{} → {} by {by} at {at}{reason}", t.action, t.to_state)
                    })
                    .collect();
                let indicators: Vec<String> = serde_json::from_str::<Vec<Value>>(&flag.indicators)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| i["code"].as_str().map(str::to_owned))
                    .collect();
                let values = vec![
                    Value::String(flag.id.0.to_string()),
                    Value::String(flag.shipment_id.0.to_string()),
                    Value::String(names.get(conn, flag.owner_agency_id.0)?),
                    Value::String(flag.state.clone()),
                    Value::String(flag.reason.clone()),
                    serde_json::json!(flag.score),
                    Value::String(indicators.join("; ")),
                    Value::String(
                        flag.raised_by
                            .map_or("system".to_owned(), |u| u.0.to_string()),
                    ),
                    Value::String(super::views::utc(flag.raised_at).to_rfc3339()),
                    flag.assigned_to
                        .map(|u| Value::String(u.0.to_string()))
                        .unwrap_or_default(),
                    flag.escalated_to
                        .map(|u| Value::String(u.0.to_string()))
                        .unwrap_or_default(),
                    Value::String(history.join("; ")),
                ];
                Ok(values)
            }),
        )
    }))
}

fn audit_producer(actor: Actor, query: &ReportQuery) -> Result<Producer, ApiError> {
    if policy::decide_audit_search(&actor) != Decision::Allow {
        return Err(ApiError::Forbidden);
    }
    only_dates(query, "audit")?;
    no_flag_state(query)?;
    let (from, to) = range(query)?;
    let outcome = query
        .outcome
        .as_deref()
        .map(|o| {
            o.parse::<Outcome>()
                .map_err(|m| ApiError::bad_request("outcome", m))
        })
        .transpose()?;
    let (user_id, action, object_type, object_id) = (
        query.user_id,
        query.action.clone(),
        query.object_type.clone(),
        query.object_id.clone(),
    );
    Ok(Box::new(move |conn, emit| {
        let scope: AuditScope = policy::audit_scope(&actor);
        pages(
            conn,
            emit,
            PAGE,
            |conn, before| {
                let filter = AuditFilter {
                    user_id,
                    action: action.clone(),
                    object_type: object_type.clone(),
                    object_id: object_id.clone(),
                    outcome,
                    from,
                    to,
                    before_seq: before,
                    limit: PAGE,
                };
                Ok(audit::search(conn, scope, &filter)?)
            },
            |entry| entry.seq,
            each(|_, entry| {
                let view = serde_json::to_value(AuditEntryView::from(entry))
                    .map_err(ApiError::internal)?;
                Ok(AUDIT_COLUMNS.iter().map(|c| view[*c].clone()).collect())
            }),
        )
    }))
}

/// Streams a report: `shipments`, `links`, `flags` or `audit`, as `.csv`
/// or `.ndjson`.
#[utoipa::path(get, operation_id = "reports_export", path = "/api/v1/reports/{report}", tag = "reports", security(("bearer" = [])),
    params(("report" = String, Path, description = "shipments, links, flags or audit, with .csv or .ndjson"), ReportQuery), responses(
    (status = 200, description = "The rows, streamed", content_type = "text/csv"),
    (status = 400, description = "Unknown report or format, or a bad filter", content_type = "application/problem+json"),
    (status = 403, content_type = "application/problem+json")))]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let file = path.into_inner();
    let download = file.clone();
    let mut event = caller.event_on(AuditAction::ReportExport, "report", &file);
    let filter = serde_json::to_value(&*query).unwrap_or_default();
    let actor = caller.actor.clone();
    let prepared = parse_name(&file).and_then(|(report, format)| {
        let producer = match report {
            Report::Shipments => {
                if actor.role == interdict_domain::user::Role::Admin {
                    return Err(ApiError::Forbidden);
                }
                shipments::producer(
                    actor.clone(),
                    &query,
                    state.config.risk.clone(),
                    state.db.clone(),
                )?
            }
            Report::Links | Report::Flags if actor.role == interdict_domain::user::Role::Admin => {
                return Err(ApiError::Forbidden)
            }
            Report::Links => links_producer(actor.clone(), &query)?,
            Report::Flags => flags_producer(actor.clone(), &query)?,
            Report::Audit => audit_producer(actor.clone(), &query)?,
        };
        let columns = match report {
            Report::Shipments => shipments::COLUMNS,
            Report::Links => LINK_COLUMNS,
            Report::Flags => FLAG_COLUMNS,
            Report::Audit => AUDIT_COLUMNS,
        };
        Ok((format, columns, producer))
    });
    let (format, columns, producer) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            event.detail = Some(serde_json::json!({ "filter": filter }).to_string());
            return state.reject(event, e).await;
        }
    };
    let mut encoder = Encoder::new(format, columns);
    let (sender, receiver) = mpsc::channel::<Bytes>(8);
    let db = state.db.clone();
    let writer = state.audit.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let outcome = (|| -> Result<(u64, bool), ApiError> {
            let mut conn = db.get()?;
            encoder.header();
            let mut complete = true;
            let mut emit = |values: Vec<Cell>| {
                encoder.row(values);
                if encoder.full() {
                    complete &= sender.blocking_send(encoder.take()).is_ok();
                }
                complete
            };
            let sent = producer(&mut conn, &mut emit)?;
            let last = encoder.take();
            if complete && !last.is_empty() {
                complete = sender.blocking_send(last).is_ok();
            }
            Ok((sent, complete))
        })();
        let (rows, complete, outcome) = match outcome {
            Ok((rows, complete)) => (rows, complete, Outcome::Allowed),
            Err(e) => {
                tracing::error!(error = %e, "export failed");
                (0, false, Outcome::Error)
            }
        };
        event.outcome = outcome;
        event.detail = Some(
            serde_json::json!({ "filter": filter, "format": file.rsplit('.').next(), "rows": rows, "complete": complete })
                .to_string(),
        );
        if let Err(e) = runtime.block_on(writer.record(event)) {
            tracing::error!(error = %e, "could not record the export's audit entry");
        }
        // The response ends only now, so a client that read it all knows
        // the export was recorded.
        drop(sender);
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), receiver))
    });
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Ndjson => "application/x-ndjson",
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"interdict-{download}\""),
        ))
        .streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_awkward_cells_and_defuses_formulas() {
        let mut encoder = Encoder::new(Format::Csv, &["a", "b", "c", "d"]);
        encoder.header();
        let awkward = vec![
            Cell::from("comma, inside"),
            Cell::from("\"quoted\" text".to_owned()),
            Cell::from("two\nlines"),
            Cell::from("=HYPERLINK(\"http://evil\")"),
        ];
        encoder.row(awkward);
        // Owned JSON strings and numbers are neutralised the same way.
        encoder.row(vec![
            Cell::Json(Value::String("+1".into())),
            Cell::Json(serde_json::json!(-2)),
            Cell::from("@SUM(A1)"),
            Cell::Json(Value::String("\tTAB".into())),
        ]);
        let bytes = encoder.take();
        assert!(encoder.take().is_empty(), "take leaves the encoder empty");
        let mut reader = csv::Reader::from_reader(bytes.as_ref());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            rows[0],
            [
                "comma, inside",
                "\"quoted\" text",
                "two\nlines",
                "'=HYPERLINK(\"http://evil\")"
            ]
        );
        assert_eq!(rows[1], ["'+1", "'-2", "'@SUM(A1)", "'\tTAB"]);
    }

    #[test]
    fn ndjson_lines_are_objects() {
        let mut encoder = Encoder::new(Format::Ndjson, &["id", "n"]);
        encoder.header();
        encoder.row(vec![Cell::from("x\ny"), Cell::Json(serde_json::json!(3))]);
        let line = encoder.take();
        assert!(line.ends_with(b"\n"));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let parsed: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(parsed, serde_json::json!({ "id": "x\ny", "n": 3 }));
    }

    #[test]
    fn rows_gather_into_chunks() {
        let mut encoder = Encoder::new(Format::Csv, &["a"]);
        encoder.header();
        let mut rows = 0;
        while !encoder.full() {
            encoder.row(vec![Cell::from("x".repeat(100))]);
            rows += 1;
        }
        assert!(rows > 100, "a chunk holds many rows, not one: {rows}");
        let chunk = encoder.take();
        assert!(chunk.len() >= CHUNK_BYTES);
        assert!(!encoder.full());
        let mut reader = csv::Reader::from_reader(chunk.as_ref());
        assert_eq!(reader.records().count(), rows);
    }

    #[test]
    fn report_names() {
        assert_eq!(
            parse_name("shipments.csv").unwrap(),
            (Report::Shipments, Format::Csv)
        );
        assert_eq!(
            parse_name("audit.ndjson").unwrap(),
            (Report::Audit, Format::Ndjson)
        );
        assert_eq!(
            parse_name("flags.csv").unwrap(),
            (Report::Flags, Format::Csv)
        );
        assert_eq!(
            parse_name("links.ndjson").unwrap(),
            (Report::Links, Format::Ndjson)
        );
        for bad in ["shipments.xlsx", "shipments", "secrets.csv"] {
            assert!(parse_name(bad).is_err(), "{bad}");
        }
    }
}
