//! Labelled pairs from the real list: re-spellings of an entry's name or
//! alias paired with that entry (positives), and the same query paired with
//! the most similar *other* entries that a careful screener would not flag
//! for review (hard negatives).

use std::collections::{HashMap, HashSet};

use interdict_domain::sanctions::{AliasStrength, Entry, EntryKind, SanctionsList};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::fuzzy::{ratio, token_ratio, Processed};
use super::variants::{respell, Config, Op};

pub struct Pair {
    pub query: String,
    /// Index into the list's entries.
    pub entry: usize,
    pub positive: bool,
    pub ops: Vec<Op>,
}

pub struct PairSet {
    pub name: String,
    pub person: bool,
    pub pairs: Vec<Pair>,
}

/// Words that say nothing about which actor a name is: the generator's own
/// list, not the matcher's.
const COMMON: &[&str] = &[
    "CO",
    "COMPANY",
    "LTD",
    "LIMITED",
    "LLC",
    "INC",
    "CORP",
    "CORPORATION",
    "SA",
    "DE",
    "CV",
    "SAS",
    "SRL",
    "GMBH",
    "AG",
    "JSC",
    "OJSC",
    "CJSC",
    "PJSC",
    "OOO",
    "ZAO",
    "AO",
    "PLC",
    "THE",
    "OF",
    "AND",
    "FOR",
    "AL",
    "EL",
    "LA",
    "LOS",
    "LAS",
    "DEL",
    "Y",
    "TRADING",
    "INTERNATIONAL",
    "GROUP",
    "INDUSTRIAL",
    "INDUSTRIES",
    "IMPORT",
    "EXPORT",
    "GENERAL",
    "HOLDING",
    "HOLDINGS",
    "ENTERPRISES",
    "ENTERPRISE",
    "SERVICES",
    "COMMERCIAL",
    "COMPANIA",
    "EMPRESA",
    "BANK",
    "FZE",
    "FZCO",
    "EST",
    "PTE",
    "PVT",
    "BHD",
    "SDN",
];

fn words(name: &str) -> Vec<String> {
    name.to_uppercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn distinctive(name: &str) -> Vec<String> {
    let all = words(name);
    // Single letters (S.A., C.I.) identify nothing either.
    let kept: Vec<String> = all
        .iter()
        .filter(|w| w.len() > 1 && !COMMON.contains(&w.as_str()))
        .cloned()
        .collect();
    if kept.is_empty() {
        all
    } else {
        kept
    }
}

fn vowelless(word: &str) -> String {
    let mut out: Vec<char> = word.chars().filter(|c| !"AEIOUY".contains(*c)).collect();
    out.dedup();
    out.into_iter().collect()
}

/// Whether two words may be one word spelt twice: equal, close in Indel
/// ratio, or equal once vowels (where romanisations disagree) are gone.
fn respelling(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    ratio(&x, &y) >= 80.0 || (a.len() >= 4 && vowelless(a) == vowelless(b))
}

fn covered(x: &[String], y: &[String]) -> bool {
    !x.is_empty() && x.iter().all(|w| y.iter().any(|v| respelling(w, v)))
}

/// Whether B is a fair negative for a query from A: not one name listed
/// twice, and no name whose distinctive words are a subset or re-spelling
/// of the other's.
fn fair(a_names: &[String], b_names: &[String]) -> bool {
    for na in a_names {
        let da = distinctive(na);
        for nb in b_names {
            let db = distinctive(nb);
            if words(na) == words(nb) || covered(&da, &db) || covered(&db, &da) {
                return false;
            }
        }
    }
    true
}

fn entry_names(entry: &Entry, weak: bool) -> Vec<String> {
    entry
        .names()
        .filter(|(_, s)| weak || *s == AliasStrength::Strong)
        .map(|(n, _)| n.to_owned())
        .collect()
}

pub fn build(
    list: &SanctionsList,
    person: bool,
    config: &Config,
    seed: u64,
    size: usize,
) -> PairSet {
    let kind = if person {
        EntryKind::Individual
    } else {
        EntryKind::Entity
    };
    let pool: Vec<usize> = (0..list.entries.len())
        .filter(|&i| list.entries[i].kind == kind)
        .collect();
    let names: HashMap<usize, Vec<String>> = pool
        .iter()
        .map(|&i| (i, entry_names(&list.entries[i], true)))
        .collect();
    let processed: HashMap<usize, Vec<Processed>> = names
        .iter()
        .map(|(&i, ns)| (i, ns.iter().map(|n| Processed::new(n)).collect()))
        .collect();
    let mut by_word: HashMap<String, Vec<usize>> = HashMap::new();
    for (&i, ns) in &names {
        let mut seen = HashSet::new();
        for n in ns {
            for w in distinctive(n) {
                if seen.insert(w.clone()) {
                    by_word.entry(w).or_default().push(i);
                }
            }
        }
    }

    let mut rng = StdRng::seed_from_u64(seed);
    let mut sample = pool.clone();
    sample.shuffle(&mut rng);
    let mut pairs = Vec::new();
    for &entry in sample.iter().take(size) {
        let sources = entry_names(&list.entries[entry], config.weak_aliases);
        let source = if sources.len() == 1 || rng.gen_bool(0.6) {
            sources[0].clone()
        } else {
            sources[rng.gen_range(1..sources.len())].clone()
        };
        let Some((query, ops)) = respell(&source, person, config, &mut rng) else {
            continue;
        };
        // Candidates: entries sharing a distinctive word (or a near spelling
        // of one) with the query or its source, rarest words first.
        let mut shared: Vec<&Vec<usize>> = distinctive(&query)
            .iter()
            .chain(distinctive(&source).iter())
            .filter_map(|w| by_word.get(w))
            .collect();
        shared.sort_by_key(|p| p.len());
        let mut candidates: Vec<usize> = Vec::new();
        let mut seen = HashSet::from([entry]);
        for posting in shared {
            for &c in posting {
                if candidates.len() < 400 && seen.insert(c) {
                    candidates.push(c);
                }
            }
        }
        let q = Processed::new(&query);
        let mut scored: Vec<(f64, usize)> = candidates
            .into_iter()
            .map(|c| {
                (
                    processed[&c]
                        .iter()
                        .map(|p| token_ratio(&q, p))
                        .fold(0.0, f64::max),
                    c,
                )
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut a_names = names[&entry].clone();
        a_names.push(query.clone());
        let negatives: Vec<usize> = scored
            .iter()
            .filter(|(_, c)| fair(&a_names, &names[c]))
            .take(config.negatives)
            .map(|(_, c)| *c)
            .collect();
        pairs.push(Pair {
            query: query.clone(),
            entry,
            positive: true,
            ops: ops.clone(),
        });
        for negative in negatives {
            pairs.push(Pair {
                query: query.clone(),
                entry: negative,
                positive: false,
                ops: ops.clone(),
            });
        }
    }
    let kind_name = if person { "individuals" } else { "entities" };
    PairSet {
        name: format!("{kind_name}-{}-seed{seed}", config.name),
        person,
        pairs,
    }
}
