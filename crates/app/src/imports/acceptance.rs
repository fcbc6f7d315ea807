//! Acceptance, an import's first phase: the manifest file read, each
//! line checked and stored for settlement, shared by `interdict import`
//! and `POST /api/v1/imports`.
//!
//! A reader thread parses and checks lines while batches are stored, so
//! both cores work, and memory holds two batches whatever the file's size.
//! Each batch is one transaction with its rejections and the import's
//! counts: killing acceptance leaves whole batches, and running the file
//! again accepts only what is missing, as a line is accepted once per
//! agency (same tracking number and consignor). Acceptance ends with one
//! `import.accept` entry and its counts; settlement (`settlement`) turns
//! the lines into shipments.

use interdict_domain::audit::AuditAction;
use interdict_domain::manifest::{ManifestRow, COLUMNS, REQUIRED};
use interdict_persistence::audit::AuditContext;
use interdict_persistence::imports::{self, AcceptedLine, Counts, Rejection};
use std::collections::HashSet;
use std::io::Read;
use std::sync::mpsc;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;

/// Lines per transaction.
pub const BATCH: usize = 5000;

/// A line as read: its number in the file (the header is line 1) and
/// either the line to store or why it was refused.
type Parsed = (i64, Result<AcceptedLine, Vec<Rejection>>);

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
    record: Result<&csv::StringRecord, csv::Error>,
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
    let checked = match row.validate() {
        Ok(line) => Ok(AcceptedLine {
            row_number: number,
            key: line.key,
            cells: row.to_cells(),
        }),
        Err(errors) => Err(rejections(number, &errors)),
    };
    (number, checked)
}

/// A line's problems as rejections of its row.
pub(super) fn rejections(
    number: i64,
    errors: &interdict_domain::validation::ValidationErrors,
) -> Vec<Rejection> {
    errors
        .errors()
        .iter()
        .map(|e| Rejection {
            row_number: number,
            field: e.field.clone(),
            reason: e.message.clone(),
        })
        .collect()
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
                        batch.push(parse_line(number, Ok(&record), &headers));
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
/// checking its lines; `accept`: storing them; `settle`: a settlement
/// batch, queue wait included), for
/// `/metrics`.
pub(super) fn record_phase(phase: &'static str, started: std::time::Instant) {
    metrics::histogram!("interdict_import_batch_duration_seconds", "phase" => phase)
        .record(started.elapsed().as_secs_f64());
}

/// Why an import stopped before its end (its import row says so too).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ImportStopped(pub String);

/// Accepts `input` as the caller, under the import row `import` (already
/// written), calling `progress` after each batch. Returns the counts, or
/// why acceptance stopped; the import row records either (`settling` or
/// `failed`), with an `import.accept` entry, and this instance's settler
/// is woken.
pub async fn run(
    ctx: &Ctx,
    import: Uuid,
    input: Box<dyn Read + Send>,
    mut progress: impl FnMut(Progress),
) -> Result<Counts, ImportStopped> {
    let owner = ctx
        .actor()
        .map_err(|e| ImportStopped(e.to_string()))?
        .agency_id;
    let outcome = store_batches(ctx, owner, import, input, &mut progress).await;
    let (totals, error) = match &outcome {
        Ok(totals) => (*totals, None),
        Err((totals, error)) => (*totals, Some(error.clone())),
    };
    let result = if error.is_none() {
        "accepted"
    } else {
        "stopped"
    };
    metrics::counter!("interdict_imports_total", "result" => result).increment(1);
    metrics::counter!("interdict_import_lines_total").increment(totals.rows_read.max(0) as u64);
    let event = ctx.event_on(AuditAction::ImportAccept, "import", import);
    let ended = ctx
        .app
        .audit
        .perform(event.clone(), move |conn, context: &mut AuditContext| {
            let completed = imports::end_acceptance(conn, import, error.as_deref())?;
            let mut detail = serde_json::to_value(totals).map_err(AppError::internal)?;
            detail["error"] = serde_json::json!(error);
            context.detail = Some(detail.to_string());
            if completed {
                // Nothing to settle: the import ends here.
                let mut end = event;
                end.action = AuditAction::Import;
                end.detail = context.detail.clone();
                context.also(end);
            }
            Ok::<_, AppError>(())
        })
        .await;
    if let Err(e) = ended {
        return Err(ImportStopped(format!(
            "could not record the end of acceptance: {e}"
        )));
    }
    ctx.app.settle.notify_one();
    outcome.map_err(|(_, error)| ImportStopped(error))
}

async fn store_batches(
    ctx: &Ctx,
    owner: Uuid,
    import: Uuid,
    input: Box<dyn Read + Send>,
    progress: &mut impl FnMut(Progress),
) -> Result<Counts, (Counts, String)> {
    let mut totals = Counts::default();
    let batches = spawn_reader(input).map_err(|e| (totals, e))?;
    let mut batches = batches.into_iter();
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
        let writing = std::time::Instant::now();
        let counts = ctx
            .app
            .db
            .run(move |conn| Ok::<_, AppError>(store_batch(conn, owner, import, lines)?))
            .await
            .map_err(|e| (totals, format!("a batch could not be stored: {e}")))?;
        record_phase("accept", writing);
        totals += counts;
        progress(Progress { bytes_read, totals });
    }
    Ok(totals)
}

/// One batch, in one transaction.
fn store_batch(
    conn: &mut interdict_persistence::DbConnection,
    owner: Uuid,
    import: Uuid,
    lines: Vec<Parsed>,
) -> Result<Counts, interdict_persistence::Error> {
    let mut counts = Counts {
        rows_read: lines.len() as i64,
        ..Counts::default()
    };
    let mut rejections = Vec::new();
    let mut good = Vec::with_capacity(lines.len());
    for (_, line) in lines {
        match line {
            Ok(line) => good.push(line),
            Err(mut refused) => rejections.append(&mut refused),
        }
    }
    counts.rejected = rejections
        .iter()
        .map(|r| r.row_number)
        .collect::<HashSet<_>>()
        .len() as i64;
    imports::store_accepted(conn, import, owner, &good, &rejections, counts)
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
