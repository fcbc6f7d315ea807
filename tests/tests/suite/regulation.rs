//! Risk weights that follow the law (issue 24), through the API on both
//! backends: the control tier on the shipment's date, quantity against the
//! threshold, the consignee's calendar month, each finding explained.

use crate::fixtures::created;
use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use interdict_persistence::schema::{flag_transitions, flags};
use interdict_persistence::DbUuid;
use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(
    nine_hundred_grams_of_anpp_alone_is_auto_flagged,
    ten_kilograms_of_acetic_anhydride_alone_is_not,
    a_month_of_shipments_to_one_consignee_crosses_the_cumulative_threshold,
    four_piperidone_in_june_2022_weighs_as_uncontrolled,
    dea_notices_are_met_late_or_missing_and_weigh_in_risk,
    the_openapi_document_has_the_obligations_and_the_new_fields,
    the_seeded_catalogue_shows_the_corrected_facts_as_new_versions,
    a_lab_confirmed_fentanyl_pill_with_a_legitimate_imprint_is_counterfeit,
    the_form_records_a_product_line_and_the_page_shows_it,
    flags_carry_their_age_and_the_queue_and_summary_count_the_overdue,
);

struct World {
    app: TestApp,
    inv: String,
    sup: String,
    /// An investigator of another agency, who sees none of the shipments.
    other: String,
    /// An auditor of the investigators' agency.
    auditor: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    let other = app.create_agency("Phoenix PD", "AZ0072300", "local", "AZ");
    app.create_user(agency, "inv", "investigator");
    app.create_user(agency, "sup", "supervisor");
    app.create_user(other, "other", "investigator");
    app.create_user(agency, "aud", "auditor");
    World {
        auditor: app.token("aud", PASSWORD),
        inv: app.token("inv", PASSWORD),
        sup: app.token("sup", PASSWORD),
        other: app.token("other", PASSWORD),
        app,
    }
}

/// The seeded catalogue entry with this CAS number.
fn chemical(app: &TestApp, token: &str, cas: &str) -> Uuid {
    let found = app
        .get(&format!("/api/v1/chemicals?cas={cas}"), token)
        .json();
    Uuid::parse_str(found["items"][0]["id"].as_str().unwrap()).unwrap()
}

/// An import from China into Texas on `day` (YYYY-MM-DD), declared for
/// what it is, with no sign but its one chemical line.
fn import(day: &str, line: Value, parties: Value) -> Value {
    json!({
        "incident_type": "suspicious_shipment", "mode": "air_cargo",
        "parties": parties,
        "declared_description": "laboratory chemical",
        "lines": [line],
        "legs": [{ "from": { "country": "CN", "city": "Shanghai" },
                   "to": { "country": "US", "subdivision": "US-TX", "city": "Houston" },
                   "departure_at": format!("{day}T08:00:00Z") }]
    })
}

fn shown(app: &TestApp, token: &str, id: Uuid) -> Value {
    let response = app.get(&format!("/api/v1/shipments/{id}"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn indicator<'v>(shipment: &'v Value, code: &str) -> Option<&'v Value> {
    shipment["risk"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
}

fn flagged(app: &TestApp, sup: &str, id: Uuid) -> bool {
    let queue = app.get("/api/v1/reviews/queue", sup);
    assert_eq!(queue.status, 200, "{}", queue.text);
    queue.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["shipment_id"] == id.to_string())
}

fn nine_hundred_grams_of_anpp_alone_is_auto_flagged(backend: Backend) {
    let w = world(backend);
    let anpp = chemical(&w.app, &w.inv, "21409-26-7");
    let id = created(w.app.post(
        "/api/v1/shipments",
        &w.inv,
        import(
            "2026-03-02",
            json!({ "chemical_id": anpp, "quantity": 900, "unit": "g" }),
            json!([]),
        ),
    ));
    let shipment = shown(&w.app, &w.inv, id);
    // A Schedule II immediate precursor weighs 60 at any quantity under
    // 1 kg: the auto-flag threshold on its own.
    assert_eq!(shipment["risk"]["score"], 60.0, "{shipment}");
    let found = indicator(&shipment, "controlled_chemical").expect("controlled_chemical");
    let sentence = found["sentence"].as_str().unwrap();
    for part in [
        "Schedule II immediate precursor",
        "since 2010-08-30",
        "75 FR 37295",
        "any quantity is regulated",
    ] {
        assert!(sentence.contains(part), "{part}: {sentence}");
    }
    assert!(flagged(&w.app, &w.sup, id), "900 g of ANPP is flagged");
}

fn ten_kilograms_of_acetic_anhydride_alone_is_not(backend: Backend) {
    let w = world(backend);
    let aa = chemical(&w.app, &w.inv, "108-24-7");
    let id = created(w.app.post(
        "/api/v1/shipments",
        &w.inv,
        import(
            "2026-03-02",
            json!({ "chemical_id": aa, "quantity": 10, "unit": "kg" }),
            json!([]),
        ),
    ));
    let shipment = shown(&w.app, &w.inv, id);
    // List II (12) × 10 kg / 1,023 kg: about 0.12, far from 60.
    let score = shipment["risk"]["score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 1.0, "{shipment}");
    let sentence = indicator(&shipment, "controlled_chemical").unwrap()["sentence"]
        .as_str()
        .unwrap();
    assert!(sentence.contains("List II"), "{sentence}");
    assert!(sentence.contains("0.01×"), "{sentence}");
    assert!(indicator(&shipment, "threshold_exceeded").is_none());
    assert!(
        !flagged(&w.app, &w.sup, id),
        "solvent traffic is not flagged"
    );
}

fn a_month_of_shipments_to_one_consignee_crosses_the_cumulative_threshold(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let aa = chemical(app, &w.inv, "108-24-7");
    let consignee = created(app.post(
        "/api/v1/parties",
        &w.inv,
        json!({ "kind": "company", "name": "Gulf Coast Solvents", "address": { "country": "US" } }),
    ));
    let parties = json!([{ "party_id": consignee, "role": "consignee" }]);
    // 0.4 × the 1,023 kg import threshold each.
    let line = json!({ "chemical_id": aa, "quantity": 409.2, "unit": "kg" });
    let mut ids = Vec::new();
    for day in ["2026-01-03", "2026-01-17", "2026-01-29"] {
        ids.push(created(app.post(
            "/api/v1/shipments",
            &w.inv,
            import(day, line.clone(), parties.clone()),
        )));
    }
    for id in &ids[..2] {
        let s = shown(app, &w.inv, *id);
        assert!(indicator(&s, "cumulative_threshold").is_none(), "{s}");
    }
    let third = shown(app, &w.inv, ids[2]);
    let found = indicator(&third, "cumulative_threshold").expect("cumulative_threshold");
    let sentence = found["sentence"].as_str().unwrap();
    assert!(sentence.contains("3 shipments"), "{sentence}");
    assert!(sentence.contains("2026-01"), "{sentence}");
    assert!(sentence.contains("1.2×"), "{sentence}");
    assert!(sentence.contains("21 CFR 1310.04(f)"), "{sentence}");
    assert_eq!(found["weight"], 20.0);

    // The third moved to the 1st of the next month: a month of its own.
    let version = third["version"].as_i64().unwrap();
    let moved = app
        .request("PATCH", &format!("/api/v1/shipments/{}", ids[2]))
        .bearer(&w.inv)
        .header("If-Match", &format!("\"{version}\""))
        .json(json!({ "legs": [{ "from": { "country": "CN", "city": "Shanghai" },
                                  "to": { "country": "US", "subdivision": "US-TX", "city": "Houston" },
                                  "departure_at": "2026-02-01T08:00:00Z" }] }));
    assert_eq!(moved.status, 200, "{}", moved.text);
    let third = shown(app, &w.inv, ids[2]);
    assert!(
        indicator(&third, "cumulative_threshold").is_none(),
        "{third}"
    );

    // Recorded out of order (the 29th first), the last of the month still
    // shows the month's total: an earlier shipment refreshes later ones.
    let other = created(app.post(
        "/api/v1/parties",
        &w.inv,
        json!({ "kind": "company", "name": "Bayou Industrial Supply", "address": { "country": "US" } }),
    ));
    let parties = json!([{ "party_id": other, "role": "consignee" }]);
    let mut ids = Vec::new();
    for day in ["2026-03-29", "2026-03-03", "2026-03-17"] {
        ids.push(created(app.post(
            "/api/v1/shipments",
            &w.inv,
            import(day, line.clone(), parties.clone()),
        )));
    }
    let last = shown(app, &w.inv, ids[0]);
    let found = indicator(&last, "cumulative_threshold").expect("cumulative_threshold");
    assert!(
        found["sentence"].as_str().unwrap().contains("1.2×"),
        "{found}"
    );
    for id in &ids[1..] {
        let s = shown(app, &w.inv, *id);
        assert!(indicator(&s, "cumulative_threshold").is_none(), "{s}");
    }
}

fn four_piperidone_in_june_2022_weighs_as_uncontrolled(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let piperidone = chemical(app, &w.inv, "41661-47-6");
    let line = json!({ "chemical_id": piperidone, "quantity": 5, "unit": "kg" });
    let then = created(app.post(
        "/api/v1/shipments",
        &w.inv,
        import("2022-06-15", line.clone(), json!([])),
    ));
    let shipment = shown(app, &w.inv, then);
    assert_eq!(shipment["risk"]["score"], 0.0, "{shipment}");
    assert_eq!(shipment["risk"]["indicators"], json!([]));
    assert_eq!(shipment["control_day"], "2022-06-15");
    let control = &shipment["controls"][0];
    assert_eq!(control["tier"], Value::Null);
    let explanation = control["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("not controlled then (List I from 2023-05-12)"),
        "{explanation}"
    );
    // The same line a year later is List I (35) × 1.5 for 5 kg.
    let later = created(app.post(
        "/api/v1/shipments",
        &w.inv,
        import("2023-06-15", line, json!([])),
    ));
    let shipment = shown(app, &w.inv, later);
    assert_eq!(shipment["risk"]["score"], 52.5, "{shipment}");
    assert_eq!(shipment["controls"][0]["tier"], "list_i");
    assert!(shipment["controls"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("88 FR 21902"));
}

/// 2 kg of 4-AP imported, released 2026-03-16, with these DEA details.
fn four_ap_import(app: &TestApp, token: &str, dea: Value) -> Response {
    let four_ap = chemical(app, token, "23056-29-3");
    let mut body = import(
        "2026-03-10",
        json!({ "chemical_id": four_ap, "quantity": 2, "unit": "kg", "concentration": "98% w/w" }),
        json!([]),
    );
    body["dea"] = dea;
    app.post("/api/v1/shipments", token, body)
}

fn obligations(app: &TestApp, token: &str, id: Uuid) -> Value {
    let response = app.get(&format!("/api/v1/shipments/{id}/obligations"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn dea_notices_are_met_late_or_missing_and_weigh_in_risk(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let filed = |on: &str| {
        json!({ "released_on": "2026-03-16",
                "filings": [{ "form": "486", "transaction_id": "DEA-486-0001", "filed_on": on }] })
    };
    // Form 486 is due 15 days before release (21 CFR 1313.12): 2026-03-01.
    let late = created(four_ap_import(app, &w.inv, filed("2026-03-05")));
    let report = obligations(app, &w.inv, late);
    assert_eq!(report["direction"], "import");
    let notice = &report["obligations"][0];
    assert_eq!(notice["status"], "late", "{report}");
    assert_eq!(notice["due"], "2026-03-01");
    assert!(notice["citation"]
        .as_str()
        .unwrap()
        .contains("21 CFR 1313.12"));
    assert!(notice["what"].as_str().unwrap().contains("DEA Form 486"));
    let shipment = shown(app, &w.inv, late);
    let found = indicator(&shipment, "late_dea_notice").expect("late_dea_notice");
    assert_eq!(found["weight"], 15.0);
    assert!(indicator(&shipment, "missing_dea_notice").is_none());
    assert_eq!(shipment["lines"][0]["concentration"], "98% w/w");
    assert_eq!(shipment["dea"]["filings"][0]["form"], "486");

    let met = created(four_ap_import(app, &w.inv, filed("2026-03-01")));
    assert_eq!(
        obligations(app, &w.inv, met)["obligations"][0]["status"],
        "met"
    );
    let shipment = shown(app, &w.inv, met);
    assert!(
        indicator(&shipment, "late_dea_notice").is_none(),
        "{shipment}"
    );

    // Released with nothing filed: missing, and it weighs 30.
    let missing = created(four_ap_import(
        app,
        &w.inv,
        json!({ "released_on": "2026-03-16" }),
    ));
    assert_eq!(
        obligations(app, &w.inv, missing)["obligations"][0]["status"],
        "missing"
    );
    let shipment = shown(app, &w.inv, missing);
    assert_eq!(
        indicator(&shipment, "missing_dea_notice").expect("missing")["weight"],
        30.0
    );

    // Another agency learns nothing: 404, as for the shipment itself.
    let hidden = app.get(&format!("/api/v1/shipments/{late}/obligations"), &w.other);
    hidden.assert_problem(404, "not-found");

    // Bad details are refused, naming the field; unknown fields too.
    let bad = four_ap_import(
        app,
        &w.inv,
        json!({ "released_on": "16/03/2026", "filings": [{ "form": "999", "filed_on": "2026-03-01" }] }),
    );
    let problem = bad.assert_problem(422, "validation");
    let text = problem.to_string();
    assert!(text.contains("dea.filings[0].form"), "{text}");
    assert!(text.contains("dea.released_on"), "{text}");
    let unknown = four_ap_import(app, &w.inv, json!({ "release": "2026-03-16" }));
    let problem = unknown.assert_problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "dea.release");
}

fn the_openapi_document_has_the_obligations_and_the_new_fields(backend: Backend) {
    let app = TestApp::spawn(backend);
    let doc = app.request("GET", "/api/v1/openapi.json").send().json();
    assert!(doc["paths"]["/api/v1/shipments/{id}/obligations"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("ObligationsView", "obligations"),
        ("ObligationView", "status"),
        ("LineInput", "concentration"),
        ("ShipmentInput", "dea"),
        ("DeaInput", "released_on"),
        ("DeaFilingInput", "transaction_id"),
        ("ShipmentInput", "products"),
        ("ProductInput", "imprint"),
        ("LabInput", "purity_percent"),
    ] {
        assert!(
            schemas[schema]["properties"].get(field).is_some(),
            "{schema}.{field} missing from {}",
            schemas[schema]
        );
    }
}

/// The catalogue entry with this CAS number, as the API shows it.
fn catalogue_entry(app: &TestApp, token: &str, cas: &str) -> Value {
    let found = app
        .get(&format!("/api/v1/chemicals?cas={cas}"), token)
        .json();
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{cas}: {found}");
    items[0].clone()
}

/// Issue 24 §1: the seed migration wrote NPP as List I "since 2008", left
/// propionic anhydride without an HS code and had no benzylfentanyl. A
/// data migration corrects them as new versions of the seeded entries,
/// with their history kept.
fn the_seeded_catalogue_shows_the_corrected_facts_as_new_versions(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let auditor = &w.auditor;

    let npp = catalogue_entry(app, &w.inv, "39742-60-4");
    let note = npp["note"].as_str().unwrap();
    assert!(note.contains("since 2007-04-23"), "{note}");
    assert!(note.contains("72 FR 20039"), "{note}");
    assert!(!note.contains("since 2008"), "{note}");
    let history = app
        .get(
            &format!("/api/v1/chemicals/{}/history", npp["id"].as_str().unwrap()),
            auditor,
        )
        .json();
    let changes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["create", "update"], "{history}");
    let first = history[0].to_string();
    assert!(
        first.contains("since 2008"),
        "the seeded version is kept: {first}"
    );

    let propionic = catalogue_entry(app, &w.inv, "123-62-6");
    assert_eq!(propionic["hs_code"], "2915.90", "{propionic}");
    assert_eq!(propionic["us_control"], "list_i");

    let benzyl = catalogue_entry(app, &w.inv, "1474-02-8");
    assert_eq!(benzyl["name"], "benzylfentanyl");
    assert_eq!(benzyl["us_control"], "list_i");
    assert_eq!(benzyl["scope"], "all");
    assert!(benzyl["note"].as_str().unwrap().contains("85 FR 20822"));
    // Found by name like every seeded entry, by anyone.
    let found = app
        .get("/api/v1/chemicals?q=benzylfentanyl", &w.other)
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");

    // The catalogue page shows its dated, cited control.
    let mut visitor = crate::pages::Visitor::new(app);
    visitor.sign_in("inv", PASSWORD);
    let page = visitor.get("/catalogue");
    page.assert_html(200);
    for part in [
        "benzylfentanyl",
        "since 2020-05-15",
        "85 FR 20822",
        "72 FR 20039",
    ] {
        assert!(page.body.contains(part), "{part} not in the catalogue page");
    }
}

/// 500 tablets stamped "M 30" that a laboratory found to be fentanyl.
fn pills(imprint: &str, substance: &str) -> Value {
    json!([{ "form": "tablet", "count": 500, "imprint": imprint,
             "lab": { "substance": substance, "purity_percent": 2.1 } }])
}

fn seizure_with(products: Value) -> Value {
    let mut body = import("2026-03-02", json!(null), json!([]));
    body["lines"] = json!([]);
    body["incident_type"] = json!("seizure");
    body["products"] = products;
    body
}

fn a_lab_confirmed_fentanyl_pill_with_a_legitimate_imprint_is_counterfeit(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let id = created(app.post(
        "/api/v1/shipments",
        &w.inv,
        seizure_with(pills("M 30", "fentanyl")),
    ));
    let shipment = shown(app, &w.inv, id);
    assert_eq!(shipment["products"][0]["imprint"], "M 30");
    assert_eq!(shipment["products"][0]["lab"]["substance"], "fentanyl");
    let found = indicator(&shipment, "counterfeit_pill").expect("counterfeit_pill");
    let sentence = found["sentence"].as_str().unwrap();
    for part in [
        "500 tablets imprinted “M 30”",
        "oxycodone hydrochloride 30 mg (Mallinckrodt)",
        "fentanyl at 2.1% purity",
    ] {
        assert!(sentence.contains(part), "{part}: {sentence}");
    }
    // Counterfeit fentanyl pills weigh 60: flagged on their own.
    assert_eq!(found["weight"], 60.0);
    assert!(flagged(app, &w.sup, id), "counterfeit pills are flagged");
    // The CSV export shows the product line.
    let csv = app.get("/api/v1/reports/shipments.csv", &w.inv).text;
    assert!(
        csv.contains("500 tablet imprinted M 30, lab: fentanyl 2.1%"),
        "{csv}"
    );

    // An imprint no legitimate product carries, or pills of something
    // else, are not counterfeit pills.
    for products in [
        pills("ZZ 99", "fentanyl"),
        pills("M 30", "acetic-anhydride"),
    ] {
        let id = created(app.post("/api/v1/shipments", &w.inv, seizure_with(products)));
        assert!(indicator(&shown(app, &w.inv, id), "counterfeit_pill").is_none());
    }

    // Bad product lines are refused naming the field.
    for (products, field) in [
        (pills("M 30", "aspirin"), "products[0].lab.substance"),
        (json!([{ "form": "pill", "count": 5 }]), "products[0].form"),
        (json!([{ "form": "tablet" }]), "products[0].count"),
        (
            json!([{ "form": "tablet", "count": 5, "lab": { "substance": "fentanyl", "purity_percent": 140 } }]),
            "products[0].lab.purity_percent",
        ),
        (
            json!([{ "form": "tablet", "count": 5, "colour": "blue" }]),
            "products[0].colour",
        ),
    ] {
        let refused = app.post("/api/v1/shipments", &w.inv, seizure_with(products));
        let problem = refused.assert_problem(422, "validation");
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {problem}"
        );
    }
}

fn the_form_records_a_product_line_and_the_page_shows_it(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let mut visitor = crate::pages::Visitor::new(app);
    visitor.sign_in("inv", PASSWORD);
    let blank = visitor.get("/shipments/new");
    blank.assert_html(200);
    assert!(
        blank.body.contains("products[0].imprint"),
        "the form has a product row"
    );
    let csrf = visitor.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("incident_type", "seizure"),
        ("status", "seized"),
        ("mode", "postal"),
        ("scope", "agency"),
        ("tracking_numbers[0].kind", "courier_tracking"),
        ("tracking_numbers[0].value", "EZ123456789US"),
        ("parties[0].role", "consignee"),
        ("parties[0].kind", "person"),
        ("parties[0].name", "R. Doe"),
        ("parties[0].country", "US"),
        ("products[0].form", "tablet"),
        ("products[0].count", "1200"),
        ("products[0].imprint", "M 30"),
        ("products[0].lab.substance", "fentanyl"),
        ("products[0].lab.purity_percent", "1.5"),
        ("legs[0].from.country", "MX"),
        ("legs[0].from.city", "Culiacán"),
        ("legs[0].to.country", "US"),
        ("legs[0].to.subdivision", "AZ"),
        ("legs[0].to.city", "Phoenix"),
        ("legs[0].arrival_at", "2026-03-04"),
    ];
    // A purity without a substance is refused on the form, naming the field.
    let mut bad = form.to_vec();
    bad.retain(|(k, _)| *k != "products[0].lab.substance");
    let refused = visitor.post("/shipments/new", &bad);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("is required with a purity"));
    let recorded = visitor.post("/shipments/new", &form);
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let list = app.get("/api/v1/shipments", &w.inv).json();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let shipment = app.get(&format!("/api/v1/shipments/{id}"), &w.inv).json();
    assert_eq!(shipment["products"][0]["count"], 1200, "{shipment}");
    assert!(
        indicator(&shipment, "counterfeit_pill").is_some(),
        "{shipment}"
    );
    let page = visitor.get(&format!("/shipments/{id}"));
    page.assert_html(200);
    for part in [
        "Products",
        "1200",
        "M 30",
        "imprint of oxycodone hydrochloride 30 mg",
        "fentanyl at 1.5%",
        "(Counterfeit pill)",
    ] {
        assert!(page.body.contains(part), "{part} not in the shipment page");
    }
}

/// The flag raised on a shipment.
fn flag_of(conn: &mut interdict_persistence::DbConnection, shipment: Uuid) -> DbUuid {
    flags::table
        .filter(flags::shipment_id.eq(DbUuid(shipment)))
        .select(flags::id)
        .get_result(conn)
        .unwrap()
}

fn queue_ids(app: &TestApp, sup: &str, query: &str) -> Vec<Value> {
    let queue = app.get(&format!("/api/v1/reviews/queue{query}"), sup);
    assert_eq!(queue.status, 200, "{}", queue.text);
    queue.json()["items"].as_array().unwrap().clone()
}

fn decide(app: &TestApp, sup: &str, flag: DbUuid) {
    for (version, action) in [(1, "start_review"), (2, "confirm")] {
        let moved = app
            .request("POST", &format!("/api/v1/flags/{}/transitions", flag.0))
            .bearer(sup)
            .header("If-Match", &format!("\"{version}\""))
            .json(json!({ "action": action }));
        assert_eq!(moved.status, 200, "{}", moved.text);
    }
}

/// Issue 24 §6: flags carry their age; the queue sorts by it and filters
/// by overdue (`[review] overdue_after_days`, 5 by default); the summary
/// report gives the median and 90th percentile time to decision and the
/// overdue count.
fn flags_carry_their_age_and_the_queue_and_summary_count_the_overdue(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let anpp = chemical(app, &w.inv, "21409-26-7");
    // Three shipments of 900 g of ANPP: each is flagged on its own.
    let shipments: Vec<Uuid> = (0..3)
        .map(|_| {
            created(app.post(
                "/api/v1/shipments",
                &w.inv,
                import(
                    "2026-03-02",
                    json!({ "chemical_id": anpp, "quantity": 900, "unit": "g" }),
                    json!([]),
                ),
            ))
        })
        .collect();
    let mut conn = app.database.connect();
    let flags: Vec<DbUuid> = shipments.iter().map(|s| flag_of(&mut conn, *s)).collect();
    // Raised six days ago, two days ago, and now.
    let now = Utc::now().naive_utc();
    for (flag, days) in flags.iter().zip([6, 2]) {
        diesel::update(flags::table.find(*flag))
            .set(flags::raised_at.eq(now - Duration::days(days) - Duration::minutes(1)))
            .execute(&mut conn)
            .unwrap();
    }
    let by_age = queue_ids(app, &w.sup, "?sort=age");
    let order: Vec<&str> = by_age
        .iter()
        .map(|f| f["shipment_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = shipments.iter().map(Uuid::to_string).collect();
    assert_eq!(order, expected, "the longest wait first");
    let ages: Vec<(i64, bool)> = by_age
        .iter()
        .map(|f| {
            (
                f["age_days"].as_i64().unwrap(),
                f["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(ages, [(6, true), (2, false), (0, false)]);
    let overdue = queue_ids(app, &w.sup, "?overdue=true");
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["shipment_id"], expected[0].as_str());
    let not_overdue = queue_ids(app, &w.sup, "?overdue=false&sort=age");
    let order: Vec<&str> = not_overdue
        .iter()
        .map(|f| f["shipment_id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [expected[1].as_str(), expected[2].as_str()]);
    app.get("/api/v1/reviews/queue?overdue=soon", &w.sup)
        .assert_problem(400, "bad-request");
    // The page shows the age and marks the overdue.
    let mut visitor = crate::pages::Visitor::new(app);
    visitor.sign_in("sup", PASSWORD);
    let page = visitor.get("/reviews?overdue=true");
    page.assert_html(200);
    assert!(page.body.contains("<th>Age</th>"), "{}", page.body);
    assert!(page.body.contains("6 d"), "{}", page.body);
    assert!(page.body.contains("badge overdue"), "{}", page.body);

    // Two decided, 10 and 50 hours after they were raised; one undecided
    // since 2026-03-03, long overdue.
    decide(app, &w.sup, flags[1]);
    decide(app, &w.sup, flags[2]);
    let raised = NaiveDate::from_ymd_opt(2026, 3, 3)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    diesel::update(flags::table.filter(flags::id.eq_any(&flags)))
        .set(flags::raised_at.eq(raised))
        .execute(&mut conn)
        .unwrap();
    for (flag, hours) in [(flags[1], 10), (flags[2], 50)] {
        diesel::update(flag_transitions::table.filter(flag_transitions::flag_id.eq(flag)))
            .set(flag_transitions::at.eq(raised + Duration::hours(hours)))
            .execute(&mut conn)
            .unwrap();
    }
    let pdf = app.get(
        "/api/v1/reports/summary.pdf?from=2026-01-01&to=2026-06-01",
        &w.auditor,
    );
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    let text = String::from_utf8_lossy(&pdf.bytes);
    for part in [
        "Flags raised: 3",
        "Median time to decision: 30.0 hours",
        "90th percentile time to decision: 50.0 hours",
        "Overdue, undecided after 5 days: 1",
    ] {
        assert!(text.contains(part), "{part} not in the summary");
    }
}
