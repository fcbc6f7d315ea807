//! Work that outlives the request that started it: today the import of an
//! uploaded manifest; the settlement of staged imports and re-screening
//! against a new sanctions list are meant to run here too. A job runs on
//! the async runtime with the context of whom it acts for (the uploader,
//! or `Ctx::system`), so its audit entries say who; it records its own
//! progress where callers can read it (an import's row), and how it ended
//! in the log.

use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

use crate::error::AppError;

/// The background jobs of one installation. Cheap to clone: clones share
/// the count.
#[derive(Clone, Default)]
pub struct Jobs {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    running: AtomicUsize,
    idle: Notify,
}

/// Counts a job as running until dropped.
struct Running(Arc<Inner>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Jobs {
    /// Starts `work` in the background; `name` says what it is in the log.
    /// Must be called on the async runtime.
    pub fn spawn<F>(&self, name: String, work: F)
    where
        F: Future<Output = Result<(), AppError>> + Send + 'static,
    {
        self.inner.running.fetch_add(1, Ordering::AcqRel);
        let running = Running(self.inner.clone());
        tokio::spawn(async move {
            // Caught here rather than by the runtime, so the count is
            // settled: a future that panics never drops what it holds.
            match AssertUnwindSafe(work).catch_unwind().await {
                Ok(Ok(())) => tracing::info!(job = %name, "job finished"),
                Ok(Err(e)) => tracing::warn!(job = %name, error = %e, "job stopped"),
                Err(_) => tracing::error!(job = %name, "job panicked"),
            }
            drop(running);
        });
    }

    /// How many jobs are under way.
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::Acquire)
    }

    /// Waits until no job is under way.
    pub async fn idle(&self) {
        loop {
            let mut notified = pin!(self.inner.idle.notified());
            // Registered before the count is read, so a job ending in
            // between still wakes this waiter.
            notified.as_mut().enable();
            if self.running() == 0 {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn jobs_are_counted_until_they_end_however_they_end() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let jobs = Jobs::default();
            let (release, wait) = tokio::sync::oneshot::channel::<()>();
            jobs.spawn("held".into(), async move {
                let _ = wait.await;
                Ok(())
            });
            jobs.spawn("failing".into(), async {
                Err(AppError::Internal("disk full".into()))
            });
            jobs.spawn("panicking".into(), async { panic!("a bug") });
            // The other two end on their own (a panic's backtrace can
            // take a while to print).
            let others_ended = async {
                while jobs.running() > 1 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            };
            tokio::time::timeout(Duration::from_secs(10), others_ended)
                .await
                .expect("the failing and the panicking job end");
            assert_eq!(jobs.running(), 1, "only the held job is left");
            release.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(5), jobs.idle())
                .await
                .expect("idle once the held job ends");
            assert_eq!(jobs.running(), 0);
        });
    }
}
