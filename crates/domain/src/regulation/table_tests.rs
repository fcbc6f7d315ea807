//! The tables in reference/ parse whole, every dated fact is cited, and a bad
//! entry is refused with a message naming it and its field.

use super::*;
use crate::chemical::CasNumber;

pub(super) const CONTROLS: &str = include_str!("../../../../reference/controls.toml");
pub(super) const FILING_RULES: &str = include_str!("../../../../reference/filing_rules.toml");

pub(super) fn table() -> ControlTable {
    ControlTable::parse(CONTROLS).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn rules() -> FilingRules {
    FilingRules::parse(FILING_RULES).unwrap_or_else(|e| panic!("{e}"))
}

fn cited(source: &Provenance, what: &str) {
    let c = &source.citation;
    let has = if c.kind.is_federal_register() {
        (c.fr.is_some() || c.document.is_some()) && c.published.is_some()
    } else {
        c.reference.is_some()
    };
    assert!(has, "{what}: citation incomplete: {c:?}");
    assert!(!c.short().is_empty(), "{what}");
    if !source.confirmed {
        assert!(
            source.note.as_deref().is_some_and(|n| n.len() > 20),
            "{what}: an unconfirmed fact says what is uncertain"
        );
    }
}

#[test]
fn every_row_parses_and_every_dated_fact_has_a_citation() {
    let table = table();
    let precursors = table
        .chemicals()
        .iter()
        .filter(|c| c.kind == ChemicalKind::Precursor)
        .count();
    assert_eq!(
        precursors, 16,
        "the 15 chemicals of precursors.csv and benzylfentanyl"
    );
    assert_eq!(table.families().len(), 2);
    let mut facts = 0;
    for c in table.chemicals() {
        for f in &c.controls {
            cited(&f.source, &format!("{} control", c.id));
            facts += 1;
        }
        for f in &c.thresholds {
            cited(&f.source, &format!("{} threshold", c.id));
            facts += 1;
        }
        for f in &c.un {
            cited(&f.source, &format!("{} UN table", c.id));
            facts += 1;
        }
        for fact in [c.hs.as_ref().map(|f| (f.confirmed, &f.source, &f.note))]
            .into_iter()
            .flatten()
            .chain(
                c.dea_code
                    .as_ref()
                    .map(|f| (f.confirmed, &f.source, &f.note)),
            )
        {
            let (confirmed, source, note) = fact;
            assert!(
                if confirmed {
                    source.is_some()
                } else {
                    note.is_some()
                },
                "{}: every code says where it comes from or why it is uncertain",
                c.id
            );
        }
        assert!(
            !c.controls.is_empty() || c.family.is_some(),
            "{}: controlled by name or by family",
            c.id
        );
    }
    for f in table.families() {
        for c in &f.controls {
            cited(&c.source, &format!("family {} control", f.id));
            facts += 1;
        }
        for t in &f.thresholds {
            cited(&t.source, &format!("family {} threshold", f.id));
            facts += 1;
        }
    }
    for r in rules().rules() {
        cited(&r.source, &format!("rule {}", r.id));
        facts += 1;
    }
    assert!(facts > 50, "{facts} dated facts");
}

#[test]
fn every_cas_check_digit_is_right() {
    let table = table();
    for c in table.chemicals() {
        match &c.cas {
            Some(cas) => assert!(CasNumber::parse(cas.as_str()).is_ok(), "{}", c.id),
            None => assert_eq!(c.kind, ChemicalKind::Class, "{}", c.id),
        }
    }
    // The catalogue's seed list is in the table, CAS for CAS.
    let csv = include_str!("../../../../reference/precursors.csv");
    for line in csv.lines().skip(1) {
        let cas = line.split(',').nth(2).unwrap();
        let cas = CasNumber::parse(cas).unwrap_or_else(|e| panic!("{e}"));
        assert!(table.by_cas(&cas).is_some(), "{cas} is in controls.toml");
    }
}

#[test]
fn the_fixes_of_issue_24_are_in_the_table() {
    let table = table();
    let npp = table.chemical("npp").unwrap();
    let first = &npp.controls[0];
    assert_eq!(
        first.dating,
        Dating::Effective("2007-04-23".parse().unwrap())
    );
    assert_eq!(first.source.citation.kind, CitationKind::Interim);
    assert_eq!(first.source.citation.fr.as_deref(), Some("72 FR 20039"));
    let benzyl = table.chemical("benzylfentanyl").unwrap();
    assert_eq!(benzyl.cas.as_ref().unwrap().as_str(), "1474-02-8");
    assert_eq!(benzyl.controls[0].value, Tier::ListI);
    assert_eq!(
        benzyl.controls[0].dating,
        Dating::Effective("2020-05-15".parse().unwrap())
    );
    let propionic = table.chemical("propionic-anhydride").unwrap();
    assert_eq!(propionic.hs.as_ref().unwrap().value, "2915.90");
    assert!(propionic.controls.iter().all(|c| c.value == Tier::ListI));
}

fn refused(text: &str) -> TableError {
    ControlTable::parse(text).unwrap_err()
}

const GOOD: &str = r#"
schema = 1
[[chemical]]
id = "x"
name = "x"
cas = "108-24-7"
kind = "precursor"
  [[chemical.control]]
  tier = "list_ii"
  effective = 2020-01-01
  citation = { kind = "final", fr = "85 FR 1", published = 2019-12-01 }
  confirmed = true
"#;

#[test]
fn a_bad_row_is_refused_naming_the_entry_and_field() {
    assert!(ControlTable::parse(GOOD).is_ok());
    let e = refused(&GOOD.replace("list_ii", "list_iii"));
    assert_eq!(
        (e.entry.as_str(), e.field.as_str()),
        ("chemical `x`", "control[0].tier")
    );
    assert!(e.message.contains("must be one of"), "{e}");
    let e = refused(&GOOD.replace("108-24-7", "108-24-8"));
    assert_eq!(
        (e.entry.as_str(), e.field.as_str()),
        ("chemical `x`", "cas")
    );
    let e = refused(&GOOD.replace("85 FR 1", "85FR1"));
    assert_eq!(e.field, "control[0].citation.fr");
    let e = refused(&GOOD.replace("confirmed = true", "confirmed = false"));
    assert_eq!(e.field, "control[0].note", "unconfirmed facts say why");
    let e = refused(&GOOD.replace("effective = 2020-01-01", "effective = 2019-01-01"));
    assert!(
        e.message.contains("before the document's publication"),
        "{e}"
    );
    let e = refused(&GOOD.replace("kind = \"final\", fr = \"85 FR 1\", ", "kind = \"cfr\", "));
    assert_eq!(e.field, "control[0].citation.ref");
    let e = refused(&GOOD.replace("tier = \"list_ii\"", "tier = \"list_ii\"\n  teir = 1"));
    assert_eq!(e.entry, "chemical `x`");
    assert!(e.message.contains("unknown field"), "{e}");
    let e = refused(&GOOD.replace("effective = 2020-01-01", "effective = 2020-01-01T10:00:00"));
    assert_eq!(e.field, "control[0].effective");
    let e = refused(&GOOD.replace("schema = 1", "schema = 2"));
    assert_eq!(e.field, "schema");
    let e = refused(&format!("{GOOD}\n[[chemical]]\nid = \"y\"\n"));
    assert_eq!(e.entry, "chemical `y`");
    assert!(e.message.contains("missing field"), "{e}");
}

#[test]
fn filing_rules_parse_and_a_bad_rule_is_refused() {
    let rules = rules();
    assert!(rules.rule("listed_chemical_import_notice").is_some());
    let pending = rules.rule("machine_domestic_advance_notice").unwrap();
    assert_eq!(
        pending.dating,
        Dating::Undated,
        "RIN 1117-AB80 has no effective date"
    );
    let e = FilingRules::parse(&FILING_RULES.replacen("days = 15", "days = 0", 1)).unwrap_err();
    assert_eq!(
        (e.entry.as_str(), e.field.as_str()),
        ("rule `listed_chemical_import_notice`", "days")
    );
}
