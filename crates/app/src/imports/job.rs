//! The import job: a manifest file written as shipments, shared by
//! `interdict import` and `POST /api/v1/imports`.
//!
//! A reader thread parses and checks lines while batches are written, so
//! both cores work. Each batch is one transaction, run through the audit
//! writer with its own `import.batch` entry: a batch is either wholly
//! written, with its entry, its rejections and the import's counts, or
//! not at all — killing an import leaves no half-written batch, and
//! running it again skips the lines already written (same tracking number
//! and consignor). The import ends with one `import` entry and its totals.

use interdict_domain::audit::{AuditAction, AuditEvent};
use interdict_domain::manifest::{ManifestLine, ManifestRow, COLUMNS, REQUIRED};
use interdict_domain::policy::Actor;
use interdict_domain::record::{Document, RecordKind};
use interdict_domain::risk::{weigh, RiskWeights};
use interdict_domain::sharing::Scope;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::imports::{self, Counts, Rejection};
use interdict_persistence::records::{self, NewRecord};
use interdict_persistence::risk as findings;
use interdict_persistence::{deconfliction, DbConnection};
use std::collections::HashSet;
use std::io::Read;
use std::sync::mpsc;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::risk;

/// Lines per transaction.
pub const BATCH: usize = 2000;

/// A line as read: its number in the file (the header is line 1) and
/// either the checked line or why it was refused.
type Parsed = (i64, Result<ManifestLine, Vec<Rejection>>);

/// Where a running import has got to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub bytes_read: u64,
    pub totals: Counts,
}

/// Checks the header: every column known, the required ones present.
fn check_header(headers: &csv::StringRecord) -> Result<(), String> {
    for header in headers {
        if !COLUMNS.contains(&header) {
            return Err(format!(
                "unknown column `{header}`; the columns are {}",
                COLUMNS.join(", ")
            ));
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing column(s): {}", missing.join(", ")));
    }
    Ok(())
}

fn parse_line(
    number: i64,
    record: Result<csv::StringRecord, csv::Error>,
    headers: &csv::StringRecord,
) -> Parsed {
    let rejected = |field: &str, reason: String| {
        (
            number,
            Err(vec![Rejection {
                row_number: number,
                field: field.to_owned(),
                reason,
            }]),
        )
    };
    let record = match record {
        Ok(record) => record,
        Err(e) => return rejected("row", format!("unreadable CSV: {e}")),
    };
    let row: ManifestRow = match record.deserialize(Some(headers)) {
        Ok(row) => row,
        Err(e) => return rejected("row", format!("unreadable line: {e}")),
    };
    let checked = row.validate().map_err(|errors| {
        errors
            .errors()
            .iter()
            .map(|e| Rejection {
                row_number: number,
                field: e.field.clone(),
                reason: e.message.clone(),
            })
            .collect()
    });
    (number, checked)
}

/// Reads the file on its own thread and hands over batches of checked
/// lines, with how far into the file it has read.
/// Batches of lines with how many bytes of the file were read, or why
/// reading stopped.
type Batches = mpsc::Receiver<Result<(Vec<Parsed>, u64), String>>;

fn spawn_reader(input: Box<dyn Read + Send>) -> Result<Batches, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header line: {e}"))?
        .clone();
    check_header(&headers)?;
    let (sender, receiver) = mpsc::sync_channel(2);
    std::thread::Builder::new()
        .name("import-reader".into())
        .spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut record = csv::StringRecord::new();
            // Reading and checking a batch, not waiting for the writer.
            let mut parsing = std::time::Instant::now();
            loop {
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        let number = record.position().map_or(0, |p| p.line()) as i64;
                        batch.push(parse_line(number, Ok(record.clone()), &headers));
                    }
                    Err(e) if e.is_io_error() => {
                        let _ = sender.send(Err(format!("reading the file failed: {e}")));
                        return;
                    }
                    Err(e) => {
                        let number = e.position().map_or(0, |p| p.line()) as i64;
                        batch.push(parse_line(number, Err(e), &headers));
                    }
                }
                if batch.len() == BATCH {
                    record_phase("parse", parsing);
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if sender.send(Ok((full, reader.position().byte()))).is_err() {
                        return;
                    }
                    parsing = std::time::Instant::now();
                }
            }
            if !batch.is_empty() {
                record_phase("parse", parsing);
                let _ = sender.send(Ok((batch, reader.position().byte())));
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(receiver)
}

/// How long one batch spent in a phase of an import (`parse`: reading and
/// checking its lines; `write`: its transaction, queue wait included), for
/// `/metrics`.
fn record_phase(phase: &'static str, started: std::time::Instant) {
    metrics::histogram!("interdict_import_batch_duration_seconds", "phase" => phase)
        .record(started.elapsed().as_secs_f64());
}

/// Why an import stopped before its end (its import row says so too).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ImportStopped(pub String);

/// Imports `input` as the caller, under the import row `import` (already
/// written), calling `progress` after each batch. Returns the totals, or
/// why the import stopped; the import row records either, and its end has
/// an `import` entry with the totals.
pub async fn run(
    ctx: &Ctx,
    import: Uuid,
    input: Box<dyn Read + Send>,
    mut progress: impl FnMut(Progress),
) -> Result<Counts, ImportStopped> {
    let actor = ctx.actor().map_err(|e| ImportStopped(e.to_string()))?;
    let base_event = ctx.event_on(AuditAction::Import, "import", import);
    let outcome = write_batches(ctx, actor, &base_event, import, input, &mut progress).await;
    let (totals, error) = match &outcome {
        Ok(totals) => (*totals, None),
        Err((totals, error)) => (*totals, Some(error.clone())),
    };
    let result = if error.is_none() {
        "finished"
    } else {
        "stopped"
    };
    metrics::counter!("interdict_imports_total", "result" => result).increment(1);
    metrics::counter!("interdict_import_lines_total").increment(totals.rows_read.max(0) as u64);
    let mut event = base_event;
    event.occurred_at = ctx.now();
    let finished = ctx
        .app
        .audit
        .perform(event, move |conn, context: &mut AuditContext| {
            imports::finish(conn, import, error.as_deref())?;
            let mut detail = serde_json::to_value(totals).map_err(AppError::internal)?;
            detail["error"] = serde_json::json!(error);
            context.detail = Some(detail.to_string());
            Ok::<_, AppError>(())
        })
        .await;
    if let Err(e) = finished {
        return Err(ImportStopped(format!(
            "could not record the end of the import: {e}"
        )));
    }
    outcome.map_err(|(_, error)| ImportStopped(error))
}

async fn write_batches(
    ctx: &Ctx,
    actor: &Actor,
    base_event: &AuditEvent,
    import: Uuid,
    input: Box<dyn Read + Send>,
    progress: &mut impl FnMut(Progress),
) -> Result<Counts, (Counts, String)> {
    let mut totals = Counts::default();
    let batches = spawn_reader(input).map_err(|e| (totals, e))?;
    let mut batches = batches.into_iter();
    let mut number = 0u64;
    loop {
        // The reader blocks on the file; wait for it off the async threads.
        let (next, rest) = tokio::task::spawn_blocking(move || {
            let next = batches.next();
            (next, batches)
        })
        .await
        .map_err(|e| (totals, e.to_string()))?;
        batches = rest;
        let Some(batch) = next else { break };
        let (lines, bytes_read) = batch.map_err(|e| (totals, e))?;
        let mut event = base_event.clone();
        event.action = AuditAction::ImportBatch;
        event.occurred_at = ctx.now();
        let actor = actor.clone();
        let weights = ctx.app.config.risk.clone();
        let screener = ctx.app.screener.clone();
        number += 1;
        let writing = std::time::Instant::now();
        let counts = ctx
            .app
            .audit
            .perform(event, move |conn, context: &mut AuditContext| {
                let counts =
                    write_batch(conn, context, &actor, &weights, &screener, import, lines)?;
                interdict_persistence::db::refresh_statistics(conn, number)?;
                context.detail = Some(serde_json::to_string(&counts).map_err(AppError::internal)?);
                Ok::<_, AppError>(counts)
            })
            .await
            .map_err(|e| (totals, format!("a batch could not be written: {e}")))?;
        record_phase("write", writing);
        totals += counts;
        progress(Progress { bytes_read, totals });
    }
    Ok(totals)
}

/// One batch, inside its transaction.
fn write_batch(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    actor: &Actor,
    weights: &RiskWeights,
    screener: &crate::screening::Screener,
    import: Uuid,
    lines: Vec<Parsed>,
) -> Result<Counts, AppError> {
    let owner = actor.agency_id;
    let mut counts = Counts {
        rows_read: lines.len() as i64,
        ..Counts::default()
    };
    let mut rejections = Vec::new();
    let mut good = Vec::new();
    for (number, line) in lines {
        match line {
            Ok(line) => good.push((number, line)),
            Err(mut refused) => rejections.append(&mut refused),
        }
    }
    // Lines written before, by an earlier run or earlier in this file.
    let keys: Vec<&str> = good.iter().map(|(_, l)| l.key.as_str()).collect();
    let known = imports::known_keys(conn, owner, &keys)?;
    let good_count = keys.len() as i64;
    drop(keys);
    let mut seen = HashSet::new();
    let fresh: Vec<(i64, ManifestLine)> = good
        .into_iter()
        .filter(|(_, line)| !known.contains(&line.key) && seen.insert(line.key.clone()))
        .collect();
    counts.duplicates = good_count - fresh.len() as i64;

    // Parties: the agency's own where it has them, new ones otherwise.
    let wanted: Vec<(String, String)> = fresh
        .iter()
        .flat_map(|(_, l)| [l.consignor_key.clone(), l.consignee_key.clone()])
        .collect();
    let mut parties = imports::parties_by_key(conn, owner, &wanted)?;
    let mut new_parties = Vec::new();
    for (_, line) in &fresh {
        for (key, input) in [
            (&line.consignor_key, &line.consignor),
            (&line.consignee_key, &line.consignee),
        ] {
            if parties.contains_key(key) {
                continue;
            }
            let Ok((canonical, index)) = input.check() else {
                continue;
            };
            let id = Uuid::now_v7();
            parties.insert(key.clone(), id);
            new_parties.push(NewRecord {
                id,
                kind: RecordKind::Party,
                owner,
                scope: Scope::Agency,
                actor: Some(actor.user_id),
                body: serde_json::to_string(&canonical).map_err(AppError::internal)?,
                index,
            });
        }
    }
    records::insert_many(conn, context.refresh, &new_parties)?;

    let mut shipments = Vec::with_capacity(fresh.len());
    let mut written_keys = Vec::with_capacity(fresh.len());
    for (number, line) in &fresh {
        let (Some(consignor), Some(consignee)) = (
            parties.get(&line.consignor_key),
            parties.get(&line.consignee_key),
        ) else {
            rejections.push(Rejection {
                row_number: *number,
                field: "consignor_name".into(),
                reason: "the party could not be recorded".into(),
            });
            continue;
        };
        match line.shipment(*consignor, *consignee).check() {
            Ok((canonical, index)) => {
                let id = Uuid::now_v7();
                written_keys.push((line.key.as_str(), id));
                shipments.push(NewRecord {
                    id,
                    kind: RecordKind::Shipment,
                    owner,
                    scope: Scope::Agency,
                    actor: Some(actor.user_id),
                    body: serde_json::to_string(&canonical).map_err(AppError::internal)?,
                    index,
                });
            }
            Err(errors) => rejections.extend(errors.errors().iter().map(|e| Rejection {
                row_number: *number,
                field: e.field.clone(),
                reason: e.message.clone(),
            })),
        }
    }
    records::insert_many(conn, context.refresh, &shipments)?;
    imports::insert_keys(conn, owner, &written_keys)?;
    let identified: Vec<_> = shipments
        .iter()
        .map(|s| (s.id.into(), owner.into(), s.index.identifiers.as_slice()))
        .collect();
    deconfliction::detect_many(conn, context.refresh, &identified)?;
    // New parties are screened; watches matched by the batch's records
    // make one notification per watch and import, counting the matches.
    for party in &new_parties {
        crate::screening::screen_written(conn, context, screener, party.id, &party.body, true)?;
    }
    let written: Vec<(Uuid, RecordKind, &interdict_domain::record::RecordIndex)> = new_parties
        .iter()
        .chain(shipments.iter())
        .map(|r| (r.id, r.kind, &r.index))
        .collect();
    crate::watchlists::notify_batch(conn, &written, owner, actor.user_id, import)?;

    // Scored like any other shipment; new ones have no links yet, so the
    // chain is the shipment itself.
    let ids: Vec<Uuid> = shipments.iter().map(|s| s.id).collect();
    let found = findings::current(conn, context.refresh, &ids)?;
    for (id, findings) in ids.iter().zip(found) {
        let assessment = weigh(findings, weights);
        risk::raise_if_new_reaches(conn, context, *id, owner, &assessment, weights)?;
    }

    counts.imported = shipments.len() as i64;
    counts.rejected = rejections
        .iter()
        .map(|r| r.row_number)
        .collect::<HashSet<_>>()
        .len() as i64;
    imports::insert_rejections(conn, import, &rejections)?;
    imports::add_counts(conn, import, counts)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked() {
        let good = csv::StringRecord::from(REQUIRED.to_vec());
        assert!(check_header(&good).is_ok());
        let mut unknown = REQUIRED.to_vec();
        unknown.push("colour");
        let error = check_header(&csv::StringRecord::from(unknown)).unwrap_err();
        assert!(error.contains("`colour`"), "{error}");
        let error = check_header(&csv::StringRecord::from(vec!["tracking_number"])).unwrap_err();
        assert!(error.contains("consignor_name"), "{error}");
    }
}
