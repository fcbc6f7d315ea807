//! Screening throughput: party names, generated like those on manifests
//! (Chinese, Indian, Mexican, Turkish, German, Russian and US companies;
//! persons of several origins; one in 200 a re-spelt listed name), screened
//! against every name and alias of the loaded list in one process.
//!
//! Usage: screen-throughput [--names N] [--threads T] [--list DIR] [--seed S]
//! Target: 1,000,000 names in ≤ 60 s on 2 cores.
//!
//! It also prints the heap the parsed list and its index hold, and the
//! peak while indexing (counted by its own allocator): the server holds
//! that index for its whole life.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use interdict_domain::matching::{NameKind, PartyFacts};
use interdict_domain::sanctions::{parse_sdn, EntryKind, ScreeningIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const CN_PLACES: &[&str] = &[
    "Hebei",
    "Shanghai",
    "Shenzhen",
    "Guangzhou",
    "Wuhan",
    "Hangzhou",
    "Ningbo",
    "Jinan",
    "Shijiazhuang",
    "Zhengzhou",
    "Tianjin",
    "Suzhou",
    "Xiamen",
    "Hunan",
    "Anhui",
    "Jiangsu",
];
const PINYIN: &[&str] = &[
    "sheng", "xue", "hua", "long", "jin", "da", "xin", "kai", "tai", "feng", "yuan", "hong", "rui",
    "bo", "heng", "tong", "wei", "mei", "li", "qiang", "chang", "fu", "an", "kang", "ming",
    "zhong", "yu", "hai", "ze", "jia",
];
const INDUSTRIES: &[&str] = &[
    "Chemical",
    "Bio-Tech",
    "Pharmaceutical",
    "Machinery",
    "Trading",
    "Import & Export",
    "Technology",
    "New Material",
    "Industrial",
    "Logistics",
    "Electronics",
    "Packaging",
];
const CN_FORMS: &[&str] = &[
    "Co., Ltd.",
    "Co. Ltd",
    "Company Limited",
    "Trading Co., Ltd",
    "Group Co., Ltd.",
];
const IN_WORDS: &[&str] = &[
    "Sri", "Ganesh", "Lakshmi", "Bharat", "Shree", "Om", "Sai", "Krishna", "Vardhman", "Aarti",
    "Deepak", "Navin", "Jubilant", "Alkem", "Mehta", "Patel", "Raj", "Balaji",
];
const IN_FORMS: &[&str] = &["Pvt. Ltd.", "Private Limited", "Ltd", "LLP"];
const MX_WORDS: &[&str] = &[
    "Distribuidora",
    "Quimica",
    "Comercializadora",
    "del Norte",
    "Pacifico",
    "Industrial",
    "Farmaceutica",
    "Grupo",
    "Servicios",
    "Logistica",
    "Sinaloa",
    "Jalisco",
    "Occidente",
];
const MX_FORMS: &[&str] = &["S.A. de C.V.", "S. de R.L. de C.V.", "SA de CV"];
const TR_WORDS: &[&str] = &[
    "Anadolu", "Kimya", "Ithalat", "Ihracat", "Sanayi", "Ticaret", "Yildiz", "Ege", "Marmara",
];
const DE_WORDS: &[&str] = &[
    "Muller", "Schmidt", "Chemie", "Handel", "Technik", "Rhein", "Nord", "Werke", "Pharma",
];
const RU_WORDS: &[&str] = &[
    "Volga", "Sibir", "Ural", "Khim", "Prom", "Torg", "Neva", "Baltika", "Tekhno",
];
const US_WORDS: &[&str] = &[
    "American", "Pacific", "Summit", "Eagle", "Liberty", "Premier", "Allied", "Coastal", "Supply",
    "Labs",
];
const GIVEN: &[&str] = &[
    "Wei", "Li", "Jun", "Ravi", "Anil", "Priya", "Jose", "Maria", "Luis", "Mehmet", "Ayse", "Hans",
    "Olga", "Ivan", "John", "Michael", "Ahmed", "Fatima", "Omar", "Chen",
];
const FAMILY: &[&str] = &[
    "Wang",
    "Zhang",
    "Liu",
    "Sharma",
    "Gupta",
    "Garcia",
    "Hernandez",
    "Lopez",
    "Yilmaz",
    "Kaya",
    "Schneider",
    "Fischer",
    "Ivanov",
    "Petrov",
    "Smith",
    "Johnson",
    "Hassan",
    "Khan",
];

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or("")
}

fn brand(rng: &mut StdRng) -> String {
    let mut b = format!("{}{}", pick(rng, PINYIN), pick(rng, PINYIN));
    b[..1].make_ascii_uppercase();
    b
}

fn party_name(rng: &mut StdRng, listed: &[(String, bool)]) -> (String, NameKind) {
    let company = NameKind::Organisation;
    match rng.gen_range(0..1000) {
        0..=4 => {
            // A listed name, lightly re-spelt.
            let (name, person) = &listed[rng.gen_range(0..listed.len())];
            let kind = if *person { NameKind::Person } else { company };
            (name.replace(',', "").to_lowercase(), kind)
        }
        5..=399 => {
            let name = format!(
                "{} {} {} {}",
                pick(rng, CN_PLACES),
                brand(rng),
                pick(rng, INDUSTRIES),
                pick(rng, CN_FORMS)
            );
            (name, company)
        }
        400..=519 => (
            format!(
                "{} {} {} {}",
                pick(rng, IN_WORDS),
                pick(rng, IN_WORDS),
                pick(rng, INDUSTRIES),
                pick(rng, IN_FORMS)
            ),
            company,
        ),
        520..=619 => (
            format!(
                "{} {} {} {}",
                pick(rng, MX_WORDS),
                pick(rng, MX_WORDS),
                pick(rng, MX_WORDS),
                pick(rng, MX_FORMS)
            ),
            company,
        ),
        620..=679 => (
            format!(
                "{} {} {} A.S.",
                pick(rng, TR_WORDS),
                pick(rng, TR_WORDS),
                pick(rng, TR_WORDS)
            ),
            company,
        ),
        680..=729 => (
            format!("{} {} GmbH", pick(rng, DE_WORDS), pick(rng, DE_WORDS)),
            company,
        ),
        730..=779 => (
            format!(
                "OOO {}{}",
                pick(rng, RU_WORDS),
                pick(rng, RU_WORDS).to_lowercase()
            ),
            company,
        ),
        780..=859 => (
            format!(
                "{} {} {} Inc.",
                pick(rng, US_WORDS),
                pick(rng, US_WORDS),
                pick(rng, INDUSTRIES)
            ),
            company,
        ),
        _ => (
            format!(
                "{} {} {}",
                pick(rng, GIVEN),
                pick(rng, GIVEN),
                pick(rng, FAMILY)
            ),
            NameKind::Person,
        ),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let count: usize = arg("--names")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let threads: usize = arg("--threads")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2);
    let seed: u64 = arg("--seed").map(|s| s.parse()).transpose()?.unwrap_or(7);
    let dir = arg("--list").unwrap_or_else(|| "reference/ofac".into());

    let open = |f: &str| File::open(format!("{dir}/{f}"));
    let started = Instant::now();
    let before = Heap::live();
    let list = parse_sdn(open("sdn.csv")?, open("alt.csv")?, open("add.csv")?)?;
    let parsed = started.elapsed().as_secs_f64();
    let list_bytes = Heap::live() - before;
    let listed: Vec<(String, bool)> = list
        .entries
        .iter()
        .flat_map(|e| {
            e.names()
                .map(move |(n, _)| (n.to_owned(), e.kind == EntryKind::Individual))
        })
        .collect();
    let before_index = Heap::live();
    Heap::reset_peak();
    let index = ScreeningIndex::new(list);
    let built = started.elapsed().as_secs_f64() - parsed;
    println!(
        "list: {} names, parsed in {parsed:.2} s, indexed in {built:.2} s",
        listed.len()
    );
    let mib = |bytes: usize| bytes as f64 / (1 << 20) as f64;
    println!(
        "heap: the parsed list {:.1} MiB; the index (list included) {:.1} MiB; peak while indexing {:.1} MiB above the list",
        mib(list_bytes),
        mib(list_bytes + Heap::live() - before_index),
        mib(Heap::peak() - before_index),
    );

    let mut rng = StdRng::seed_from_u64(seed);
    let queries: Vec<PartyFacts> = (0..count)
        .map(|_| {
            let (name, kind) = party_name(&mut rng, &listed);
            PartyFacts {
                kind: Some(kind),
                names: vec![name],
                ..PartyFacts::default()
            }
        })
        .collect();

    let show: usize = arg("--show").map(|s| s.parse()).transpose()?.unwrap_or(0);
    for query in queries.iter().take(show * 50) {
        if let Some(hit) = index.screen(query).first() {
            println!(
                "  {:?} → {} ({:.2}): {}",
                query.names[0],
                hit.listed_name,
                hit.score,
                hit.signals
                    .iter()
                    .map(|s| s.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }

    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let chunk = count.div_ceil(threads.max(1));
    let hits: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = queries
            .chunks(chunk.max(1))
            .map(|part| scope.spawn(|| part.iter().filter(|q| !index.screen(q).is_empty()).count()))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    println!(
        "screened {count} names on {threads} threads in {seconds:.2} s: {:.0} names/s; {hits} with a hit ({:.2} %)",
        count as f64 / seconds,
        100.0 * hits as f64 / count as f64
    );
    if let Some(cpu) = cpu {
        // CPU time does not depend on what else runs on the machine.
        println!(
            "CPU time {cpu:.1} s ({:.1} µs a name); load average at the end: {}",
            1e6 * cpu / count as f64,
            load_average()
        );
    }
    println!(
        "target: 1,000,000 names in ≤ 60 s ({})",
        if count >= 1_000_000 && seconds <= 60.0 {
            "met"
        } else if count >= 1_000_000 {
            "MISSED"
        } else {
            "not measured at 1,000,000"
        }
    );
    Ok(())
}

/// User and system time of this process so far, from /proc (Linux; clock
/// ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The system allocator, counting the bytes live and their peak.
struct Heap;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Heap {
    fn live() -> usize {
        LIVE.load(Ordering::Relaxed)
    }

    fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    fn reset_peak() {
        PEAK.store(Self::live(), Ordering::Relaxed);
    }

    fn grew(by: usize) {
        let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(live, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::grew(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            Self::grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static HEAP: Heap = Heap;
