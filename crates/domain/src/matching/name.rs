//! A name prepared for comparison: folded words, legal forms reduced to one
//! canonical token, abbreviations spelled out, each word with its phonetic
//! key and its weight.

use serde::{Deserialize, Serialize};

use super::fold::fold_words;
use super::lexicon::{is_generic, is_particle, lexicon, unglue, Known};
use super::phonetic::phonetic_key;
use super::stats::TokenStats;

/// Whether a name is a person's or an organisation's: persons' names may
/// come as initials and in any order of given names and surname.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Person,
    Organisation,
    /// A name typed into a screening form, of either kind.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenClass {
    /// A word that identifies: weighted by its rarity.
    Word,
    Number,
    /// A business word many unrelated companies share.
    Generic,
    /// One letter: a person's initial, or part of an initialism.
    Initial,
    Particle,
    /// A legal form, canonical (`ltd`, `llc`, `jsc`, …): no weight.
    Legal,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// The folded word as written (a legal form's words joined).
    pub raw: String,
    /// Its canonical spelling.
    pub text: String,
    pub key: String,
    /// The phonetic key of the written form (`pharm` sounds like `farm`,
    /// though it stands for `pharmaceutical`).
    pub raw_key: String,
    pub class: TokenClass,
    pub weight: f32,
    /// Whether the lexicon knows the word as written.
    pub known: bool,
    /// Every written form of its canonical word or legal form, with their
    /// phonetic keys (see `Lexicon::family`); empty for other words.
    pub family: &'static [(String, String)],
}

/// The tokens of a name, unweighted. Persons' names have no legal forms,
/// and their single letters are initials, not particles.
pub(crate) fn tokenise(text: &str, kind: NameKind) -> Vec<Token> {
    let person = kind == NameKind::Person;
    let lexicon = lexicon();
    let mut words: Vec<String> = Vec::new();
    for word in fold_words(text) {
        match unglue(&word).filter(|_| !person) {
            Some((a, b)) => {
                words.push(a.to_owned());
                words.push(b.to_owned());
            }
            None => words.push(word),
        }
    }
    // Each word's known spelling when it misspells a legal form or a
    // business word; legal forms of several words are found on the words
    // as they would be spelt right ("Limited Liability Compnay").
    let near: Vec<Option<Known>> = words
        .iter()
        .map(|w| (!lexicon.knows(w)).then(|| lexicon.near_miss(w)).flatten())
        .collect();
    let spelt: Vec<String> = words
        .iter()
        .zip(&near)
        .map(|(w, known)| known.map_or_else(|| w.clone(), |k| k.word.to_owned()))
        .collect();
    let mut tokens = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if let Some((span, canon)) = lexicon.legal_form_at(&spelt[i..]).filter(|_| !person) {
            tokens.push(Token {
                raw: words[i..i + span].concat(),
                text: canon.to_owned(),
                key: String::new(),
                raw_key: String::new(),
                class: TokenClass::Legal,
                weight: 0.0,
                known: true,
                family: lexicon.family(canon),
            });
            i += span;
            continue;
        }
        let raw = words[i].clone();
        let mut text = lexicon.canonical(&raw).to_owned();
        if text == raw && !is_particle(&raw) && !is_generic(&raw) {
            // "Compnay", "Limted", "Tradnig": a misspelt legal form or
            // business word is that word, not a rare one.
            if let Some(known) = near[i] {
                if let Some(legal) = known.legal.filter(|_| !person) {
                    tokens.push(Token {
                        raw,
                        text: legal.to_owned(),
                        key: String::new(),
                        raw_key: String::new(),
                        class: TokenClass::Legal,
                        weight: 0.0,
                        known: true,
                        family: lexicon.family(legal),
                    });
                    i += 1;
                    continue;
                }
                if known.legal.is_none() {
                    text = known.canonical.to_owned();
                }
            }
        }
        let class = if text.bytes().any(|b| b.is_ascii_digit()) {
            TokenClass::Number
        } else if text.len() == 1 && person {
            TokenClass::Initial
        } else if is_particle(&text) {
            TokenClass::Particle
        } else if text.len() == 1 {
            TokenClass::Initial
        } else if is_generic(&text) {
            TokenClass::Generic
        } else {
            TokenClass::Word
        };
        let key = phonetic_key(&text);
        let raw_key = if raw == text {
            key.clone()
        } else {
            phonetic_key(&raw)
        };
        let known = lexicon.knows(&raw);
        let family = lexicon.family(&text);
        tokens.push(Token {
            raw,
            text,
            key,
            raw_key,
            class,
            weight: 0.0,
            known,
            family,
        });
        i += 1;
    }
    tokens
}

/// A name ready to be compared: see `compare_names`.
#[derive(Debug, Clone)]
pub struct Name {
    pub(crate) tokens: Vec<Token>,
    pub(crate) kind: NameKind,
}

impl Name {
    pub fn new(text: &str, kind: NameKind, stats: &TokenStats) -> Self {
        let mut tokens = tokenise(text, kind);
        for token in &mut tokens {
            token.weight = stats.weight(&token.text, token.class);
        }
        // A name made only of weightless words ("General Trading Co.") still
        // has to be told apart from others: its words count evenly.
        if tokens.iter().all(|t| t.weight <= 0.11) {
            for token in &mut tokens {
                token.weight = 0.5;
            }
        }
        Self { tokens, kind }
    }

    pub fn kind(&self) -> NameKind {
        self.kind
    }

    /// The canonical legal forms the name carries.
    pub fn legal_forms(&self) -> impl Iterator<Item = &str> {
        self.tokens
            .iter()
            .filter(|t| t.class == TokenClass::Legal)
            .map(|t| t.text.as_str())
    }

    /// The canonical words that identify, without legal forms or particles:
    /// what an exact comparison of two names would compare.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.tokens
            .iter()
            .filter(|t| !matches!(t.class, TokenClass::Legal | TokenClass::Particle))
            .map(|t| t.text.as_str())
    }

    pub(crate) fn significant(&self) -> usize {
        self.tokens
            .iter()
            .filter(|t| !matches!(t.class, TokenClass::Legal | TokenClass::Particle))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(name: &str) -> Vec<String> {
        tokenise(name, NameKind::Organisation)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn legal_forms_of_many_jurisdictions_share_canonical_tokens() {
        assert_eq!(texts("Cubi Cafe, S.A. de C.V."), ["cubi", "cafe", "jsc"]);
        assert_eq!(texts("Cubi Cafe SA de CV"), ["cubi", "cafe", "jsc"]);
        assert_eq!(
            texts("OOO Romashka"),
            texts("Romashka LLC").into_iter().rev().collect::<Vec<_>>()
        );
        assert_eq!(texts("ZAO Romashka")[0], "jsc");
        assert_eq!(texts("PAO Romashka")[0], "jsc");
        assert_eq!(texts("Romashka Sp. z o.o.")[1], "llc");
        assert_eq!(texts("Acme Pte. Ltd.")[1], "ltd");
        assert_eq!(texts("Acme Sdn. Bhd.")[1], "ltd");
        assert_eq!(texts("PT Acme Tbk"), ["ltd", "acme", "jsc"]);
        assert_eq!(texts("Acme FZCO")[1], texts("Acme FZE")[1]);
        assert_eq!(texts("Acme S.R.L.")[1], "llc");
        assert_eq!(texts("Acme Co., Ltd."), ["acme", "co", "ltd"]);
        assert_eq!(texts("Acme Company Limited"), ["acme", "co", "ltd"]);
    }

    #[test]
    fn abbreviations_are_spelled_out() {
        assert_eq!(
            texts("Intl Tech Pharm Chem"),
            ["international", "technology", "pharmaceutical", "chemical"]
        );
        assert_eq!(texts("Int'l Mfg."), ["international", "manufacturing"]);
    }

    #[test]
    fn misspelt_legal_forms_and_business_words_are_recognised() {
        assert_eq!(
            texts("Taesong Tradnig Compnay Limted"),
            ["taesong", "trading", "co", "ltd"]
        );
        assert_eq!(texts("Taesong Internatonal"), ["taesong", "international"]);
    }

    #[test]
    fn legal_forms_glued_to_a_name_come_apart() {
        assert_eq!(texts("CITICARLTDA."), ["citicar", "ltd"]);
        assert_eq!(texts("OOOROMASHKA"), ["llc", "romashka"]);
        assert_eq!(texts("LIVELIHOOD"), ["livelihood"]);
    }

    #[test]
    fn persons_have_initials_and_no_legal_forms() {
        let tokens = tokenise("Khan, S. A.", NameKind::Person);
        assert!(tokens.iter().all(|t| t.class != TokenClass::Legal));
        assert_eq!(tokens[1].class, TokenClass::Initial);
    }

    #[test]
    fn words_are_classed() {
        let tokens = tokenise("Al Noor 39 Trading J Co", NameKind::Unknown);
        let classes: Vec<TokenClass> = tokens.iter().map(|t| t.class).collect();
        assert_eq!(
            classes,
            [
                TokenClass::Particle,
                TokenClass::Word,
                TokenClass::Number,
                TokenClass::Generic,
                TokenClass::Initial,
                TokenClass::Legal
            ]
        );
    }
}
