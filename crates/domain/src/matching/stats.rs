//! How rare each word is among the names a matcher compares against, so a
//! shared rare word counts for much and a shared common one for little.

use std::collections::HashMap;

use super::name::{tokenise, NameKind, TokenClass};

/// Pseudo-names added to every count, so a small parties table (or an empty
/// one) does not call a word common because two of its five names use it.
const PRIOR_NAMES: f64 = 200.0;
/// Cap on the weight of generic business words, whatever their rarity.
pub(crate) const GENERIC_WEIGHT: f32 = 0.3;
const PARTICLE_WEIGHT: f32 = 0.1;
const MIN_WEIGHT: f32 = 0.12;
const NUMBER_WEIGHT: f32 = 0.9;
const UNSEEN_SHORT_WEIGHT: f32 = 0.5;

/// Document frequencies of canonical name words: in how many names each
/// word occurs. Built from the loaded list for screening, from the parties
/// table for party matching, or empty (`TokenStats::default()`), in which
/// case every word is rare except the built-in generic ones.
#[derive(Debug, Clone, Default)]
pub struct TokenStats {
    names: u64,
    counts: HashMap<String, u64>,
}

impl TokenStats {
    /// Counts the words of every name given.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut stats = Self::default();
        for name in names {
            stats.add_name(name);
        }
        stats
    }

    /// Statistics a caller keeps elsewhere (a table of word counts): the
    /// number of names counted and, per word of `counted_words`, how many
    /// of them contain it.
    pub fn from_counts(names: u64, counts: impl IntoIterator<Item = (String, u64)>) -> Self {
        Self {
            names,
            counts: counts.into_iter().collect(),
        }
    }

    /// The words of `name` that statistics count, each once: what a caller
    /// keeping counts in a table adds when a name is added.
    pub fn counted_words(name: &str) -> Vec<String> {
        let mut words: Vec<String> = tokenise(name, NameKind::Unknown)
            .into_iter()
            .filter(|t| !matches!(t.class, TokenClass::Legal))
            .map(|t| t.text)
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    }

    pub fn add_name(&mut self, name: &str) {
        self.names += 1;
        for word in Self::counted_words(name) {
            *self.counts.entry(word).or_insert(0) += 1;
        }
    }

    pub fn names(&self) -> u64 {
        self.names
    }

    /// How many names contain `word` (a canonical word).
    pub fn count(&self, word: &str) -> u64 {
        self.counts.get(word).copied().unwrap_or(0)
    }

    /// The weight of a word in (0, 1]: near 1 for a word no other name uses,
    /// falling with the log of how common it is.
    pub(crate) fn weight(&self, word: &str, class: TokenClass) -> f32 {
        match class {
            TokenClass::Legal => return 0.0,
            TokenClass::Particle => return PARTICLE_WEIGHT,
            _ => {}
        }
        let total = self.names as f64 + PRIOR_NAMES;
        let count = self.count(word).max(1) as f64;
        let idf = ((1.0 + total / count).ln() / (1.0 + total).ln()) as f32;
        let weight = idf.clamp(MIN_WEIGHT, 1.0);
        match class {
            TokenClass::Generic | TokenClass::Initial => weight.min(GENERIC_WEIGHT),
            // Two letters identify little, whatever the statistics say, and
            // three letters never seen are more likely a slip ("Aal-Osama")
            // than a rare word.
            _ if word.len() <= 2 => weight.min(GENERIC_WEIGHT),
            _ if word.len() == 3 && self.count(word) == 0 && self.names > 0 => {
                weight.min(UNSEEN_SHORT_WEIGHT)
            }
            // "77th" and "99th", "Vabo 2005" and "Vabo 2008": a number that
            // differs tells two entities apart even when it is common.
            TokenClass::Number => weight.max(NUMBER_WEIGHT),
            _ => weight,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_common_word_weighs_less_than_a_rare_one() {
        let mut names: Vec<String> = (0..500).map(|i| format!("Korea Name{i} Trading")).collect();
        names.push("Taesong".into());
        let stats = TokenStats::from_names(names.iter().map(String::as_str));
        let korea = stats.weight("korea", TokenClass::Word);
        let taesong = stats.weight("taesong", TokenClass::Word);
        assert!(korea < 0.5 * taesong, "korea {korea}, taesong {taesong}");
        assert!(stats.weight("trading", TokenClass::Generic) <= GENERIC_WEIGHT);
        assert_eq!(stats.weight("ltd", TokenClass::Legal), 0.0);
    }

    #[test]
    fn without_statistics_only_generic_words_are_light() {
        let stats = TokenStats::default();
        assert!(stats.weight("shengxue", TokenClass::Word) > 0.9);
        assert!(stats.weight("international", TokenClass::Generic) <= GENERIC_WEIGHT);
    }

    #[test]
    fn counted_words_are_canonical_and_skip_legal_forms() {
        assert_eq!(
            TokenStats::counted_words("Hebei Intl. Trading Co., Ltd. Trading"),
            ["hebei", "international", "trading"]
        );
    }
}
