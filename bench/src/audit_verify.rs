//! Audit verification at scale: writes a valid chain of 1,000,000 entries
//! (with a signed checkpoint every 10,000) into a fresh database, then
//! times a full check and a check from the last checkpoint. Target: the
//! full check of 1,000,000 entries in under 5 s.
//!
//! Usage: audit-verify-bench sqlite://PATH | postgres://…/DB [entries]

use diesel::connection::SimpleConnection;
use interdict_domain::audit::{
    AuditAction, AuditEvent, ChainedEntry, Checkpoint, Outcome, RecordVerb, GENESIS,
};
use interdict_domain::record::RecordKind;
use interdict_persistence::audit::{self, VerifyMode};
use interdict_persistence::{DatabaseUrl, Db, DbConnection};
use std::time::Instant;
use uuid::Uuid;

const KEY: &[u8] = b"benchmark-audit-key-0123456789abcdef";
const EVERY: i64 = 10_000;
const BATCH: usize = 1_000;

fn literal(conn: &DbConnection, bytes: &[u8]) -> String {
    match conn {
        DbConnection::Postgres(_) => format!("decode('{}', 'hex')", hex::encode(bytes)),
        DbConnection::Sqlite(_) => format!("X'{}'", hex::encode(bytes)),
    }
}

fn text(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or("NULL".into(), |v| format!("'{}'", v.replace('\'', "''")))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: audit-verify-bench sqlite://PATH | postgres://…/DB [entries]");
        std::process::exit(2);
    };
    let total: i64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let url = DatabaseUrl::parse(&url).unwrap_or_else(|e| {
        eprintln!("audit-verify-bench: {e}");
        std::process::exit(2)
    });
    let db = Db::connect(&url, interdict_persistence::PoolOptions::sized(2)).unwrap_or_else(|e| {
        eprintln!("audit-verify-bench: {e}");
        std::process::exit(1)
    });
    let Ok(mut conn) = db.get() else {
        eprintln!("audit-verify-bench: no connection");
        std::process::exit(1);
    };
    let started = Instant::now();
    let unlock = match &**conn {
        DbConnection::Postgres(_) => "ALTER TABLE audit_entries DISABLE TRIGGER USER;",
        DbConnection::Sqlite(_) => "PRAGMA synchronous = OFF;",
    };
    conn.batch_execute(unlock).unwrap_or_else(|e| panic!("{e}"));
    let user = Uuid::now_v7();
    let mut prev = GENESIS;
    let mut seq = 0i64;
    let mut checkpoints = Vec::new();
    while seq < total {
        let mut values = Vec::with_capacity(BATCH);
        for _ in 0..BATCH.min((total - seq) as usize) {
            seq += 1;
            let kind = if seq % 3 == 0 {
                RecordKind::Shipment
            } else {
                RecordKind::Party
            };
            let mut event = AuditEvent::now(AuditAction::Record(kind, RecordVerb::Read));
            event.user_id = Some(user);
            event.agency_id = Some(user);
            event.role = Some("investigator".into());
            event.object_type = Some("shipment".into());
            event.object_id = Some(Uuid::now_v7().to_string());
            event.request_id = Some(Uuid::now_v7().to_string());
            event.source = Some("127.0.0.1".into());
            event.outcome = Outcome::Allowed;
            let entry = ChainedEntry::chain(seq, event, prev);
            prev = entry.hash;
            if seq % EVERY == 0 {
                checkpoints.push(Checkpoint::sign(KEY, seq, entry.hash, chrono::Utc::now()));
            }
            let e = &entry.event;
            let uuid = |u: Option<Uuid>| u.map_or("NULL".into(), |u| format!("'{u}'"));
            values.push(format!(
                "({}, '{}', {}, {}, {}, '{}', {}, {}, '{}', {}, {}, NULL, {}, {})",
                entry.seq,
                e.occurred_at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f"),
                uuid(e.user_id),
                uuid(e.agency_id),
                text(&e.role),
                e.action,
                text(&e.object_type),
                text(&e.object_id),
                e.outcome.as_str(),
                text(&e.request_id),
                text(&e.source),
                literal(&conn, &entry.prev_hash),
                literal(&conn, &entry.hash),
            ));
        }
        let sql = format!(
            "INSERT INTO audit_entries (seq, occurred_at, user_id, agency_id, role, action, object_type, object_id, outcome, request_id, source, detail, prev_hash, hash) VALUES {};",
            values.join(",")
        );
        conn.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("insert failed: {e}"));
    }
    for c in &checkpoints {
        let sql = format!(
            "INSERT INTO audit_checkpoints (seq, head_hash, created_at, signature) VALUES ({}, {}, '{}', {});",
            c.seq,
            literal(&conn, &c.hash),
            c.at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f"),
            literal(&conn, &c.signature)
        );
        conn.batch_execute(&sql).unwrap_or_else(|e| panic!("{e}"));
    }
    let head = format!(
        "UPDATE audit_head SET seq = {seq}, hash = {} WHERE id = 1;",
        literal(&conn, &prev)
    );
    conn.batch_execute(&head).unwrap_or_else(|e| panic!("{e}"));
    if let DbConnection::Postgres(_) = &**conn {
        conn.batch_execute("ALTER TABLE audit_entries ENABLE TRIGGER USER; ANALYZE audit_entries;")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    println!(
        "wrote {seq} chained entries and {} checkpoints into {} in {:.1} s",
        checkpoints.len(),
        url.redacted(),
        started.elapsed().as_secs_f64()
    );
    println!("| check | entries | time | target |");
    println!("|---|---:|---:|---|");
    for (name, mode, target) in [
        ("full", VerifyMode::Full, "< 5 s for 1,000,000"),
        ("since last checkpoint", VerifyMode::SinceCheckpoint, "—"),
    ] {
        let t = Instant::now();
        let report = audit::verify(&mut conn, KEY, mode).unwrap_or_else(|e| panic!("{e}"));
        let elapsed = t.elapsed();
        assert!(report.is_ok(), "{report:?}");
        println!(
            "| {name} | {seq} | {:.2} s | {target} |",
            elapsed.as_secs_f64()
        );
    }
}
