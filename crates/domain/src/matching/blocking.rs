//! Blocking keys: the few keys under which a party is filed in an index, so
//! that finding the candidates for one party reads a handful of short
//! postings instead of every party.
//!
//! Two names that the matcher would call the same should share a key:
//! - every distinctive word is a key, and so is its phonetic key
//!   (transliterations);
//! - a name's two longest distinctive words are also filed with each
//!   letter deleted in turn, so a typo in them still meets the original
//!   (both sides delete the letter that differs);
//! - adjacent words are also filed joined (`bio tech` under `biotech`), so
//!   split and merged compounds meet;
//! - an organisation's initials are a key, and so is a short word that
//!   could be initials (`IRGC`);
//! - identifiers are keys of their own (`tel:+86…`, `email:…`, `reg:…`).
//!
//! Keys depend on the name alone, not on statistics, so stored keys stay
//! valid as the parties table grows. Generic words are not keys unless a
//! name has nothing else.

use std::collections::BTreeSet;

use super::lexicon::lexicon;
use super::name::{tokenise, NameKind, Token, TokenClass};
use super::phonetic::phonetic_key;
use super::profile::PartyFacts;
use super::profile::Profile;
use super::stats::TokenStats;

/// The blocking keys of one name.
pub fn name_keys(name: &str, kind: NameKind) -> Vec<String> {
    let mut keys = BTreeSet::new();
    insert_name_keys(&mut keys, &tokenise(name, kind), kind);
    keys.into_iter().collect()
}

/// The keys of a name already tokenised.
fn insert_name_keys(keys: &mut BTreeSet<String>, tokens: &[Token], kind: NameKind) {
    let distinctive: Vec<&Token> = tokens
        .iter()
        .filter(|t| matches!(t.class, TokenClass::Word | TokenClass::Number))
        .collect();
    let fallback: Vec<&Token>;
    let filed = if distinctive.is_empty() {
        fallback = tokens
            .iter()
            .filter(|t| t.class == TokenClass::Generic)
            .collect();
        &fallback
    } else {
        &distinctive
    };
    let few = filed.len() <= 2;
    // The two longest words are also filed misspelt: a typo in a name's
    // longest word is the one most likely to leave it without a key.
    let mut by_length: Vec<&&Token> = filed
        .iter()
        .filter(|t| t.class != TokenClass::Number)
        .collect();
    by_length.sort_by_key(|t| std::cmp::Reverse(t.text.len()));
    for token in by_length.into_iter().take(2) {
        insert_deletions(keys, &token.text);
    }
    for token in filed {
        keys.insert(format!("w:{}", token.text));
        // Numbers alone file only as themselves; words with digits in them
        // ("Vabo2008") also by sound.
        if token.class == TokenClass::Number && token.text.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if token.key.len() >= 3 {
            keys.insert(format!("p:{}", token.key));
        }
        if few && kind != NameKind::Person && (2..=6).contains(&token.raw.len()) {
            keys.insert(format!("i:{}", token.raw));
        }
    }
    for pair in tokens.windows(2) {
        // A name's own word joined to a neighbour ("Debbiye 143", "Decart
        // OOD", "Bio Tech"); two generic words joined only for a name that
        // has nothing rarer ("Global Energy" / "Globalenergy").
        let own = |t: &Token| matches!(t.class, TokenClass::Word | TokenClass::Number);
        let any_own = pair.iter().any(own);
        let all_generic = pair.iter().all(|t| t.class == TokenClass::Generic);
        if !(any_own || distinctive.is_empty() && all_generic) {
            continue;
        }
        let joined = format!("{}{}", pair[0].raw, pair[1].raw);
        keys.insert(format!("p:{}", phonetic_key(&joined)));
        if few {
            insert_deletions(keys, &joined);
        }
        let canonical = lexicon().canonical(&joined);
        if canonical != joined {
            keys.insert(format!("w:{canonical}"));
        }
        keys.insert(format!("w:{joined}"));
    }
    if kind != NameKind::Person {
        let initials: String = tokens
            .iter()
            .filter(|t| !matches!(t.class, TokenClass::Particle | TokenClass::Legal))
            .filter_map(|t| t.raw.chars().next())
            .collect();
        if (2..=6).contains(&initials.len()) && tokens.len() >= 2 {
            keys.insert(format!("i:{initials}"));
        }
    }
}

/// A word with each of its letters deleted in turn: two words one edit
/// apart share one of these (or one is the other), whichever letter
/// differs.
fn insert_deletions(keys: &mut BTreeSet<String>, word: &str) {
    if word.len() < 5 || !word.is_ascii() {
        return;
    }
    for i in 0..word.len() {
        let mut deleted = word.to_owned();
        deleted.remove(i);
        keys.insert(format!("w:{deleted}"));
    }
}

/// The blocking keys of a party: those of each of its names, and one per
/// identifier.
pub fn party_keys(facts: &PartyFacts) -> Vec<String> {
    Profile::new(facts, &TokenStats::default()).keys()
}

impl Profile {
    /// The blocking keys of this party (see `party_keys`), from the names
    /// and identifiers already prepared.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = BTreeSet::new();
        for name in self.names() {
            insert_name_keys(&mut keys, &name.tokens, name.kind);
        }
        let (phones, emails, registrations) = self.identifiers();
        keys.extend(phones.iter().map(|p| format!("tel:{p}")));
        keys.extend(emails.iter().map(|e| format!("email:{e}")));
        keys.extend(registrations.iter().map(|r| format!("reg:{r}")));
        keys.into_iter().collect()
    }

    /// Keys to look up besides [`Profile::keys`] for a long word that is
    /// no key of any name filed (`filed` says which keys are): the word
    /// keys of its two parts at every cut, as a word glued from two that
    /// are not neighbours in that order ("Shippingellissa" / "Ellissa
    /// Shipping") shares no key with the name it spells. Looked up, never
    /// filed, so the index does not grow.
    pub fn glued_keys(&self, filed: impl Fn(&str) -> bool) -> Vec<String> {
        let lexicon = lexicon();
        let mut keys = BTreeSet::new();
        for name in self.names() {
            for token in &name.tokens {
                let raw = token.raw.as_str();
                if token.class != TokenClass::Word
                    || raw.len() < 8
                    || !raw.is_ascii()
                    || filed(&format!("w:{}", token.text))
                {
                    continue;
                }
                for cut in 2..=raw.len() - 2 {
                    for part in [&raw[..cut], &raw[cut..]] {
                        let digits = part.bytes().all(|b| b.is_ascii_digit());
                        if part.len() >= 4 || digits {
                            keys.insert(format!("w:{}", lexicon.canonical(part)));
                        }
                    }
                }
            }
        }
        keys.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(a: &str, b: &str, kind: NameKind) -> bool {
        let ka: BTreeSet<String> = name_keys(a, kind).into_iter().collect();
        name_keys(b, kind).iter().any(|k| ka.contains(k))
    }

    #[test]
    fn spellings_of_one_name_share_a_key() {
        let org = NameKind::Organisation;
        assert!(share(
            "Hebei Shengxue Bio-Tech Co., Ltd",
            "HEBEI SHENGXUE BIOTECH",
            org
        ));
        assert!(share("Cubatabaco", "Cuba Tabaco", org));
        assert!(share("Cubatabaco", "Cubatabcao", org));
        assert!(share("Islamic Revolutionary Guard Corps", "I.R.G.C.", org));
        assert!(share("Muhammad Yusuf", "Mohammad Yousef", NameKind::Person));
    }

    #[test]
    fn a_long_word_no_name_is_filed_under_is_looked_up_by_its_parts() {
        let org = NameKind::Organisation;
        let filed: BTreeSet<String> = name_keys("Marvona Shipping", org).into_iter().collect();
        let query = Profile::new(
            &PartyFacts {
                kind: Some(org),
                names: vec!["SHIPPINGMARVONA".into()],
                ..PartyFacts::default()
            },
            &TokenStats::default(),
        );
        assert!(!query.keys().iter().any(|k| filed.contains(k)));
        let glued = query.glued_keys(|k| filed.contains(k));
        assert!(glued.iter().any(|k| k == "w:marvona"), "{glued:?}");
        // A word filed as it is written is not cut up.
        assert!(query.glued_keys(|_| true).is_empty());
    }

    #[test]
    fn generic_words_are_not_keys_when_a_name_has_others() {
        let keys = name_keys("Hebei International Trading Co", NameKind::Organisation);
        assert!(
            !keys
                .iter()
                .any(|k| k == "w:international" || k == "w:trading"),
            "{keys:?}"
        );
        assert!(!share(
            "Hebei International Trading",
            "Wanda International Trading",
            NameKind::Organisation
        ));
    }

    #[test]
    fn identifiers_are_keys() {
        let facts = PartyFacts {
            names: vec!["Acme".into()],
            countries: vec![crate::codes::CountryCode::parse("CN").unwrap()],
            phones: vec!["021 5555 0100".into()],
            emails: vec![" Sales@Acme.CN".into()],
            registration_numbers: vec!["91-1101".into()],
            ..PartyFacts::default()
        };
        let keys = party_keys(&facts);
        for key in [
            "tel:+862155550100",
            "email:sales@acme.cn",
            "reg:911101",
            "w:acme",
        ] {
            assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
        }
    }
}
