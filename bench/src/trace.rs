//! Chain tracing at scale: loads 1,000,000 shipments and 1,000,000 links
//! into a fresh database, then times `chains::trace` from random shipments
//! at depth limits 4, 8 and 16. Prints the median and p99 next to the
//! target (depth ≤ 8: median ≤ 5 ms, p99 ≤ 20 ms).
//!
//! Usage: trace-bench sqlite://PATH | postgres://…/DB [shipments]
//! The database must be empty (a new SQLite file, a new PostgreSQL database).

use diesel::connection::SimpleConnection;
use interdict_domain::chain::Limits;
use interdict_persistence::{chains, DatabaseUrl, Db, DbConnection};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Shipments per chain: 16 hops linked one after the other.
const CHAIN: u64 = 17;
const SAMPLES: usize = 400;

fn id(n: u64) -> Uuid {
    Uuid::parse_str(&format!("00000000-0000-7000-b000-{n:012x}")).unwrap_or_default()
}

/// Generates the rows in the database itself, the fastest way on each.
fn load(conn: &mut DbConnection, shipments: u64) -> Result<(), String> {
    let chains = shipments / CHAIN;
    // Links: each hop to the next, plus one skip link per chain (a split
    // that rejoins), giving about one link per shipment.
    let sql = match conn {
        DbConnection::Postgres(_) => format!(
            "
INSERT INTO records (id, kind, owner_agency_id, scope_kind, version, body, search_text, created_at, updated_at)
SELECT ('00000000-0000-7000-b000-' || lpad(to_hex(n), 12, '0'))::uuid, 'shipment',
       (SELECT id FROM agencies WHERE is_system), 'all', 1, '{{}}', '', now(), now()
FROM generate_series(0, {last}) AS n;
INSERT INTO links (id, from_shipment_id, to_shipment_id, relation, evidence, owner_agency_id, created_by, created_at)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(n), 12, '0'))::uuid,
       ('00000000-0000-7000-b000-' || lpad(to_hex(n), 12, '0'))::uuid,
       ('00000000-0000-7000-b000-' || lpad(to_hex(n + 1), 12, '0'))::uuid,
       'transshipment', 'bench', (SELECT id FROM agencies WHERE is_system), (SELECT id FROM agencies WHERE is_system), now()
FROM generate_series(0, {last}) AS n WHERE n % {chain} <> {chain} - 1;
INSERT INTO links (id, from_shipment_id, to_shipment_id, relation, evidence, owner_agency_id, created_by, created_at)
SELECT ('00000000-0000-7000-a000-' || lpad(to_hex(c), 12, '0'))::uuid,
       ('00000000-0000-7000-b000-' || lpad(to_hex(c * {chain} + 3), 12, '0'))::uuid,
       ('00000000-0000-7000-b000-' || lpad(to_hex(c * {chain} + 9), 12, '0'))::uuid,
       'same_goods', 'bench', (SELECT id FROM agencies WHERE is_system), (SELECT id FROM agencies WHERE is_system), now()
FROM generate_series(0, {chains_last}) AS c;
ANALYZE records; ANALYZE links;",
            last = chains * CHAIN - 1,
            chain = CHAIN,
            chains_last = chains - 1,
        ),
        DbConnection::Sqlite(_) => format!(
            "
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {last})
INSERT INTO records (id, kind, owner_agency_id, scope_kind, version, body, search_text, created_at, updated_at)
SELECT printf('00000000-0000-7000-b000-%012x', n), 'shipment', (SELECT id FROM agencies WHERE is_system),
       'all', 1, '{{}}', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM s;
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {last})
INSERT INTO links (id, from_shipment_id, to_shipment_id, relation, evidence, owner_agency_id, created_by, created_at)
SELECT printf('00000000-0000-7000-9000-%012x', n), printf('00000000-0000-7000-b000-%012x', n),
       printf('00000000-0000-7000-b000-%012x', n + 1), 'transshipment', 'bench',
       (SELECT id FROM agencies WHERE is_system), (SELECT id FROM agencies WHERE is_system), '2026-01-01 00:00:00'
FROM s WHERE n % {chain} <> {chain} - 1;
WITH RECURSIVE s(c) AS (SELECT 0 UNION ALL SELECT c + 1 FROM s WHERE c < {chains_last})
INSERT INTO links (id, from_shipment_id, to_shipment_id, relation, evidence, owner_agency_id, created_by, created_at)
SELECT printf('00000000-0000-7000-a000-%012x', c), printf('00000000-0000-7000-b000-%012x', c * {chain} + 3),
       printf('00000000-0000-7000-b000-%012x', c * {chain} + 9), 'same_goods', 'bench',
       (SELECT id FROM agencies WHERE is_system), (SELECT id FROM agencies WHERE is_system), '2026-01-01 00:00:00'
FROM s;
COMMIT;
ANALYZE;
PRAGMA synchronous = NORMAL;",
            last = chains * CHAIN - 1,
            chain = CHAIN,
            chains_last = chains - 1,
        ),
    };
    conn.batch_execute(&sql)
        .map_err(|e| format!("loading failed: {e}"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: trace-bench sqlite://PATH | postgres://…/DB [shipments]");
        std::process::exit(2);
    };
    let shipments: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let url = match DatabaseUrl::parse(&url) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("trace-bench: {e}");
            std::process::exit(2);
        }
    };
    let db = match Db::connect(&url, interdict_persistence::PoolOptions::sized(2)) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("trace-bench: {e}");
            std::process::exit(1);
        }
    };
    let Ok(mut conn) = db.get() else {
        eprintln!("trace-bench: no connection");
        std::process::exit(1);
    };
    let started = Instant::now();
    if let Err(e) = load(&mut conn, shipments) {
        eprintln!("trace-bench: {e}");
        std::process::exit(1);
    }
    let chains = shipments / CHAIN;
    println!(
        "loaded {} shipments and {} links into {} in {:.1} s",
        chains * CHAIN,
        chains * (CHAIN - 1) + chains,
        url.redacted(),
        started.elapsed().as_secs_f64()
    );
    // A fixed pseudo-random walk over start shipments, the same every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    println!("| depth limit | traces | median | p99 | target |");
    println!("|---:|---:|---:|---:|---|");
    for depth in [4u32, 8, 16] {
        let limits = Limits {
            max_depth: depth,
            ..Limits::default()
        };
        let mut timings = Vec::with_capacity(SAMPLES);
        let mut nodes = 0usize;
        for _ in 0..SAMPLES {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let start = id((state >> 11) % (chains * CHAIN));
            let t = Instant::now();
            match chains::trace(&mut conn, start, &limits) {
                Ok(trace) => nodes += trace.nodes.len(),
                Err(e) => {
                    eprintln!("trace-bench: trace failed: {e}");
                    std::process::exit(1);
                }
            }
            timings.push(t.elapsed());
        }
        timings.sort();
        let target = if depth <= 8 {
            "median ≤ 5 ms, p99 ≤ 20 ms"
        } else {
            "(no target)"
        };
        println!(
            "| {depth} | {SAMPLES} (avg {:.1} shipments) | {:.2} ms | {:.2} ms | {target} |",
            nodes as f64 / SAMPLES as f64,
            percentile(&timings, 0.5).as_secs_f64() * 1000.0,
            percentile(&timings, 0.99).as_secs_f64() * 1000.0,
        );
    }
}
