//! Writes a courier manifest CSV of N lines for import benchmarks and
//! trials: deterministic, with consignors that recur, and every 500th
//! line broken in one cell so the rejection report has work to do. The
//! carriers' advance data is filled in with the reuse investigators see:
//! one phone and e-mail behind several consignee company names, shipper
//! accounts shared by a few consignors. One line in twenty carries a
//! catalogue chemical (a third of them diluted) with DEA details filed in
//! time, late, not at all, or not recorded; one in two hundred carries
//! pills, most of them lab-confirmed fentanyl under a legitimate imprint.
//! These are decided from the line number, so the other columns are as
//! they were for the same seed.
//!
//! Usage: manifest-gen LINES [SEED] > manifest.csv

use interdict_app::demo::Rng;
use interdict_domain::manifest::COLUMNS;
use std::io::{BufWriter, Write};

const ORIGINS: &[&str] = &["CNSZX", "CNSHA", "CN", "INBOM", "HK", "CNCAN"];
const DESTINATIONS: &[&str] = &["US-TX", "US-CA", "US-AZ", "USMIA", "US-NY", "US-IL"];
/// Catalogue chemicals (CAS number, unit, quantity), solvents most often.
const CHEMICALS: &[(&str, &str, u64)] = &[
    ("108-24-7", "L", 200),
    ("108-24-7", "kg", 400),
    ("7722-64-7", "kg", 50),
    ("103-82-2", "kg", 25),
    ("23056-29-3", "kg", 2),
    ("41661-47-6", "kg", 5),
    ("79099-07-3", "g", 500),
    ("39742-60-4", "kg", 1),
];
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
                "1Z{seed:02}{n:014},{carrier},air_express,\"Shenzhen Trading {consignor} Co., Ltd.\",\"{consignor} Industrial Road, Shenzhen\",{country},\"Desert Supply {consignee} LLC\",\"{consignee} Main St, Phoenix\",US,{description},2933.39,{weight},{value}.00,USD,{origin},{destination},2026-{month:02}-{day:02},,{pieces},,,+86 755 {shenzhen},sales{consignor}@trading.example,+1 602 {phone:03} {line:04},buyer{buyer}@mail.example,ACCT{account:06},,,{goods}",
                goods = goods(n, month, day),
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

/// The chemical, product and DEA cells of line `n`, shipped on 2026-`month`-`day`
/// and released on arrival four days later.
fn goods(n: u64, month: u64, day: u64) -> String {
    let mut cells = vec![String::new(); 14];
    if n % 20 == 3 {
        let (cas, unit, amount) = CHEMICALS[(n / 20 % CHEMICALS.len() as u64) as usize];
        cells[0] = cas.into();
        cells[1] = (amount + n % 7).to_string();
        cells[2] = unit.into();
        if n.is_multiple_of(3) {
            // A solution by volume is declared w/v, a solid mixture w/w.
            let basis = if unit == "L" { "w/v" } else { "w/w" };
            cells[3] = format!("{}% {basis}", 20 + n % 79);
        }
        let shipped = chrono::NaiveDate::from_ymd_opt(2026, month as u32, day as u32);
        if let Some(released) = shipped.map(|d| d + chrono::Days::new(4)) {
            let filed = |days_before: u64| (released - chrono::Days::new(days_before)).to_string();
            // In time (15 days before release: 21 CFR 1313.12), late, not
            // filed, or no DEA details at all.
            match n / 20 % 4 {
                0 => cells[10..13].clone_from_slice(&[
                    "486".into(),
                    format!("DEA-486-{n:08}"),
                    filed(20),
                ]),
                1 => cells[10..13].clone_from_slice(&[
                    "486".into(),
                    format!("DEA-486-{n:08}"),
                    filed(5),
                ]),
                _ => {}
            }
            if n / 20 % 4 != 3 {
                cells[13] = released.to_string();
            }
        }
    }
    if n % 200 == 7 {
        cells[4] = "tablet".into();
        cells[5] = (500 + n % 9_500).to_string();
        cells[6] = ["M 30", "A215", "K 8"][(n / 200 % 3) as usize].into();
        if !n.is_multiple_of(3) {
            cells[7] = "fentanyl".into();
            cells[8] = format!("{:.1}", (5 + n % 40) as f64 / 10.0);
        }
    }
    cells.join(",")
}
