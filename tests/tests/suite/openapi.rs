//! The OpenAPI document against the service it describes: every operation
//! it lists is driven, over HTTP, with the requests that provoke each kind
//! of error (no token, a token that must enrol first, each role, an
//! unknown id, an id that is not one, a stale or missing `If-Match`, a
//! body that is empty, unknown, not JSON or too large, a NUL in the
//! query), and every status answered must be one the document lists for
//! that operation, errors as problem documents. A status the code can
//! answer but the document omits fails here.

use std::collections::{BTreeMap, BTreeSet};

use interdict_tests::{both_backends, Backend, Response, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::created;

both_backends!(
    every_status_an_operation_answers_is_in_the_document,
    the_document_lists_the_values_of_every_enum,
);

/// How a probe fills the path and what it sends.
#[derive(Clone, Copy, Debug)]
enum Probe {
    /// Unknown ids, an empty JSON object for a JSON body.
    Plain,
    /// Ids that name a real shipment (and 404 elsewhere).
    RealId,
    /// Path segments that are not ids.
    NotAnId,
    /// A JSON body with an unknown field.
    UnknownField,
    /// The body as text/plain.
    NotJson,
    /// A body over the 1 MiB limit.
    TooLarge,
    /// `If-Match` naming a version the real shipment never had.
    StaleVersion,
    /// A NUL in the query string.
    NulInQuery,
}

fn every_status_an_operation_answers_is_in_the_document(backend: Backend) {
    let app = TestApp::spawn(backend);
    let doc = app.request("GET", "/api/v1/openapi.json").send().json();
    let admin = app.admin_token();
    let agency = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
    for (username, role) in [
        ("probe.inv", "investigator"),
        ("probe.sup", "supervisor"),
        ("probe.aud", "auditor"),
    ] {
        app.create_user(agency, username, role);
    }
    let investigator = app.token("probe.inv", PASSWORD);
    let supervisor = app.token("probe.sup", PASSWORD);
    let auditor = app.token("probe.aud", PASSWORD);
    let enrol_only = enrol_only_token(&app);
    let shipment = created(app.post(
        "/api/v1/shipments",
        &investigator,
        json!({ "incident_type": "suspicious_shipment", "mode": "air_cargo",
                "legs": [{ "from": { "country": "CN" }, "to": { "country": "MX" } }] }),
    ));

    let callers: [(&str, &str); 6] = [
        ("anonymous", ""),
        ("enrol-only", &enrol_only),
        ("admin", &admin),
        ("investigator", &investigator),
        ("supervisor", &supervisor),
        ("auditor", &auditor),
    ];
    let mut answered: BTreeMap<u16, usize> = BTreeMap::new();
    let mut undocumented = Vec::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operation") {
            operations += 1;
            // Signing out would end the probe's own sessions.
            let callers: &[(&str, &str)] = if path == "/api/v1/auth/logout" {
                &callers[..1]
            } else {
                &callers
            };
            let documented: BTreeSet<u16> = operation["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .filter_map(|s| s.parse().ok())
                .collect();
            let mut check = |who: &str, probe: Probe, response: Response| {
                *answered.entry(response.status).or_default() += 1;
                if !documented.contains(&response.status) {
                    undocumented.push(format!(
                        "{} {path} answered {} to {who} ({probe:?}): {}",
                        method.to_uppercase(),
                        response.status,
                        response.text.chars().take(200).collect::<String>()
                    ));
                } else if response.status >= 400 {
                    assert_eq!(
                        response.header("content-type"),
                        Some("application/problem+json"),
                        "{method} {path} {}: {}",
                        response.status,
                        response.text
                    );
                    let listed = &operation["responses"][response.status.to_string()];
                    assert_eq!(
                        listed["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {}",
                        response.status
                    );
                }
            };
            for &(who, token) in callers {
                for probe in [Probe::Plain, Probe::RealId] {
                    check(
                        who,
                        probe,
                        send(&app, method, path, operation, token, probe, shipment),
                    );
                }
            }
            if path == "/api/v1/auth/logout" {
                continue;
            }
            for probe in [
                Probe::NotAnId,
                Probe::UnknownField,
                Probe::NotJson,
                Probe::TooLarge,
                Probe::StaleVersion,
                Probe::NulInQuery,
            ] {
                check(
                    "investigator",
                    probe,
                    send(
                        &app,
                        method,
                        path,
                        operation,
                        &investigator,
                        probe,
                        shipment,
                    ),
                );
            }
        }
    }
    assert!(operations > 90, "only {operations} operations documented");
    assert!(
        undocumented.is_empty(),
        "statuses the document does not list:\n{}",
        undocumented.join("\n")
    );
    // The probes reach every kind of error, so the check above has teeth.
    for status in [200, 400, 401, 403, 404, 412, 413, 415, 422, 428] {
        assert!(
            answered.contains_key(&status),
            "no probe was answered {status}: {answered:?}"
        );
    }
}

/// A token of an account whose agency requires a second factor it has not
/// enrolled: it reaches the account and its enrolment, and nothing else.
fn enrol_only_token(app: &TestApp) -> String {
    let agency = app.create_agency("Texas DPS", "TX0000000", "state", "TX");
    app.create_user(agency, "probe.admin", "admin");
    app.create_user(agency, "probe.enrol", "investigator");
    let required = app
        .request("PUT", &format!("/api/v1/agencies/{agency}/mfa"))
        .bearer(&app.token("probe.admin", PASSWORD))
        .json(json!({ "required": true }));
    assert_eq!(required.status, 204, "{}", required.text);
    let login = app.login("probe.enrol", PASSWORD).json();
    assert_eq!(login["mfa_enrolment_required"], true);
    login["access_token"].as_str().expect("token").to_owned()
}

fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    operation: &Value,
    token: &str,
    probe: Probe,
    shipment: Uuid,
) -> Response {
    let params = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut url = path.to_owned();
    for param in params.iter().filter(|p| p["in"] == "path") {
        let name = param["name"].as_str().expect("name");
        let value = match probe {
            Probe::NotAnId => "not-an-id".to_owned(),
            _ if param["schema"]["enum"].is_array() => param["schema"]["enum"][0]
                .as_str()
                .expect("enum value")
                .to_owned(),
            _ if name == "object_type" => "shipment".to_owned(),
            _ if name == "seq" => "1".to_owned(),
            Probe::RealId | Probe::StaleVersion => shipment.to_string(),
            _ => Uuid::now_v7().to_string(),
        };
        url = url.replace(&format!("{{{name}}}"), &value);
    }
    if matches!(probe, Probe::NulInQuery) {
        url.push_str("?q=%00");
    }
    let mut request = app.request(&method.to_uppercase(), &url).bearer(token);
    let takes_if_match = params
        .iter()
        .any(|p| p["in"] == "header" && p["name"] == "If-Match");
    if takes_if_match && matches!(probe, Probe::StaleVersion) {
        request = request.header("If-Match", "\"999\"");
    }
    let body = &operation["requestBody"]["content"];
    if body.is_null() {
        return request.send();
    }
    let (content_type, plain): (&str, &[u8]) = if body.get("application/json").is_some() {
        ("application/json", b"{}")
    } else {
        ("text/csv", b"tracking_number\n1Z1\n")
    };
    match probe {
        Probe::UnknownField => request.raw(content_type, b"{\"zz_unknown\": 1}"),
        Probe::NotJson => request.raw("text/plain", b"hello"),
        Probe::TooLarge => {
            let mut large = b"{\"reason\": \"".to_vec();
            large.extend(std::iter::repeat_n(b'x', 1024 * 1024 + 10));
            large.extend(b"\"}");
            request.raw(content_type, &large)
        }
        _ => request.raw(content_type, plain),
    }
}

/// Every value a field or parameter takes is listed, from the domain's
/// own choices, so a client need not learn them from 422s.
fn the_document_lists_the_values_of_every_enum(backend: Backend) {
    let app = TestApp::spawn(backend);
    let doc = app.request("GET", "/api/v1/openapi.json").send().json();
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| -> Vec<String> {
        schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no enum: {}", schemas[name]))
            .iter()
            .map(|v| v.as_str().expect("string").to_owned())
            .collect()
    };
    assert_eq!(
        values("Role"),
        ["investigator", "supervisor", "auditor", "admin"]
    );
    assert_eq!(values("Unit"), ["g", "kg", "mL", "L"]);
    assert_eq!(
        values("FlagState"),
        [
            "open",
            "under_review",
            "confirmed",
            "dismissed",
            "escalated",
            "merged"
        ]
    );
    assert_eq!(values("Outcome"), ["allowed", "denied", "error"]);
    assert_eq!(values("IdentifierKind").len(), 9);
    // Fields typed as strings on the wire refer to them.
    let refers = |schema: &str, field: &str, to: &str| {
        let property = &schemas[schema]["properties"][field];
        let text = property.to_string();
        assert!(
            text.contains(&format!("#/components/schemas/{to}")),
            "{schema}.{field} does not refer to {to}: {property}"
        );
    };
    for (schema, field, to) in [
        ("ShipmentInput", "incident_type", "IncidentType"),
        ("ShipmentInput", "status", "ShipmentStatus"),
        ("ShipmentInput", "mode", "Mode"),
        ("ShipmentPartyInput", "role", "PartyRole"),
        ("TrackingNumberInput", "kind", "TrackingKind"),
        ("LineInput", "unit", "Unit"),
        ("PartyInput", "kind", "PartyKind"),
        ("EquipmentInput", "kind", "EquipmentKind"),
        ("ChemicalInput", "us_control", "ControlStatus"),
        ("CreateUserRequest", "role", "Role"),
        ("UserView", "role", "Role"),
        ("CreateAgencyRequest", "level", "AgencyLevel"),
        ("CreateLinkRequest", "relation", "LinkRelation"),
        ("FlagView", "state", "FlagState"),
        ("TransitionRequest", "action", "ReviewAction"),
        ("JudgementRequest", "decision", "Judgement"),
        ("NoticeView", "identifier_kind", "IdentifierKind"),
        ("WatchRequest", "kind", "WatchKind"),
        ("AuditEntryView", "outcome", "Outcome"),
        ("ImportView", "phase", "ImportPhase"),
    ] {
        refers(schema, field, to);
    }
    // The queue's filters list their values too.
    let queue = &doc["paths"]["/api/v1/reviews/queue"]["get"]["parameters"];
    for name in ["view", "state", "sort", "indicator"] {
        let param = queue
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name} parameter"));
        assert!(
            param["schema"]
                .to_string()
                .contains("#/components/schemas/"),
            "queue parameter {name} lists no values: {param}"
        );
    }
    // The main request bodies carry an example.
    for name in [
        "LoginRequest",
        "ShipmentInput",
        "PartyInput",
        "CreateLinkRequest",
        "RaiseFlagRequest",
        "TransitionRequest",
        "WatchRequest",
        "JudgementRequest",
    ] {
        assert!(
            schemas[name]["example"].is_object(),
            "{name} has no example"
        );
    }
}
