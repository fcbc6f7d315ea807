//! Sanctions screening and watchlists over HTTP: a newer list finds an
//! old party, a false positive stops counting but stays on record, and a
//! notification commits with its write or not at all, naming only the
//! holding agency to a subscriber who may not see the record.

use interdict_tests::{both_backends, Backend, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::fixtures::{created, HoustonHidta};
use crate::pages::Visitor;

both_backends!(
    a_newer_list_makes_a_new_hit_on_an_old_party,
    a_false_positive_silences_the_indicator_and_stays_in_history,
    a_notification_commits_with_its_write_or_not_at_all,
    a_hidden_record_notifies_only_the_holding_agency,
    ad_hoc_screening_is_audited_and_checks_its_input,
    an_import_matching_one_watch_many_times_notifies_once_with_a_count,
    the_pages_screen_watch_notify_and_show_hits_in_the_queue,
);

const OLD_SDN: &str =
    "100,\"PEARL RIVER BROKERS\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
const NEW_SDN: &str = "100,\"PEARL RIVER BROKERS\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
200,\"HEBEI SHENGXUE BIOTECH CO., LTD.\",-0- ,\"ILLICIT-DRUGS-EO14059\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
const ALT: &str = "200,1,\"aka\",\"SHENGXUE BIO-TECHNOLOGY\",-0- \r\n";
const ADD: &str = "200,1,-0- ,\"Shijiazhuang\",\"China\",-0- \r\n";

fn load(app: &TestApp, date: &str, sdn: &str, alt: &str, add: &str) -> Value {
    let response = app.post(
        "/api/v1/sanctions/lists",
        &app.admin_token(),
        json!({ "list_date": date, "sdn": sdn, "alt": alt, "add": add }),
    );
    assert_eq!(response.status, 201, "{}", response.text);
    response.json()
}

/// Waits until the list's re-screening of every party has ended.
fn rescreened(app: &TestApp, list: &str, token: &str) {
    let started = Instant::now();
    loop {
        let lists = app.get("/api/v1/sanctions/lists", token).json();
        let done = lists
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == list && l["rescreen_done"] == true);
        if done {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "re-screening did not end: {lists}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn shengxue(app: &TestApp, token: &str) -> Uuid {
    created(app.post(
        "/api/v1/parties",
        token,
        json!({ "kind": "company", "name": "Hebei Shengxue Bio-Tech Co., Ltd", "address": { "country": "CN" } }),
    ))
}

fn shipment_naming(app: &TestApp, token: &str, party: Uuid, awb: &str) -> Uuid {
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo",
            "tracking_numbers": [{ "kind": "air_waybill", "value": awb }],
            "parties": [{ "party_id": party, "role": "consignor" }],
            "legs": [{ "from": { "country": "CN", "city": "Shanghai" }, "to": { "country": "US", "subdivision": "US-TX", "city": "Houston" },
                       "departure_at": "2026-03-01T08:00:00Z", "arrival_at": "2026-03-02T12:00:00Z" }]
        }),
    ))
}

fn indicator_codes(app: &TestApp, token: &str, shipment: Uuid) -> Vec<String> {
    let shown = app
        .get(&format!("/api/v1/shipments/{shipment}"), token)
        .json();
    shown["risk"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect()
}

fn hits(app: &TestApp, token: &str, party: Uuid) -> Vec<Value> {
    let response = app.get(&format!("/api/v1/parties/{party}/screening"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["hits"].as_array().unwrap().clone()
}

fn a_newer_list_makes_a_new_hit_on_an_old_party(backend: Backend) {
    let app = TestApp::spawn(backend);
    let w = HoustonHidta::create(&app, &[('a', "inv_a", "investigator")]);
    let _ = w;
    let inv = app.token("inv_a", interdict_tests::PASSWORD);
    load(&app, "2021-06-01", OLD_SDN, "", "");
    // Entered before its designation: no hit.
    let party = shengxue(&app, &inv);
    let shipment = shipment_naming(&app, &inv, party, "176-12345675");
    assert!(hits(&app, &inv, party).is_empty());
    assert!(!indicator_codes(&app, &inv, shipment).contains(&"sanctioned_party".to_owned()));

    let newer = load(&app, "2021-12-15", NEW_SDN, ALT, ADD);
    rescreened(&app, newer["id"].as_str().unwrap(), &inv);
    let found = hits(&app, &inv, party);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["entry_id"], 200);
    assert_eq!(found[0]["list_date"], "2021-12-15");
    assert_eq!(found[0]["programs"], json!(["ILLICIT-DRUGS-EO14059"]));
    assert!(found[0]["score"].as_f64().unwrap() >= 0.8);
    assert!(!found[0]["signals"].as_array().unwrap().is_empty());
    assert!(indicator_codes(&app, &inv, shipment).contains(&"sanctioned_party".to_owned()));
    // A party written now is screened in the write's transaction.
    let later = shengxue(&app, &inv);
    assert_eq!(hits(&app, &inv, later).len(), 1);
    // The re-screening is audited as the system's.
    let entries = app.last_audit(200);
    assert!(entries.iter().any(|e| e.action == "sanctions.rescreen"));
    assert!(entries.iter().any(|e| e.action == "sanctions.load"));
}

fn a_false_positive_silences_the_indicator_and_stays_in_history(backend: Backend) {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(
        &app,
        &[('a', "inv_a", "investigator"), ('a', "sup_a", "supervisor")],
    );
    let inv = app.token("inv_a", interdict_tests::PASSWORD);
    let sup = app.token("sup_a", interdict_tests::PASSWORD);
    load(&app, "2021-12-15", NEW_SDN, ALT, ADD);
    let party = shengxue(&app, &inv);
    let shipment = shipment_naming(&app, &inv, party, "176-12345675");
    assert!(indicator_codes(&app, &inv, shipment).contains(&"sanctioned_party".to_owned()));
    let hit = hits(&app, &inv, party)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The supervisor's queue shows it.
    let open = app.get("/api/v1/screening/hits", &sup).json();
    assert!(open
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["id"] == hit.as_str()));

    let path = format!("/api/v1/screening/hits/{hit}/disposition");
    let body = json!({ "disposition": "false_positive", "reason": "Different company: registry shows a Hebei dye maker" });
    // An investigator may not; a reason is required.
    app.post(&path, &inv, body.clone())
        .assert_problem(403, "forbidden");
    let refused = app.post(
        &path,
        &sup,
        json!({ "disposition": "false_positive", "reason": " " }),
    );
    assert_eq!(refused.status, 422, "{}", refused.text);
    let disposed = app.post(&path, &sup, body.clone());
    assert_eq!(disposed.status, 200, "{}", disposed.text);
    assert_eq!(app.post(&path, &sup, body).status, 409);

    assert!(!indicator_codes(&app, &inv, shipment).contains(&"sanctioned_party".to_owned()));
    let history = hits(&app, &inv, party);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["disposition"], "false_positive");
    assert_eq!(
        history[0]["disposition_reason"],
        "Different company: registry shows a Hebei dye maker"
    );
    let open = app.get("/api/v1/screening/hits", &sup).json();
    assert!(!open
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["id"] == hit.as_str()));
    let entry = app
        .last_audit(20)
        .into_iter()
        .find(|e| e.action == "screening.dispose" && e.outcome == "allowed")
        .expect("the disposition is audited");
    assert_eq!(entry.object_id.as_deref(), Some(hit.as_str()));
}

fn notifications(app: &TestApp, token: &str) -> Value {
    let response = app.get("/api/v1/notifications", token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn a_notification_commits_with_its_write_or_not_at_all(backend: Backend) {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(
        &app,
        &[
            ('a', "inv_a", "investigator"),
            ('a', "inv_a2", "investigator"),
        ],
    );
    let inv = app.token("inv_a", interdict_tests::PASSWORD);
    let watcher = app.token("inv_a2", interdict_tests::PASSWORD);
    load(&app, "2021-12-15", NEW_SDN, ALT, ADD);
    let watch = app.post(
        "/api/v1/watchlists",
        &watcher,
        json!({ "kind": "identifier", "value": "+86 311 8888 0000" }),
    );
    assert_eq!(watch.status, 201, "{}", watch.text);
    let bad = app.post(
        "/api/v1/watchlists",
        &watcher,
        json!({ "kind": "mood", "value": "x" }),
    );
    assert_eq!(bad.status, 422, "{}", bad.text);

    // The party's write fails after the notification was written (its
    // screening cannot be stored): neither the party nor the notification
    // remains.
    {
        use diesel::prelude::*;
        let mut conn = app.database.connect();
        diesel::sql_query("ALTER TABLE screening_hits RENAME TO screening_hits_away")
            .execute(&mut conn)
            .unwrap();
    }
    let body = json!({ "kind": "company", "name": "Hebei Shengxue Bio-Tech Co., Ltd",
        "address": { "country": "CN" }, "phones": ["+86 311 8888 0000"] });
    let failed = app.post("/api/v1/parties", &inv, body.clone());
    assert_eq!(failed.status, 500, "{}", failed.text);
    assert_eq!(notifications(&app, &watcher)["unread"], 0);
    assert!(notifications(&app, &watcher)["items"]
        .as_array()
        .unwrap()
        .is_empty());
    {
        use diesel::prelude::*;
        let mut conn = app.database.connect();
        diesel::sql_query("ALTER TABLE screening_hits_away RENAME TO screening_hits")
            .execute(&mut conn)
            .unwrap();
    }
    // The same write, committed, brings its notification with it.
    let party = created(app.post("/api/v1/parties", &inv, body));
    let listed = notifications(&app, &watcher);
    assert_eq!(listed["unread"], 1, "{listed}");
    let item = &listed["items"][0];
    assert_eq!(item["record_id"], json!(party));
    assert_eq!(item["visible"], true);
    assert_eq!(item["count"], 1);
    // The writer is not notified of their own write; reading marks it.
    let id = item["id"].as_str().unwrap();
    let read = app.post(
        &format!("/api/v1/notifications/{id}/read"),
        &watcher,
        json!({}),
    );
    assert_eq!(read.status, 204, "{}", read.text);
    assert_eq!(notifications(&app, &watcher)["unread"], 0);
    // Muted, a watch notifies nobody.
    let watch_id = watch.json()["id"].as_str().unwrap().to_owned();
    let muted = app.post(
        &format!("/api/v1/watchlists/{watch_id}/mute"),
        &watcher,
        json!({ "muted": true }),
    );
    assert_eq!(muted.status, 200, "{}", muted.text);
    created(app.post(
        "/api/v1/parties",
        &inv,
        json!({ "kind": "company", "name": "Other Co", "phones": ["+86 311 8888 0000"] }),
    ));
    assert_eq!(
        notifications(&app, &watcher)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

fn a_hidden_record_notifies_only_the_holding_agency(backend: Backend) {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(
        &app,
        &[
            ('a', "inv_a", "investigator"),
            ('c', "inv_c", "investigator"),
        ],
    );
    let inv_a = app.token("inv_a", interdict_tests::PASSWORD);
    let inv_c = app.token("inv_c", interdict_tests::PASSWORD);
    let watch = app.post(
        "/api/v1/watchlists",
        &inv_c,
        json!({ "kind": "identifier", "value": "176 1234 5675" }),
    );
    assert_eq!(watch.status, 201, "{}", watch.text);
    // HSI Houston records a shipment it does not share with Phoenix PD.
    let party = created(app.post(
        "/api/v1/parties",
        &inv_a,
        json!({ "kind": "company", "name": "Pearl River Forwarding" }),
    ));
    let shipment = shipment_naming(&app, &inv_a, party, "176-12345675");
    let listed = notifications(&app, &inv_c);
    assert_eq!(listed["unread"], 1, "{listed}");
    let item = &listed["items"][0];
    assert_eq!(item["visible"], false);
    assert_eq!(item["record_id"], Value::Null);
    assert_eq!(item["record_kind"], Value::Null);
    assert_eq!(item["holding_agency"]["name"], "HSI Houston");
    assert_eq!(item["holding_agency"]["ori"], "TXHSI0100");
    assert!(!listed.to_string().contains(&shipment.to_string()));
    assert!(!listed.to_string().contains("Pearl River"));
}

fn ad_hoc_screening_is_audited_and_checks_its_input(backend: Backend) {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(&app, &[('a', "inv_a", "investigator")]);
    let inv = app.token("inv_a", interdict_tests::PASSWORD);
    load(&app, "2021-12-15", NEW_SDN, ALT, ADD);
    let response = app.post(
        "/api/v1/screening",
        &inv,
        json!({ "name": "HEBEI SHENGXUE BIOTECH", "country": "CN" }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    let answer = response.json();
    assert_eq!(answer["hits"][0]["entry_id"], 200, "{answer}");
    assert_eq!(answer["list"]["list_date"], "2021-12-15");
    let missed = app
        .post("/api/v1/screening", &inv, json!({ "name": "Acme Toys" }))
        .json();
    assert!(missed["hits"].as_array().unwrap().is_empty());
    let bad = app.post("/api/v1/screening", &inv, json!({ "name": "x", "nick": 1 }));
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.json()["errors"][0]["field"], "nick");
    let empty = app.post("/api/v1/screening", &inv, json!({ "name": "  " }));
    assert_eq!(empty.json()["errors"][0]["field"], "name", "{}", empty.text);
    let entries = app.last_audit(10);
    assert!(entries
        .iter()
        .any(|e| e.action == "screening.run" && e.outcome == "allowed"));
}

fn an_import_matching_one_watch_many_times_notifies_once_with_a_count(backend: Backend) {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(
        &app,
        &[('a', "inv_a", "investigator"), ('a', "sup_a", "supervisor")],
    );
    let importer = app.token("inv_a", interdict_tests::PASSWORD);
    let watcher = app.token("sup_a", interdict_tests::PASSWORD);
    let party = created(app.post(
        "/api/v1/parties",
        &importer,
        json!({ "kind": "company", "name": "Hebei Shengxue Trading Co., Ltd.", "address": { "country": "CN" } }),
    ));
    let watch = app.post(
        "/api/v1/watchlists",
        &watcher,
        json!({ "kind": "party", "value": party }),
    );
    assert_eq!(watch.status, 201, "{}", watch.text);
    let mut text = String::from("tracking_number,carrier,mode,consignor_name,consignor_address,consignor_country,consignee_name,consignee_address,consignee_country,description,hs_code,weight_kg,value,currency,origin,destination,shipped_at,arrived_at\n");
    for n in 0..50 {
        text.push_str(&format!(
            "1Z{n:05},DHL,air_express,\"Hebei Shengxue Trading Co., Ltd.\",\"1 Road, Shenzhen\",CN,\"Desert Supply, LLC\",,US,pigment,3204.17,2.5,120.00,USD,CNSZX,US-TX,2026-03-01,\n"
        ));
    }
    for n in 0..30 {
        text.push_str(&format!(
            "2Z{n:05},DHL,air_express,\"Wuhan Kang Biotech\",\"2 Road, Wuhan\",CN,\"Desert Supply, LLC\",,US,pigment,3204.17,2.5,120.00,USD,CNSZX,US-TX,2026-03-01,\n"
        ));
    }
    let response = app
        .request("POST", "/api/v1/imports?file_name=manifest.csv")
        .bearer(&importer)
        .raw("text/csv", text.as_bytes());
    assert_eq!(response.status, 202, "{}", response.text);
    let id = response.id();
    let started = Instant::now();
    loop {
        let import = app.get(&format!("/api/v1/imports/{id}"), &importer).json();
        if import["phase"] == "completed" || import["phase"] == "failed" {
            assert_eq!(import["imported"], 80, "{import}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{import}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let listed = notifications(&app, &watcher);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["count"], 50);
    assert_eq!(items[0]["cause"], "import");
    assert_eq!(items[0]["visible"], true);
}

fn the_pages_screen_watch_notify_and_show_hits_in_the_queue(backend: Backend) {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(
        &app,
        &[('a', "inv_a", "investigator"), ('a', "sup_a", "supervisor")],
    );
    let inv = app.token("inv_a", interdict_tests::PASSWORD);
    load(&app, "2021-12-15", NEW_SDN, ALT, ADD);
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("sup_a", interdict_tests::PASSWORD);

    let form = visitor.get("/screening?name=HEBEI+SHENGXUE+BIOTECH&country=CN");
    form.assert_html(200);
    assert!(
        form.body.contains("HEBEI SHENGXUE BIOTECH CO., LTD."),
        "{}",
        form.body
    );
    assert!(form.body.contains("2021-12-15"));

    // A watch added on the page; a matching write shows in the header.
    let page = visitor.get("/watchlists");
    page.assert_html(200);
    let added = visitor.post(
        "/watchlists",
        &[
            ("csrf", &page.csrf()),
            ("kind", "identifier"),
            ("value", "+86 311 8888 0000"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let party = created(app.post(
        "/api/v1/parties",
        &inv,
        json!({ "kind": "company", "name": "Hebei Shengxue Bio-Tech Co., Ltd",
                "address": { "country": "CN" }, "phones": ["+86 311 8888 0000"] }),
    ));
    let queue = visitor.get("/reviews");
    queue.assert_html(200);
    assert!(
        queue.body.contains("aria-label=\"unread\">1<"),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("Sanctions hits"));
    assert!(queue.body.contains("HEBEI SHENGXUE BIOTECH CO., LTD."));
    let listed = visitor.get("/notifications");
    listed.assert_html(200);
    assert!(listed.body.contains(&party.to_string()), "{}", listed.body);

    let hit = hits(&app, &inv, party)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disposed = visitor.post(
        &format!("/screening/hits/{hit}/dispose"),
        &[
            ("csrf", &queue.csrf()),
            ("reason", "Another company of the same name"),
        ],
    );
    assert_eq!(disposed.status, 303, "{}", disposed.body);
    assert_eq!(hits(&app, &inv, party)[0]["disposition"], "false_positive");

    // The administrator's page and /readyz say the list is old.
    let mut admin = Visitor::new(&app);
    admin.sign_in("admin", interdict_tests::ADMIN_PASSWORD);
    let users = admin.get("/admin/users");
    users.assert_html(200);
    assert!(
        users.body.contains("more than 30 days old"),
        "{}",
        users.body
    );
    let ready = app.request("GET", "/readyz").send().json();
    assert_eq!(ready["sanctions"]["list_date"], "2021-12-15", "{ready}");
    assert_eq!(ready["sanctions"]["stale"], true);
}
