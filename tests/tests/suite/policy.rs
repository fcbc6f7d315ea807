//! The role × action × (own agency / other agency) matrix over HTTP, for
//! the endpoints that manage accounts, agencies and the audit trail.

use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use serde_json::json;
use uuid::Uuid;

both_backends!(
    role_matrix_over_http,
    task_force_membership_reaches_the_policy
);

type Action<'a> = Box<dyn FnOnce() -> interdict_tests::Response + 'a>;

struct World {
    agency_a: Uuid,
    agency_b: Uuid,
    inv_a: Uuid,
    inv_b: Uuid,
}

fn world(app: &TestApp) -> World {
    let agency_a = app.create_agency("Arizona DPS", "AZ0070000", "state", "AZ");
    let agency_b = app.create_agency("Navajo Nation Police", "AZ0090000", "tribal", "AZ");
    let inv_a = app.create_user(agency_a, "inv.a", "investigator");
    app.create_user(agency_a, "sup.a", "supervisor");
    app.create_user(agency_a, "aud.a", "auditor");
    app.create_user(agency_a, "adm.a", "admin");
    let inv_b = app.create_user(agency_b, "inv.b", "investigator");
    World {
        agency_a,
        agency_b,
        inv_a,
        inv_b,
    }
}

fn role_matrix_over_http(backend: Backend) {
    let app = TestApp::spawn(backend);
    let w = world(&app);

    // (caller, expected statuses in the order of the actions below)
    let expectations: [(&str, [u16; 11]); 5] = [
        (
            "inv.a",
            [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "sup.a",
            [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "aud.a",
            [403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "adm.a",
            [200, 404, 201, 404, 200, 404, 200, 403, 403, 403, 200],
        ),
        (
            "admin",
            [200, 200, 201, 201, 200, 200, 200, 201, 201, 403, 200],
        ),
    ];
    for (username, expected) in expectations {
        let password = if username == "admin" {
            interdict_tests::ADMIN_PASSWORD
        } else {
            PASSWORD
        };
        let token = app.token(username, password);
        let admin = app.admin_token();
        let etag_of = |user: Uuid| {
            app.get(&format!("/api/v1/users/{user}"), &admin)
                .header("etag")
                .unwrap()
                .to_owned()
        };
        let patch = |user: Uuid| {
            let etag = etag_of(user);
            app.request("PATCH", &format!("/api/v1/users/{user}"))
                .bearer(&token)
                .header("If-Match", &etag)
                .json(json!({ "display_name": format!("renamed by {username}") }))
        };
        let create_in = |agency: Uuid, name: String| {
            app.post(
                "/api/v1/users",
                &token,
                json!({ "username": name, "display_name": "New User", "role": "investigator", "password": PASSWORD, "agency_id": agency }),
            )
        };
        let ori = format!("NM{:07}", rand_suffix());
        let (name_own, name_other) = (
            format!("new.{username}.own"),
            format!("new.{username}.other"),
        );
        let actions: Vec<(&str, Action<'_>)> = vec![
            (
                "read own-agency user",
                Box::new(|| app.get(&format!("/api/v1/users/{}", w.inv_a), &token)),
            ),
            (
                "read other-agency user",
                Box::new(|| app.get(&format!("/api/v1/users/{}", w.inv_b), &token)),
            ),
            (
                "create user in own agency",
                Box::new(|| create_in(w.agency_a, name_own)),
            ),
            (
                "create user in other agency",
                Box::new(|| create_in(w.agency_b, name_other)),
            ),
            ("update own-agency user", Box::new(|| patch(w.inv_a))),
            ("update other-agency user", Box::new(|| patch(w.inv_b))),
            ("list users", Box::new(|| app.get("/api/v1/users", &token))),
            (
                "create agency",
                Box::new(|| {
                    app.post("/api/v1/agencies", &token, json!({ "name": format!("Agency {ori}"), "level": "local", "jurisdiction": "NM", "ori": ori, "contact": "desk" }))
                }),
            ),
            (
                "create task force",
                Box::new(|| {
                    app.post(
                        "/api/v1/task-forces",
                        &token,
                        json!({ "name": format!("TF {}", rand_suffix()) }),
                    )
                }),
            ),
            (
                "search audit",
                Box::new(|| app.get("/api/v1/audit", &token)),
            ),
            (
                "verify audit",
                Box::new(|| app.get("/api/v1/audit/verify", &token)),
            ),
        ];
        for ((name, act), want) in actions.into_iter().zip(expected) {
            let before = app.audit_count();
            let response = act();
            assert_eq!(
                response.status, want,
                "{username}: {name}: {}",
                response.text
            );
            // One entry for the action itself; the helper reads above made
            // their own before it.
            let entry = &app.last_audit(1)[0];
            let outcome = if want < 400 { "allowed" } else { "denied" };
            assert_eq!(entry.outcome, outcome, "{username}: {name}: {entry:?}");
            assert!(
                app.audit_count() > before,
                "{username}: {name} left no audit entry"
            );
        }
    }

    // An agency admin's list holds only its own agency.
    let listed = app
        .get("/api/v1/users", &app.token("adm.a", PASSWORD))
        .json();
    let agencies: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["agency_id"].as_str().unwrap())
        .collect();
    assert!(!agencies.is_empty());
    assert!(
        agencies.iter().all(|a| *a == w.agency_a.to_string()),
        "{agencies:?}"
    );
    // Filtering on another agency yields nothing rather than an error.
    let filtered = app
        .get(
            &format!("/api/v1/users?agency_id={}", w.agency_b),
            &app.token("adm.a", PASSWORD),
        )
        .json();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 0);
    // An auditor sees only its own agency's audit entries.
    let audit = app
        .get("/api/v1/audit?limit=500", &app.token("aud.a", PASSWORD))
        .json();
    let entries = audit["items"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries
            .iter()
            .all(|e| e["agency_id"] == w.agency_a.to_string()),
        "{audit}"
    );
}

fn rand_suffix() -> u32 {
    (Uuid::now_v7().as_u128() % 10_000_000) as u32
}

fn task_force_membership_reaches_the_policy(backend: Backend) {
    let app = TestApp::spawn(backend);
    let w = world(&app);
    let admin = app.admin_token();
    let created = app.post(
        "/api/v1/task-forces",
        &admin,
        json!({ "name": "Four Corners Precursor TF", "description": "AZ/NM/CO/UT", "members": [w.agency_a] }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let tf = created.id();
    let token = app.token("inv.b", PASSWORD);
    assert_eq!(
        app.get("/api/v1/me", &token).json()["task_forces"],
        json!([])
    );
    let added = app
        .request(
            "PUT",
            &format!("/api/v1/task-forces/{tf}/members/{}", w.agency_b),
        )
        .bearer(&admin)
        .send();
    assert_eq!(added.status, 204, "{}", added.text);
    // Membership is read per request: no new login needed.
    assert_eq!(
        app.get("/api/v1/me", &token).json()["task_forces"],
        json!([tf])
    );
    let shown = app.get(&format!("/api/v1/task-forces/{tf}"), &token).json();
    assert_eq!(shown["members"].as_array().unwrap().len(), 2);
    let removed = app
        .request(
            "DELETE",
            &format!("/api/v1/task-forces/{tf}/members/{}", w.agency_b),
        )
        .bearer(&admin)
        .send();
    assert_eq!(removed.status, 204);
    assert_eq!(
        app.get("/api/v1/me", &token).json()["task_forces"],
        json!([])
    );
    // Unknown ids are 404, and only the system admin changes membership.
    let missing = app
        .request(
            "PUT",
            &format!(
                "/api/v1/task-forces/{}/members/{}",
                Uuid::now_v7(),
                w.agency_b
            ),
        )
        .bearer(&admin)
        .send();
    missing.assert_problem(404, "not-found");
    let forbidden = app
        .request(
            "PUT",
            &format!("/api/v1/task-forces/{tf}/members/{}", w.agency_b),
        )
        .bearer(&app.token("adm.a", PASSWORD))
        .send();
    forbidden.assert_problem(403, "forbidden");
}
