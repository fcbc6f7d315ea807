//! Escalation delivers: a flag escalated to another agency reaches that
//! agency's supervisors, who see its chain only as far as sharing allows;
//! the escalating agency keeps it in its "escalated by us" view; both read
//! who escalated it, to whom and why. Over HTTP on both backends.

use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::{created, HoustonHidta};
use crate::pages::Visitor;

both_backends!(
    an_escalated_flag_reaches_the_other_agencys_supervisors,
    escalation_needs_a_reason_and_another_working_agency,
    a_shared_shipment_is_seen_by_the_agency_it_was_escalated_to,
    the_escalation_pages_name_agencies_and_people,
    a_supervisor_triages_by_score_age_and_assignee,
    supervisors_assign_from_their_agencys_directory,
);

struct World {
    app: TestApp,
    agency_a: Uuid,
    agency_c: Uuid,
    inv_a: String,
    sup_a: String,
    sup_a2: String,
    sup_b: String,
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
            ('b', "sup.b", "supervisor"),
            ('c', "inv.c", "investigator"),
            ('c', "sup.c", "supervisor"),
        ],
    );
    World {
        inv_a: app.token("inv.a", PASSWORD),
        sup_a: app.token("sup.a", PASSWORD),
        sup_a2: app.token("sup.a2", PASSWORD),
        sup_b: app.token("sup.b", PASSWORD),
        inv_c: app.token("inv.c", PASSWORD),
        sup_c: app.token("sup.c", PASSWORD),
        app,
        agency_a: houston.a,
        agency_c: houston.c,
    }
}

/// 25 kg of 4-AP declared as industrial dye from a named maker, so the
/// flag carries indicators whose sentences name what only the owner sees.
fn shipment(app: &TestApp, token: &str, scope: &str) -> Uuid {
    let maker = created(app.post("/api/v1/parties", token, json!({ "kind": "company", "name": "Hebei Shengxue Trading", "address": { "country": "CN" } })));
    let four_ap = app.get("/api/v1/chemicals?cas=23056-29-3", token).json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo", "scope": scope,
            "parties": [{ "party_id": maker, "role": "consignor" }],
            "declared_description": "industrial dye", "declared_hs_code": "3204.17",
            "lines": [{ "chemical_id": four_ap, "quantity": 25, "unit": "kg" }],
            "legs": [{ "from": { "country": "CN", "city": "Shanghai" }, "to": { "country": "US", "city": "Phoenix" },
                       "departure_at": "2026-03-01T08:00:00Z", "arrival_at": "2026-03-02T12:00:00Z" }]
        }),
    ))
}

fn transition(app: &TestApp, token: &str, flag: &str, version: i64, body: Value) -> Response {
    app.request("POST", &format!("/api/v1/flags/{flag}/transitions"))
        .bearer(token)
        .header("If-Match", &format!("\"{version}\""))
        .json(body)
}

/// A flag raised by `sup.a` (separate from the system's flag on the
/// chain), under review by `sup.a2`: at version 2.
fn flag_under_review(w: &World, shipment: Uuid) -> String {
    let raised = w.app.post(
        &format!("/api/v1/shipments/{shipment}/flags"),
        &w.sup_a,
        json!({ "reason": "4-AP declared as dye", "separate": true }),
    );
    assert_eq!(raised.status, 201, "{}", raised.text);
    let flag = raised.json()["id"].as_str().unwrap().to_owned();
    let started = transition(
        &w.app,
        &w.sup_a2,
        &flag,
        1,
        json!({ "action": "start_review" }),
    );
    assert_eq!(started.status, 200, "{}", started.text);
    flag
}

fn escalate(w: &World, flag: &str, reason: &str) -> Response {
    transition(
        &w.app,
        &w.sup_a2,
        flag,
        2,
        json!({ "action": "escalate", "agency_id": w.agency_c, "reason": reason }),
    )
}

/// The ids in a queue view.
fn queue(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let response = app.get(&format!("/api/v1/reviews/queue{query}"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn an_escalated_flag_reaches_the_other_agencys_supervisors(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shipment = shipment(app, &w.inv_a, "agency");
    let flag = flag_under_review(&w, shipment);
    // Before: nothing of it reaches Phoenix.
    assert!(!queue(app, &w.sup_c, "").contains(&flag));
    app.get(&format!("/api/v1/flags/{flag}"), &w.sup_c)
        .assert_problem(404, "not-found");

    let escalated = escalate(&w, &flag, "Consignee in Phoenix");
    assert_eq!(escalated.status, 200, "{}", escalated.text);
    assert_eq!(escalated.json()["escalated_to_name"], "Phoenix PD");

    // Phoenix's supervisors find it in their default queue and in the
    // escalated-to-us view, and not among the flags they decide.
    assert!(queue(app, &w.sup_c, "").contains(&flag));
    assert!(queue(app, &w.sup_c, "?view=escalated_to_us").contains(&flag));
    assert!(!queue(app, &w.sup_c, "?view=review").contains(&flag));
    assert!(!queue(app, &w.sup_c, "?view=escalated_by_us").contains(&flag));
    // Houston keeps it in its escalated-by-us view, out of the flags to decide.
    assert!(!queue(app, &w.sup_a, "").contains(&flag));
    assert!(queue(app, &w.sup_a, "?view=escalated_by_us").contains(&flag));
    assert!(!queue(app, &w.sup_a, "?view=escalated_to_us").contains(&flag));
    // No one else: Phoenix's investigators, the task force partner.
    app.get(&format!("/api/v1/flags/{flag}"), &w.inv_c)
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/flags/{flag}"), &w.sup_b)
        .assert_problem(404, "not-found");
    for view in ["", "?view=escalated_to_us", "?view=escalated_by_us"] {
        assert!(!queue(app, &w.sup_b, view).contains(&flag), "{view}");
    }
    app.get("/api/v1/reviews/queue?view=everything", &w.sup_c)
        .assert_problem(400, "bad-request");

    // What Phoenix reads: the flag, who escalated it, to whom and why; not
    // the shipment, which is not shared with it, nor what names its parties.
    let seen = app.get(&format!("/api/v1/flags/{flag}"), &w.sup_c);
    assert_eq!(seen.status, 200, "{}", seen.text);
    let seen = seen.json();
    assert!(seen["shipment_id"].is_null(), "{seen}");
    assert_eq!(seen["owner_agency_name"], "HSI Houston");
    // Whom to ask for the records, as a deconfliction notice says it.
    assert_eq!(seen["owner_agency_contact"], "HSI Houston duty desk");
    assert_eq!(seen["reason"], "4-AP declared as dye");
    let indicators = seen["indicators"].as_array().unwrap();
    assert!(!indicators.is_empty(), "{seen}");
    assert!(indicators.iter().all(|i| i["sentence"] == ""), "{seen}");
    assert!(!seen.to_string().contains("Hebei"), "{seen}");
    assert!(!seen.to_string().contains(&shipment.to_string()), "{seen}");
    let last = seen["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "escalate");
    assert_eq!(last["by_username"], "sup.a2");
    assert_eq!(last["escalated_to_name"], "Phoenix PD");
    assert_eq!(last["reason"], "Consignee in Phoenix");
    app.get(&format!("/api/v1/shipments/{shipment}"), &w.sup_c)
        .assert_problem(404, "not-found");
    app.get(&format!("/api/v1/shipments/{shipment}/chain"), &w.sup_c)
        .assert_problem(404, "not-found");
    // Nor may Phoenix decide it again.
    transition(app, &w.sup_c, &flag, 3, json!({ "action": "confirm" }))
        .assert_problem(404, "not-found");

    // Houston's history says the same.
    let own = app.get(&format!("/api/v1/flags/{flag}"), &w.sup_a).json();
    assert_eq!(own["shipment_id"], shipment.to_string());
    assert!(own["owner_agency_contact"].is_null(), "{own}");
    let last = own["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["by_username"], "sup.a2");
    assert_eq!(last["escalated_to_name"], "Phoenix PD");
    assert_eq!(last["reason"], "Consignee in Phoenix");
    assert_eq!(own["raised_by_username"], "sup.a");
    let _ = w.agency_a;
}

fn escalation_needs_a_reason_and_another_working_agency(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let flag = flag_under_review(&w, shipment(app, &w.inv_a, "agency"));
    let refused = |body: Value| {
        let problem = transition(app, &w.sup_a2, &flag, 2, body).assert_problem(422, "validation");
        problem.to_string()
    };
    let no_reason = refused(json!({ "action": "escalate", "agency_id": w.agency_c }));
    assert!(no_reason.contains("reason"), "{no_reason}");
    let own = refused(json!({ "action": "escalate", "agency_id": w.agency_a, "reason": "r" }));
    assert!(own.contains("agency_id"), "{own}");
    let agencies = app.get("/api/v1/agencies", &app.admin_token()).json();
    let system = agencies["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["is_system"] == true)
        .expect("the system agency")["id"]
        .clone();
    let to_system = refused(json!({ "action": "escalate", "agency_id": system, "reason": "r" }));
    assert!(to_system.contains("agency_id"), "{to_system}");
    // None of it moved the flag.
    let detail = app.get(&format!("/api/v1/flags/{flag}"), &w.sup_a).json();
    assert_eq!(detail["state"], "under_review");
    assert_eq!(detail["version"], 2);
}

fn a_shared_shipment_is_seen_by_the_agency_it_was_escalated_to(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shipment = shipment(app, &w.inv_a, "all");
    let flag = flag_under_review(&w, shipment);
    assert_eq!(escalate(&w, &flag, "Phoenix nexus").status, 200);
    let seen = app.get(&format!("/api/v1/flags/{flag}"), &w.sup_c).json();
    assert_eq!(seen["shipment_id"], shipment.to_string());
    assert!(seen["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["sentence"] != ""));
    assert_eq!(
        app.get(&format!("/api/v1/shipments/{shipment}/chain"), &w.sup_c)
            .status,
        200
    );
}

fn the_escalation_pages_name_agencies_and_people(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    let shipment = shipment(app, &w.inv_a, "agency");
    let flag = flag_under_review(&w, shipment);
    assert_eq!(escalate(&w, &flag, "Consignee in Phoenix").status, 200);

    let mut phoenix = Visitor::new(app);
    phoenix.sign_in("sup.c", PASSWORD);
    let queue = phoenix.get("/reviews");
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(
        queue.body.contains(&format!("/flags/{flag}")),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("HSI Houston"), "{}", queue.body);
    assert!(queue.body.contains("not shared with your agency"));
    assert!(!queue.body.contains(&shipment.to_string()));
    let page = phoenix.get(&format!("/flags/{flag}"));
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "sup.a2",
        "Escalate to Phoenix PD",
        "Consignee in Phoenix",
        "ask HSI Houston for access (HSI Houston duty desk).",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    assert!(!page.body.contains(&shipment.to_string()));
    assert!(!page.body.contains("Hebei"));

    let mut houston = Visitor::new(app);
    houston.sign_in("sup.a", PASSWORD);
    let ours = houston.get("/reviews?view=escalated_by_us");
    assert_eq!(ours.status, 200, "{}", ours.body);
    assert!(ours.body.contains(&format!("/flags/{flag}")));
    assert!(ours.body.contains("Phoenix PD"));
    let inbox = houston.get("/reviews");
    assert!(!inbox.body.contains(&format!("/flags/{flag}")));
}

fn a_supervisor_triages_by_score_age_and_assignee(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // Three flags on three plain shipments, raised in order; scores differ
    // by what the shipments carry.
    let plain = |day: u32| {
        created(app.post(
            "/api/v1/shipments",
            &w.inv_a,
            json!({
                "incident_type": "suspicious_shipment", "mode": "truck", "declared_description": "furniture",
                "legs": [{ "from": { "country": "MX" }, "to": { "country": "US" },
                           "departure_at": format!("2026-03-{day:02}T08:00:00Z") }]
            }),
        ))
    };
    let raise = |shipment: Uuid| {
        let r = app.post(
            &format!("/api/v1/shipments/{shipment}/flags"),
            &w.sup_a,
            // Separate: on the 4-AP shipment the system's flag is open.
            json!({ "reason": "tip", "separate": true }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["id"].as_str().unwrap().to_owned()
    };
    let low_old = raise(plain(1));
    let high = raise(shipment(app, &w.inv_a, "agency"));
    let low_new = raise(plain(2));
    // The 4-AP shipment also raised a flag of the system's; only ours count.
    let ours = [low_old.clone(), high.clone(), low_new.clone()];
    let mine = |query: &str| -> Vec<String> {
        queue(app, &w.sup_a, query)
            .into_iter()
            .filter(|f| ours.contains(f))
            .collect()
    };
    assert_eq!(
        mine("?view=review"),
        [low_new.clone(), high.clone(), low_old.clone()]
    );
    assert_eq!(
        mine("?view=review&sort=oldest"),
        [low_old.clone(), high.clone(), low_new.clone()]
    );
    assert_eq!(mine("?view=review&sort=score")[0], high);
    // Pages follow the same order without repeating or skipping.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/reviews/queue?view=review&sort=oldest&limit=1{cursor}"),
                &w.sup_a,
            )
            .json();
        paged.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, queue(app, &w.sup_a, "?view=review&sort=oldest"));
    app.get("/api/v1/reviews/queue?sort=loudest", &w.sup_a)
        .assert_problem(400, "bad-request");
    // Assigned to me, and to no one.
    let me = app.get("/api/v1/me", &w.sup_a2).json()["user"]["id"].clone();
    let assigned = transition(
        app,
        &w.sup_a2,
        &high,
        1,
        json!({ "action": "assign", "assignee_id": me }),
    );
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(queue(app, &w.sup_a2, "?view=review&assigned_to=me"), [high]);
    assert_eq!(
        queue(app, &w.sup_a, "?view=review&assigned_to=me"),
        Vec::<String>::new()
    );
    assert_eq!(mine("?view=review&assigned_to=none"), [low_new, low_old]);
}

fn supervisors_assign_from_their_agencys_directory(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // The directory: the active supervisors of the caller's agency only.
    let listed = app.get("/api/v1/reviews/supervisors", &w.sup_a);
    assert_eq!(listed.status, 200, "{}", listed.text);
    let names: Vec<String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["sup.a", "sup.a2"]);
    let entry = app.last_audit(1)[0].clone();
    assert_eq!(entry.action, "user.list");
    assert_eq!(entry.object_type.as_deref(), Some("reviewers"));
    // Not for investigators.
    app.get("/api/v1/reviews/supervisors", &w.inv_a)
        .assert_problem(403, "forbidden");
    assert_eq!(app.last_audit(1)[0].outcome, "denied");
    let phoenix = app.get("/api/v1/reviews/supervisors", &w.sup_c).json();
    assert_eq!(phoenix.as_array().unwrap().len(), 1);
    assert_eq!(phoenix[0]["username"], "sup.c");

    // An open flag offers assigning and starting the review, not the
    // escalation that only a started review can make.
    let mut houston = Visitor::new(app);
    houston.sign_in("sup.a", PASSWORD);
    let raised = app.post(
        &format!(
            "/api/v1/shipments/{}/flags",
            shipment(app, &w.inv_a, "agency")
        ),
        &w.sup_a,
        json!({ "reason": "pill press parts declared as toys", "separate": true }),
    );
    assert_eq!(raised.status, 201, "{}", raised.text);
    let open = houston.get(&format!("/flags/{}", raised.json()["id"].as_str().unwrap()));
    assert!(open.body.contains("Start review"), "{}", open.body);
    assert!(!open.body.contains("Escalate to"), "{}", open.body);

    // On the flag page, a supervisor picks the colleague by name.
    let flag = flag_under_review(&w, shipment(app, &w.inv_a, "agency"));
    let page = houston.get(&format!("/flags/{flag}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Assign to"), "{}", page.body);
    assert!(page.body.contains("Escalate to"), "{}", page.body);
    let colleague = listed.json()[1]["id"].as_str().unwrap().to_owned();
    assert!(
        page.body.contains(&format!(
            "<option value=\"{colleague}\">Test sup.a2 (sup.a2)"
        )),
        "{}",
        page.body
    );
    let csrf = houston.csrf();
    let assigned = houston.post(
        &format!("/flags/{flag}"),
        &[
            ("csrf", csrf.as_str()),
            ("version", "2"),
            ("assignee_id", colleague.as_str()),
            ("action", "assign"),
        ],
    );
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    let seen = app.get(&format!("/api/v1/flags/{flag}"), &w.sup_a).json();
    assert_eq!(seen["assigned_to_username"], "sup.a2");
}
