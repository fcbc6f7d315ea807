//! Matching quality on labelled pairs generated from the real SDN list:
//! precision, recall and F1 of the product's screening at its threshold,
//! beside exact normalised matching and the plain fuzzy token-ratio matcher
//! at its best threshold, and the blocking keys' recall.
//!
//! Usage: match-quality [--list DIR] [--size N] [--pairs FILE] [--seeds S,S…]
//! (`--pairs` writes every pair with its verdict and scores, tab-separated;
//! `--seeds` measures the A, B and D mixes of both kinds on those seeds
//! instead of the standing sets, to check a change on sets never seen.)

mod fuzzy;
mod pairs;
mod variants;

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::Write;
use std::time::Instant;

use interdict_domain::matching::{
    compare, name_keys, party_keys, NameKind, PartyFacts, Profile, MATCH_THRESHOLD,
};
use interdict_domain::party::normalise_name;
use interdict_domain::sanctions::{parse_sdn, ScreeningIndex};

use fuzzy::{token_ratio, Processed};
use pairs::{build, PairSet};
use variants::Config;

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn add(&mut self, predicted: bool, positive: bool) {
        match (predicted, positive) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn line(&self) -> String {
        format!(
            "P {:.4}  R {:.4}  F1 {:.4}",
            self.precision(),
            self.recall(),
            self.f1()
        )
    }
}

fn best_threshold(scored: &[(f64, bool)], lo: f64, hi: f64, step: f64) -> (f64, Counts) {
    let mut best = (lo, Counts::default());
    let mut t = lo;
    while t <= hi + 1e-9 {
        let mut c = Counts::default();
        for &(s, positive) in scored {
            c.add(s >= t, positive);
        }
        if c.f1() > best.1.f1() {
            best = (t, c);
        }
        t += step;
    }
    best
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dir = arg("--list").unwrap_or_else(|| "reference/ofac".into());
    let size: usize = arg("--size")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2000);
    let mut errors = arg("--pairs").map(File::create).transpose()?;

    let open = |f: &str| File::open(format!("{dir}/{f}"));
    let list = parse_sdn(open("sdn.csv")?, open("alt.csv")?, open("add.csv")?)?;
    let started = Instant::now();
    let index = ScreeningIndex::new(list.clone());
    println!(
        "index: {} entries, {} names, built in {:.2} s",
        list.entries.len(),
        list.name_count(),
        started.elapsed().as_secs_f64()
    );
    println!("product threshold: {MATCH_THRESHOLD}");

    // Sets whose errors were read while the matcher was built, then sets of
    // seeds never looked at (`fresh`). C stacks two or three changes on
    // every name: a stress set, not one of the targets.
    let mut sets: Vec<(PairSet, &str)> = Vec::new();
    let standing = [
        (false, Config::tuning(), 1, "inspected"),
        (false, Config::tuning(), 2, "inspected"),
        (false, Config::other(), 3, "inspected"),
        (false, Config::mild(), 6, "inspected"),
        (true, Config::tuning(), 1, "inspected"),
        (true, Config::other(), 3, "inspected"),
        (true, Config::mild(), 6, "inspected"),
        (false, Config::tuning(), 11, "fresh"),
        (false, Config::other(), 12, "fresh"),
        (false, Config::mild(), 13, "fresh"),
        (true, Config::tuning(), 11, "fresh"),
        (true, Config::other(), 12, "fresh"),
        (true, Config::mild(), 13, "fresh"),
        (false, Config::stress(), 5, "stress"),
        (true, Config::stress(), 5, "stress"),
    ];
    let chosen: Vec<(bool, Config, u64, &str)> = match arg("--seeds") {
        None => standing.into_iter().collect(),
        Some(seeds) => {
            let mut chosen = Vec::new();
            for seed in seeds.split(',') {
                let seed: u64 = seed.trim().parse()?;
                for person in [false, true] {
                    for config in [Config::tuning(), Config::other(), Config::mild()] {
                        chosen.push((person, config, seed, "extra"));
                    }
                }
            }
            chosen
        }
    };
    for (person, config, seed, role) in chosen {
        sets.push((build(&list, person, &config, seed, size), role));
    }
    let entry_profiles: Vec<Profile> = list
        .entries
        .iter()
        .map(|e| Profile::new(&e.facts(), index.stats()))
        .collect();
    let entry_keys: Vec<BTreeSet<String>> = list
        .entries
        .iter()
        .map(|e| {
            e.names()
                .flat_map(|(n, _)| name_keys(n, e.kind.name_kind()))
                .collect()
        })
        .collect();

    let mut summary = Vec::new();
    for (set, role) in &sets {
        let started = Instant::now();
        let kind = if set.person {
            NameKind::Person
        } else {
            NameKind::Organisation
        };
        let positives = set.pairs.iter().filter(|p| p.positive).count();
        let (mut exact, mut product, mut direct) =
            (Counts::default(), Counts::default(), Counts::default());
        let mut fuzzy_scores = Vec::new();
        let mut direct_scores = Vec::new();
        let (mut key_hits, mut key_total) = (0usize, 0usize);
        let mut screened: HashMap<&str, Vec<(u32, f32)>> = HashMap::new();
        for pair in &set.pairs {
            let entry = &list.entries[pair.entry];
            let facts = PartyFacts {
                kind: Some(kind),
                names: vec![pair.query.clone()],
                ..PartyFacts::default()
            };
            let q_norm = normalise_name(&pair.query);
            exact.add(
                entry.names().any(|(n, _)| normalise_name(n) == q_norm),
                pair.positive,
            );
            let q = Processed::new(&pair.query);
            let fuzzy = entry
                .names()
                .map(|(n, _)| token_ratio(&q, &Processed::new(n)))
                .fold(0.0, f64::max);
            fuzzy_scores.push((fuzzy, pair.positive));
            let profile = Profile::new(&facts, index.stats());
            let score = compare(&profile, &entry_profiles[pair.entry]).score;
            direct_scores.push((score as f64, pair.positive));
            direct.add(score >= MATCH_THRESHOLD, pair.positive);
            let hits = screened.entry(pair.query.as_str()).or_insert_with(|| {
                index
                    .screen(&facts)
                    .into_iter()
                    .map(|h| (h.entry_id, h.score))
                    .collect()
            });
            let hit = hits.iter().any(|(id, _)| *id == entry.id);
            product.add(hit, pair.positive);
            if pair.positive {
                key_total += 1;
                if party_keys(&facts)
                    .iter()
                    .any(|k| entry_keys[pair.entry].contains(k))
                {
                    key_hits += 1;
                }
            }
            if let Some(out) = errors.as_mut() {
                {
                    let verdict = match (hit, pair.positive) {
                        (true, true) => "TP",
                        (false, false) => "TN",
                        (false, true) => "FN",
                        (true, false) => "FP",
                    };
                    writeln!(
                        out,
                        "{}\t{}\t{:.3}\tfuzzy {:.1}\t{:?}\t{}\t→ {}",
                        set.name, verdict, score, fuzzy, pair.ops, pair.query, entry.name
                    )?;
                }
            }
        }
        let (fuzzy_t, fuzzy_best) = best_threshold(&fuzzy_scores, 50.0, 100.0, 0.5);
        let (direct_t, direct_best) = best_threshold(&direct_scores, 0.3, 1.0, 0.01);
        println!();
        println!(
            "## {} — {} pairs ({} positive, {} negative), {:.1} s",
            set.name,
            set.pairs.len(),
            positives,
            set.pairs.len() - positives,
            started.elapsed().as_secs_f64()
        );
        println!(
            "product screening @ {MATCH_THRESHOLD:.2}   {}",
            product.line()
        );
        println!(
            "product pair score @ {MATCH_THRESHOLD:.2}  {}",
            direct.line()
        );
        println!(
            "product pair score best @ {direct_t:.2} {}",
            direct_best.line()
        );
        println!("exact normalised          {}", exact.line());
        println!(
            "fuzzy token ratio best @ {fuzzy_t:.1} {}",
            fuzzy_best.line()
        );
        println!(
            "blocking key recall       {:.4} ({key_hits}/{key_total})",
            key_hits as f64 / key_total.max(1) as f64
        );
        let margin = product.f1() - fuzzy_best.f1();
        println!("product − fuzzy F1        {margin:+.4}");
        let recall = key_hits as f64 / key_total.max(1) as f64;
        summary.push(format!(
            "| {} | {role} | {} | {:.4} | {:.4} | **{:.4}** | {:.4} | {:.4} @ {fuzzy_t:.1} | {margin:+.4} | {recall:.4} |",
            set.name,
            set.pairs.len(),
            product.precision(),
            product.recall(),
            product.f1(),
            exact.f1(),
            fuzzy_best.f1(),
        ));
    }
    println!();
    println!("| set | role | pairs | precision | recall | F1 | exact F1 | fuzzy F1 @ best | F1 − fuzzy | key recall |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for line in summary {
        println!("{line}");
    }
    Ok(())
}
