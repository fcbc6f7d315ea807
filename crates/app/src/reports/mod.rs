//! Exports for oversight, streamed as they are read (CSV or NDJSON), and
//! the oversight PDF. Rows are limited by the access policy exactly as the
//! API's lists are, and each export leaves one audit entry with its
//! filter, format and row count — also when its reader goes away halfway.

mod audit;
mod encoder;
mod flags;
mod links;
mod pdf;
mod shipments;
mod summary;

pub use encoder::{neutralise, Format};
pub use summary::{summary, SummaryQuery};

use interdict_domain::audit::{AuditAction, Outcome};
use interdict_domain::policy::{self, Report};
use interdict_persistence::{agencies, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use encoder::{Cell, Encoder};

/// Every file name a report is served under, for the API's document.
pub const FILE_NAMES: [&str; 8] = [
    "shipments.csv",
    "shipments.ndjson",
    "links.csv",
    "links.ndjson",
    "flags.csv",
    "flags.ndjson",
    "audit.csv",
    "audit.ndjson",
];

/// The report and format a file name asks for: `shipments.csv`,
/// `audit.ndjson`, …
fn parse_name(file: &str) -> Result<(Report, Format), AppError> {
    let (name, extension) = file.rsplit_once('.').ok_or_else(|| {
        AppError::bad_request(
            "format",
            "name the format: shipments.csv or shipments.ndjson",
        )
    })?;
    let format = match extension {
        "csv" => Format::Csv,
        "ndjson" => Format::Ndjson,
        other => {
            return Err(AppError::bad_request(
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
            return Err(AppError::bad_request(
                "report",
                format!("there is no `{other}` report; use shipments, links, flags or audit"),
            ))
        }
    };
    Ok((report, format))
}

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// From (inclusive; RFC 3339, or a date for midnight UTC): when shipped, or when the audit entry was written.
    pub from: Option<String>,
    /// To (exclusive; RFC 3339, or a date for midnight UTC at its start).
    pub to: Option<String>,
    /// Only records of this agency (within the caller's scope).
    pub owner_agency_id: Option<Uuid>,
    #[param(value_type = Option<interdict_domain::shipment::IncidentType>)]
    pub incident_type: Option<String>,
    #[param(value_type = Option<interdict_domain::shipment::ShipmentStatus>)]
    pub status: Option<String>,
    /// Flags only: `open`, `under_review`, `confirmed`, `dismissed`, `escalated` or `merged`.
    #[param(value_type = Option<interdict_domain::review::FlagState>)]
    pub flag_state: Option<String>,
    /// Audit only: the filters of `GET /api/v1/audit`.
    pub user_id: Option<Uuid>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    #[param(value_type = Option<interdict_domain::audit::Outcome>)]
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

    /// The `from`/`to` range, checked.
    fn range(&self) -> Result<crate::filters::Range, AppError> {
        crate::filters::range(self.from.as_deref(), self.to.as_deref())
    }
}

/// Refuses the shipment filters, and the audit ones but for the audit
/// export.
fn only_dates(query: &ReportQuery, report: &str) -> Result<(), AppError> {
    if report != "audit" && query.has_audit_filters() {
        return Err(AppError::bad_request(
            "query",
            "user, action, object and outcome filters apply to the audit export",
        ));
    }
    if query.incident_type.is_some() || query.status.is_some() || query.owner_agency_id.is_some() {
        return Err(AppError::bad_request(
            "query",
            format!("the {report} export takes only from and to"),
        ));
    }
    Ok(())
}

/// Every export but the flags one refuses a flag-state filter.
fn no_flag_state(query: &ReportQuery) -> Result<(), AppError> {
    match query.flag_state {
        Some(_) => Err(AppError::bad_request(
            "flag_state",
            "applies to the flags export only",
        )),
        None => Ok(()),
    }
}

/// Rows per page of the reports other than shipments.
const PAGE: i64 = 500;

/// Reads rows page by page and hands each to `emit`, which answers false
/// once the reader has gone. Returns how many rows were sent.
type Producer = Box<
    dyn FnOnce(&mut DbConnection, &mut dyn FnMut(Vec<Cell>) -> bool) -> Result<u64, AppError>
        + Send,
>;

/// Pages through rows with keyset pagination and sends each, until the
/// rows run out or the reader goes away; returns how many were sent.
/// `rows` turns a whole page into output rows, so lookups can be batched.
fn pages<T, C>(
    conn: &mut DbConnection,
    emit: &mut dyn FnMut(Vec<Cell>) -> bool,
    page_size: i64,
    mut fetch: impl FnMut(&mut DbConnection, Option<C>) -> Result<Vec<T>, AppError>,
    cursor: impl Fn(&T) -> C,
    mut rows: impl FnMut(&mut DbConnection, Vec<T>) -> Result<Vec<Vec<Value>>, AppError>,
) -> Result<u64, AppError> {
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
    mut row: impl FnMut(&mut DbConnection, T) -> Result<Vec<Value>, AppError>,
) -> impl FnMut(&mut DbConnection, Vec<T>) -> Result<Vec<Vec<Value>>, AppError> {
    move |conn, page| page.into_iter().map(|item| row(conn, item)).collect()
}

/// Agency names, looked up once per export rather than once per row.
#[derive(Default)]
struct AgencyNames(HashMap<Uuid, String>);

impl AgencyNames {
    fn get(&mut self, conn: &mut DbConnection, id: Uuid) -> Result<String, AppError> {
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

/// A report on its way: chunks of the file as they are written. The
/// export's audit entry is committed before the last chunk is handed
/// over, so a reader who got it all knows the export was recorded.
pub struct Export {
    pub format: Format,
    /// What to call the file.
    pub file_name: String,
    pub chunks: mpsc::Receiver<Vec<u8>>,
}

/// Starts a report: `shipments`, `links`, `flags` or `audit`, as `.csv`
/// or `.ndjson` (`file`), filtered by `query`. The rows are read and
/// written on threads of their own.
pub async fn export(ctx: &Ctx, file: &str, query: ReportQuery) -> Result<Export, AppError> {
    let mut event = ctx.event_on(AuditAction::ReportExport, "report", file);
    let filter = serde_json::to_value(&query).unwrap_or_default();
    let prepared = ctx.actor().and_then(|actor| {
        let (report, format) = parse_name(file)?;
        AppError::from_decision(policy::decide_export(actor, report))?;
        let (producer, columns) = match report {
            Report::Shipments => (
                shipments::producer(
                    actor.clone(),
                    &query,
                    ctx.app.config.risk.clone(),
                    ctx.app.db.clone(),
                )?,
                shipments::COLUMNS,
            ),
            Report::Links => (links::producer(actor.clone(), &query)?, links::COLUMNS),
            Report::Flags => (flags::producer(actor.clone(), &query)?, flags::COLUMNS),
            Report::Audit => (audit::producer(actor.clone(), &query)?, audit::COLUMNS),
            Report::Summary => return Err(AppError::NotFound),
        };
        Ok((format, columns, producer))
    });
    let (format, columns, producer) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            event.detail = Some(serde_json::json!({ "filter": filter }).to_string());
            return ctx.reject(event, e).await;
        }
    };
    let mut encoder = Encoder::new(format, columns);
    let (sender, receiver) = mpsc::channel::<Vec<u8>>(8);
    let db = ctx.app.db.clone();
    let writer = ctx.app.audit.clone();
    let runtime = tokio::runtime::Handle::current();
    let extension = file.rsplit('.').next().map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let outcome = (|| -> Result<(u64, bool), AppError> {
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
            serde_json::json!({ "filter": filter, "format": extension, "rows": rows, "complete": complete })
                .to_string(),
        );
        if let Err(e) = runtime.block_on(writer.record(event)) {
            tracing::error!(error = %e, "could not record the export's audit entry");
        }
        // The stream ends only now, so a reader who got it all knows the
        // export was recorded.
        drop(sender);
    });
    Ok(Export {
        format,
        file_name: format!("interdict-{file}"),
        chunks: receiver,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for name in FILE_NAMES {
            assert!(parse_name(name).is_ok(), "{name}");
        }
        for bad in ["shipments.xlsx", "shipments", "secrets.csv"] {
            assert!(parse_name(bad).is_err(), "{bad}");
        }
    }
}
