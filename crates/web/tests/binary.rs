//! The real `interdict` binary: configuration errors, first start, graceful
//! shutdown and the maintenance commands, on the embedded SQLite default.
//! An import killed in either phase is `tests/tests/suite/kill.rs`.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

mod common;

use common::{interdict, serve, Server, Workdir};
use interdict_tests::stored::Stored;

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
fn database(dir: &Path) -> Stored {
    Stored::open(&sqlite_url(dir))
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("data/interdict.db").display())
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
    let first = database(&a.0).fingerprint();
    assert_eq!(first, database(&b.0).fingerprint());
    assert_eq!(first.1, 250);
    assert!(first.2 > 0, "chains are linked");
    let (flags, kept) = database(&a.0).flags_and_kept_findings();
    assert!(flags > 0, "the cases built to trip the rules are flagged");
    assert_eq!(kept, 250, "every shipment's findings are kept");

    // A second load is refused, or skipped on request, and changes nothing.
    assert!(!load(&a.0, &[]).status.success());
    let skipped = load(&a.0, &["--if-absent"]);
    assert!(skipped.status.success());
    assert_eq!(database(&a.0).fingerprint(), first);

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
