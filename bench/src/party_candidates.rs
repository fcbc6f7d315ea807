//! Party candidates at scale: loads N parties (default 1,000,000), then
//! times `party_matching::matches_in` — blocking lookup, loading and
//! scoring the candidates, deciding what the caller sees — for random
//! parties. Prints the median and p99 next to the target (p99 ≤ 50 ms).
//!
//! The parties' records go in through the real write path
//! (`records::insert_many`); their blocking keys, about fifty a party,
//! are filed at the end by `party_matching::BulkFiling`, which builds the
//! index by a sort. Through the write path each key is an insert at a
//! random place of two B-trees that outgrow the cache: 200,000 parties
//! took 208 s on SQLite.
//! The rows and indexes are the same.
//!
//! Names are synthetic company names built like real ones: a place, one or
//! two made-up pinyin-like words, an industry word and a legal form; one
//! party in fifty is also recorded re-spelt, so lookups find real matches.
//!
//! Usage: party-candidates sqlite://PATH | postgres://…/DB [parties]
//! The database must be empty (a new SQLite file, a new PostgreSQL database).

use diesel::connection::Connection;
use interdict_domain::party::PartyInput;
use interdict_domain::policy::Actor;
use interdict_domain::record::{Document, Facts, RecordKind};
use interdict_domain::sharing::Scope;
use interdict_domain::user::Role;
use interdict_persistence::party_matching::BulkFiling;
use interdict_persistence::records::{self, NewRecord};
use interdict_persistence::risk::Refresh;
use interdict_persistence::{agencies, Backend, DatabaseUrl, Db, DbConnection};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

const SAMPLES: usize = 500;
const BATCH: usize = 2000;
/// Key rows handed to `BulkFiling::add` at once.
const FILE_ROWS: usize = 500_000;

const PLACES: &[&str] = &[
    "Hebei",
    "Shanghai",
    "Wuhan",
    "Jiangsu",
    "Zhejiang",
    "Shandong",
    "Guangzhou",
    "Shenzhen",
    "Tianjin",
    "Hubei",
    "Henan",
    "Anhui",
    "Fujian",
    "Sichuan",
    "Hunan",
    "Beijing",
    "Nanjing",
    "Hangzhou",
    "Xiamen",
    "Qingdao",
    "Mumbai",
    "Hyderabad",
    "Gujarat",
    "Delhi",
    "Jalisco",
    "Sinaloa",
    "Monterrey",
    "Rotterdam",
    "Hamburg",
    "Antwerp",
];
const SYLLABLES: &[&str] = &[
    "an", "bai", "bao", "bei", "bo", "chang", "chen", "cheng", "chun", "da", "dan", "de", "ding",
    "dong", "fa", "fang", "fei", "feng", "fu", "gang", "gao", "guang", "gui", "guo", "hai", "han",
    "hao", "he", "heng", "hong", "hua", "huai", "hui", "jia", "jian", "jiang", "jin", "jing",
    "jiu", "kai", "kang", "lan", "lei", "li", "lian", "liang", "lin", "ling", "long", "lu", "mei",
    "min", "ming", "nan", "ning", "peng", "ping", "qi", "qian", "qiang", "qing", "quan", "rui",
    "run", "sen", "shan", "shang", "sheng", "shi", "shun", "tai", "tian", "tong", "wan", "wei",
    "wen", "xiang", "xin", "xing", "xu", "xue", "ya", "yang", "yao", "yi", "yin", "ying", "yong",
    "yu", "yuan", "yue", "yun", "ze", "zhan", "zhen", "zheng", "zhi", "zhong", "zhou", "zi",
];
const INDUSTRIES: &[&str] = &[
    "Chemical",
    "Bio-Tech",
    "Pharmaceutical",
    "Trading",
    "Import and Export",
    "Technology",
    "New Material",
    "Industrial",
    "Logistics",
    "Machinery",
    "International Trade",
];
const FORMS: &[&str] = &[
    "Co., Ltd",
    "Co Ltd",
    "Limited",
    "LLC",
    "S.A. de C.V.",
    "GmbH",
    "Inc",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

fn word(rng: &mut Rng) -> String {
    let mut w = String::new();
    for _ in 0..2 + rng.next() % 2 {
        w.push_str(rng.pick(SYLLABLES));
    }
    let mut chars = w.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn name(rng: &mut Rng) -> String {
    let mut parts = vec![rng.pick(PLACES).to_owned(), word(rng)];
    if rng.next().is_multiple_of(3) {
        parts.push(word(rng));
    }
    parts.push(rng.pick(INDUSTRIES).to_owned());
    parts.push(rng.pick(FORMS).to_owned());
    parts.join(" ")
}

/// The same name as another record would spell it.
fn respelt(name: &str) -> String {
    name.to_uppercase()
        .replace("BIO-TECH", "BIOTECH")
        .replace(" CO., LTD", "")
        .replace(" LIMITED", " LTD")
        .replace(',', "")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("party-candidates: {message}");
    std::process::exit(1)
}

/// How long each part of the load took, and how many keys it filed.
struct Loaded {
    ids: Vec<Uuid>,
    records: Duration,
    keys: Duration,
    filed: u64,
}

/// Loads `parties` synthetic parties. The records, their versions and
/// their facts go through the real write path (`records::insert_many`),
/// in transactions of [`BATCH`]; their blocking keys, computed by the same
/// `PartyInput::check`, are held back and filed at the end through
/// `party_matching::BulkFiling` (a sort instead of random B-tree inserts),
/// which leaves the same rows and indexes.
fn load(conn: &mut DbConnection, owner: Uuid, parties: u64) -> Loaded {
    let mut bulk = BulkFiling::begin(conn).unwrap_or_else(|e| fail(e));
    let started = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ids = Vec::with_capacity(parties as usize);
    let mut batch = Vec::with_capacity(BATCH);
    // Every key once, and (key, party) as indexes into `names` and `ids`:
    // 8 bytes a row, where 50 million strings would take gigabytes.
    let mut interned: HashMap<Box<str>, u32> = HashMap::new();
    let mut rows: Vec<(u32, u32)> = Vec::new();
    let mut written = 0u64;
    while written < parties {
        let base = name(&mut rng);
        let mut names = vec![base.clone()];
        if rng.next().is_multiple_of(50) {
            names.push(respelt(&base));
        }
        for n in names {
            let country = if rng.next().is_multiple_of(4) {
                "HK"
            } else {
                "CN"
            };
            let input = PartyInput {
                kind: "company".into(),
                name: n,
                aliases: Vec::new(),
                address: serde_json::from_value(serde_json::json!({ "country": country })).ok(),
                phones: Vec::new(),
                emails: Vec::new(),
                registration_numbers: Vec::new(),
            };
            let (document, mut index) = input.check().unwrap_or_else(|e| fail(format!("{e:?}")));
            let mut keys = match &mut index.facts {
                Facts::Party { match_keys, .. } => std::mem::take(match_keys),
                _ => fail("a party's index has no party facts"),
            };
            keys.sort_unstable();
            keys.dedup();
            let party = ids.len() as u32;
            for key in keys {
                let next = interned.len() as u32;
                let at = *interned.entry(key.into_boxed_str()).or_insert(next);
                rows.push((at, party));
            }
            let id = Uuid::now_v7();
            ids.push(id);
            batch.push(NewRecord {
                id,
                kind: RecordKind::Party,
                owner,
                scope: Scope::All,
                actor: None,
                body: serde_json::to_string(&document).unwrap_or_else(|e| fail(e)),
                index,
            });
            written += 1;
        }
        if batch.len() >= BATCH || written >= parties {
            let mut refresh = Refresh::new();
            conn.transaction(|conn| records::insert_many(conn, &mut refresh, &batch).map(drop))
                .unwrap_or_else(|e: interdict_persistence::Error| fail(e));
            batch.clear();
        }
    }
    let records = started.elapsed();

    let started = Instant::now();
    let mut names: Vec<Box<str>> = vec![Box::from(""); interned.len()];
    for (key, at) in interned.drain() {
        names[at as usize] = key;
    }
    // SQLite keeps the primary key (key, party) while loading: rows in its
    // order append to it. PostgreSQL gets them in the order parties were
    // written, so its heap is laid out as real writes would leave it.
    if conn.backend() == Backend::Sqlite {
        let mut order: Vec<u32> = (0..names.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut rank = vec![0u32; names.len()];
        for (r, &key) in order.iter().enumerate() {
            rank[key as usize] = r as u32;
        }
        rows.sort_unstable_by_key(|&(key, party)| (rank[key as usize], ids[party as usize]));
    }
    for chunk in rows.chunks(FILE_ROWS) {
        let chunk: Vec<(String, Uuid)> = chunk
            .iter()
            .map(|&(key, party)| (names[key as usize].to_string(), ids[party as usize]))
            .collect();
        bulk.add(conn, &chunk).unwrap_or_else(|e| fail(e));
    }
    let filed = bulk.finish(conn).unwrap_or_else(|e| fail(e));
    Loaded {
        ids,
        records,
        keys: started.elapsed(),
        filed,
    }
}

fn key_count(conn: &mut DbConnection) -> i64 {
    use diesel::prelude::*;
    use interdict_persistence::schema::party_match_keys;
    party_match_keys::table
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| fail(e))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: party-candidates sqlite://PATH | postgres://…/DB [parties]");
        std::process::exit(2);
    };
    let parties: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let url = DatabaseUrl::parse(&url).unwrap_or_else(|e| fail(e));
    let db =
        Db::connect(&url, interdict_persistence::PoolOptions::sized(2)).unwrap_or_else(|e| fail(e));
    let mut conn = db.get().unwrap_or_else(|e| fail(e));
    let owner = agencies::find_system(&mut conn)
        .ok()
        .flatten()
        .unwrap_or_else(|| fail("no system agency"))
        .id
        .0;
    let Loaded {
        ids,
        records,
        keys: filing,
        filed,
    } = load(&mut conn, owner, parties);
    let keys = key_count(&mut conn);
    if keys as u64 != filed {
        fail(format!("filed {filed} keys, the index holds {keys}"));
    }
    println!(
        "loaded {} parties ({} index keys, {:.1} a party) into {} in {:.1} s: records {:.1} s, keys {:.1} s",
        ids.len(),
        keys,
        keys as f64 / ids.len().max(1) as f64,
        url.redacted(),
        (records + filing).as_secs_f64(),
        records.as_secs_f64(),
        filing.as_secs_f64(),
    );
    // An investigator of another agency: every party is shared with all.
    let actor = Actor {
        user_id: Uuid::now_v7(),
        agency_id: Uuid::now_v7(),
        role: Role::Investigator,
        task_forces: Vec::new(),
        system_agency: false,
    };
    let mut rng = Rng(42);
    let mut timings = Vec::with_capacity(SAMPLES);
    let mut found = 0usize;
    for _ in 0..SAMPLES {
        let id = ids[(rng.next() % ids.len() as u64) as usize];
        let t = Instant::now();
        match interdict_app::party_matching::matches_in(&mut conn, &actor, id) {
            Ok(view) => found += view.matches.len(),
            Err(e) => fail(format!("matches failed: {e}")),
        }
        timings.push(t.elapsed());
    }
    timings.sort();
    println!("| parties | lookups | matches found | median | p99 | target |");
    println!("|---:|---:|---:|---:|---:|---|");
    println!(
        "| {} | {SAMPLES} | {found} | {:.1} ms | {:.1} ms | p99 ≤ 50 ms |",
        ids.len(),
        percentile(&timings, 0.5).as_secs_f64() * 1000.0,
        percentile(&timings, 0.99).as_secs_f64() * 1000.0,
    );
}
