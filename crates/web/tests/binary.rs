//! The real `interdict` binary: configuration errors, first start, graceful
//! shutdown and the maintenance commands, on the embedded SQLite default;
//! an interrupted import on PostgreSQL too, when `INTERDICT_TEST_POSTGRES_URL`
//! names a server.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;

use common::{interdict, serve, Server, Workdir};

fn login(server: &Server, username: &str, password: &str) -> u16 {
    let response = ureq::post(&server.url("/api/v1/auth/login"))
        .send_json(serde_json::json!({ "username": username, "password": password }));
    match response {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_bad_configuration_value_exits_naming_the_key() {
    let dir = Workdir::new();
    for (key, value) in [
        ("INTERDICT_BIND", "not-an-address"),
        ("INTERDICT_DATABASE_URL", "mysql://nope"),
        ("INTERDICT_JWT_SECRET", "short"),
        ("INTERDICT_TOKEN_TTL_MINUTES", "forever"),
    ] {
        let output = interdict(&dir.0)
            .arg("serve")
            .env(key, value)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{key}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(key), "{key}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A weak bootstrap password is refused at first start, before anything is served.
    let output = interdict(&dir.0)
        .arg("serve")
        .env("INTERDICT_BOOTSTRAP_PASSWORD", "password")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("INTERDICT_BOOTSTRAP_PASSWORD"));
}

#[test]
fn first_start_prints_the_admin_password_once_and_stops_gracefully() {
    let dir = Workdir::new();
    let server = serve(&dir.0);
    assert!(
        dir.0.join("data/interdict.db").exists(),
        "the default database is created under data/"
    );
    let password = server
        .stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("password: "))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no password in: {}", server.stdout));
    assert_eq!(
        ureq::get(&server.url("/healthz")).call().unwrap().status(),
        200
    );
    assert_eq!(login(&server, "admin", &password), 200);
    let status = server.terminate();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );

    // Second start: same database, no new password, the old one still works.
    let server = serve(&dir.0);
    assert!(!server.stdout.contains("password:"), "{}", server.stdout);
    assert_eq!(login(&server, "admin", &password), 200);
    assert!(server.terminate().success());

    // Maintenance commands on the same database.
    let migrate = interdict(&dir.0).arg("migrate").output().unwrap();
    assert!(migrate.status.success());
    let added = user_add(
        &dir.0,
        "cli.user",
        "auditor",
        "quartz pelican ember lullaby",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let weak = user_add(&dir.0, "weak.user", "auditor", "123456789012345");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));

    let verify = interdict(&dir.0)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(verify.status.success());
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert!(report["entries"].as_i64().unwrap() >= 4);

    let server = serve(&dir.0);
    assert_eq!(
        login(&server, "cli.user", "quartz pelican ember lullaby"),
        200
    );
    assert!(server.terminate().success());
}

/// The SQLite database `interdict` made in `dir`.
fn database(dir: &Path) -> interdict_persistence::Db {
    connect(&sqlite_url(dir))
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("data/interdict.db").display())
}

fn connect(url: &str) -> interdict_persistence::Db {
    let url = interdict_persistence::DatabaseUrl::parse(url).unwrap();
    interdict_persistence::Db::connect(&url, interdict_persistence::PoolOptions::sized(1)).unwrap()
}

fn count_records(conn: &mut interdict_persistence::DbConnection, kind: &str) -> i64 {
    use diesel::prelude::*;
    use interdict_persistence::schema::records;
    records::table
        .filter(records::kind.eq(kind))
        .count()
        .get_result(conn)
        .unwrap()
}

/// `interdict user add`, the password on standard input.
fn user_add(dir: &Path, username: &str, role: &str, password: &str) -> std::process::Output {
    user_add_to(&sqlite_url(dir), dir, username, role, password)
}

/// `interdict user add` on the database at `url`.
fn user_add_to(
    url: &str,
    dir: &Path,
    username: &str,
    role: &str,
    password: &str,
) -> std::process::Output {
    let mut add = interdict(dir)
        .env("INTERDICT_DATABASE_URL", url)
        .args([
            "user",
            "add",
            "--username",
            username,
            "--display-name",
            username,
            "--role",
            role,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    add.wait_with_output().unwrap()
}

#[test]
fn an_interrupted_import_keeps_whole_batches_and_resumes_without_duplicates() {
    let dir = Workdir::new();
    interrupted_import(&dir.0, &sqlite_url(&dir.0));
}

mod postgres {
    use super::*;

    /// The same on a database of its own on the PostgreSQL server the
    /// other suites use; skipped as they are without one.
    #[test]
    #[cfg_attr(
        not(interdict_postgres_tests),
        ignore = "needs PostgreSQL: set INTERDICT_TEST_POSTGRES_URL when building and running the tests"
    )]
    fn an_interrupted_import_keeps_whole_batches_and_resumes_without_duplicates() {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let server = std::env::var("INTERDICT_TEST_POSTGRES_URL")
            .expect("INTERDICT_TEST_POSTGRES_URL names the PostgreSQL server");
        let name = format!("interdict_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&server).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("INTERDICT_TEST_POSTGRES_URL names no database: {server}"),
        };
        let dir = Workdir::new();
        let outcome = std::panic::catch_unwind(|| interrupted_import(&dir.0, &url));
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Kills an import of five batches into the database at `url` once its
/// first batch has committed, checks that only whole batches were kept,
/// and runs it again to the end without writing a line twice.
fn interrupted_import(dir: &Path, url: &str) {
    use diesel::prelude::*;
    use interdict_persistence::schema::{import_keys, imports};
    let added = user_add_to(
        url,
        dir,
        "importer",
        "investigator",
        "quartz pelican ember lullaby",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let lines = 5 * interdict_web::import::BATCH;
    let mut file = String::from(
        "tracking_number,consignor_name,consignor_country,consignee_name,consignee_country,origin,destination,shipped_at\n",
    );
    for n in 0..lines {
        file.push_str(&format!(
            "1Z{n:012},Trading {} Co Ltd,CN,Supply {} LLC,US,CNSZX,US-AZ,2026-05-01\n",
            n % 97,
            n % 53
        ));
    }
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, file).unwrap();

    let watcher = connect(url);
    let mut child = interdict(dir)
        .env("INTERDICT_DATABASE_URL", url)
        .args(["import", "manifest.csv", "--as", "importer"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once the first batch has committed, mid-file.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let written: Option<i64> = imports::table
            .select(imports::imported)
            .get_result(&mut **watcher.get().unwrap())
            .optional()
            .unwrap_or(None);
        if written.unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no batch committed in time");
        if child.try_wait().unwrap().is_some() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("the import ended before it could be killed: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(watcher);

    let db = connect(url);
    let mut pooled = db.get().unwrap();
    let conn: &mut interdict_persistence::DbConnection = &mut pooled;
    let shipments = count_records(conn, "shipment");
    let recorded: i64 = imports::table
        .select(imports::imported)
        .get_result(conn)
        .unwrap();
    let keys: i64 = import_keys::table.count().get_result(conn).unwrap();
    assert!(shipments > 0 && shipments < lines as i64, "{shipments}");
    assert_eq!(
        shipments % interdict_web::import::BATCH as i64,
        0,
        "only whole batches"
    );
    assert_eq!(recorded, shipments, "the counts commit with their batch");
    assert_eq!(keys, shipments);
    drop(pooled);
    drop(db);

    let rerun = interdict(dir)
        .env("INTERDICT_DATABASE_URL", url)
        .args(["import", "manifest.csv", "--as", "importer"])
        .output()
        .unwrap();
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let report = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        report.contains(&format!(
            "{lines} rows read, {} imported, {shipments} already imported, 0 refused",
            lines as i64 - shipments
        )),
        "{report}"
    );
    let db = connect(url);
    assert_eq!(
        count_records(&mut db.get().unwrap(), "shipment"),
        lines as i64
    );
}

/// The demonstration data as stored: every record's kind and body in id
/// order, hashed, with the number of links.
fn demo_fingerprint(dir: &Path) -> (String, i64, i64) {
    use diesel::prelude::*;
    use interdict_persistence::schema::{links, records};
    use sha2::{Digest, Sha256};
    let db = database(dir);
    let mut pooled = db.get().unwrap();
    let conn: &mut interdict_persistence::DbConnection = &mut pooled;
    let rows: Vec<(String, String)> = records::table
        .order(records::id)
        .select((records::kind, records::body))
        .load(conn)
        .unwrap();
    let mut hash = Sha256::new();
    for (kind, body) in &rows {
        hash.update(kind.as_bytes());
        hash.update(body.as_bytes());
    }
    let links: i64 = links::table.count().get_result(conn).unwrap();
    (
        hex::encode(hash.finalize()),
        count_records(conn, "shipment"),
        links,
    )
}

/// How many flags were raised, and how many shipments have kept findings.
fn flags_and_kept_findings(dir: &Path) -> (i64, i64) {
    use diesel::prelude::*;
    use interdict_persistence::schema::{flags, risk_findings};
    let db = database(dir);
    let mut pooled = db.get().unwrap();
    let conn: &mut interdict_persistence::DbConnection = &mut pooled;
    (
        flags::table.count().get_result(conn).unwrap(),
        risk_findings::table.count().get_result(conn).unwrap(),
    )
}

#[test]
fn the_demo_loader_is_deterministic_and_loads_once() {
    let load = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["demo", "--shipments", "250", "--seed", "9"];
        args.extend_from_slice(extra);
        interdict(dir).args(&args).output().unwrap()
    };
    let (a, b) = (Workdir::new(), Workdir::new());
    for dir in [&a, &b] {
        let out = load(&dir.0, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("250 shipments"));
    }
    let first = demo_fingerprint(&a.0);
    assert_eq!(first, demo_fingerprint(&b.0));
    assert_eq!(first.1, 250);
    assert!(first.2 > 0, "chains are linked");
    let (flags, kept) = flags_and_kept_findings(&a.0);
    assert!(flags > 0, "the cases built to trip the rules are flagged");
    assert_eq!(kept, 250, "every shipment's findings are kept");

    // A second load is refused, or skipped on request, and changes nothing.
    assert!(!load(&a.0, &[]).status.success());
    let skipped = load(&a.0, &["--if-absent"]);
    assert!(skipped.status.success());
    assert_eq!(demo_fingerprint(&a.0), first);

    // The demo accounts sign in with the printed password.
    let server = serve(&a.0);
    assert_eq!(
        login(
            &server,
            "investigator.dcfptu000",
            "harbour lantern quartz 9"
        ),
        200
    );
    assert!(server.terminate().success());
}

#[test]
fn a_command_whose_reader_has_gone_still_succeeds() {
    // `interdict migrate | head -0`: the reader is gone before the command
    // prints; the migrations are applied and the exit status says so.
    let dir = Workdir::new();
    let mut child = interdict(&dir.0)
        .arg("migrate")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.0.join("data/interdict.db").exists());
}
