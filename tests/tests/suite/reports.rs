//! Streamed exports over HTTP on both backends.

use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(
    exports_match_the_api_and_are_audited,
    exports_refuse_bad_requests_and_respect_scope,
    links_and_flags_are_exported_with_their_history,
    the_summary_pdf_has_the_totals,
    a_client_that_leaves_halfway_is_recorded,
    an_export_of_several_pages_has_every_shipment_once,
    an_export_with_no_connection_to_spare_is_whole
);

fn setup(app: &TestApp) -> (Uuid, String, String, String) {
    let agency = app.create_agency(
        "CBP Office of Field Operations",
        "DCCBP0100",
        "federal",
        "US",
    );
    let other = app.create_agency("Miami PD", "FL0130200", "local", "FL");
    app.create_user(agency, "ofo.inv", "investigator");
    app.create_user(agency, "ofo.aud", "auditor");
    app.create_user(other, "mia.inv", "investigator");
    (
        agency,
        app.token("ofo.inv", PASSWORD),
        app.token("ofo.aud", PASSWORD),
        app.token("mia.inv", PASSWORD),
    )
}

fn shipment(app: &TestApp, token: &str, description: &str, country: &str, incident: &str) -> Uuid {
    let party = app.post(
        "/api/v1/parties",
        token,
        json!({ "kind": "company", "name": "=HYPERLINK(\"http://evil.example\"), \"Quoted\" Trading, Ltd." }),
    );
    assert_eq!(party.status, 201, "{}", party.text);
    let response = app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": incident, "mode": "ocean", "declared_description": description,
            "parties": [{ "party_id": party.id(), "role": "consignor" }],
            "legs": [{ "from": { "country": country, "city": "Port" }, "to": { "country": "US", "subdivision": "US-FL", "city": "Miami" },
                       "departure_at": "2026-02-01T00:00:00Z" }]
        }),
    );
    assert_eq!(response.status, 201, "{}", response.text);
    response.id()
}

fn exports_match_the_api_and_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (_, inv, auditor, other) = setup(&app);
    for i in 0..7 {
        let incident = if i % 2 == 0 {
            "seizure"
        } else {
            "suspicious_shipment"
        };
        shipment(
            &app,
            &inv,
            &format!("bulk goods, lot {i}"),
            if i < 4 { "CN" } else { "IN" },
            incident,
        );
    }
    shipment(&app, &other, "another agency's", "CN", "seizure");

    for (query, api_query) in [
        ("", ""),
        ("?incident_type=seizure", "?incident_type=seizure"),
    ] {
        let api = app
            .get(&format!("/api/v1/shipments{api_query}"), &inv)
            .json();
        let expected = api["items"].as_array().unwrap().len();

        let csv = app.get(&format!("/api/v1/reports/shipments.csv{query}"), &inv);
        assert_eq!(csv.status, 200, "{}", csv.text);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert!(
            headers.contains(&"consignors".to_owned())
                && headers.contains(&"indicators".to_owned())
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), expected, "csv rows for {query:?}");
        let consignors = headers.iter().position(|h| h == "consignors").unwrap();
        // Embedded commas and quotes survive; the formula is defused.
        assert_eq!(
            &rows[0][consignors],
            "'=HYPERLINK(\"http://evil.example\"), \"Quoted\" Trading, Ltd."
        );
        let owner = headers.iter().position(|h| h == "owner_agency").unwrap();
        assert!(rows
            .iter()
            .all(|r| &r[owner] == "CBP Office of Field Operations"));

        let ndjson = app.get(&format!("/api/v1/reports/shipments.ndjson{query}"), &inv);
        assert_eq!(ndjson.status, 200);
        let lines: Vec<Value> = ndjson
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), expected, "ndjson rows for {query:?}");
        assert!(lines
            .iter()
            .all(|l| l["destination_subdivision"] == "US-FL"));
    }

    // One audit entry per export, with the filter, format and row count.
    let entries = app
        .get("/api/v1/audit?action=report.export", &auditor)
        .json();
    let entries = entries["items"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{entries:?}");
    let last = &entries[0];
    assert_eq!(last["detail"]["format"], "ndjson");
    assert_eq!(last["detail"]["rows"], 4);
    assert_eq!(last["detail"]["complete"], true);
    assert_eq!(last["detail"]["filter"]["incident_type"], "seizure");

    // The audit log itself, for auditors.
    let audit = app.get("/api/v1/reports/audit.csv", &auditor);
    assert_eq!(audit.status, 200, "{}", audit.text);
    let rows = csv::Reader::from_reader(audit.text.as_bytes())
        .records()
        .count();
    assert!(rows > 10, "{rows}");
    // With the search's filters, it exports exactly what the search shows.
    let filtered = app.get(
        "/api/v1/reports/audit.ndjson?action=shipment.create&outcome=allowed",
        &auditor,
    );
    let lines: Vec<Value> = filtered
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let searched = app
        .get(
            "/api/v1/audit?action=shipment.create&outcome=allowed",
            &auditor,
        )
        .json();
    assert_eq!(lines.len(), searched["items"].as_array().unwrap().len());
    assert_eq!(
        lines.len(),
        7,
        "the other agency's creation is out of scope"
    );
    assert!(lines.iter().all(|l| l["action"] == "shipment.create"));
}

fn exports_refuse_bad_requests_and_respect_scope(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (agency, inv, auditor, other) = setup(&app);
    shipment(&app, &inv, "ours", "CN", "seizure");
    app.get("/api/v1/reports/shipments.xlsx", &inv)
        .assert_problem(400, "bad-request");
    app.get("/api/v1/reports/secrets.csv", &inv)
        .assert_problem(400, "bad-request");
    app.get(
        "/api/v1/reports/shipments.csv?from=2026-03-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        &inv,
    )
    .assert_problem(400, "bad-request");
    app.get("/api/v1/reports/shipments.csv?from=yesterday", &inv)
        .assert_problem(400, "bad-request");
    app.get("/api/v1/reports/shipments.csv?to=2026-02-30", &inv)
        .assert_problem(400, "bad-request");
    // A date alone is midnight UTC at its start, as the same time spelled out.
    let by_date = app.get(
        "/api/v1/reports/shipments.csv?from=2026-01-01&to=2027-01-01",
        &inv,
    );
    assert_eq!(by_date.status, 200, "{}", by_date.text);
    let by_time = app.get(
        "/api/v1/reports/shipments.csv?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z",
        &inv,
    );
    assert_eq!(by_date.text.lines().count(), by_time.text.lines().count());
    assert!(by_date.text.lines().count() > 1, "{}", by_date.text);
    // It left at midnight on 1 February: `to` that day leaves it out.
    let rows = |query: &str| {
        let response = app.get(&format!("/api/v1/reports/shipments.csv?{query}"), &inv);
        assert_eq!(response.status, 200, "{}", response.text);
        response.text.lines().count() - 1
    };
    assert_eq!(rows("to=2026-02-01"), 0);
    assert_eq!(rows("to=2026-02-02"), 1);
    assert_eq!(rows("from=2026-02-01"), 1);
    assert_eq!(rows("from=2026-02-02"), 0);
    app.get("/api/v1/reports/shipments.csv?colour=red", &inv)
        .assert_problem(400, "bad-request");
    // Filtering on an agency outside one's scope yields no rows, not an error.
    let theirs = app.get(
        &format!("/api/v1/reports/shipments.ndjson?owner_agency_id={agency}"),
        &other,
    );
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.text.lines().count(), 0);
    let mine = app.get("/api/v1/reports/shipments.ndjson", &other);
    assert_eq!(mine.text.lines().count(), 0);
    // Administrators see no records; only auditors export the audit log.
    app.get("/api/v1/reports/shipments.csv", &app.admin_token())
        .assert_problem(403, "forbidden");
    app.get("/api/v1/reports/audit.csv", &inv)
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/api/v1/reports/shipments.csv", &auditor).status,
        200
    );
    // Refusals and bad requests are audited too.
    let denied = app
        .get(
            "/api/v1/audit?action=report.export&outcome=denied",
            &auditor,
        )
        .json();
    assert!(
        denied["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["object_id"] == "audit.csv"),
        "{denied}"
    );
    let errors = app
        .get("/api/v1/audit?action=report.export&outcome=error", &auditor)
        .json();
    // (The unknown parameter is refused by the extractor, before the handler.)
    assert_eq!(errors["items"].as_array().unwrap().len(), 5, "{errors}");
}

fn links_and_flags_are_exported_with_their_history(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (_, inv, auditor, other) = setup(&app);
    let a = shipment(&app, &inv, "first leg", "CN", "seizure");
    let b = shipment(&app, &inv, "second leg", "IN", "seizure");
    let linked = app.post(
        &format!("/api/v1/shipments/{a}/links"),
        &inv,
        json!({ "to": b, "relation": "transshipment", "evidence": "same crates" }),
    );
    assert_eq!(linked.status, 201, "{}", linked.text);
    let flagged = app.post(
        &format!("/api/v1/shipments/{a}/flags"),
        &inv,
        json!({ "reason": "tip, from \"the port\"" }),
    );
    assert_eq!(flagged.status, 201, "{}", flagged.text);

    let links = app.get("/api/v1/reports/links.csv", &auditor);
    assert_eq!(links.status, 200, "{}", links.text);
    let mut reader = csv::Reader::from_reader(links.text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], "transshipment");
    assert_eq!(&rows[0][9], "CN");
    assert_eq!(&rows[0][13], "IN");

    let flags = app.get("/api/v1/reports/flags.ndjson", &inv);
    assert_eq!(flags.status, 200, "{}", flags.text);
    let lines: Vec<Value> = flags
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["reason"], "tip, from \"the port\"");
    assert!(
        lines[0]["history"]
            .as_str()
            .unwrap()
            .starts_with("raise → open by "),
        "{}",
        lines[0]["history"]
    );
    assert_eq!(
        app.get("/api/v1/reports/flags.ndjson?flag_state=dismissed", &inv)
            .text
            .lines()
            .count(),
        0
    );
    app.get("/api/v1/reports/flags.csv?flag_state=maybe", &inv)
        .assert_problem(400, "bad-request");
    app.get("/api/v1/reports/links.csv?flag_state=open", &inv)
        .assert_problem(400, "bad-request");
    app.get("/api/v1/reports/shipments.csv?flag_state=open", &inv)
        .assert_problem(400, "bad-request");
    app.get("/api/v1/reports/shipments.csv?action=user.read", &inv)
        .assert_problem(400, "bad-request");

    // Another agency sees neither.
    assert_eq!(
        app.get("/api/v1/reports/links.ndjson", &other)
            .text
            .lines()
            .count(),
        0
    );
    assert_eq!(
        app.get("/api/v1/reports/flags.ndjson", &other)
            .text
            .lines()
            .count(),
        0
    );
}

fn the_summary_pdf_has_the_totals(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (agency, inv, auditor, other) = setup(&app);
    app.create_user(agency, "ofo.sup", "supervisor");
    let supervisor = app.token("ofo.sup", PASSWORD);
    let flagged = shipment(&app, &inv, "one", "CN", "seizure");
    shipment(&app, &inv, "two", "CN", "seizure");
    shipment(&app, &inv, "three", "MX", "suspicious_shipment");
    shipment(&app, &other, "not ours", "CN", "seizure");
    let flag = app
        .post(
            &format!("/api/v1/shipments/{flagged}/flags"),
            &inv,
            json!({ "reason": "tip" }),
        )
        .json();
    let flag_id = flag["id"].as_str().unwrap();
    for (version, body) in [
        (1, json!({ "action": "start_review" })),
        (
            2,
            json!({ "action": "dismiss", "reason": "known importer" }),
        ),
    ] {
        let moved = app
            .request("POST", &format!("/api/v1/flags/{flag_id}/transitions"))
            .bearer(&supervisor)
            .header("If-Match", &format!("\"{version}\""))
            .json(body);
        assert_eq!(moved.status, 200, "{}", moved.text);
    }
    let response = app.get(
        "/api/v1/reports/summary.pdf?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z",
        &auditor,
    );
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("content-type"), Some("application/pdf"));
    let pdf = lopdf::Document::load_mem(&response.bytes).expect("a PDF that parses");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    assert_eq!(pages.len(), 2);
    let text = pdf.extract_text(&pages).expect("text");
    for expected in [
        "Shipments recorded: 3",
        "Seizure",
        "Suspicious shipment",
        "Flags raised: 1",
        "Dismissed: 1",
        "Under review: 0",
        "Verified: intact",
        "Head hash: ",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    // Enum values in words, never raw.
    for raw in ["suspicious_shipment", "under_review", "list_i"] {
        assert!(!text.contains(raw), "{raw:?} in {text}");
    }
    // Outside the period, nothing.
    let empty = app.get(
        "/api/v1/reports/summary.pdf?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z",
        &auditor,
    );
    let text = lopdf::Document::load_mem(&empty.bytes)
        .unwrap()
        .extract_text(&[1])
        .unwrap();
    assert!(text.contains("Shipments recorded: 0"), "{text}");
    app.get(
        "/api/v1/reports/summary.pdf?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z",
        &inv,
    )
    .assert_problem(403, "forbidden");
    app.get(
        "/api/v1/reports/summary.pdf?from=2026-04-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        &auditor,
    )
    .assert_problem(400, "bad-request");
}

fn a_client_that_leaves_halfway_is_recorded(backend: Backend) {
    use interdict_domain::audit::{AuditAction, AuditEvent, RecordVerb};
    use interdict_domain::record::RecordKind;
    use interdict_persistence::audit::{AuditWriter, Checkpointing};
    use std::io::{Read, Write};
    let app = TestApp::spawn(backend);
    let (agency, _inv, auditor, _other) = setup(&app);
    // Plenty of rows: a second writer on the same database appends entries
    // in the auditor's scope, as another instance would.
    let (writer, _thread) = AuditWriter::start(
        app.database.pool(),
        512,
        Checkpointing {
            key: b"another-instance-key-0123456789abcdef".to_vec(),
            every: 1_000_000,
        },
    );
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            let mut pending = Vec::new();
            for i in 0..20_000 {
                let mut event =
                    AuditEvent::now(AuditAction::Record(RecordKind::Shipment, RecordVerb::Read));
                event.agency_id = Some(agency);
                event.object_type = Some("shipment".into());
                event.object_id = Some(format!("padding-{i}-{}", "x".repeat(200)));
                pending.push(writer.record(event));
            }
            for result in futures_util::future::join_all(pending).await {
                result.unwrap();
            }
        });
    // Read a little of the export, then hang up.
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(stream, "GET /api/v1/reports/audit.csv HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {auditor}\r\n\r\n").unwrap();
    let mut buffer = [0u8; 16 * 1024];
    let read = stream.read(&mut buffer).unwrap();
    assert!(read > 0);
    drop(stream);
    // The server stays healthy, and records how far the export got.
    assert_eq!(app.request("GET", "/healthz").send().status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let entry = loop {
        let found = app
            .get(
                "/api/v1/audit?action=report.export&object_id=audit.csv",
                &auditor,
            )
            .json();
        if let Some(entry) = found["items"].as_array().unwrap().first() {
            break entry.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the export was never recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(entry["detail"]["complete"], false, "{entry}");
    let rows = entry["detail"]["rows"].as_u64().unwrap();
    assert!(rows < 20_000, "{rows}");
    assert!(app.get("/api/v1/audit/verify", &auditor).json()["ok"]
        .as_bool()
        .unwrap());
}

/// More shipments than one page of the export (1,000), imported: every
/// shipment comes once, newest first, each named with its consignor also
/// on pages after the one that first looked the name up, and the risk of
/// each is the same as the API shows.
fn an_export_of_several_pages_has_every_shipment_once(backend: Backend) {
    const LINES: usize = 2_345;
    let app = TestApp::spawn(backend);
    let (_, inv, auditor, _) = setup(&app);
    let consignor = |i: usize| format!("Page Trading {} Co", i % 7);
    let mut manifest = String::from("tracking_number,mode,consignor_name,consignor_country,consignee_name,consignee_country,description,origin,destination,shipped_at\n");
    for i in 0..LINES {
        manifest.push_str(&format!(
            "1ZPAGE{i:05},air_express,{},CN,Desert Supply LLC,US,pigment,CNSZX,US-TX,2026-03-01\n",
            consignor(i)
        ));
    }
    let upload = app
        .request("POST", "/api/v1/imports?file_name=pages.csv")
        .bearer(&inv)
        .raw("text/csv", manifest.as_bytes());
    assert_eq!(upload.status, 202, "{}", upload.text);
    let import = upload.id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let state = app.get(&format!("/api/v1/imports/{import}"), &inv).json();
        if state["phase"] == "completed" {
            assert_eq!(state["imported"], LINES, "{state}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{state}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    let export = app.get("/api/v1/reports/shipments.csv", &inv);
    assert_eq!(export.status, 200, "{}", export.text);
    let mut reader = csv::Reader::from_reader(export.text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, consignors, tracking, score) = (
        column("id"),
        column("consignors"),
        column("tracking_numbers"),
        column("risk_score"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), LINES);
    let ids: Vec<Uuid> = rows.iter().map(|r| r[id].parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, each once"
    );
    for row in &rows {
        let line: usize = row[tracking]["1ZPAGE".len()..].parse().unwrap();
        assert_eq!(&row[consignors], consignor(line), "{row:?}");
    }
    // The risk on the last page is the one the API shows.
    let last = rows.last().unwrap();
    let shown = app.get(&format!("/api/v1/shipments/{}", &last[id]), &inv);
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(
        last[score].parse::<f64>().unwrap(),
        shown.json()["risk"]["score"].as_f64().unwrap()
    );

    let entries = app
        .get("/api/v1/audit?action=report.export", &auditor)
        .json();
    let entry = &entries["items"][0];
    assert_eq!(entry["detail"]["rows"], LINES, "{entry}");
    assert_eq!(entry["detail"]["complete"], true, "{entry}");
}

/// The shipments export reads on a second connection when one is free; with
/// a pool of one (the export holds it), it reads, weighs and names on one
/// thread instead of waiting for a connection that cannot come.
fn an_export_with_no_connection_to_spare_is_whole(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_DATABASE_POOL_SIZE", "1")]);
    let (_, inv, auditor, _) = setup(&app);
    for i in 0..3 {
        shipment(&app, &inv, &format!("lot {i}"), "CN", "seizure");
    }
    let export = app.get("/api/v1/reports/shipments.csv", &inv);
    assert_eq!(export.status, 200, "{}", export.text);
    let mut reader = csv::Reader::from_reader(export.text.as_bytes());
    let consignors = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "consignors")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{}", export.text);
    assert!(rows.iter().all(|r| r[consignors].contains("Quoted")));
    let entries = app
        .get("/api/v1/audit?action=report.export", &auditor)
        .json();
    assert_eq!(entries["items"][0]["detail"]["complete"], true, "{entries}");
}
