//! The generator: deterministic, realistic, and valid everywhere.

use super::*;
use interdict_domain::party::normalise_name;
use interdict_domain::record::Document as _;

fn controlled() -> Vec<Uuid> {
    vec![Uuid::from_u128(0x100), Uuid::from_u128(0x101)]
}

fn fingerprint(demo: &Demo) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for record in demo.reference_records() {
        hash.update(format!("{record:?}"));
    }
    for case in demo.cases() {
        hash.update(format!("{case:?}"));
    }
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_same_seed_gives_the_same_data() {
    let a = Demo::new(7, 500, controlled());
    let b = Demo::new(7, 500, controlled());
    assert_eq!(fingerprint(&a), fingerprint(&b));
    let c = Demo::new(8, 500, controlled());
    assert_ne!(fingerprint(&a), fingerprint(&c));
}

#[test]
fn counts_add_up() {
    for n in [1, 2, 3, 10, 1001] {
        let demo = Demo::new(1, n, controlled());
        let shipments: usize = demo.cases().map(|c| c.shipments.len()).sum();
        assert_eq!(shipments as u64, n);
    }
}

#[test]
fn every_generated_document_is_valid() {
    let demo = Demo::new(3, 300, controlled());
    let check = |document: &Document| match document {
        Document::Party(d) => d.check().map(|_| ()),
        Document::Chemical(d) => d.check().map(|_| ()),
        Document::Equipment(d) => d.check().map(|_| ()),
        Document::DieMold(d) => d.check().map(|_| ()),
        Document::Shipment(d) => d.check().map(|_| ()),
    };
    for record in demo.reference_records() {
        check(&record.document).unwrap_or_else(|e| panic!("{record:?}: {e:?}"));
    }
    for case in demo.cases() {
        for record in &case.shipments {
            check(&record.document).unwrap_or_else(|e| panic!("{record:?}: {e:?}"));
        }
    }
    assert_eq!(demo.agencies().len(), AGENCIES.len());
    for user in demo.users() {
        interdict_domain::user::Username::parse(&user.username).unwrap();
    }
}

#[test]
fn shipments_refer_only_to_their_agencys_records_and_ids_rise() {
    let demo = Demo::new(5, 600, controlled());
    let owner: std::collections::HashMap<Uuid, &Record> =
        demo.reference_records().iter().map(|r| (r.id, r)).collect();
    let mut last = Uuid::nil();
    for case in demo.cases() {
        for record in &case.shipments {
            assert!(record.id > last, "ids are time-ordered");
            last = record.id;
            let Document::Shipment(s) = &record.document else {
                panic!("not a shipment")
            };
            for party in &s.parties {
                assert_eq!(owner[&party.party_id].agency, record.agency);
            }
        }
        for link in &case.links {
            assert!(link.from < link.to, "links point forward, never in a cycle");
        }
    }
}

#[test]
fn names_recur_with_variants_that_normalise_together() {
    let demo = Demo::new(11, 3000, controlled());
    let mut keys: std::collections::HashMap<String, std::collections::HashSet<String>> =
        std::collections::HashMap::new();
    for record in demo.reference_records() {
        if let Document::Party(p) = &record.document {
            keys.entry(normalise_name(&p.name))
                .or_default()
                .insert(p.name.clone());
        }
    }
    assert!(
        keys.values().any(|names| names.len() > 1),
        "some company appears under several spellings"
    );
}

#[test]
fn a_share_of_shipments_trips_the_risk_rules() {
    let demo = Demo::new(2, 3000, controlled());
    let (mut controlled_lines, mut presses, mut hubs, mut cover) = (0, 0, 0, 0);
    for case in demo.cases() {
        for record in &case.shipments {
            let Document::Shipment(s) = &record.document else {
                continue;
            };
            if s.lines.iter().any(|l| {
                l.chemical_id
                    .is_some_and(|id| id == Uuid::from_u128(0x100) || id == Uuid::from_u128(0x101))
            }) {
                controlled_lines += 1;
            }
            if s.lines.iter().any(|l| l.equipment_id.is_some()) {
                presses += 1;
            }
            if s.legs.len() > 1 {
                hubs += 1;
            }
            if s.declared_hs_code.as_deref() == Some("3204.17") {
                cover += 1;
            }
        }
    }
    for (what, n) in [
        ("controlled", controlled_lines),
        ("presses", presses),
        ("transshipments", hubs),
        ("cover descriptions", cover),
    ] {
        assert!(n > 10 && n < 2000, "{what}: {n}");
    }
}

#[test]
fn imports_carry_dea_filings_in_time_late_or_missing_and_lines_concentrations() {
    let demo = Demo::new(3, 600, controlled());
    let (mut in_time, mut late, mut missing, mut concentrated) = (0, 0, 0, 0);
    for case in demo.cases() {
        for record in &case.shipments {
            let Document::Shipment(s) = &record.document else {
                continue;
            };
            concentrated += s.lines.iter().filter(|l| l.concentration.is_some()).count();
            let Some(dea) = &s.dea else { continue };
            let released: chrono::NaiveDate = dea.released_on.as_deref().unwrap().parse().unwrap();
            match dea.filings.first() {
                None => missing += 1,
                Some(f) => {
                    let filed: chrono::NaiveDate = f.filed_on.parse().unwrap();
                    // Form 486 is due 15 days before release (21 CFR 1313.12).
                    if (released - filed).num_days() >= 15 {
                        in_time += 1;
                    } else {
                        late += 1;
                    }
                }
            }
        }
    }
    assert!(
        in_time > 0 && late > 0 && missing > 0,
        "{in_time} {late} {missing}"
    );
    assert!(concentrated > 0);
}

#[test]
fn some_press_shipments_carry_lab_confirmed_counterfeit_pills() {
    let demo = Demo::new(3, 3000, controlled());
    let (mut products, mut counterfeit) = (0, 0);
    for case in demo.cases() {
        for record in &case.shipments {
            let Document::Shipment(s) = &record.document else {
                continue;
            };
            for p in &s.products {
                products += 1;
                let line = p.to_line().expect("a valid product line");
                let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
                if interdict_domain::regulation::counterfeit_pill(
                    interdict_domain::regulation::controls(),
                    &line,
                    day,
                )
                .is_some()
                {
                    counterfeit += 1;
                }
            }
        }
    }
    assert!(products > 5, "{products}");
    assert!(
        counterfeit > 0 && counterfeit < products,
        "{counterfeit} of {products}"
    );
}

#[test]
fn a_few_cases_predate_the_control_of_their_chemical_and_the_rest_are_unchanged() {
    let since = chrono::NaiveDate::from_ymd_opt(2023, 5, 12).unwrap();
    let recent = Uuid::from_u128(0x105);
    let plain = Demo::new(4, 900, controlled());
    let dated = Demo::new(4, 900, controlled()).controlled_since(vec![(recent, since)]);
    let (mut before, mut changed) = (0, 0);
    for (n, (a, b)) in plain.cases().zip(dated.cases()).enumerate() {
        if a == b {
            continue;
        }
        changed += 1;
        assert_eq!(
            n as u64 % HISTORIC,
            HISTORIC / 2,
            "only historic cases change"
        );
        for record in &b.shipments {
            let Document::Shipment(s) = &record.document else {
                panic!("not a shipment")
            };
            assert!(s.lines.iter().any(|l| l.chemical_id == Some(recent)));
            let shipped: chrono::DateTime<Utc> =
                s.legs[0].departure_at.as_deref().unwrap().parse().unwrap();
            assert!(shipped.date_naive() < since, "{shipped}");
            before += 1;
        }
    }
    let historic = (0..plain.case_count())
        .filter(|n| n % HISTORIC == HISTORIC / 2)
        .count();
    assert_eq!(changed, historic);
    assert!(before >= changed);
}
