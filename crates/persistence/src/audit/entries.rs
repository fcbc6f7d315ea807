//! Stored audit entries: conversion, search and chain verification.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Binary, HasSqlType};
use interdict_domain::audit::{
    content_digest, AuditAction, AuditEvent, ChainVerifier, ChainedEntry, Checkpoint, Hash,
    Outcome, ProofLink, VerifyReport,
};
use interdict_domain::policy::AuditScope;
use uuid::Uuid;

use crate::native::native;
use crate::schema::{audit_checkpoints, audit_entries, audit_head};
use crate::{DbConnection, DbUuid, Error, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_entries, treat_none_as_default_value = false)]
pub(crate) struct AuditRow {
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    pub user_id: Option<DbUuid>,
    pub agency_id: Option<DbUuid>,
    pub role: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub source: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl From<&ChainedEntry> for AuditRow {
    fn from(entry: &ChainedEntry) -> Self {
        let e = &entry.event;
        Self {
            seq: entry.seq,
            occurred_at: e.occurred_at.naive_utc(),
            user_id: e.user_id.map(DbUuid),
            agency_id: e.agency_id.map(DbUuid),
            role: e.role.clone(),
            action: e.action.as_str().to_owned(),
            object_type: e.object_type.clone(),
            object_id: e.object_id.clone(),
            outcome: e.outcome.as_str().to_owned(),
            request_id: e.request_id.clone(),
            source: e.source.clone(),
            detail: e.detail.clone(),
            prev_hash: entry.prev_hash.to_vec(),
            hash: entry.hash.to_vec(),
        }
    }
}

fn to_hash(bytes: &[u8]) -> Hash {
    // A stored hash of the wrong length cannot match any real hash; map it
    // to a value that fails verification rather than failing to load.
    bytes.try_into().unwrap_or([0xff; 32])
}

/// An entry as stored. An action or outcome the program never writes can
/// only come from tampering (or a newer version): it is an error, never
/// read as some other action.
impl TryFrom<AuditRow> for ChainedEntry {
    type Error = Error;

    fn try_from(row: AuditRow) -> Result<Self> {
        let unreadable = |what: &str, value: &str| {
            Error::unreadable(format!("audit entry {} has {what} `{value}`", row.seq))
        };
        let action: AuditAction = row
            .action
            .parse()
            .map_err(|_| unreadable("action", &row.action))?;
        let outcome: Outcome = row
            .outcome
            .parse()
            .map_err(|_| unreadable("outcome", &row.outcome))?;
        Ok(Self {
            seq: row.seq,
            event: AuditEvent {
                occurred_at: Utc.from_utc_datetime(&row.occurred_at),
                user_id: row.user_id.map(Uuid::from),
                agency_id: row.agency_id.map(Uuid::from),
                role: row.role,
                action,
                object_type: row.object_type,
                object_id: row.object_id,
                outcome,
                request_id: row.request_id,
                source: row.source,
                detail: row.detail,
            },
            prev_hash: to_hash(&row.prev_hash),
            hash: to_hash(&row.hash),
        })
    }
}

/// The last sequence number and hash the writers recorded.
pub fn head(conn: &mut DbConnection) -> Result<(i64, Hash)> {
    let (seq, hash) = audit_head::table
        .find(1i16)
        .select((audit_head::seq, audit_head::hash))
        .get_result::<(i64, Vec<u8>)>(conn)?;
    Ok((seq, to_hash(&hash)))
}

/// Locks the chain's head row for the transaction and reads it, in one
/// statement: the write takes SQLite's write lock before any read, and
/// holds the row against other instances on PostgreSQL.
pub(crate) fn lock_head(conn: &mut DbConnection) -> Result<(i64, Hash)> {
    let (seq, hash): (i64, Vec<u8>) = native!(conn, |c| Head::Lock.get_result(c))?;
    Ok((seq, to_hash(&hash)))
}

/// Moves the chain's head to the last entry a batch wrote.
pub(crate) fn move_head(conn: &mut DbConnection, seq: i64, hash: &Hash) -> Result<()> {
    native!(conn, |c| Head::Move(seq, hash.to_vec()).execute(c))?;
    Ok(())
}

/// The two statements every audit batch makes on the head row. Written by
/// hand because diesel never caches an UPDATE: each batch had both parsed
/// and planned again. These texts are fixed, so each is prepared once per
/// connection.
enum Head {
    /// Lock the row and read it.
    Lock,
    /// Move it to (seq, hash).
    Move(i64, Vec<u8>),
}

impl QueryId for Head {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Head {
    type SqlType = (BigInt, Binary);
}

impl<Conn> RunQueryDsl<Conn> for Head {}

/// One text for both backends, whose bind markers diesel writes (`$n`, `?`).
impl<DB> QueryFragment<DB> for Head
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Binary>,
    i64: ToSql<BigInt, DB>,
    Vec<u8>: ToSql<Binary, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        match self {
            Head::Lock => {
                out.push_sql("UPDATE audit_head SET id = 1 WHERE id = 1 RETURNING seq, hash");
            }
            Head::Move(seq, hash) => {
                out.push_sql("UPDATE audit_head SET seq = ");
                out.push_bind_param::<BigInt, _>(seq)?;
                out.push_sql(", hash = ");
                out.push_bind_param::<Binary, _>(hash)?;
                out.push_sql(" WHERE id = 1");
            }
        }
        Ok(())
    }
}

const VERIFY_PAGE: i64 = 5_000;

pub(crate) fn insert_checkpoint(conn: &mut DbConnection, checkpoint: &Checkpoint) -> Result<()> {
    diesel::insert_into(audit_checkpoints::table)
        .values((
            audit_checkpoints::seq.eq(checkpoint.seq),
            audit_checkpoints::head_hash.eq(checkpoint.hash.to_vec()),
            audit_checkpoints::created_at.eq(checkpoint.at.naive_utc()),
            audit_checkpoints::signature.eq(checkpoint.signature.to_vec()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Checkpoints in ascending order.
pub fn checkpoints(conn: &mut DbConnection) -> Result<Vec<Checkpoint>> {
    let rows = audit_checkpoints::table
        .order(audit_checkpoints::seq.asc())
        .select((
            audit_checkpoints::seq,
            audit_checkpoints::head_hash,
            audit_checkpoints::created_at,
            audit_checkpoints::signature,
        ))
        .load::<(i64, Vec<u8>, NaiveDateTime, Vec<u8>)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, hash, at, signature)| Checkpoint {
            seq,
            hash: to_hash(&hash),
            at: Utc.from_utc_datetime(&at),
            signature: to_hash(&signature),
        })
        .collect())
}

/// How much of the chain to re-hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMode {
    /// Every entry from the first.
    Full,
    /// Only entries after the last checkpoint whose signature holds.
    SinceCheckpoint,
}

/// Re-hashes the chain in pages, in constant memory, and checks every
/// checkpoint's signature and its place in the chain.
pub fn verify(conn: &mut DbConnection, key: &[u8], mode: VerifyMode) -> Result<VerifyReport> {
    let head = head(conn)?;
    let checkpoints = checkpoints(conn)?;
    if let Some(bad) = checkpoints.iter().find(|c| !c.is_valid(key)) {
        return Ok(VerifyReport::Broken {
            ok: false,
            first_bad_seq: bad.seq,
            reason: "a checkpoint's signature does not verify with the audit key".into(),
        });
    }
    let start = match mode {
        VerifyMode::Full => None,
        VerifyMode::SinceCheckpoint => checkpoints.last().cloned(),
    };
    let mut verifier = match &start {
        Some(checkpoint) => {
            // The checkpointed entry itself must still carry the signed hash.
            let stored: Option<Vec<u8>> = audit_entries::table
                .find(checkpoint.seq)
                .select(audit_entries::hash)
                .get_result(conn)
                .optional()?;
            let mut verifier = ChainVerifier::after(checkpoint);
            if stored.map(|h| to_hash(&h)) != Some(checkpoint.hash) {
                verifier.fail(
                    checkpoint.seq,
                    "the entry at a checkpoint no longer matches the signed hash",
                );
            }
            verifier
        }
        None => ChainVerifier::new(),
    };
    let mut pending = checkpoints
        .iter()
        .filter(|c| start.as_ref().is_none_or(|s| c.seq > s.seq))
        .peekable();
    let mut after = start.as_ref().map_or(0, |c| c.seq);
    'pages: loop {
        let page: Vec<AuditRow> = audit_entries::table
            .filter(audit_entries::seq.gt(after))
            .order(audit_entries::seq.asc())
            .limit(VERIFY_PAGE)
            .select(AuditRow::as_select())
            .load(conn)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let full_page = page.len() as i64 == VERIFY_PAGE;
        for row in page {
            let seq = row.seq;
            let entry = match ChainedEntry::try_from(row) {
                Ok(entry) => entry,
                Err(unreadable) => {
                    verifier.fail(seq, unreadable.to_string());
                    break 'pages;
                }
            };
            if !verifier.feed(&entry) {
                break 'pages;
            }
            let (seq, hash) = verifier.position();
            while let Some(checkpoint) = pending.next_if(|c| c.seq <= seq) {
                if checkpoint.seq == seq && checkpoint.hash != hash {
                    verifier.fail(seq, "the chain does not match the signed checkpoint here");
                    break 'pages;
                }
            }
        }
        if !full_page {
            break;
        }
    }
    let report = verifier.finish(Some(head));
    Ok(match (report, start) {
        (VerifyReport::Intact { ok, entries, .. }, Some(checkpoint)) => VerifyReport::Intact {
            ok,
            entries,
            from_checkpoint: Some(checkpoint.seq),
        },
        (report, _) => report,
    })
}

/// Search criteria; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<Uuid>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Keyset cursor: only entries with a lower sequence number.
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// Entries in the caller's scope, newest first.
pub fn search(
    conn: &mut DbConnection,
    scope: AuditScope,
    filter: &AuditFilter,
) -> Result<Vec<ChainedEntry>> {
    let mut query = audit_entries::table
        .select(AuditRow::as_select())
        .order(audit_entries::seq.desc())
        .limit(filter.limit)
        .into_boxed();
    match scope {
        AuditScope::Nothing => return Ok(Vec::new()),
        AuditScope::Agency(agency) => {
            query = query.filter(audit_entries::agency_id.eq(DbUuid(agency)))
        }
        AuditScope::Everything => {}
    }
    if let Some(user) = filter.user_id {
        query = query.filter(audit_entries::user_id.eq(DbUuid(user)));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_entries::action.eq(action.clone()));
    }
    if let Some(object_type) = &filter.object_type {
        query = query.filter(audit_entries::object_type.eq(object_type.clone()));
    }
    if let Some(object_id) = &filter.object_id {
        query = query.filter(audit_entries::object_id.eq(object_id.clone()));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(audit_entries::outcome.eq(outcome.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_entries::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_entries::occurred_at.lt(to));
    }
    if let Some(before) = filter.before_seq {
        query = query.filter(audit_entries::seq.lt(before));
    }
    query
        .load::<AuditRow>(conn)?
        .into_iter()
        .map(ChainedEntry::try_from)
        .collect()
}

/// An entry, the links from it to the first checkpoint at or after it, and
/// that checkpoint (`None` when none covers the entry yet).
pub struct Proof {
    pub entry: ChainedEntry,
    pub links: Vec<ProofLink>,
    pub checkpoint: Option<Checkpoint>,
}

pub fn proof(conn: &mut DbConnection, seq: i64) -> Result<Option<Proof>> {
    let Some(entry) = audit_entries::table
        .find(seq)
        .select(AuditRow::as_select())
        .get_result::<AuditRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let checkpoint = checkpoints(conn)?.into_iter().find(|c| c.seq >= seq);
    let links = match &checkpoint {
        None => Vec::new(),
        Some(checkpoint) => audit_entries::table
            .filter(audit_entries::seq.gt(seq))
            .filter(audit_entries::seq.le(checkpoint.seq))
            .order(audit_entries::seq.asc())
            .select(AuditRow::as_select())
            .load::<AuditRow>(conn)?
            .into_iter()
            .map(|row| {
                let entry = ChainedEntry::try_from(row)?;
                Ok(ProofLink {
                    seq: entry.seq,
                    prev_hash: entry.prev_hash,
                    digest: content_digest(&entry.event),
                    hash: entry.hash,
                })
            })
            .collect::<Result<_>>()?,
    };
    Ok(Some(Proof {
        entry: ChainedEntry::try_from(entry)?,
        links,
        checkpoint,
    }))
}
