//! One open flag per chain: linking two flagged shipments merges their
//! open flags into one; a later auto-flag on the chain attaches to it; a
//! manual flag adds its reason to it unless a supervisor asks for a
//! separate one. Over HTTP on both backends, with the audit entries.

use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::{created, HoustonHidta};

both_backends!(
    linking_two_flagged_shipments_merges_their_open_flags,
    a_later_auto_flag_on_the_chain_attaches_to_its_open_flag,
    a_manual_flag_joins_the_chains_open_flag_unless_a_supervisor_separates_it,
    flags_of_different_agencies_are_not_merged,
    a_supervisor_filters_the_queue_by_indicator_and_agency,
);

struct World {
    app: TestApp,
    task_force: Uuid,
    inv_a: String,
    sup_a: String,
    inv_b: String,
    sup_b: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    let houston = HoustonHidta::create(
        &app,
        &[
            ('a', "inv.a", "investigator"),
            ('a', "sup.a", "supervisor"),
            ('b', "inv.b", "investigator"),
            ('b', "sup.b", "supervisor"),
        ],
    );
    World {
        inv_a: app.token("inv.a", PASSWORD),
        sup_a: app.token("sup.a", PASSWORD),
        inv_b: app.token("inv.b", PASSWORD),
        sup_b: app.token("sup.b", PASSWORD),
        task_force: houston.task_force,
        app,
    }
}

/// 25 kg of 4-AP declared as dye from `from` to `to`: flagged by the
/// system on its own.
fn flagged_leg(w: &World, token: &str, from: &str, to: &str, day: u32) -> Uuid {
    let (app, scope) = (&w.app, w.task_force);
    let four_ap = app.get("/api/v1/chemicals?cas=23056-29-3", token).json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo", "scope": scope,
            "declared_description": "industrial dye", "declared_hs_code": "3204.17",
            "lines": [{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }],
            "legs": [{ "from": { "country": from }, "to": { "country": to },
                       "departure_at": format!("2026-03-{day:02}T08:00:00Z") }]
        }),
    ))
}

/// A pill press moved by truck: not flagged on its own.
fn press_leg(w: &World, token: &str, serial: &str) -> Uuid {
    let (app, scope) = (&w.app, w.task_force);
    let press = created(app.post(
        "/api/v1/equipment",
        token,
        json!({ "kind": "tableting_machine", "serial_number": serial }),
    ));
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "stopped_shipment", "mode": "truck", "scope": scope,
            "declared_description": "machine",
            "lines": [{ "equipment_id": press }],
            "legs": [{ "from": { "country": "MX" }, "to": { "country": "US" },
                       "departure_at": "2026-03-20T08:00:00Z" }]
        }),
    ))
}

fn link(app: &TestApp, token: &str, from: Uuid, to: Uuid) -> Response {
    app.post(
        &format!("/api/v1/shipments/{from}/links"),
        token,
        json!({ "to": to, "relation": "transshipment", "evidence": "same drums" }),
    )
}

/// The flags in `token`'s review queue (open and under review) on `shipments`.
fn open_flags(app: &TestApp, token: &str, shipments: &[Uuid]) -> Vec<Value> {
    let response = app.get("/api/v1/reviews/queue?view=review&limit=100", token);
    assert_eq!(response.status, 200, "{}", response.text);
    let ids: Vec<String> = shipments.iter().map(Uuid::to_string).collect();
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ids.iter().any(|id| f["shipment_id"] == id.as_str()))
        .cloned()
        .collect()
}

fn flag(app: &TestApp, token: &str, id: &str) -> Value {
    let response = app.get(&format!("/api/v1/flags/{id}"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn sentences(flag: &Value) -> Vec<String> {
    flag["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}: {}", i["code"], i["sentence"]))
        .collect()
}

fn linking_two_flagged_shipments_merges_their_open_flags(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let first = flagged_leg(&w, &w.inv_a, "CN", "HK", 1);
    let second = flagged_leg(&w, &w.inv_a, "HK", "US", 3);
    let before = open_flags(app, &w.sup_a, &[first, second]);
    assert_eq!(before.len(), 2, "{before:?}");
    let older = before
        .iter()
        .find(|f| f["shipment_id"] == first.to_string().as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let younger = before
        .iter()
        .find(|f| f["shipment_id"] == second.to_string().as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut expected: Vec<String> = before.iter().flat_map(sentences).collect();
    expected.sort();
    expected.dedup();

    assert_eq!(link(app, &w.inv_a, first, second).status, 201);

    // One open flag is left on the chain: the older one, with the
    // indicators of both.
    let after = open_flags(app, &w.sup_a, &[first, second]);
    assert_eq!(after.len(), 1, "{after:?}");
    let kept = flag(app, &w.sup_a, &older);
    assert_eq!(kept["state"], "open");
    let mut got = sentences(&kept);
    got.sort();
    for sentence in &expected {
        assert!(got.contains(sentence), "{sentence} missing from {got:?}");
    }
    let last = kept["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "merge", "{kept}");
    assert_eq!(last["by_username"], "inv.a");
    assert_eq!(last["detail"]["merged"], json!([younger]));
    assert!(
        last["reason"].as_str().unwrap().contains("linked"),
        "{last}"
    );

    // The other is closed as merged and names the flag it went into.
    let gone = flag(app, &w.sup_a, &younger);
    assert_eq!(gone["state"], "merged");
    assert_eq!(gone["merged_into"], older.as_str());
    let last = gone["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "merge");
    assert_eq!(last["to_state"], "merged");
    assert_eq!(last["detail"]["merged_into"], older.as_str());
    // Asking for merged flags finds it.
    let merged = app.get("/api/v1/reviews/queue?view=review&state=merged", &w.sup_a);
    assert_eq!(merged.status, 200, "{}", merged.text);
    assert!(merged.text.contains(&younger));

    // The merge is audited, in the link's transaction.
    let entries = app.last_audit(10);
    let merge = entries
        .iter()
        .find(|e| e.action == "flag.merge")
        .expect("a flag.merge entry");
    assert_eq!(merge.object_id.as_deref(), Some(older.as_str()));
    assert!(merge.detail.as_deref().unwrap().contains(&younger));
    assert!(entries.iter().any(|e| e.action == "link.create"));
}

fn a_later_auto_flag_on_the_chain_attaches_to_its_open_flag(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let drums = flagged_leg(&w, &w.inv_a, "CN", "US", 1);
    let press = press_leg(&w, &w.inv_a, "TP-77");
    // The press alone is not flagged.
    assert_eq!(open_flags(app, &w.sup_a, &[press]).len(), 0);
    let before = open_flags(app, &w.sup_a, &[drums]);
    assert_eq!(before.len(), 1);
    let id = before[0]["id"].as_str().unwrap().to_owned();
    let codes = |f: &Value| -> Vec<String> {
        f["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!codes(&before[0]).contains(&"pill_press".to_owned()));

    assert_eq!(link(app, &w.inv_a, drums, press).status, 201);

    // Still one open flag, now carrying the press.
    let after = open_flags(app, &w.sup_a, &[drums, press]);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["id"], id.as_str());
    assert!(
        codes(&after[0]).contains(&"pill_press".to_owned()),
        "{}",
        after[0]
    );
    assert!(after[0]["score"].as_f64().unwrap() >= before[0]["score"].as_f64().unwrap());
    let detail = flag(app, &w.sup_a, &id);
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "attach", "{detail}");
    assert!(last["by"].is_null());
    assert!(app
        .last_audit(10)
        .iter()
        .any(|e| e.action == "flag.amend" && e.object_id.as_deref() == Some(id.as_str())));
}

fn a_manual_flag_joins_the_chains_open_flag_unless_a_supervisor_separates_it(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let first = flagged_leg(&w, &w.inv_a, "CN", "HK", 1);
    let second = press_leg(&w, &w.inv_a, "TP-88");
    assert_eq!(link(app, &w.inv_a, first, second).status, 201);
    let open = open_flags(app, &w.sup_a, &[first, second]);
    assert_eq!(open.len(), 1);
    let id = open[0]["id"].as_str().unwrap().to_owned();

    // An investigator's flag on the other end joins the open flag: 200.
    let joined = app.post(
        &format!("/api/v1/shipments/{second}/flags"),
        &w.inv_a,
        json!({ "reason": "Press buyer known from a prior case" }),
    );
    assert_eq!(joined.status, 200, "{}", joined.text);
    assert_eq!(joined.json()["id"], id.as_str());
    let detail = flag(app, &w.sup_a, &id);
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "add_reason");
    assert_eq!(last["reason"], "Press buyer known from a prior case");
    assert_eq!(last["by_username"], "inv.a");
    let raised = app
        .last_audit(5)
        .into_iter()
        .find(|e| e.action == "flag.raise")
        .expect("a flag.raise entry");
    assert!(raised
        .detail
        .as_deref()
        .unwrap()
        .contains("added_to_open_flag"));
    assert_eq!(open_flags(app, &w.sup_a, &[first, second]).len(), 1);

    // Only a supervisor may ask for a separate flag.
    app.post(
        &format!("/api/v1/shipments/{second}/flags"),
        &w.inv_a,
        json!({ "reason": "A second look", "separate": true }),
    )
    .assert_problem(403, "forbidden");
    assert_eq!(app.last_audit(1)[0].outcome, "denied");
    let separate = app.post(
        &format!("/api/v1/shipments/{second}/flags"),
        &w.sup_a,
        json!({ "reason": "Separate case: the press buyer", "separate": true }),
    );
    assert_eq!(separate.status, 201, "{}", separate.text);
    assert_ne!(separate.json()["id"], id.as_str());
    assert_eq!(open_flags(app, &w.sup_a, &[first, second]).len(), 2);
    // An unknown field is still refused.
    app.post(
        &format!("/api/v1/shipments/{second}/flags"),
        &w.sup_a,
        json!({ "reason": "x", "separately": true }),
    )
    .assert_problem(422, "validation");
}

fn flags_of_different_agencies_are_not_merged(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // Two task-force partners each flag their own leg; a link joins them.
    let theirs = flagged_leg(&w, &w.inv_b, "CN", "HK", 1);
    let ours = flagged_leg(&w, &w.inv_a, "HK", "US", 3);
    assert_eq!(link(app, &w.inv_a, theirs, ours).status, 201);
    // Each agency keeps its own open flag to decide.
    assert_eq!(open_flags(app, &w.sup_a, &[ours]).len(), 1);
    assert_eq!(open_flags(app, &w.sup_b, &[theirs]).len(), 1);
    assert!(!app.last_audit(10).iter().any(|e| e.action == "flag.merge"));
}

fn a_supervisor_filters_the_queue_by_indicator_and_agency(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let ours = flagged_leg(&w, &w.inv_a, "CN", "US", 1);
    let theirs = flagged_leg(&w, &w.inv_b, "CN", "US", 2);
    let press = press_leg(&w, &w.inv_a, "TP-99");
    let raised = app.post(
        &format!("/api/v1/shipments/{press}/flags"),
        &w.inv_a,
        json!({ "reason": "Press without an importer" }),
    );
    assert_eq!(raised.status, 201, "{}", raised.text);
    let on = |query: &str| -> Vec<String> {
        let response = app.get(
            &format!("/api/v1/reviews/queue?view=review{query}"),
            &w.sup_a,
        );
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["shipment_id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Sup A decides flags of both agencies (the task force shares them).
    let all = on("");
    for id in [ours, theirs, press] {
        assert!(all.contains(&id.to_string()), "{id} missing: {all:?}");
    }
    assert_eq!(on("&indicator=pill_press"), [press.to_string()]);
    let chemical = on("&indicator=controlled_chemical");
    assert!(chemical.contains(&ours.to_string()) && chemical.contains(&theirs.to_string()));
    assert!(!chemical.contains(&press.to_string()));
    let harris = open_flags(app, &w.sup_b, &[theirs])[0]["owner_agency_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(on(&format!("&agency_id={harris}")), [theirs.to_string()]);
    assert_eq!(
        on(&format!("&agency_id={harris}&indicator=pill_press")),
        Vec::<String>::new()
    );
    app.get("/api/v1/reviews/queue?indicator=cannon", &w.sup_a)
        .assert_problem(400, "bad-request");
}
