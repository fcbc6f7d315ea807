//! `/metrics`: Prometheus text on its own address, scraped over HTTP after
//! real work; requests are labelled by route pattern, never by an id.

use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use std::time::{Duration, Instant};

both_backends!(metrics_are_served_on_their_own_address_labelled_by_route_pattern);

const MANIFEST: &str = "tracking_number,carrier,mode,consignor_name,consignor_address,consignor_country,consignee_name,consignee_address,consignee_country,description,hs_code,weight_kg,value,currency,origin,destination,shipped_at,arrived_at
1ZMETRICS1,DHL,air_express,\"Wuhan Kang Biotech\",\"1 Road, Wuhan\",CN,\"Desert Supply, LLC\",,US,pigment,3204.17,2.5,120.00,USD,CNSZX,US-TX,2026-03-01,
1ZMETRICS2,DHL,air_express,\"Wuhan Kang Biotech\",\"1 Road, Wuhan\",CN,\"Desert Supply, LLC\",,US,pigment,3204.17,2.5,120.00,USD,CNSZX,US-TX,2026-03-02,
";

/// Whether `text` holds something shaped like a UUID.
fn holds_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(36).any(|w| {
        w.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    })
}

/// The sample lines of a metric (its name followed by labels or a space).
fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .collect()
}

fn metrics_are_served_on_their_own_address_labelled_by_route_pattern(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_METRICS_BIND", "127.0.0.1:0")]);
    let agency = app.create_agency("Arizona DPS", "AZDPS0000", "state", "AZ");
    app.create_user(agency, "mia", "investigator");
    let token = app.token("mia", PASSWORD);
    assert_eq!(app.login("mia", "not the password").status, 401);

    let upload = app
        .request("POST", "/api/v1/imports?file_name=manifest.csv")
        .bearer(&token)
        .raw("text/csv", MANIFEST.as_bytes());
    assert_eq!(upload.status, 202, "{}", upload.text);
    let import = upload.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.get(&format!("/api/v1/imports/{import}"), &token).json()["phase"] != "completed" {
        assert!(Instant::now() < deadline, "the import did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let list = app.get("/api/v1/shipments", &token).json();
    let shipment = list["items"][0]["id"]
        .as_str()
        .expect("an imported shipment");
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/v1/shipments/{shipment}"), &token)
                .status,
            200
        );
    }

    // Not on the API's address.
    assert_eq!(app.request("GET", "/metrics").send().status, 404);

    let base = app.metrics_base.as_deref().expect("a metrics listener");
    let response = ureq::get(&format!("{base}/metrics"))
        .call()
        .expect("scrape /metrics");
    assert!(response.content_type().starts_with("text/plain"));
    let text = response.into_string().expect("metrics text");

    let reads = samples(&text, "interdict_http_requests_total");
    assert!(
        reads
            .iter()
            .any(|l| l.contains(r#"route="/api/v1/shipments/{id}""#)
                && l.contains(r#"method="GET""#)
                && l.contains(r#"status="200""#)),
        "no series for the shipment route: {reads:#?}"
    );
    assert!(
        reads
            .iter()
            .any(|l| l.contains(r#"route="/api/v1/auth/login""#) && l.contains(r#"status="401""#)),
        "{reads:#?}"
    );
    assert!(
        samples(&text, "interdict_http_request_duration_seconds_bucket")
            .iter()
            .any(|l| l.contains(r#"route="/api/v1/shipments/{id}""#)),
        "no latency histogram by route"
    );
    for name in [
        "interdict_audit_batch_size_count",
        "interdict_audit_commit_duration_seconds_bucket",
        "interdict_db_pool_wait_seconds_bucket",
        "interdict_db_pool_connections",
        "interdict_db_pool_idle_connections",
        "interdict_login_failures_total",
        "interdict_account_lockouts_total",
        "interdict_imports_total",
        "interdict_import_lines_total",
    ] {
        assert!(!samples(&text, name).is_empty(), "{name} missing");
    }
    for phase in ["parse", "accept", "settle"] {
        assert!(
            samples(&text, "interdict_import_batch_duration_seconds_count")
                .iter()
                .any(|l| l.contains(&format!(r#"phase="{phase}""#))),
            "no {phase} phase"
        );
    }
    // No label names a record or a user.
    assert!(!holds_uuid(&text), "an id in the metrics:\n{text}");
    assert!(!text.contains("mia"));
}
