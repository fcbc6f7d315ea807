//! The acceptance examples of issue 24, on the real tables in reference/.

use chrono::NaiveDate;

use super::table_tests::{rules, table};
use super::*;
use crate::shipment::Unit;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn line(table: &ControlTable, id: &str, amount: f64, unit: Unit) -> ChemicalLine {
    ChemicalLine {
        subject: table.subject(id).unwrap(),
        quantity: Quantity::new(amount, unit).unwrap(),
        concentration: None,
    }
}

fn score(findings: &[RegulatoryFinding]) -> f64 {
    let weights = RegulatoryWeights::default();
    findings.iter().map(|f| weights.weight(f)).sum()
}

/// The auto-flag threshold of the current `[risk]` configuration.
const AUTO_FLAG: f64 = 60.0;
/// The heaviest sign a lone line can bring along today without anything
/// suspicious about it: `first_seen_consignor` (config/default.toml).
const FIRST_SEEN_CONSIGNOR: f64 = 5.0;

#[test]
fn nine_hundred_grams_of_anpp_alone_is_auto_flagged() {
    let table = table();
    let anpp = line(&table, "anpp", 900.0, Unit::Gram);
    let a = assess_line(&table, &anpp, day("2026-03-02"), Direction::Import);
    assert_eq!(a.control.tier(), Some(Tier::ScheduleIiImmediatePrecursor));
    // Schedule II immediate precursor (60) at full weight: no threshold, any
    // quantity is regulated, and 900 g is under the 1 kg step.
    assert_eq!(score(&a.findings), 60.0);
    assert!(score(&a.findings) >= AUTO_FLAG);
    let sentence = &a.findings[0].sentence;
    assert!(sentence.contains("75 FR 37295"), "{sentence}");
    assert!(sentence.contains("any quantity is regulated"), "{sentence}");
}

#[test]
fn ten_kilograms_of_acetic_anhydride_alone_is_not() {
    let table = table();
    let aa = line(&table, "acetic-anhydride", 10.0, Unit::Kilogram);
    let a = assess_line(&table, &aa, day("2026-03-02"), Direction::Import);
    assert_eq!(a.control.tier(), Some(Tier::ListIi));
    // List II (12) times 10 kg / 1,023 kg: about 0.12.
    let s = score(&a.findings);
    assert!(s < 1.0, "{s}");
    assert!(s + FIRST_SEEN_CONSIGNOR < AUTO_FLAG);
    assert!(!a
        .findings
        .iter()
        .any(|f| f.code == RegulatoryCode::ThresholdExceeded));
    // In litres it is weighed through its recorded density, not counted as kilograms.
    let litres = line(&table, "acetic-anhydride", 10.0, Unit::Litre);
    let a = assess_line(&table, &litres, day("2026-03-02"), Direction::Import);
    match a.comparison {
        Some(Ok(Comparison::Multiple { multiple, .. })) => {
            assert!((multiple - 10.82 / 1023.0).abs() < 1e-9)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_line_over_its_threshold_fires_threshold_exceeded() {
    let table = table();
    let big = line(&table, "piperonal", 40.0, Unit::Kilogram);
    let a = assess_line(&table, &big, day("2026-03-02"), Direction::Domestic);
    let exceeded = threshold_exceeded(&table, &big, day("2026-03-02"), Direction::Domestic)
        .expect("threshold_exceeded");
    let under = line(&table, "piperonal", 3.0, Unit::Kilogram);
    assert_eq!(
        threshold_exceeded(&table, &under, day("2026-03-02"), Direction::Domestic),
        None
    );
    assert!(exceeded.sentence.contains("10×"), "{}", exceeded.sentence);
    assert!(
        exceeded.sentence.contains("not confirmed"),
        "the recalled 4 kg says so"
    );
    // List I (35) × 1.5 for ten times the threshold, plus threshold_exceeded (15).
    assert_eq!(score(&a.findings), 35.0 * 1.5 + 15.0);
}

fn month_of_piperonal(third: &str) -> (Option<RegulatoryFinding>, Vec<Option<RegulatoryFinding>>) {
    let table = table();
    let threshold = table
        .threshold_at(&table.subject("piperonal").unwrap(), day("2026-03-01"))
        .unwrap();
    let kg = threshold
        .value
        .limit(Direction::Domestic)
        .unwrap()
        .kg
        .unwrap();
    let share = line(&table, "piperonal", 0.4 * kg, Unit::Kilogram);
    let dates = [day("2026-03-03"), day("2026-03-17"), day(third)];
    let other = |d: NaiveDate| OtherLine {
        day: d,
        quantity: share.quantity,
        concentration: None,
    };
    let earlier: Vec<Option<RegulatoryFinding>> = (0..2)
        .map(|i| {
            let before: Vec<OtherLine> = dates[..i].iter().map(|d| other(*d)).collect();
            cumulative_threshold(&table, &share, dates[i], Direction::Domestic, &before)
        })
        .collect();
    let before: Vec<OtherLine> = dates[..2].iter().map(|d| other(*d)).collect();
    let last = cumulative_threshold(&table, &share, dates[2], Direction::Domestic, &before);
    (last, earlier)
}

#[test]
fn three_shipments_of_four_tenths_in_a_month_give_the_third_a_cumulative_threshold() {
    let (third, earlier) = month_of_piperonal("2026-03-29");
    assert_eq!(earlier, vec![None, None], "0.4× and 0.8× stay below");
    let third = third.expect("cumulative_threshold on the third");
    assert_eq!(third.code, RegulatoryCode::CumulativeThreshold);
    assert!(third.sentence.contains("1.2×"), "{}", third.sentence);
    assert!(third.sentence.contains("2026-03"), "{}", third.sentence);
    assert!(third.sentence.contains("3 shipments"), "{}", third.sentence);
    // The first of the next month starts a new month.
    let (moved, _) = month_of_piperonal("2026-04-01");
    assert_eq!(moved, None);
}

#[test]
fn four_piperidone_in_june_2022_was_not_controlled_then() {
    let table = table();
    let p = line(&table, "4-piperidone", 5.0, Unit::Kilogram);
    let a = assess_line(&table, &p, day("2022-06-15"), Direction::Import);
    assert_eq!(
        a.control,
        ControlAt::NotYet {
            tier: Tier::ListI,
            from: day("2023-05-12")
        }
    );
    assert_eq!(
        a.explanation,
        "4-piperidone: not controlled then (List I from 2023-05-12)."
    );
    assert!(
        a.findings.is_empty(),
        "it weighs as an uncontrolled chemical"
    );
    assert_eq!(score(&a.findings), 0.0);
    // A year later it is List I with no threshold.
    let a = assess_line(&table, &p, day("2023-06-15"), Direction::Import);
    assert_eq!(a.control.tier(), Some(Tier::ListI));
    assert_eq!(score(&a.findings), 35.0 * 1.5);
}

fn four_ap_import(filed: Option<&str>, today: &str) -> ObligationReport {
    let table = table();
    let lines = [line(&table, "4-anilinopiperidine", 2.0, Unit::Kilogram)];
    let dea = DeaTransaction {
        filings: filed
            .map(|d| DeaFiling {
                form: DeaForm::Form486,
                transaction_id: Some("IM-2026-000123".into()),
                filed_on: day(d),
            })
            .into_iter()
            .collect(),
        event_date: Some(day("2026-03-16")),
    };
    let shipment = ShipmentFacts {
        day: day("2026-03-16"),
        direction: Direction::Import,
        suspicious_order: false,
        chemicals: &lines,
        machines: 0,
        dea: &dea,
    };
    obligations(&table, &rules(), &shipment, day(today))
}

#[test]
fn a_4ap_import_notice_filed_eleven_days_before_release_is_late() {
    let report = four_ap_import(Some("2026-03-05"), "2026-04-01");
    assert_eq!(report.obligations.len(), 1, "{report:?}");
    let o = &report.obligations[0];
    assert_eq!(o.rule, "listed_chemical_import_notice");
    assert_eq!(o.status, ObligationStatus::Late);
    assert_eq!(o.due, Some(day("2026-03-01")));
    assert!(o.citation.contains("21 CFR 1313.12"), "{}", o.citation);
    assert!(o.what.contains("4-anilinopiperidine"), "{}", o.what);
    let findings = notice_findings(&report);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, RegulatoryCode::LateDeaNotice);

    let report = four_ap_import(Some("2026-03-01"), "2026-04-01");
    assert_eq!(report.obligations[0].status, ObligationStatus::Met);
    assert!(notice_findings(&report).is_empty());
}

#[test]
fn an_unfiled_notice_is_missing_once_due_and_not_yet_due_before() {
    let report = four_ap_import(None, "2026-04-01");
    assert_eq!(report.obligations[0].status, ObligationStatus::Missing);
    assert_eq!(
        notice_findings(&report)[0].code,
        RegulatoryCode::MissingDeaNotice
    );
    let report = four_ap_import(None, "2026-02-20");
    assert_eq!(report.obligations[0].status, ObligationStatus::NotYetDue);
}

fn press(direction: Direction, dea: &DeaTransaction, on: &str) -> ObligationReport {
    let shipment = ShipmentFacts {
        day: day(on),
        direction,
        suspicious_order: false,
        chemicals: &[],
        machines: 1,
        dea,
    };
    obligations(&table(), &rules(), &shipment, day("2026-06-01"))
}

#[test]
fn a_press_import_needs_a_form_452_transaction_id_and_domestic_presses_wait_for_ab80() {
    let unfiled = DeaTransaction {
        filings: vec![],
        event_date: Some(day("2026-05-10")),
    };
    let report = press(Direction::Import, &unfiled, "2026-05-10");
    assert_eq!(report.obligations.len(), 1);
    assert_eq!(report.obligations[0].rule, "machine_import_report");
    assert_eq!(report.obligations[0].status, ObligationStatus::Missing);
    // Filed in time but without DEA's transaction number: still missing.
    let no_id = DeaTransaction {
        filings: vec![DeaFiling {
            form: DeaForm::Form452,
            transaction_id: None,
            filed_on: day("2026-04-01"),
        }],
        event_date: Some(day("2026-05-10")),
    };
    let report = press(Direction::Import, &no_id, "2026-05-10");
    assert_eq!(report.obligations[0].status, ObligationStatus::Missing);
    assert!(report.obligations[0]
        .explanation
        .contains("transaction identification"));
    // The pending domestic rule (RIN 1117-AB80) has no effective date yet.
    let report = press(Direction::Domestic, &unfiled, "2026-05-10");
    assert!(report.obligations.is_empty(), "{report:?}");
    // Before the import rule took effect, nothing applied.
    let report = press(Direction::Import, &unfiled, "2016-05-10");
    assert!(report.obligations.is_empty(), "{report:?}");
}

#[test]
fn a_suspicious_order_has_its_own_deadline_after_the_order() {
    let table = table();
    let lines = [line(&table, "npp", 500.0, Unit::Gram)];
    let dea = DeaTransaction {
        filings: vec![],
        event_date: Some(day("2026-03-02")),
    };
    let shipment = ShipmentFacts {
        day: day("2026-03-02"),
        direction: Direction::Domestic,
        suspicious_order: true,
        chemicals: &lines,
        machines: 0,
        dea: &dea,
    };
    let report = obligations(&table, &rules(), &shipment, day("2026-03-10"));
    let o = &report.obligations[0];
    assert_eq!(o.rule, "suspicious_order_report");
    assert_eq!(o.due, Some(day("2026-03-17")));
    assert_eq!(o.status, ObligationStatus::NotYetDue);
    assert!(!o.confirmed, "its source is a copy of the CFR, said so");
}

#[test]
fn family_members_get_the_familys_control_from_the_day_their_kind_was_named() {
    let table = table();
    let boc = table.subject("1-boc-4-ap").unwrap();
    match table.control_at(&boc, day("2021-06-01")) {
        ControlAt::Controlled {
            tier: Tier::ListI,
            basis: Basis::Family { derivative, .. },
            since,
            ..
        } => {
            assert_eq!(derivative, Derivative::Carbamate);
            assert_eq!(since, Dating::Effective(day("2020-05-15")));
        }
        other => panic!("{other:?}"),
    }
    let finding = unlisted_family_member(&table, &boc, day("2021-06-01")).unwrap();
    assert!(
        finding.sentence.contains("carbamate of"),
        "{}",
        finding.sentence
    );
    // Named from 2022-11-09: no longer only a family member.
    assert!(matches!(
        table.control_at(&boc, day("2023-01-01")),
        ControlAt::Controlled {
            basis: Basis::Listed,
            ..
        }
    ));
    assert_eq!(
        unlisted_family_member(&table, &boc, day("2023-01-01")),
        None
    );
    // A halide of 4-AP added to the catalogue: halides are named from 2023-11-30.
    let halide = Subject::family_member("4-AP fluoride", "4-anilinopiperidine", Derivative::Halide);
    assert_eq!(
        table.control_at(&halide, day("2022-06-01")).describe(),
        "not controlled then (List I from 2023-11-30)"
    );
    let later = table.control_at(&halide, day("2024-01-01"));
    assert_eq!(later.tier(), Some(Tier::ListI));
    assert!(
        later
            .describe()
            .starts_with("List I as a halide of 4-anilinopiperidine (4-AP) since 2023-11-30"),
        "{}",
        later.describe()
    );
    // Its threshold is the family's: any quantity.
    let l = ChemicalLine {
        subject: halide,
        quantity: Quantity::new(1.0, Unit::Gram).unwrap(),
        concentration: None,
    };
    let a = assess_line(&table, &l, day("2024-01-01"), Direction::Import);
    assert!(matches!(a.comparison, Some(Ok(Comparison::AnyQuantity))));
    assert!(a
        .findings
        .iter()
        .any(|f| f.code == RegulatoryCode::UnlistedFamilyMember));
}

#[test]
fn controls_follow_their_dates() {
    let table = table();
    let npp = table.subject("npp").unwrap();
    assert_eq!(
        table.control_at(&npp, day("2007-04-22")).describe(),
        "not controlled then (List I from 2007-04-23)"
    );
    let held = table.control_at(&npp, day("2020-01-01")).describe();
    assert!(
        held.starts_with("List I since 2007-04-23 (72 FR 20039, interim rule of 2007-04-23"),
        "{held}"
    );
    // Ephedrine's first listing date was not read: earlier is unknown, not "uncontrolled".
    let e = table.control_at(&table.subject("ephedrine").unwrap(), day("2015-01-01"));
    assert!(matches!(e, ControlAt::Unknown { .. }), "{e:?}");
    // Pseudoephedrine has had no threshold since 2010-08-06. What applied
    // before was not read (the 1996 rule that set 48 g was withdrawn), so
    // earlier dates have no threshold to compare with rather than a guess.
    let pse = table.subject("pseudoephedrine").unwrap();
    assert!(table.threshold_at(&pse, day("2009-01-01")).is_none());
    let after = table.threshold_at(&pse, day("2011-01-01")).unwrap();
    assert_eq!(after.value, Threshold::AnyQuantity);
    // The class of fentanyl-related substances: schedule I from the 2018 order.
    let frs = table.subject("fentanyl-related-substances").unwrap();
    assert_eq!(
        table.control_at(&frs, day("2019-01-01")).tier(),
        Some(Tier::ScheduleI)
    );
}

#[test]
fn a_volume_without_a_density_is_not_compared() {
    let table = table();
    let safrole = line(&table, "safrole", 2.0, Unit::Litre);
    let a = assess_line(&table, &safrole, day("2026-03-02"), Direction::Import);
    let err = a.comparison.unwrap().unwrap_err();
    assert!(
        err.reason.contains("no density of safrole is recorded"),
        "{}",
        err.reason
    );
    assert!(a.findings[0].sentence.contains("no density of safrole"));
    let diluted = ChemicalLine {
        concentration: Some(Concentration::WeightPerVolume(20.0)),
        ..safrole
    };
    let a = assess_line(&table, &diluted, day("2026-03-02"), Direction::Import);
    assert!(
        matches!(a.comparison, Some(Ok(Comparison::Multiple { .. }))),
        "w/v needs no density"
    );
}

fn pill(imitates: Option<&str>, substance: &str, form: ProductForm) -> ProductLine {
    ProductLine {
        form,
        count: Some(500),
        grams: None,
        imprint: Some("M 30".into()),
        imitates: imitates.map(str::to_owned),
        lab: Some(LabResult {
            substance: substance.into(),
            purity_percent: Some(2.1),
        }),
    }
}

#[test]
fn fentanyl_pills_with_a_legitimate_products_imprint_are_counterfeit() {
    let table = table();
    let today = day("2026-03-02");
    let fake = pill(Some("oxycodone 30 mg"), "fentanyl", ProductForm::Tablet);
    assert!(fake.check().is_ok());
    let finding = counterfeit_pill(&table, &fake, today).unwrap();
    assert_eq!(finding.code, RegulatoryCode::CounterfeitPill);
    assert!(finding
        .sentence
        .starts_with("500 tablets imprinted “M 30”, the imprint of oxycodone 30 mg"));
    assert!(
        finding.sentence.contains("2.1% purity"),
        "{}",
        finding.sentence
    );
    assert_eq!(score(&[finding]), 60.0, "auto-flagged on its own");
    let frs = pill(
        Some("oxycodone 30 mg"),
        "fentanyl-related-substances",
        ProductForm::Tablet,
    );
    assert!(counterfeit_pill(&table, &frs, today).is_some());
    assert!(
        counterfeit_pill(&table, &pill(None, "fentanyl", ProductForm::Tablet), today).is_none()
    );
    assert!(counterfeit_pill(
        &table,
        &pill(Some("x"), "fentanyl", ProductForm::Powder),
        today
    )
    .is_none());
    assert!(counterfeit_pill(
        &table,
        &pill(Some("x"), "acetic-anhydride", ProductForm::Tablet),
        today
    )
    .is_none());
    let empty = ProductLine {
        count: None,
        ..fake.clone()
    };
    assert_eq!(empty.check().unwrap_err().0, "count");
    let impure = ProductLine {
        lab: Some(LabResult {
            substance: "fentanyl".into(),
            purity_percent: Some(140.0),
        }),
        ..fake
    };
    assert_eq!(impure.check().unwrap_err().0, "lab.purity_percent");
}

#[test]
fn weights_come_from_configuration_with_the_laws_order_as_default() {
    let w: RegulatoryWeights = toml::from_str("list_i = 50.0").unwrap();
    assert_eq!(w.list_i, 50.0);
    assert_eq!(w.schedule_ii, RegulatoryWeights::default().schedule_ii);
    assert!(toml::from_str::<RegulatoryWeights>("list_iii = 1.0").is_err());
    let bad = RegulatoryWeights {
        list_ii: -1.0,
        ..RegulatoryWeights::default()
    };
    assert!(bad.check().unwrap_err().starts_with("list_ii"));
    let d = RegulatoryWeights::default();
    assert!(d.schedule_ii_immediate_precursor > d.list_i && d.list_i > d.list_ii);
}
