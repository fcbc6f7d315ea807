use super::*;

fn weights() -> RiskWeights {
    RiskWeights {
        controlled_chemical: 30.0,
        pill_press: 25.0,
        counterfeit_imprint: 20.0,
        misdeclaration: 20.0,
        transshipment: 10.0,
        marks_removed: 15.0,
        first_seen_consignor: 5.0,
        deconfliction_hit: 15.0,
        split_consignment: 10.0,
        auto_flag_threshold: 50.0,
    }
}

fn four_ap(quantity: f64, unit: Unit) -> ChemicalLine {
    ChemicalLine {
        name: "4-anilinopiperidine".into(),
        control: ControlStatus::ListI,
        hs_code: Some("2933.39".into()),
        quantity,
        unit,
    }
}

fn plain() -> ShipmentProfile {
    ShipmentProfile {
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
    heavier.controlled_chemical = 40.0;
    for w in [weights(), heavier] {
        assert_eq!(weigh(kept.clone(), &w), assess(&p, &w));
    }
    assert_eq!(weigh(kept, &weights()).score, 30.0 * 2.0 + 5.0 + 10.0);
}

#[test]
fn an_innocent_shipment_fires_nothing() {
    let assessment = assess(&plain(), &weights());
    assert_eq!(assessment.score, 0.0);
    assert!(assessment.indicators.is_empty());
}

#[test]
fn controlled_chemical_weighted_by_quantity() {
    let mut p = plain();
    p.chemicals.push(ChemicalLine {
        control: ControlStatus::None,
        ..four_ap(500.0, Unit::Kilogram)
    });
    assert!(!fires(&p, IndicatorCode::ControlledChemical));
    for (quantity, unit, weight) in [
        (500.0, Unit::Gram, 30.0),
        (2.0, Unit::Kilogram, 45.0),
        (25.0, Unit::Kilogram, 60.0),
    ] {
        let mut p = plain();
        p.chemicals.push(four_ap(quantity, unit));
        let a = assess(&p, &weights());
        assert_eq!(a.indicators[0].code, IndicatorCode::ControlledChemical);
        assert_eq!(a.indicators[0].weight, weight, "{quantity} {unit}");
        assert!(a.indicators[0].sentence.contains("List I"));
    }
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
    assert_eq!(chain.score, 70.0);
    assert!(chain.indicators[0].sentence.ends_with("(on 2 shipments)"));
}
