//! Logging in and out, lockout, and the tokens the API refuses.

use crate::pages::Visitor;
use interdict_tests::{
    both_backends, Backend, Response, TestApp, ADMIN_PASSWORD, JWT_SECRET, PASSWORD,
};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

both_backends!(
    login_returns_a_bearer_token_and_me_describes_the_caller,
    wrong_user_and_wrong_password_get_the_same_answer,
    five_failures_lock_the_account,
    logout_revokes_the_token,
    bad_tokens_are_all_refused,
    disabling_changing_role_or_password_ends_sessions,
    bootstrap_on_an_empty_database,
    generated_secret_survives_a_restart,
    a_stranger_cannot_lock_the_owner_out_and_is_throttled,
    an_administrator_unlocks_an_account_and_it_is_audited,
    an_administrator_sees_a_locked_account_and_unlocks_it_on_the_users_page,
    own_password_changes_need_the_current_password_and_are_throttled,
    a_token_living_longer_than_configured_is_refused,
);

fn login_returns_a_bearer_token_and_me_describes_the_caller(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("Texas DPS", "TX0000000", "state", "TX");
    app.create_user(agency, "jdoe", "investigator");

    let response = app.login("jdoe", PASSWORD);
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 30 * 60);
    let token = body["access_token"].as_str().unwrap();

    let me = app.get("/api/v1/me", token);
    assert_eq!(me.status, 200, "{}", me.text);
    let me = me.json();
    assert_eq!(me["user"]["username"], "jdoe");
    assert_eq!(me["role"], "investigator");
    assert_eq!(me["agency"]["ori"], "TX0000000");
    assert!(me["user"].get("password_hash").is_none());
    assert!(!me.to_string().contains("argon2"));

    // Usernames are case-insensitive.
    assert_eq!(app.login("JDoe", PASSWORD).status, 200);
}

fn wrong_user_and_wrong_password_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend);
    let unknown = app.login("nobody", PASSWORD);
    let wrong = app.login("admin", "not the right passphrase at all");
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.json(), wrong.json());
    unknown.assert_problem(401, "invalid-credentials");

    let entries = app.last_audit(2);
    assert!(
        entries
            .iter()
            .all(|e| e.action == "auth.login" && e.outcome == "denied"),
        "{entries:?}"
    );
    assert!(entries[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("wrong password"));
    assert!(entries[1]
        .detail
        .as_deref()
        .unwrap()
        .contains("unknown username"));
    // Secrets never reach the audit trail.
    assert!(entries
        .iter()
        .all(|e| !e.detail.as_deref().unwrap_or("").contains("passphrase")));
}

fn five_failures_lock_the_account(backend: Backend) {
    // The user works from the office; the administrator from elsewhere, so
    // the throttle on the office's address does not hold them up.
    let app = TestApp::spawn_with(backend, BEHIND_PROXY);
    let agency = app.create_agency("Miami-Dade PD", "FL0130000", "local", "FL");
    let user = app.create_user(agency, "locked.out", "investigator");
    let admin = app.admin_token();
    for attempt in 1..=4 {
        assert_eq!(
            login_from(&app, OFFICE, "locked.out", WRONG).status,
            401,
            "attempt {attempt}"
        );
    }
    // A success before the fifth failure resets the count.
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 200);
    for _ in 1..=5 {
        assert_eq!(login_from(&app, OFFICE, "locked.out", WRONG).status, 401);
    }
    // Locked: the right password is refused too, with the same answer.
    let refused = login_from(&app, OFFICE, "locked.out", PASSWORD);
    refused.assert_problem(401, "invalid-credentials");
    let last = &app.last_audit(1)[0];
    assert_eq!(last.outcome, "denied");
    assert_eq!(last.user_id, Some(user));
    assert!(last.detail.as_deref().unwrap().contains("locked"));

    // The administrator sees the lock and can clear it with a reset.
    let shown = app.get(&format!("/api/v1/users/{user}"), &admin).json();
    assert!(shown["locked_until"].is_string(), "{shown}");
    let reset = app.post(
        &format!("/api/v1/users/{user}/password"),
        &admin,
        json!({ "password": "saffron cathedral pylon monsoon" }),
    );
    assert_eq!(reset.status, 204, "{}", reset.text);
    // (From another address: ten failures from the office have it waiting.)
    assert_eq!(
        app.login("locked.out", "saffron cathedral pylon monsoon")
            .status,
        200
    );
}

fn logout_revokes_the_token(backend: Backend) {
    let app = TestApp::spawn(backend);
    let token = app.admin_token();
    let other = app.admin_token();
    assert_eq!(app.get("/api/v1/me", &token).status, 200);
    let out = app
        .request("POST", "/api/v1/auth/logout")
        .bearer(&token)
        .send();
    assert_eq!(out.status, 204, "{}", out.text);
    app.get("/api/v1/me", &token)
        .assert_problem(401, "unauthenticated");
    let denied = &app.last_audit(1)[0];
    assert_eq!(
        (denied.action.as_str(), denied.outcome.as_str()),
        ("auth.token", "denied")
    );
    assert!(denied.detail.as_deref().unwrap().contains("revoked"));
    // Only that token: another session of the same user goes on.
    assert_eq!(app.get("/api/v1/me", &other).status, 200);
}

fn claims(app_user: &Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": app_user["user"]["id"], "agency": app_user["agency"]["id"], "role": app_user["role"],
        "iat": now, "exp": now + 600, "jti": uuid::Uuid::now_v7(), "iss": "interdict",
        "aud": "interdict-api", "typ": "access", "sv": 1,
    })
}

fn sign(claims: &Value, key: &str, alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    // base64url without padding, enough for crafted tokens.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn bad_tokens_are_all_refused(backend: Backend) {
    let app = TestApp::spawn(backend);
    let good = app.admin_token();
    let me = app.get("/api/v1/me", &good).json();
    let base = claims(&me);
    // Sanity: a token we craft the same way is accepted, so each refusal
    // below is caused by the one thing changed.
    assert_eq!(
        app.get("/api/v1/me", &sign(&base, JWT_SECRET, Algorithm::HS256))
            .status,
        200
    );

    let with = |key: &str, value: Value| {
        let mut c = base.clone();
        c[key] = value;
        sign(&c, JWT_SECRET, Algorithm::HS256)
    };
    let without = |key: &str| {
        let mut c = base.clone();
        c.as_object_mut().unwrap().remove(key);
        sign(&c, JWT_SECRET, Algorithm::HS256)
    };
    let header_none = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(base.to_string().as_bytes());
    let alg_none = format!("{header_none}.{payload}.");
    let mut parts: Vec<String> = sign(&base, JWT_SECRET, Algorithm::HS256)
        .split('.')
        .map(String::from)
        .collect();
    let mut edited_claims = base.clone();
    edited_claims["role"] = json!("auditor");
    parts[1] = b64(edited_claims.to_string().as_bytes());
    let edited = parts.join(".");
    let now = chrono::Utc::now().timestamp();
    let revoked = app.admin_token();
    assert_eq!(
        app.request("POST", "/api/v1/auth/logout")
            .bearer(&revoked)
            .send()
            .status,
        204
    );

    let corpus: Vec<(&str, String)> = vec![
        ("alg none", alg_none),
        (
            "HS512 instead of HS256",
            sign(&base, JWT_SECRET, Algorithm::HS512),
        ),
        (
            "another key",
            sign(
                &base,
                "another-secret-that-is-long-enough-0123456789",
                Algorithm::HS256,
            ),
        ),
        ("expired beyond leeway", with("exp", json!(now - 3600))),
        (
            "exp as a string",
            with("exp", json!((now + 600).to_string())),
        ),
        ("missing exp", without("exp")),
        ("missing iat", without("iat")),
        ("missing sub", without("sub")),
        ("wrong aud", with("aud", json!("someone-else"))),
        ("wrong iss", with("iss", json!("evil"))),
        ("wrong typ", with("typ", json!("refresh"))),
        ("payload edited after signing", edited),
        ("stale session version", with("sv", json!(0))),
        (
            "role differs from the account",
            with("role", json!("auditor")),
        ),
        ("unknown user", with("sub", json!(uuid::Uuid::now_v7()))),
        ("revoked", revoked),
        ("garbage", "not.a.token".to_owned()),
        ("empty", String::new()),
    ];
    for (name, token) in corpus {
        let before = app.audit_count();
        let response = app
            .request("GET", "/api/v1/me")
            .header("Authorization", &format!("Bearer {token}"))
            .send();
        assert_eq!(response.status, 401, "{name}: {}", response.text);
        response.assert_problem(401, "unauthenticated");
        let entry = &app.last_audit(1)[0];
        assert_eq!(app.audit_count(), before + 1, "{name}: one audit entry");
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("auth.token", "denied"),
            "{name}"
        );
    }
    // No Authorization header at all, and a non-bearer scheme.
    app.request("GET", "/api/v1/me")
        .send()
        .assert_problem(401, "unauthenticated");
    app.request("GET", "/api/v1/me")
        .header(
            "Authorization",
            &format!(
                "Basic {}",
                b64(format!("admin:{ADMIN_PASSWORD}").as_bytes())
            ),
        )
        .send()
        .assert_problem(401, "unauthenticated");
}

fn disabling_changing_role_or_password_ends_sessions(backend: Backend) {
    let app = TestApp::spawn(backend);
    let admin = app.admin_token();
    let agency = app.create_agency("DEA Houston", "TXDEA0100", "federal", "US");
    let user = app.create_user(agency, "changing", "investigator");
    let path = format!("/api/v1/users/{user}");
    let patch = |token: &str, body: Value| {
        let version = app.get(&path, &admin).header("etag").unwrap().to_owned();
        app.request("PATCH", &path)
            .bearer(token)
            .header("If-Match", &version)
            .json(body)
    };

    // A new display name does not end sessions.
    let token = app.token("changing", PASSWORD);
    assert_eq!(
        patch(&admin, json!({ "display_name": "Chang Ing" })).status,
        200
    );
    assert_eq!(app.get("/api/v1/me", &token).status, 200);

    // A new role does.
    assert_eq!(patch(&admin, json!({ "role": "supervisor" })).status, 200);
    app.get("/api/v1/me", &token)
        .assert_problem(401, "unauthenticated");
    let token = app.token("changing", PASSWORD);
    assert_eq!(app.get("/api/v1/me", &token).json()["role"], "supervisor");

    // So does a password change, and the old password stops working.
    let changed = app.post(
        "/api/v1/me/password",
        &token,
        json!({ "current_password": PASSWORD, "new_password": "tundra velvet orchestra kiln" }),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    app.get("/api/v1/me", &token)
        .assert_problem(401, "unauthenticated");
    assert_eq!(app.login("changing", PASSWORD).status, 401);
    let token = app.token("changing", "tundra velvet orchestra kiln");

    // And disabling the account.
    assert_eq!(patch(&admin, json!({ "active": false })).status, 200);
    app.get("/api/v1/me", &token)
        .assert_problem(401, "unauthenticated");
    assert_eq!(
        app.login("changing", "tundra velvet orchestra kiln").status,
        401
    );
}

fn bootstrap_on_an_empty_database(backend: Backend) {
    // Configured password: used, not printed.
    let app = TestApp::spawn(backend);
    assert!(app.bootstrap_password.is_none());
    let token = app.admin_token();
    let me = app.get("/api/v1/me", &token).json();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["agency"]["is_system"], true);
    let bootstrap = app
        .last_audit(100)
        .into_iter()
        .find(|e| e.action == "system.bootstrap");
    assert!(bootstrap.is_some(), "bootstrap is audited");

    // A restart on the same database creates nothing new.
    let database = app.stop();
    let app = TestApp::start_on(database, &[("INTERDICT_BOOTSTRAP_PASSWORD", "")]);
    assert!(app.bootstrap_password.is_none());
    let users = app.get("/api/v1/users", &app.admin_token()).json();
    assert_eq!(users["items"].as_array().unwrap().len(), 1);

    // No configured password: one is generated, shown once, and works.
    let fresh = TestApp::spawn_with(backend, &[("INTERDICT_BOOTSTRAP_PASSWORD", "")]);
    let generated = fresh
        .bootstrap_password
        .clone()
        .expect("a generated password");
    assert!(generated.len() >= 15);
    assert_eq!(fresh.login("admin", &generated).status, 200);
    assert_eq!(fresh.login("admin", ADMIN_PASSWORD).status, 401);
}

fn generated_secret_survives_a_restart(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_JWT_SECRET", "")]);
    let token = app.admin_token();
    assert_eq!(app.get("/api/v1/me", &token).status, 200);
    // The generated key is not the test key: tokens signed with it fail.
    let database = app.stop();
    let app = TestApp::start_on(database, &[("INTERDICT_JWT_SECRET", "")]);
    assert_eq!(
        app.get("/api/v1/me", &token).status,
        200,
        "token survives a restart"
    );
    let database = app.stop();
    // Configuring a different key invalidates it.
    let app = TestApp::start_on(database, &[]);
    assert_eq!(app.get("/api/v1/me", &token).status, 401);
}

/// Logs in as if from `source`, through the trusted proxy (the harness
/// itself, 127.0.0.1).
fn login_from(app: &TestApp, source: &str, username: &str, password: &str) -> Response {
    app.request("POST", "/api/v1/auth/login")
        .header("X-Forwarded-For", source)
        .json(json!({ "username": username, "password": password }))
}

const BEHIND_PROXY: &[(&str, &str)] = &[("INTERDICT_TRUSTED_PROXIES", "127.0.0.1")];
const OFFICE: &str = "198.51.100.7";
const ATTACKER: &str = "203.0.113.9";
const WRONG: &str = "wrong horse battery staple";

/// Issue 27, finding 4: five bad logins as `"ADMIN "` used to lock the
/// system administrator out for ten minutes, again and again.
fn a_stranger_cannot_lock_the_owner_out_and_is_throttled(backend: Backend) {
    let app = TestApp::spawn_with(backend, BEHIND_PROXY);
    // The administrator has signed in from the office before.
    assert_eq!(
        login_from(&app, OFFICE, "admin", ADMIN_PASSWORD).status,
        200
    );

    for attempt in 1..=5 {
        let refused = login_from(&app, ATTACKER, "ADMIN ", WRONG);
        assert_eq!(refused.status, 401, "attempt {attempt}: {}", refused.text);
    }
    // The owner, at a place they signed in from before, is not locked out
    // (on main's code this was a 401), and the entry says why.
    assert_eq!(
        login_from(&app, OFFICE, "admin", ADMIN_PASSWORD).status,
        200
    );
    let [granted, locking] = <[_; 2]>::try_from(app.last_audit(2)).unwrap();
    assert_eq!(
        (granted.action.as_str(), granted.outcome.as_str()),
        ("auth.login", "allowed")
    );
    let detail: Value = serde_json::from_str(granted.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["source"], "known");
    assert_eq!(detail["unknown_sources_locked_out"], 1);
    assert_eq!(locking.outcome, "denied");
    assert!(
        locking.detail.as_deref().unwrap().contains(
            "wrong password from an unknown source; account now locked for that source only"
        ),
        "{locking:?}"
    );
    // The CJIS lockout holds for the attacker's source, right password or not.
    login_from(&app, ATTACKER, "admin", ADMIN_PASSWORD).assert_problem(401, "invalid-credentials");
    assert!(app.last_audit(1)[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("account locked for this unknown source"));

    // Whoever keeps guessing from one address is throttled, with backoff.
    let mut throttled = None;
    for _ in 0..10 {
        let response = login_from(&app, ATTACKER, "admin", WRONG);
        if response.status == 429 {
            throttled = Some(response);
            break;
        }
        assert_eq!(response.status, 401, "{}", response.text);
    }
    let throttled = throttled.expect("the attacker's address is throttled");
    throttled.assert_problem(429, "too-many-requests");
    let wait: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("auth.login", "denied")
    );
    assert!(
        entry.detail.as_deref().unwrap().contains("throttled"),
        "{entry:?}"
    );
    // The next attempt from there waits at least as long: the delay grows.
    let again = login_from(&app, ATTACKER, "admin", ADMIN_PASSWORD);
    again.assert_problem(429, "too-many-requests");

    // The account is throttled too, for places it never signed in from …
    login_from(&app, "192.0.2.44", "admin", ADMIN_PASSWORD)
        .assert_problem(429, "too-many-requests");
    // … but not for the owner at a known place.
    assert_eq!(
        login_from(&app, OFFICE, "admin", ADMIN_PASSWORD).status,
        200
    );
}

fn an_administrator_unlocks_an_account_and_it_is_audited(backend: Backend) {
    let app = TestApp::spawn_with(backend, BEHIND_PROXY);
    let agency = app.create_agency("Miami-Dade PD", "FL0130000", "local", "FL");
    let elsewhere = app.create_agency("Texas DPS", "TX0000000", "state", "TX");
    let user = app.create_user(agency, "locked.out", "investigator");
    app.create_user(agency, "mdpd.admin", "admin");
    app.create_user(elsewhere, "dps.admin", "admin");
    app.create_user(agency, "colleague", "supervisor");
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 200);
    // Locked for an unknown source, then for everyone (from the office).
    for _ in 0..5 {
        assert_eq!(login_from(&app, ATTACKER, "locked.out", WRONG).status, 401);
    }
    for _ in 0..5 {
        assert_eq!(login_from(&app, OFFICE, "locked.out", WRONG).status, 401);
    }
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 401);
    let admin = app.token("mdpd.admin", PASSWORD);
    let shown = app.get(&format!("/api/v1/users/{user}"), &admin).json();
    assert!(shown["locked_until"].is_string(), "{shown}");

    let unlock = |token: &str, id: uuid::Uuid| {
        app.request("POST", &format!("/api/v1/users/{id}/unlock"))
            .bearer(token)
            .send()
    };
    // Who may: the account's administrators, never on their own account.
    unlock(&app.token("colleague", PASSWORD), user).assert_problem(403, "forbidden");
    unlock(&app.token("dps.admin", PASSWORD), user).assert_problem(404, "not-found");
    let own = app.get("/api/v1/me", &admin).json()["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    unlock(&admin, own).assert_problem(403, "forbidden");

    let before = app.audit_count();
    let unlocked = unlock(&admin, user);
    assert_eq!(unlocked.status, 200, "{}", unlocked.text);
    assert_eq!(
        unlocked.json(),
        json!({ "account_was_locked": true, "sources_unlocked": 1 })
    );
    assert_eq!(app.audit_count(), before + 1);
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (
            entry.action.as_str(),
            entry.outcome.as_str(),
            entry.object_id.clone()
        ),
        ("user.unlock", "allowed", Some(user.to_string()))
    );
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 200);
    assert_eq!(
        login_from(&app, ATTACKER, "locked.out", PASSWORD).status,
        200
    );
}

fn an_administrator_sees_a_locked_account_and_unlocks_it_on_the_users_page(backend: Backend) {
    let app = TestApp::spawn_with(backend, BEHIND_PROXY);
    let agency = app.create_agency("Miami-Dade PD", "FL0130000", "local", "FL");
    let user = app.create_user(agency, "locked.out", "investigator");
    app.create_user(agency, "free.one", "investigator");
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 200);
    for _ in 0..5 {
        assert_eq!(login_from(&app, OFFICE, "locked.out", WRONG).status, 401);
    }
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 401);

    let mut admin = Visitor::new(&app);
    admin.sign_in("admin", ADMIN_PASSWORD);
    let users = admin.get("/admin/users");
    assert_eq!(users.status, 200, "{}", users.body);
    let action = format!("action=\"/admin/users/{user}/unlock\"");
    // One Unlock button: the locked account's, not the free one's.
    assert_eq!(users.body.matches("/unlock\"").count(), 1, "{}", users.body);
    assert!(users.body.contains(&action), "{}", users.body);

    let csrf = users.csrf();
    let done = admin.post(
        &format!("/admin/users/{user}/unlock"),
        &[("csrf", csrf.as_str())],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("user.unlock", "allowed")
    );
    assert!(!admin.get("/admin/users").body.contains(&action));
    assert_eq!(login_from(&app, OFFICE, "locked.out", PASSWORD).status, 200);
}

/// Issue 27, finding 5: an administrator's stolen token used to reset the
/// administrator's own password, and `/me/password` took unlimited guesses.
fn own_password_changes_need_the_current_password_and_are_throttled(backend: Backend) {
    let app = TestApp::spawn(backend);
    let admin = app.admin_token();
    let own = app.get("/api/v1/me", &admin).json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reset = app.post(
        &format!("/api/v1/users/{own}/password"),
        &admin,
        json!({ "password": "saffron cathedral pylon monsoon" }),
    );
    reset.assert_problem(403, "forbidden");
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("user.password_reset", "denied")
    );
    assert_eq!(app.login("admin", ADMIN_PASSWORD).status, 200);

    let agency = app.create_agency("Miami-Dade PD", "FL0130000", "local", "FL");
    app.create_user(agency, "guessed", "investigator");
    let token = app.token("guessed", PASSWORD);
    let change = |current: &str| {
        app.post(
            "/api/v1/me/password",
            &token,
            json!({ "current_password": current, "new_password": "tundra velvet orchestra kiln" }),
        )
    };
    let mut throttled = None;
    for attempt in 1..=11 {
        let response = change(&format!("guess number {attempt} of many"));
        if response.status == 429 {
            throttled = Some((attempt, response));
            break;
        }
        response.assert_problem(422, "validation");
        let entry = &app.last_audit(1)[0];
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("user.password_change", "denied")
        );
        assert!(
            entry
                .detail
                .as_deref()
                .unwrap()
                .contains("wrong current password"),
            "{entry:?}"
        );
    }
    let (attempt, throttled) = throttled.expect("guesses are throttled");
    assert_eq!(attempt, 11, "ten free guesses, as at sign-in");
    throttled.assert_problem(429, "too-many-requests");
    assert!(throttled.header("retry-after").is_some());
    // The right password waits too, and so does signing in from there.
    change(PASSWORD).assert_problem(429, "too-many-requests");
    assert_eq!(app.login("guessed", PASSWORD).status, 429);
}

/// Issue 27, finding 8: a correctly signed token with `exp` in 2100 worked.
fn a_token_living_longer_than_configured_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend);
    let me = app.get("/api/v1/me", &app.admin_token()).json();
    let base = claims(&me);
    let now = chrono::Utc::now().timestamp();
    let with_times = |iat: i64, exp: i64| {
        let mut c = base.clone();
        c["iat"] = json!(iat);
        c["exp"] = json!(exp);
        sign(&c, JWT_SECRET, Algorithm::HS256)
    };
    // The configured lifetime (30 minutes) is accepted, however far along.
    assert_eq!(
        app.get("/api/v1/me", &with_times(now - 600, now - 600 + 1800))
            .status,
        200
    );
    for (name, token) in [
        ("exp in 2100", with_times(now, 4_102_444_800)),
        (
            "one second too long",
            with_times(now - 600, now - 600 + 1801),
        ),
    ] {
        app.get("/api/v1/me", &token)
            .assert_problem(401, "unauthenticated");
        let entry = &app.last_audit(1)[0];
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("auth.token", "denied"),
            "{name}"
        );
        assert!(
            entry.detail.as_deref().unwrap().contains("lifetime"),
            "{name}: {entry:?}"
        );
    }
}
