//! The audit trail: one entry per audited request, commits that cannot be
//! separated from their actions, and tampering caught on both backends.

use clap::Parser;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use interdict_persistence::schema::audit_entries;
use interdict_tests::{both_backends, test_config, Backend, TestApp, TestDatabase, PASSWORD};
use interdict_web::cli::{self, Cli};
use serde_json::{json, Value};

both_backends!(
    each_request_leaves_exactly_one_entry,
    entries_are_append_only,
    a_changed_field_is_caught,
    a_deleted_entry_is_caught,
    swapped_entries_are_caught,
    a_cut_tail_is_caught,
    concurrent_requests_keep_the_chain_intact,
    audit_search_filters_and_pages,
    an_entry_is_proven_against_a_checkpoint,
    the_source_is_the_client_behind_a_trusted_proxy,
);

fn each_request_leaves_exactly_one_entry(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("CBP Laredo", "TXCBP0200", "federal", "US");
    let inv = app.create_user(agency, "laredo.inv", "investigator");
    let token = app.token("laredo.inv", PASSWORD);

    type Act<'a> = Box<dyn Fn() -> interdict_tests::Response + 'a>;
    let cases: Vec<(&str, Act<'_>, &str, &str)> = vec![
        (
            "GET /me",
            Box::new(|| app.get("/api/v1/me", &token)),
            "user.read",
            "allowed",
        ),
        (
            "GET /agencies",
            Box::new(|| app.get("/api/v1/agencies", &token)),
            "agency.list",
            "allowed",
        ),
        (
            "GET /agencies/{id}",
            Box::new(|| app.get(&format!("/api/v1/agencies/{agency}"), &token)),
            "agency.read",
            "allowed",
        ),
        (
            "GET /users (403)",
            Box::new(|| app.get("/api/v1/users", &token)),
            "user.list",
            "denied",
        ),
        (
            "GET /agencies/{unknown} (404)",
            Box::new(|| {
                app.get(
                    &format!("/api/v1/agencies/{}", uuid::Uuid::now_v7()),
                    &token,
                )
            }),
            "agency.read",
            "denied",
        ),
        (
            "POST /users (403)",
            Box::new(|| {
                app.post(
                    "/api/v1/users",
                    &token,
                    json!({"username":"x.y","display_name":"X","role":"admin","password":PASSWORD}),
                )
            }),
            "user.create",
            "denied",
        ),
        (
            "GET /audit (403)",
            Box::new(|| app.get("/api/v1/audit", &token)),
            "audit.search",
            "denied",
        ),
        (
            "no token",
            Box::new(|| app.request("GET", "/api/v1/me").send()),
            "auth.token",
            "denied",
        ),
        // A bad token is the answer, whatever else is wrong.
        (
            "bad token, body not JSON (401)",
            Box::new(|| {
                app.request("POST", "/api/v1/shipments")
                    .bearer("not-a-token")
                    .raw("application/json", b"{\"incident_type\": ")
            }),
            "auth.token",
            "denied",
        ),
        (
            "no token, body not JSON (401)",
            Box::new(|| {
                app.request("POST", "/api/v1/shipments")
                    .raw("application/json", b"{\"incident_type\": ")
            }),
            "auth.token",
            "denied",
        ),
        // Refused before the handler ran: still one entry, as the caller.
        (
            "POST /shipments, body not JSON (400)",
            Box::new(|| {
                app.request("POST", "/api/v1/shipments")
                    .bearer(&token)
                    .raw("application/json", b"{\"incident_type\": ")
            }),
            "request.refused",
            "error",
        ),
        (
            "POST /users, unknown field (400)",
            Box::new(|| {
                app.post(
                    "/api/v1/users",
                    &token,
                    json!({"username":"x.y","display_name":"X","role":"admin","password":PASSWORD,"colour":"red"}),
                )
            }),
            "request.refused",
            "error",
        ),
        (
            "GET /agencies/{not an id} (400)",
            Box::new(|| app.get("/api/v1/agencies/not-an-id", &token)),
            "request.refused",
            "error",
        ),
        (
            "GET /shipments?colour (400)",
            Box::new(|| app.get("/api/v1/shipments?colour=red", &token)),
            "request.refused",
            "error",
        ),
    ];
    for (name, act, action, outcome) in cases {
        let before = app.audit_count();
        let response = act();
        assert_eq!(app.audit_count(), before + 1, "{name}: exactly one entry");
        let entry = &app.last_audit(1)[0];
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            (action, outcome),
            "{name}"
        );
        if name.ends_with("(401)") {
            assert_eq!(response.status, 401, "{name}");
        } else if name != "no token" {
            assert_eq!(entry.user_id, Some(inv), "{name}");
        }
        if action == "request.refused" {
            assert!(response.status >= 400 && response.status < 500, "{name}");
            assert_eq!(entry.object_type.as_deref(), Some("route"), "{name}");
            // The field is named; what was sent in it is not kept.
            let detail = entry.detail.as_deref().unwrap_or_default();
            assert!(!detail.contains(PASSWORD), "{name}: {detail}");
            if name.contains("unknown field") {
                assert!(detail.contains("colour"), "{name}: {detail}");
            }
        }
        // The entry carries the request id the client saw.
        let request_id = response.header("x-request-id").expect("X-Request-Id");
        let stored: Option<String> = audit_entries::table
            .filter(audit_entries::seq.eq(entry.seq))
            .select(audit_entries::request_id)
            .get_result(&mut app.database.connect())
            .unwrap();
        assert_eq!(stored.as_deref(), Some(request_id), "{name}");
    }

    // A write that fails validation leaves one entry marked error and
    // writes nothing else.
    let admin = app.admin_token();
    let users_before = app.get("/api/v1/users", &admin).json()["items"]
        .as_array()
        .unwrap()
        .len();
    let before = app.audit_count();
    let bad = app.post(
        "/api/v1/users",
        &admin,
        json!({"username":"ok.name","display_name":"X","role":"admin","password":"short"}),
    );
    bad.assert_problem(422, "validation");
    assert_eq!(app.audit_count(), before + 1);
    assert_eq!(app.last_audit(1)[0].outcome, "error");
    let users_after = app.get("/api/v1/users", &admin).json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(users_before, users_after);
}

/// The source address of the newest entry after `GET /me` with these
/// `X-Forwarded-For` hops.
fn source_when_forwarded(app: &TestApp, hops: &str) -> Option<String> {
    let token = app.admin_token();
    let response = app
        .request("GET", "/api/v1/me")
        .bearer(&token)
        .header("X-Forwarded-For", hops)
        .send();
    assert_eq!(response.status, 200, "{}", response.text);
    let newest_first: Vec<Option<String>> = audit_entries::table
        .order(audit_entries::seq.desc())
        .select(audit_entries::source)
        .load(&mut app.database.connect())
        .unwrap();
    newest_first.into_iter().next().flatten()
}

fn the_source_is_the_client_behind_a_trusted_proxy(backend: Backend) {
    // Without configured proxies the header is not believed.
    let direct = TestApp::spawn(backend);
    assert_eq!(
        source_when_forwarded(&direct, "203.0.113.9").as_deref(),
        Some("127.0.0.1")
    );
    drop(direct);

    let proxied = TestApp::spawn_with(
        backend,
        &[("INTERDICT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.2")],
    );
    // The nearest hop that is not one of ours; what it claims is not taken.
    for (hops, client) in [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.7, 203.0.113.9", "203.0.113.9"),
        ("198.51.100.7, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("203.0.113.9, not-an-address", "127.0.0.1"),
    ] {
        assert_eq!(
            source_when_forwarded(&proxied, hops).as_deref(),
            Some(client),
            "{hops}"
        );
    }
}

fn tamper(db: &TestDatabase, sql: &str) {
    let mut conn = db.connect();
    let unlock = match db.backend() {
        Backend::Postgres => "ALTER TABLE audit_entries DISABLE TRIGGER USER;",
        Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_entries_no_update; DROP TRIGGER IF EXISTS audit_entries_no_delete;",
    };
    conn.batch_execute(&format!("{unlock} {sql}"))
        .expect("tamper");
}

/// Makes some history: logins, reads, an account.
fn history(app: &TestApp) {
    let agency = app.create_agency("Nogales PD", "AZ0120000", "local", "AZ");
    app.create_user(agency, "nogales.inv", "investigator");
    let token = app.token("nogales.inv", PASSWORD);
    for _ in 0..3 {
        app.get("/api/v1/me", &token);
    }
}

fn verify_api(app: &TestApp) -> Value {
    let response = app.get("/api/v1/audit/verify", &app.admin_token());
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn verify_cli(db: &TestDatabase) -> u8 {
    let config = test_config(&db.url, &[]);
    let cli = Cli::parse_from(["interdict", "audit", "verify"]);
    actix_web::rt::System::new().block_on(cli::run(cli, config))
}

fn assert_broken_at(app: &TestApp, seq: i64) {
    // The API check itself appends entries, so check the CLI first.
    assert_eq!(
        verify_cli(&app.database),
        1,
        "CLI exits 1 on a broken chain"
    );
    let report = verify_api(app);
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["first_bad_seq"], seq, "{report}");
    assert!(report["reason"].as_str().is_some_and(|r| !r.is_empty()));
}

fn a_changed_field_is_caught(backend: Backend) {
    let app = TestApp::spawn(backend);
    history(&app);
    assert_eq!(verify_cli(&app.database), 0);
    let report = verify_api(&app);
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["entries"].as_i64().unwrap() > 5);
    tamper(
        &app.database,
        "UPDATE audit_entries SET object_id = 'someone-else' WHERE seq = 3;",
    );
    assert_broken_at(&app, 3);
}

fn a_deleted_entry_is_caught(backend: Backend) {
    let app = TestApp::spawn(backend);
    history(&app);
    tamper(&app.database, "DELETE FROM audit_entries WHERE seq = 4;");
    assert_broken_at(&app, 4);
}

fn swapped_entries_are_caught(backend: Backend) {
    let app = TestApp::spawn(backend);
    history(&app);
    tamper(
        &app.database,
        "UPDATE audit_entries SET seq = -1 WHERE seq = 2;
         UPDATE audit_entries SET seq = 2 WHERE seq = 5;
         UPDATE audit_entries SET seq = 5 WHERE seq = -1;",
    );
    assert_broken_at(&app, 2);
}

fn a_cut_tail_is_caught(backend: Backend) {
    let app = TestApp::spawn(backend);
    history(&app);
    let last: i64 = audit_entries::table
        .select(diesel::dsl::max(audit_entries::seq))
        .get_result::<Option<i64>>(&mut app.database.connect())
        .unwrap()
        .unwrap();
    tamper(
        &app.database,
        &format!("DELETE FROM audit_entries WHERE seq = {last};"),
    );
    assert_eq!(verify_cli(&app.database), 1);
}

fn entries_are_append_only(backend: Backend) {
    let app = TestApp::spawn(backend);
    history(&app);
    let mut conn = app.database.connect();
    for sql in [
        "UPDATE audit_entries SET action = 'nothing' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 1",
    ] {
        let refused = conn.batch_execute(sql);
        let message = refused.expect_err(sql).to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
    if backend == Backend::Postgres {
        let refused = conn
            .batch_execute("TRUNCATE audit_entries")
            .expect_err("truncate");
        assert!(refused.to_string().contains("append-only"));
    }
    assert_eq!(verify_api(&app)["ok"], true);
}

fn concurrent_requests_keep_the_chain_intact(backend: Backend) {
    let app = TestApp::spawn(backend);
    history(&app);
    let token = app.token("nogales.inv", PASSWORD);
    let before = app.audit_count();
    let (threads, per_thread) = (8, 25);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..per_thread {
                    assert_eq!(app.get("/api/v1/me", &token).status, 200);
                }
            });
        }
    });
    assert_eq!(app.audit_count(), before + threads * per_thread);
    assert_eq!(verify_cli(&app.database), 0);
}

fn audit_search_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("El Paso HIDTA", "TX0710000", "federal", "US");
    let inv = app.create_user(agency, "ep.inv", "investigator");
    app.create_user(agency, "ep.aud", "auditor");
    let token = app.token("ep.inv", PASSWORD);
    for _ in 0..7 {
        app.get("/api/v1/me", &token);
    }
    app.get("/api/v1/users", &token); // denied
    let auditor = app.token("ep.aud", PASSWORD);

    // Filter by user and action, page through three at a time.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/audit?user_id={inv}&action=user.read&limit=3");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, &auditor);
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["action"], "user.read");
            assert_eq!(item["user_id"], inv.to_string());
            seen.push(item["seq"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted, "newest first, each once");

    let denied = app.get("/api/v1/audit?outcome=denied", &auditor).json();
    let items = denied["items"].as_array().unwrap();
    assert!(items.iter().any(|e| e["action"] == "user.list"));
    assert!(items.iter().all(|e| e["outcome"] == "denied"));

    let future = app
        .get("/api/v1/audit?from=2999-01-01T00:00:00Z", &auditor)
        .json();
    assert_eq!(future["items"].as_array().unwrap().len(), 0);

    // Bad filters are 400s that name the parameter.
    let bad = app
        .get("/api/v1/audit?outcome=maybe", &auditor)
        .assert_problem(400, "bad-request");
    assert_eq!(bad["errors"][0]["field"], "outcome");
    let bad = app
        .get(
            "/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            &auditor,
        )
        .assert_problem(400, "bad-request");
    assert_eq!(bad["errors"][0]["field"], "to");
    let bad = app
        .get("/api/v1/audit?limit=501", &auditor)
        .assert_problem(400, "bad-request");
    assert_eq!(bad["errors"][0]["field"], "limit");
    let bad = app
        .get("/api/v1/audit?from=yesterday", &auditor)
        .assert_problem(400, "bad-request");
    assert_eq!(bad["errors"][0]["field"], "from");
    let bad = app
        .get("/api/v1/audit?colour=red", &auditor)
        .assert_problem(400, "bad-request");
    assert_eq!(bad["errors"][0]["field"], "colour");
}

fn hash(value: &Value) -> [u8; 32] {
    hex::decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn an_entry_is_proven_against_a_checkpoint(backend: Backend) {
    use interdict_domain::audit::{verify_proof, ChainedEntry, Checkpoint, ProofLink};
    let app = TestApp::spawn_with(backend, &[("INTERDICT_AUDIT_CHECKPOINT_EVERY", "5")]);
    let agency = app.create_agency("Yuma County Sheriff", "AZ0140000", "local", "AZ");
    app.create_user(agency, "yuma.inv", "investigator");
    app.create_user(agency, "yuma.aud", "auditor");
    let inv = app.token("yuma.inv", PASSWORD);
    let auditor = app.token("yuma.aud", PASSWORD);
    app.get("/api/v1/me", &inv);
    let mine = app.get("/api/v1/audit?action=user.read", &auditor).json()["items"][0]["seq"]
        .as_i64()
        .unwrap();
    for _ in 0..6 {
        app.get("/api/v1/me", &inv);
    }
    let response = app.get(&format!("/api/v1/audit/entries/{mine}/proof"), &auditor);
    assert_eq!(response.status, 200, "{}", response.text);
    let proof = response.json();
    assert_eq!(proof["valid"], true);
    assert_eq!(proof["checkpoint"]["signature_valid"], true);
    // Check it independently with the domain's verifier.
    let entry = &proof["entry"];
    let event = interdict_domain::audit::AuditEvent {
        occurred_at: entry["occurred_at"].as_str().unwrap().parse().unwrap(),
        user_id: entry["user_id"].as_str().map(|u| u.parse().unwrap()),
        agency_id: entry["agency_id"].as_str().map(|u| u.parse().unwrap()),
        role: entry["role"].as_str().map(str::to_owned),
        action: entry["action"].as_str().unwrap().parse().unwrap(),
        object_type: entry["object_type"].as_str().map(str::to_owned),
        object_id: entry["object_id"].as_str().map(str::to_owned),
        outcome: entry["outcome"].as_str().unwrap().parse().unwrap(),
        request_id: entry["request_id"].as_str().map(str::to_owned),
        source: entry["source"].as_str().map(str::to_owned),
        detail: None,
    };
    let chained = ChainedEntry {
        seq: mine,
        event,
        prev_hash: hash(&entry["prev_hash"]),
        hash: hash(&entry["hash"]),
    };
    let links: Vec<ProofLink> = proof["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| ProofLink {
            seq: l["seq"].as_i64().unwrap(),
            prev_hash: hash(&l["prev_hash"]),
            digest: hash(&l["digest"]),
            hash: hash(&l["hash"]),
        })
        .collect();
    let checkpoint = Checkpoint {
        seq: proof["checkpoint"]["seq"].as_i64().unwrap(),
        hash: hash(&proof["checkpoint"]["hash"]),
        at: proof["checkpoint"]["at"].as_str().unwrap().parse().unwrap(),
        signature: hash(&proof["checkpoint"]["signature"]),
    };
    assert_eq!(verify_proof(&chained, &links, &checkpoint), Ok(()));
    // Links carry digests, never other entries' content.
    assert!(proof["links"][0].get("action").is_none());
    // Entries outside the auditor's scope, and the newest (not yet covered).
    app.get("/api/v1/audit/entries/1/proof", &auditor)
        .assert_problem(404, "not-found");
    let newest = app.get("/api/v1/audit?limit=1", &auditor).json()["items"][0]["seq"]
        .as_i64()
        .unwrap();
    let uncovered = app.get(&format!("/api/v1/audit/entries/{newest}/proof"), &auditor);
    assert!(
        uncovered.status == 409 || uncovered.status == 200,
        "{}",
        uncovered.text
    );
    app.get("/api/v1/audit/entries/abc/proof", &auditor)
        .assert_problem(400, "bad-request");
    app.get(&format!("/api/v1/audit/entries/{mine}/proof"), &inv)
        .assert_problem(403, "forbidden");
}
