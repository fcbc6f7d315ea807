//! Settlement, an import's second phase: accepted lines become shipments,
//! parties and identifiers, with deconfliction notices, risk findings and
//! automatic flags, a batch at a time, each batch one transaction.
//!
//! A settler leases a batch of unsettled lines (any import's, oldest
//! first) for `settle_lease`, then settles it through the audit writer:
//! the transaction locks the lines it still leases, writes them, marks
//! them settled and adds to the import's counts, with an `import.batch`
//! entry. A settler that dies leaves its lines leased until the lease runs
//! out, when another takes them; one whose lease ran out finds its lines
//! taken (or settled) and writes nothing. On PostgreSQL several instances'
//! settlers share the lines, skipping those another is leasing
//! (`FOR UPDATE SKIP LOCKED`); SQLite has one writer and one settler. The
//! batch that settles an import's last line completes it, with one
//! `import` entry and the totals.
//!
//! Every `interdict serve` runs a settler ([`Settler::start`]); `interdict
//! import --wait` settles in its own process until its import completes.

use interdict_domain::audit::AuditAction;
use interdict_domain::manifest::{ManifestLine, ManifestRow};
use interdict_domain::record::{Document, RecordKind};
use interdict_domain::risk::{weigh, RiskWeights};
use interdict_domain::sharing::Scope;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::imports::{self, Counts, Rejection, StagedLine};
use interdict_persistence::records::{self, NewRecord};
use interdict_persistence::risk as findings;
use interdict_persistence::{deconfliction, DbConnection};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

use super::acceptance::rejections;
use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;
use crate::risk;

/// How often an idle settler looks for lines another instance accepted.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Lines settled by this process, for refreshing the planner's
/// statistics as the tables grow.
static SETTLED: AtomicU64 = AtomicU64::new(0);

/// Whether a batch that took this process's settled lines from `before`
/// to `after` should refresh the planner's statistics: on its first batch,
/// then each time the count passes 8,000, 32,000, 128,000 … (four times
/// the last). Counted in lines, not batches, as batches shrink while
/// requests wait and a statistics refresh holds the writer.
pub(crate) fn analyze_due(before: u64, after: u64) -> bool {
    if before == 0 {
        return after > 0;
    }
    let mut threshold: u64 = 8_000;
    while threshold <= after {
        if before < threshold {
            return true;
        }
        threshold = threshold.saturating_mul(4);
    }
    false
}

/// A settler running in the background of `interdict serve`.
pub struct Settler {
    stop: Arc<AtomicBool>,
    app: App,
    task: tokio::task::JoinHandle<()>,
}

impl Settler {
    /// Starts this instance's settler. Must be called on the async runtime.
    pub fn start(app: &App) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(work(app.clone(), Uuid::now_v7(), stop.clone()));
        Self {
            stop,
            app: app.clone(),
            task,
        }
    }

    /// Stops after the batch under way, if any.
    pub async fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.app.settle.notify_one();
        let _ = self.task.await;
    }
}

/// The share of the audit writer's time one settlement batch may hold
/// while requests are waiting behind it: a read's entry, or a create,
/// queued behind a batch waits about this long.
const SHARE_WHILE_BUSY: Duration = Duration::from_millis(25);

/// The fewest lines a batch takes, so that settlement still moves under
/// a steady load.
const FEWEST_LINES: i64 = 10;

/// The next batch's size: while requests queued behind the last batch, as
/// many lines as settle in [`SHARE_WHILE_BUSY`] at the rate it settled;
/// when none did, twice the last, up to `most` (`INTERDICT_SETTLE_BATCH`),
/// as a batch's fixed costs then matter more than anyone's wait.
pub(crate) fn next_batch(last: i64, settled: usize, took: Duration, busy: bool, most: i64) -> i64 {
    let most = most.max(1);
    if !busy {
        return last.saturating_mul(2).clamp(FEWEST_LINES.min(most), most);
    }
    let rate = settled as f64 / took.as_secs_f64().max(1e-3);
    let fits = (rate * SHARE_WHILE_BUSY.as_secs_f64()) as i64;
    fits.clamp(FEWEST_LINES.min(most), most)
}

async fn work(app: App, me: Uuid, stop: Arc<AtomicBool>) {
    let most = app.config.settle_batch;
    let mut size = most;
    while !stop.load(Ordering::Acquire) {
        let queued = app.audit.queued();
        let started = std::time::Instant::now();
        match settle_some(&app, me, size).await {
            // Requests go first: a batch is sized by whether any queued
            // behind the last one, and each queues behind those waiting.
            Ok((n, own_jobs)) if n > 0 => {
                let others = app.audit.queued().saturating_sub(queued + own_jobs);
                size = next_batch(size, n, started.elapsed(), others > 0, most);
                tokio::task::yield_now().await
            }
            Ok(_) => {
                let _ = tokio::time::timeout(IDLE_POLL, app.settle.notified()).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "settlement batch failed; retrying");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

/// Settles until the import `id` is no longer settling (completed, or
/// failed before), e.g. for `interdict import --wait`; lines of other
/// imports leased on the way are settled too. Calls `progress` with the
/// import's row after each batch.
pub async fn settle_until_done(
    app: &App,
    id: Uuid,
    mut progress: impl FnMut(&imports::ImportRow),
) -> Result<imports::ImportRow, AppError> {
    let me = Uuid::now_v7();
    loop {
        let row = app
            .db
            .run(move |conn| Ok::<_, AppError>(imports::find(conn, id)?))
            .await?
            .ok_or(AppError::NotFound)?;
        progress(&row);
        let unsettled = row.settled < row.accepted;
        if !unsettled && row.state != "accepting" {
            return Ok(row);
        }
        if settle_some(app, me, app.config.settle_batch).await?.0 == 0 {
            // Another instance holds the rest, or acceptance is still on.
            tokio::time::sleep(IDLE_POLL).await;
        }
    }
}

/// Leases a batch of up to `limit` lines and settles it; returns how many
/// lines were settled and how many audit-writer jobs that took (one per
/// import the lines belong to).
async fn settle_some(app: &App, me: Uuid, limit: i64) -> Result<(usize, u64), AppError> {
    let now = app.now();
    let until = now + app.config.settle_lease;
    let leased = app
        .db
        .run(move |conn| {
            Ok::<_, AppError>(imports::lease(
                conn,
                me,
                now.naive_utc(),
                until.naive_utc(),
                limit,
            )?)
        })
        .await?;
    let mut by_import: BTreeMap<Uuid, Vec<i64>> = BTreeMap::new();
    for (line, import) in leased {
        by_import.entry(import).or_default().push(line);
    }
    let mut settled = 0;
    let jobs = by_import.len() as u64;
    for (import, ids) in by_import {
        settled += settle_batch(app, me, import, ids).await?;
    }
    Ok((settled, jobs))
}

async fn settle_batch(app: &App, me: Uuid, import: Uuid, ids: Vec<i64>) -> Result<usize, AppError> {
    let row = app
        .db
        .run(move |conn| Ok::<_, AppError>(imports::find(conn, import)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = row.agency_id.0;
    let user = row.user_id.map(|u| u.0);
    let ctx = Ctx::system(app, RequestMeta::local("settlement"));
    let event = ctx.event_on(AuditAction::ImportBatch, "import", import);
    let weights = app.config.risk.clone();
    let screener = app.screener.clone();
    let started = std::time::Instant::now();
    let settled = app
        .audit
        .perform(event.clone(), move |conn, context: &mut AuditContext| {
            let lines = imports::take_leased(conn, me, &ids)?;
            if lines.is_empty() {
                return Ok(0);
            }
            let taken: Vec<i64> = lines.iter().map(|l| l.id).collect();
            let mut counts = write_batch(
                conn, context, owner, user, &weights, &screener, import, &lines,
            )?;
            counts.settled = taken.len() as i64;
            imports::mark_settled(conn, &taken)?;
            imports::add_counts(conn, import, counts)?;
            let before = SETTLED.fetch_add(taken.len() as u64, Ordering::Relaxed);
            if analyze_due(before, before + taken.len() as u64) {
                interdict_persistence::db::analyze(conn)?;
            }
            context.detail = Some(serde_json::to_string(&counts).map_err(AppError::internal)?);
            if imports::complete_if_settled(conn, import)? {
                let totals = imports::find(conn, import)?.ok_or(AppError::NotFound)?;
                let mut end = event;
                end.action = AuditAction::Import;
                end.detail = Some(
                    serde_json::json!({
                        "rows": totals.rows_read,
                        "accepted": totals.accepted,
                        "settled": totals.settled,
                        "imported": totals.imported,
                        "duplicates": totals.duplicates,
                        "rejected": totals.rejected,
                    })
                    .to_string(),
                );
                context.also(end);
            }
            Ok::<_, AppError>(taken.len())
        })
        .await?;
    super::acceptance::record_phase("settle", started);
    metrics::counter!("interdict_import_settled_lines_total").increment(settled as u64);
    Ok(settled)
}

/// One batch of one import's accepted lines, inside its transaction.
#[allow(clippy::too_many_arguments)]
fn write_batch(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    owner: Uuid,
    user: Option<Uuid>,
    weights: &RiskWeights,
    screener: &crate::screening::Screener,
    import: Uuid,
    lines: &[StagedLine],
) -> Result<Counts, AppError> {
    let mut counts = Counts::default();
    let mut rejected = Vec::new();
    let mut good = Vec::with_capacity(lines.len());
    for staged in lines {
        // Checked at acceptance; checked again, as the rules may have
        // changed since.
        let line: Result<ManifestLine, Vec<Rejection>> =
            match serde_json::from_str::<ManifestRow>(&staged.cells) {
                Ok(row) => row
                    .validate()
                    .map_err(|e| rejections(staged.row_number, &e)),
                Err(e) => Err(vec![Rejection {
                    row_number: staged.row_number,
                    field: "row".into(),
                    reason: format!("unreadable stored line: {e}"),
                }]),
            };
        match line {
            Ok(line) => good.push((staged.row_number, line)),
            Err(mut refused) => rejected.append(&mut refused),
        }
    }
    // Lines written before acceptance was staged (same key).
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

    // Chemicals by CAS number: a line whose chemical is not in the
    // catalogue is refused before its parties are written.
    let wanted: Vec<&str> = fresh
        .iter()
        .filter_map(|(_, l)| l.chemical_cas.as_deref())
        .collect();
    let chemicals = if wanted.is_empty() {
        std::collections::HashMap::new()
    } else {
        interdict_persistence::search::chemicals_by_cas(conn, &wanted)?
    };
    let fresh: Vec<(i64, ManifestLine)> = fresh
        .into_iter()
        .filter(|(number, line)| match line.chemical_cas.as_deref() {
            Some(cas) if !chemicals.contains_key(cas) => {
                rejected.push(Rejection {
                    row_number: *number,
                    field: "chemical_cas".into(),
                    reason: format!("no chemical in the catalogue has CAS number {cas}"),
                });
                false
            }
            _ => true,
        })
        .collect();

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
                actor: user,
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
            rejected.push(Rejection {
                row_number: *number,
                field: "consignor_name".into(),
                reason: "the party could not be recorded".into(),
            });
            continue;
        };
        let chemical = line
            .chemical_cas
            .as_deref()
            .and_then(|cas| chemicals.get(cas).copied());
        match line.shipment(*consignor, *consignee, chemical).check() {
            Ok((canonical, index)) => {
                let id = Uuid::now_v7();
                written_keys.push((line.key.as_str(), id));
                shipments.push(NewRecord {
                    id,
                    kind: RecordKind::Shipment,
                    owner,
                    scope: Scope::Agency,
                    actor: user,
                    body: serde_json::to_string(&canonical).map_err(AppError::internal)?,
                    index,
                });
            }
            Err(errors) => rejected.extend(rejections(*number, &errors)),
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
    crate::watchlists::notify_batch(conn, &written, owner, user, import)?;

    // Scored like any other shipment; new ones have no links yet, so the
    // chain is the shipment itself.
    let ids: Vec<Uuid> = shipments.iter().map(|s| s.id).collect();
    let found = findings::current(conn, context.refresh, &ids)?;
    for (id, findings) in ids.iter().zip(found) {
        let assessment = weigh(findings, weights);
        risk::raise_if_new_reaches(conn, context, *id, owner, &assessment, weights)?;
    }

    counts.imported = shipments.len() as i64;
    counts.rejected = rejected
        .iter()
        .map(|r| r.row_number)
        .collect::<HashSet<_>>()
        .len() as i64;
    imports::insert_rejections(conn, import, &rejected)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn while_requests_wait_a_batch_takes_what_settles_in_its_share() {
        // 2,000 lines in 800 ms: 2,500 a second, so 62 fit in 25 ms.
        let next = next_batch(2_000, 2_000, Duration::from_millis(800), true, 2_000);
        assert_eq!(next, 62);
        // A faster batch earns a larger one, never above the most.
        let next = next_batch(62, 62, Duration::from_millis(5), true, 2_000);
        assert_eq!(next, 310);
        assert_eq!(
            next_batch(500, 500, Duration::from_millis(5), true, 2_000),
            2_000
        );
    }

    #[test]
    fn a_slow_batch_under_load_still_takes_a_few_lines() {
        let next = next_batch(100, 100, Duration::from_secs(10), true, 2_000);
        assert_eq!(next, FEWEST_LINES);
        // Unless the most allowed is fewer.
        assert_eq!(next_batch(5, 5, Duration::from_secs(10), true, 5), 5);
    }

    #[test]
    fn statistics_are_refreshed_as_the_settled_lines_grow_fourfold() {
        assert!(analyze_due(0, 40));
        assert!(!analyze_due(40, 80));
        assert!(!analyze_due(7_000, 7_999));
        assert!(analyze_due(7_990, 8_030));
        assert!(!analyze_due(8_030, 31_999));
        assert!(analyze_due(31_990, 32_000));
        assert!(analyze_due(100_000, 130_000));
        assert!(!analyze_due(130_000, 500_000));
        assert!(analyze_due(500_000, 600_000));
    }

    #[test]
    fn when_no_one_waited_batches_grow_back_to_the_most() {
        assert_eq!(
            next_batch(62, 62, Duration::from_millis(25), false, 2_000),
            124
        );
        assert_eq!(
            next_batch(1_500, 1_500, Duration::from_millis(600), false, 2_000),
            2_000
        );
        assert_eq!(next_batch(1, 1, Duration::from_millis(1), false, 2_000), 10);
    }
}
