//! Shipment references: every shipment gets its agency's ORI, the year and
//! a number counted per agency, unique even when several instances write
//! at once; searchable, and shown where a shipment is named. Over HTTP
//! and straight to persistence, on both backends.

use chrono::Utc;
use interdict_domain::agency::NewAgency;
use interdict_persistence::agencies::{self, AgencyRow};
use interdict_persistence::references;
use interdict_tests::{both_backends, Backend, TestApp, TestDatabase, PASSWORD};
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

use crate::pages::Visitor;

both_backends!(
    each_agency_counts_its_own_references,
    a_reference_finds_its_shipment_for_those_who_may_see_it,
    instances_writing_at_once_never_share_a_number,
    the_counter_is_prepared_once_per_connection,
    pages_and_exports_name_shipments_by_reference,
    the_link_form_takes_a_reference_or_tracking_number,
);

fn shipment(app: &TestApp, token: &str, tracking: &str) -> serde_json::Value {
    let created = app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo", "declared_description": "resin",
            "tracking_numbers": [{ "kind": "air_waybill", "value": tracking }],
            "legs": [{ "from": { "country": "CN", "city": "Wuhan", "locode": "CNWUH" }, "to": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" } },
                     { "from": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" }, "to": { "country": "MX", "city": "Nuevo Laredo", "locode": "MXNLD" } }]
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()
}

struct World {
    app: TestApp,
    houston: String,
    phoenix: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    let a = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    let c = app.create_agency("Phoenix PD", "AZ0072300", "local", "AZ");
    app.create_user(a, "inv.a", "investigator");
    app.create_user(c, "inv.c", "investigator");
    World {
        houston: app.token("inv.a", PASSWORD),
        phoenix: app.token("inv.c", PASSWORD),
        app,
    }
}

fn year() -> String {
    Utc::now().format("%Y").to_string()
}

fn each_agency_counts_its_own_references(backend: Backend) {
    let w = world(backend);
    let first = shipment(&w.app, &w.houston, "176-12345675");
    let other = shipment(&w.app, &w.phoenix, "176-22345675");
    let second = shipment(&w.app, &w.houston, "176-32345675");
    let y = year();
    assert_eq!(first["reference"], format!("TXHSI0100-{y}-000001"));
    assert_eq!(second["reference"], format!("TXHSI0100-{y}-000002"));
    assert_eq!(other["reference"], format!("AZ0072300-{y}-000001"));
    // The reference stays through a change of the document.
    let id = first["id"].as_str().unwrap();
    let changed = w
        .app
        .request("PATCH", &format!("/api/v1/shipments/{id}"))
        .bearer(&w.houston)
        .header("If-Match", "\"1\"")
        .json(json!({ "declared_description": "plastic resin" }));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json()["reference"], first["reference"]);
}

fn a_reference_finds_its_shipment_for_those_who_may_see_it(backend: Backend) {
    let w = world(backend);
    let created = shipment(&w.app, &w.houston, "176-12345675");
    let reference = created["reference"].as_str().unwrap().to_owned();
    for q in [reference.clone(), reference.to_lowercase()] {
        let found = w
            .app
            .get(&format!("/api/v1/shipments?q={q}"), &w.houston)
            .json();
        let items = found["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{q}: {found}");
        assert_eq!(items[0]["id"], created["id"]);
    }
    // Another agency learns nothing by searching for it.
    let found = w
        .app
        .get(&format!("/api/v1/shipments?q={reference}"), &w.phoenix)
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "{found}");
}

/// Every create raises its agency's counter: the statement is prepared on
/// a connection's first create and kept, not parsed and planned again each
/// time (SQLite did, for a twentieth of a create's CPU).
fn the_counter_is_prepared_once_per_connection(backend: Backend) {
    use diesel::connection::{Connection, InstrumentationEvent};
    use std::sync::{Arc, Mutex};
    let database = TestDatabase::create(backend);
    let agency = AgencyRow::new(
        &NewAgency::parse("HSI Houston", "federal", "US", "TXHSI0100", "desk").unwrap(),
        false,
    );
    let pool = database.pool();
    let mut pooled = pool.get().unwrap();
    let conn: &mut interdict_persistence::DbConnection = &mut pooled;
    agencies::insert(conn, &agency).unwrap();
    let cached = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&cached);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::CacheQuery { sql, .. } = event {
            seen.lock().unwrap().push(sql.to_owned());
        }
    });
    let at = Utc::now().naive_utc();
    let mut got = Vec::new();
    for _ in 0..3 {
        got.extend(
            conn.transaction(|conn| references::allocate(conn, &[agency.id.0], at))
                .unwrap(),
        );
    }
    let y = at.format("%Y");
    assert_eq!(
        got,
        (1..=3)
            .map(|n| format!("TXHSI0100-{y}-{n:06}"))
            .collect::<Vec<_>>()
    );
    let counters: Vec<String> = cached
        .lock()
        .unwrap()
        .iter()
        .filter(|sql| sql.contains("reference_counters"))
        .cloned()
        .collect();
    assert_eq!(counters.len(), 1, "{counters:#?}");
}

fn instances_writing_at_once_never_share_a_number(backend: Backend) {
    let database = TestDatabase::create(backend);
    // Two pools: two instances of the application on one database.
    let pools = [database.pool(), database.pool()];
    let agency = AgencyRow::new(
        &NewAgency::parse("HSI Houston", "federal", "US", "TXHSI0100", "desk").unwrap(),
        false,
    );
    let mut conn = database.connect();
    agencies::insert(&mut conn, &agency).unwrap();
    let agency = agency.id.0;
    let at = Utc::now().naive_utc();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let pool = pools[i % 2].clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for _ in 0..10 {
                    let mut conn = pool.get().expect("connection");
                    let batch = vec![agency; 1 + i % 3];
                    let conn: &mut interdict_persistence::DbConnection = &mut conn;
                    let got = diesel::Connection::transaction(conn, |conn| {
                        references::allocate(conn, &batch, at)
                    });
                    mine.extend(got.expect("allocate"));
                }
                mine
            })
        })
        .collect();
    let all: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "a number was handed out twice");
    // And none was skipped: 1 to the total, in the agency's sequence.
    let y = at.format("%Y");
    for n in 1..=all.len() {
        assert!(
            distinct.contains(&format!("TXHSI0100-{y}-{n:06}")),
            "{n} missing"
        );
    }
}

fn pages_and_exports_name_shipments_by_reference(backend: Backend) {
    let w = world(backend);
    let created = shipment(&w.app, &w.houston, "176-12345675");
    let reference = created["reference"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let mut visitor = Visitor::new(&w.app);
    visitor.sign_in("inv.a", PASSWORD);
    let list = visitor.get("/shipments");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains(&format!("{reference} · 176-12345675")),
        "{}",
        list.body
    );
    let short = &Uuid::parse_str(&id).unwrap().simple().to_string()[..8];
    assert!(
        !list.body.contains(&format!(">{short}<")),
        "an id prefix names it"
    );
    let page = visitor.get(&format!("/shipments/{id}"));
    assert!(
        page.body.contains(&format!("<title>Shipment {reference}")),
        "{}",
        page.body
    );
    let csv = w.app.get("/api/v1/reports/shipments.csv", &w.houston).text;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row = lines.next().unwrap();
    assert!(
        header.contains(&"reference") && row.contains(&reference),
        "{csv}"
    );
    for column in ["origin", "destination", "via"] {
        assert!(header.contains(&column), "{column} missing: {csv}");
    }
    assert!(row.contains("CNWUH,MXNLD,MXZLO"), "{row}");
}

fn the_link_form_takes_a_reference_or_tracking_number(backend: Backend) {
    let w = world(backend);
    let first = shipment(&w.app, &w.houston, "176-12345675");
    let second = shipment(&w.app, &w.houston, "176-22345675");
    let third = shipment(&w.app, &w.houston, "176-32345675");
    let hidden = shipment(&w.app, &w.phoenix, "176-42345675");
    let id = first["id"].as_str().unwrap();
    let mut visitor = Visitor::new(&w.app);
    visitor.sign_in("inv.a", PASSWORD);
    let link = |to: &str| {
        let csrf = visitor.csrf();
        visitor.post(
            &format!("/shipments/{id}/links"),
            &[
                ("csrf", &csrf),
                ("to", to),
                ("relation", "transshipment"),
                ("evidence", "same drums"),
            ],
        )
    };
    let by_reference = link(&second["reference"].as_str().unwrap().to_lowercase());
    assert_eq!(by_reference.status, 303, "{}", by_reference.body);
    let by_tracking = link("176-32345675");
    assert_eq!(by_tracking.status, 303, "{}", by_tracking.body);
    // Another agency's shipment is not found by its reference either.
    let refused = link(hidden["reference"].as_str().unwrap());
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused
        .body
        .contains("no shipment with this reference, tracking number or text is available to you"));
    let links = w
        .app
        .get(&format!("/api/v1/shipments/{id}/links"), &w.houston)
        .json();
    let ends: Vec<&str> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["to"].as_str().unwrap())
        .collect();
    assert!(ends.contains(&second["id"].as_str().unwrap()), "{links}");
    assert!(ends.contains(&third["id"].as_str().unwrap()), "{links}");
    assert_eq!(ends.len(), 2, "{links}");
}
