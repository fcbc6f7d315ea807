//! Screening a party against a loaded list, in memory: every listed name
//! and alias is filed under its blocking keys, so a query reads a few short
//! postings, and only the names that share the most keys are compared.

use foldhash::{HashMap, HashMapExt};
use hashbrown::HashTable;
use serde::{Deserialize, Serialize};
use std::hash::BuildHasher;

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

/// A listed name: the entry it belongs to and where its prepared form is
/// in that entry's profile (each name is prepared once, there).
struct IndexedName {
    entry: u32,
    /// Its place among the profile's names.
    slot: u32,
    strength: AliasStrength,
}

/// An in-memory index over every name and alias of a list.
///
/// It is held for the life of the server, so it is kept compact: each
/// name is prepared once (in its entry's profile), and the blocking keys
/// are packed into a few flat arrays ([`Postings`]) rather than a string
/// and a vector per key, which held five times the memory.
pub struct ScreeningIndex {
    list: SanctionsList,
    stats: TokenStats,
    names: Vec<IndexedName>,
    profiles: Vec<Profile>,
    /// Each entry's names: a range of `names`.
    entry_names: Vec<std::ops::Range<usize>>,
    /// Key → indices into `names` (name keys) or, for identifier keys,
    /// into `names` of the entry's primary name.
    postings: Postings,
    threshold: f32,
}

impl ScreeningIndex {
    /// Indexes a list, with word statistics from its own names.
    pub fn new(list: SanctionsList) -> Self {
        let stats =
            TokenStats::from_names(list.entries.iter().flat_map(|e| e.names().map(|(n, _)| n)));
        let mut names = Vec::with_capacity(list.name_count());
        let mut postings = PostingsBuilder::default();
        let mut profiles = Vec::with_capacity(list.entries.len());
        let mut entry_names = Vec::with_capacity(list.entries.len());
        for (entry_index, entry) in list.entries.iter().enumerate() {
            let kind = entry.kind.name_kind();
            let facts = entry.facts();
            let profile = Profile::new(&facts, &stats);
            let primary = names.len() as u32;
            // The profile keeps the names that are not blank, in order.
            let kept = entry.names().filter(|(text, _)| !text.trim().is_empty());
            for (slot, (text, strength)) in kept.enumerate() {
                let index = names.len() as u32;
                for key in name_keys(text, kind) {
                    postings.add(&key, index);
                }
                names.push(IndexedName {
                    entry: entry_index as u32,
                    slot: slot as u32,
                    strength,
                });
            }
            let identifier_keys = party_keys(&PartyFacts {
                names: Vec::new(),
                ..facts
            });
            for key in identifier_keys {
                postings.add(&key, primary);
            }
            entry_names.push(primary as usize..names.len());
            profiles.push(profile);
        }
        Self {
            list,
            stats,
            names,
            profiles,
            entry_names,
            postings: postings.finish(),
            threshold: MATCH_THRESHOLD,
        }
    }

    /// The prepared form and text of a listed name.
    fn name(&self, listed: &IndexedName) -> Option<(&str, &Name)> {
        self.profiles[listed.entry as usize].name_at(listed.slot as usize)
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
        keys.extend(profile.glued_keys(|key| self.postings.get(key).is_some()));
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
            let Some((_, name)) = self.name(listed) else {
                continue;
            };
            let score = profile
                .names()
                .map(|q| compare_names(q, name).score)
                .fold(0.0f32, f32::max);
            let slot = best.entry(listed.entry as usize).or_insert(0.0);
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
            .find(|n| self.name(n).is_some_and(|(text, _)| text == listed_name))
            .map_or(AliasStrength::Strong, |n| n.strength);
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

/// Blocking keys and the names filed under each, packed: the keys' text
/// end to end in one string, a hash table of key numbers looked up by that
/// text, and every key's posting one after another in one array.
struct Postings {
    text: String,
    /// Where each key's text ends in `text` (it starts where the previous
    /// one ends).
    ends: Vec<u32>,
    table: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    /// Key `k`'s posting is `items[starts[k]..starts[k + 1]]`.
    starts: Vec<u32>,
    items: Vec<u32>,
}

fn key_text<'a>(text: &'a str, ends: &[u32], key: u32) -> &'a str {
    let key = key as usize;
    let start = key.checked_sub(1).map_or(0, |k| ends[k] as usize);
    &text[start..ends[key] as usize]
}

impl Postings {
    /// The names filed under `key`, in the order they were filed.
    fn get(&self, key: &str) -> Option<&[u32]> {
        let hash = self.hasher.hash_one(key);
        let &k = self
            .table
            .find(hash, |&k| key_text(&self.text, &self.ends, k) == key)?;
        let k = k as usize;
        Some(&self.items[self.starts[k] as usize..self.starts[k + 1] as usize])
    }
}

/// Postings as they are filed: each key numbered once, and (key, name)
/// pairs in filing order.
#[derive(Default)]
struct PostingsBuilder {
    text: String,
    ends: Vec<u32>,
    table: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    filed: Vec<(u32, u32)>,
}

impl PostingsBuilder {
    fn add(&mut self, key: &str, name: u32) {
        let Self {
            text,
            ends,
            table,
            hasher,
            filed,
        } = self;
        let hash = hasher.hash_one(key);
        let entry = table.entry(
            hash,
            |&k| key_text(text, ends, k) == key,
            |&k| hasher.hash_one(key_text(text, ends, k)),
        );
        let k = match entry {
            hashbrown::hash_table::Entry::Occupied(found) => *found.get(),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let k = ends.len() as u32;
                text.push_str(key);
                ends.push(text.len() as u32);
                slot.insert(k);
                k
            }
        };
        filed.push((k, name));
    }

    /// Each key's names in filing order, a name filed twice in a row
    /// under one key kept once.
    fn finish(self) -> Postings {
        let Self {
            mut text,
            mut ends,
            mut table,
            hasher,
            mut filed,
        } = self;
        // Stable: within a key, the names stay in filing order.
        filed.sort_by_key(|&(k, _)| k);
        filed.dedup();
        let mut starts = Vec::with_capacity(ends.len() + 1);
        let mut items = Vec::with_capacity(filed.len());
        for (k, name) in filed {
            while starts.len() <= k as usize {
                starts.push(items.len() as u32);
            }
            items.push(name);
        }
        while starts.len() <= ends.len() {
            starts.push(items.len() as u32);
        }
        text.shrink_to_fit();
        ends.shrink_to_fit();
        table.shrink_to_fit(|&k| hasher.hash_one(key_text(&text, &ends, k)));
        Postings {
            text,
            ends,
            table,
            hasher,
            starts,
            items,
        }
    }
}

#[cfg(test)]
mod postings_tests {
    use super::*;

    #[test]
    fn postings_give_back_each_keys_names_in_filing_order() {
        let mut builder = PostingsBuilder::default();
        for (key, name) in [
            ("w:taesong", 5),
            ("p:tsng", 5),
            ("w:taesong", 4),
            ("w:taesong", 4),
            ("w:korea", 9),
            ("w:taesong", 5),
            ("", 1),
        ] {
            builder.add(key, name);
        }
        let postings = builder.finish();
        // A name filed twice in a row under a key counts once; filed
        // again later, it counts again, as it did in a vector per key.
        assert_eq!(postings.get("w:taesong"), Some(&[5, 4, 5][..]));
        assert_eq!(postings.get("p:tsng"), Some(&[5][..]));
        assert_eq!(postings.get("w:korea"), Some(&[9][..]));
        assert_eq!(postings.get(""), Some(&[1][..]));
        assert_eq!(postings.get("w:taeson"), None);
        assert_eq!(postings.get("w:korea "), None);
    }

    #[test]
    fn many_keys_are_all_found() {
        let mut builder = PostingsBuilder::default();
        for i in 0..10_000u32 {
            builder.add(&format!("w:{i}"), i);
            builder.add(&format!("w:{}", i / 2), i);
        }
        let postings = builder.finish();
        assert_eq!(postings.get("w:3"), Some(&[3, 6, 7][..]));
        assert_eq!(postings.get("w:9999"), Some(&[9999][..]));
        assert_eq!(postings.get("w:10000"), None);
    }
}
