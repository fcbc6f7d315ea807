//! The pages over real HTTP, on both backends: the cookie session and its
//! CSRF check, the shipment form's all-or-nothing write with the API's
//! audit entries, HTML errors, and a clear message when another
//! supervisor decided first.

use diesel::prelude::*;
use interdict_persistence::schema::records;
use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use std::time::Duration;
use uuid::Uuid;

/// A browser without a browser: keeps the session cookie, never follows
/// redirects, so each answer can be checked.
pub(crate) struct Visitor<'a> {
    app: &'a TestApp,
    agent: ureq::Agent,
    session: Option<String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    location: Option<String>,
    content_type: String,
    set_cookies: Vec<String>,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body))
            + 19;
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    pub(crate) fn assert_html(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.content_type.starts_with("text/html"),
            "{}",
            self.content_type
        );
        assert!(self.body.starts_with("<!DOCTYPE html>"));
    }
}

impl<'a> Visitor<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(60))
                .build(),
            session: None,
        }
    }

    fn call(
        &self,
        request: ureq::Request,
        form: Option<&[(&str, &str)]>,
        cookie: Option<String>,
    ) -> Page {
        let mut request = request;
        let cookies: Vec<String> = self
            .session
            .iter()
            .map(|s| format!("interdict_session={s}"))
            .chain(cookie)
            .collect();
        if !cookies.is_empty() {
            request = request.set("Cookie", &cookies.join("; "));
        }
        let result = match form {
            Some(fields) => request.send_form(fields),
            None => request.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        Page {
            status: response.status(),
            location: response.header("Location").map(str::to_owned),
            content_type: response
                .header("Content-Type")
                .unwrap_or_default()
                .to_owned(),
            set_cookies: response
                .all("Set-Cookie")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            body: response.into_string().unwrap_or_default(),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Page {
        self.call(
            self.agent.get(&format!("{}{path}", self.app.base)),
            None,
            None,
        )
    }

    pub(crate) fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.call(
            self.agent.post(&format!("{}{path}", self.app.base)),
            Some(fields),
            None,
        )
    }

    pub(crate) fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login");
        let nonce_cookie = form
            .set_cookies
            .iter()
            .find(|c| c.starts_with("interdict_login="))
            .and_then(|c| c.split(';').next())
            .expect("login nonce cookie")
            .to_owned();
        let csrf = form.csrf();
        let fields = [
            ("csrf", csrf.as_str()),
            ("next", "/"),
            ("username", username),
            ("password", password),
        ];
        let page = self.call(
            self.agent.post(&format!("{}/login", self.app.base)),
            Some(&fields),
            Some(nonce_cookie),
        );
        if let Some(cookie) = page
            .set_cookies
            .iter()
            .find(|c| c.starts_with("interdict_session="))
        {
            let value = cookie.split(';').next().unwrap_or_default();
            self.session = Some(value.trim_start_matches("interdict_session=").to_owned());
        }
        page
    }

    /// A form's CSRF token, read from a page as a browser would.
    pub(crate) fn csrf(&self) -> String {
        self.get("/").csrf()
    }
}

fn count(app: &TestApp, kind: &str) -> i64 {
    let mut conn = app.database.connect();
    records::table
        .filter(records::kind.eq(kind))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

fn setup(app: &TestApp) -> (Uuid, Uuid) {
    let agency = app.create_agency("Border Narcotics Unit", "TX0000001", "federal", "US");
    let other = app.create_agency("Maricopa County Sheriff", "AZ0070000", "local", "AZ");
    app.create_user(agency, "ivy", "investigator");
    app.create_user(agency, "sam", "supervisor");
    app.create_user(agency, "sue", "supervisor");
    app.create_user(other, "otto", "investigator");
    (agency, other)
}

fn shipment_form<'f>(
    csrf: &'f str,
    consignor: &'f str,
    arrival: &'f str,
) -> Vec<(&'f str, &'f str)> {
    vec![
        ("csrf", csrf),
        ("incident_type", "suspicious_shipment"),
        ("status", "reported"),
        ("mode", "air_express"),
        ("scope", "agency"),
        ("tracking_numbers[0].kind", "air_waybill"),
        ("tracking_numbers[0].value", "1Z999AA10123456784"),
        ("parties[0].role", "consignor"),
        ("parties[0].kind", "company"),
        ("parties[0].name", consignor),
        ("parties[0].country", "CN"),
        ("parties[1].role", "consignee"),
        ("parties[1].kind", "company"),
        ("parties[1].name", "Desert Supply LLC"),
        ("parties[1].country", "US"),
        ("lines[0].kind", "chemical"),
        (
            "lines[0].chemical",
            "N-phenethyl-4-piperidone (CAS 39742-60-4)",
        ),
        ("lines[0].quantity", "25"),
        ("lines[0].unit", "kg"),
        ("lines[1].kind", "die_mold"),
        ("lines[1].die_mold.front_imprint", "M"),
        ("lines[1].die_mold.back_imprint", "30"),
        ("lines[1].die_mold.shape", "round"),
        ("legs[0].from.country", "CN"),
        ("legs[0].from.city", "Shenzhen"),
        ("legs[0].to.country", "MX"),
        ("legs[0].departure_at", "2026-03-01"),
        ("legs[0].arrival_at", "2026-03-04"),
        ("legs[1].from.country", "MX"),
        ("legs[1].to.country", "US"),
        ("legs[1].to.subdivision", "TX"),
        ("legs[1].departure_at", "2026-03-05"),
        ("legs[1].arrival_at", arrival),
    ]
}

fn signing_in_sets_a_strict_session_and_every_form_needs_its_token(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let mut visitor = Visitor::new(&app);

    // No session: sign in first, and come back afterwards.
    let page = visitor.get("/shipments?origin_country=CN");
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=/shipments%3Forigin_country%3DCN")
    );

    // A login form posted without its nonce cookie is refused and audited.
    let refused = visitor.post(
        "/login",
        &[("csrf", "abc"), ("username", "ivy"), ("password", PASSWORD)],
    );
    refused.assert_html(403);
    assert!(visitor.session.is_none());
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("auth.login", "denied")
    );

    let wrong = visitor.sign_in("ivy", "not the password at all");
    wrong.assert_html(401);
    assert!(wrong.body.contains("The username or password is wrong"));
    assert!(visitor.session.is_none());

    let signed_in = visitor.sign_in("ivy", PASSWORD);
    assert_eq!(signed_in.status, 303);
    let cookie = signed_in
        .set_cookies
        .iter()
        .find(|c| c.starts_with("interdict_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=1800"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    let dashboard = visitor.get("/");
    dashboard.assert_html(200);
    assert!(dashboard.body.contains("ivy · investigator"));

    // A form without the token, or with another session's, is refused,
    // writes nothing and leaves a denied entry.
    let before = count(&app, "shipment");
    let forged = visitor.post("/shipments/new", &shipment_form("", "Acme", "2026-03-07"));
    forged.assert_html(403);
    assert!(forged.body.contains("This form has expired"));
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("page.form", "denied")
    );
    let mut other = Visitor::new(&app);
    other.sign_in("sam", PASSWORD);
    let foreign_token = other.csrf();
    visitor
        .post(
            "/shipments/new",
            &shipment_form(&foreign_token, "Acme", "2026-03-07"),
        )
        .assert_html(403);
    assert_eq!(count(&app, "shipment"), before);

    // Signing out ends the token, not just the cookie.
    let token = visitor.session.clone();
    let csrf = visitor.csrf();
    let out = visitor.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(out
        .set_cookies
        .iter()
        .any(|c| c.starts_with("interdict_session=;") && c.contains("Max-Age=0")));
    visitor.session = token;
    assert_eq!(visitor.get("/").status, 303, "a signed-out token is dead");
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("auth.token", "denied")
    );
}

fn the_shipment_form_writes_all_or_nothing_with_the_apis_audit_entries(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("ivy", PASSWORD);
    let csrf = visitor.csrf();

    // The second leg arrives before it leaves: nothing is written, the
    // error sits by its field, and what was typed comes back.
    let refused = visitor.post(
        "/shipments/new",
        &shipment_form(&csrf, "Shenzhen Hua Trading Co., Ltd.", "2026-03-02"),
    );
    refused.assert_html(422);
    assert!(
        refused.body.contains("id=\"f-legs-1-arrival_at-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("is before the departure"));
    assert!(refused
        .body
        .contains("value=\"Shenzhen Hua Trading Co., Ltd.\""));
    for kind in ["shipment", "party", "die_mold"] {
        assert_eq!(count(&app, kind), 0, "no {kind} written");
    }

    let created = visitor.post(
        "/shipments/new",
        &shipment_form(&csrf, "Shenzhen Hua Trading Co., Ltd.", "2026-03-07"),
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.expect("redirect to the shipment");
    let id: Uuid = location
        .trim_start_matches("/shipments/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("shipment id");
    assert_eq!(
        (
            count(&app, "shipment"),
            count(&app, "party"),
            count(&app, "die_mold")
        ),
        (1, 2, 1)
    );
    let actions: Vec<String> = app.last_audit(6).into_iter().map(|e| e.action).collect();
    for action in ["shipment.create", "party.create", "die_mold.create"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not in {actions:?}"
        );
    }
    let detail = visitor.get(&location);
    detail.assert_html(200);
    assert!(detail.body.contains("The shipment was recorded"));
    assert!(detail.body.contains("Shenzhen Hua Trading Co., Ltd."));
    assert_eq!(
        app.last_audit(1)[0].action,
        "party.read",
        "the detail page reads like any client"
    );

    // The same consignor spelt differently is the party on file.
    let again = visitor.post(
        "/shipments/new",
        &shipment_form(&csrf, "SHENZHEN HUA TRADING CO LTD", "2026-03-07"),
    );
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!((count(&app, "shipment"), count(&app, "party")), (2, 2));
    // So is one the matcher is sure of (a typo, a dropped legal form)...
    let matched = visitor.post(
        "/shipments/new",
        &shipment_form(&csrf, "Shenzen Hua Trading", "2026-03-07"),
    );
    assert_eq!(matched.status, 303, "{}", matched.body);
    assert_eq!((count(&app, "shipment"), count(&app, "party")), (3, 2));
    // ...but not a neighbour that differs in a distinctive word.
    let other = visitor.post(
        "/shipments/new",
        &shipment_form(&csrf, "Shenzhen Hong Trading Co., Ltd.", "2026-03-07"),
    );
    assert_eq!(other.status, 303, "{}", other.body);
    assert_eq!((count(&app, "shipment"), count(&app, "party")), (4, 3));

    // The chain page draws the shipment.
    let chain = visitor.get(&format!("/shipments/{id}/chain"));
    chain.assert_html(200);
    assert!(chain.body.contains("<svg"));
    assert!(chain.body.contains(&format!("data-id=\"{id}\"")));
}

fn another_agencys_record_is_an_html_not_found(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let mut ivy = Visitor::new(&app);
    ivy.sign_in("ivy", PASSWORD);
    let csrf = ivy.csrf();
    let created = ivy.post(
        "/shipments/new",
        &shipment_form(&csrf, "Acme Chemical", "2026-03-07"),
    );
    let location = created.location.expect("created");

    let mut otto = Visitor::new(&app);
    otto.sign_in("otto", PASSWORD);
    for path in [
        location.clone(),
        format!("{}/chain", location.split('?').next().unwrap_or_default()),
    ] {
        let page = otto.get(&path);
        page.assert_html(404);
        assert!(page.body.contains("Not found"));
    }
    let entry = &app.last_audit(1)[0];
    assert_eq!(entry.outcome, "denied", "the refused read is audited");
    otto.get("/no/such/page").assert_html(404);
    let api = otto.get("/api/v1/no-such-resource");
    assert_eq!(api.status, 404);
    assert_eq!(api.content_type, "application/problem+json");
    // An investigator has no review queue.
    otto.get("/reviews").assert_html(403);
}

fn a_supervisor_who_decides_second_is_told_so(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let mut ivy = Visitor::new(&app);
    ivy.sign_in("ivy", PASSWORD);
    let csrf = ivy.csrf();
    let location = ivy
        .post(
            "/shipments/new",
            &shipment_form(&csrf, "Acme Chemical", "2026-03-07"),
        )
        .location
        .expect("created");
    let shipment = location.split('?').next().unwrap_or_default().to_owned();
    let flagged = ivy.post(
        &format!("{shipment}/flags"),
        &[("csrf", &csrf), ("reason", "die mold with a precursor")],
    );
    assert_eq!(flagged.status, 303, "{}", flagged.body);
    // The system had flagged the chain already: Ivy's reason joined that
    // flag, which is now at version 2.
    assert!(
        flagged
            .location
            .as_deref()
            .is_some_and(|l| l.ends_with("done=added_to_flag")),
        "{:?}",
        flagged.location
    );

    let mut sam = Visitor::new(&app);
    sam.sign_in("sam", PASSWORD);
    let queue = sam.get("/reviews");
    queue.assert_html(200);
    let start = queue
        .body
        .find("href=\"/flags/")
        .expect("flag in the queue")
        + 13;
    let flag = &queue.body[start..start + 36];
    let mut sue = Visitor::new(&app);
    sue.sign_in("sue", PASSWORD);
    let (sam_csrf, sue_csrf) = (sam.csrf(), sue.csrf());
    // Both read version 2; Sam acts first.
    let first = sam.post(
        &format!("/flags/{flag}"),
        &[
            ("csrf", &sam_csrf),
            ("version", "2"),
            ("action", "start_review"),
        ],
    );
    assert_eq!(first.status, 303, "{}", first.body);
    let second = sue.post(
        &format!("/flags/{flag}"),
        &[
            ("csrf", &sue_csrf),
            ("version", "2"),
            ("action", "start_review"),
        ],
    );
    second.assert_html(409);
    assert!(second
        .body
        .contains("Another supervisor decided or changed this flag first"));
    assert!(second.body.contains("Under review"));
}

fn a_suggested_link_is_accepted_from_the_shipment_page(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let mut ivy = Visitor::new(&app);
    ivy.sign_in("ivy", PASSWORD);
    let csrf = ivy.csrf();
    let path_of = |page: Page| {
        let location = page
            .location
            .unwrap_or_else(|| panic!("not created: {}", page.body));
        location.split('?').next().unwrap_or_default().to_owned()
    };
    let first = path_of(ivy.post(
        "/shipments/new",
        &shipment_form(&csrf, "Acme Chemical", "2026-03-07"),
    ));
    // The first one's consignee sends the second one on.
    let second = path_of(ivy.post(
        "/shipments/new",
        &shipment_form(&csrf, "Desert Supply LLC", "2026-03-07"),
    ));
    let second_id = second.trim_start_matches("/shipments/");
    let page = ivy.get(&first);
    let action = format!("{first}/suggestions/{second_id}");
    assert!(
        page.body.contains(&format!("action=\"{action}\"")),
        "{}",
        page.body
    );
    let accepted = ivy.post(
        &action,
        &[
            ("csrf", &csrf),
            ("relation", "reconsignment"),
            ("decision", "accept"),
        ],
    );
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let page = ivy.get(accepted.location.as_deref().unwrap_or_default());
    assert!(page.body.contains("The suggestion was accepted"));
    assert!(page.body.contains("reconsignment"));
    assert!(
        !page.body.contains(&format!("action=\"{action}\"")),
        "not proposed again"
    );
}

both_backends!(
    a_suggested_link_is_accepted_from_the_shipment_page,
    a_match_is_judged_the_same_from_the_party_page,
    signing_in_sets_a_strict_session_and_every_form_needs_its_token,
    the_shipment_form_writes_all_or_nothing_with_the_apis_audit_entries,
    another_agencys_record_is_an_html_not_found,
    a_supervisor_who_decides_second_is_told_so,
    the_form_takes_concentration_and_dea_details_and_pages_show_dated_controls,
);

/// Issue 24 on the pages: the form records a concentration and a DEA
/// filing; the shipment page shows the controls on its date and its
/// obligations; the catalogue shows each chemical's dated, cited history.
fn the_form_takes_concentration_and_dea_details_and_pages_show_dated_controls(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let mut ivy = Visitor::new(&app);
    ivy.sign_in("ivy", PASSWORD);
    let csrf = ivy.csrf();
    let mut form = shipment_form(&csrf, "Acme Chemical", "2026-03-16");
    form.extend([
        ("lines[0].concentration", "40% w/w"),
        ("dea_form", "486"),
        ("dea_transaction_id", "DEA-486-0042"),
        ("dea_filed_on", "2026-03-05"),
        ("dea_released_on", "2026-03-16"),
    ]);
    let created = ivy.post("/shipments/new", &form);
    assert_eq!(created.status, 303, "{}", created.body);
    let page = ivy.get(&created.location.expect("created"));
    page.assert_html(200);
    for part in [
        "40% w/w",
        "Controls on 2026-03-01",
        "N-phenethyl-4-piperidone: List I since 2007-04-23 (72 FR 20039",
        "DEA Form 486",
        "21 CFR 1313.12",
        ">Late<",
    ] {
        assert!(page.body.contains(part), "{part} not in {}", page.body);
    }
    let catalogue = ivy.get("/catalogue");
    catalogue.assert_html(200);
    for part in [
        "4-piperidone",
        "List I</strong> since 2023-05-12",
        "88 FR 21902",
    ] {
        assert!(
            catalogue.body.contains(part),
            "{part} not in {}",
            catalogue.body
        );
    }
}

fn a_match_is_judged_the_same_from_the_party_page(backend: Backend) {
    let app = TestApp::spawn(backend);
    setup(&app);
    let token = app.token("ivy", PASSWORD);
    let party = |name: &str| {
        let response = app.post(
            "/api/v1/parties",
            &token,
            serde_json::json!({ "kind": "company", "name": name, "address": { "country": "CN" } }),
        );
        assert_eq!(response.status, 201, "{}", response.text);
        response.id()
    };
    let broker = party("Hebei Shengxue Bio-Tech Co., Ltd");
    let respelled = party("HEBEI SHENGXUE BIOTECH");
    let mut ivy = Visitor::new(&app);
    ivy.sign_in("ivy", PASSWORD);
    let csrf = ivy.csrf();
    let path = format!("/parties/{broker}");
    let page = ivy.get(&path);
    page.assert_html(200);
    assert!(
        page.body.contains("HEBEI SHENGXUE BIOTECH"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name tokens"), "{}", page.body);
    assert!(page.body.contains("country equal (CN)"), "{}", page.body);
    let action = format!("action=\"{path}/judgements\"");
    assert!(page.body.contains(&action), "{}", page.body);
    assert_eq!(app.last_audit(1)[0].action, "party.matches");

    let judged = ivy.post(
        &format!("{path}/judgements"),
        &[
            ("csrf", &csrf),
            ("other_id", &respelled.to_string()),
            ("note", "same registry number"),
            ("decision", "same"),
        ],
    );
    assert_eq!(judged.status, 303, "{}", judged.body);
    let page = ivy.get(judged.location.as_deref().unwrap_or_default());
    page.assert_html(200);
    assert!(page.body.contains("Judged the same actor"), "{}", page.body);
    assert!(page.body.contains("id=\"profile\""), "{}", page.body);
    assert!(!page.body.contains(&action), "no longer a candidate");
    // Without the form's token, nothing is judged.
    let forged = ivy.post(
        &format!("{path}/judgements"),
        &[
            ("other_id", &respelled.to_string()),
            ("decision", "different"),
        ],
    );
    assert_eq!(forged.status, 403, "{}", forged.body);
    // Another agency's investigator finds no such page.
    let mut otto = Visitor::new(&app);
    otto.sign_in("otto", PASSWORD);
    otto.get(&path).assert_html(404);
}
