use super::*;

// Chemical weights follow the law (`RegulatoryWeights::default()`, as in
// config/default.toml): List I 35, List II 12, a Schedule II immediate
// precursor 60, times the line's quantity factor. 4-AP, the chemical of
// most tests here, is List I from 2020-05-15 with no threshold, so any
// quantity is regulated: under 1 kg weighs 1×, from 1 kg 1.5×, from 10 kg 2×.

fn weights() -> RiskWeights {
    RiskWeights {
        pill_press: 25.0,
        counterfeit_imprint: 20.0,
        misdeclaration: 20.0,
        transshipment: 10.0,
        marks_removed: 15.0,
        first_seen_consignor: 5.0,
        deconfliction_hit: 15.0,
        split_consignment: 10.0,
        sanctioned_party: 60.0,
        auto_flag_threshold: 50.0,
        regulation: RegulatoryWeights::default(),
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// A line of the chemical with this CAS number, as the table knows it.
fn line(cas: &str, name: &str, quantity: f64, unit: Unit) -> ChemicalLine {
    let table = regulation::controls();
    let row = table
        .by_cas(&crate::chemical::CasNumber::parse(cas).unwrap())
        .unwrap();
    ChemicalLine {
        id: Uuid::nil(),
        name: name.into(),
        subject: table.subject(&row.id),
        recorded: ControlStatus::ListI,
        hs_code: row.hs.as_ref().map(|h| h.value.clone()),
        quantity: Quantity::new(quantity, unit).unwrap(),
        concentration: None,
        month: Vec::new(),
    }
}

fn four_ap(quantity: f64, unit: Unit) -> ChemicalLine {
    line("23056-29-3", "4-anilinopiperidine", quantity, unit)
}

fn plain() -> ShipmentProfile {
    ShipmentProfile {
        day: day("2026-03-02"),
        declared_description: Some("laboratory glassware".into()),
        route: vec!["CN".into(), "US".into()],
        ..ShipmentProfile::default()
    }
}

fn fires(profile: &ShipmentProfile, code: IndicatorCode) -> bool {
    assess(profile, &weights()).fired(code)
}

#[test]
fn findings_kept_as_json_weigh_the_same_under_any_weights() {
    let mut p = plain();
    p.chemicals.push(four_ap(12.0, Unit::Kilogram));
    p.consignor_first_seen = true;
    p.onward_links = 3;
    let found = findings(&p);
    assert_eq!(found.len(), 3);
    let kept: Vec<Finding> = serde_json::from_str(&serde_json::to_string(&found).unwrap()).unwrap();
    assert_eq!(kept, found);
    let mut heavier = weights();
    heavier.regulation.list_i = 40.0;
    for w in [weights(), heavier] {
        assert_eq!(weigh(kept.clone(), &w), assess(&p, &w));
    }
    // 12 kg of 4-AP: List I (35) × 2 (10 kg or more, no threshold);
    // first seen consignor 5; split into three onward shipments 10.
    assert_eq!(weigh(kept, &weights()).score, 35.0 * 2.0 + 5.0 + 10.0);
}

#[test]
fn an_innocent_shipment_fires_nothing() {
    let assessment = assess(&plain(), &weights());
    assert_eq!(assessment.score, 0.0);
    assert!(assessment.indicators.is_empty());
}

#[test]
fn controlled_chemical_weighted_by_tier_and_quantity() {
    // A chemical neither the table nor the catalogue controls weighs nothing.
    let mut p = plain();
    p.chemicals.push(ChemicalLine {
        subject: None,
        recorded: ControlStatus::None,
        ..four_ap(500.0, Unit::Kilogram)
    });
    assert!(!fires(&p, IndicatorCode::ControlledChemical));
    for (quantity, unit, weight) in [
        // List I (35) at any quantity: 1× under 1 kg, 1.5× from 1 kg, 2× from 10 kg.
        (500.0, Unit::Gram, 35.0),
        (2.0, Unit::Kilogram, 52.5),
        (25.0, Unit::Kilogram, 70.0),
    ] {
        let mut p = plain();
        p.chemicals.push(four_ap(quantity, unit));
        let a = assess(&p, &weights());
        assert_eq!(a.indicators[0].code, IndicatorCode::ControlledChemical);
        assert_eq!(a.indicators[0].weight, weight, "{quantity} {unit}");
        let sentence = &a.indicators[0].sentence;
        // The explanation names the tier, its date and its citation.
        assert!(sentence.contains("List I since 2020-05-15"), "{sentence}");
        assert!(sentence.contains("85 FR 20822"), "{sentence}");
        assert!(sentence.contains("any quantity is regulated"), "{sentence}");
    }
    // ANPP, a Schedule II immediate precursor, weighs 60 at 900 g: flagged
    // on its own at the default threshold of 60.
    let mut p = plain();
    p.chemicals
        .push(line("21409-26-7", "ANPP", 900.0, Unit::Gram));
    assert_eq!(assess(&p, &weights()).score, 60.0);
    // 10 kg of acetic anhydride, List II (12) with a 1,023 kg threshold,
    // weighs its share of the threshold: 12 × 10/1023, about 0.12.
    let mut p = plain();
    p.chemicals
        .push(line("108-24-7", "acetic anhydride", 10.0, Unit::Kilogram));
    let a = assess(&p, &weights());
    assert!(a.score > 0.0 && a.score < 1.0, "{a:?}");
    assert!(a.indicators[0].sentence.contains("List II"), "{a:?}");
}

#[test]
fn control_is_taken_at_the_shipments_date() {
    // 4-piperidone became List I on 2023-05-12: in June 2022 it weighs
    // nothing, and its line says when it was controlled.
    let mut p = plain();
    p.day = day("2022-06-15");
    p.chemicals
        .push(line("41661-47-6", "4-piperidone", 5.0, Unit::Kilogram));
    let a = assess(&p, &weights());
    assert_eq!(a.score, 0.0, "{a:?}");
    let controls = line_controls(&p);
    assert_eq!(controls[0].tier, None);
    assert!(
        controls[0]
            .explanation
            .contains("not controlled then (List I from 2023-05-12)"),
        "{controls:?}"
    );
    // A year later the same line is List I (35) × 1.5 for 5 kg.
    p.day = day("2023-06-15");
    assert_eq!(assess(&p, &weights()).score, 52.5);
    assert_eq!(line_controls(&p)[0].tier, Some(Tier::ListI));
}

#[test]
fn a_chemical_the_table_does_not_know_weighs_its_recorded_tier_by_mass_only() {
    let mut p = plain();
    p.chemicals.push(ChemicalLine {
        subject: None,
        ..four_ap(20.0, Unit::Litre)
    });
    let a = assess(&p, &weights());
    // List I (35) at 1×: litres are not counted as kilograms.
    assert_eq!(a.score, 35.0);
    assert!(a.indicators[0].sentence.contains("no density"), "{a:?}");
    assert!(a.indicators[0]
        .sentence
        .contains("as recorded in the catalogue"));
}

#[test]
fn several_lines_fire_a_rule_once_at_the_heaviest() {
    let mut p = plain();
    p.chemicals.push(four_ap(500.0, Unit::Gram));
    p.chemicals.push(four_ap(25.0, Unit::Kilogram));
    let a = assess(&p, &weights());
    assert_eq!(a.indicators.len(), 1);
    // The heavier line: List I (35) × 2 for 25 kg.
    assert_eq!(a.score, 70.0);
    assert!(a.indicators[0].sentence.contains("25 kg"));
    assert!(a.indicators[0]
        .sentence
        .ends_with("(and 1 lighter line(s))"));
}

#[test]
fn pill_press_and_marks_removed() {
    let mut p = plain();
    p.equipment.push(EquipmentLine {
        kind: EquipmentKind::Punch,
        markings_removed: false,
    });
    assert!(!fires(&p, IndicatorCode::PillPress));
    assert!(!fires(&p, IndicatorCode::MarksRemoved));
    p.equipment.push(EquipmentLine {
        kind: EquipmentKind::TabletingMachine,
        markings_removed: true,
    });
    assert!(fires(&p, IndicatorCode::PillPress));
    assert!(fires(&p, IndicatorCode::MarksRemoved));
}

#[test]
fn counterfeit_imprint() {
    let mut p = plain();
    p.dies.push(DieLine {
        imitated_product: None,
        imprint: "A|1|ROUND".into(),
    });
    assert!(!fires(&p, IndicatorCode::CounterfeitImprint));
    p.dies.push(DieLine {
        imitated_product: Some("oxycodone 30 mg".into()),
        imprint: "M|30|ROUND".into(),
    });
    assert!(fires(&p, IndicatorCode::CounterfeitImprint));
}

#[test]
fn misdeclaration_by_description_or_hs_chapter() {
    let mut p = plain();
    p.chemicals.push(four_ap(25.0, Unit::Kilogram));
    assert!(
        !fires(&p, IndicatorCode::Misdeclaration),
        "honest description, no HS code"
    );
    p.declared_description = Some("Industrial Dye".into());
    let a = assess(&p, &weights());
    assert!(a.fired(IndicatorCode::Misdeclaration));
    assert!(a
        .indicators
        .iter()
        .any(|i| i.sentence.contains("Industrial Dye")));
    p.declared_description = Some("4-anilinopiperidine".into());
    p.declared_hs_code = Some("3204.17".into());
    assert!(
        fires(&p, IndicatorCode::Misdeclaration),
        "chapter 32 for a chapter 29 chemical"
    );
    p.declared_hs_code = Some("2933.39".into());
    assert!(!fires(&p, IndicatorCode::Misdeclaration));
    // Innocuous goods described innocuously are not misdeclared.
    let mut dye = plain();
    dye.declared_description = Some("industrial dye".into());
    assert!(!fires(&dye, IndicatorCode::Misdeclaration));
}

#[test]
fn transshipment_through_a_third_country() {
    let mut p = plain();
    assert!(!fires(&p, IndicatorCode::Transshipment));
    p.route = vec!["CN".into(), "CN".into(), "US".into()];
    assert!(
        !fires(&p, IndicatorCode::Transshipment),
        "domestic first leg"
    );
    p.route = vec!["CN".into(), "HK".into(), "US".into()];
    assert!(fires(&p, IndicatorCode::Transshipment));
}

#[test]
fn first_seen_deconfliction_and_split() {
    let mut p = plain();
    p.onward_links = 1;
    assert!(!fires(&p, IndicatorCode::FirstSeenConsignor));
    assert!(!fires(&p, IndicatorCode::DeconflictionHit));
    assert!(!fires(&p, IndicatorCode::SplitConsignment));
    p.consignor_first_seen = true;
    p.deconfliction_hit = true;
    p.onward_links = 3;
    let a = assess(&p, &weights());
    assert!(a.fired(IndicatorCode::FirstSeenConsignor));
    assert!(a.fired(IndicatorCode::DeconflictionHit));
    assert!(a.fired(IndicatorCode::SplitConsignment));
    assert_eq!(a.score, 30.0);
}

#[test]
fn a_sanctioned_party_fires_once_per_party_and_weighs_its_weight() {
    let mut p = plain();
    assert!(!fires(&p, IndicatorCode::SanctionedParty));
    p.sanctioned_parties = vec!["Acme may be ACME LTD (OFAC SDN of 2021-07-01)".into()];
    let a = assess(&p, &weights());
    assert!(a.fired(IndicatorCode::SanctionedParty));
    assert_eq!(a.score, 60.0);
}

fn scored(score: f64) -> Assessment {
    Assessment {
        score,
        indicators: Vec::new(),
    }
}

#[test]
fn a_chain_is_flagged_at_the_threshold_unless_a_flag_is_under_way() {
    let threshold = weights().auto_flag_threshold;
    let mut asked = false;
    let below = auto_flag(&scored(threshold - 0.01), &weights(), || {
        asked = true;
        Ok::<_, ()>(false)
    });
    assert_eq!(below, Ok(None));
    assert!(!asked, "flags were looked up below the threshold");
    let reached = auto_flag(&scored(threshold), &weights(), || Ok::<_, ()>(false));
    assert_eq!(
        reached,
        Ok(Some(format!(
            "Risk score {threshold} reached the threshold of {threshold}"
        )))
    );
    let above = auto_flag(&scored(threshold + 20.0), &weights(), || Ok::<_, ()>(true));
    assert_eq!(above, Ok(None), "a flag is still under way");
    let failed = auto_flag(&scored(threshold), &weights(), || Err("no database"));
    assert_eq!(failed, Err("no database"));
}

#[test]
fn a_chain_counts_each_indicator_once_at_its_highest() {
    let mut small = plain();
    small.chemicals.push(four_ap(500.0, Unit::Gram));
    let mut big = plain();
    big.chemicals.push(four_ap(25.0, Unit::Kilogram));
    big.route = vec!["CN".into(), "HK".into(), "US".into()];
    let chain = assess_chain(&[assess(&small, &weights()), assess(&big, &weights())]);
    assert_eq!(chain.indicators.len(), 2);
    // The 25 kg line's List I weight (35 × 2) once, and transshipment 10.
    assert_eq!(chain.score, 80.0);
    assert!(chain.indicators[0].sentence.ends_with("(on 2 shipments)"));
}
