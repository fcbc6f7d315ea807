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
use sha2::{Digest, Sha256};
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

/// How a run reads its file.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Keep a digest of the lines read, stored with each batch, for a run
    /// taking the import over to check (command-line imports).
    pub digest: bool,
    /// The lines a stopped run of the same import read and stored (its
    /// `rows_read`), and the digest of them it recorded: read again only
    /// to check that the file is the same, not stored again.
    pub skip: i64,
    pub expected: Option<String>,
}

/// Batches of lines with how many bytes of the file were read and the
/// digest of the lines read so far (if kept), or why reading stopped.
type Batches = mpsc::Receiver<Result<(Vec<Parsed>, u64, Option<String>), String>>;

/// Adds a line as read (or that it could not be) to the digest.
fn digest_line(hasher: &mut Sha256, read: &Result<bool, csv::Error>, record: &csv::StringRecord) {
    match read {
        Ok(_) => {
            for field in record {
                hasher.update(field.as_bytes());
                hasher.update([0x1f]);
            }
        }
        Err(e) => {
            hasher.update(b"unreadable ");
            hasher.update(e.position().map_or(0, |p| p.line()).to_le_bytes());
        }
    }
    hasher.update([0x1e]);
}

/// Reads the file on its own thread and hands over batches of checked
/// lines, with how far into the file it has read.
fn spawn_reader(input: Box<dyn Read + Send>, reading: Reading) -> Result<Batches, String> {
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
            let mut hasher = reading.digest.then(Sha256::new);
            let digest = |hasher: &Option<Sha256>| {
                hasher.as_ref().map(|h| hex::encode(h.clone().finalize()))
            };
            let mut skipped = 0;
            // Reading and checking a batch, not waiting for the writer.
            let mut parsing = std::time::Instant::now();
            loop {
                let read = reader.read_record(&mut record);
                match &read {
                    Ok(false) => break,
                    Err(e) if e.is_io_error() => {
                        let _ = sender.send(Err(format!("reading the file failed: {e}")));
                        return;
                    }
                    _ => {}
                }
                if let Some(hasher) = hasher.as_mut() {
                    digest_line(hasher, &read, &record);
                }
                if skipped < reading.skip {
                    skipped += 1;
                    let differs = || {
                        let expected = reading.expected.as_ref();
                        expected.is_some_and(|e| Some(e) != digest(&hasher).as_ref())
                    };
                    if skipped == reading.skip && differs() {
                        let _ = sender.send(Err(format!(
                            "the file is not the one this import was reading when it stopped: its first {skipped} lines differ; import it again as an import of its own"
                        )));
                        return;
                    }
                    continue;
                }
                match read {
                    Ok(_) => {
                        let number = record.position().map_or(0, |p| p.line()) as i64;
                        batch.push(parse_line(number, Ok(&record), &headers));
                    }
                    Err(e) => {
                        let number = e.position().map_or(0, |p| p.line()) as i64;
                        batch.push(parse_line(number, Err(e), &headers));
                    }
                }
                if batch.len() == BATCH {
                    record_phase("parse", parsing);
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    let sent = (full, reader.position().byte(), digest(&hasher));
                    if sender.send(Ok(sent)).is_err() {
                        return;
                    }
                    parsing = std::time::Instant::now();
                }
            }
            if skipped < reading.skip {
                let _ = sender.send(Err(format!(
                    "the file is not the one this import was reading when it stopped: it has {skipped} lines, and the import had read {}; import it again as an import of its own",
                    reading.skip
                )));
                return;
            }
            if !batch.is_empty() {
                record_phase("parse", parsing);
                let _ = sender.send(Ok((batch, reader.position().byte(), digest(&hasher))));
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

/// How long an acceptance may store nothing before it is taken for
/// stopped: its settlement lease, at most a minute. A running acceptance
/// stores a batch every fraction of a second.
fn stale_after(ctx: &Ctx) -> chrono::Duration {
    ctx.app
        .config
        .settle_lease
        .min(chrono::Duration::seconds(60))
}

/// The import of `agency` from a file named `file_name` whose acceptance
/// was stopped (its process killed): still `accepting`, having stored
/// nothing for [`stale_after`]. Taken over, to be continued by this run,
/// so that it completes instead of staying `accepting`. An acceptance that
/// stored something not long ago is watched until it has been silent for
/// that long; one that stores again meanwhile is running, and `None` is
/// returned (this run is an import of its own).
pub(super) async fn take_over_stopped(
    ctx: &Ctx,
    agency: Uuid,
    file_name: &str,
) -> Result<Option<imports::ImportRow>, AppError> {
    let stale = stale_after(ctx);
    let mut seen: Option<(Uuid, Option<chrono::NaiveDateTime>)> = None;
    loop {
        let name = file_name.to_owned();
        let found = ctx
            .app
            .db
            .run(move |conn| Ok::<_, AppError>(imports::accepting(conn, agency, &name)?))
            .await?;
        let Some(row) = found else {
            return Ok(None);
        };
        let beat = (row.id.0, row.heartbeat_at);
        if seen.is_some_and(|before| before != beat) {
            return Ok(None);
        }
        let stale_before = interdict_persistence::now() - stale;
        if row.heartbeat_at.is_none_or(|at| at < stale_before) {
            let id = row.id.0;
            let taken = ctx
                .app
                .db
                .run(move |conn| {
                    Ok::<_, AppError>(imports::take_over_stopped(conn, id, stale_before)?)
                })
                .await?;
            return Ok(taken.then_some(row));
        }
        seen = Some(beat);
        let silent_for = row
            .heartbeat_at
            .map_or(chrono::Duration::zero(), |at| at - stale_before);
        let wait = silent_for.to_std().unwrap_or_default() + std::time::Duration::from_millis(50);
        tracing::info!(
            import = %row.id.0,
            "an acceptance of the same file is under way or was stopped; waiting {:.1} s to tell which",
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
    }
}

/// Why an import stopped before its end (its import row says so too).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ImportStopped(pub String);

/// Accepts `input` as the caller, under the import row `import` (already
/// written), calling `progress` after each batch; `reading` says whether
/// to keep a digest of the lines read and what a stopped run of the import
/// read before. Returns the counts of this run, or why acceptance stopped;
/// the import row records either (`settling` or `failed`), with an
/// `import.accept` entry, and this instance's settler is woken.
pub async fn run(
    ctx: &Ctx,
    import: Uuid,
    input: Box<dyn Read + Send>,
    reading: Reading,
    mut progress: impl FnMut(Progress),
) -> Result<Counts, ImportStopped> {
    let owner = ctx
        .actor()
        .map_err(|e| ImportStopped(e.to_string()))?
        .agency_id;
    let skip = reading.skip;
    let outcome = store_batches(ctx, owner, import, input, reading, &mut progress).await;
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
            if skip > 0 {
                detail["resumed_after_rows"] = serde_json::json!(skip);
            }
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
    reading: Reading,
    progress: &mut impl FnMut(Progress),
) -> Result<Counts, (Counts, String)> {
    let mut totals = Counts::default();
    let batches = spawn_reader(input, reading).map_err(|e| (totals, e))?;
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
        let (lines, bytes_read, digest) = batch.map_err(|e| (totals, e))?;
        let writing = std::time::Instant::now();
        let counts = ctx
            .app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(store_batch(conn, owner, import, lines, digest.as_deref())?)
            })
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
    digest: Option<&str>,
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
    imports::store_accepted(conn, import, owner, &good, &rejections, counts, digest)
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
