//! Test harness: starts the real application on a fresh database, per test,
//! on either backend, and talks to it over HTTP.
//!
//! PostgreSQL tests run when `INTERDICT_TEST_POSTGRES_URL` points at a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its
//! own database, dropped afterwards. Without it they are built as ignored
//! tests (see `build.rs`), which the harness reports as such.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use interdict_persistence::{DatabaseUrl, Db, DbConnection, PoolOptions};
use interdict_web::{Application, Config};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use uuid::Uuid;

pub use interdict_persistence::Backend;

pub mod stored;

pub const POSTGRES_ENV: &str = "INTERDICT_TEST_POSTGRES_URL";
pub const ADMIN_PASSWORD: &str = "obsidian lantern meadow harpsichord";
/// Tests sign tokens of their own (expired, tampered, …) with this key.
pub const JWT_SECRET: &str = "test-signing-key-0123456789abcdef-not-for-production";
pub const PASSWORD: &str = "glacier marmalade trombone voyage";

/// The PostgreSQL server tests may create databases on, if configured.
pub fn postgres_base_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())
}

/// Declares a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name($crate::Backend::Sqlite);
            })+
        }
        mod postgres {
            $(#[test]
            #[cfg_attr(
                not(interdict_postgres_tests),
                ignore = "needs PostgreSQL: set INTERDICT_TEST_POSTGRES_URL when building and running the tests"
            )]
            fn $name() {
                super::$name($crate::Backend::Postgres);
            })+
        }
    };
}

/// A fresh, empty database for one test, removed when dropped.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
    sqlite_dir: Option<PathBuf>,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("interdict-test-{}", Uuid::now_v7().simple()));
                std::fs::create_dir_all(&dir).expect("create temp dir");
                Self {
                    url: format!("sqlite://{}", dir.join("interdict.db").display()),
                    backend,
                    pg_admin_url: None,
                    pg_name: None,
                    sqlite_dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url =
                    postgres_base_url().expect("INTERDICT_TEST_POSTGRES_URL is not set");
                let name = format!("interdict_test_{}", Uuid::now_v7().simple());
                let mut conn = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {POSTGRES_ENV}: {e}"));
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                Self {
                    url: with_database(&admin_url, &name),
                    backend,
                    pg_admin_url: Some(admin_url),
                    pg_name: Some(name),
                    sqlite_dir: None,
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Another handle on the same database that removes nothing when
    /// dropped, to start a second instance on it.
    pub fn shared(&self) -> Self {
        Self {
            url: self.url.clone(),
            backend: self.backend,
            pg_admin_url: None,
            pg_name: None,
            sqlite_dir: None,
        }
    }

    /// A direct connection, for looking at or tampering with stored rows.
    pub fn connect(&self) -> DbConnection {
        match self.backend {
            Backend::Postgres => {
                DbConnection::Postgres(PgConnection::establish(&self.url).expect("connect"))
            }
            Backend::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://");
                DbConnection::Sqlite(diesel::SqliteConnection::establish(path).expect("connect"))
            }
        }
    }

    /// A migrated pool on this database.
    pub fn pool(&self) -> Db {
        Db::connect(
            &DatabaseUrl::parse(&self.url).expect("url"),
            PoolOptions::sized(2),
        )
        .expect("connect pool")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let (Some(admin), Some(name)) = (&self.pg_admin_url, &self.pg_name) {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The test configuration for a database, with overrides.
pub fn test_config(db_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("INTERDICT_BIND", "127.0.0.1:0"),
        ("INTERDICT_DATABASE_URL", db_url),
        ("INTERDICT_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD),
        ("INTERDICT_JWT_SECRET", JWT_SECRET),
        ("INTERDICT_WORKERS", "2"),
        ("INTERDICT_DATABASE_POOL_SIZE", "4"),
        // Indexing the bundled OFAC snapshot on every test's start would
        // cost seconds unoptimised; screening tests load small lists.
        ("INTERDICT_SANCTIONS_BUILTIN", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (key, value) in overrides {
        if value.is_empty() {
            vars.remove(*key);
        } else {
            vars.insert((*key).to_owned(), (*value).to_owned());
        }
    }
    Config::load(|key| vars.get(key).cloned()).expect("test configuration")
}

/// A running application on its own database.
pub struct TestApp {
    pub base: String,
    pub database: TestDatabase,
    pub bootstrap_password: Option<String>,
    /// `http://127.0.0.1:PORT` of the `/metrics` listener, when started
    /// with `INTERDICT_METRICS_BIND`.
    pub metrics_base: Option<String>,
    server: Option<RunningServer>,
    agent: ureq::Agent,
}

struct RunningServer {
    handle: actix_web::dev::ServerHandle,
    thread: JoinHandle<()>,
}

impl TestApp {
    pub fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[])
    }

    pub fn spawn_with(backend: Backend, overrides: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create(backend);
        Self::start_on(database, overrides)
    }

    /// Starts the application on an existing database (e.g. to restart).
    pub fn start_on(database: TestDatabase, overrides: &[(&str, &str)]) -> Self {
        let config = test_config(&database.url, overrides);
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build(config).await {
                    Ok(mut app) => {
                        let password = app.take_bootstrap_password().map(|p| p.expose().to_owned());
                        let ports = (app.port(), app.metrics_port());
                        let _ = ready_tx.send(Ok((ports, app.handle(), password)));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
        });
        let ((port, metrics_port), handle, bootstrap_password) = ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("application did not start in time")
            .unwrap_or_else(|e| panic!("application failed to start: {e}"));
        Self {
            base: format!("http://127.0.0.1:{port}"),
            database,
            bootstrap_password,
            metrics_base: metrics_port.map(|port| format!("http://127.0.0.1:{port}")),
            server: Some(RunningServer { handle, thread }),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.database.backend()
    }

    /// Stops the server gracefully and hands back its database.
    pub fn stop(mut self) -> TestDatabase {
        self.shutdown();
        let placeholder = TestDatabase {
            url: String::new(),
            backend: self.database.backend,
            pg_admin_url: None,
            pg_name: None,
            sqlite_dir: None,
        };
        std::mem::replace(&mut self.database, placeholder)
    }

    fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            actix_web::rt::System::new().block_on(server.handle.stop(true));
            let _ = server.thread.join();
        }
    }

    pub fn request(&self, method: &str, path: &str) -> Request {
        Request {
            inner: self
                .agent
                .request(method, &format!("{}{}", self.base, path)),
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Response {
        self.request("GET", path).bearer(token).send()
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request("POST", path).bearer(token).json(body)
    }

    pub fn login(&self, username: &str, password: &str) -> Response {
        self.request("POST", "/api/v1/auth/login")
            .json(json!({ "username": username, "password": password }))
    }

    /// Logs in and returns the access token, failing the test otherwise.
    pub fn token(&self, username: &str, password: &str) -> String {
        let response = self.login(username, password);
        assert_eq!(
            response.status, 200,
            "login as {username}: {}",
            response.text
        );
        response.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub fn admin_token(&self) -> String {
        self.token("admin", ADMIN_PASSWORD)
    }

    /// Registers an agency as the system administrator.
    pub fn create_agency(&self, name: &str, ori: &str, level: &str, jurisdiction: &str) -> Uuid {
        let response = self.post(
            "/api/v1/agencies",
            &self.admin_token(),
            json!({ "name": name, "level": level, "jurisdiction": jurisdiction, "ori": ori, "contact": format!("{name} duty desk") }),
        );
        assert_eq!(
            response.status, 201,
            "create agency {name}: {}",
            response.text
        );
        response.id()
    }

    /// Creates a user with [`PASSWORD`] as the system administrator.
    pub fn create_user(&self, agency: Uuid, username: &str, role: &str) -> Uuid {
        let response = self.post(
            "/api/v1/users",
            &self.admin_token(),
            json!({ "username": username, "display_name": format!("Test {username}"), "role": role, "password": PASSWORD, "agency_id": agency }),
        );
        assert_eq!(
            response.status, 201,
            "create user {username}: {}",
            response.text
        );
        response.id()
    }

    /// Number of audit entries, read directly from the database.
    pub fn audit_count(&self) -> i64 {
        use diesel::prelude::*;
        use interdict_persistence::schema::audit_entries;
        let mut conn = self.database.connect();
        audit_entries::table
            .count()
            .get_result(&mut conn)
            .expect("count audit entries")
    }

    /// The most recent audit entries, newest first, read directly.
    pub fn last_audit(&self, n: i64) -> Vec<AuditRowView> {
        use diesel::prelude::*;
        use interdict_persistence::schema::audit_entries::dsl::*;
        let mut conn = self.database.connect();
        audit_entries
            .order(seq.desc())
            .limit(n)
            .select((
                seq,
                action,
                outcome,
                user_id,
                object_type,
                object_id,
                detail,
            ))
            .load::<(
                i64,
                String,
                String,
                Option<interdict_persistence::DbUuid>,
                Option<String>,
                Option<String>,
                Option<String>,
            )>(&mut conn)
            .expect("read audit entries")
            .into_iter()
            .map(|(s, a, o, u, ot, oi, d)| AuditRowView {
                seq: s,
                action: a,
                outcome: o,
                user_id: u.map(|u| u.0),
                object_type: ot,
                object_id: oi,
                detail: d,
            })
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug, Clone)]
pub struct AuditRowView {
    pub seq: i64,
    pub action: String,
    pub outcome: String,
    pub user_id: Option<Uuid>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
}

pub struct Request {
    inner: ureq::Request,
}

impl Request {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.set(name, value);
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        if token.is_empty() {
            self
        } else {
            self.header("Authorization", &format!("Bearer {token}"))
        }
    }

    pub fn send(self) -> Response {
        Response::from(self.inner.call())
    }

    pub fn json(self, body: Value) -> Response {
        Response::from(self.inner.send_json(body))
    }

    pub fn raw(self, content_type: &str, body: &[u8]) -> Response {
        Response::from(
            self.inner
                .set("Content-Type", content_type)
                .send_bytes(body),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Response {
    fn from(result: Result<ureq::Response, ureq::Error>) -> Self {
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| {
                response
                    .header(&name)
                    .map(|v| (name.to_ascii_lowercase(), v.to_owned()))
            })
            .collect();
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Self {
            status,
            headers,
            text,
            bytes,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn id(&self) -> Uuid {
        self.json()["id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .unwrap_or_else(|| panic!("no id in {}", self.text))
    }

    /// Asserts a problem document with this status and type suffix.
    pub fn assert_problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(
            body["type"],
            format!("urn:interdict:problem:{kind}"),
            "{}",
            self.text
        );
        assert_eq!(body["status"], status);
        body
    }
}
