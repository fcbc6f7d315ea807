//! Links, chain tracing, risk indicators, flags and the review queue, over
//! HTTP on both backends.

use crate::fixtures::{created, HoustonHidta};
use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(
    links_refuse_cycles_and_need_both_ends_visible,
    a_chain_lists_every_path_in_order_with_placeholders,
    tracing_reports_truncation,
    indicators_come_with_the_shipment,
    the_supervisor_story,
    review_transitions_follow_the_state_machine,
    task_force_supervisors_share_the_queue,
    suggestions_propose_and_remember_decisions,
    chain_search_filters,
    a_hidden_press_cannot_be_found_by_its_kind,
);

struct World {
    app: TestApp,
    agency_a: Uuid,
    agency_c: Uuid,
    task_force: Uuid,
    inv_a: String,
    sup_a: String,
    sup_a2: String,
    inv_b: String,
    sup_b: String,
    inv_c: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    let houston = HoustonHidta::create(
        &app,
        &[
            ('a', "inv.a", "investigator"),
            ('a', "sup.a", "supervisor"),
            ('a', "sup.a2", "supervisor"),
            ('b', "inv.b", "investigator"),
            ('b', "sup.b", "supervisor"),
            ('c', "inv.c", "investigator"),
        ],
    );
    World {
        task_force: houston.task_force,
        inv_a: app.token("inv.a", PASSWORD),
        sup_a: app.token("sup.a", PASSWORD),
        sup_a2: app.token("sup.a2", PASSWORD),
        inv_b: app.token("inv.b", PASSWORD),
        sup_b: app.token("sup.b", PASSWORD),
        inv_c: app.token("inv.c", PASSWORD),
        app,
        agency_a: houston.a,
        agency_c: houston.c,
    }
}

fn place(country: &str, city: &str) -> Value {
    json!({ "country": country, "city": city })
}

/// A plain shipment from `from` to `to` on `day` of March 2026.
fn plain(app: &TestApp, token: &str, from: Value, to: Value, day: u32) -> Uuid {
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "truck", "declared_description": "office furniture",
            "legs": [{ "from": from, "to": to, "departure_at": format!("2026-03-{day:02}T08:00:00Z"), "arrival_at": format!("2026-03-{day:02}T18:00:00Z") }]
        }),
    ))
}

fn link(app: &TestApp, token: &str, from: Uuid, to: Uuid) -> Response {
    app.post(
        &format!("/api/v1/shipments/{from}/links"),
        token,
        json!({ "to": to, "relation": "transshipment", "evidence": "same drums, relabelled" }),
    )
}

fn chain(app: &TestApp, token: &str, id: Uuid, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/shipments/{id}/chain{query}"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn ids(values: &Value) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn links_refuse_cycles_and_need_both_ends_visible(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let a = plain(
        app,
        &w.inv_a,
        place("MX", "Tijuana"),
        place("US", "San Diego"),
        1,
    );
    let b = plain(
        app,
        &w.inv_a,
        place("US", "San Diego"),
        place("US", "Phoenix"),
        2,
    );
    let c = plain(
        app,
        &w.inv_a,
        place("US", "Phoenix"),
        place("US", "Denver"),
        3,
    );
    assert_eq!(link(app, &w.inv_a, a, b).status, 201);
    assert_eq!(link(app, &w.inv_a, b, c).status, 201);
    // Closing the loop, directly or around, is refused.
    for (from, to) in [(c, a), (b, a), (a, a)] {
        let refused = link(app, &w.inv_a, from, to);
        let body = refused.assert_problem(422, "validation");
        assert_eq!(body["errors"][0]["field"], "to");
    }
    link(app, &w.inv_a, a, b).assert_problem(409, "conflict");
    // Both ends must be visible to the one who links.
    let hidden = plain(
        app,
        &w.inv_c,
        place("US", "Denver"),
        place("US", "Chicago"),
        4,
    );
    link(app, &w.inv_a, c, hidden).assert_problem(404, "not-found");
    link(app, &w.inv_c, hidden, a).assert_problem(404, "not-found");
    // The relation and evidence are checked.
    let bad = app.post(
        &format!("/api/v1/shipments/{a}/links"),
        &w.inv_a,
        json!({ "to": c, "relation": "teleport", "evidence": "" }),
    );
    let problem = bad.assert_problem(422, "validation");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["relation", "evidence"]);

    // A withdrawn link no longer joins the chain, and the loop may then close.
    let listed = app
        .get(&format!("/api/v1/shipments/{b}/links"), &w.inv_a)
        .json();
    let bc = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["to"] == c.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/links/{bc}/withdraw"),
        &w.inv_c,
        json!({ "reason": "x" }),
    )
    .assert_problem(404, "not-found");
    let withdrawn = app.post(
        &format!("/api/v1/links/{bc}/withdraw"),
        &w.inv_a,
        json!({ "reason": "wrong drums" }),
    );
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert_eq!(
        chain(app, &w.inv_a, a, "")["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(link(app, &w.inv_a, c, a).status, 201);
    let history = app
        .get(&format!("/api/v1/shipments/{b}/links"), &w.inv_a)
        .json();
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["withdrawn_reason"] == "wrong drums"));
}

fn a_chain_lists_every_path_in_order_with_placeholders(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // origin splits into two onward shipments, which merge at a hub.
    let origin = plain(
        app,
        &w.inv_a,
        place("CN", "Shanghai"),
        place("HK", "Hong Kong"),
        1,
    );
    let left = plain(
        app,
        &w.inv_a,
        place("HK", "Hong Kong"),
        place("MX", "Manzanillo"),
        2,
    );
    let right = plain(
        app,
        &w.inv_a,
        place("HK", "Hong Kong"),
        place("MX", "Lazaro Cardenas"),
        3,
    );
    let hub = plain(
        app,
        &w.inv_a,
        place("MX", "Culiacan"),
        place("US", "Phoenix"),
        5,
    );
    for (from, to) in [(origin, left), (origin, right), (left, hub), (right, hub)] {
        assert_eq!(link(app, &w.inv_a, from, to).status, 201);
    }
    // Another agency's shipment continues the chain, shared with everyone so
    // the link can be made, then made private again.
    let onward = created(app.post(
        "/api/v1/shipments",
        &w.inv_c,
        json!({ "scope": "all", "incident_type": "seizure", "mode": "postal", "declared_description": "SECRET CONTENTS",
                "legs": [{ "from": place("US", "Phoenix"), "to": place("US", "Mesa"), "departure_at": "2026-03-08T08:00:00Z" }] }),
    ));
    assert_eq!(link(app, &w.inv_a, hub, onward).status, 201);
    let private = app
        .request("PATCH", &format!("/api/v1/shipments/{onward}"))
        .bearer(&w.inv_c)
        .header("If-Match", "\"1\"")
        .json(json!({ "scope": "agency" }));
    assert_eq!(private.status, 200, "{}", private.text);

    for start in [origin, left, hub] {
        let view = chain(app, &w.inv_a, start, "");
        assert_eq!(
            view["nodes"].as_array().unwrap().len(),
            5,
            "traced through {start}"
        );
        let paths: Vec<Vec<String>> = view["paths"].as_array().unwrap().iter().map(ids).collect();
        let expected = [
            vec![origin, left, hub, onward],
            vec![origin, right, hub, onward],
        ]
        .map(|p| p.iter().map(Uuid::to_string).collect::<Vec<_>>());
        assert_eq!(paths, expected, "ordered from the first origin");
        assert_eq!(view["edges"].as_array().unwrap().len(), 5);
        assert_eq!(
            view["truncated"],
            json!({ "depth": false, "nodes": false, "paths": false })
        );
        // The other agency's shipment is a placeholder: whose, not what.
        let placeholder = view["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == onward.to_string())
            .unwrap();
        assert_eq!(placeholder["placeholder"], true);
        assert_eq!(placeholder["agency_name"], "Phoenix PD");
        assert!(placeholder.get("origin").is_none() && placeholder.get("lines").is_none());
        assert!(
            !view.to_string().contains("SECRET"),
            "placeholder content leaked"
        );
        let first = view["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == origin.to_string())
            .unwrap();
        assert_eq!(first["origin"]["country"], "CN");
        assert_eq!(first["agency_name"], "HSI Houston");
    }
    // The owner of the placeholder sees its own shipment in full, and ours as placeholders.
    let theirs = chain(app, &w.inv_c, onward, "");
    let own = theirs["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == onward.to_string())
        .unwrap();
    assert_eq!(own["placeholder"], false);
    assert_eq!(
        theirs["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["placeholder"] == true)
            .count(),
        4
    );
    // Nobody else can trace from a shipment they cannot see.
    app.get(&format!("/api/v1/shipments/{origin}/chain"), &w.inv_c)
        .assert_problem(404, "not-found");
}

fn tracing_reports_truncation(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let mut previous = plain(
        app,
        &w.inv_a,
        place("CN", "Ningbo"),
        place("KR", "Busan"),
        1,
    );
    let first = previous;
    for day in 2..=6 {
        let next = plain(
            app,
            &w.inv_a,
            place("KR", "Busan"),
            place("KR", "Busan"),
            day,
        );
        assert_eq!(link(app, &w.inv_a, previous, next).status, 201);
        previous = next;
    }
    let full = chain(app, &w.inv_a, first, "");
    assert_eq!(full["nodes"].as_array().unwrap().len(), 6);
    assert_eq!(full["truncated"]["depth"], false);
    let shallow = chain(app, &w.inv_a, first, "?max_depth=2");
    assert_eq!(shallow["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(shallow["truncated"]["depth"], true);
    let capped = chain(app, &w.inv_a, first, "?max_nodes=4");
    assert_eq!(capped["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(capped["truncated"]["nodes"], true);
    app.get(
        &format!("/api/v1/shipments/{first}/chain?max_depth=1000"),
        &w.inv_a,
    )
    .assert_problem(400, "bad-request");
}

fn chemical(app: &TestApp, token: &str, cas: &str) -> Uuid {
    Uuid::parse_str(
        app.get(&format!("/api/v1/chemicals?cas={cas}"), token)
            .json()["items"][0]["id"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

/// 25 kg of 4-AP declared as industrial dye, from a maker in China through
/// a forwarder in Hong Kong, arriving in Hong Kong.
fn four_ap_leg(app: &TestApp, token: &str) -> Uuid {
    let maker = created(app.post("/api/v1/parties", token, json!({ "kind": "company", "name": "Hebei Shengxue Trading", "address": { "country": "CN" } })));
    let forwarder = created(app.post("/api/v1/parties", token, json!({ "kind": "company", "name": "Pearl River Forwarding", "address": { "country": "HK" } })));
    let four_ap = chemical(app, token, "23056-29-3");
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo",
            "tracking_numbers": [{ "kind": "air_waybill", "value": "176-12345675" }],
            "parties": [{ "party_id": maker, "role": "consignor" }, { "party_id": forwarder, "role": "consignee" }],
            "declared_description": "industrial dye", "declared_hs_code": "3204.17",
            "lines": [{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }],
            "legs": [{ "from": { "country": "CN", "city": "Shanghai" }, "to": { "country": "HK", "city": "Hong Kong" },
                       "departure_at": "2026-03-01T08:00:00Z", "arrival_at": "2026-03-01T12:00:00Z" }]
        }),
    ))
}

/// The onward courier shipment from Hong Kong into Texas.
fn courier_leg(app: &TestApp, token: &str) -> Uuid {
    let consignee = created(app.post("/api/v1/parties", token, json!({ "kind": "person", "name": "J. Smith", "address": { "country": "US", "region": "TX" } })));
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_express",
            "tracking_numbers": [{ "kind": "courier_tracking", "value": "1Z999AA10123456784" }],
            "parties": [{ "party_id": consignee, "role": "consignee" }],
            "declared_description": "pigment samples",
            "legs": [{ "from": { "country": "HK", "city": "Hong Kong" }, "to": { "country": "US", "subdivision": "US-TX", "city": "Houston" },
                       "departure_at": "2026-03-03T01:00:00Z", "arrival_at": "2026-03-04T06:00:00Z" }]
        }),
    ))
}

fn codes(indicators: &Value) -> Vec<String> {
    let mut codes: Vec<String> = indicators
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

fn indicators_come_with_the_shipment(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let first = four_ap_leg(app, &w.inv_a);
    let shown = app
        .get(&format!("/api/v1/shipments/{first}"), &w.inv_a)
        .json();
    assert_eq!(
        codes(&shown["risk"]["indicators"]),
        [
            "controlled_chemical",
            "first_seen_consignor",
            "misdeclaration"
        ]
    );
    // 4-AP is List I (35) from 2020-05-15 with no threshold: any quantity
    // is regulated, and 25 kg (10 kg or more) weighs double, 70; declared
    // as "industrial dye" under chapter 32, misdeclaration 20; a consignor
    // never seen before, 5.
    assert_eq!(shown["risk"]["score"], 95.0);
    let sentences: Vec<&str> = shown["risk"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sentence"].as_str().unwrap())
        .collect();
    assert!(
        sentences.iter().any(|s| s.contains("industrial dye")),
        "{sentences:?}"
    );
    // An ordinary shipment fires nothing.
    let dull = plain(
        app,
        &w.inv_a,
        place("US", "Austin"),
        place("US", "Dallas"),
        9,
    );
    let dull = app
        .get(&format!("/api/v1/shipments/{dull}"), &w.inv_a)
        .json();
    assert_eq!(dull["risk"]["score"], 0.0);
    assert_eq!(dull["risk"]["indicators"], json!([]));
}

fn queue(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/v1/reviews/queue", token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["items"].as_array().unwrap().clone()
}

fn transition(app: &TestApp, token: &str, flag: &str, version: i64, body: Value) -> Response {
    app.request("POST", &format!("/api/v1/flags/{flag}/transitions"))
        .bearer(token)
        .header("If-Match", &format!("\"{version}\""))
        .json(body)
}

fn the_supervisor_story(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // An investigator records the onward courier leg (nothing alarming on
    // its own), then the 4-AP leg, which crosses the threshold: the system
    // flags it. Linking them adds no second flag while the first is pending.
    let onward = courier_leg(app, &w.inv_a);
    assert!(
        queue(app, &w.sup_a).is_empty(),
        "the courier leg alone is not flagged"
    );
    let first = four_ap_leg(app, &w.inv_a);
    assert_eq!(queue(app, &w.sup_a).len(), 1);
    assert_eq!(link(app, &w.inv_a, first, onward).status, 201);
    let flags = queue(app, &w.sup_a);
    assert_eq!(flags.len(), 1, "{flags:?}");
    let flag = flags
        .iter()
        .find(|f| f["raised_by"].is_null())
        .expect("a system flag");
    assert_eq!(flag["state"], "open");
    assert!(flag["score"].as_f64().unwrap() >= 60.0);
    let flag_id = flag["id"].as_str().unwrap().to_owned();

    // The chain shows every hop in order, with the indicators that fired.
    let view = chain(app, &w.sup_a, onward, "");
    assert_eq!(view["paths"], json!([[first, onward]]));
    assert_eq!(
        codes(&view["indicators"]),
        [
            "controlled_chemical",
            "first_seen_consignor",
            "misdeclaration"
        ]
    );
    let nodes = view["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["lines"], "25 kg 4-anilinopiperidine");
    assert!(nodes.iter().all(|n| n["flagged"].is_boolean()));
    assert_eq!(view["flags"].as_array().unwrap().len(), 1);

    // Review: start, then two supervisors decide at once; one wins.
    let started = transition(
        app,
        &w.sup_a,
        &flag_id,
        1,
        json!({ "action": "start_review" }),
    );
    assert_eq!(started.status, 200, "{}", started.text);
    let version = started.json()["version"].as_i64().unwrap();
    let (confirm, dismiss) = std::thread::scope(|scope| {
        let confirm = scope.spawn(|| {
            transition(
                app,
                &w.sup_a,
                &flag_id,
                version,
                json!({ "action": "confirm", "reason": "referred to the case agent" }),
            )
        });
        let dismiss = scope.spawn(|| {
            transition(
                app,
                &w.sup_a2,
                &flag_id,
                version,
                json!({ "action": "dismiss", "reason": "known importer" }),
            )
        });
        (confirm.join().unwrap(), dismiss.join().unwrap())
    });
    let statuses = {
        let mut s = [confirm.status, dismiss.status];
        s.sort();
        s
    };
    assert_eq!(
        statuses,
        [200, 412],
        "confirm: {} / dismiss: {}",
        confirm.text,
        dismiss.text
    );
    let detail = app
        .get(&format!("/api/v1/flags/{flag_id}"), &w.sup_a)
        .json();
    let winner = if confirm.status == 200 {
        "confirmed"
    } else {
        "dismissed"
    };
    assert_eq!(detail["state"], winner);
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["action"].as_str().unwrap())
        .collect();
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(&history[..2], ["raise", "start_review"]);
    assert!(detail["history"][0]["by"].is_null(), "raised by the system");
    // A decided flag leaves the default queue.
    assert!(queue(app, &w.sup_a)
        .iter()
        .all(|f| f["id"] != flag_id.as_str()));
}

fn review_transitions_follow_the_state_machine(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shipment = plain(
        app,
        &w.inv_a,
        place("CN", "Tianjin"),
        place("US", "Newark"),
        2,
    );
    // Investigators cannot flag what they cannot see, and may flag what they can.
    app.post(
        &format!("/api/v1/shipments/{shipment}/flags"),
        &w.inv_c,
        json!({ "reason": "x" }),
    )
    .assert_problem(404, "not-found");
    let raised = app.post(
        &format!("/api/v1/shipments/{shipment}/flags"),
        &w.sup_a,
        json!({ "reason": "Consignee on a watch list" }),
    );
    assert_eq!(raised.status, 201, "{}", raised.text);
    let flag = raised.json()["id"].as_str().unwrap().to_owned();

    // Only supervisors review.
    app.get("/api/v1/reviews/queue", &w.inv_a)
        .assert_problem(403, "forbidden");
    transition(app, &w.inv_a, &flag, 1, json!({ "action": "start_review" }))
        .assert_problem(403, "forbidden");
    // Deciding before the review starts is not a valid transition.
    transition(app, &w.sup_a2, &flag, 1, json!({ "action": "confirm" }))
        .assert_problem(409, "conflict");
    transition(app, &w.sup_a2, &flag, 1, json!({ "action": "teleport" }))
        .assert_problem(422, "validation");
    transition(app, &w.sup_a2, &flag, 1, json!({ "action": "assign" }))
        .assert_problem(422, "validation");
    transition(
        app,
        &w.sup_a2,
        &flag,
        1,
        json!({ "action": "assign", "assignee_id": Uuid::now_v7() }),
    )
    .assert_problem(422, "validation");
    let me = app.get("/api/v1/me", &w.sup_a2).json();
    let assigned = transition(
        app,
        &w.sup_a2,
        &flag,
        1,
        json!({ "action": "assign", "assignee_id": me["user"]["id"] }),
    );
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(assigned.json()["assigned_to"], me["user"]["id"]);
    assert_eq!(assigned.json()["state"], "open");
    // A stale version is refused, a missing one required.
    transition(
        app,
        &w.sup_a2,
        &flag,
        1,
        json!({ "action": "start_review" }),
    )
    .assert_problem(412, "stale-version");
    app.request("POST", &format!("/api/v1/flags/{flag}/transitions"))
        .bearer(&w.sup_a2)
        .json(json!({ "action": "start_review" }))
        .assert_problem(428, "precondition-required");
    assert_eq!(
        transition(app, &w.sup_a, &flag, 2, json!({ "action": "start_review" })).status,
        200
    );
    // Four eyes: the supervisor who raised it may not decide it.
    transition(app, &w.sup_a, &flag, 3, json!({ "action": "confirm" }))
        .assert_problem(403, "forbidden");
    // Dismissal needs a reason; escalation needs a real agency.
    transition(app, &w.sup_a2, &flag, 3, json!({ "action": "dismiss" }))
        .assert_problem(422, "validation");
    transition(
        app,
        &w.sup_a2,
        &flag,
        3,
        json!({ "action": "escalate", "agency_id": Uuid::now_v7() }),
    )
    .assert_problem(422, "validation");
    let escalated = transition(
        app,
        &w.sup_a2,
        &flag,
        3,
        json!({ "action": "escalate", "agency_id": w.agency_c, "reason": "Arizona nexus" }),
    );
    assert_eq!(escalated.status, 200, "{}", escalated.text);
    assert_eq!(escalated.json()["state"], "escalated");
    assert_eq!(escalated.json()["escalated_to"], w.agency_c.to_string());
    // Decided is final.
    for action in ["start_review", "confirm", "dismiss"] {
        transition(
            app,
            &w.sup_a2,
            &flag,
            4,
            json!({ "action": action, "reason": "again" }),
        )
        .assert_problem(409, "conflict");
    }
    let escalated_queue = app
        .get("/api/v1/reviews/queue?state=escalated", &w.sup_a)
        .json();
    assert_eq!(escalated_queue["items"].as_array().unwrap().len(), 1);
    let history = app.get(&format!("/api/v1/flags/{flag}"), &w.sup_a).json()["history"].clone();
    let steps: Vec<(String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["action"].as_str().unwrap().to_owned(),
                t["to_state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("raise", "open"),
            ("assign", "open"),
            ("start_review", "under_review"),
            ("escalate", "escalated")
        ]
        .map(|(a, s)| (a.to_owned(), s.to_owned()))
    );
    assert_eq!(history[3]["reason"], "Arizona nexus");
    let _ = w.agency_a;
}

fn task_force_supervisors_share_the_queue(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shipment = plain(
        app,
        &w.inv_a,
        place("CN", "Xiamen"),
        place("US", "Houston"),
        3,
    );
    let raised = app.post(
        &format!("/api/v1/shipments/{shipment}/flags"),
        &w.inv_a,
        json!({ "reason": "Tip from the port" }),
    );
    let flag = raised.json()["id"].as_str().unwrap().to_owned();
    assert!(
        queue(app, &w.sup_b)
            .iter()
            .all(|f| f["id"] != flag.as_str()),
        "not shared yet"
    );
    app.get(&format!("/api/v1/flags/{flag}"), &w.sup_b)
        .assert_problem(404, "not-found");
    let shared = app
        .request("PATCH", &format!("/api/v1/shipments/{shipment}"))
        .bearer(&w.inv_a)
        .header("If-Match", "\"1\"")
        .json(json!({ "scope": w.task_force }));
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert!(queue(app, &w.sup_b)
        .iter()
        .any(|f| f["id"] == flag.as_str()));
    let started = transition(app, &w.sup_b, &flag, 1, json!({ "action": "start_review" }));
    assert_eq!(started.status, 200, "{}", started.text);
    // An investigator of the task force sees the chain, not the queue.
    assert_eq!(
        app.get(&format!("/api/v1/shipments/{shipment}/chain"), &w.inv_b)
            .status,
        200
    );
    app.get("/api/v1/reviews/queue", &w.inv_b)
        .assert_problem(403, "forbidden");
}

fn shipment_with(
    app: &TestApp,
    token: &str,
    parties: Value,
    tracking: &str,
    route: (Value, Value),
    times: (&str, &str),
) -> Uuid {
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo", "declared_description": "lab glassware",
            "parties": parties,
            "tracking_numbers": [{ "kind": "air_waybill", "value": tracking }],
            "legs": [{ "from": route.0, "to": route.1, "departure_at": times.0, "arrival_at": times.1 }]
        }),
    ))
}

fn suggestions_propose_and_remember_decisions(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let t = &w.inv_a;
    let forwarder = created(app.post(
        "/api/v1/parties",
        t,
        json!({ "kind": "company", "name": "Pearl River Forwarding Ltd" }),
    ));
    let forwarder_again = created(app.post(
        "/api/v1/parties",
        t,
        json!({ "kind": "company", "name": "PEARL RIVER FORWARDING" }),
    ));
    let stranger = created(app.post(
        "/api/v1/parties",
        t,
        json!({ "kind": "company", "name": "Unrelated Freight" }),
    ));
    let first = shipment_with(
        app,
        t,
        json!([{ "party_id": forwarder, "role": "consignee" }]),
        "AWB-0001",
        (place("CN", "Shanghai"), place("HK", "Hong Kong")),
        ("2026-03-01T08:00:00Z", "2026-03-01T12:00:00Z"),
    );
    // Departs from where the first arrived, two days later.
    let by_place = shipment_with(
        app,
        t,
        json!([{ "party_id": stranger, "role": "consignor" }]),
        "AWB-0002",
        (place("HK", "Hong Kong"), place("US", "Houston")),
        ("2026-03-03T01:00:00Z", "2026-03-04T01:00:00Z"),
    );
    // Its consignor is the first one's consignee, written differently.
    let by_party = shipment_with(
        app,
        t,
        json!([{ "party_id": forwarder_again, "role": "consignor" }]),
        "AWB-0003",
        (place("HK", "Kowloon"), place("US", "Miami")),
        ("2026-05-20T01:00:00Z", "2026-05-21T01:00:00Z"),
    );
    // Same air waybill, later.
    let by_tracking = shipment_with(
        app,
        t,
        json!([]),
        "awb 0001",
        (place("KR", "Incheon"), place("US", "Seattle")),
        ("2026-04-01T01:00:00Z", "2026-04-02T01:00:00Z"),
    );
    // Too late and elsewhere: not proposed.
    let unrelated = shipment_with(
        app,
        t,
        json!([{ "party_id": stranger, "role": "consignor" }]),
        "AWB-0005",
        (place("HK", "Hong Kong"), place("US", "Boston")),
        ("2026-06-01T01:00:00Z", "2026-06-02T01:00:00Z"),
    );

    let proposed = |app: &TestApp| {
        let response = app.get(&format!("/api/v1/shipments/{first}/suggestions"), t);
        assert_eq!(response.status, 200, "{}", response.text);
        response.json().as_array().unwrap().clone()
    };
    let list = proposed(app);
    let targets: Vec<String> = list
        .iter()
        .map(|s| s["to"].as_str().unwrap().to_owned())
        .collect();
    for expected in [by_place, by_party, by_tracking] {
        assert!(
            targets.contains(&expected.to_string()),
            "{expected} not proposed: {list:?}"
        );
    }
    assert!(!targets.contains(&unrelated.to_string()), "{list:?}");
    assert!(list.iter().all(|s| s["from"] == first.to_string()));
    // One entry per candidate, each named by reference, route and dates,
    // strongest evidence first.
    let candidates: Vec<&str> = list
        .iter()
        .map(|s| s["candidate"].as_str().unwrap())
        .collect();
    let mut unique = candidates.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), candidates.len(), "{list:?}");
    assert!(list.iter().all(|s| s["candidate"] == s["to"]));
    let scores: Vec<u64> = list.iter().map(|s| s["score"].as_u64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let entry = |id: Uuid| list.iter().find(|s| s["to"] == id.to_string()).unwrap();
    // A shared air waybill outweighs departing from the same place.
    assert!(entry(by_tracking)["score"].as_u64() > entry(by_place)["score"].as_u64());
    assert_eq!(entry(by_place)["candidate_route"], "Hong Kong → Houston");
    assert!(entry(by_place)["candidate_reference"]
        .as_str()
        .unwrap()
        .starts_with("TXHSI0100-2026-"));
    assert_eq!(
        entry(by_place)["candidate_departure"],
        "2026-03-03T01:00:00Z"
    );
    let reasons =
        |id: Uuid| list.iter().find(|s| s["to"] == id.to_string()).unwrap()["reasons"].to_string();
    assert!(
        reasons(by_place).contains("Departs from Hong Kong 1 day after"),
        "{}",
        reasons(by_place)
    );
    assert!(
        reasons(by_party).contains("consignee of one and the consignor"),
        "{}",
        reasons(by_party)
    );
    assert!(
        reasons(by_tracking).contains("AWB0001"),
        "{}",
        reasons(by_tracking)
    );

    // Accept one: it becomes a link. Reject another: never proposed again.
    let accepted = app.post(
        &format!("/api/v1/shipments/{first}/suggestions/{by_place}"),
        t,
        json!({ "decision": "accept" }),
    );
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(accepted.json()["link"]["to"], by_place.to_string());
    assert!(accepted.json()["link"]["evidence"]
        .as_str()
        .unwrap()
        .starts_with("Accepted suggestion"));
    let rejected = app.post(
        &format!("/api/v1/shipments/{first}/suggestions/{by_tracking}"),
        t,
        json!({ "decision": "reject" }),
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let targets: Vec<String> = proposed(app)
        .iter()
        .map(|s| s["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(targets, [by_party.to_string()]);
    assert_eq!(
        chain(app, t, first, "")["paths"],
        json!([[first, by_place]])
    );
    // Deciding on something that is not a suggestion is a 404; other agencies see nothing.
    app.post(
        &format!("/api/v1/shipments/{first}/suggestions/{unrelated}"),
        t,
        json!({ "decision": "accept" }),
    )
    .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/shipments/{first}/suggestions"), &w.inv_c)
        .assert_problem(404, "not-found");
    app.post(
        &format!("/api/v1/shipments/{first}/suggestions/{by_party}"),
        t,
        json!({ "decision": "maybe" }),
    )
    .assert_problem(422, "validation");
}

fn chain_search_filters(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let t = &w.inv_a;
    // Chain one: 4-AP from China via Hong Kong into Texas (auto-flagged).
    let four_ap = four_ap_leg(app, t);
    let courier = courier_leg(app, t);
    assert_eq!(link(app, t, four_ap, courier).status, 201);
    // Chain two: a press from Mexico into Arizona, with a named party.
    let buyer = created(app.post(
        "/api/v1/parties",
        t,
        json!({ "kind": "person", "name": "R. Buyer" }),
    ));
    let press = created(app.post(
        "/api/v1/equipment",
        t,
        json!({ "kind": "tableting_machine", "serial_number": "TP-900" }),
    ));
    let leg_one = created(app.post("/api/v1/shipments", t, json!({
        "incident_type": "stopped_shipment", "mode": "truck", "declared_description": "machine",
        "lines": [{ "equipment_id": press }],
        "legs": [{ "from": place("MX", "Nogales"), "to": place("US", "Nogales"), "departure_at": "2026-04-01T08:00:00Z" }] })));
    let leg_two = created(app.post("/api/v1/shipments", t, json!({
        "incident_type": "stopped_shipment", "mode": "truck", "declared_description": "machine",
        "parties": [{ "party_id": buyer, "role": "consignee" }],
        "legs": [{ "from": place("US", "Nogales"), "to": { "country": "US", "subdivision": "US-AZ", "city": "Tucson" }, "departure_at": "2026-04-02T08:00:00Z" }] })));
    assert_eq!(link(app, t, leg_one, leg_two).status, 201);
    // A lone shipment is not a chain.
    plain(app, t, place("CA", "Toronto"), place("US", "Buffalo"), 9);

    let roots = |query: &str| -> Vec<Uuid> {
        let response = app.get(&format!("/api/v1/chains?{query}"), t);
        assert_eq!(response.status, 200, "{query}: {}", response.text);
        response.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Uuid::parse_str(c["root_id"].as_str().unwrap()).unwrap())
            .collect()
    };
    let (one, two) = (four_ap, leg_one);
    assert_eq!(roots(""), [two, one]);
    assert_eq!(roots("origin_country=CN"), [one]);
    assert_eq!(roots("origin_country=MX"), [two]);
    assert_eq!(roots("destination_state=TX"), [one]);
    assert_eq!(roots("destination_country=US"), [two, one]);
    assert_eq!(roots(&format!("party_id={buyer}")), [two]);
    assert_eq!(roots("chemical=23056-29-3"), [one]);
    assert_eq!(roots("control_status=list_i"), [one]);
    assert_eq!(roots("control_status=list_ii"), Vec::<Uuid>::new());
    assert_eq!(roots("equipment_kind=tableting_machine"), [two]);
    assert_eq!(roots("flagged=true"), [one]);
    assert_eq!(roots("flagged=false"), [two]);
    assert_eq!(roots("from=2026-03-15T00:00:00Z"), [two]);
    assert_eq!(roots("to=2026-03-15T00:00:00Z"), [one]);
    assert_eq!(roots("limit=1").len(), 1);
    let summary = &app.get("/api/v1/chains?origin_country=CN", t).json()["items"][0];
    assert_eq!(summary["shipments"], 2);
    assert_eq!(summary["flagged"], true);
    assert_eq!(summary["destinations"][0]["subdivision"], "US-TX");
    // Another agency sees none of it.
    assert!(app.get("/api/v1/chains", &w.inv_c).json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    app.get("/api/v1/chains?equipment_kind=cannon", t)
        .assert_problem(400, "bad-request");
}

/// A chain shared with everyone may carry a press its agency keeps to
/// itself; filtering chains by equipment kind must not tell another agency
/// what that press is.
fn a_hidden_press_cannot_be_found_by_its_kind(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let t = &w.inv_a;
    let press = created(app.post(
        "/api/v1/equipment",
        t,
        json!({ "scope": "agency", "kind": "tableting_machine", "serial_number": "TP-HIDDEN-1" }),
    ));
    let leg_one = created(app.post("/api/v1/shipments", t, json!({
        "scope": "all", "incident_type": "stopped_shipment", "mode": "truck", "declared_description": "machine",
        "lines": [{ "equipment_id": press }],
        "legs": [{ "from": place("MX", "Nogales"), "to": place("US", "Nogales"), "departure_at": "2026-04-01T08:00:00Z" }] })));
    let leg_two = created(app.post("/api/v1/shipments", t, json!({
        "scope": "all", "incident_type": "stopped_shipment", "mode": "truck", "declared_description": "machine",
        "legs": [{ "from": place("US", "Nogales"), "to": place("US", "Tucson"), "departure_at": "2026-04-02T08:00:00Z" }] })));
    assert_eq!(link(app, t, leg_one, leg_two).status, 201);

    let roots = |token: &str, query: &str| -> Vec<Uuid> {
        let response = app.get(&format!("/api/v1/chains?{query}"), token);
        assert_eq!(response.status, 200, "{query}: {}", response.text);
        response.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Uuid::parse_str(c["root_id"].as_str().unwrap()).unwrap())
            .collect()
    };
    // The owner finds its chain by the press's kind.
    assert_eq!(roots(t, "equipment_kind=tableting_machine"), [leg_one]);
    // Another agency sees the shared chain, but not the press...
    let other = &w.inv_c;
    app.get(&format!("/api/v1/equipment/{press}"), other)
        .assert_problem(404, "not-found");
    assert_eq!(roots(other, ""), [leg_one]);
    // ...so filtering by its kind finds nothing, as for any other kind.
    assert_eq!(
        roots(other, "equipment_kind=tableting_machine"),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        roots(other, "equipment_kind=encapsulating_machine"),
        Vec::<Uuid>::new()
    );
}
