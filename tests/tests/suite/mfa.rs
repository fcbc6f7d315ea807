//! Multi-factor sign-in: TOTP enrolment, the two-step login, recovery
//! codes, the agency and installation requirement, and the administrator's
//! reset, over the API on both backends. The tests compute TOTP codes
//! themselves, from the secret shown at enrolment.

use interdict_tests::{both_backends, Backend, TestApp, JWT_SECRET, PASSWORD};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use totp_rs::TOTP;
use uuid::Uuid;

both_backends!(
    sign_in_takes_two_steps_once_a_second_factor_is_confirmed,
    a_recovery_code_works_once,
    an_agency_can_require_mfa_and_unenrolled_users_reach_only_enrolment,
    an_administrator_resets_a_second_factor_and_it_is_audited,
    changing_ones_password_takes_the_second_factor_too,
);

/// The user's authenticator app. Each code it gives is for a later time
/// step than the last (the server accepts each step once), within the
/// step either side of now that the server accepts.
struct Authenticator {
    totp: TOTP,
    last_step: i64,
}

impl Authenticator {
    fn new(otpauth_url: &str) -> Self {
        Self {
            totp: TOTP::from_url(otpauth_url).expect("an otpauth URL"),
            last_step: i64::MIN,
        }
    }

    fn code(&mut self) -> String {
        loop {
            let now = chrono::Utc::now().timestamp();
            let current = now / 30;
            let step = (current - 1).max(self.last_step.saturating_add(1));
            if step <= current + 1 {
                self.last_step = step;
                return self.totp.generate((step * 30) as u64);
            }
            // Every acceptable step is spent: the next one opens soon.
            std::thread::sleep(std::time::Duration::from_secs((30 - now % 30) as u64));
        }
    }

    /// A code the server cannot accept now (two steps ahead).
    fn wrong_code(&self) -> String {
        let step = chrono::Utc::now().timestamp() / 30 + 3;
        self.totp.generate((step * 30) as u64)
    }
}

fn claims_of(token: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["interdict-api"]);
    decode::<Value>(
        token,
        &DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .expect("a token signed with the test key")
    .claims
}

/// Enrols `token`'s account; returns its authenticator and recovery codes.
fn enrol(app: &TestApp, token: &str) -> (Authenticator, Vec<String>) {
    let started = app.post("/api/v1/me/mfa/enrolment", token, json!({}));
    assert_eq!(started.status, 200, "{}", started.text);
    let started = started.json();
    let url = started["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    let secret = started["secret"].as_str().unwrap().to_owned();
    let mut app_codes = Authenticator::new(url);
    let confirmed = app.post(
        "/api/v1/me/mfa/enrolment/confirm",
        token,
        json!({ "code": app_codes.code() }),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let codes: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    // The secret is never answered or audited again.
    let status = app.get("/api/v1/me/mfa", token);
    assert!(!status.text.contains(&secret));
    assert!(app.last_audit(20).iter().all(|e| !e
        .detail
        .as_deref()
        .unwrap_or("")
        .contains(&secret)));
    (app_codes, codes)
}

/// The password step, expecting a challenge.
fn challenge(app: &TestApp, username: &str) -> String {
    let response = app.login(username, PASSWORD);
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    body["challenge_token"].as_str().unwrap().to_owned()
}

fn second_step(app: &TestApp, challenge: &str, code: &str) -> interdict_tests::Response {
    app.request("POST", "/api/v1/auth/login/mfa")
        .json(json!({ "challenge_token": challenge, "code": code }))
}

fn investigator(app: &TestApp, username: &str) -> (Uuid, Uuid, String) {
    let agency = app.create_agency("Miami-Dade PD", "FL0130000", "local", "FL");
    let user = app.create_user(agency, username, "investigator");
    (agency, user, app.token(username, PASSWORD))
}

fn sign_in_takes_two_steps_once_a_second_factor_is_confirmed(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (_, user, token) = investigator(&app, "two.step");
    let before = app.get("/api/v1/me/mfa", &token).json();
    assert_eq!(
        before,
        json!({ "enabled": false, "required": false, "pending": false, "recovery_codes_left": 0 })
    );

    // A started enrolment changes nothing until confirmed, and a wrong
    // code does not confirm it.
    let started = app.post("/api/v1/me/mfa/enrolment", &token, json!({}));
    let mut authenticator = Authenticator::new(started.json()["otpauth_url"].as_str().unwrap());
    assert_eq!(app.get("/api/v1/me/mfa", &token).json()["pending"], true);
    assert_eq!(
        claims_of(&app.token("two.step", PASSWORD))["amr"],
        json!(["pwd"])
    );
    let wrong = app.post(
        "/api/v1/me/mfa/enrolment/confirm",
        &token,
        json!({ "code": authenticator.wrong_code() }),
    );
    assert_eq!(
        wrong.assert_problem(422, "validation")["errors"][0]["field"],
        "code"
    );
    let confirmed = app.post(
        "/api/v1/me/mfa/enrolment/confirm",
        &token,
        json!({ "code": authenticator.code() }),
    );
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    assert_eq!(
        confirmed.json()["recovery_codes"].as_array().unwrap().len(),
        10
    );
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("user.mfa_confirm", "allowed")
    );

    // The password alone gives a challenge, which is no session.
    let pending = challenge(&app, "two.step");
    app.get("/api/v1/me", &pending)
        .assert_problem(401, "unauthenticated");
    assert_eq!(claims_of(&pending)["typ"], "mfa_pending");
    second_step(&app, &pending, &authenticator.wrong_code())
        .assert_problem(401, "invalid-credentials");
    let denied = &app.last_audit(1)[0];
    assert_eq!(
        (denied.action.as_str(), denied.outcome.as_str()),
        ("auth.login", "denied")
    );
    assert!(
        denied
            .detail
            .as_deref()
            .unwrap()
            .contains("second-factor code"),
        "{denied:?}"
    );
    assert_eq!(denied.user_id, Some(user));

    let code = authenticator.code();
    let signed_in = second_step(&app, &pending, &code);
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let session = signed_in.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = claims_of(&session);
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert_eq!(claims["typ"], "access");
    assert_eq!(app.get("/api/v1/me", &session).status, 200);
    let granted = &app.last_audit(2)[1];
    assert_eq!(
        (granted.action.as_str(), granted.outcome.as_str()),
        ("auth.login", "allowed")
    );
    assert!(
        granted
            .detail
            .as_deref()
            .unwrap()
            .contains(r#""method":"otp""#),
        "{granted:?}"
    );

    // A code works once, even with a fresh challenge.
    second_step(&app, &challenge(&app, "two.step"), &code)
        .assert_problem(401, "invalid-credentials");

    // The OpenAPI document describes the new endpoints.
    let doc = app.request("GET", "/api/v1/openapi.json").send().json();
    for path in [
        "/api/v1/auth/login/mfa",
        "/api/v1/me/mfa",
        "/api/v1/me/mfa/enrolment",
        "/api/v1/me/mfa/enrolment/confirm",
        "/api/v1/users/{user_id}/mfa/reset",
        "/api/v1/users/{user_id}/unlock",
        "/api/v1/agencies/{agency_id}/mfa",
        "/api/v1/mfa",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
}

fn a_recovery_code_works_once(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (_, _, token) = investigator(&app, "lost.phone");
    let (_, codes) = enrol(&app, &token);
    assert!(codes
        .iter()
        .all(|c| c.len() == "1-abcde-fghjk".len() || c.starts_with("10-")));

    let signed_in = second_step(&app, &challenge(&app, "lost.phone"), &codes[3]);
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    let session = signed_in.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(claims_of(&session)["amr"], json!(["pwd", "rc"]));
    assert_eq!(
        app.get("/api/v1/me/mfa", &session).json()["recovery_codes_left"],
        9
    );
    // Spent: refused, and counted like a wrong password.
    second_step(&app, &challenge(&app, "lost.phone"), &codes[3])
        .assert_problem(401, "invalid-credentials");
    assert!(app.last_audit(1)[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("wrong or used second-factor code"));
    // Typed in capitals with spaces, another one works.
    let typed = format!(" {} ", codes[7].to_uppercase());
    assert_eq!(
        second_step(&app, &challenge(&app, "lost.phone"), &typed).status,
        200
    );
}

fn an_agency_can_require_mfa_and_unenrolled_users_reach_only_enrolment(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (agency, _, investigator_token) = investigator(&app, "must.enrol");
    let elsewhere = app.create_agency("Texas DPS", "TX0000000", "state", "TX");
    app.create_user(agency, "mdpd.admin", "admin");
    app.create_user(elsewhere, "dps.admin", "admin");
    app.create_user(elsewhere, "dps.analyst", "investigator");
    let admin = app.token("mdpd.admin", PASSWORD);
    let require = |token: &str, path: &str| {
        app.request("PUT", path)
            .bearer(token)
            .json(json!({ "required": true }))
    };
    let own_agency = format!("/api/v1/agencies/{agency}/mfa");
    require(&investigator_token, &own_agency).assert_problem(403, "forbidden");
    require(&app.token("dps.admin", PASSWORD), &own_agency).assert_problem(404, "not-found");
    require(&admin, "/api/v1/mfa").assert_problem(403, "forbidden");
    assert_eq!(require(&admin, &own_agency).status, 204);
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.outcome.as_str(),
            entry.object_id.clone()
        ),
        ("mfa.requirement", "allowed", Some(agency.to_string()))
    );

    // Not enrolled: the session reaches enrolment and nothing else.
    let response = app.login("must.enrol", PASSWORD);
    assert_eq!(response.json()["mfa_enrolment_required"], true);
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &token).status, 200);
    assert_eq!(app.get("/api/v1/me/mfa", &token).json()["required"], true);
    app.get("/api/v1/shipments", &token)
        .assert_problem(403, "forbidden");
    let refused = &app.last_audit(1)[0];
    assert_eq!(
        (refused.action.as_str(), refused.outcome.as_str()),
        ("auth.token", "denied")
    );
    assert!(refused.detail.as_deref().unwrap().contains("enrol first"));
    // Another agency is not affected …
    let analyst = app.token("dps.analyst", PASSWORD);
    assert_eq!(app.get("/api/v1/shipments", &analyst).status, 200);
    // … until the system administrator requires it everywhere.
    assert_eq!(require(&app.admin_token(), "/api/v1/mfa").status, 204);
    assert_eq!(
        app.login("dps.analyst", PASSWORD).json()["mfa_enrolment_required"],
        true
    );

    // Once enrolled, signing in takes both steps and reaches everything.
    let (mut authenticator, _) = enrol(&app, &token);
    let signed_in = second_step(&app, &challenge(&app, "must.enrol"), &authenticator.code());
    let session = signed_in.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/api/v1/shipments", &session).status, 200);
}

fn an_administrator_resets_a_second_factor_and_it_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (agency, user, token) = investigator(&app, "new.phone");
    app.create_user(agency, "mdpd.admin", "admin");
    app.create_user(agency, "colleague", "supervisor");
    let elsewhere = app.create_agency("Texas DPS", "TX0000000", "state", "TX");
    app.create_user(elsewhere, "dps.admin", "admin");
    enrol(&app, &token);
    let admin = app.token("mdpd.admin", PASSWORD);
    let reset = |token: &str, id: &str| {
        app.request("POST", &format!("/api/v1/users/{id}/mfa/reset"))
            .bearer(token)
            .send()
    };
    reset(&app.token("colleague", PASSWORD), &user.to_string()).assert_problem(403, "forbidden");
    reset(&app.token("dps.admin", PASSWORD), &user.to_string()).assert_problem(404, "not-found");
    let own = app.get("/api/v1/me", &admin).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    reset(&admin, &own).assert_problem(403, "forbidden");
    assert_eq!(app.last_audit(1)[0].action, "user.mfa_reset");
    assert_eq!(app.last_audit(1)[0].outcome, "denied");

    let before = app.audit_count();
    let done = reset(&admin, &user.to_string());
    assert_eq!(done.status, 204, "{}", done.text);
    assert_eq!(app.audit_count(), before + 1);
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.outcome.as_str(),
            entry.object_id.clone()
        ),
        ("user.mfa_reset", "allowed", Some(user.to_string()))
    );
    assert!(entry
        .detail
        .as_deref()
        .unwrap()
        .contains(r#""had_second_factor":true"#));
    // The password alone signs in again; the user can enrol anew.
    let token = app.token("new.phone", PASSWORD);
    assert_eq!(app.get("/api/v1/me/mfa", &token).json()["enabled"], false);
}

fn changing_ones_password_takes_the_second_factor_too(backend: Backend) {
    let app = TestApp::spawn(backend);
    let (_, _, token) = investigator(&app, "careful");
    let (mut authenticator, _) = enrol(&app, &token);
    let session = second_step(&app, &challenge(&app, "careful"), &authenticator.code()).json()
        ["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = |body: Value| app.post("/api/v1/me/password", &session, body);
    let new_password = "tundra velvet orchestra kiln";
    let without = change(json!({ "current_password": PASSWORD, "new_password": new_password }));
    assert_eq!(
        without.assert_problem(422, "validation")["errors"][0]["field"],
        "code"
    );
    let wrong = change(
        json!({ "current_password": PASSWORD, "new_password": new_password, "code": authenticator.wrong_code() }),
    );
    assert_eq!(
        wrong.assert_problem(422, "validation")["errors"][0]["field"],
        "code"
    );
    let changed = change(
        json!({ "current_password": PASSWORD, "new_password": new_password, "code": authenticator.code() }),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_eq!(
        app.login("careful", new_password).json()["mfa_required"],
        true
    );
}
