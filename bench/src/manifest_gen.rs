//! Writes a courier manifest CSV of N lines for import benchmarks and
//! trials: deterministic, with consignors that recur, and every 500th
//! line broken in one cell so the rejection report has work to do. The
//! carriers' advance data is filled in with the reuse investigators see:
//! one phone and e-mail behind several consignee company names, shipper
//! accounts shared by a few consignors.
//!
//! Usage: manifest-gen LINES [SEED] > manifest.csv

use interdict_app::demo::Rng;
use interdict_domain::manifest::COLUMNS;
use std::io::{BufWriter, Write};

const ORIGINS: &[&str] = &["CNSZX", "CNSHA", "CN", "INBOM", "HK", "CNCAN"];
const DESTINATIONS: &[&str] = &["US-TX", "US-CA", "US-AZ", "USMIA", "US-NY", "US-IL"];
const DESCRIPTIONS: &[&str] = &[
    "pharmaceutical excipient",
    "industrial dye intermediate",
    "machine parts",
    "hair care raw material",
    "laboratory reagent",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(lines) = args.next().and_then(|n| n.parse::<u64>().ok()) else {
        eprintln!("usage: manifest-gen LINES [SEED]");
        std::process::exit(2);
    };
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = Rng::new(seed);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let consignors = (lines / 40).max(10);
    let consignees = (lines / 20).max(10);
    let result = (|| -> std::io::Result<()> {
        writeln!(out, "{}", COLUMNS.join(","))?;
        for n in 0..lines {
            let consignor = rng.below(consignors);
            let consignee = rng.below(consignees);
            let day = 1 + rng.below(28);
            let month = 1 + rng.below(12);
            let broken = n % 500 == 499;
            // A buyer behind every seventh consignee name: the same phone
            // and e-mail under different companies.
            let buyer = consignee / 7;
            writeln!(
                out,
                "1Z{seed:02}{n:014},{carrier},air_express,\"Shenzhen Trading {consignor} Co., Ltd.\",\"{consignor} Industrial Road, Shenzhen\",{country},\"Desert Supply {consignee} LLC\",\"{consignee} Main St, Phoenix\",US,{description},2933.39,{weight},{value}.00,USD,{origin},{destination},2026-{month:02}-{day:02},,{pieces},,,+86 755 {shenzhen},sales{consignor}@trading.example,+1 602 {phone:03} {line:04},buyer{buyer}@mail.example,ACCT{account:06},,",
                pieces = 1 + rng.below(6),
                phone = 200 + (buyer / 10_000) % 800,
                line = buyer % 10_000,
                account = consignor / 3,
                shenzhen = 80_000_000 + consignor % 10_000_000,
                carrier = if n % 2 == 0 { "DHL" } else { "UPS" },
                country = if broken { "ZZ" } else { "CN" },
                description = DESCRIPTIONS[rng.below(DESCRIPTIONS.len() as u64) as usize],
                weight = 1 + rng.below(40),
                value = 20 + rng.below(3000),
                origin = ORIGINS[rng.below(ORIGINS.len() as u64) as usize],
                destination = DESTINATIONS[rng.below(DESTINATIONS.len() as u64) as usize],
            )?;
        }
        out.flush()
    })();
    if let Err(e) = result {
        eprintln!("manifest-gen: {e}");
        std::process::exit(1);
    }
}
