//! Bad input gets a clear 4xx problem document, never a 500; every
//! response carries a request id.

use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use serde_json::json;

both_backends!(
    malformed_requests_get_problem_documents,
    validation_names_every_bad_field,
    updates_need_the_current_version,
    request_ids_are_issued_or_echoed,
    health_and_readiness,
    the_openapi_document_lists_the_api,
);

fn malformed_requests_get_problem_documents(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = app.admin_token();

    // Over 1 MiB.
    let huge = json!({ "name": "x".repeat(1024 * 1024 + 10), "level": "local", "jurisdiction": "TX", "ori": "TX0000001", "contact": "c" });
    app.post("/api/v1/agencies", &token, huge)
        .assert_problem(413, "payload-too-large");

    // Unknown fields are named.
    let unknown = app.post(
        "/api/v1/agencies",
        &token,
        json!({ "name": "A", "level": "local", "jurisdiction": "TX", "ori": "TX0000001", "contact": "c", "colour": "red" }),
    );
    let body = unknown.assert_problem(422, "validation");
    assert_eq!(body["errors"][0]["field"], "colour");

    // Missing fields are named too.
    let missing = app.post("/api/v1/agencies", &token, json!({ "name": "A" }));
    assert_eq!(
        missing.assert_problem(422, "validation")["errors"][0]["field"],
        "level"
    );

    // Wrong JSON types.
    let typed = app.post("/api/v1/task-forces", &token, json!({ "name": 42 }));
    typed.assert_problem(422, "validation");

    // Not JSON at all, and not declared as JSON.
    let broken = app
        .request("POST", "/api/v1/auth/login")
        .raw("application/json", b"{\"username\": ");
    broken.assert_problem(400, "bad-request");
    let text = app
        .request("POST", "/api/v1/auth/login")
        .raw("text/plain", b"username=admin");
    text.assert_problem(415, "unsupported-media-type");

    // Bad ids in paths name the parameter.
    let bad_id = app
        .get("/api/v1/users/not-a-uuid", &token)
        .assert_problem(400, "bad-request");
    assert_eq!(bad_id["errors"][0]["field"], "user_id");
    let bad_tf = app
        .request(
            "PUT",
            &format!("/api/v1/task-forces/{}/members/nope", uuid::Uuid::now_v7()),
        )
        .bearer(&token)
        .send();
    assert_eq!(
        bad_tf.assert_problem(400, "bad-request")["errors"][0]["field"],
        "agency_id"
    );
    let bad_first = app
        .request(
            "PUT",
            &format!("/api/v1/task-forces/nope/members/{}", uuid::Uuid::now_v7()),
        )
        .bearer(&token)
        .send();
    assert_eq!(
        bad_first.assert_problem(400, "bad-request")["errors"][0]["field"],
        "task_force_id"
    );

    // Unknown routes and methods are problems too.
    app.get("/api/v1/nothing-here", &token)
        .assert_problem(404, "not-found");
    app.request("DELETE", "/api/v1/me")
        .bearer(&token)
        .send()
        .assert_problem(405, "method-not-allowed");

    // Bad pagination.
    let bad_limit = app
        .get("/api/v1/agencies?limit=0", &token)
        .assert_problem(400, "bad-request");
    assert_eq!(bad_limit["errors"][0]["field"], "limit");
    let bad_cursor = app
        .get("/api/v1/agencies?cursor=zzz", &token)
        .assert_problem(400, "bad-request");
    assert_eq!(bad_cursor["errors"][0]["field"], "cursor");
}

fn validation_names_every_bad_field(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = app.admin_token();
    let response = app.post(
        "/api/v1/agencies",
        &token,
        json!({ "name": " ", "level": "county", "jurisdiction": "XX", "ori": "TX12", "contact": "" }),
    );
    let body = response.assert_problem(422, "validation");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "level", "jurisdiction", "ori", "contact"]);

    let weak = app.post(
        "/api/v1/users",
        &token,
        json!({ "username": "9lives", "display_name": "", "role": "chief", "password": "password123456789" }),
    );
    let body = weak.assert_problem(422, "validation");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["username", "display_name", "role", "password"]);
    // The submitted password is not echoed back.
    assert!(!weak.text.contains("password123456789"));

    // A duplicate ORI or username is a conflict, not a 500.
    let agency = app.create_agency("Guam PD", "GU0010000", "territorial", "GU");
    let dup = app.post(
        "/api/v1/agencies",
        &token,
        json!({ "name": "Guam PD again", "level": "territorial", "jurisdiction": "GU", "ori": "GU0010000", "contact": "c" }),
    );
    dup.assert_problem(409, "conflict");
    app.create_user(agency, "guam.inv", "investigator");
    let dup_user = app.post(
        "/api/v1/users",
        &token,
        json!({ "username": "Guam.Inv", "display_name": "Again", "role": "investigator", "password": PASSWORD, "agency_id": agency }),
    );
    dup_user.assert_problem(409, "conflict");
    // An agency that does not exist.
    let nowhere = app.post(
        "/api/v1/users",
        &token,
        json!({ "username": "lost.user", "display_name": "Lost", "role": "investigator", "password": PASSWORD, "agency_id": uuid::Uuid::now_v7() }),
    );
    nowhere.assert_problem(404, "not-found");
}

fn updates_need_the_current_version(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = app.admin_token();
    let agency = app.create_agency("Puerto Rico Police", "PR0010000", "territorial", "PR");
    let user = app.create_user(agency, "pr.inv", "investigator");
    let path = format!("/api/v1/users/{user}");
    let read = app.get(&path, &token);
    let etag = read.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1\"");

    let no_version = app
        .request("PATCH", &path)
        .bearer(&token)
        .json(json!({ "display_name": "A" }));
    no_version.assert_problem(428, "precondition-required");
    let garbage = app
        .request("PATCH", &path)
        .bearer(&token)
        .header("If-Match", "banana")
        .json(json!({ "display_name": "A" }));
    garbage.assert_problem(400, "bad-request");

    let first = app
        .request("PATCH", &path)
        .bearer(&token)
        .header("If-Match", &etag)
        .json(json!({ "display_name": "First" }));
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("etag"), Some("\"2\""));

    // Someone else's change based on the old version is refused, not merged.
    let stale = app
        .request("PATCH", &path)
        .bearer(&token)
        .header("If-Match", &etag)
        .json(json!({ "display_name": "Second" }));
    stale.assert_problem(412, "stale-version");
    assert_eq!(app.get(&path, &token).json()["display_name"], "First");

    let empty = app
        .request("PATCH", &path)
        .bearer(&token)
        .header("If-Match", "\"2\"")
        .json(json!({}));
    empty.assert_problem(422, "validation");

    // Administrators cannot lock themselves out.
    let me = app.get("/api/v1/me", &token).json();
    let my_path = format!("/api/v1/users/{}", me["user"]["id"].as_str().unwrap());
    let my_etag = app.get(&my_path, &token).header("etag").unwrap().to_owned();
    let disable_self = app
        .request("PATCH", &my_path)
        .bearer(&token)
        .header("If-Match", &my_etag)
        .json(json!({ "active": false }));
    disable_self.assert_problem(409, "conflict");
}

fn request_ids_are_issued_or_echoed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let issued = app.request("GET", "/healthz").send();
    let id = issued.header("x-request-id").expect("request id");
    assert!(uuid::Uuid::parse_str(id).is_ok());
    let echoed = app
        .request("GET", "/healthz")
        .header("X-Request-Id", "lb-1234.abc")
        .send();
    assert_eq!(echoed.header("x-request-id"), Some("lb-1234.abc"));
    // Ids that could smuggle content into logs are replaced.
    let replaced = app
        .request("GET", "/healthz")
        .header("X-Request-Id", "a b<script>")
        .send();
    assert_ne!(replaced.header("x-request-id"), Some("a b<script>"));
    // Errors carry one too.
    let error = app.request("GET", "/api/v1/me").send();
    assert!(error.header("x-request-id").is_some());
}

fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend);
    assert_eq!(app.request("GET", "/healthz").send().json()["status"], "ok");
    assert_eq!(
        app.request("GET", "/readyz").send().json()["status"],
        "ready"
    );
    if backend == Backend::Postgres {
        // Take the database away under the running service.
        let name = app.database.url.rsplit('/').next().unwrap().to_owned();
        let admin = interdict_tests::postgres_base_url().unwrap();
        let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&admin).unwrap();
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"),
        )
        .unwrap();
        let ready = app.request("GET", "/readyz").send();
        ready.assert_problem(503, "unavailable");
        assert_eq!(app.request("GET", "/healthz").send().status, 200);
        // A request that needs the database is refused cleanly, not a 500.
        let login = app.login("admin", interdict_tests::ADMIN_PASSWORD);
        login.assert_problem(503, "unavailable");
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true;"),
        )
        .unwrap();
        assert_eq!(app.request("GET", "/readyz").send().status, 200);
    }
}

fn the_openapi_document_lists_the_api(backend: Backend) {
    let app = TestApp::spawn(backend);
    let doc = app.request("GET", "/api/v1/openapi.json").send();
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/users/{user_id}",
        "/api/v1/audit",
        "/api/v1/audit/verify",
        "/api/v1/task-forces/{task_force_id}/members/{agency_id}",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    for collection in [
        "parties",
        "chemicals",
        "equipment",
        "die-molds",
        "shipments",
    ] {
        for path in [
            format!("/api/v1/{collection}"),
            format!("/api/v1/{collection}/{{id}}"),
            format!("/api/v1/{collection}/{{id}}/withdraw"),
            format!("/api/v1/{collection}/{{id}}/history"),
        ] {
            assert!(
                doc["paths"].get(&path).is_some(),
                "{path} missing from the OpenAPI document"
            );
        }
    }
    assert!(doc["components"]["schemas"]["ShipmentInput"].is_object());
    // Every operation has its own id, and every schema referred to exists.
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|ops| ops.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operation ids");
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "missing schema {name}"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
