//! Pages people can read without knowing the schema: enum values in
//! words, goods named by what identifies them, people and agencies by
//! name, and navigation that offers each role only what it may use. Over
//! HTTP on both backends.

use interdict_tests::{both_backends, Backend, TestApp, ADMIN_PASSWORD, PASSWORD};
use serde_json::json;

use crate::pages::Visitor;

both_backends!(
    a_shipment_page_names_its_goods_and_values_in_words,
    each_role_sees_only_the_reports_it_may_run,
    people_and_agencies_are_named_not_numbered,
    routes_keep_their_ports,
);

fn a_shipment_page_names_its_goods_and_values_in_words(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    app.create_user(agency, "inv.a", "investigator");
    let token = app.token("inv.a", PASSWORD);
    let press = app.post(
        "/api/v1/equipment",
        &token,
        json!({ "kind": "tableting_machine", "manufacturer": "Zhejiang Pharma Machinery", "serial_number": "ZP-4471" }),
    );
    assert_eq!(press.status, 201, "{}", press.text);
    let npp = app.get("/api/v1/chemicals?cas=39742-60-4", &token).json()["items"][0]["id"].clone();
    let shipment = app.post(
        "/api/v1/shipments",
        &token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo", "declared_description": "machine parts",
            "lines": [{ "chemical_id": npp, "quantity": 5, "unit": "kg" }, { "equipment_id": press.id() }],
            "legs": [{ "from": { "country": "CN" }, "to": { "country": "US" } }]
        }),
    );
    assert_eq!(shipment.status, 201, "{}", shipment.text);
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("inv.a", PASSWORD);
    let page = visitor.get(&format!("/shipments/{}", shipment.id()));
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "Air cargo",
        "Suspicious shipment",
        "(List I)",
        "Tableting machine, Zhejiang Pharma Machinery, serial ZP-4471",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    for raw in [
        ">air_cargo<",
        ">suspicious_shipment<",
        "list_i)",
        "equipment 0",
    ] {
        assert!(!page.body.contains(raw), "{raw} shown raw");
    }
    // Moments to the minute, in UTC with the UTC time on hover, and the
    // script that shows them in the reader's time zone.
    let history = page
        .body
        .find("<time datetime=\"")
        .expect("a <time> on the page");
    let element = &page.body[history..history + 120];
    assert!(element.contains("Z\" title=\"UTC 20"), "{element}");
    assert!(element.contains(" UTC</time>"), "{element}");
    assert!(
        !element.contains(".0"),
        "no fractions of seconds: {element}"
    );
    assert!(page.body.contains("src=\"/assets/time.js\""));
    let script = app.request("GET", "/assets/time.js").send();
    assert_eq!(script.status, 200);
    assert!(script.text.contains("time[datetime]"));
}

fn each_role_sees_only_the_reports_it_may_run(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    app.create_user(agency, "inv.a", "investigator");
    app.create_user(agency, "aud.a", "auditor");
    let mut investigator = Visitor::new(&app);
    investigator.sign_in("inv.a", PASSWORD);
    let reports = investigator.get("/reports");
    assert_eq!(reports.status, 200, "{}", reports.body);
    assert!(reports.body.contains("/reports/shipments.csv"));
    for refused in ["/reports/audit.csv", "/reports/summary.pdf"] {
        assert!(!reports.body.contains(refused), "{refused} offered");
        assert_eq!(investigator.get(refused).status, 403, "{refused}");
    }
    let mut auditor = Visitor::new(&app);
    auditor.sign_in("aud.a", PASSWORD);
    let reports = auditor.get("/reports");
    assert!(reports.body.contains("/reports/audit.csv"));
    // An administrator runs no report: no link, no page of dead buttons.
    let mut admin = Visitor::new(&app);
    admin.sign_in("admin", ADMIN_PASSWORD);
    assert!(!admin.get("/").body.contains("href=\"/reports\""));
}

fn people_and_agencies_are_named_not_numbered(backend: Backend) {
    let app = TestApp::spawn(backend);
    let houston = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    let phoenix = app.create_agency("Phoenix PD", "AZ0072300", "local", "AZ");
    app.create_user(houston, "inv.a", "investigator");
    app.create_user(houston, "aud.a", "auditor");
    app.create_user(phoenix, "inv.c", "investigator");
    let token = app.token("inv.a", PASSWORD);
    assert_eq!(app.get("/api/v1/shipments", &token).status, 200);

    let mut admin = Visitor::new(&app);
    admin.sign_in("admin", ADMIN_PASSWORD);
    let users = admin.get("/admin/users");
    assert_eq!(users.status, 200, "{}", users.body);
    assert!(users.body.contains("<th>Agency</th>"), "{}", users.body);
    assert!(
        users.body.contains("Phoenix PD (AZ0072300)"),
        "{}",
        users.body
    );

    let mut auditor = Visitor::new(&app);
    auditor.sign_in("aud.a", PASSWORD);
    let audit = auditor.get("/audit?action=shipment.search");
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(audit.body.contains("<td>inv.a"), "{}", audit.body);
    assert!(audit.body.contains("HSI Houston"), "{}", audit.body);
}

fn routes_keep_their_ports(backend: Backend) {
    let app = TestApp::spawn(backend);
    let agency = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    app.create_user(agency, "inv.a", "investigator");
    let token = app.token("inv.a", PASSWORD);
    let shipment = app.post(
        "/api/v1/shipments",
        &token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "ocean", "declared_description": "resin",
            "legs": [{ "from": { "country": "CN", "city": "Wuhan", "locode": "CNWUH" }, "to": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" } },
                     { "from": { "country": "MX", "city": "Manzanillo", "locode": "MXZLO" }, "to": { "country": "MX", "city": "Nuevo Laredo", "locode": "MXNLD" } }]
        }),
    );
    assert_eq!(shipment.status, 201, "{}", shipment.text);
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("inv.a", PASSWORD);
    for path in [
        format!("/shipments/{}", shipment.id()),
        format!("/shipments/{}/chain", shipment.id()),
        "/shipments".to_owned(),
    ] {
        let page = visitor.get(&path);
        assert_eq!(page.status, 200, "{}", page.body);
        for code in ["(CNWUH)", "(MXNLD)"] {
            assert!(
                page.body.contains(code),
                "{code} missing on {path}: {}",
                page.body
            );
        }
    }
    let page = visitor.get(&format!("/shipments/{}", shipment.id()));
    assert!(
        page.body.contains("Manzanillo, Colima, MX (MXZLO)"),
        "{}",
        page.body
    );
}
