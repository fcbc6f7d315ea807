//! Loading OFAC's files and screening against them, on small hand-written
//! files and on the built-in snapshot in `reference/ofac`.

use super::*;
use crate::codes::CountryCode;
use crate::matching::{NameKind, PartyFacts};

const SDN: &str = "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
306,\"BANCO NACIONAL DE CUBA\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'BNC'.\"\r\n\
1042,\"AUDIO ALARMAS, S.A. DE C.V.\",-0- ,\"SDNTK] [SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"R.F.C. AAL9802259P1 (Mexico); Digital Currency Address - XBT 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h.\"\r\n\
2000,\"GUZMAN LOERA, Joaquin\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 04 Apr 1954; a.k.a. 'CHAPO'.\"\r\n\
\u{1a}";
const ALT: &str = "36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n306,220,\"aka\",\"NATIONAL BANK OF CUBA\",-0- \r\n\u{1a}";
const ADD: &str = "36,25,-0- ,\"Havana\",\"Cuba\",-0- \r\n1042,30,\"Calle 5\",\"Guadalajara, Jalisco\",\"Mexico\",-0- \r\n\u{1a}";

fn small() -> SanctionsList {
    parse_sdn(SDN.as_bytes(), ALT.as_bytes(), ADD.as_bytes()).unwrap()
}

fn builtin() -> SanctionsList {
    parse_sdn(
        &include_bytes!("../../../../reference/ofac/sdn.csv")[..],
        &include_bytes!("../../../../reference/ofac/alt.csv")[..],
        &include_bytes!("../../../../reference/ofac/add.csv")[..],
    )
    .unwrap()
}

fn query(name: &str) -> PartyFacts {
    PartyFacts {
        names: vec![name.into()],
        ..PartyFacts::default()
    }
}

#[test]
fn entries_carry_names_aliases_programs_addresses_and_identifiers() {
    let list = small();
    assert_eq!(list.entries.len(), 4);
    let bank = list.entry(306).unwrap();
    assert_eq!(bank.kind, EntryKind::Entity);
    let aliases: Vec<(&str, AliasStrength)> = bank
        .aliases
        .iter()
        .map(|a| (a.name.as_str(), a.strength))
        .collect();
    assert_eq!(
        aliases,
        [
            ("NATIONAL BANK OF CUBA", AliasStrength::Strong),
            ("BNC", AliasStrength::Weak)
        ]
    );
    let alarms = list.entry(1042).unwrap();
    assert_eq!(alarms.programs, ["SDNTK", "SDGT"]);
    assert_eq!(alarms.addresses[0].country, CountryCode::parse("MX").ok());
    assert_eq!(alarms.addresses[0].text, "Calle 5, Guadalajara, Jalisco");
    let labels: Vec<&str> = alarms
        .identifiers
        .iter()
        .map(|i| i.label.as_str())
        .collect();
    assert_eq!(labels, ["R.F.C.", "Digital Currency Address - XBT"]);
    assert_eq!(list.entry(2000).unwrap().kind, EntryKind::Individual);
    assert_eq!(list.entry(36).unwrap().title, None);
}

#[test]
fn malformed_files_are_refused_naming_file_line_and_field() {
    let bad_type = "1,\"X\",\"company\",\"SDGT\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n";
    let err = parse_sdn(bad_type.as_bytes(), "".as_bytes(), "".as_bytes()).unwrap_err();
    assert_eq!(
        (err.file, err.line, err.field),
        ("sdn.csv", 1, Some("SDN_Type")),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("sdn.csv line 1, field SDN_Type: `company`"),
        "{err}"
    );

    let alt = "36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n306,220,\"aka\"\r\n";
    let err = parse_sdn(SDN.as_bytes(), alt.as_bytes(), "".as_bytes()).unwrap_err();
    assert_eq!(
        (err.file, err.line, err.field),
        ("alt.csv", 2, None),
        "{err}"
    );
    assert!(
        err.to_string().contains("has 3 fields, expected 5"),
        "{err}"
    );

    let orphan = "999,1,-0- ,\"Havana\",\"Cuba\",-0- \r\n";
    let err = parse_sdn(SDN.as_bytes(), ALT.as_bytes(), orphan.as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "add.csv line 1, field ent_num: no entry 999 in sdn.csv"
    );

    let not_number = "x1,\"X\",-0-,\"SDGT\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n";
    let err = parse_sdn(not_number.as_bytes(), "".as_bytes(), "".as_bytes()).unwrap_err();
    assert_eq!(err.field, Some("ent_num"));

    let err = parse_sdn(&b"1,\"\xff\",-0-"[..], "".as_bytes(), "".as_bytes()).unwrap_err();
    assert_eq!((err.file, err.line), ("sdn.csv", 1), "{err}");
}

#[test]
fn screening_finds_a_respelt_entity_through_its_alias() {
    let index = ScreeningIndex::new(small());
    let hits = index.screen(&query("National Bank of Cuba S.A."));
    assert_eq!(hits[0].entry_id, 306, "{hits:?}");
    assert_eq!(hits[0].listed_name, "NATIONAL BANK OF CUBA");
    let hits = index.screen(&query("Aero Caribbean Airlines"));
    assert_eq!(hits.first().map(|h| h.entry_id), Some(36), "{hits:?}");
    assert!(index.screen(&query("Havana Cigar Imports")).is_empty());
}

#[test]
fn an_identifier_from_remarks_finds_its_entry() {
    let index = ScreeningIndex::new(small());
    let mut facts = query("Alarmas de Audio");
    facts.registration_numbers = vec!["AAL-980225-9P1".into()];
    facts.countries = vec![CountryCode::parse("MX").unwrap()];
    let hits = index.screen(&facts);
    assert_eq!(hits.first().map(|h| h.entry_id), Some(1042), "{hits:?}");
    assert_eq!(hits[0].programs, ["SDNTK", "SDGT"]);
    assert!(
        hits[0]
            .signals
            .iter()
            .any(|s| s.text.starts_with("registration number equal")),
        "{hits:?}"
    );
}

#[test]
fn the_builtin_list_loads_whole() {
    let list = builtin();
    assert_eq!(list.entries.len(), 8976);
    let individuals = list
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Individual)
        .count();
    let entities = list
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Entity)
        .count();
    assert_eq!((individuals, entities), (4620, 3673));
    let strong = list
        .entries
        .iter()
        .flat_map(|e| &e.aliases)
        .filter(|a| a.strength == AliasStrength::Strong)
        .count();
    assert_eq!(strong, 11910);
    assert_eq!(
        list.entries
            .iter()
            .map(|e| e.addresses.len())
            .sum::<usize>(),
        13837
    );
    let xbt = list
        .entries
        .iter()
        .flat_map(|e| &e.identifiers)
        .filter(|i| i.label == "Digital Currency Address - XBT")
        .count();
    assert!(xbt > 10, "{xbt} bitcoin addresses");
}

#[test]
fn screening_the_builtin_list_ranks_the_listed_actor_first() {
    let index = ScreeningIndex::new(builtin());
    for (name, kind, expected) in [
        (
            "Banco Nacional de Cuba",
            NameKind::Organisation,
            "BANCO NACIONAL DE CUBA",
        ),
        (
            "Audio Alarmas SA de CV",
            NameKind::Organisation,
            "AUDIO ALARMAS, S.A. DE C.V.",
        ),
        (
            "Joaquin Guzman Loera",
            NameKind::Person,
            "GUZMAN LOERA, Joaquin",
        ),
        (
            "Korea Taesong Trading Co., Ltd",
            NameKind::Organisation,
            "KOREA TAESONG TRADING COMPANY",
        ),
    ] {
        let mut facts = query(name);
        facts.kind = Some(kind);
        let hits = index.screen(&facts);
        assert_eq!(
            hits.first().map(|h| h.entry_name.as_str()),
            Some(expected),
            "{name}: {hits:?}"
        );
    }
    assert!(index
        .screen(&query("Shenzhen Kaida Electronics Co., Ltd"))
        .is_empty());
}
