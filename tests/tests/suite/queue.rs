//! The queue a supervisor triages: each row shows its chain (route stop
//! by stop, size) and main parties as far as the caller may see them;
//! sorting by chain size; and choosing records by search instead of ids
//! (the link form, parties on the shipment form). Over HTTP on both
//! backends.

use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::{created, HoustonHidta};
use crate::pages::Visitor;

both_backends!(
    each_queue_row_shows_its_chain_and_parties_as_far_as_the_caller_sees,
    a_supervisor_sorts_the_queue_by_chain_size,
    the_link_form_finds_the_next_shipment_by_search,
);

struct World {
    app: TestApp,
    agency_c: Uuid,
    inv_a: String,
    sup_a: String,
    sup_a2: String,
    inv_c: String,
    sup_c: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    let houston = HoustonHidta::create(
        &app,
        &[
            ('a', "inv.a", "investigator"),
            ('a', "sup.a", "supervisor"),
            ('a', "sup.a2", "supervisor"),
            ('c', "inv.c", "investigator"),
            ('c', "sup.c", "supervisor"),
        ],
    );
    World {
        inv_a: app.token("inv.a", PASSWORD),
        sup_a: app.token("sup.a", PASSWORD),
        sup_a2: app.token("sup.a2", PASSWORD),
        inv_c: app.token("inv.c", PASSWORD),
        sup_c: app.token("sup.c", PASSWORD),
        app,
        agency_c: houston.c,
    }
}

fn party(app: &TestApp, token: &str, name: &str, country: &str, scope: &str) -> Uuid {
    created(app.post(
        "/api/v1/parties",
        token,
        json!({ "kind": "company", "name": name, "address": { "country": country }, "scope": scope }),
    ))
}

/// A plain shipment (no indicator fires) on `day` of March 2026, naming
/// `parties` as (id, role).
fn plain(app: &TestApp, token: &str, day: u32, parties: &[(Uuid, &str)]) -> Uuid {
    let parties: Vec<Value> = parties
        .iter()
        .map(|(id, role)| json!({ "party_id": id, "role": role }))
        .collect();
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "truck", "declared_description": "office furniture",
            "parties": parties,
            "legs": [{ "from": { "country": "MX", "city": "Monterrey" }, "to": { "country": "US", "city": "Laredo" },
                       "departure_at": format!("2026-03-{day:02}T08:00:00Z") }]
        }),
    ))
}

fn link(app: &TestApp, token: &str, from: Uuid, to: Uuid) {
    let linked = app.post(
        &format!("/api/v1/shipments/{from}/links"),
        token,
        json!({ "to": to, "relation": "transshipment", "evidence": "same drums" }),
    );
    assert_eq!(linked.status, 201, "{}", linked.text);
}

/// A flag on the chain through `shipment`: a new one, or the chain's open
/// one with the reason added.
fn flag(app: &TestApp, token: &str, shipment: Uuid) -> String {
    let raised = app.post(
        &format!("/api/v1/shipments/{shipment}/flags"),
        token,
        json!({ "reason": "tip from the port" }),
    );
    assert!([200, 201].contains(&raised.status), "{}", raised.text);
    raised.json()["id"].as_str().unwrap().to_owned()
}

fn transition(app: &TestApp, token: &str, flag: &str, body: Value) -> Response {
    let version = app.get(&format!("/api/v1/flags/{flag}"), token).json()["version"]
        .as_i64()
        .unwrap();
    app.request("POST", &format!("/api/v1/flags/{flag}/transitions"))
        .bearer(token)
        .header("If-Match", &format!("\"{version}\""))
        .json(body)
}

/// `flag` escalated from HSI Houston to Phoenix PD by `sup.a2`.
fn escalate(w: &World, flag: &str) {
    let started = transition(&w.app, &w.sup_a2, flag, json!({ "action": "start_review" }));
    assert_eq!(started.status, 200, "{}", started.text);
    let escalated = transition(
        &w.app,
        &w.sup_a2,
        flag,
        json!({ "action": "escalate", "agency_id": w.agency_c, "reason": "Phoenix nexus" }),
    );
    assert_eq!(escalated.status, 200, "{}", escalated.text);
}

/// A queue page as JSON.
fn queue(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/reviews/queue{query}"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn each_queue_row_shows_its_chain_and_parties_as_far_as_the_caller_sees(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let maker = party(app, &w.inv_a, "Hebei Shengxue Trading", "CN", "agency");
    let buyer = party(app, &w.inv_a, "Logistica del Norte SA", "MX", "agency");
    let carrier = party(app, &w.inv_a, "Transportes Rapidos SA", "MX", "agency");
    let broker = party(app, &w.inv_a, "Aduanas Uno", "MX", "agency");
    // Wuhan by sea to Manzanillo, then by road to Nuevo Laredo.
    let first = created(app.post(
        "/api/v1/shipments",
        &w.inv_a,
        json!({
            "incident_type": "suspicious_shipment", "mode": "ocean", "declared_description": "machine parts",
            // Listed out of order: the row names senders, then receivers.
            "parties": [{ "party_id": broker, "role": "broker" }, { "party_id": carrier, "role": "carrier" },
                        { "party_id": buyer, "role": "consignee" }, { "party_id": maker, "role": "consignor" }],
            "legs": [{ "from": { "country": "CN", "city": "Wuhan", "locode": "CNWUH" }, "to": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" },
                       "departure_at": "2026-03-01T08:00:00Z" },
                     { "from": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" }, "to": { "country": "MX", "city": "Nuevo Laredo", "locode": "MXNLD" } }]
        }),
    ));
    // Phoenix's onward shipment, linked while shared, then made private:
    // Houston sees only that Phoenix PD holds it. Its party stays shared,
    // so only the rule that parties come from shipments one sees keeps
    // its name out.
    let secret = party(app, &w.inv_c, "Secret Receiver LLC", "US", "all");
    let onward = created(app.post(
        "/api/v1/shipments",
        &w.inv_c,
        json!({ "scope": "all", "incident_type": "seizure", "mode": "truck", "declared_description": "SECRET CONTENTS",
                "parties": [{ "party_id": secret, "role": "consignee" }],
                "legs": [{ "from": { "country": "MX", "city": "Nuevo Laredo" }, "to": { "country": "US", "city": "Mesa" },
                           "departure_at": "2026-03-09T08:00:00Z" }] }),
    ));
    link(app, &w.inv_a, first, onward);
    let private = app
        .request("PATCH", &format!("/api/v1/shipments/{onward}"))
        .bearer(&w.inv_c)
        .header("If-Match", "\"1\"")
        .json(json!({ "scope": "agency" }));
    assert_eq!(private.status, 200, "{}", private.text);
    let flag = flag(app, &w.sup_a, first);

    let page = queue(app, &w.sup_a, "?view=review&limit=100");
    let row = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == flag.as_str())
        .expect("the flag is in Houston's queue")
        .clone();
    let chain = &row["chain"];
    assert_eq!(chain["shipments"], 2, "{row}");
    assert_eq!(chain["hops"], 2, "{row}");
    assert_eq!(chain["paths"], 1, "{row}");
    let route = chain["route"].as_array().unwrap();
    let codes: Vec<&str> = route
        .iter()
        .filter_map(|s| s["place"]["locode"].as_str())
        .collect();
    assert_eq!(codes, ["CNWUH", "MXZLO", "MXNLD"], "{row}");
    assert_eq!(route.len(), 4, "{row}");
    assert_eq!(route[3], json!({ "held_by": "Phoenix PD" }), "{row}");
    let named: Vec<(&str, &str)> = chain["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["country"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [
            ("Hebei Shengxue Trading", "CN"),
            ("Logistica del Norte SA", "MX"),
            ("Aduanas Uno", "MX"),
        ],
        "{row}"
    );
    assert_eq!(chain["more_parties"], 1, "{row}");
    let text = page.to_string();
    for hidden in ["Secret Receiver", "SECRET", "Mesa", &onward.to_string()] {
        assert!(!text.contains(hidden), "{hidden} leaked into the queue");
    }

    // The page: route by place names and port codes, parties by name and
    // country, the other agency's shipment by its holder only.
    let mut houston = Visitor::new(app);
    houston.sign_in("sup.a", PASSWORD);
    let html = houston.get("/reviews?view=review&limit=100");
    assert_eq!(html.status, 200, "{}", html.body);
    for shown in [
        "(CNWUH)",
        "(MXNLD)",
        "[held by Phoenix PD]",
        "Hebei Shengxue Trading (CN)",
        "and 1 more",
        "2 shipments, 2 on this route",
        "Largest chain",
        "to Test sup.a2 (sup.a2)",
    ] {
        assert!(html.body.contains(shown), "{shown} missing: {}", html.body);
    }
    for hidden in ["Secret Receiver", "SECRET", "Mesa"] {
        assert!(!html.body.contains(hidden), "{hidden} leaked into the page");
    }
    // Filtered by a supervisor named in the directory.
    let me = app.get("/api/v1/me", &w.sup_a2).json()["user"]["id"].clone();
    let assigned = transition(
        app,
        &w.sup_a2,
        &flag,
        json!({ "action": "assign", "assignee_id": me }),
    );
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let me = me.as_str().unwrap();
    let theirs = houston.get(&format!("/reviews?view=review&assigned_to={me}"));
    assert!(theirs.body.contains(&format!("/flags/{flag}")));
    let nobodys = houston.get("/reviews?view=review&assigned_to=none");
    assert!(!nobodys.body.contains(&format!("/flags/{flag}")));

    // Escalated to Phoenix, whose supervisors may not see the shipment:
    // the row there has no chain, and nothing of it.
    escalate(&w, &flag);
    let theirs = queue(app, &w.sup_c, "?view=escalated_to_us");
    let row = theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == flag.as_str())
        .expect("escalated to Phoenix")
        .clone();
    assert!(row.get("chain").is_none(), "{row}");
    let text = theirs.to_string();
    for hidden in ["Hebei", "Logistica", "CNWUH", "Wuhan"] {
        assert!(!text.contains(hidden), "{hidden} leaked to Phoenix");
    }
}

fn a_supervisor_sorts_the_queue_by_chain_size(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // Houston: a chain of three, one of two, and a lone shipment, flagged
    // in that order from the smallest.
    let lone = plain(app, &w.inv_a, 1, &[]);
    let pair = [plain(app, &w.inv_a, 2, &[]), plain(app, &w.inv_a, 3, &[])];
    let three = [
        plain(app, &w.inv_a, 4, &[]),
        plain(app, &w.inv_a, 5, &[]),
        plain(app, &w.inv_a, 6, &[]),
    ];
    link(app, &w.inv_a, pair[0], pair[1]);
    link(app, &w.inv_a, three[0], three[1]);
    link(app, &w.inv_a, three[1], three[2]);
    let on_lone = flag(app, &w.sup_a, lone);
    let on_pair = flag(app, &w.sup_a, pair[1]);
    let on_three = flag(app, &w.sup_a, three[1]);
    let ours = [on_lone.clone(), on_pair.clone(), on_three.clone()];
    let mine = |query: &str| -> Vec<String> {
        ids(&queue(app, &w.sup_a, query))
            .into_iter()
            .filter(|f| ours.contains(f))
            .collect()
    };
    assert_eq!(
        mine("?view=review&sort=chain"),
        [on_three.clone(), on_pair.clone(), on_lone.clone()]
    );
    assert_eq!(
        mine("?view=review&sort=oldest"),
        [on_lone.clone(), on_pair.clone(), on_three.clone()]
    );
    // Pages follow the same order without repeating or skipping.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = queue(
            app,
            &w.sup_a,
            &format!("?view=review&sort=chain&limit=1{cursor}"),
        );
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, ids(&queue(app, &w.sup_a, "?view=review&sort=chain")));
    app.get("/api/v1/reviews/queue?sort=chain&cursor=x", &w.sup_a)
        .assert_problem(400, "bad-request");

    // Phoenix: its own chain of two, and Houston's chain of three
    // escalated to it but not shared. The escalated flag ranks as a lone
    // shipment, so its place says nothing of a chain Phoenix cannot see.
    let theirs = [plain(app, &w.inv_c, 7, &[]), plain(app, &w.inv_c, 8, &[])];
    link(app, &w.inv_c, theirs[0], theirs[1]);
    let on_theirs = flag(app, &w.sup_c, theirs[0]);
    escalate(&w, &on_three);
    let inbox = ids(&queue(app, &w.sup_c, "?sort=chain"));
    assert_eq!(
        inbox,
        [on_theirs, on_three],
        "Phoenix's inbox by chain size"
    );
}

fn the_link_form_finds_the_next_shipment_by_search(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let desert = party(app, &w.inv_a, "Desert Supply LLC", "US", "agency");
    let twin = party(app, &w.inv_a, "Twin Rivers Freight", "US", "agency");
    let first = plain(app, &w.inv_a, 1, &[]);
    let to_desert = plain(app, &w.inv_a, 2, &[(desert, "consignee")]);
    let twins = [
        plain(app, &w.inv_a, 3, &[(twin, "consignee")]),
        plain(app, &w.inv_a, 4, &[(twin, "consignee")]),
    ];
    let reference = |id: Uuid| {
        app.get(&format!("/api/v1/shipments/{id}"), &w.inv_a).json()["reference"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let linked_to = || -> Vec<String> {
        app.get(&format!("/api/v1/shipments/{first}/links"), &w.inv_a)
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["to"].as_str().unwrap().to_owned())
            .collect()
    };

    let mut visitor = Visitor::new(app);
    visitor.sign_in("inv.a", PASSWORD);
    // The form offers shipments by reference as one types.
    let page = visitor.get(&format!("/shipments/{first}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<datalist id=\"link-offers\">"));
    assert!(page
        .body
        .contains(&format!("<option value=\"{}\">", reference(to_desert))));
    let csrf = visitor.csrf();
    let post = |to: &str, choice: Option<&str>| {
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("to", to),
            ("relation", "transshipment"),
            ("evidence", "handed over in Laredo"),
        ];
        if let Some(choice) = choice {
            fields.push(("to_choice", choice));
        }
        visitor.post(&format!("/shipments/{first}/links"), &fields)
    };
    // One shipment names the party: linked at once.
    let linked = post("Desert Supply", None);
    assert_eq!(linked.status, 303, "{}", linked.body);
    assert_eq!(linked_to(), [to_desert.to_string()]);
    // Two do: the form asks which, naming each, and links nothing yet.
    let asked = post("Twin Rivers", None);
    assert_eq!(asked.status, 422, "{}", asked.body);
    assert!(asked.body.contains("choose one"), "{}", asked.body);
    for twin in twins {
        assert!(
            asked
                .body
                .contains(&format!("name=\"to_choice\" value=\"{}\"", reference(twin))),
            "{}",
            asked.body
        );
    }
    assert_eq!(linked_to().len(), 1);
    let chosen = post("Twin Rivers", Some(&reference(twins[1])));
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    let mut now = linked_to();
    now.sort();
    let mut expected = vec![to_desert.to_string(), twins[1].to_string()];
    expected.sort();
    assert_eq!(now, expected);
    // Nothing found: said so, beside the field.
    let none = post("Nobody Anywhere", None);
    assert_eq!(none.status, 422, "{}", none.body);
    assert!(none.body.contains("no shipment with this reference"));

    // The shipment form offers the parties on file by name and country.
    let form = visitor.get("/shipments/new");
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("<datalist id=\"parties-on-file\">"));
    assert!(form
        .body
        .contains("<option value=\"Desert Supply LLC\">Desert Supply LLC (US)</option>"));
    assert!(form.body.contains("list=\"parties-on-file\""));
}
