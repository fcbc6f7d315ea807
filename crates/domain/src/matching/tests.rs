//! The matcher's behaviour as an investigator sees it: which spellings are
//! one actor, which are not, and the signals given for each.

use super::*;
use crate::codes::CountryCode;

fn stats() -> TokenStats {
    // A small list in which Korea, Trading and Mohammed are common.
    let mut names: Vec<String> = Vec::new();
    for i in 0..60 {
        names.push(format!("Korea Firm{i} Trading Corporation"));
        names.push(format!("ALI, Mohammed Person{i}"));
    }
    names.extend(
        [
            "Korea Taesong Trading Company",
            "Korea Heungjin Trading Company",
            "Hebei Shengxue Bio-Tech Co., Ltd",
            "Shanghai Wanda International Trading Co",
            "Hebei Jinglong International Trading",
        ]
        .map(String::from),
    );
    TokenStats::from_names(names.iter().map(String::as_str))
}

fn org(name: &str) -> PartyFacts {
    PartyFacts {
        kind: Some(NameKind::Organisation),
        names: vec![name.into()],
        ..PartyFacts::default()
    }
}

fn person(name: &str) -> PartyFacts {
    PartyFacts {
        kind: Some(NameKind::Person),
        names: vec![name.into()],
        ..PartyFacts::default()
    }
}

fn score(a: &PartyFacts, b: &PartyFacts) -> Match {
    let stats = stats();
    compare(&Profile::new(a, &stats), &Profile::new(b, &stats))
}

fn kinds(m: &Match) -> Vec<&SignalKind> {
    m.signals.iter().map(|s| &s.kind).collect()
}

fn cn(mut facts: PartyFacts) -> PartyFacts {
    facts.countries = vec![CountryCode::parse("CN").unwrap()];
    facts
}

#[test]
fn spellings_of_one_company_match() {
    for (a, b) in [
        ("Hebei Shengxue Bio-Tech Co., Ltd", "HEBEI SHENGXUE BIOTECH"),
        (
            "Hebei Shengxue Bio-Tech Co., Ltd",
            "Shengxue Hebei Bio Tech Company Limited",
        ),
        ("Korea Taesong Trading Company", "TAESONG TRADING KOREA"),
        ("Korea Taesong Trading Company", "Korea Taesong Trdaing Co"),
        ("Korea Taesong Trading Company", "Korea Taesung Trading"),
        ("Cubatabaco", "Cuba Tabaco S.A."),
    ] {
        let m = score(&org(a), &org(b));
        assert!(m.is_match(), "{a} / {b}: {m:?}");
    }
}

#[test]
fn initials_are_a_reason_to_look_not_a_match() {
    let m = score(&org("Islamic Revolutionary Guard Corps"), &org("IRGC"));
    assert!(kinds(&m).contains(&&SignalKind::NameInitialism), "{m:?}");
    assert!(!m.is_match() && m.score >= 0.6, "{m:?}");
    // With the same phone, it is.
    let (mut a, mut b) = (
        cn(org("Islamic Revolutionary Guard Corps")),
        cn(org("IRGC")),
    );
    a.phones = vec!["+86 21 5555 0100".into()];
    b.phones = vec!["021 5555 0100".into()];
    assert!(score(&a, &b).is_match());
}

#[test]
fn a_legal_form_only_difference_is_a_match() {
    for (a, b) in [
        ("Romashka OOO", "Romashka LLC"),
        ("Cubi Cafe, S.A. de C.V.", "CUBI CAFE"),
        ("Acme Pte. Ltd.", "ACME SDN BHD"),
        ("Volga Trans ZAO", "Volga Trans JSC"),
    ] {
        let m = score(&org(a), &org(b));
        assert!(m.score >= 0.95, "{a} / {b}: {m:?}");
    }
    let m = score(&org("Romashka OOO"), &org("Romashka PAO"));
    assert!(
        kinds(&m)
            .iter()
            .any(|k| matches!(k, SignalKind::LegalFormDiffers { .. })),
        "{m:?}"
    );
}

#[test]
fn sharing_only_generic_words_is_not_a_match() {
    let m = score(
        &org("Hebei Jinglong International Trading"),
        &org("Shanghai Wanda International Trading Co"),
    );
    assert!(!m.is_match(), "{m:?}");
    assert!(m.score < 0.4, "{m:?}");
}

#[test]
fn near_neighbours_that_differ_in_one_distinctive_word_do_not_match() {
    for (a, b) in [
        (
            "Korea Taesong Trading Company",
            "Korea Heungjin Trading Company",
        ),
        (
            "Hebei Shengxue Bio-Tech Co., Ltd",
            "Hebei Jinglong Bio-Tech Co., Ltd",
        ),
    ] {
        let m = score(&org(a), &org(b));
        assert!(!m.is_match(), "{a} / {b}: {m:?}");
    }
}

#[test]
fn transliteration_variants_match() {
    for (a, b) in [
        ("ALI, Mohammad Yousef", "Muhammad Yusuf Ali"),
        ("KHALID, Qasim", "Halid Kasim"),
        ("DZHABAROV, Oleg", "Oleg Jabarov"),
        ("ABDUL RAHMAN, Mohammed", "Mohamed Abdulrahman"),
    ] {
        let m = score(&person(a), &person(b));
        assert!(m.is_match(), "{a} / {b}: {m:?}");
    }
    let m = score(&person("KHALID, Qasim"), &person("Halid Kasim"));
    assert!(
        kinds(&m).contains(&&SignalKind::NameTransliteration),
        "{m:?}"
    );
}

#[test]
fn persons_match_with_initials_and_without_middle_names() {
    let m = score(&person("ALI, Mohammed Person7"), &person("M. Person7 Ali"));
    assert!(m.is_match(), "{m:?}");
    assert!(kinds(&m).contains(&&SignalKind::NameInitials), "{m:?}");
    let m = score(
        &person("ALI, Mohammed Hassan Person7"),
        &person("Mohammed Person7 Ali"),
    );
    assert!(m.is_match(), "{m:?}");
    let m = score(
        &person("ALI, Mohammed Person7"),
        &person("ALI, Mohammed Person8"),
    );
    assert!(!m.is_match(), "{m:?}");
}

#[test]
fn name_signals_say_how_words_were_paired() {
    let cases: [(&str, &str, SignalKind); 5] = [
        (
            "Korea Taesong Trading",
            "Korea Taesnog Trading",
            SignalKind::NameTypo,
        ),
        (
            "Hebei Shengxue Bio-Tech",
            "Hebei Shengxue Biotech",
            SignalKind::NameCompound,
        ),
        (
            "Hebei Shengxue Petrochemical",
            "Hebei Shengxue Petrochem",
            SignalKind::NameAbbreviation,
        ),
        (
            "Islamic Revolutionary Guard Corps",
            "I.R.G.C.",
            SignalKind::NameInitialism,
        ),
        (
            "Noor Khalid Establishment",
            "Nour Halid Establishment",
            SignalKind::NameTransliteration,
        ),
    ];
    for (a, b, expected) in cases {
        let m = score(&org(a), &org(b));
        assert!(kinds(&m).contains(&&expected), "{a} / {b}: {m:?}");
    }
    let m = score(&org("Korea Taesong Trading"), &org("Taesong Korea Trading"));
    assert_eq!(
        kinds(&m)[0],
        &SignalKind::NameTokens {
            matched: 3,
            total: 3
        }
    );
    assert_eq!(m.score, 1.0);
}

#[test]
fn each_identifier_alone_raises_a_weak_name_match() {
    let base_a = cn(org("Hebei Jinglong International Trading"));
    let base_b = cn(org("Jinglong Hebei Chemical Group"));
    let weak = score(&base_a, &base_b).score;
    let with = |f: &dyn Fn(&mut PartyFacts, &mut PartyFacts)| {
        let (mut a, mut b) = (base_a.clone(), base_b.clone());
        f(&mut a, &mut b);
        score(&a, &b)
    };
    let phone = with(&|a, b| {
        a.phones = vec!["+86 21 5555 0100".into()];
        b.phones = vec!["021 5555 0100".into()];
    });
    let email = with(&|a, b| {
        a.emails = vec!["Sales@Jinglong.cn ".into()];
        b.emails = vec!["sales@jinglong.cn".into()];
    });
    let registration = with(&|a, b| {
        a.registration_numbers = vec!["9113-0100-MA0".into()];
        b.registration_numbers = vec!["91130100MA0".into()];
    });
    let address = with(&|a, b| {
        a.addresses = vec!["12 Zhongshan Rd, Shijiazhuang".into()];
        b.addresses = vec!["12 Zhongshan Road, Shijiazhuang".into()];
    });
    for (m, expected) in [
        (
            &phone,
            SignalKind::PhoneEqual {
                e164: "+862155550100".into(),
            },
        ),
        (
            &email,
            SignalKind::EmailEqual {
                email: "sales@jinglong.cn".into(),
            },
        ),
        (
            &registration,
            SignalKind::RegistrationEqual {
                number: "91130100MA0".into(),
            },
        ),
        (&address, SignalKind::AddressEqual),
    ] {
        assert!(m.score > weak, "{m:?} over {weak}");
        assert!(kinds(m).contains(&&expected), "{m:?}");
    }
    let all = with(&|a, b| {
        a.phones = vec!["0086-21-55550100".into()];
        b.phones = vec!["021 5555 0100".into()];
        a.emails = vec!["sales@jinglong.cn".into()];
        b.emails = vec!["SALES@jinglong.cn".into()];
    });
    assert!(
        all.is_match() && all.score > phone.score && all.score > email.score,
        "{all:?}"
    );
}

#[test]
fn phones_agree_across_formats_with_the_partys_country() {
    let mut a = cn(org("Acme"));
    let mut b = cn(org("Other Name Entirely"));
    a.phones = vec!["+86 21 5555 0100".into()];
    b.phones = vec!["0086-21-55550100".into(), "021 5555 0100".into()];
    let m = score(&a, &b);
    assert!(
        kinds(&m).contains(&&SignalKind::PhoneEqual {
            e164: "+862155550100".into()
        }),
        "{m:?}"
    );
}

#[test]
fn a_country_that_differs_lowers_the_score_but_never_vetoes() {
    let same = score(
        &cn(org("Korea Taesong Trading")),
        &cn(org("Korea Taesong Trading")),
    );
    let mut other = org("Korea Taesong Trading");
    other.countries = vec![CountryCode::parse("KP").unwrap()];
    let differs = score(&cn(org("Korea Taesong Trading")), &other);
    assert!(differs.score < same.score);
    assert!(differs.is_match(), "{differs:?}");
    assert!(kinds(&differs).contains(&&SignalKind::CountryDiffers {
        ours: "CN".into(),
        theirs: "KP".into()
    }));
    assert!(kinds(&same).contains(&&SignalKind::CountryEqual {
        country: "CN".into()
    }));
}

#[test]
fn registration_numbers_that_differ_in_one_country_lower_the_score() {
    let mut a = cn(org("Korea Taesong Trading"));
    let mut b = cn(org("Korea Taesong Trading"));
    a.registration_numbers = vec!["111111".into()];
    b.registration_numbers = vec!["222222".into()];
    let m = score(&a, &b);
    assert!(
        m.score < 1.0 && kinds(&m).contains(&&SignalKind::RegistrationDiffers),
        "{m:?}"
    );
}

#[test]
fn a_person_and_a_company_of_one_name_are_told_apart_in_the_signals() {
    let m = score(&person("Taesong Korea"), &org("Korea Taesong"));
    assert!(kinds(&m).contains(&&SignalKind::KindDiffers));
    assert!(m.score < 1.0);
}

#[test]
fn the_result_serialises_with_readable_signals() {
    let mut a = cn(org("Hebei Shengxue Bio-Tech Co., Ltd"));
    let mut b = cn(org("HEBEI SHENGXUE BIOTECH"));
    a.phones = vec!["+86 21 5555 0100".into()];
    b.phones = vec!["021 5555 0100".into()];
    let m = score(&a, &b);
    let texts: Vec<String> = m.signals.iter().map(ToString::to_string).collect();
    assert!(texts.contains(&"name tokens 4/4".to_owned()), "{texts:?}");
    assert!(
        texts.contains(&"phone equal (+862155550100)".to_owned()),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"country equal (CN)".to_owned()),
        "{texts:?}"
    );
    let json = serde_json::to_string(&m).unwrap();
    let back: Match = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
}

#[test]
fn a_space_lost_or_moved_next_to_initials_or_a_capital_is_the_same_name() {
    for (a, b) in [
        (
            "AGRICOLA BOREALS.P.R. DE R.L.",
            "AGRICOLA BOREAL S.P.R. DE R.L.",
        ),
        ("CUBANACANU.K. LIMITED", "CUBANACAN U.K. LIMITED"),
        ("GREENShpg. LTD.", "GREEN SHIPPING LTD."),
        ("SYNERGY GenlTRADING FZE", "SYNERGY GENERAL TRADING FZE"),
    ] {
        let m = score(&org(a), &org(b));
        assert!(m.is_match(), "{a} / {b}: {}", m.score);
    }
    let m = score(&person("ALI, HalimaAdan"), &person("ALI, Halima Adan"));
    assert!(m.is_match(), "{}", m.score);
}

#[test]
fn abbreviations_and_legal_forms_written_yet_otherwise_match() {
    // An abbreviation misspelt or romanised otherwise than the lexicon
    // writes it, and a legal form misspelt inside a phrase of several
    // words, or in another romanisation.
    for (a, b) in [
        ("Zhenlong Management Co", "Zhenlong Mgtm Co"),
        ("Taesong Electronics", "Taesong Elek"),
        ("Heungjin Shipping Co Ltd", "Heungjin Schpg Co Ltd"),
        ("Heungjin Industries", "Heungjin Ins"),
        ("Volga Trans Corporation", "Volga Trans Cirp"),
        ("Volga Trans OJSC", "Volga Trans Odzhsc"),
        ("Volga Trans OOO", "Volga Trans Limited Liability Compnay"),
    ] {
        let m = score(&org(a), &org(b));
        assert!(m.is_match(), "{a} / {b}: {m:?}");
    }
    // A name one edit from an abbreviation is still a name: it is not
    // spelt like one (two vowels).
    let m = score(&org("Intel Trans Corp"), &org("International Trans Corp"));
    assert!(!m.is_match(), "{m:?}");
}

#[test]
fn a_word_glued_from_two_that_are_not_neighbours_matches() {
    for (a, b) in [
        ("Marvona Shipping", "SHIPPINGMARVONA"),
        ("Iranian Kavir Development", "IRANIANDEVELOPMENT KAVIR"),
        ("Dalsan Pharmaceutical", "DALSANPHARMA"),
        ("Vestra 77 OOD", "77VESTRA OOD"),
        (
            "Sunrise Group Investments Corp",
            "SUNRISE GROUPINVESTMENC CORP",
        ),
    ] {
        let m = score(&org(a), &org(b));
        assert!(m.is_match(), "{a} / {b}: {m:?}");
        assert!(kinds(&m).contains(&&SignalKind::NameCompound), "{m:?}");
    }
    let m = score(
        &person("PETRENKO, Oleg Vasilievich"),
        &person("PETRENKO, OlegV."),
    );
    assert!(m.is_match(), "{m:?}");
    // Glued from one word of the other name and one of its own, it is not.
    let m = score(&org("Marvona Shipping"), &org("SHIPPINGKASTORIA"));
    assert!(!m.is_match(), "{m:?}");
}

#[test]
fn a_romanisation_with_a_typo_besides_matches() {
    for (a, b) in [
        ("RUSTAMOV, Timur", "ROUSTMAOV, Timur"),
        ("KRYEZIU, Besnik", "RKIEZIU, Besnik"),
        ("KARAMANLI, Ozan", "KRAMANLY, Ozan"),
    ] {
        let m = score(&person(a), &person(b));
        assert!(m.is_match(), "{a} / {b}: {m:?}");
    }
    // A consonant changed besides is another name.
    let m = score(&person("MORADI, Reza"), &person("MURATI, Reza"));
    assert!(!m.is_match(), "{m:?}");
}

#[test]
fn a_middle_name_left_out_is_forgiven_beside_a_short_name_romanised_otherwise() {
    for (a, b) in [
        ("DONOVAN, Paul Anthony", "DONOVAN, Paoul"),
        ("NESTEROV, Igor Vladimirovich", "NESTEROV, Ygor"),
    ] {
        let m = score(&person(a), &person(b));
        assert!(m.is_match(), "{a} / {b}: {m:?}");
    }
    // Not when the given name found is another one.
    let m = score(&person("DONOVAN, Paul Anthony"), &person("DONOVAN, Peter"));
    assert!(!m.is_match(), "{m:?}");
}
