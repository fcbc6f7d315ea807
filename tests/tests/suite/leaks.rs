//! The cross-agency leak suite: what another agency keeps to itself cannot
//! be learned by searching, filtering, tracing or reviewing, even where it
//! sits on a record that is shared. Each test fails on the code before
//! its fix (issue 27, findings 2, 3 and 7), on both backends.

use crate::fixtures::{created, HoustonHidta};
use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(
    private_names_and_serials_on_a_shared_shipment_are_not_searchable,
    suggestions_do_not_reveal_a_hidden_serial,
    a_hidden_link_shows_no_evidence_in_the_chain_view,
    flags_on_withdrawn_shipments_are_not_queued,
);

/// The owning agency (HSI Houston), a task-force partner (Harris County)
/// and an agency outside it (Phoenix PD).
struct World {
    app: TestApp,
    task_force: Uuid,
    owner: String,
    owner_sup: String,
    partner: String,
    partner_sup: String,
    outsider: String,
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
            ('c', "inv.c", "investigator"),
        ],
    );
    World {
        task_force: houston.task_force,
        owner: app.token("inv.a", PASSWORD),
        owner_sup: app.token("sup.a", PASSWORD),
        partner: app.token("inv.b", PASSWORD),
        partner_sup: app.token("sup.b", PASSWORD),
        outsider: app.token("inv.c", PASSWORD),
        app,
    }
}

fn place(country: &str, city: &str) -> Value {
    json!({ "country": country, "city": city })
}

/// Ids of the items a search answers with.
fn found(app: &TestApp, token: &str, path: &str) -> Vec<Uuid> {
    let response = app.get(path, token);
    assert_eq!(response.status, 200, "{path}: {}", response.text);
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let id = item.get("id").or_else(|| item.get("root_id")).unwrap();
            Uuid::parse_str(id.as_str().unwrap()).unwrap()
        })
        .collect()
}

/// A shipment shared with everyone names a party, carries a press and a
/// die its agency keeps to itself. Another agency sees the shipment and
/// gets 404 on each of the three; searching for the hidden name, serial,
/// imprint or press kind must find no more than searching for anything
/// else would.
fn private_names_and_serials_on_a_shared_shipment_are_not_searchable(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let private_party = created(app.post(
        "/api/v1/parties",
        &w.owner,
        json!({ "scope": "agency", "kind": "company", "name": "Zhangjiagang Quietwater Chemical" }),
    ));
    let public_party = created(app.post(
        "/api/v1/parties",
        &w.owner,
        json!({ "scope": "all", "kind": "company", "name": "Pearl Delta Logistics" }),
    ));
    let press = created(app.post(
        "/api/v1/equipment",
        &w.owner,
        json!({ "scope": "agency", "kind": "tableting_machine", "serial_number": "HID-7781" }),
    ));
    let die = created(app.post(
        "/api/v1/die-molds",
        &w.owner,
        json!({ "scope": "agency", "front_imprint": "ZQ", "back_imprint": "77", "shape": "round" }),
    ));
    let shared = created(app.post(
        "/api/v1/shipments",
        &w.owner,
        json!({
            "scope": "all", "incident_type": "stopped_shipment", "mode": "truck",
            "declared_description": "agricultural machinery",
            "parties": [
                { "party_id": private_party, "role": "consignee" },
                { "party_id": public_party, "role": "consignor" }
            ],
            "lines": [{ "equipment_id": press }, { "die_mold_id": die }],
            "legs": [{ "from": place("MX", "Nogales"), "to": place("US", "Nogales"), "departure_at": "2026-04-01T08:00:00Z" }]
        }),
    ));
    let onward = created(app.post(
        "/api/v1/shipments",
        &w.owner,
        json!({
            "scope": "all", "incident_type": "stopped_shipment", "mode": "truck",
            "declared_description": "machinery, onward",
            "legs": [{ "from": place("US", "Nogales"), "to": place("US", "Tucson"), "departure_at": "2026-04-02T08:00:00Z" }]
        }),
    ));
    let linked = app.post(
        &format!("/api/v1/shipments/{shared}/links"),
        &w.owner,
        json!({ "to": onward, "relation": "transshipment", "evidence": "same crate" }),
    );
    assert_eq!(linked.status, 201, "{}", linked.text);

    let searches = [
        "/api/v1/shipments?q=quietwater",
        "/api/v1/shipments?serial=HID-7781",
        "/api/v1/shipments?imprint=ZQ%7C77",
        "/api/v1/shipments?imprint=ZQ%7C77%7Cround",
        "/api/v1/shipments?imprint=ZQ",
    ];
    // The owner finds its shipment by each of them.
    for path in searches {
        assert_eq!(found(app, &w.owner, path), [shared], "owner: {path}");
    }
    assert_eq!(
        found(
            app,
            &w.owner,
            "/api/v1/chains?equipment_kind=tableting_machine"
        ),
        [shared]
    );

    for other in [&w.partner, &w.outsider] {
        // The shipment is shared; the party, press and die are not.
        assert_eq!(
            app.get(&format!("/api/v1/shipments/{shared}"), other)
                .status,
            200
        );
        for path in [
            format!("/api/v1/parties/{private_party}"),
            format!("/api/v1/equipment/{press}"),
            format!("/api/v1/die-molds/{die}"),
        ] {
            app.get(&path, other).assert_problem(404, "not-found");
        }
        // Found by what the caller may see: its own text, a shared party.
        assert_eq!(
            found(app, other, "/api/v1/shipments?q=agricultural"),
            [shared]
        );
        assert_eq!(found(app, other, "/api/v1/shipments?q=pearl"), [shared]);
        // Never by what it may not.
        assert_eq!(found(app, other, "/api/v1/chains"), [shared]);
        let leaked: Vec<&str> = searches
            .iter()
            .copied()
            .chain(["/api/v1/chains?equipment_kind=tableting_machine"])
            .filter(|path| !found(app, other, path).is_empty())
            .collect();
        assert!(leaked.is_empty(), "found by what it hides: {leaked:?}");
    }
}

/// Suggestions name the serial two shipments share; a serial on a press
/// the caller may not see must not be one of them, whichever side the
/// hidden press is on.
fn suggestions_do_not_reveal_a_hidden_serial(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let hidden_press = created(app.post(
        "/api/v1/equipment",
        &w.owner,
        json!({ "scope": "agency", "kind": "tableting_machine", "serial_number": "HID-7781" }),
    ));
    let machine = |token: &str, scope: &str, press: Uuid, from: Value, to: Value, day: u32| {
        created(app.post(
            "/api/v1/shipments",
            token,
            json!({
                "scope": scope, "incident_type": "stopped_shipment", "mode": "truck",
                "declared_description": "machine",
                "lines": [{ "equipment_id": press }],
                "legs": [{ "from": from, "to": to, "departure_at": format!("2026-04-{day:02}T08:00:00Z") }]
            }),
        ))
    };
    let shared = machine(
        &w.owner,
        "all",
        hidden_press,
        place("MX", "Nogales"),
        place("US", "Nogales"),
        1,
    );
    // The owner's own second shipment of the press: suggested, by serial.
    let again = machine(
        &w.owner,
        "agency",
        hidden_press,
        place("KR", "Busan"),
        place("CA", "Vancouver"),
        20,
    );
    let suggested = |token: &str, id: Uuid| -> Vec<Value> {
        let response = app.get(&format!("/api/v1/shipments/{id}/suggestions"), token);
        assert_eq!(response.status, 200, "{}", response.text);
        response.json().as_array().unwrap().clone()
    };
    let owner_view = suggested(&w.owner, again);
    assert!(
        owner_view
            .iter()
            .any(|s| s["from"] == shared.to_string() && s.to_string().contains("7781")),
        "{owner_view:?}"
    );

    // Another agency guesses the serial: its own press, its own shipment.
    let guess = created(app.post(
        "/api/v1/equipment",
        &w.outsider,
        json!({ "kind": "tableting_machine", "serial_number": "HID 7781" }),
    ));
    let probe = machine(
        &w.outsider,
        "agency",
        guess,
        place("JP", "Osaka"),
        place("AU", "Perth"),
        25,
    );
    let from_probe = suggested(&w.outsider, probe);
    assert!(
        from_probe
            .iter()
            .all(|s| s["from"] != shared.to_string() && s["to"] != shared.to_string()),
        "the hidden press's shipment was suggested: {from_probe:?}"
    );
    // Nor from the shared shipment's side, where the press is hidden.
    let response = app.get(
        &format!("/api/v1/shipments/{shared}/suggestions"),
        &w.outsider,
    );
    if response.status == 200 {
        assert!(
            !response.text.contains(&probe.to_string()) && !response.text.contains("7781"),
            "{}",
            response.text
        );
    } else {
        assert!([403, 404].contains(&response.status), "{}", response.text);
    }
}

/// A chain another agency can trace runs through a link between two
/// shipments it cannot see: that link is only a placeholder, without the
/// evidence, its creator or its id.
fn a_hidden_link_shows_no_evidence_in_the_chain_view(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shipment = |token: &str, scope: &str, from: Value, to: Value, day: u32| {
        created(app.post(
            "/api/v1/shipments",
            token,
            json!({
                "scope": scope, "incident_type": "suspicious_shipment", "mode": "truck",
                "declared_description": "office furniture",
                "legs": [{ "from": from, "to": to, "departure_at": format!("2026-03-{day:02}T08:00:00Z") }]
            }),
        ))
    };
    let x = shipment(
        &w.owner,
        "agency",
        place("MX", "Tijuana"),
        place("US", "San Diego"),
        1,
    );
    let y = shipment(
        &w.owner,
        "agency",
        place("US", "San Diego"),
        place("US", "Phoenix"),
        2,
    );
    let z = shipment(
        &w.outsider,
        "all",
        place("US", "Phoenix"),
        place("US", "Mesa"),
        3,
    );
    let link = |from: Uuid, to: Uuid, evidence: &str| {
        let response = app.post(
            &format!("/api/v1/shipments/{from}/links"),
            &w.owner,
            json!({ "to": to, "relation": "transshipment", "evidence": evidence }),
        );
        created(response)
    };
    let hidden = link(x, y, "CONFIDENTIAL INFORMANT 7 saw the drums relabelled");
    let known = link(y, z, "courier receipt 7789");

    let response = app.get(&format!("/api/v1/shipments/{z}/chain"), &w.outsider);
    assert_eq!(response.status, 200, "{}", response.text);
    let view = response.json();
    assert_eq!(view["nodes"].as_array().unwrap().len(), 3);
    let edge = |from: Uuid, to: Uuid| -> Value {
        view["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["from"] == from.to_string() && e["to"] == to.to_string())
            .unwrap_or_else(|| panic!("no edge {from} → {to}: {view}"))
            .clone()
    };
    assert_eq!(
        edge(x, y),
        json!({ "from": x, "to": y, "placeholder": true })
    );
    // A link touching a shipment the caller sees is shown in full, as the
    // links list shows it.
    let shown = edge(y, z);
    assert_eq!(shown["placeholder"], false);
    assert_eq!(shown["id"], known.to_string());
    assert_eq!(shown["evidence"], "courier receipt 7789");
    assert!(
        !response.text.contains("CONFIDENTIAL") && !response.text.contains(&hidden.to_string()),
        "hidden link leaked: {}",
        response.text
    );
    // The links list agrees: the hidden link is not among z's.
    let listed = app.get(&format!("/api/v1/shipments/{z}/links"), &w.outsider);
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert!(!listed.text.contains(&hidden.to_string()));

    // The owner sees both ends, so both links in full.
    let theirs = app
        .get(&format!("/api/v1/shipments/{z}/chain"), &w.owner)
        .json();
    assert!(theirs["edges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["placeholder"] == false && e["evidence"].is_string()));
}

fn queue(app: &TestApp, token: &str) -> Vec<String> {
    let response = app.get("/api/v1/reviews/queue", token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A flag is as visible as its shipment: once the shipment is withdrawn,
/// neither its agency's supervisor nor a task-force partner's can open the
/// flag, so neither queue lists it.
fn flags_on_withdrawn_shipments_are_not_queued(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let raise = |scope: Value, day: u32| -> (Uuid, String) {
        let shipment = created(app.post(
            "/api/v1/shipments",
            &w.owner,
            json!({
                "scope": scope, "incident_type": "suspicious_shipment", "mode": "air_cargo",
                "declared_description": "lab glassware",
                "legs": [{ "from": place("CN", "Xiamen"), "to": place("US", "Houston"), "departure_at": format!("2026-03-{day:02}T08:00:00Z") }]
            }),
        ));
        let raised = app.post(
            &format!("/api/v1/shipments/{shipment}/flags"),
            &w.owner,
            json!({ "reason": "Tip from the port" }),
        );
        assert_eq!(raised.status, 201, "{}", raised.text);
        (shipment, raised.json()["id"].as_str().unwrap().to_owned())
    };
    let (withdrawn, gone) = raise(json!(w.task_force), 1);
    let (_, kept) = raise(json!(w.task_force), 2);
    for supervisor in [&w.owner_sup, &w.partner_sup] {
        let listed = queue(app, supervisor);
        assert!(
            listed.contains(&gone) && listed.contains(&kept),
            "{listed:?}"
        );
    }
    let response = app.post(
        &format!("/api/v1/shipments/{withdrawn}/withdraw"),
        &w.owner,
        json!({ "reason": "Entered twice" }),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    for supervisor in [&w.owner_sup, &w.partner_sup] {
        app.get(&format!("/api/v1/flags/{gone}"), supervisor)
            .assert_problem(404, "not-found");
        let listed = queue(app, supervisor);
        assert!(
            !listed.contains(&gone),
            "withdrawn shipment's flag queued: {listed:?}"
        );
        assert!(listed.contains(&kept), "{listed:?}");
        for state in ["open", "under_review"] {
            let response = app.get(&format!("/api/v1/reviews/queue?state={state}"), supervisor);
            assert!(!response.text.contains(&gone), "{}", response.text);
        }
    }
}
