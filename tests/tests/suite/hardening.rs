//! Security regressions found by probing from outside: each test fails on
//! the code before its fix.

use diesel::connection::SimpleConnection;
use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

both_backends!(
    nul_and_bad_encodings_are_refused_at_the_door_and_audited,
    a_flood_of_nul_requests_costs_no_one_else_their_request,
    every_free_text_filter_is_capped_naming_the_field,
    the_summary_pdf_checks_the_role_before_the_dates,
    an_entry_the_database_refuses_fails_its_request_alone,
);

struct People {
    investigator: String,
    auditor: String,
}

fn agency_with_people(app: &TestApp) -> People {
    let agency = app.create_agency("Texas DPS Laredo", "TX0000123", "state", "TX");
    app.create_user(agency, "laredo.inv", "investigator");
    app.create_user(agency, "laredo.aud", "auditor");
    People {
        investigator: app.token("laredo.inv", PASSWORD),
        auditor: app.token("laredo.aud", PASSWORD),
    }
}

/// The field a problem document names first.
fn field(body: &serde_json::Value) -> &str {
    body["errors"][0]["field"].as_str().unwrap_or("")
}

fn nul_and_bad_encodings_are_refused_at_the_door_and_audited(backend: Backend) {
    let app = TestApp::spawn(backend);
    let people = agency_with_people(&app);

    let before = app.audit_count();
    let path = app
        .get("/api/v1/reports/shipments.csv%00.txt", &people.investigator)
        .assert_problem(400, "bad-request");
    assert_eq!(field(&path), "path");
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("request.refused", "error")
    );
    assert!(entry.user_id.is_some(), "refused as the caller: {entry:?}");
    assert_eq!(app.audit_count(), before + 1);

    // Unauthenticated: a NUL in the login body is a named 422, not a 500.
    let login = app
        .request("POST", "/api/v1/auth/login")
        .raw(
            "application/json",
            br#"{"username":"admin\u0000","password":"x"}"#,
        )
        .assert_problem(422, "validation");
    assert_eq!(field(&login), "username");
    assert_eq!(app.last_audit(1)[0].action, "request.refused");

    for (path, token, name) in [
        ("/api/v1/shipments?q=a%00b", &people.investigator, "q"),
        (
            "/api/v1/shipments?serial=a%00b",
            &people.investigator,
            "serial",
        ),
        ("/api/v1/audit?action=a%00b", &people.auditor, "action"),
        // Not UTF-8 at all.
        ("/api/v1/shipments?q=%ff%fe", &people.investigator, "q"),
    ] {
        let body = app.get(path, token).assert_problem(400, "bad-request");
        assert_eq!(field(&body), name, "{path}");
    }
    let import = app
        .request("POST", "/api/v1/imports?file_name=a%00b.csv")
        .bearer(&people.investigator)
        .raw("text/csv", b"tracking_number\n")
        .assert_problem(400, "bad-request");
    assert_eq!(field(&import), "file_name");

    // The same key twice makes the body ambiguous: which role was meant?
    let twice = app
        .request("POST", "/api/v1/parties")
        .bearer(&people.investigator)
        .raw(
            "application/json",
            br#"{"kind":"company","name":"A","name":"B"}"#,
        )
        .assert_problem(422, "validation");
    assert_eq!(field(&twice), "name");

    // Nothing above broke the chain.
    let verify = app.get("/api/v1/audit/verify", &people.auditor);
    assert_eq!(verify.status, 200, "{}", verify.text);
    assert_eq!(verify.json()["ok"], true, "{}", verify.text);
}

fn a_flood_of_nul_requests_costs_no_one_else_their_request(backend: Backend) {
    let app = TestApp::spawn(backend);
    let people = agency_with_people(&app);
    let party = json!({ "kind": "company", "name": "Hebei Shengxue Bio-Tech Co., Ltd" });
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..40 {
                    let status = app
                        .get("/api/v1/reports/shipments.csv%00.txt", &people.investigator)
                        .status;
                    assert_eq!(status, 400);
                    let status = app
                        .get("/api/v1/shipments?q=a%00b", &people.investigator)
                        .status;
                    assert_eq!(status, 400);
                }
            });
        }
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..40 {
                    let me = app.get("/api/v1/me", &people.investigator);
                    assert_eq!(me.status, 200, "{}", me.text);
                    let created = app.post("/api/v1/parties", &people.investigator, party.clone());
                    assert_eq!(created.status, 201, "{}", created.text);
                }
            });
        }
    });
    let verify = app.get("/api/v1/audit/verify", &people.auditor);
    assert_eq!(verify.json()["ok"], true, "{}", verify.text);
}

/// Every free-text filter takes at most 200 characters, as `q` always
/// did: longer is a 422 naming the parameter, never a search.
fn every_free_text_filter_is_capped_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend);
    let people = agency_with_people(&app);
    let long = "A".repeat(201);
    let longest = "A".repeat(200);
    let mut accepted = Vec::new();
    for (collection, name, token) in [
        ("shipments", "q", &people.investigator),
        ("shipments", "tracking_number", &people.investigator),
        ("shipments", "serial", &people.investigator),
        ("shipments", "imprint", &people.investigator),
        ("parties", "q", &people.investigator),
        ("parties", "identifier", &people.investigator),
        ("equipment", "serial", &people.investigator),
        ("die-molds", "imprint", &people.investigator),
        ("audit", "action", &people.auditor),
        ("audit", "object_type", &people.auditor),
        ("audit", "object_id", &people.auditor),
    ] {
        let at_the_cap = app.get(&format!("/api/v1/{collection}?{name}={longest}"), token);
        assert_eq!(
            at_the_cap.status, 200,
            "{collection}?{name}: {}",
            at_the_cap.text
        );
        let refused = app.get(&format!("/api/v1/{collection}?{name}={long}"), token);
        let named = (refused.status == 422).then(|| refused.json());
        if named.as_ref().map(field) != Some(name) {
            accepted.push(format!("{collection}?{name}: {}", refused.status));
        }
    }
    assert!(
        accepted.is_empty(),
        "not refused naming the field: {accepted:?}"
    );
    let export = app
        .get(
            &format!("/api/v1/reports/audit.csv?object_id={long}"),
            &people.auditor,
        )
        .assert_problem(422, "validation");
    assert_eq!(field(&export), "object_id");
}

/// Who may have the oversight report is decided before what is wrong with
/// the period asked for: an investigator hears 403 whatever the dates.
fn the_summary_pdf_checks_the_role_before_the_dates(backend: Backend) {
    let app = TestApp::spawn(backend);
    let people = agency_with_people(&app);
    for query in [
        "",
        "?from=2026-01-01",
        "?from=yesterday&to=2026-01-01",
        "?from=2026-02-01&to=2026-01-01",
    ] {
        app.get(
            &format!("/api/v1/reports/summary.pdf{query}"),
            &people.investigator,
        )
        .assert_problem(403, "forbidden");
    }
    for (query, name) in [
        ("", "from"),
        ("?from=2026-01-01", "to"),
        ("?from=yesterday&to=2026-01-01", "from"),
    ] {
        let body = app
            .get(
                &format!("/api/v1/reports/summary.pdf{query}"),
                &people.auditor,
            )
            .assert_problem(400, "bad-request");
        assert_eq!(field(&body), name, "{query}");
    }
    let pdf = app.get(
        "/api/v1/reports/summary.pdf?from=2026-01-01&to=2026-02-01",
        &people.auditor,
    );
    assert_eq!(pdf.status, 200, "{}", pdf.text);
}

/// Makes the database refuse audit entries about `poison`, and those of
/// task-force creation, as it would text it cannot store.
fn refuse_entries(app: &TestApp, poison: Uuid) {
    let mut conn = app.database.connect();
    let sql = match app.backend() {
        Backend::Postgres => format!(
            "CREATE FUNCTION refuse_entry() RETURNS trigger AS $$
             BEGIN
                 IF NEW.object_id = '{poison}' OR NEW.action = 'task_force.create' THEN
                     RAISE EXCEPTION 'this entry cannot be stored';
                 END IF;
                 RETURN NEW;
             END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_entry BEFORE INSERT ON audit_entries
                 FOR EACH ROW EXECUTE FUNCTION refuse_entry();"
        ),
        Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_entry BEFORE INSERT ON audit_entries
             WHEN NEW.object_id = '{poison}' OR NEW.action = 'task_force.create'
             BEGIN SELECT RAISE(ABORT, 'this entry cannot be stored'); END;"
        ),
    };
    conn.batch_execute(&sql)
        .expect("install the refusing trigger");
}

/// Runs `requests` so that the audit writer takes them as one batch: the
/// chain head is held locked while a first request occupies the writer
/// and the rest queue behind it. Answers the first's response, then the
/// others' in order.
fn in_one_batch(
    app: &TestApp,
    first: &(dyn Fn() -> Response + Sync),
    requests: &[&(dyn Fn() -> Response + Sync)],
) -> (Response, Vec<Response>) {
    let mut lock = app.database.connect();
    lock.batch_execute(match app.backend() {
        Backend::Postgres => "BEGIN; SELECT seq FROM audit_head FOR UPDATE",
        Backend::Sqlite => "BEGIN IMMEDIATE",
    })
    .expect("lock the chain head");
    std::thread::scope(|scope| {
        let first = scope.spawn(first);
        // The writer takes the first request and waits on the lock...
        std::thread::sleep(Duration::from_millis(400));
        let others: Vec<_> = requests.iter().map(|r| scope.spawn(*r)).collect();
        // ...while the others queue behind it, to be written together.
        std::thread::sleep(Duration::from_millis(1200));
        lock.batch_execute("COMMIT").expect("unlock the chain head");
        (
            first.join().unwrap(),
            others.into_iter().map(|t| t.join().unwrap()).collect(),
        )
    })
}

/// One audit entry the database will not store fails its own request and
/// no other written in the same batch: reads and writes around it commit,
/// a refused write is undone, and each refusal is recorded.
fn an_entry_the_database_refuses_fails_its_request_alone(backend: Backend) {
    let app = TestApp::spawn(backend);
    let people = agency_with_people(&app);
    let admin = app.admin_token();
    let member = app.create_agency("Harris County Sheriff", "TX1010000", "local", "TX");
    let poison = Uuid::now_v7();
    refuse_entries(&app, poison);
    let inv = people.investigator.as_str();
    let me = || app.get("/api/v1/me", inv);
    let party = || {
        app.post(
            "/api/v1/parties",
            inv,
            json!({ "kind": "company", "name": "Hebei Shengxue Bio-Tech Co., Ltd" }),
        )
    };
    let refused_read = || app.get(&format!("/api/v1/shipments/{poison}"), inv);
    let refused_write = || {
        app.post(
            "/api/v1/task-forces",
            &admin,
            json!({ "name": "Refused Task Force", "members": [member] }),
        )
    };
    let refusals = |app: &TestApp| -> Vec<serde_json::Value> {
        app.last_audit(200)
            .into_iter()
            .filter(|e| e.action == "audit.entry_refused")
            .map(|e| serde_json::from_str(e.detail.as_deref().unwrap()).unwrap())
            .collect()
    };

    // Reads and writes, with a refused read and a refused write among them.
    let (first, answers) = in_one_batch(
        &app,
        &me,
        &[&me, &party, &refused_read, &me, &refused_write, &party, &me],
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 201, 503, 200, 503, 201, 200], "{answers:?}");
    let recorded = refusals(&app);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(recorded
        .iter()
        .any(|d| d["object_id"] == poison.to_string()));
    assert!(recorded.iter().any(|d| d["action"] == "task_force.create"));
    assert!(
        recorded
            .iter()
            .all(|d| d["batch_jobs"].as_u64().unwrap() > 1),
        "the refused entries were not batched with others: {recorded:?}"
    );
    // The refused write was undone with its entry.
    let task_forces = app.get("/api/v1/task-forces", &admin);
    assert!(
        !task_forces.text.contains("Refused Task Force"),
        "{}",
        task_forces.text
    );

    // Reads alone, with a refused one among them.
    let (first, answers) = in_one_batch(&app, &me, &[&me, &refused_read, &me, &me]);
    assert_eq!(first.status, 200, "{}", first.text);
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 503, 200, 200], "{answers:?}");
    assert_eq!(refusals(&app).len(), 3);

    let verify = app.get("/api/v1/audit/verify", &people.auditor);
    assert_eq!(verify.json()["ok"], true, "{}", verify.text);
}
