//! Two parties compared as a whole: their best pair of names, then the
//! identifiers and countries that raise or lower the score.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::codes::CountryCode;
use crate::party::{Party, PartyKind};

use super::align::{compare_names, NameComparison};
use super::identifiers::{
    address_similarity, address_words, email_key, phone_e164, registration_key,
};
use super::name::{Name, NameKind};
use super::signal::{Signal, SignalKind};
use super::stats::TokenStats;

/// The score at or above which the product treats two parties (or a party
/// and a listed entry) as the same actor, to be shown to an investigator.
pub const MATCH_THRESHOLD: f32 = 0.8;

/// What is known about a party, as plain text: the input to `Profile::new`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyFacts {
    pub kind: Option<NameKind>,
    /// Its name first, then its aliases.
    pub names: Vec<String>,
    pub countries: Vec<CountryCode>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub registration_numbers: Vec<String>,
    /// Free-text addresses (street, city, postal code; no country).
    pub addresses: Vec<String>,
}

/// A party prepared for comparison: names tokenised and weighted with the
/// statistics given, identifiers normalised. Build once, compare often.
#[derive(Debug, Clone)]
pub struct Profile {
    kind: NameKind,
    names: Vec<(String, Name)>,
    countries: BTreeSet<CountryCode>,
    phones: BTreeSet<String>,
    emails: BTreeSet<String>,
    registrations: BTreeSet<String>,
    addresses: Vec<BTreeSet<String>>,
}

/// A comparison's outcome: the score in [0, 1] and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub score: f32,
    pub signals: Vec<Signal>,
}

impl Match {
    pub fn is_match(&self) -> bool {
        self.score >= MATCH_THRESHOLD
    }
}

impl Profile {
    pub fn new(facts: &PartyFacts, stats: &TokenStats) -> Self {
        let kind = facts.kind.unwrap_or(NameKind::Unknown);
        let country = facts.countries.first().copied();
        Self {
            kind,
            names: facts
                .names
                .iter()
                .filter(|n| !n.trim().is_empty())
                .map(|n| (n.clone(), Name::new(n, kind, stats)))
                .collect(),
            countries: facts.countries.iter().copied().collect(),
            phones: facts
                .phones
                .iter()
                .filter_map(|p| phone_e164(p, country))
                .collect(),
            emails: facts.emails.iter().filter_map(|e| email_key(e)).collect(),
            registrations: facts
                .registration_numbers
                .iter()
                .filter_map(|r| registration_key(r))
                .collect(),
            addresses: facts
                .addresses
                .iter()
                .map(|a| address_words(a))
                .filter(|w| !w.is_empty())
                .collect(),
        }
    }

    pub fn from_party(party: &Party, stats: &TokenStats) -> Self {
        Self::new(&facts_of(party), stats)
    }

    pub fn kind(&self) -> NameKind {
        self.kind
    }

    /// Phones (E.164), e-mails and registration numbers, normalised.
    pub(crate) fn identifiers(&self) -> (&BTreeSet<String>, &BTreeSet<String>, &BTreeSet<String>) {
        (&self.phones, &self.emails, &self.registrations)
    }

    /// The prepared names, primary first.
    pub fn names(&self) -> impl Iterator<Item = &Name> {
        self.names.iter().map(|(_, name)| name)
    }

    /// The `i`th prepared name (in the order of `names`) with its text.
    pub(crate) fn name_at(&self, i: usize) -> Option<(&str, &Name)> {
        self.names.get(i).map(|(text, name)| (text.as_str(), name))
    }
}

/// The facts of a recorded party.
pub fn facts_of(party: &Party) -> PartyFacts {
    let address = party.address.as_ref();
    PartyFacts {
        kind: Some(match party.kind {
            PartyKind::Person => NameKind::Person,
            PartyKind::Company => NameKind::Organisation,
        }),
        names: std::iter::once(&party.name)
            .chain(&party.aliases)
            .cloned()
            .collect(),
        countries: address.map(|a| a.country).into_iter().collect(),
        phones: party.phones.clone(),
        emails: party.emails.clone(),
        registration_numbers: party.registration_numbers.clone(),
        addresses: address
            .map(|a| {
                [&a.street, &a.city, &a.region, &a.postal_code]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .into_iter()
            .collect(),
    }
}

/// The best-scoring pair of names of two profiles.
pub fn best_names<'a>(
    a: &'a Profile,
    b: &'a Profile,
) -> Option<(NameComparison, &'a str, &'a Name, &'a Name)> {
    let mut best: Option<(NameComparison, &str, &Name, &Name)> = None;
    for (_, na) in &a.names {
        for (text_b, nb) in &b.names {
            let comparison = compare_names(na, nb);
            if best
                .as_ref()
                .is_none_or(|(c, ..)| comparison.score > c.score)
            {
                best = Some((comparison, text_b, na, nb));
            }
        }
    }
    best
}

/// Compares two parties: names first, then identifiers and countries.
/// Equal identifiers raise the score towards 1; a country that differs
/// lowers it but never vetoes it.
pub fn compare(a: &Profile, b: &Profile) -> Match {
    let mut signals: Vec<Signal> = Vec::new();
    let mut score = 0.0f32;
    if let Some((names, matched_name, na, nb)) = best_names(a, b) {
        score = names.score;
        signals.push(
            SignalKind::NameTokens {
                matched: names.matched,
                total: names.total,
            }
            .into(),
        );
        signals.push(
            SignalKind::NameMatched {
                name: matched_name.to_owned(),
            }
            .into(),
        );
        let evidence = names.evidence;
        for (present, kind) in [
            (evidence.phonetic, SignalKind::NameTransliteration),
            (evidence.typo, SignalKind::NameTypo),
            (evidence.compound, SignalKind::NameCompound),
            (evidence.abbreviation, SignalKind::NameAbbreviation),
            (evidence.initialism, SignalKind::NameInitialism),
            (evidence.initial, SignalKind::NameInitials),
        ] {
            if present {
                signals.push(kind.into());
            }
        }
        let ours: BTreeSet<&str> = na.legal_forms().collect();
        let theirs: BTreeSet<&str> = nb.legal_forms().collect();
        if !ours.is_empty() && !theirs.is_empty() && ours != theirs {
            let join = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(" ");
            signals.push(
                SignalKind::LegalFormDiffers {
                    ours: join(&ours),
                    theirs: join(&theirs),
                }
                .into(),
            );
        }
    }

    // Each equal identifier removes most of the remaining doubt.
    let raise = |score: &mut f32, doubt_kept: f32| *score = 1.0 - (1.0 - *score) * doubt_kept;
    for phone in a.phones.intersection(&b.phones) {
        raise(&mut score, 0.25);
        signals.push(
            SignalKind::PhoneEqual {
                e164: phone.clone(),
            }
            .into(),
        );
    }
    for email in a.emails.intersection(&b.emails) {
        raise(&mut score, 0.25);
        signals.push(
            SignalKind::EmailEqual {
                email: email.clone(),
            }
            .into(),
        );
    }
    for number in a.registrations.intersection(&b.registrations) {
        raise(&mut score, 0.2);
        signals.push(
            SignalKind::RegistrationEqual {
                number: number.clone(),
            }
            .into(),
        );
    }
    let shared_country = a.countries.intersection(&b.countries).next().copied();
    if shared_country.is_some()
        && !a.registrations.is_empty()
        && !b.registrations.is_empty()
        && a.registrations.is_disjoint(&b.registrations)
    {
        score *= 0.85;
        signals.push(SignalKind::RegistrationDiffers.into());
    }
    let address = a
        .addresses
        .iter()
        .flat_map(|x| b.addresses.iter().map(move |y| address_similarity(x, y)))
        .fold(0.0f32, f32::max);
    if address >= 1.0 {
        raise(&mut score, 0.6);
        signals.push(SignalKind::AddressEqual.into());
    } else if address >= 0.75 {
        raise(&mut score, 0.8);
        signals.push(SignalKind::AddressSimilar.into());
    }
    match shared_country {
        Some(country) => {
            raise(&mut score, 0.9);
            signals.push(
                SignalKind::CountryEqual {
                    country: country.to_string(),
                }
                .into(),
            );
        }
        None => {
            if let (Some(ours), Some(theirs)) = (a.countries.first(), b.countries.first()) {
                score *= 0.85;
                signals.push(
                    SignalKind::CountryDiffers {
                        ours: ours.to_string(),
                        theirs: theirs.to_string(),
                    }
                    .into(),
                );
            }
        }
    }
    let kinds = [a.kind, b.kind];
    if kinds.contains(&NameKind::Person) && kinds.contains(&NameKind::Organisation) {
        score *= 0.9;
        signals.push(SignalKind::KindDiffers.into());
    }
    Match {
        score: score.clamp(0.0, 1.0),
        signals,
    }
}
