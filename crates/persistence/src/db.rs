//! Connections and pooling for both backends.
//!
//! The backend is chosen from the URL scheme by our own r2d2 manager rather
//! than `MultiConnection::establish`, which tries every backend in turn and
//! hides the real connection error.

use crate::{Error, Result};
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::result::DatabaseErrorKind;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Why a database URL was refused, in words for the person configuring it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidUrl(&'static str);

/// A database location parsed from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// Accepts `postgres://…`, `postgresql://…` and `sqlite://PATH`
    /// (relative, or absolute as `sqlite:///abs/path`).
    pub fn parse(url: &str) -> Result<Self, InvalidUrl> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() || path.contains(":memory:") {
                return Err(InvalidUrl(
                    "needs a file path (sqlite://data/interdict.db); an in-memory database would be lost on restart",
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        Err(InvalidUrl(
            "must start with sqlite://, postgres:// or postgresql://",
        ))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password replaced, safe to log.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "postgres://…".into();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

pub struct ConnectionManager {
    url: DatabaseUrl,
    slow_query: Option<Duration>,
    /// How many connections of this pool found the server gone.
    losses: Arc<AtomicU64>,
}

/// How the pool is built.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub size: u32,
    /// Statements slower than this are logged (SQL text only).
    pub slow_query: Option<Duration>,
}

impl PoolOptions {
    /// A pool of `size` connections that logs nothing.
    pub fn sized(size: u32) -> Self {
        Self {
            size,
            slow_query: None,
        }
    }
}

/// Watches every statement on a connection: logs those slower than a
/// threshold with their SQL text, never their bound values (which are
/// record content), and notes when one found the server gone.
struct Watch {
    slow_query: Option<Duration>,
    started: Option<Instant>,
    lost: Arc<AtomicBool>,
    losses: Arc<AtomicU64>,
}

impl Instrumentation for Watch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } if self.slow_query.is_some() => {
                self.started = Some(Instant::now());
            }
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                if let Some(diesel::result::Error::DatabaseError(
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                    _,
                )) = error
                {
                    if !self.lost.swap(true, Ordering::Relaxed) {
                        self.losses.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let (Some(threshold), Some(started)) = (self.slow_query, self.started.take())
                else {
                    return;
                };
                let elapsed = started.elapsed();
                if elapsed >= threshold {
                    let text = query.to_string();
                    let sql = text.split(" -- binds").next().unwrap_or_default();
                    tracing::warn!(
                        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                        sql,
                        "slow query"
                    );
                }
            }
            _ => {}
        }
    }
}

/// A connection as the pool holds it: when it was last handed back, and
/// whether a statement on it found the server gone.
pub struct PoolConnection {
    conn: DbConnection,
    lost: Arc<AtomicBool>,
    returned: Instant,
    /// The pool's losses when this connection was last known good.
    losses_seen: u64,
}

impl Deref for PoolConnection {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// A PostgreSQL connection idle for longer than this is pinged before use:
/// the server may have restarted meanwhile. One in steady use is not — a
/// ping per checkout was a sixth of a read's round trips. If the server
/// goes away under it, the failed statement marks it lost, so it fails that
/// one request and is replaced, and every other connection of the pool is
/// pinged before its next use, as they are likely gone too.
const PING_AFTER_IDLE: Duration = Duration::from_secs(5);

impl ConnectionManager {
    /// A connection, and the flag its statements raise when the server is
    /// gone.
    fn establish(&self) -> Result<(DbConnection, Arc<AtomicBool>), ConnectionError> {
        let lost = Arc::new(AtomicBool::new(false));
        let watch = Watch {
            slow_query: self.slow_query,
            started: None,
            lost: lost.clone(),
            losses: self.losses.clone(),
        };
        let conn = match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.set_instrumentation(watch);
                // The statements diesel keeps prepared look rows up by key
                // through an index, so one plan serves every value. Left to
                // choose, the server plans most of them afresh on each
                // execution, and on the audit writer's one connection that
                // planning was a quarter of a shipment's create time.
                conn.batch_execute("SET plan_cache_mode = force_generic_plan")
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                DbConnection::Postgres(conn)
            }
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    ConnectionError::InvalidConnectionUrl("the SQLite path is not UTF-8".into())
                })?;
                let mut conn = SqliteConnection::establish(path)?;
                conn.set_instrumentation(watch);
                // WAL lets readers proceed while the audit writer commits;
                // NORMAL is durable in WAL mode except on power loss mid-checkpoint.
                // The busy timeout first: switching to WAL needs a lock
                // another process starting at the same moment may hold.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES};
                     {}",
                    sqlite_tuning()
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                DbConnection::Sqlite(conn)
            }
        };
        Ok((conn, lost))
    }
}

/// The settings of a SQLite connection that a bulk load may change for
/// its own run and must set back: durability, page cache and where
/// temporary data goes.
pub(crate) fn sqlite_tuning() -> String {
    format!(
        "PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -16384;
         PRAGMA temp_store = MEMORY;
         PRAGMA soft_heap_limit = {SQLITE_HEAP_LIMIT};"
    )
}

/// Pages (4 KiB) of write-ahead log after which the committing connection
/// copies the log into the database file. That connection is the audit
/// writer's, so every request waiting on its batch waits for the copy too:
/// at 8,192 pages, audited reads under load had a 99th percentile of about
/// 32 ms and creates 40 ms; at 1,000 (SQLite's default), 9–13 ms and
/// 16 ms, for about 5% fewer creates per second and a bulk load 4% slower.
/// A checkpoint on a thread of its own cannot restart the log while
/// commits keep coming, so it only moved the copy, not the wait.
pub const SQLITE_CHECKPOINT_PAGES: u32 = 1000;

/// Bytes of memory all SQLite connections of the process hold between
/// them, page caches included, before their caches reuse pages rather than
/// grow. Each connection's cache is otherwise bounded only by its
/// `cache_size`: an export's page queries and name lookups grew the server
/// by tens of megabytes per export until every pooled connection's share
/// was used (320 MiB at 16). SQLite is built with a cache per connection
/// (`.cargo/config.toml`): one shared cache serialised them on its lock.
pub const SQLITE_HEAP_LIMIT: i64 = 32 << 20;

impl diesel::r2d2::ManageConnection for ConnectionManager {
    type Connection = PoolConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        let (conn, lost) = self
            .establish()
            .map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(PoolConnection {
            conn,
            lost,
            returned: Instant::now(),
            losses_seen: self.losses.load(Ordering::Relaxed),
        })
    }

    /// An embedded SQLite connection cannot die the way a network one can,
    /// so only an idle PostgreSQL connection is pinged.
    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        let DbConnection::Postgres(_) = conn.conn else {
            return Ok(());
        };
        let losses = self.losses.load(Ordering::Relaxed);
        if conn.returned.elapsed() < PING_AFTER_IDLE && conn.losses_seen == losses {
            return Ok(());
        }
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)?;
        conn.losses_seen = losses;
        Ok(())
    }

    /// Called as the connection is handed back.
    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.returned = Instant::now();
        conn.lost.load(Ordering::Relaxed) || conn.conn.is_broken()
    }
}

pub type Pool = diesel::r2d2::Pool<ConnectionManager>;
pub type PooledConnection = diesel::r2d2::PooledConnection<ConnectionManager>;

/// A connection pool plus a way to run blocking database work off the
/// async workers.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
}

impl Db {
    /// Connects, runs pending migrations, and builds the pool.
    pub fn connect(url: &DatabaseUrl, options: PoolOptions) -> Result<Self> {
        if let DatabaseUrl::Sqlite(path) = url {
            ensure_parent_dir(path)?;
        }
        let manager = ConnectionManager {
            url: url.clone(),
            slow_query: options.slow_query,
            losses: Arc::default(),
        };
        let (mut conn, _) = manager.establish().map_err(|e| {
            Error::Unavailable(format!("cannot connect to {}: {e}", url.redacted()))
        })?;
        run_migrations(&mut conn)?;
        drop(conn);
        let pool = diesel::r2d2::Pool::builder()
            .max_size(options.size)
            .connection_timeout(Duration::from_secs(5))
            // diesel cannot tell that a PostgreSQL connection died (server
            // restart, failover): see `is_valid` and `has_broken`.
            .test_on_check_out(true)
            .build(manager)
            .map_err(|e| Error::Unavailable(format!("cannot build the connection pool: {e}")))?;
        metrics::gauge!("interdict_db_pool_max_connections").set(options.size);
        Ok(Self {
            pool,
            backend: url.backend(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection, waiting up to the pool's timeout. The wait and
    /// the pool's state after it are recorded for `/metrics`.
    pub fn get(&self) -> Result<PooledConnection> {
        let started = Instant::now();
        let conn = self.pool.get();
        metrics::histogram!("interdict_db_pool_wait_seconds")
            .record(started.elapsed().as_secs_f64());
        let state = self.pool.state();
        metrics::gauge!("interdict_db_pool_connections").set(state.connections);
        metrics::gauge!("interdict_db_pool_idle_connections").set(state.idle_connections);
        if conn.is_err() {
            metrics::counter!("interdict_db_pool_timeouts_total").increment(1);
        }
        Ok(conn?)
    }

    /// A connection if one is idle now, without waiting: for work that can
    /// do without it.
    pub fn try_get(&self) -> Option<PooledConnection> {
        self.pool.try_get()
    }

    /// Runs `work` on a pooled connection in the blocking thread pool.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| E::from(Error::Other(format!("database task failed: {e}"))))?
    }
}

fn ensure_parent_dir(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            Error::Unavailable(format!(
                "cannot create the database directory {}: {e}",
                dir.display()
            ))
        }),
        _ => Ok(()),
    }
}

/// Applies pending migrations. On PostgreSQL an advisory lock keeps several
/// instances starting at once from racing each other.
pub fn run_migrations(conn: &mut DbConnection) -> Result<()> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        Error::Other(format!("migrations failed: {e}"))
    };
    match conn {
        DbConnection::Postgres(pg) => {
            pg.batch_execute("SELECT pg_advisory_lock(7355608)")?;
            let result = pg
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|_| ())
                .map_err(failed);
            pg.batch_execute("SELECT pg_advisory_unlock(7355608)")?;
            result
        }
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(failed),
    }
}

/// Whether the database answers a trivial statement.
pub fn ping(conn: &mut DbConnection) -> Result<()> {
    conn.batch_execute("SELECT 1")
        .map_err(|e| Error::Unavailable(e.to_string()))
}

/// During a bulk load, after batch number `batch` (from 1): refreshes the
/// planner's statistics each time the tables have grown by an order of
/// magnitude (batches 1, 4, 16, 64, …), so a load into a fresh database
/// keeps using its indexes instead of plans made for empty tables
/// (PostgreSQL's autovacuum catches up only a minute later). SQLite plans
/// without statistics; nothing to do there.
pub fn refresh_statistics(conn: &mut DbConnection, batch: u64) -> Result<()> {
    if !(batch.is_power_of_two() && batch.trailing_zeros().is_multiple_of(2)) {
        return Ok(());
    }
    analyze(conn)
}

/// Refreshes the planner's statistics of the tables a bulk load grows
/// (PostgreSQL; SQLite plans without statistics).
pub fn analyze(conn: &mut DbConnection) -> Result<()> {
    match conn {
        DbConnection::Postgres(_) => Ok(conn.batch_execute(
            "ANALYZE records; ANALYZE record_identifiers; ANALYZE record_refs; \
             ANALYZE party_facts; ANALYZE shipment_facts; ANALYZE import_keys; \
             ANALYZE links; ANALYZE deconfliction_notices;",
        )?),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    use std::sync::{Arc, Mutex};

    /// Collects what a tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn slow_statements_are_logged_without_their_values() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let path = std::env::temp_dir().join(format!("slow-{}.db", uuid::Uuid::now_v7()));
        tracing::subscriber::with_default(subscriber, || {
            let manager = ConnectionManager {
                url: DatabaseUrl::Sqlite(path.clone()),
                slow_query: Some(Duration::ZERO),
                losses: Arc::default(),
            };
            let (mut conn, _) = manager.establish().unwrap();
            let echoed: String =
                diesel::select(diesel::dsl::sql::<Text>("").bind::<Text, _>("passport X1234567"))
                    .get_result(&mut conn)
                    .unwrap();
            assert_eq!(echoed, "passport X1234567");
        });
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("slow query"), "{log}");
        assert!(log.contains("SELECT"), "{log}");
        assert!(!log.contains("X1234567"), "a bound value was logged: {log}");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn parses_supported_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/interdict.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("data/interdict.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/interdict.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("/var/lib/interdict.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        for bad in ["mysql://x", "sqlite://", "sqlite://:memory:", "data.db"] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redacts_passwords() {
        let url = DatabaseUrl::parse("postgres://svc:hunter2@db.internal/interdict").unwrap();
        assert_eq!(url.redacted(), "postgres://svc:***@db.internal/interdict");
        assert!(!url.redacted().contains("hunter2"));
        let plain = DatabaseUrl::parse("postgres://postgres@127.0.0.1/db").unwrap();
        assert_eq!(plain.redacted(), "postgres://postgres@127.0.0.1/db");
    }
}
