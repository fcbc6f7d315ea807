//! The shipment registry over HTTP on both backends: records of every kind,
//! sharing, history, validation, search and deconfliction.

use crate::fixtures::created;
use interdict_tests::{both_backends, Backend, Response, TestApp, ADMIN_PASSWORD, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(
    every_kind_is_created_read_updated_and_withdrawn,
    visibility_follows_the_sharing_scope,
    a_shipment_and_its_lines_are_read_only_by_those_it_is_shared_with,
    stale_updates_are_refused,
    every_validation_rule_names_its_field,
    deconfliction_tells_both_sides_and_nothing_more,
    shipment_search_filters_narrow_and_pages_are_complete,
    the_catalogue_is_seeded_and_kept_by_admins,
    an_investigator_records_and_finds_a_realistic_case,
    auditors_see_who_read_a_record,
);

/// Three agencies; A and B share a task force, C stands alone.
struct World {
    app: TestApp,
    agency_a: Uuid,
    agency_b: Uuid,
    task_force: Uuid,
    a: String,
    b: String,
    c: String,
    auditor_a: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    let agency_a = app.create_agency("DEA Houston Division", "TXDEA0100", "federal", "US");
    let agency_b = app.create_agency("Texas DPS", "TX0000000", "state", "TX");
    let agency_c = app.create_agency("Los Angeles PD", "CA0194200", "local", "CA");
    app.create_user(agency_a, "inv.a", "investigator");
    app.create_user(agency_a, "aud.a", "auditor");
    app.create_user(agency_b, "inv.b", "investigator");
    app.create_user(agency_c, "inv.c", "investigator");
    let created = app.post(
        "/api/v1/task-forces",
        &app.admin_token(),
        json!({ "name": "Gulf Coast HIDTA", "members": [agency_a, agency_b] }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    World {
        task_force: created.id(),
        a: app.token("inv.a", PASSWORD),
        b: app.token("inv.b", PASSWORD),
        c: app.token("inv.c", PASSWORD),
        auditor_a: app.token("aud.a", PASSWORD),
        app,
        agency_a,
        agency_b,
    }
}

fn party(app: &TestApp, token: &str, body: Value) -> Uuid {
    created(app.post("/api/v1/parties", token, body))
}

fn shengxue() -> Value {
    json!({
        "kind": "company", "name": "Hebei Shengxue Trading Co., Ltd.", "aliases": ["Shengxue Trade"],
        "address": { "city": "Shijiazhuang", "region": "Hebei", "country": "CN" },
        "emails": ["sales@shengxue.example"], "phones": ["+86 311 5555 0100"],
        "registration_numbers": ["91130100-MA0XYZ"]
    })
}

fn chemical_id(app: &TestApp, token: &str, cas: &str) -> Uuid {
    let found = app
        .get(&format!("/api/v1/chemicals?cas={cas}"), token)
        .json();
    Uuid::parse_str(found["items"][0]["id"].as_str().expect("seeded chemical")).unwrap()
}

fn leg(from: Value, to: Value, dep: &str, arr: &str) -> Value {
    json!({ "from": from, "to": to, "carrier": "SkyFast Express", "departure_at": dep, "arrival_at": arr })
}

fn shipment(parties: &[(Uuid, &str)], lines: Value, tracking: &str, legs: Value) -> Value {
    json!({
        "incident_type": "seizure", "status": "seized", "mode": "air_express",
        "tracking_numbers": [{ "kind": "courier_tracking", "value": tracking }],
        "parties": parties.iter().map(|(id, role)| json!({ "party_id": id, "role": role })).collect::<Vec<_>>(),
        "declared_description": "industrial dye", "declared_hs_code": "3204.17",
        "declared_value": "1250.00", "declared_currency": "USD", "gross_weight_kg": 26.5,
        "concealment_method": "drums labelled as pigment",
        "lines": lines, "legs": legs,
    })
}

fn cn_hk_tx() -> Value {
    json!([
        leg(
            json!({ "country": "CN", "city": "Shanghai", "locode": "CNSHA" }),
            json!({ "country": "HK", "city": "Hong Kong" }),
            "2026-03-01T08:00:00Z",
            "2026-03-01T12:00:00Z"
        ),
        leg(
            json!({ "country": "HK", "city": "Hong Kong" }),
            json!({ "country": "US", "subdivision": "US-TX", "city": "Houston" }),
            "2026-03-02T01:00:00Z",
            "2026-03-03T06:00:00Z"
        ),
    ])
}

fn patch(app: &TestApp, path: &str, token: &str, version: &str, body: Value) -> Response {
    app.request("PATCH", path)
        .bearer(token)
        .header("If-Match", version)
        .json(body)
}

fn every_kind_is_created_read_updated_and_withdrawn(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let equipment = created(app.post(
        "/api/v1/equipment",
        &w.a,
        json!({ "kind": "tableting_machine", "manufacturer": "Generic", "model": "TDP-5", "serial_number": "TDP5-2023-0042", "power": "electric", "capacity_per_hour": 5000, "markings_removed": true }),
    ));
    let consignor = party(app, &w.a, shengxue());
    let four_ap = chemical_id(app, &w.a, "23056-29-3");
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "parties",
            shengxue(),
            json!({ "aliases": ["Shengxue", "HSX Trading"] }),
        ),
        (
            "equipment",
            json!({ "kind": "die_set", "serial_number": "DS-7781" }),
            json!({ "markings_removed": true }),
        ),
        (
            "die-molds",
            json!({ "front_imprint": "M", "back_imprint": "30", "shape": "round", "diameter_mm": 7.1, "colour": "blue", "imitated_product": "oxycodone hydrochloride 30 mg", "equipment_id": equipment }),
            json!({ "colour": "light blue" }),
        ),
        (
            "shipments",
            shipment(
                &[(consignor, "consignor")],
                json!([{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }]),
                "1Z999AA10123456784",
                cn_hk_tx(),
            ),
            json!({ "status": "held", "narrative": "Held at Houston for inspection" }),
        ),
    ];
    for (collection, body, change) in cases {
        let response = app.post(&format!("/api/v1/{collection}"), &w.a, body.clone());
        assert_eq!(response.status, 201, "{collection}: {}", response.text);
        assert_eq!(response.header("etag"), Some("\"1\""));
        let record = response.json();
        let id = record["id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/{collection}/{id}");
        assert_eq!(response.header("location"), Some(path.as_str()));
        assert_eq!(record["owner_agency_id"], w.agency_a.to_string());
        assert_eq!(record["scope"], "agency");

        let read = app.get(&path, &w.a);
        assert_eq!(read.status, 200, "{collection}: {}", read.text);
        let updated = patch(app, &path, &w.a, "\"1\"", change.clone());
        assert_eq!(updated.status, 200, "{collection}: {}", updated.text);
        assert_eq!(updated.json()["version"], 2);
        for (key, value) in change.as_object().unwrap() {
            assert_eq!(&updated.json()[key], value, "{collection}.{key}");
        }

        let history = app.get(&format!("{path}/history"), &w.a).json();
        let versions = history.as_array().unwrap();
        assert_eq!(versions.len(), 2, "{collection}: {history}");
        assert_eq!(versions[0]["change"], "create");
        assert_eq!(versions[1]["change"], "update");
        assert_eq!(versions[1]["changed_by_username"], "inv.a");
        let changed: Vec<&str> = versions[1]["changed_fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let expected: Vec<&str> = change
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(changed, expected, "{collection}");
        // The first version is kept as it was.
        for (key, value) in body.as_object().unwrap() {
            if change.get(key).is_some() {
                assert_ne!(
                    &versions[0]["document"][key], &versions[1]["document"][key],
                    "{collection}.{key}"
                );
            } else if key != "legs" && key != "lines" && value.is_string() {
                assert_eq!(&versions[0]["document"][key], value, "{collection}.{key}");
            }
        }

        let withdrawn = app.post(
            &format!("{path}/withdraw"),
            &w.a,
            json!({ "reason": "Entered twice" }),
        );
        assert_eq!(withdrawn.status, 200, "{collection}: {}", withdrawn.text);
        assert_eq!(withdrawn.json()["withdrawn"]["reason"], "Entered twice");
        // Gone for investigators, kept for auditors, never deleted.
        app.get(&path, &w.a).assert_problem(404, "not-found");
        let audited = app.get(&path, &w.auditor_a);
        assert_eq!(audited.status, 200, "{collection}: {}", audited.text);
        assert_eq!(audited.json()["withdrawn"]["reason"], "Entered twice");
        let history = app.get(&format!("{path}/history"), &w.auditor_a).json();
        assert_eq!(history.as_array().unwrap().len(), 3);
        app.post(
            &format!("{path}/withdraw"),
            &w.a,
            json!({ "reason": "again" }),
        )
        .assert_problem(404, "not-found");
        // Auditors never write.
        patch(app, &path, &w.auditor_a, "\"3\"", change).assert_problem(403, "forbidden");
    }
    // The derived route ends of a shipment.
    let shipments = app.get("/api/v1/shipments", &w.auditor_a).json();
    let s = &shipments["items"][0];
    assert_eq!(s["origin"]["country"], "CN");
    assert_eq!(s["destination"]["subdivision"], "US-TX");
    assert_eq!(s["shipped_at"], "2026-03-01T08:00:00Z");
}

fn visibility_follows_the_sharing_scope(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let id = party(app, &w.a, shengxue());
    let path = format!("/api/v1/parties/{id}");
    let sees = |token: &str| app.get(&path, token).status;
    let lists = |token: &str| {
        app.get("/api/v1/parties", token).json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.to_string())
    };
    assert_eq!((sees(&w.a), sees(&w.b), sees(&w.c)), (200, 404, 404));
    assert_eq!(
        (lists(&w.a), lists(&w.b), lists(&w.c)),
        (true, false, false)
    );
    // Administrators see no record content.
    assert_eq!(sees(&app.admin_token()), 404);

    // Only the owner agency changes the scope.
    let tf = w.task_force.to_string();
    let shared = patch(app, &path, &w.a, "\"1\"", json!({ "scope": tf }));
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!(shared.json()["scope"], tf);
    assert_eq!((sees(&w.a), sees(&w.b), sees(&w.c)), (200, 200, 404));
    assert_eq!((lists(&w.a), lists(&w.b), lists(&w.c)), (true, true, false));
    // A member that is not the owner reads but may not edit or re-share.
    patch(app, &path, &w.b, "\"2\"", json!({ "name": "Renamed" })).assert_problem(403, "forbidden");
    patch(app, &path, &w.b, "\"2\"", json!({ "scope": "all" })).assert_problem(403, "forbidden");
    app.post(
        &format!("{path}/withdraw"),
        &w.b,
        json!({ "reason": "mine now" }),
    )
    .assert_problem(403, "forbidden");
    // Non-members cannot even learn it exists.
    patch(app, &path, &w.c, "\"2\"", json!({ "name": "Renamed" })).assert_problem(404, "not-found");

    let everyone = patch(app, &path, &w.a, "\"2\"", json!({ "scope": "all" }));
    assert_eq!(everyone.status, 200, "{}", everyone.text);
    assert_eq!((sees(&w.a), sees(&w.b), sees(&w.c)), (200, 200, 200));
    assert_eq!((lists(&w.a), lists(&w.b), lists(&w.c)), (true, true, true));

    let back = patch(app, &path, &w.a, "\"3\"", json!({ "scope": "agency" }));
    assert_eq!(back.status, 200);
    assert_eq!((sees(&w.a), sees(&w.b), sees(&w.c)), (200, 404, 404));
    let history = app.get(&format!("{path}/history"), &w.a).json();
    let scopes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["agency", tf.as_str(), "all", "agency"]);
    assert!(history[1]["changed_fields"]
        .as_array()
        .unwrap()
        .contains(&json!("scope")));

    // Sharing with a task force one's agency is not in is refused.
    let other_tf = app
        .post(
            "/api/v1/task-forces",
            &app.admin_token(),
            json!({ "name": "Pacific TF", "members": [w.agency_b] }),
        )
        .id();
    let refused = app.post("/api/v1/parties", &w.a, {
        let mut p = shengxue();
        p["scope"] = json!(other_tf);
        p
    });
    assert_eq!(
        refused.assert_problem(422, "validation")["errors"][0]["field"],
        "scope"
    );
    let _ = w.agency_b;
}

/// A shipment is read with the catalogue entries its lines name in one
/// statement, whoever asks, and the policy decides on the row: those it is
/// not shared with get the same 404 as for an id that does not exist,
/// with nothing of its parties or lines.
fn a_shipment_and_its_lines_are_read_only_by_those_it_is_shared_with(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let maker = party(app, &w.a, shengxue());
    let four_ap = chemical_id(app, &w.a, "23056-29-3");
    let press = created(app.post(
        "/api/v1/equipment",
        &w.a,
        json!({ "kind": "tableting_machine", "serial_number": "TDP5-2023-0042" }),
    ));
    let id = created(app.post(
        "/api/v1/shipments",
        &w.a,
        shipment(
            &[(maker, "consignor")],
            json!([{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }, { "equipment_id": press }]),
            "1Z999AA10123456784",
            cn_hk_tx(),
        ),
    ));
    let path = format!("/api/v1/shipments/{id}");
    let sees = |token: &str| {
        let response = app.get(&path, token);
        if response.status == 404 {
            let missing = app.get(&format!("/api/v1/shipments/{}", Uuid::now_v7()), token);
            assert_eq!(response.text, missing.text);
            for hidden in ["Shengxue", "TDP5", "23056-29-3", "1Z999AA"] {
                assert!(
                    !response.text.contains(hidden),
                    "{hidden} in {}",
                    response.text
                );
            }
        }
        response.status
    };
    let owner = app.get(&path, &w.a).json();
    assert_eq!(owner["controls"][0]["tier"], "list_i", "{owner}");
    let seen = (sees(&w.a), sees(&w.b), sees(&w.c), sees(&w.auditor_a));
    assert_eq!(seen, (200, 404, 404, 200));
    assert_eq!(sees(&app.admin_token()), 404);

    let tf = w.task_force.to_string();
    let shared = patch(app, &path, &w.a, "\"1\"", json!({ "scope": tf }));
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!((sees(&w.a), sees(&w.b), sees(&w.c)), (200, 200, 404));
    let partner = app.get(&path, &w.b).json();
    assert_eq!(partner["controls"], owner["controls"]);
    assert_eq!(partner["risk"], owner["risk"]);

    let withdrawn = app.post(
        &format!("{path}/withdraw"),
        &w.a,
        json!({ "reason": "Entered twice" }),
    );
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let seen = (sees(&w.a), sees(&w.b), sees(&w.c), sees(&w.auditor_a));
    assert_eq!(seen, (404, 404, 404, 200));
}

fn stale_updates_are_refused(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let id = party(app, &w.a, shengxue());
    let path = format!("/api/v1/parties/{id}");
    assert_eq!(
        patch(app, &path, &w.a, "\"1\"", json!({ "name": "First" })).status,
        200
    );
    patch(app, &path, &w.a, "\"1\"", json!({ "name": "Second" }))
        .assert_problem(412, "stale-version");
    app.request("PATCH", &path)
        .bearer(&w.a)
        .json(json!({ "name": "Third" }))
        .assert_problem(428, "precondition-required");
    assert_eq!(app.get(&path, &w.a).json()["name"], "First");
    // An update that changes nothing keeps the version.
    let same = patch(app, &path, &w.a, "\"2\"", json!({ "name": "First" }));
    assert_eq!(same.json()["version"], 2);
    // A stale withdrawal is refused too.
    app.request("POST", &format!("{path}/withdraw"))
        .bearer(&w.a)
        .header("If-Match", "\"1\"")
        .json(json!({ "reason": "r" }))
        .assert_problem(412, "stale-version");
}

fn fields_of(response: &Response, status: u16) -> Vec<String> {
    let body = response.assert_problem(status, "validation");
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

fn every_validation_rule_names_its_field(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let consignor = party(app, &w.a, shengxue());
    let four_ap = chemical_id(app, &w.a, "23056-29-3");
    let good = shipment(
        &[(consignor, "consignor")],
        json!([{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }]),
        "1Z999AA10123456784",
        cn_hk_tx(),
    );
    let count = |app: &TestApp| {
        app.get("/api/v1/shipments?limit=500", &w.a).json()["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = count(app);
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let mut target = &mut body;
        for key in &path[..path.len() - 1] {
            target = match key.parse::<usize>() {
                Ok(i) => &mut target[i],
                Err(_) => &mut target[*key],
            };
        }
        target[path[path.len() - 1]] = value;
        body
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown country",
            with(&["legs", "0", "from", "country"], json!("XX")),
            "legs[0].from.country",
        ),
        (
            "unknown currency",
            with(&["declared_currency"], json!("ZZZ")),
            "declared_currency",
        ),
        (
            "zero quantity",
            with(&["lines", "0", "quantity"], json!(0)),
            "lines[0].quantity",
        ),
        (
            "negative quantity",
            with(&["lines", "0", "quantity"], json!(-3)),
            "lines[0].quantity",
        ),
        (
            "unknown unit",
            with(&["lines", "0", "unit"], json!("lb")),
            "lines[0].unit",
        ),
        (
            "arrival before departure",
            with(&["legs", "1", "arrival_at"], json!("2026-03-01T00:00:00Z")),
            "legs[1].arrival_at",
        ),
        (
            "legs not contiguous",
            with(
                &["legs", "1", "from"],
                json!({ "country": "KR", "city": "Incheon" }),
            ),
            "legs[1].from",
        ),
        ("empty route", with(&["legs"], json!([])), "legs"),
        (
            "oversize string",
            with(&["declared_description"], json!("x".repeat(1001))),
            "declared_description",
        ),
        ("unknown enum", with(&["mode"], json!("hyperloop")), "mode"),
        ("unknown field", with(&["colour"], json!("red")), "colour"),
        (
            "wrong type",
            with(&["gross_weight_kg"], json!("heavy")),
            "gross_weight_kg",
        ),
        (
            "invisible party",
            with(&["parties", "0", "party_id"], json!(Uuid::now_v7())),
            "parties[0].party_id",
        ),
        (
            "unknown chemical",
            with(&["lines", "0", "chemical_id"], json!(Uuid::now_v7())),
            "lines[0].chemical_id",
        ),
        (
            "bad subdivision",
            with(&["legs", "1", "to", "subdivision"], json!("US-ZZ")),
            "legs[1].to.subdivision",
        ),
        ("bad scope", with(&["scope"], json!("everyone")), "scope"),
    ];
    for (name, body, field) in cases {
        let response = app.post("/api/v1/shipments", &w.a, body);
        let fields = fields_of(&response, 422);
        assert_eq!(fields, [field], "{name}: {}", response.text);
    }
    // Another agency's unshared party cannot be named.
    let hidden = party(
        app,
        &w.c,
        json!({ "kind": "person", "name": "Hidden Person" }),
    );
    let response = app.post(
        "/api/v1/shipments",
        &w.a,
        with(&["parties", "0", "party_id"], json!(hidden)),
    );
    assert_eq!(fields_of(&response, 422), ["parties[0].party_id"]);
    // Nor one withdrawn since.
    let gone = party(
        app,
        &w.a,
        json!({ "kind": "person", "name": "Gone Person" }),
    );
    let withdrawn = app.post(
        &format!("/api/v1/parties/{gone}/withdraw"),
        &w.a,
        json!({ "reason": "Entered twice" }),
    );
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let response = app.post(
        "/api/v1/shipments",
        &w.a,
        with(&["parties", "0", "party_id"], json!(gone)),
    );
    assert_eq!(fields_of(&response, 422), ["parties[0].party_id"]);
    // Nothing was half-written.
    assert_eq!(count(app), before);
    // An update that would break a rule changes nothing.
    let id = created(app.post("/api/v1/shipments", &w.a, good.clone()));
    let path = format!("/api/v1/shipments/{id}");
    let broken = patch(app, &path, &w.a, "\"1\"", json!({ "legs": [] }));
    assert_eq!(fields_of(&broken, 422), ["legs"]);
    assert_eq!(app.get(&path, &w.a).json()["version"], 1);

    // Other kinds.
    let bad_party = app.post("/api/v1/parties", &w.a, json!({ "kind": "company", "name": "X", "address": { "country": "Narnia" }, "emails": ["not-an-email"] }));
    assert_eq!(fields_of(&bad_party, 422), ["address.country", "emails[0]"]);
    let bad_equipment = app.post(
        "/api/v1/equipment",
        &w.a,
        json!({ "kind": "press", "capacity_per_hour": -1 }),
    );
    assert_eq!(
        fields_of(&bad_equipment, 422),
        ["kind", "capacity_per_hour"]
    );
    let bad_mold = app.post("/api/v1/die-molds", &w.a, json!({ "shape": "round" }));
    assert_eq!(fields_of(&bad_mold, 422), ["front_imprint"]);
    let bad_cas = app.post(
        "/api/v1/chemicals",
        &app.admin_token(),
        json!({ "name": "Fake", "cas": "23056-29-4", "us_control": "list_i" }),
    );
    assert_eq!(fields_of(&bad_cas, 422), ["cas"]);
    let missing = app.post("/api/v1/parties", &w.a, json!({ "name": "No kind" }));
    assert_eq!(fields_of(&missing, 422), ["kind"]);
    app.request("POST", "/api/v1/parties")
        .bearer(&w.a)
        .raw("application/json", b"[1,2]")
        .assert_problem(400, "bad-request");
}

fn notices(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/v1/deconfliction", token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["items"].as_array().unwrap().clone()
}

fn deconfliction_tells_both_sides_and_nothing_more(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // Each identifier type, written differently by the two agencies.
    let pairs: Vec<(&str, &str, Value, Value)> = vec![
        (
            "serial",
            "equipment",
            json!({ "kind": "tableting_machine", "serial_number": "TDP5-2023-0042", "manufacturer": "Secret Maker A" }),
            json!({ "kind": "tableting_machine", "serial_number": "tdp5 2023 0042" }),
        ),
        (
            "imprint",
            "die-molds",
            json!({ "front_imprint": "M", "back_imprint": "30", "shape": "round", "imitated_product": "secret product A" }),
            json!({ "front_imprint": "m", "back_imprint": "30", "shape": "round" }),
        ),
        (
            "registration",
            "parties",
            json!({ "kind": "company", "name": "Secret Name A", "registration_numbers": ["91130100-MA0XYZ"] }),
            json!({ "kind": "company", "name": "B's name", "registration_numbers": ["91130100MA0XYZ"] }),
        ),
        (
            "email",
            "parties",
            json!({ "kind": "person", "name": "Secret Person A", "emails": ["Broker@Example.com"] }),
            json!({ "kind": "person", "name": "B's person", "emails": ["broker@example.com"] }),
        ),
        (
            "phone",
            "parties",
            json!({ "kind": "person", "name": "Secret Caller A", "phones": ["+1 (555) 010-9999"] }),
            json!({ "kind": "person", "name": "B's caller", "phones": ["15550109999"] }),
        ),
    ];
    let consignor = party(app, &w.a, json!({ "kind": "company", "name": "Plain Co" }));
    let four_ap = chemical_id(app, &w.a, "23056-29-3");
    for (kind, collection, a_body, b_body) in pairs {
        let a_id = created(app.post(&format!("/api/v1/{collection}"), &w.a, a_body));
        let a_before = notices(app, &w.a).len();
        let b_id = created(app.post(&format!("/api/v1/{collection}"), &w.c, b_body));
        let a_notices = notices(app, &w.a);
        let c_notices = notices(app, &w.c);
        assert_eq!(
            a_notices.len(),
            a_before + 1,
            "{kind}: the first agency is told"
        );
        let mine = c_notices
            .iter()
            .find(|n| n["identifier_kind"] == kind)
            .unwrap_or_else(|| panic!("{kind}: no notice for the second agency"));
        let theirs = a_notices
            .iter()
            .find(|n| n["identifier_kind"] == kind)
            .unwrap();
        assert_eq!(
            mine["record_id"],
            b_id.to_string(),
            "{kind}: the notice names my own record"
        );
        assert_eq!(theirs["record_id"], a_id.to_string());
        assert_eq!(mine["other_agency"]["name"], "DEA Houston Division");
        assert_eq!(
            mine["other_agency"]["contact"],
            "DEA Houston Division duty desk"
        );
        assert_eq!(theirs["other_agency"]["name"], "Los Angeles PD");
        // Nothing of the other record leaks: not its id, not its content.
        let text = serde_json::to_string(mine).unwrap();
        assert!(!text.contains(&a_id.to_string()), "{kind}: {text}");
        assert!(!text.contains("Secret"), "{kind}: {text}");
        // And the record itself stays invisible.
        app.get(&format!("/api/v1/{collection}/{a_id}"), &w.c)
            .assert_problem(404, "not-found");
    }
    // Tracking numbers, on shipments.
    let s = |tracking: &str| {
        shipment(
            &[(consignor, "consignor")],
            json!([{ "chemical_id": four_ap, "quantity": 1, "unit": "kg" }]),
            tracking,
            cn_hk_tx(),
        )
    };
    let a_ship = created(app.post("/api/v1/shipments", &w.a, s("1Z 999 AA1 0123456784")));
    let consignor_c = party(app, &w.c, json!({ "kind": "company", "name": "Plain Co" }));
    let mut c_body = s("1z999aa10123456784");
    c_body["parties"] = json!([{ "party_id": consignor_c, "role": "consignor" }]);
    let c_ship = created(app.post("/api/v1/shipments", &w.c, c_body));
    let tracking = notices(app, &w.c)
        .into_iter()
        .find(|n| n["identifier_kind"] == "tracking_number")
        .expect("tracking notice");
    assert_eq!(tracking["record_id"], c_ship.to_string());
    assert!(
        notices(app, &w.a)
            .iter()
            .any(|n| n["identifier_kind"] == "tracking_number"
                && n["record_id"] == a_ship.to_string())
    );
    // A repeat write does not repeat the notice.
    let c_count = notices(app, &w.c).len();
    let again = patch(
        app,
        &format!("/api/v1/shipments/{c_ship}"),
        &w.c,
        "\"1\"",
        json!({ "narrative": "still the same number" }),
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(notices(app, &w.c).len(), c_count);
    // Matches within one agency are not notices.
    let b_before = notices(app, &w.b).len();
    created(app.post(
        "/api/v1/equipment",
        &w.b,
        json!({ "kind": "punch", "serial_number": "PN-1000" }),
    ));
    created(app.post(
        "/api/v1/equipment",
        &w.b,
        json!({ "kind": "punch", "serial_number": "pn1000" }),
    ));
    assert_eq!(notices(app, &w.b).len(), b_before);
    // Administrators hold no records and read no notices.
    app.get("/api/v1/deconfliction", &app.admin_token())
        .assert_problem(403, "forbidden");
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn shipment_search_filters_narrow_and_pages_are_complete(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shengxue = party(app, &w.a, shengxue());
    let acme = party(
        app,
        &w.a,
        json!({ "kind": "company", "name": "Acme Pigments LLC", "address": { "country": "US" } }),
    );
    let four_ap = chemical_id(app, &w.a, "23056-29-3");
    let acetic = chemical_id(app, &w.a, "108-24-7");
    let press = created(app.post(
        "/api/v1/equipment",
        &w.a,
        json!({ "kind": "tableting_machine", "serial_number": "TDP5-2023-0042" }),
    ));
    let mold = created(app.post(
        "/api/v1/die-molds",
        &w.a,
        json!({ "front_imprint": "M", "back_imprint": "30", "shape": "round" }),
    ));

    let mx_ca = json!([leg(
        json!({ "country": "MX", "city": "Tijuana" }),
        json!({ "country": "US", "subdivision": "US-CA", "city": "San Diego" }),
        "2026-05-10T08:00:00Z",
        "2026-05-10T12:00:00Z"
    )]);
    let one = created(app.post(
        "/api/v1/shipments",
        &w.a,
        shipment(
            &[(shengxue, "consignor"), (acme, "consignee")],
            json!([{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }]),
            "TRK-0001",
            cn_hk_tx(),
        ),
    ));
    let mut body = shipment(
        &[(acme, "consignor")],
        json!([{ "equipment_id": press }, { "die_mold_id": mold, "count": 2 }]),
        "TRK-0002",
        mx_ca.clone(),
    );
    body["incident_type"] = json!("stopped_shipment");
    body["mode"] = json!("truck");
    body["declared_description"] = json!("machine parts");
    let two = created(app.post("/api/v1/shipments", &w.a, body));
    let mut body = shipment(
        &[(shengxue, "exporter")],
        json!([{ "chemical_id": acetic, "quantity": 200, "unit": "L" }]),
        "TRK-0003",
        mx_ca,
    );
    body["declared_description"] = json!("cleaning solvent");
    let three = created(app.post("/api/v1/shipments", &w.a, body));
    // Another agency's unshared shipment never shows up.
    let consignor_c = party(
        app,
        &w.c,
        json!({ "kind": "company", "name": "Hebei Shengxue Trading" }),
    );
    created(app.post(
        "/api/v1/shipments",
        &w.c,
        shipment(
            &[(consignor_c, "consignor")],
            json!([{ "chemical_id": four_ap, "quantity": 5, "unit": "kg" }]),
            "TRK-0009",
            cn_hk_tx(),
        ),
    ));

    let search = |query: &str| {
        let response = app.get(&format!("/api/v1/shipments?{query}"), &w.a);
        assert_eq!(response.status, 200, "{query}: {}", response.text);
        let mut found = ids(&response.json());
        found.sort();
        found
    };
    let expect = |ids: &[Uuid]| {
        let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        ids.sort();
        ids
    };
    assert_eq!(search(""), expect(&[one, two, three]));
    assert_eq!(search("q=shengxue"), expect(&[one, three]), "party name");
    assert_eq!(search("q=HSX"), expect(&[]), "nothing matches");
    assert_eq!(
        search("q=Solvent"),
        expect(&[three]),
        "description, any case"
    );
    assert_eq!(search("tracking_number=trk%200002"), expect(&[two]));
    assert_eq!(search("serial=tdp5%202023%200042"), expect(&[two]));
    assert_eq!(search("imprint=M%7C30"), expect(&[two]));
    assert_eq!(search("imprint=M/30/round"), expect(&[two]));
    assert_eq!(search("imprint=M/30/oval"), expect(&[]));
    assert_eq!(search(&format!("chemical={four_ap}")), expect(&[one]));
    assert_eq!(search("chemical=23056-29-3"), expect(&[one]), "by CAS");
    assert_eq!(search("control_status=list_ii"), expect(&[three]));
    assert_eq!(search("control_status=list_i"), expect(&[one]));
    assert_eq!(search("origin_country=MX"), expect(&[two, three]));
    assert_eq!(search("destination_country=US"), expect(&[one, two, three]));
    assert_eq!(search("destination_state=TX"), expect(&[one]));
    assert_eq!(search("destination_state=CA"), expect(&[two, three]));
    assert_eq!(search("incident_type=stopped_shipment"), expect(&[two]));
    assert_eq!(search("mode=truck"), expect(&[two]));
    assert_eq!(search("from=2026-05-01T00:00:00Z"), expect(&[two, three]));
    assert_eq!(search("to=2026-05-01T00:00:00Z"), expect(&[one]));
    assert_eq!(
        search(&format!("owner_agency_id={}", w.agency_a)),
        expect(&[one, two, three])
    );
    assert_eq!(
        search(&format!("owner_agency_id={}", w.agency_b)),
        expect(&[])
    );
    assert_eq!(
        search("origin_country=MX&control_status=list_ii"),
        expect(&[three]),
        "filters combine"
    );
    // Filters on the same facts row combine in one subquery.
    assert_eq!(
        search("origin_country=MX&destination_state=CA&mode=truck"),
        expect(&[two])
    );
    assert_eq!(
        search("origin_country=MX&destination_state=TX"),
        expect(&[])
    );
    assert_eq!(
        search("destination_country=US&from=2026-01-01T00:00:00Z&to=2026-05-01T00:00:00Z"),
        expect(&[one])
    );

    // Bad filters name themselves.
    for (query, field) in [
        ("origin_country=XX", "origin_country"),
        ("mode=boat", "mode"),
        ("chemical=123", "chemical"),
        ("from=soon", "from"),
        ("destination_state=ZZ", "destination_state"),
        ("limit=501", "limit"),
        ("cursor=abc", "cursor"),
        ("sort=asc", "sort"),
    ] {
        let response = app.get(&format!("/api/v1/shipments?{query}"), &w.a);
        assert_eq!(
            response.assert_problem(400, "bad-request")["errors"][0]["field"],
            field,
            "{query}"
        );
    }

    // Newest first, and paging returns each row exactly once.
    let all = ids(&app.get("/api/v1/shipments", &w.a).json());
    assert_eq!(all, [three, two, one].map(|u| u.to_string()));
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/shipments?limit=2{cursor}"), &w.a)
            .json();
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, all);

    // Parties, equipment and die molds search the same way.
    let found = |collection: &str, query: &str| {
        ids(&app
            .get(&format!("/api/v1/{collection}?{query}"), &w.a)
            .json())
    };
    assert_eq!(
        found("parties", "identifier=sales@SHENGXUE.example"),
        [shengxue.to_string()]
    );
    assert_eq!(
        found("parties", "identifier=+86-311-5555-0100"),
        [shengxue.to_string()]
    );
    assert_eq!(found("parties", "country=US"), [acme.to_string()]);
    assert_eq!(found("parties", "q=acme"), [acme.to_string()]);
    assert_eq!(
        found("equipment", "serial=TDP520230042"),
        [press.to_string()]
    );
    assert_eq!(found("equipment", "kind=punch"), Vec::<String>::new());
    assert_eq!(found("die-molds", "imprint=m|30"), [mold.to_string()]);
    assert_eq!(found("die-molds", "imprint=M"), [mold.to_string()]);
    assert_eq!(found("die-molds", "imprint=30"), Vec::<String>::new());
    assert_eq!(found("die-molds", "shape=oval"), Vec::<String>::new());

    // A renamed party is found under its new name through its shipments.
    let path = format!("/api/v1/parties/{acme}");
    assert_eq!(
        patch(
            app,
            &path,
            &w.a,
            "\"1\"",
            json!({ "name": "Zenith Colours Inc" })
        )
        .status,
        200
    );
    assert_eq!(search("q=zenith"), expect(&[one, two]));
}

fn the_catalogue_is_seeded_and_kept_by_admins(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let csv = include_str!("../../../reference/precursors.csv");
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let all = app.get("/api/v1/chemicals?limit=500", &w.a).json();
    assert_eq!(all["items"].as_array().unwrap().len(), rows.len());
    for row in &rows {
        let found = app
            .get(&format!("/api/v1/chemicals?cas={}", row[2]), &w.a)
            .json();
        let entry = &found["items"][0];
        assert_eq!(entry["name"], row[0], "{row:?}");
        assert_eq!(entry["us_control"], row[3], "{row:?}");
        if !row[4].is_empty() {
            assert_eq!(entry["un_table"], row[4]);
        }
    }
    // By name, synonym or CAS, case-insensitively.
    let find = |q: &str| {
        app.get(&format!("/api/v1/chemicals?q={q}"), &w.b).json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cas"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(find("4-ap").contains(&"23056-29-3".to_owned()), "synonym");
    assert_eq!(find("4-anilinopiperidine"), ["23056-29-3"]);
    assert_eq!(find("despropionyl"), ["21409-26-7"]);
    assert_eq!(find("39742-60-4"), ["39742-60-4"]);
    assert_eq!(
        app.get("/api/v1/chemicals?control_status=list_ii", &w.c)
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Administrators add a newly scheduled substance; others may not.
    let new = json!({ "name": "4-piperidone hydrochloride", "synonyms": ["4-piperidone HCl"], "cas": "41979-39-9", "us_control": "list_i", "un_table": "table_i", "hs_code": "2933.39" });
    app.post("/api/v1/chemicals", &w.a, new.clone())
        .assert_problem(403, "forbidden");
    let admin = app.admin_token();
    let added = app.post("/api/v1/chemicals", &admin, new.clone());
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["scope"], "all");
    assert_eq!(find("piperidone hcl"), ["41979-39-9"]);
    app.post("/api/v1/chemicals", &admin, new)
        .assert_problem(409, "conflict");
    let path = format!("/api/v1/chemicals/{}", added.id());
    patch(app, &path, &w.a, "\"1\"", json!({ "note": "x" })).assert_problem(403, "forbidden");
    let noted = patch(
        app,
        &path,
        &admin,
        "\"1\"",
        json!({ "note": "Scheduled 2026" }),
    );
    assert_eq!(noted.status, 200, "{}", noted.text);
    let reshared = patch(app, &path, &admin, "\"2\"", json!({ "scope": "agency" }));
    reshared.assert_problem(403, "forbidden");
    // Withdrawn by an administrator: gone from investigators' searches, kept
    // for auditors, with its history.
    app.post(&format!("{path}/withdraw"), &w.a, json!({ "reason": "x" }))
        .assert_problem(403, "forbidden");
    let withdrawn = app.post(
        &format!("{path}/withdraw"),
        &admin,
        json!({ "reason": "entered in error" }),
    );
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert!(find("piperidone hcl").is_empty());
    app.get(&path, &w.a).assert_problem(404, "not-found");
    assert_eq!(
        app.get(&path, &w.auditor_a).json()["withdrawn"]["reason"],
        "entered in error"
    );
    let history = app.get(&format!("{path}/history"), &w.auditor_a).json();
    let changes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["create", "update", "withdraw"]);
}

fn an_investigator_records_and_finds_a_realistic_case(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // 25 kg of 4-AP declared as industrial dye, by air express from a
    // company in China through a forwarder in Hong Kong to a consignee in Texas.
    let maker = party(app, &w.a, shengxue());
    let forwarder = party(
        app,
        &w.a,
        json!({ "kind": "company", "name": "Pearl River Forwarding Ltd", "address": { "city": "Hong Kong", "country": "HK" } }),
    );
    let consignee = party(
        app,
        &w.a,
        json!({ "kind": "person", "name": "J. Smith", "address": { "city": "Houston", "region": "TX", "country": "US" } }),
    );
    let four_ap = chemical_id(app, &w.a, "23056-29-3");
    let chemical_shipment = created(app.post(
        "/api/v1/shipments",
        &w.a,
        shipment(
            &[
                (maker, "consignor"),
                (forwarder, "forwarder"),
                (consignee, "consignee"),
            ],
            json!([{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }]),
            "1Z999AA10123456784",
            cn_hk_tx(),
        ),
    ));
    // A tableting machine and an M/30 die in a second shipment.
    let press = created(app.post("/api/v1/equipment", &w.a, json!({ "kind": "tableting_machine", "manufacturer": "Unknown", "model": "TDP-5", "serial_number": "TDP5-2023-0042", "power": "electric", "markings_removed": true })));
    let die = created(app.post("/api/v1/die-molds", &w.a, json!({ "front_imprint": "M", "back_imprint": "30", "shape": "round", "colour": "blue", "imitated_product": "oxycodone hydrochloride 30 mg", "equipment_id": press })));
    let mut body = shipment(
        &[(maker, "consignor"), (consignee, "consignee")],
        json!([{ "equipment_id": press }, { "die_mold_id": die }]),
        "7789 1234 5678",
        cn_hk_tx(),
    );
    body["declared_description"] = json!("candy machine");
    let press_shipment = created(app.post("/api/v1/shipments", &w.a, body));

    // Found by CAS, serial and imprint.
    let found = |query: &str| ids(&app.get(&format!("/api/v1/shipments?{query}"), &w.a).json());
    assert_eq!(
        found("chemical=23056-29-3"),
        [chemical_shipment.to_string()]
    );
    assert_eq!(found("serial=TDP5-2023-0042"), [press_shipment.to_string()]);
    assert_eq!(found("imprint=M|30"), [press_shipment.to_string()]);

    // Shared with the task force, a member agency sees it.
    let path = format!("/api/v1/shipments/{chemical_shipment}");
    app.get(&path, &w.b).assert_problem(404, "not-found");
    let shared = patch(app, &path, &w.a, "\"1\"", json!({ "scope": w.task_force }));
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!(
        app.get(&path, &w.b).json()["declared_description"],
        "industrial dye"
    );

    // Another agency's investigator records the same serial number and is
    // told which agency to call.
    created(app.post(
        "/api/v1/equipment",
        &w.c,
        json!({ "kind": "tableting_machine", "serial_number": "tdp5 2023 0042" }),
    ));
    let told = notices(app, &w.c);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["identifier_kind"], "serial");
    assert_eq!(told[0]["other_agency"]["name"], "DEA Houston Division");
    assert!(
        notices(app, &w.a)
            .iter()
            .any(|n| n["identifier_kind"] == "serial"
                && n["other_agency"]["name"] == "Los Angeles PD")
    );

    // Every step is in the audit trail.
    let audit = app
        .get(
            "/api/v1/audit?action=shipment.create&limit=10",
            &w.auditor_a,
        )
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
    let _ = ADMIN_PASSWORD;
}

fn auditors_see_who_read_a_record(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let mut body = shengxue();
    body["scope"] = json!(w.task_force);
    let id = party(app, &w.a, body);
    assert_eq!(app.get(&format!("/api/v1/parties/{id}"), &w.b).status, 200);
    app.get(&format!("/api/v1/parties/{id}"), &w.c)
        .assert_problem(404, "not-found");
    let history = app.get(&format!("/api/v1/audit/objects/party/{id}"), &w.auditor_a);
    assert_eq!(history.status, 200, "{}", history.text);
    let entries = history.json()["items"].as_array().unwrap().clone();
    let seen: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["agency_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Newest first: the other agency's refused look, the partner's read, the creation.
    assert!(
        seen.contains(&(
            "party.read".into(),
            "allowed".into(),
            w.agency_b.to_string()
        )),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(
            "party.create".into(),
            "allowed".into(),
            w.agency_a.to_string()
        )),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(a, o, _)| a == "party.read" && o == "denied"),
        "{seen:?}"
    );
    // Only auditors, and only for records they can see.
    app.get(&format!("/api/v1/audit/objects/party/{id}"), &w.a)
        .assert_problem(403, "forbidden");
    let other_auditor_agency = app.create_agency("Nevada DPS", "NV0000000", "state", "NV");
    app.create_user(other_auditor_agency, "aud.nv", "auditor");
    let outsider = app.token("aud.nv", PASSWORD);
    app.get(&format!("/api/v1/audit/objects/party/{id}"), &outsider)
        .assert_problem(404, "not-found");
    app.get(
        &format!("/api/v1/audit/objects/party/{}", Uuid::now_v7()),
        &w.auditor_a,
    )
    .assert_problem(404, "not-found");
}
