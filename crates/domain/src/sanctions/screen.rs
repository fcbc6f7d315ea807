//! Screening a party against a loaded list, in memory: every listed name
//! and alias is filed under its blocking keys, so a query reads a few short
//! postings, and only the names that share the most keys are compared.

use foldhash::{HashMap, HashMapExt};
use serde::{Deserialize, Serialize};

use crate::matching::{
    compare, compare_names, name_keys, party_keys, Name, PartyFacts, Profile, Signal, TokenStats,
    MATCH_THRESHOLD,
};

use super::list::{AliasStrength, SanctionsList};

/// Names compared in full per query, at most: those sharing the most
/// (and rarest) keys with it.
const CANDIDATES: usize = 24;

/// A listed entry that a screened party may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub entry_id: u32,
    /// The listed name or alias that matched best.
    pub listed_name: String,
    /// The entry's primary name.
    pub entry_name: String,
    pub strength: AliasStrength,
    pub programs: Vec<String>,
    pub score: f32,
    pub signals: Vec<Signal>,
}

struct IndexedName {
    entry: usize,
    text: String,
    strength: AliasStrength,
    name: Name,
}

/// An in-memory index over every name and alias of a list.
pub struct ScreeningIndex {
    list: SanctionsList,
    stats: TokenStats,
    names: Vec<IndexedName>,
    profiles: Vec<Profile>,
    /// Each entry's names: a range of `names`.
    entry_names: Vec<std::ops::Range<usize>>,
    /// Key → indices into `names` (name keys) or, for identifier keys,
    /// into `names` of the entry's primary name.
    postings: HashMap<String, Vec<u32>>,
    threshold: f32,
}

impl ScreeningIndex {
    /// Indexes a list, with word statistics from its own names.
    pub fn new(list: SanctionsList) -> Self {
        let stats =
            TokenStats::from_names(list.entries.iter().flat_map(|e| e.names().map(|(n, _)| n)));
        let mut names = Vec::with_capacity(list.name_count());
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let mut profiles = Vec::with_capacity(list.entries.len());
        let mut entry_names = Vec::with_capacity(list.entries.len());
        for (entry_index, entry) in list.entries.iter().enumerate() {
            let kind = entry.kind.name_kind();
            let facts = entry.facts();
            let primary = names.len() as u32;
            for (text, strength) in entry.names() {
                let index = names.len() as u32;
                for key in name_keys(text, kind) {
                    postings.entry(key).or_default().push(index);
                }
                names.push(IndexedName {
                    entry: entry_index,
                    text: text.to_owned(),
                    strength,
                    name: Name::new(text, kind, &stats),
                });
            }
            let identifier_keys = party_keys(&PartyFacts {
                names: Vec::new(),
                ..facts.clone()
            });
            for key in identifier_keys {
                postings.entry(key).or_default().push(primary);
            }
            entry_names.push(primary as usize..names.len());
            profiles.push(Profile::new(&facts, &stats));
        }
        for posting in postings.values_mut() {
            posting.dedup();
        }
        Self {
            list,
            stats,
            names,
            profiles,
            entry_names,
            postings,
            threshold: MATCH_THRESHOLD,
        }
    }

    /// Hits at or above `threshold` instead of the product's default.
    pub fn with_threshold(mut self, threshold: f32) -> Self {
        self.threshold = threshold;
        self
    }

    pub fn list(&self) -> &SanctionsList {
        &self.list
    }

    /// The statistics of the list's words, for callers that prepare
    /// queries themselves.
    pub fn stats(&self) -> &TokenStats {
        &self.stats
    }

    /// The entries `query` may be, best first, those at or above the
    /// threshold only.
    pub fn screen(&self, query: &PartyFacts) -> Vec<Hit> {
        self.screen_scored(query, self.threshold)
    }

    /// Like `screen` with another threshold (0 gives every candidate).
    pub fn screen_scored(&self, query: &PartyFacts, threshold: f32) -> Vec<Hit> {
        let profile = Profile::new(query, &self.stats);

        // Candidates by shared keys, a rare key counting more than a common one.
        let mut votes: HashMap<u32, f32> = HashMap::with_capacity(256);
        let mut keys = profile.keys();
        keys.extend(profile.glued_keys(|key| self.postings.contains_key(key)));
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            if let Some(posting) = self.postings.get(&key) {
                let vote = 1.0 / (2.0 + posting.len() as f32).ln();
                for &name in posting {
                    *votes.entry(name).or_insert(0.0) += vote;
                }
            }
        }
        let mut candidates: Vec<(u32, f32)> = votes.into_iter().collect();
        if candidates.len() > CANDIDATES {
            // Ties broken by name, not by the hash map's order, which
            // changes from one process to the next: the same query gets
            // the same candidates every time.
            candidates
                .select_nth_unstable_by(CANDIDATES, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            candidates.truncate(CANDIDATES);
        }

        // The best name score per entry, then the full comparison (with
        // identifiers and countries) for entries that may reach the threshold.
        let mut best: HashMap<usize, f32> = HashMap::new();
        for (index, _) in &candidates {
            let listed = &self.names[*index as usize];
            let score = profile
                .names()
                .map(|q| compare_names(q, &listed.name).score)
                .fold(0.0f32, f32::max);
            let slot = best.entry(listed.entry).or_insert(0.0);
            *slot = slot.max(score);
        }
        let mut hits: Vec<Hit> = best
            .into_iter()
            // Identifiers can lift a weak name match over the threshold.
            .filter(|(_, name_score)| *name_score >= threshold * 0.5)
            .filter_map(|(entry_index, _)| {
                let found = compare(&profile, &self.profiles[entry_index]);
                (found.score >= threshold)
                    .then(|| self.hit(entry_index, found.score, found.signals))
            })
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.entry_id.cmp(&b.entry_id))
        });
        hits
    }

    fn hit(&self, entry_index: usize, score: f32, signals: Vec<Signal>) -> Hit {
        let entry = &self.list.entries[entry_index];
        let listed_name = signals
            .iter()
            .find_map(|s| match &s.kind {
                crate::matching::SignalKind::NameMatched { name } => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_else(|| entry.name.clone());
        let strength = self.names[self.entry_names[entry_index].clone()]
            .iter()
            .filter(|n| n.text == listed_name)
            .map(|n| n.strength)
            .next()
            .unwrap_or(AliasStrength::Strong);
        Hit {
            entry_id: entry.id,
            listed_name,
            entry_name: entry.name.clone(),
            strength,
            programs: entry.programs.clone(),
            score,
            signals,
        }
    }
}
