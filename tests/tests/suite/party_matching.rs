//! Party resolution over HTTP on both backends: ranked candidates with
//! their signals, judgements (`different` never proposed again, `same`
//! forming a profile that chains and suggestions follow), and a strong
//! match on a hidden party told only as a notice naming its agency.

use crate::fixtures::{created, HoustonHidta};
use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use serde_json::{json, Value};
use uuid::Uuid;

both_backends!(
    matches_rank_a_respelled_name_above_unrelated,
    a_pair_judged_different_is_not_proposed_again,
    a_hidden_party_yields_only_a_notice,
    a_same_profile_chain_follows_both_members,
    parties_recorded_before_the_index_are_filed_at_start,
);

struct World {
    app: TestApp,
    inv_a: String,
    inv_c: String,
    auditor_a: String,
}

fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend);
    HoustonHidta::create(
        &app,
        &[
            ('a', "inv.a", "investigator"),
            ('a', "aud.a", "auditor"),
            ('c', "inv.c", "investigator"),
        ],
    );
    World {
        inv_a: app.token("inv.a", PASSWORD),
        inv_c: app.token("inv.c", PASSWORD),
        auditor_a: app.token("aud.a", PASSWORD),
        app,
    }
}

fn party(app: &TestApp, token: &str, name: &str, country: &str) -> Uuid {
    created(app.post(
        "/api/v1/parties",
        token,
        json!({ "kind": "company", "name": name, "address": { "country": country } }),
    ))
}

fn matches(app: &TestApp, token: &str, id: Uuid) -> Value {
    let response = app.get(&format!("/api/v1/parties/{id}/matches"), token);
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn matched_ids(view: &Value) -> Vec<Uuid> {
    view["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Uuid::parse_str(m["party_id"].as_str().unwrap()).unwrap())
        .collect()
}

fn judge(app: &TestApp, token: &str, id: Uuid, other: Uuid, decision: &str) -> u16 {
    let response = app.post(
        &format!("/api/v1/parties/{id}/judgements"),
        token,
        json!({ "other_id": other, "decision": decision, "note": "checked the registry" }),
    );
    response.status
}

fn matches_rank_a_respelled_name_above_unrelated(backend: Backend) {
    let w = world(backend);
    let (app, t) = (&w.app, &w.inv_a);
    let broker = party(app, t, "Hebei Shengxue Bio-Tech Co., Ltd", "CN");
    let respelled = party(app, t, "HEBEI SHENGXUE BIOTECH", "CN");
    // Shares the province and the legal form, nothing distinctive.
    let neighbour = party(app, t, "Hebei Yongtai Chemical Co., Ltd", "CN");
    let unrelated = party(app, t, "Pearl River Forwarding Ltd", "HK");

    let view = matches(app, t, broker);
    let ids = matched_ids(&view);
    assert_eq!(ids.first(), Some(&respelled), "{view}");
    assert!(!ids.contains(&unrelated), "{view}");
    assert!(
        !ids.contains(&broker),
        "a party is not its own match: {view}"
    );
    let best = &view["matches"][0];
    assert_eq!(best["name"], "HEBEI SHENGXUE BIOTECH");
    assert!(best["score"].as_f64().unwrap() >= 0.8, "{best}");
    let texts: Vec<&str> = best["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("name tokens")),
        "{texts:?}"
    );
    assert!(texts.contains(&"country equal (CN)"), "{texts:?}");
    // Ranked above the neighbour, if the neighbour is proposed at all.
    if let Some(at) = ids.iter().position(|id| *id == neighbour) {
        assert!(at > 0, "{view}");
        let score = |i: usize| view["matches"][i]["score"].as_f64().unwrap();
        assert!(score(0) > score(at), "{view}");
    }
    // Found from the other side too, and the read is audited.
    assert_eq!(
        matched_ids(&matches(app, t, respelled)).first(),
        Some(&broker)
    );
    let entry = &app.last_audit(1)[0];
    assert_eq!(entry.action, "party.matches");
    assert_eq!(
        entry.object_id.as_deref(),
        Some(respelled.to_string().as_str())
    );
    assert_eq!(entry.outcome, "allowed", "{entry:?}");

    // An update files the party under its new name.
    let updated = app
        .request("PATCH", &format!("/api/v1/parties/{unrelated}"))
        .bearer(t)
        .header("If-Match", "\"1\"")
        .json(json!({ "name": "Hebei Sheng Xue Biotech Company" }));
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert!(
        matched_ids(&matches(app, t, broker)).contains(&unrelated),
        "the renamed party is found under its new name"
    );

    // Another agency cannot ask about a party it does not see.
    app.get(&format!("/api/v1/parties/{broker}/matches"), &w.inv_c)
        .assert_problem(404, "not-found");
}

fn a_pair_judged_different_is_not_proposed_again(backend: Backend) {
    let w = world(backend);
    let (app, t) = (&w.app, &w.inv_a);
    let one = party(app, t, "Shanghai Kaiyu Pharmaceutical Co", "CN");
    let two = party(app, t, "SHANGHAI KAIYU PHARM", "CN");
    assert_eq!(matched_ids(&matches(app, t, one)), [two]);

    // Refused input names its field, and is not a judgement.
    app.post(
        &format!("/api/v1/parties/{one}/judgements"),
        t,
        json!({ "other_id": two, "decision": "maybe" }),
    )
    .assert_problem(422, "validation");
    app.post(
        &format!("/api/v1/parties/{one}/judgements"),
        t,
        json!({ "other_id": one, "decision": "same" }),
    )
    .assert_problem(422, "validation");
    let unknown = app.post(
        &format!("/api/v1/parties/{one}/judgements"),
        t,
        json!({ "other_id": two, "decision": "same", "colour": "red" }),
    );
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(unknown.text.contains("colour"), "{}", unknown.text);
    // Auditors read; they do not judge. Other agencies see neither party.
    assert_eq!(judge(app, &w.auditor_a, one, two, "different"), 403);
    assert_eq!(judge(app, &w.inv_c, one, two, "different"), 404);
    assert_eq!(matched_ids(&matches(app, t, one)), [two]);

    // Unsure keeps it proposed, with the judgement beside it.
    assert_eq!(judge(app, t, one, two, "unsure"), 201);
    let view = matches(app, t, one);
    assert_eq!(view["matches"][0]["judgement"], "unsure", "{view}");

    assert_eq!(judge(app, t, two, one, "different"), 201);
    let entry = &app.last_audit(1)[0];
    assert_eq!(entry.action, "party.judgement");
    assert_eq!(entry.outcome, "allowed");
    assert!(entry.detail.as_deref().unwrap().contains("different"));
    assert!(matched_ids(&matches(app, t, one)).is_empty());
    assert!(matched_ids(&matches(app, t, two)).is_empty());
    // A third spelling is still proposed for both.
    let three = party(
        app,
        t,
        "Shanghai Kaiyu Pharmaceuticals Company Limited",
        "CN",
    );
    assert_eq!(matched_ids(&matches(app, t, one)), [three]);
    assert_eq!(matched_ids(&matches(app, t, two)), [three]);
}

fn a_hidden_party_yields_only_a_notice(backend: Backend) {
    let w = world(backend);
    let app = &w.app;
    // HSI Houston keeps its broker to itself.
    let hidden = party(app, &w.inv_a, "Hebei Shengxue Bio-Tech Co., Ltd", "CN");
    let theirs = party(app, &w.inv_c, "HEBEI SHENGXUE BIOTECH", "CN");

    let response = app.get(&format!("/api/v1/parties/{theirs}/matches"), &w.inv_c);
    assert_eq!(response.status, 200, "{}", response.text);
    let view = response.json();
    assert!(matched_ids(&view).is_empty(), "{view}");
    let notices = view["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{view}");
    assert_eq!(notices[0]["other_agency"]["name"], "HSI Houston");
    assert_eq!(notices[0]["other_agency"]["ori"], "TXHSI0100");
    // Nothing of the record itself: not its id, name, spelling or score.
    for leak in [
        hidden.to_string().as_str(),
        "Bio-Tech",
        "Co., Ltd",
        "score",
        "signals",
    ] {
        assert!(!response.text.contains(leak), "{leak} in {}", response.text);
    }
    // Judging it is as if it did not exist.
    assert_eq!(judge(app, &w.inv_c, theirs, hidden, "same"), 404);
    // The owner, who may not see the other, gets a notice the other way.
    assert_eq!(
        matched_ids(&matches(app, &w.inv_a, hidden)),
        Vec::<Uuid>::new()
    );
    let owners = matches(app, &w.inv_a, hidden);
    assert_eq!(owners["notices"][0]["other_agency"]["name"], "Phoenix PD");
}

fn place(country: &str, city: &str) -> Value {
    json!({ "country": country, "city": city })
}

fn shipment(
    app: &TestApp,
    token: &str,
    party: Uuid,
    role: &str,
    route: (Value, Value),
    day: u32,
) -> Uuid {
    created(app.post(
        "/api/v1/shipments",
        token,
        json!({
            "incident_type": "suspicious_shipment", "mode": "air_cargo", "declared_description": "lab glassware",
            "parties": [{ "party_id": party, "role": role }],
            "legs": [{ "from": route.0, "to": route.1,
                "departure_at": format!("2026-03-{day:02}T08:00:00Z"), "arrival_at": format!("2026-03-{day:02}T18:00:00Z") }]
        }),
    ))
}

fn a_same_profile_chain_follows_both_members(backend: Backend) {
    let w = world(backend);
    let (app, t) = (&w.app, &w.inv_a);
    // One broker under two names no matcher would pair.
    let pearl = party(app, t, "Pearl River Forwarding Ltd", "HK");
    let zhujiang = party(app, t, "Zhujiang Freight Services", "HK");
    // Chain one names the first as consignee; chain two the second as consignor.
    let one = shipment(
        app,
        t,
        pearl,
        "consignee",
        (place("CN", "Shanghai"), place("HK", "Hong Kong")),
        1,
    );
    let one_on = shipment(
        app,
        t,
        pearl,
        "notify_party",
        (place("HK", "Hong Kong"), place("MX", "Manzanillo")),
        2,
    );
    let two = shipment(
        app,
        t,
        zhujiang,
        "consignor",
        (place("HK", "Kowloon"), place("US", "Miami")),
        20,
    );
    let two_on = shipment(
        app,
        t,
        zhujiang,
        "notify_party",
        (place("US", "Miami"), place("US", "Houston")),
        22,
    );
    for (from, to) in [(one, one_on), (two, two_on)] {
        let linked = app.post(
            &format!("/api/v1/shipments/{from}/links"),
            t,
            json!({ "to": to, "relation": "transshipment", "evidence": "same drums" }),
        );
        assert_eq!(linked.status, 201, "{}", linked.text);
    }
    let roots = |party: Uuid| -> Vec<Uuid> {
        let response = app.get(&format!("/api/v1/chains?party_id={party}"), t);
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Uuid::parse_str(c["root_id"].as_str().unwrap()).unwrap())
            .collect()
    };
    let suggested = || -> Vec<Uuid> {
        let response = app.get(&format!("/api/v1/shipments/{one}/suggestions"), t);
        assert_eq!(response.status, 200, "{}", response.text);
        response
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Uuid::parse_str(s["to"].as_str().unwrap()).unwrap())
            .collect()
    };
    assert_eq!(roots(pearl), [one]);
    assert_eq!(roots(zhujiang), [two]);
    assert!(!suggested().contains(&two));

    assert_eq!(judge(app, t, pearl, zhujiang, "same"), 201);
    let view = matches(app, t, pearl);
    assert_eq!(
        view["profile"][0]["party_id"],
        zhujiang.to_string(),
        "{view}"
    );
    assert!(
        matched_ids(&view).is_empty(),
        "a member is not a candidate: {view}"
    );
    // Either member's chains are the profile's.
    assert_eq!(roots(pearl), [two, one]);
    assert_eq!(roots(zhujiang), [two, one]);
    // And the consignee of one is the consignor of the other.
    assert!(suggested().contains(&two), "{:?}", suggested());
    // A candidate of one member is a candidate of the profile.
    let respelled = party(app, t, "ZHUJIANG FREIGHT SERVICE", "HK");
    assert_eq!(matched_ids(&matches(app, t, pearl)), [respelled]);
}

fn parties_recorded_before_the_index_are_filed_at_start(backend: Backend) {
    use diesel::prelude::*;
    use interdict_persistence::schema::{party_match_keys, settings};
    let w = world(backend);
    let t = &w.inv_a;
    let broker = party(&w.app, t, "Hebei Shengxue Bio-Tech Co., Ltd", "CN");
    let respelled = party(&w.app, t, "HEBEI SHENGXUE BIOTECH", "CN");
    assert_eq!(matched_ids(&matches(&w.app, t, broker)), [respelled]);
    // As if both had been recorded before the index existed.
    {
        let mut conn = w.app.database.connect();
        diesel::delete(party_match_keys::table)
            .execute(&mut conn)
            .unwrap();
        diesel::delete(settings::table.filter(settings::key.eq("party_match_keys_filed")))
            .execute(&mut conn)
            .unwrap();
    }
    assert!(matched_ids(&matches(&w.app, t, broker)).is_empty());
    let database = w.app.stop();
    let app = TestApp::start_on(database, &[]);
    let t = app.token("inv.a", PASSWORD);
    assert_eq!(matched_ids(&matches(&app, &t, broker)), [respelled]);
    assert_eq!(matched_ids(&matches(&app, &t, respelled)), [broker]);
}
