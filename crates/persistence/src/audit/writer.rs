//! The audit writer: group commit for actions and their audit entries.
//!
//! Every audited action is sent to one writer thread. The writer takes
//! whatever has queued up, opens one transaction, locks the chain head,
//! runs each action in its own savepoint, appends each entry chained to the
//! one before, and commits once. So:
//!
//! * an action and its entry commit together — a failed action is rolled
//!   back to its savepoint and its entry records the failure;
//! * the chain is extended in one order without contention between
//!   requests, and many requests share one commit (one fsync), so the
//!   writer does not become a serial bottleneck under load;
//! * several instances on one PostgreSQL stay consistent, because each
//!   batch locks the head row before reading it;
//! * an entry the database will not store costs only its own request:
//!   an action's entries are written in the action's savepoint, so such an
//!   entry undoes that action alone; the entries of reads go in one
//!   statement, written again one job at a time if it fails. The refused
//!   request fails, and an `audit.entry_refused` entry records it with its
//!   text escaped.
//!
//! Reads do their work on a pooled connection first and only send their
//! entry here; the caller does not answer until the entry is committed.

use diesel::connection::{Connection, SimpleConnection};
use diesel::prelude::*;
use interdict_domain::audit::{AuditAction, AuditEvent, ChainedEntry, Checkpoint, Hash, Outcome};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};

use super::entries::AuditRow;
use crate::risk::Refresh;
use crate::schema::audit_entries;
use crate::{Db, DbConnection, Result};

/// Why an action could not be recorded. Nothing about it was committed.
#[derive(Debug, thiserror::Error)]
pub enum AuditFailure {
    #[error("audit writer unavailable: {0}")]
    Unavailable(String),
    #[error("audit commit failed: {0}")]
    Commit(String),
}

impl From<crate::Error> for AuditFailure {
    fn from(e: crate::Error) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Errors of audited work say which outcome their entry records.
pub trait Audited {
    fn outcome(&self) -> Outcome;
}

/// What an action being performed writes besides its own changes: its
/// audit entry, entries for things it set off (a flag the system raised
/// because of it), and the risk-finding refreshes its writes ask for.
/// Dereferences to the action's own event.
pub struct AuditContext<'a> {
    event: AuditEvent,
    also: Vec<AuditEvent>,
    /// The refreshes the writer's whole batch has asked for, settled once
    /// when the batch's actions have run: hand it to every write.
    pub refresh: &'a mut Refresh,
}

impl AuditContext<'_> {
    /// Records a further entry in the same transaction, after the action's.
    pub fn also(&mut self, event: AuditEvent) {
        self.also.push(event);
    }
}

impl std::ops::Deref for AuditContext<'_> {
    type Target = AuditEvent;
    fn deref(&self) -> &AuditEvent {
        &self.event
    }
}

impl std::ops::DerefMut for AuditContext<'_> {
    fn deref_mut(&mut self) -> &mut AuditEvent {
        &mut self.event
    }
}

trait Job: Send {
    /// The entries to write, the action's own first.
    fn events(&mut self) -> Vec<AuditEvent>;
    /// Whether there is an action to run, each in its own savepoint; an
    /// entry alone needs none (on PostgreSQL, two round trips saved per
    /// audited read on the writer's one connection).
    fn acts(&self) -> bool;
    /// Runs the action, its writes asking `refresh` for what they make
    /// stale; returns whether its effects are kept.
    fn run(&mut self, conn: &mut DbConnection, refresh: &mut Refresh) -> bool;
    /// Its entries could not be stored: whatever it did was rolled back
    /// and it fails, with `reason`, even though the batch commits.
    fn refuse(&mut self, reason: String);
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct ActionJob<T, E, F> {
    event: Option<AuditEvent>,
    also: Vec<AuditEvent>,
    work: Option<F>,
    result: Option<Result<T, E>>,
    refused: Option<String>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for ActionJob<T, E, F>
where
    F: FnOnce(&mut DbConnection, &mut AuditContext<'_>) -> Result<T, E> + Send,
    T: Send,
    E: Audited + From<AuditFailure> + Send,
{
    fn events(&mut self) -> Vec<AuditEvent> {
        self.event
            .take()
            .into_iter()
            .chain(std::mem::take(&mut self.also))
            .collect()
    }

    fn acts(&self) -> bool {
        true
    }

    fn run(&mut self, conn: &mut DbConnection, refresh: &mut Refresh) -> bool {
        let (Some(work), Some(event)) = (self.work.take(), self.event.take()) else {
            return true;
        };
        let mut context = AuditContext {
            event,
            also: Vec::new(),
            refresh,
        };
        let result = work(conn, &mut context);
        let AuditContext {
            mut event,
            mut also,
            ..
        } = context;
        if let Err(error) = &result {
            event.outcome = error.outcome();
            // What the action set off was rolled back with it.
            also.clear();
        }
        self.event = Some(event);
        self.also = also;
        let keep = result.is_ok();
        self.result = Some(result);
        keep
    }

    fn refuse(&mut self, reason: String) {
        self.refused = Some(reason);
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let result = match committed.and(self.refused.map_or(Ok(()), Err)) {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(E::from(AuditFailure::Commit("action did not run".into())))),
            Err(reason) => Err(E::from(AuditFailure::Commit(reason))),
        };
        // The requester may have gone away; the action is committed anyway.
        let _ = self.reply.send(result);
    }
}

/// Entries with no action: one for a read or a refusal, none for a wait
/// on what was queued before.
struct RecordJob {
    events: Vec<AuditEvent>,
    refused: Option<String>,
    reply: oneshot::Sender<Result<(), AuditFailure>>,
}

impl Job for RecordJob {
    /// A copy: with no action to run again, a failed batch of these is
    /// written again entry by entry.
    fn events(&mut self) -> Vec<AuditEvent> {
        self.events.clone()
    }

    fn acts(&self) -> bool {
        false
    }

    fn run(&mut self, _conn: &mut DbConnection, _refresh: &mut Refresh) -> bool {
        true
    }

    fn refuse(&mut self, reason: String) {
        self.refused = Some(reason);
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let committed = committed.and(self.refused.map_or(Ok(()), Err));
        let _ = self.reply.send(committed.map_err(AuditFailure::Commit));
    }
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Box<dyn Job>>,
    /// Jobs ever queued, by every handle: background work compares it
    /// before and after its own job to tell whether requests were waiting.
    queued: Arc<AtomicU64>,
}

/// The writer thread; join it after dropping every `AuditWriter` to flush.
pub struct AuditWriterThread(JoinHandle<()>);

impl AuditWriterThread {
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("audit writer thread panicked");
        }
    }
}

const QUEUE_CAPACITY: usize = 16_384;

/// How the writer signs checkpoints: with `key`, each time the chain
/// passes another multiple of `every` entries.
#[derive(Clone)]
pub struct Checkpointing {
    pub key: Vec<u8>,
    pub every: i64,
}

impl AuditWriter {
    pub fn start(
        db: Db,
        max_batch: usize,
        checkpointing: Checkpointing,
    ) -> (Self, AuditWriterThread) {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let handle = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_loop(db, receiver, max_batch.max(1), checkpointing))
            .map(AuditWriterThread);
        match handle {
            Ok(handle) => (
                Self {
                    queue,
                    queued: Arc::new(AtomicU64::new(0)),
                },
                handle,
            ),
            // Without a thread nothing can be audited; fail loudly at start.
            Err(e) => panic!("cannot start the audit writer thread: {e}"),
        }
    }

    /// Runs `work` and commits it together with `event`. If `work` fails,
    /// its changes are rolled back and the entry records the failure with
    /// the outcome the error names. `work` may also adjust the event (the
    /// user found, a denied outcome for changes that must still be kept).
    pub async fn perform<T, E, F>(&self, event: AuditEvent, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection, &mut AuditContext<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Audited + From<AuditFailure> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(ActionJob {
            event: Some(event),
            also: Vec::new(),
            work: Some(work),
            result: None,
            refused: None,
            reply,
        });
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(job)
            .await
            .map_err(|_| E::from(AuditFailure::Unavailable("the writer has stopped".into())))?;
        answer.await.unwrap_or_else(|_| {
            Err(E::from(AuditFailure::Unavailable(
                "the writer has stopped".into(),
            )))
        })
    }

    /// Records an entry for something that changed nothing (a read, a
    /// denied attempt) and waits until it is committed.
    pub async fn record(&self, event: AuditEvent) -> Result<(), AuditFailure> {
        self.submit(event).await?.await
    }

    /// Queues an entry for something that changed nothing; once this
    /// returns the entry will be committed in order even if the caller goes
    /// away, and the future it returns says when it is.
    pub async fn submit(
        &self,
        event: AuditEvent,
    ) -> Result<impl std::future::Future<Output = Result<(), AuditFailure>>, AuditFailure> {
        self.enqueue(vec![event]).await
    }

    /// How many jobs (actions, reads' entries, refusals) have been queued
    /// so far through any handle.
    pub fn queued(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Waits until every entry queued before this call is committed.
    pub async fn settled(&self) -> Result<(), AuditFailure> {
        self.enqueue(Vec::new()).await?.await
    }

    async fn enqueue(
        &self,
        events: Vec<AuditEvent>,
    ) -> Result<impl std::future::Future<Output = Result<(), AuditFailure>>, AuditFailure> {
        let stopped = || AuditFailure::Unavailable("the writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(Box::new(RecordJob {
                events,
                refused: None,
                reply,
            }))
            .await
            .map_err(|_| stopped())?;
        Ok(async move { answer.await.unwrap_or_else(|_| Err(stopped())) })
    }
}

fn write_loop(
    db: Db,
    mut receiver: mpsc::Receiver<Box<dyn Job>>,
    max_batch: usize,
    checkpointing: Checkpointing,
) {
    while let Some(first) = receiver.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let committed = match db.get() {
            Ok(mut conn) => {
                let committed = commit_batch(&mut conn, &mut batch, &checkpointing, false);
                // Entries alone (reads, refusals) have no action to run
                // again, so a batch of them that failed is written again,
                // on the same connection (a broken one fails at once), each
                // job's entries guarded: one the database refuses then
                // fails alone, and its refusal is recorded. (A batch with
                // actions guards its entries the first time; see
                // `commit_batch`.)
                if committed.is_err() && batch.iter().all(|job| !job.acts()) {
                    tracing::warn!(
                        jobs = batch.len(),
                        "audit batch failed; writing its entries one by one"
                    );
                    commit_batch(&mut conn, &mut batch, &checkpointing, true)
                } else {
                    committed
                }
            }
            Err(e) => Err(e.to_string()),
        };
        record_batch_metrics(batch.len(), started, committed.is_ok());
        if let Err(reason) = &committed {
            tracing::error!(jobs = batch.len(), %reason, "audit batch failed; nothing in it was committed");
        }
        for job in batch {
            job.finish(committed.clone());
        }
    }
}

/// Jobs per batch (actions and reads, not entries) and the time from
/// taking a connection to the commit, for `/metrics`.
fn record_batch_metrics(jobs: usize, started: std::time::Instant, committed: bool) {
    metrics::histogram!("interdict_audit_batch_size").record(jobs as f64);
    metrics::histogram!("interdict_audit_commit_duration_seconds")
        .record(started.elapsed().as_secs_f64());
    if !committed {
        metrics::counter!("interdict_audit_batches_failed_total").increment(1);
    }
}

/// The end of the chain while a batch is written: entries are chained
/// after it, and it moves only once they are stored.
struct ChainEnd {
    seq: i64,
    hash: Hash,
}

impl ChainEnd {
    fn append(&mut self, conn: &mut DbConnection, events: &[AuditEvent]) -> Result<()> {
        let (mut seq, mut hash) = (self.seq, self.hash);
        let rows: Vec<AuditRow> = events
            .iter()
            .map(|event| {
                seq += 1;
                let entry = ChainedEntry::chain(seq, event.clone().storable(), hash);
                hash = entry.hash;
                AuditRow::from(&entry)
            })
            .collect();
        crate::bulk_insert::insert_rows!(conn, audit_entries::table, rows.iter().collect());
        (self.seq, self.hash) = (seq, hash);
        Ok(())
    }

    /// Records, in place of `events` the database refused with `error`,
    /// that they were refused: who and what, every text escaped, so the
    /// refusal itself can be stored. `jobs` is the size of the batch the
    /// others of which commit.
    fn refused(
        &mut self,
        conn: &mut DbConnection,
        events: &[AuditEvent],
        error: &crate::Error,
        jobs: usize,
    ) -> Result<()> {
        let escape =
            |text: &Option<String>| text.as_deref().map(|t| t.escape_default().to_string());
        for event in events {
            tracing::error!(
                action = event.action.as_str(),
                error = %error.to_string().escape_default(),
                "audit entry refused by the database; recorded escaped, its request fails alone"
            );
            let mut refusal = AuditEvent::now(AuditAction::AuditEntryRefused);
            refusal.user_id = event.user_id;
            refusal.agency_id = event.agency_id;
            refusal.outcome = Outcome::Error;
            refusal.object_type = Some("audit_entry".into());
            refusal.detail = Some(
                serde_json::json!({
                    "action": event.action.as_str(),
                    "outcome": event.outcome.as_str(),
                    "occurred_at": event.occurred_at.to_rfc3339(),
                    "role": escape(&event.role),
                    "object_type": escape(&event.object_type),
                    "object_id": escape(&event.object_id),
                    "request_id": escape(&event.request_id),
                    "source": escape(&event.source),
                    "detail": escape(&event.detail),
                    "error": error.to_string().escape_default().to_string(),
                    "batch_jobs": jobs,
                })
                .to_string(),
            );
            self.append(conn, &[refusal])?;
        }
        Ok(())
    }
}

/// Takes a savepoint, releasing the one before (if `taken`) in the same
/// round trip; COMMIT releases the last. On PostgreSQL a RELEASE of its
/// own was one more round trip per action on the writer's one connection.
fn step(conn: &mut DbConnection, taken: &mut bool) -> Result<()> {
    let sql = if *taken {
        "RELEASE SAVEPOINT step; SAVEPOINT step"
    } else {
        "SAVEPOINT step"
    };
    *taken = true;
    Ok(conn.batch_execute(sql)?)
}

const UNDO_STEP: &str = "ROLLBACK TO SAVEPOINT step";

/// Writes a batch: every action, each in a savepoint with its entries, so
/// that an entry the database refuses undoes its own action and no other;
/// then the entries alone in one statement. Those are guarded by a
/// savepoint when one is open anyway (there were actions) or when
/// `careful`; a guarded statement that fails is written again job by job,
/// and a job whose entries are refused fails alone, its refusal recorded.
/// Unguarded, a refused entry fails the batch, which the caller writes
/// again, carefully.
fn commit_batch(
    conn: &mut DbConnection,
    batch: &mut [Box<dyn Job>],
    checkpointing: &Checkpointing,
    careful: bool,
) -> Result<(), String> {
    let jobs = batch.len();
    conn.transaction::<_, crate::Error, _>(|conn| {
        let (seq, hash) = super::entries::lock_head(conn)?;
        let start_seq = seq;
        let mut end = ChainEnd { seq, hash };
        // The actions' risk findings are refreshed once for the batch.
        let mut refresh = Refresh::new();
        let mut taken = false;
        for job in batch.iter_mut().filter(|job| job.acts()) {
            let waiting = refresh.clone();
            step(conn, &mut taken)?;
            if !job.run(conn, &mut refresh) {
                conn.batch_execute(UNDO_STEP)?;
                refresh.rolled_back(waiting.clone());
            }
            let events = job.events();
            if let Err(error) = end.append(conn, &events) {
                conn.batch_execute(UNDO_STEP)?;
                refresh.rolled_back(waiting);
                job.refuse(format!("its audit entry could not be stored: {error}"));
                end.refused(conn, &events, &error, jobs)?;
            }
        }
        refresh.settle(conn)?;
        let alone: Vec<(usize, Vec<AuditEvent>)> = batch
            .iter_mut()
            .enumerate()
            .filter(|(_, job)| !job.acts())
            .map(|(i, job)| (i, job.events()))
            .filter(|(_, events)| !events.is_empty())
            .collect();
        let all: Vec<AuditEvent> = alone.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
        let guarded = taken || careful;
        if guarded && !all.is_empty() {
            step(conn, &mut taken)?;
        }
        match end.append(conn, &all) {
            Ok(()) => {}
            Err(_) if guarded => {
                conn.batch_execute(UNDO_STEP)?;
                for (i, events) in alone {
                    step(conn, &mut taken)?;
                    if let Err(error) = end.append(conn, &events) {
                        conn.batch_execute(UNDO_STEP)?;
                        batch[i].refuse(format!("its audit entry could not be stored: {error}"));
                        end.refused(conn, &events, &error, jobs)?;
                    }
                }
            }
            Err(error) => return Err(error),
        }
        let every = checkpointing.every.max(1);
        if end.seq / every > start_seq / every {
            let checkpoint =
                Checkpoint::sign(&checkpointing.key, end.seq, end.hash, chrono::Utc::now());
            super::entries::insert_checkpoint(conn, &checkpoint)?;
        }
        super::entries::move_head(conn, end.seq, &end.hash)?;
        Ok(())
    })
    .map_err(|e| e.to_string())
}
