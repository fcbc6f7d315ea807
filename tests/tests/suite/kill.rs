//! Imports survive `kill -9`: the real `interdict` binary is killed during
//! acceptance and during settlement, then run again; the import completes,
//! every accepted line is settled exactly once and `interdict audit
//! verify` passes.
//!
//! The binary is `target/debug/interdict`, built (or found up to date)
//! first.

use interdict_tests::{both_backends, Backend, TestApp, JWT_SECRET};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LINES: usize = 30_000;

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/suite-… → target/debug/interdict
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory")
        .join("interdict");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "interdict-web", "--bin", "interdict"])
            .status()
            .expect("run cargo build");
        assert!(
            status.success(),
            "cargo build of the interdict binary failed"
        );
    }
    assert!(path.exists(), "{} missing", path.display());
    path
}

fn command(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INTERDICT_DATABASE_URL", url)
        .env("INTERDICT_JWT_SECRET", JWT_SECRET)
        .env("INTERDICT_BIND", "127.0.0.1:0")
        .env("INTERDICT_SETTLE_BATCH", "200")
        .env("INTERDICT_SETTLE_LEASE_SECONDS", "2")
        .env("INTERDICT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn count(url: &str, backend: Backend, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = match backend {
        Backend::Postgres => interdict_persistence::DbConnection::Postgres(
            diesel::Connection::establish(url).expect("connect"),
        ),
        Backend::Sqlite => {
            let mut conn: diesel::SqliteConnection =
                diesel::Connection::establish(url.trim_start_matches("sqlite://"))
                    .expect("connect");
            // A process killed with -9 leaves its write-ahead log to be
            // recovered by the next to open it, under an exclusive lock:
            // wait for it, as the application's connections do.
            diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                "PRAGMA busy_timeout = 5000",
            )
            .expect("busy timeout");
            interdict_persistence::DbConnection::Sqlite(conn)
        }
    };
    diesel::RunQueryDsl::get_result::<Count>(diesel::sql_query(sql), &mut conn)
        .unwrap()
        .n
}

/// Waits until `sql` counts more than `at_least`, then kills `child` with
/// SIGKILL; false if the child ended first.
fn kill_when(child: &mut Child, url: &str, backend: Backend, sql: &str, at_least: i64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if count(url, backend, sql) >= at_least {
            child.kill().expect("kill -9");
            let _ = child.wait();
            return true;
        }
        assert!(
            Instant::now() < deadline,
            "nothing happened before the deadline"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn an_import_killed_in_either_phase_settles_every_line_once(backend: Backend) {
    // Agency and user, made by an instance in this process.
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(agency, "ana", "investigator");
    let database = app.stop();
    let url = database.url.clone();

    let dir = std::env::temp_dir().join(format!("interdict-kill-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("manifest.csv");
    let mut text = String::from(
        "tracking_number,consignor_name,consignor_country,consignee_name,consignee_country,origin,destination,consignee_email\n",
    );
    for i in 0..LINES {
        text.push_str(&format!(
            "1ZKILL{i:07},Consignor {} Trading,CN,Consignee {},US,CNSZX,US-TX,buyer{}@example.com\n",
            i % 53,
            i % 71,
            i % 97
        ));
    }
    std::fs::write(&file, text).unwrap();
    let file = file.to_string_lossy().into_owned();

    // Killed during acceptance, once its first batch is stored.
    let mut accepting = command(&url, &["import", &file, "--as", "ana"])
        .spawn()
        .expect("start import");
    let killed = kill_when(
        &mut accepting,
        &url,
        backend,
        "SELECT count(*) AS n FROM import_lines",
        1,
    );
    let accepted_before = count(&url, backend, "SELECT count(*) AS n FROM import_lines");
    assert!(killed, "acceptance ended before it could be killed");
    assert!(
        (accepted_before as usize) < LINES,
        "acceptance finished before it was killed"
    );

    // Killed during settlement: a server settles until part is done.
    let mut serving = command(&url, &["serve"]).spawn().expect("start serve");
    let killed = kill_when(
        &mut serving,
        &url,
        backend,
        "SELECT count(*) AS n FROM import_lines WHERE settled",
        400,
    );
    assert!(killed, "the server ended by itself");
    let settled_before = count(
        &url,
        backend,
        "SELECT count(*) AS n FROM import_lines WHERE settled",
    );
    assert!(
        settled_before < accepted_before,
        "settlement was not interrupted"
    );

    // Run again: the killed acceptance's import is taken over and
    // continued after the lines it stored, the rest of the file accepted
    // and everything settled, the lines the killed server held once their
    // lease ran out; the import completes.
    let status = command(&url, &["import", &file, "--as", "ana", "--wait"])
        .status()
        .expect("run import --wait");
    assert!(status.success(), "import --wait failed");
    assert_eq!(count(&url, backend, "SELECT count(*) AS n FROM imports"), 1);
    assert_eq!(
        count(
            &url,
            backend,
            "SELECT count(*) AS n FROM imports WHERE state = 'completed' AND rows_read = accepted"
        ),
        1,
        "the import is completed, every line of the file read once"
    );
    // Nothing is left for a settler started again.
    let app = TestApp::start_on(database, &[("INTERDICT_SETTLE_LEASE_SECONDS", "2")]);
    let deadline = Instant::now() + Duration::from_secs(300);
    while count(
        &url,
        backend,
        "SELECT count(*) AS n FROM import_lines WHERE NOT settled",
    ) > 0
    {
        assert!(Instant::now() < deadline, "lines left unsettled");
        std::thread::sleep(Duration::from_millis(100));
    }
    let database = app.stop();

    let lines = LINES as i64;
    assert_eq!(
        count(&url, backend, "SELECT count(*) AS n FROM import_lines"),
        lines
    );
    assert_eq!(
        count(&url, backend, "SELECT count(*) AS n FROM import_keys"),
        lines
    );
    assert_eq!(
        count(
            &url,
            backend,
            "SELECT count(*) AS n FROM records WHERE kind = 'shipment'"
        ),
        lines
    );
    assert_eq!(
        count(
            &url,
            backend,
            "SELECT CAST(coalesce(sum(settled), 0) AS BIGINT) AS n FROM imports"
        ),
        lines
    );
    assert_eq!(
        count(
            &url,
            backend,
            "SELECT CAST(coalesce(sum(imported), 0) AS BIGINT) AS n FROM imports"
        ),
        lines
    );
    let verify = command(&url, &["audit", "verify"])
        .status()
        .expect("run audit verify");
    assert!(verify.success(), "interdict audit verify failed");
    drop(database);
    let _ = std::fs::remove_dir_all(dir);
}

both_backends!(an_import_killed_in_either_phase_settles_every_line_once);
