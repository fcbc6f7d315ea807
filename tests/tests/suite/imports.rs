//! Bulk manifest imports over HTTP, on both backends: acceptance stores
//! exactly the good rows and reports each bad one, a second upload accepts
//! nothing twice, settlement writes each accepted line once (also with two
//! instances on one PostgreSQL), imported shipments are deconflicted and
//! searchable, and the import is seen only by its agency.

use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;

const HEADER: &str = "tracking_number,carrier,mode,consignor_name,consignor_address,consignor_country,consignee_name,consignee_address,consignee_country,description,hs_code,weight_kg,value,currency,origin,destination,shipped_at,arrived_at";

fn line(tracking: &str, consignor: &str, country: &str, shipped: &str) -> String {
    format!(
        "{tracking},DHL,air_express,\"{consignor}\",\"1 Road, Shenzhen\",{country},\"Desert Supply, LLC\",,US,\"pigment, \"\"red\"\"\",3204.17,2.5,120.00,USD,CNSZX,US-TX,{shipped},"
    )
}

fn manifest(lines: &[String]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for l in lines {
        text.push('\n');
        text.push_str(l);
    }
    text.push('\n');
    text.into_bytes()
}

fn upload(app: &TestApp, token: &str, body: &[u8]) -> Response {
    app.request("POST", "/api/v1/imports?file_name=manifest.csv")
        .bearer(token)
        .raw("text/csv", body)
}

/// Polls the import until it has completed or failed.
fn finished(app: &TestApp, token: &str, id: Uuid) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let response = app.get(&format!("/api/v1/imports/{id}"), token);
        assert_eq!(response.status, 200, "{}", response.text);
        let import = response.json();
        if import["phase"] == "completed" || import["phase"] == "failed" {
            return import;
        }
        assert!(Instant::now() < deadline, "import still running: {import}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn import(app: &TestApp, token: &str, body: &[u8]) -> (Uuid, Value) {
    let response = upload(app, token, body);
    assert_eq!(response.status, 202, "{}", response.text);
    let id = response.id();
    assert_eq!(
        response.header("location"),
        Some(format!("/api/v1/imports/{id}").as_str())
    );
    (id, finished(app, token, id))
}

fn shipment_count(app: &TestApp, token: &str) -> usize {
    let response = app.get("/api/v1/shipments?limit=500", token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["items"].as_array().unwrap().len()
}

fn an_import_writes_the_good_rows_and_reports_each_bad_one(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(agency, "ana", "investigator");
    let token = app.token("ana", PASSWORD);
    let body = manifest(&[
        line(
            "1Z001",
            "Hebei Shengxue Trading Co., Ltd.",
            "CN",
            "2026-03-01",
        ),
        line("1Z002", "HEBEI SHENGXUE TRADING CO LTD", "CN", "2026-03-02"),
        line("1Z003", "Wuhan Kang Biotech", "ZZ", "2026-03-03"),
        line("", "Wuhan Kang Biotech", "CN", "2026-03-04"),
        line("1Z005", "Wuhan Kang Biotech", "CN", "last tuesday"),
        line("1Z006", "Wuhan Kang Biotech", "CN", "2026-03-06"),
        "1Z007,DHL,air_express,too few cells".to_owned(),
        line("", "Wuhan Kang Biotech", "ZZ", "someday"),
    ]);
    let (id, report) = import(&app, &token, &body);
    assert_eq!(report["phase"], "completed", "{report}");
    assert_eq!(report["rows_read"], 8);
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["settled"], 3);
    assert_eq!(report["eta_seconds"], Value::Null);
    assert!(report["rate"].as_f64().unwrap() > 0.0, "{report}");
    assert!(report["accepted_at"].is_string(), "{report}");
    assert_eq!(report["imported"], 3);
    assert_eq!(report["rejected"], 5);
    assert_eq!(report["duplicates"], 0);
    assert_eq!(report["file_name"], "manifest.csv");

    let rejections = app.get(&format!("/api/v1/imports/{id}/rejections"), &token);
    assert_eq!(rejections.status, 200, "{}", rejections.text);
    let items = rejections.json()["items"].as_array().unwrap().clone();
    let found: Vec<(i64, String)> = items
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        (4, "consignor_country"),
        (5, "tracking_number"),
        (6, "shipped_at"),
    ] {
        assert!(
            found.contains(&(expected.0, expected.1.to_owned())),
            "{expected:?} in {found:?}"
        );
    }
    assert!(found.iter().any(|(row, _)| *row == 8), "{found:?}");
    let reasons_of_9 = found.iter().filter(|(row, _)| *row == 9).count();
    assert_eq!(reasons_of_9, 3, "{found:?}");
    assert!(items
        .iter()
        .all(|r| !r["reason"].as_str().unwrap().is_empty()));

    // Paged a row at a time, each page holds one row with all its reasons,
    // and together they hold every reason once.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.get(
            &format!("/api/v1/imports/{id}/rejections?limit=1{cursor}"),
            &token,
        );
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        let rows: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["row"].as_i64().unwrap())
            .collect();
        assert!(rows.windows(2).all(|w| w[0] == w[1]), "{rows:?}");
        paged.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, items);

    // Exactly the good rows, with one consignor for both spellings.
    assert_eq!(shipment_count(&app, &token), 3);
    let parties = app.get("/api/v1/parties?limit=500", &token).json();
    let names: Vec<&str> = parties["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.to_lowercase().contains("shengxue"))
            .count(),
        1,
        "{names:?}"
    );
    let found = app
        .get("/api/v1/shipments?tracking_number=1z-002", &token)
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");

    // Audited: the upload, acceptance with its counts, each settled batch
    // and the import with its totals.
    let entries = app.last_audit(200);
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for action in ["import.create", "import.accept", "import.batch", "import"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let accepted = entries
        .iter()
        .find(|e| e.action == "import.accept")
        .unwrap();
    let detail: Value = serde_json::from_str(accepted.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["rows"], 8);
    assert_eq!(detail["accepted"], 3);
    assert_eq!(detail["rejected"], 5);
    let summary = entries.iter().find(|e| e.action == "import").unwrap();
    let detail: Value = serde_json::from_str(summary.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["imported"], 3);
    assert_eq!(detail["rejected"], 5);

    // The import's page tells the same, with the refused lines.
    let mut visitor = crate::pages::Visitor::new(&app);
    visitor.sign_in("ana", PASSWORD);
    let page = visitor.get(&format!("/imports/{id}"));
    page.assert_html(200);
    for text in [
        "<strong>completed</strong>",
        "8 rows, 3 accepted",
        "3 of 3 settled, 3 shipments written",
        "consignor_country",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }
    assert!(!page.body.contains("refreshes"), "{}", page.body);

    // Running it again accepts nothing, and so adds nothing.
    let (_, again) = import(&app, &token, &body);
    assert_eq!(again["phase"], "completed", "{again}");
    assert_eq!(again["accepted"], 0, "{again}");
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(again["duplicates"], 3);
    assert_eq!(again["rejected"], 5);
    assert_eq!(shipment_count(&app, &token), 3);
}

/// A count from the database itself.
fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.database.connect();
    diesel::RunQueryDsl::get_result::<Count>(diesel::sql_query(sql), &mut conn)
        .unwrap()
        .n
}

fn lines(from: usize, to: usize) -> Vec<String> {
    (from..to)
        .map(|i| {
            line(
                &format!("1ZSTAGE{i:06}"),
                &format!("Consignor {} Trading", i % 37),
                "CN",
                "2026-05-01",
            )
        })
        .collect()
}

fn a_re_upload_overlapping_another_accepts_only_the_new_lines(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(agency, "ana", "investigator");
    let token = app.token("ana", PASSWORD);
    let (first, report) = import(&app, &token, &manifest(&lines(0, 30)));
    assert_eq!(report["accepted"], 30, "{report}");
    // Half of these were in the first file, and one is twice in this one.
    let mut second_lines = lines(15, 45);
    second_lines.push(second_lines[20].clone());
    let (second, report) = import(&app, &token, &manifest(&second_lines));
    assert_eq!(report["phase"], "completed", "{report}");
    assert_eq!(report["rows_read"], 31, "{report}");
    assert_eq!(report["accepted"], 15, "{report}");
    assert_eq!(report["duplicates"], 16, "{report}");
    assert_eq!(report["imported"], 15, "{report}");
    assert_ne!(first, second);
    // Each line once: staged, keyed and written as one shipment.
    assert_eq!(count(&app, "SELECT count(*) AS n FROM import_lines"), 45);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM import_lines WHERE NOT settled"
        ),
        0
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM import_keys"), 45);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM records WHERE kind = 'shipment'"
        ),
        45
    );
}

/// Settlement carries on where it stopped: lines accepted but not settled
/// when the instance died (one of them leased by its dead settler, the
/// lease run out) are settled by the next instance to start, each once,
/// and the import completes with its totals.
fn settlement_resumes_on_restart_and_takes_over_expired_leases(backend: Backend) {
    let settings = [("INTERDICT_SETTLE_BATCH", "7")];
    let app = TestApp::spawn_with(backend, &settings);
    let agency = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(agency, "ana", "investigator");
    let token = app.token("ana", PASSWORD);
    let (id, report) = import(&app, &token, &manifest(&lines(0, 20)));
    assert_eq!(report["settled"], 20, "{report}");
    let database = app.stop();

    // What a kill leaves: three more lines accepted, the import settling,
    // one line leased by a settler that is gone.
    let mut conn = database.connect();
    let cells = |i: usize| {
        serde_json::json!({
            "tracking_number": format!("1ZLEFT{i}"),
            "consignor_name": "Left Behind Trading",
            "consignor_country": "CN",
            "consignee_name": "Desert Supply LLC",
            "consignee_country": "US",
            "origin": "CNSZX",
            "destination": "US-TX",
        })
        .to_string()
    };
    let dead = Uuid::now_v7();
    for (i, lease) in [
        (1, "NULL, NULL".to_owned()),
        (2, format!("'{dead}', '2000-01-01 00:00:00'")),
        (3, "NULL, NULL".to_owned()),
    ] {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "INSERT INTO import_lines (import_id, owner_agency_id, line_key, row_number, cells, settled, lease_owner, lease_until) \
                 VALUES ('{id}', '{agency}', 'left-{i}', {}, '{}', false, {lease})",
                100 + i,
                cells(i)
            )),
            &mut conn,
        )
        .unwrap();
    }
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE imports SET accepted = accepted + 3, state = 'settling', finished_at = NULL WHERE id = '{id}'"
        )),
        &mut conn,
    )
    .unwrap();
    drop(conn);

    let app = TestApp::start_on(database, &settings);
    let token = app.token("ana", PASSWORD);
    let report = finished(&app, &token, id);
    assert_eq!(report["phase"], "completed", "{report}");
    assert_eq!(report["accepted"], 23, "{report}");
    assert_eq!(report["settled"], 23, "{report}");
    assert_eq!(report["imported"], 23, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM import_keys"), 23);
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM import_lines WHERE lease_owner = '{dead}'")
        ),
        0
    );
    let found = app
        .get("/api/v1/shipments?tracking_number=1ZLEFT2", &token)
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let batches: Vec<i64> = app
        .last_audit(500)
        .into_iter()
        .filter(|e| e.action == "import.batch" && e.object_id.as_deref() == Some(&id.to_string()))
        .map(|e| {
            let detail: Value = serde_json::from_str(e.detail.as_deref().unwrap()).unwrap();
            detail["settled"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(batches.iter().sum::<i64>(), 23, "{batches:?}");
    assert!(batches.iter().all(|n| *n <= 7), "{batches:?}");
}

/// The carriers' advance data: two agencies' lines with different
/// consignee names but the same consignee e-mail, and others sharing only
/// a phone written two ways, are connected; a bad value is refused naming
/// its column.
fn the_new_identifiers_deconflict_across_agencies(backend: Backend) {
    let app = TestApp::spawn(backend);
    let texas = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    let phoenix = app.create_agency("Phoenix Police", "AZPHX0000", "local", "AZ");
    app.create_user(texas, "ana", "investigator");
    app.create_user(phoenix, "ben", "investigator");
    let ana = app.token("ana", PASSWORD);
    let ben = app.token("ben", PASSWORD);
    let header = "tracking_number,consignor_name,consignor_country,consignee_name,consignee_country,origin,destination,pieces,master_awb,consignee_phone,consignee_email,shipper_account,booking_ip,payment_crypto_address";
    let texas_file = format!(
        "{header}\n\
         1ZADV001,Hebei Chem,CN,Desert Sun Supply LLC,US,CNSZX,US-TX,3,176-12345675,(602) 555-0143,Compras@Desert-Sun.example,ACCT-00912-X,203.0.113.9,\n\
         1ZADV002,Hebei Chem,CN,Someone,US,CNSZX,US-TX,none,,,,,,\n"
    );
    let (texas_import, report) = import(&app, &ana, texas_file.as_bytes());
    assert_eq!(report["imported"], 1, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    let refused = app
        .get(&format!("/api/v1/imports/{texas_import}/rejections"), &ana)
        .json();
    assert_eq!(refused["items"][0]["row"], 3, "{refused}");
    assert_eq!(refused["items"][0]["field"], "pieces", "{refused}");
    let phoenix_file = format!(
        "{header}\n\
         1ZADV900,Wuhan Kang,CN,Cactus Pigments Inc,US,CNSZX,US-AZ,1,,,compras@desert-sun.example,,,\n\
         1ZADV901,Wuhan Kang,CN,Saguaro Dyes,US,CNSZX,US-AZ,1,,+1 602 555 0143,,,,\n\
         1ZADV902,Wuhan Kang,CN,Ocotillo Tints,US,CNSZX,US-AZ,1,,,,acct 00912 x,,\n"
    );
    let (id, report) = import(&app, &ben, phoenix_file.as_bytes());
    assert_eq!(report["imported"], 3, "{report}");
    let refused = app
        .get(&format!("/api/v1/imports/{id}/rejections"), &ben)
        .json();
    assert_eq!(refused["items"].as_array().unwrap().len(), 0, "{refused}");
    for token in [&ana, &ben] {
        let notices = app.get("/api/v1/deconfliction?limit=100", token).json();
        let mut kinds: Vec<(String, String)> = notices["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["identifier_kind"].as_str().unwrap_or_default().to_owned(),
                    n["identifier_value"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                ("email".to_owned(), "compras@desert-sun.example".to_owned()),
                ("phone".to_owned(), "16025550143".to_owned()),
                ("shipper_account".to_owned(), "ACCT00912X".to_owned()),
            ],
            "{notices}"
        );
    }
}

/// Two instances on one PostgreSQL share the settlement of one import, and
/// no line is settled twice.
#[test]
#[cfg_attr(
    not(interdict_postgres_tests),
    ignore = "needs PostgreSQL: set INTERDICT_TEST_POSTGRES_URL when building and running the tests"
)]
fn two_instances_settle_one_import_without_settling_a_line_twice() {
    let settings = [("INTERDICT_SETTLE_BATCH", "20")];
    let first = TestApp::spawn_with(Backend::Postgres, &settings);
    let second = TestApp::start_on(first.database.shared(), &settings);
    let agency = first.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    first.create_user(agency, "ana", "investigator");
    let token = first.token("ana", PASSWORD);
    const LINES: usize = 1500;
    let (id, report) = import(&first, &token, &manifest(&lines(0, LINES)));
    assert_eq!(report["phase"], "completed", "{report}");
    assert_eq!(report["accepted"], LINES as i64, "{report}");
    assert_eq!(report["settled"], LINES as i64, "{report}");
    assert_eq!(report["imported"], LINES as i64, "{report}");
    assert_eq!(report["duplicates"], 0, "{report}");
    assert_eq!(
        count(&first, "SELECT count(*) AS n FROM import_keys"),
        LINES as i64
    );
    assert_eq!(
        count(
            &first,
            "SELECT count(*) AS n FROM records WHERE kind = 'shipment'"
        ),
        LINES as i64
    );
    // Both settled a share: the batches' entries name two settlers' leases.
    assert!(
        count(
            &first,
            "SELECT count(DISTINCT lease_owner) AS n FROM import_lines"
        ) >= 2,
        "one instance settled everything"
    );
    let settled: i64 = first
        .last_audit(1000)
        .into_iter()
        .filter(|e| e.action == "import.batch" && e.object_id.as_deref() == Some(&id.to_string()))
        .map(|e| {
            let detail: Value = serde_json::from_str(e.detail.as_deref().unwrap()).unwrap();
            detail["settled"].as_i64().unwrap()
        })
        .sum();
    assert_eq!(settled, LINES as i64);
    let ends = first
        .last_audit(1000)
        .into_iter()
        .filter(|e| e.action == "import" && e.object_id.as_deref() == Some(&id.to_string()))
        .count();
    assert_eq!(ends, 1);
    drop(second);
}

fn imported_shipments_are_deconflicted_and_private_to_their_agency(backend: Backend) {
    let app = TestApp::spawn(backend);
    let texas = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    let phoenix = app.create_agency("Phoenix Police", "AZPHX0000", "local", "AZ");
    app.create_user(texas, "ana", "investigator");
    app.create_user(phoenix, "ben", "investigator");
    app.create_user(texas, "tx-admin", "admin");
    let ana = app.token("ana", PASSWORD);
    let ben = app.token("ben", PASSWORD);
    let (id, report) = import(
        &app,
        &ana,
        &manifest(&[line("1Z777", "Shenzhen Rui Trading", "CN", "2026-04-01")]),
    );
    assert_eq!(report["imported"], 1, "{report}");
    let (_, report) = import(
        &app,
        &ben,
        &manifest(&[line("1Z 777", "Other Name Ltd", "CN", "2026-04-02")]),
    );
    assert_eq!(report["imported"], 1, "{report}");
    for token in [&ana, &ben] {
        let notices = app.get("/api/v1/deconfliction", token).json();
        let items = notices["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{notices}");
        assert_eq!(items[0]["identifier_value"], "1Z777");
    }
    // Another agency, and the importing agency's administrator, see nothing.
    app.get(&format!("/api/v1/imports/{id}"), &ben)
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/imports/{id}/rejections"), &ben)
        .assert_problem(404, "not-found");
    app.get(
        &format!("/api/v1/imports/{id}"),
        &app.token("tx-admin", PASSWORD),
    )
    .assert_problem(404, "not-found");
    assert_eq!(shipment_count(&app, &ben), 1);
}

fn bad_uploads_are_refused_with_a_clear_reason(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(agency, "ana", "investigator");
    app.create_user(agency, "aud", "auditor");
    let ana = app.token("ana", PASSWORD);
    let body = manifest(&[line("1Z1", "Acme Trading", "CN", "2026-01-01")]);

    app.request("POST", "/api/v1/imports")
        .bearer(&ana)
        .raw("application/json", &body)
        .assert_problem(415, "unsupported-media-type");
    upload(&app, &app.token("aud", PASSWORD), &body).assert_problem(403, "forbidden");
    upload(&app, "", &body).assert_problem(401, "unauthenticated");

    // A file whose header names an unknown column fails as a whole.
    let mut unknown = String::from(HEADER);
    unknown.push_str(",colour\n");
    let (_, report) = import(&app, &ana, unknown.as_bytes());
    assert_eq!(report["phase"], "failed", "{report}");
    assert!(
        report["error"].as_str().unwrap().contains("`colour`"),
        "{report}"
    );
    let (_, report) = import(&app, &ana, b"tracking_number,origin\n1Z1,CN\n");
    assert_eq!(report["phase"], "failed", "{report}");
    assert!(
        report["error"].as_str().unwrap().contains("consignor_name"),
        "{report}"
    );
    assert_eq!(shipment_count(&app, &ana), 0);
    app.get(&format!("/api/v1/imports/{}", Uuid::now_v7()), &ana)
        .assert_problem(404, "not-found");
}

const GOODS_HEADER: &str = "tracking_number,consignor_name,consignor_country,consignee_name,consignee_country,origin,destination,shipped_at,chemical_cas,chemical_quantity,chemical_unit,chemical_concentration,product_form,product_count,product_imprint,lab_substance,lab_purity_percent,dea_form,dea_transaction_id,dea_filed_on,dea_released_on";

/// Each shipment of the caller's agency, by its tracking number.
fn by_tracking(app: &TestApp, token: &str) -> std::collections::BTreeMap<String, Value> {
    let list = app.get("/api/v1/shipments?limit=500", token);
    assert_eq!(list.status, 200, "{}", list.text);
    list.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let id = item["id"].as_str().unwrap();
            let shipment = app.get(&format!("/api/v1/shipments/{id}"), token);
            assert_eq!(shipment.status, 200, "{}", shipment.text);
            let shipment = shipment.json();
            let tracking = shipment["tracking_numbers"][0]["value"]
                .as_str()
                .unwrap()
                .to_owned();
            (tracking, shipment)
        })
        .collect()
}

/// What the rules made of a shipment: its score, each indicator's code,
/// weight and sentence, each chemical line's control that day, and each
/// obligation with its status and due date.
fn weighed(app: &TestApp, token: &str, shipment: &Value) -> Value {
    let id = shipment["id"].as_str().unwrap();
    let owed = app.get(&format!("/api/v1/shipments/{id}/obligations"), token);
    assert_eq!(owed.status, 200, "{}", owed.text);
    let indicators: Vec<Value> = shipment["risk"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| serde_json::json!([i["code"], i["weight"], i["sentence"]]))
        .collect();
    serde_json::json!({
        "score": shipment["risk"]["score"],
        "indicators": indicators,
        "controls": shipment["controls"],
        "obligations": owed.json()["obligations"],
    })
}

fn codes(weighed: &Value) -> Vec<&str> {
    weighed["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[0].as_str().unwrap())
        .collect()
}

fn goods_columns_settle_into_shipments_weighed_and_owed_as_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend);
    let texas = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    let houston = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    app.create_user(texas, "ana", "investigator");
    app.create_user(houston, "ben", "investigator");
    let ana = app.token("ana", PASSWORD);
    let ben = app.token("ben", PASSWORD);

    let four_ap = "23056-29-3";
    let acetic_anhydride = "108-24-7";
    let piperidone = "41661-47-6";
    let lines = [
        // 4-AP with counterfeit pills, Form 486 filed 11 days before
        // release (due 15 before: 21 CFR 1313.12): late.
        format!("IMP-LATE,Hebei Chem,CN,Desert Supply,US,CNSZX,US-TX,2026-03-10,{four_ap},2,kg,98% w/w,tablet,1000,M 30,fentanyl,1.8,486,DEA-486-0001,2026-03-05,2026-03-16"),
        // Released with nothing filed: missing.
        format!("IMP-MISSING,Hebei Chem,CN,Desert Supply,US,CNSZX,US-TX,2026-03-10,{four_ap},2,kg,,,,,,,,,,2026-03-16"),
        // 0.4 × the 1,023 kg import threshold each, to one consignee in a
        // month: the third crosses the cumulative threshold.
        format!("IMP-AA-1,Hebei Chem,CN,Gulf Coast Solvents,US,CNSZX,US-TX,2026-01-03,{acetic_anhydride},409.2,kg,,,,,,,,,,"),
        format!("IMP-AA-2,Hebei Chem,CN,Gulf Coast Solvents,US,CNSZX,US-TX,2026-01-17,{acetic_anhydride},409.2,kg,,,,,,,,,,"),
        format!("IMP-AA-3,Hebei Chem,CN,Gulf Coast Solvents,US,CNSZX,US-TX,2026-01-29,{acetic_anhydride},409.2,kg,,,,,,,,,,"),
        // Before 4-piperidone was controlled (2023-05-12).
        format!("IMP-2022,Hebei Chem,CN,Desert Supply,US,CNSZX,US-TX,2022-06-15,{piperidone},5,kg,,,,,,,,,,"),
        // Refused at acceptance, each bad cell named by its column.
        format!("IMP-BAD,Hebei Chem,CN,Desert Supply,US,CNSZX,US-TX,2026-03-10,{four_ap},2,lb,98 percent,pill,1000,M 30,aspirin,140,999,DEA-1,05/03/2026,2026-03-16"),
        // Refused at settlement: water is not in the catalogue.
        "IMP-WATER,Hebei Chem,CN,Desert Supply,US,CNSZX,US-TX,2026-03-10,7732-18-5,2,L,,,,,,,,,,".to_owned(),
    ];
    let mut body = String::from(GOODS_HEADER);
    for line in &lines {
        body.push('\n');
        body.push_str(line);
    }
    body.push('\n');
    let (id, report) = import(&app, &ana, body.as_bytes());
    assert_eq!(report["phase"], "completed", "{report}");
    assert_eq!(report["imported"], 6, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let refused = app.get(&format!("/api/v1/imports/{id}/rejections"), &ana);
    assert_eq!(refused.status, 200, "{}", refused.text);
    let refused: Vec<(i64, String)> = refused.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for column in [
        "chemical_unit",
        "chemical_concentration",
        "product_form",
        "lab_substance",
        "dea_form",
        "dea_filed_on",
    ] {
        assert!(
            refused.contains(&(8, column.to_owned())),
            "{column} in {refused:?}"
        );
    }
    assert!(
        refused.contains(&(9, "chemical_cas".to_owned())),
        "{refused:?}"
    );

    let imported = by_tracking(&app, &ana);
    let late = &imported["IMP-LATE"];
    assert_eq!(late["lines"][0]["concentration"], "98% w/w");
    assert_eq!(late["products"][0]["imprint"], "M 30");
    assert_eq!(late["dea"]["filings"][0]["transaction_id"], "DEA-486-0001");
    let rules = |tracking: &str| weighed(&app, &ana, &imported[tracking]);
    let late = rules("IMP-LATE");
    assert_eq!(late["obligations"][0]["status"], "late", "{late}");
    assert_eq!(late["obligations"][0]["due"], "2026-03-01", "{late}");
    for code in ["late_dea_notice", "counterfeit_pill", "controlled_chemical"] {
        assert!(codes(&late).contains(&code), "{code} in {late}");
    }
    let missing = rules("IMP-MISSING");
    assert_eq!(missing["obligations"][0]["status"], "missing", "{missing}");
    assert!(codes(&missing).contains(&"missing_dea_notice"), "{missing}");
    assert!(!codes(&rules("IMP-AA-2")).contains(&"cumulative_threshold"));
    let third = rules("IMP-AA-3");
    assert!(codes(&third).contains(&"cumulative_threshold"), "{third}");
    let before = rules("IMP-2022");
    assert_eq!(before["score"], 0.0, "{before}");
    assert!(before["controls"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("not controlled then (List I from 2023-05-12)"));

    // The same shipments entered through the API by another agency, in
    // the same order, with parties of its own: the rules make the same of
    // them, sentence for sentence.
    let mut parties = std::collections::HashMap::new();
    let mut party = |name: &str, country: &str| -> Value {
        parties
            .entry(name.to_owned())
            .or_insert_with(|| {
                let made = app.post(
                    "/api/v1/parties",
                    &ben,
                    serde_json::json!({ "kind": "company", "name": format!("{name} (entered)"),
                                        "address": { "country": country } }),
                );
                assert_eq!(made.status, 201, "{}", made.text);
                Value::String(made.id().to_string())
            })
            .clone()
    };
    let order = [
        "IMP-LATE",
        "IMP-MISSING",
        "IMP-AA-1",
        "IMP-AA-2",
        "IMP-AA-3",
        "IMP-2022",
    ];
    let mut entered = Vec::new();
    for tracking in order {
        let s = &imported[tracking];
        let consignor = party("Hebei Chem", "CN");
        let consignee = party(
            if tracking.starts_with("IMP-AA") {
                "Gulf Coast Solvents"
            } else {
                "Desert Supply"
            },
            "US",
        );
        let mut shipment = serde_json::json!({
            "incident_type": s["incident_type"], "status": s["status"], "mode": s["mode"],
            "tracking_numbers": [{ "kind": "courier_tracking", "value": format!("API{tracking}") }],
            "parties": [{ "party_id": consignor, "role": "consignor" },
                        { "party_id": consignee, "role": "consignee" }],
            "lines": s["lines"], "legs": s["legs"],
        });
        for optional in ["products", "dea"] {
            if !s[optional].is_null() {
                shipment[optional] = s[optional].clone();
            }
        }
        let made = app.post("/api/v1/shipments", &ben, shipment);
        assert_eq!(made.status, 201, "{}", made.text);
        entered.push((tracking, made.id()));
    }
    for (tracking, id) in entered {
        let through_api = app.get(&format!("/api/v1/shipments/{id}"), &ben).json();
        assert_eq!(
            weighed(&app, &ben, &through_api),
            rules(tracking),
            "{tracking}: through the API, then imported"
        );
    }
}

/// Every shipment's kept findings against what the rules make of it now,
/// its profile gathered afresh: a refresh left out would leave some stale.
fn assert_kept_findings_current(app: &TestApp) {
    use diesel::prelude::*;
    use interdict_persistence::schema::{records, risk_findings};
    use interdict_persistence::DbUuid;
    let mut conn = app.database.connect();
    let shipments: Vec<(DbUuid, String)> = records::table
        .filter(records::kind.eq("shipment"))
        .select((records::id, records::body))
        .load(&mut conn)
        .unwrap();
    let kept: std::collections::HashMap<DbUuid, String> = risk_findings::table
        .select((risk_findings::record_id, risk_findings::findings))
        .load::<(DbUuid, String)>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    let bodies: Vec<(Uuid, &str)> = shipments.iter().map(|(id, b)| (id.0, b.as_str())).collect();
    let profiles = interdict_persistence::risk::Profiler::default()
        .profiles(&mut conn, &bodies)
        .unwrap();
    for ((id, _), profile) in bodies.iter().zip(&profiles) {
        let now = interdict_domain::risk::findings(profile);
        let stored: Vec<interdict_domain::risk::Finding> =
            serde_json::from_str(kept.get(&DbUuid(*id)).expect("kept findings")).unwrap();
        assert_eq!(stored, now, "shipment {id}: kept findings are stale");
    }
}

/// A second import changes what the rules find on some of the first
/// one's shipments, and the batch refreshes exactly what it must: a line
/// dated earlier in the month adds to the monthly totals of the later
/// shipments of the same chemical to the same consignee, the consignor's
/// first shipment stays the one first seen, and every shipment's kept
/// findings are what its profile gives now.
fn a_later_import_keeps_the_earlier_shipments_findings_current(backend: Backend) {
    let app = TestApp::spawn(backend);
    let texas = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(texas, "ana", "investigator");
    let ana = app.token("ana", PASSWORD);
    let goods = |lines: &[String]| {
        let mut body = String::from(GOODS_HEADER);
        for line in lines {
            body.push('\n');
            body.push_str(line);
        }
        body.push('\n');
        body.into_bytes()
    };
    // 0.4 × the 1,023 kg import threshold of acetic anhydride each.
    let aa = |tracking: &str, day: &str| {
        format!("{tracking},Hebei Chem,CN,Gulf Coast Solvents,US,CNSZX,US-TX,2026-01-{day},108-24-7,409.2,kg,,,,,,,,,,")
    };
    let plain = |tracking: &str, day: &str| {
        format!("{tracking},Hebei Chem,CN,Gulf Coast Solvents,US,CNSZX,US-TX,2026-01-{day},,,,,,,,,,,,,")
    };
    let (_, report) = import(
        &app,
        &ana,
        &goods(&[
            aa("KEPT-AA-1", "03"),
            aa("KEPT-AA-2", "17"),
            plain("KEPT-PLAIN-1", "20"),
        ]),
    );
    assert_eq!(report["imported"], 3, "{report}");
    let rules = |tracking: &str| {
        let imported = by_tracking(&app, &ana);
        weighed(&app, &ana, &imported[tracking])
    };
    assert!(!codes(&rules("KEPT-AA-2")).contains(&"cumulative_threshold"));
    assert_kept_findings_current(&app);

    let (_, report) = import(
        &app,
        &ana,
        &goods(&[aa("KEPT-AA-0", "02"), plain("KEPT-PLAIN-0", "05")]),
    );
    assert_eq!(report["imported"], 2, "{report}");
    // 3 × 409.2 kg by the 17th: the second shipment now crosses it.
    let second = rules("KEPT-AA-2");
    assert!(codes(&second).contains(&"cumulative_threshold"), "{second}");
    assert!(!codes(&rules("KEPT-AA-1")).contains(&"cumulative_threshold"));
    let first_seen: Vec<String> = by_tracking(&app, &ana)
        .iter()
        .filter(|(_, s)| codes(&weighed(&app, &ana, s)).contains(&"first_seen_consignor"))
        .map(|(tracking, _)| tracking.clone())
        .collect();
    assert_eq!(first_seen, ["KEPT-AA-1"]);
    assert_kept_findings_current(&app);
}

both_backends!(
    an_import_writes_the_good_rows_and_reports_each_bad_one,
    imported_shipments_are_deconflicted_and_private_to_their_agency,
    bad_uploads_are_refused_with_a_clear_reason,
    a_re_upload_overlapping_another_accepts_only_the_new_lines,
    settlement_resumes_on_restart_and_takes_over_expired_leases,
    the_new_identifiers_deconflict_across_agencies,
    goods_columns_settle_into_shipments_weighed_and_owed_as_through_the_api,
    a_later_import_keeps_the_earlier_shipments_findings_current,
    awkward_cells_are_accepted_and_settled_as_written,
);

/// Cells with quotes, commas, backslashes and any script reach the
/// shipment as written (acceptance copies them through a staging table on
/// PostgreSQL); a cell holding a line break is refused on its own row, and
/// the rows after it keep their numbers; a line twice in one file is
/// accepted once.
fn awkward_cells_are_accepted_and_settled_as_written(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("Texas DPS", "TXDPS0000", "state", "TX");
    app.create_user(agency, "ana", "investigator");
    let token = app.token("ana", PASSWORD);
    let name = r#"Shenzhen "Best", Ltd. \N \. 深圳 Ünïcødé 🚚"#;
    let description = r#"pigment, "red"; 50% \t tabbed, \"#;
    let csv_name = name.replace('"', "\"\"");
    let csv_description = description.replace('"', "\"\"");
    let awkward = format!(
        "1ZAWK1,DHL,air_express,\"{csv_name}\",\"1 Road, Shenzhen\",CN,\"Desert Supply, LLC\",,US,\"{csv_description}\",3204.17,2.5,120.00,USD,CNSZX,US-TX,2026-05-01,"
    );
    let body = manifest(&[
        awkward.clone(),
        // Line 3, over two lines of the file.
        "1ZAWK2,DHL,air_express,Wuhan Kang,,CN,Desert Supply,,US,\"two\nlines\",,,,,CNSZX,US-TX,2026-05-01,".to_owned(),
        // Line 5: the first line again.
        awkward,
        "1ZAWK3,DHL,air_express,Wuhan Kang,,CN,Desert Supply,,US,,,,,,CNSZX,US-TX,2026-05-02,".to_owned(),
    ]);
    let (id, report) = import(&app, &token, &body);
    assert_eq!(report["phase"], "completed", "{report}");
    assert_eq!(report["rows_read"], 4, "{report}");
    assert_eq!(report["accepted"], 2, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["imported"], 2, "{report}");
    let rejections = app.get(&format!("/api/v1/imports/{id}/rejections"), &token);
    assert_eq!(rejections.status, 200, "{}", rejections.text);
    let items = rejections.json()["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["row"], 3, "{items}");
    assert_eq!(items[0]["field"], "description", "{items}");
    assert_eq!(
        count(&app, "SELECT max(row_number) AS n FROM import_lines"),
        6
    );

    let shipments = by_tracking(&app, &token);
    assert_eq!(shipments.len(), 2, "{shipments:?}");
    let shipment = &shipments["1ZAWK1"];
    assert_eq!(shipment["declared_description"], description, "{shipment}");
    let parties = app.get("/api/v1/parties?limit=500", &token).json();
    let names: Vec<&str> = parties["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&name), "{names:?}");
}
