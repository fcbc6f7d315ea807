//! Party matching's tables: the blocking index (`party_match_keys`: the
//! keys each party is filed under, written with its other index rows in
//! `records::index`) and investigators' judgements on pairs of parties
//! (`party_judgements`).
//!
//! Finding the candidates for one party reads the postings of its keys,
//! each cut at a cap: a key shared by more parties than that (a common
//! word's sound) says nothing and is skipped, so one lookup never reads
//! more than `keys × cap` rows, however many parties there are.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

use crate::bulk_insert::insert_rows;
use crate::records::RecordRow;
use crate::schema::{party_judgements as j, party_match_keys as k, records};
use crate::{DbConnection, DbUuid, Result, CHUNK};

/// Parties filed under at least one of `keys` (other than `exclude`), each
/// with how many of the keys it shares, most shared first, at most
/// `limit`. Keys with more than `per_key` postings are skipped.
pub fn candidates(
    conn: &mut DbConnection,
    keys: &[String],
    exclude: &[Uuid],
    per_key: i64,
    limit: usize,
) -> Result<Vec<(Uuid, usize)>> {
    let mut shared: HashMap<Uuid, usize> = HashMap::new();
    for key in keys {
        let postings: Vec<DbUuid> = k::table
            .filter(k::match_key.eq(key))
            .select(k::party_id)
            .limit(per_key + 1)
            .load(conn)?;
        if postings.len() as i64 > per_key {
            continue;
        }
        for id in postings {
            *shared.entry(id.0).or_insert(0) += 1;
        }
    }
    for id in exclude {
        shared.remove(id);
    }
    let mut ranked: Vec<(Uuid, usize)> = shared.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(limit);
    Ok(ranked)
}

/// The party records among `ids`, whoever may see them: the caller decides
/// what to show of each.
pub fn parties(conn: &mut DbConnection, ids: &[Uuid]) -> Result<Vec<RecordRow>> {
    let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            records::table
                .filter(records::id.eq_any(chunk))
                .filter(records::kind.eq("party"))
                .select(RecordRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// Live parties not yet filed in the index (recorded before it existed),
/// at most `limit`, after `after`.
pub fn unfiled(
    conn: &mut DbConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, String)>> {
    let filed = k::table.select(k::party_id);
    let mut query = records::table
        .filter(records::kind.eq("party"))
        .filter(records::id.ne_all(filed))
        .order(records::id.asc())
        .limit(limit)
        .select((records::id, records::body))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(records::id.gt(DbUuid(after)));
    }
    Ok(query
        .load::<(DbUuid, String)>(conn)?
        .into_iter()
        .map(|(id, body)| (id.0, body))
        .collect())
}

/// Files parties under their keys (those already filed keep theirs).
pub fn file(conn: &mut DbConnection, filed: &[(Uuid, Vec<String>)]) -> Result<()> {
    let mut rows = Vec::new();
    for (party, keys) in filed {
        let keys: BTreeSet<&String> = keys.iter().collect();
        rows.extend(
            keys.into_iter()
                .map(|key| (k::match_key.eq(key.clone()), k::party_id.eq(DbUuid(*party)))),
        );
    }
    insert_rows!(conn, k::table, rows);
    Ok(())
}

/// Filing a great many parties at once into an empty blocking index, as
/// loading a large dataset does (the `party-candidates` benchmark files a
/// million parties under about fifty keys each). The rows go in with the
/// index's foreign key and secondary index set aside (on PostgreSQL its
/// primary key too), and those are built once by [`BulkFiling::finish`],
/// a sort, instead of tens of millions of inserts at random places of two
/// B-trees. SQLite keeps its primary key (a table's primary key cannot be
/// dropped there): rows given to it in key order append to it.
///
/// Between [`BulkFiling::begin`] and [`BulkFiling::finish`] the index
/// answers without its party index; nothing else should use the database.
/// Neither runs inside a transaction (PostgreSQL's `VACUUM` cannot).
pub struct BulkFiling {
    filed: u64,
}

/// Rows a SQLite statement inserts at once (two variables a row).
const SQLITE_ROWS: usize = 4096;

impl BulkFiling {
    pub fn begin(conn: &mut DbConnection) -> Result<Self> {
        match conn {
            // A loading connection's cache may grow (the server's are held
            // to a few megabytes); the index is sorted in files, not memory.
            DbConnection::Sqlite(c) => c.batch_execute(
                "PRAGMA synchronous = OFF;
                 PRAGMA soft_heap_limit = 0;
                 PRAGMA cache_size = -1048576;
                 PRAGMA temp_store = FILE;
                 DROP INDEX party_match_keys_party;",
            )?,
            DbConnection::Postgres(c) => c.batch_execute(
                "ALTER TABLE party_match_keys DROP CONSTRAINT party_match_keys_party_id_fkey;
                 ALTER TABLE party_match_keys DROP CONSTRAINT party_match_keys_pkey;
                 DROP INDEX party_match_keys_party;",
            )?,
        }
        Ok(Self { filed: 0 })
    }

    /// Files parties under keys: `(key, party)` rows, each pair once over
    /// the whole load. On SQLite, rows in key order go fastest.
    pub fn add(&mut self, conn: &mut DbConnection, rows: &[(String, Uuid)]) -> Result<()> {
        match conn {
            DbConnection::Sqlite(c) => {
                c.transaction(|c| {
                    for chunk in rows.chunks(SQLITE_ROWS) {
                        let values: Vec<_> = chunk
                            .iter()
                            .map(|(key, party)| {
                                (
                                    k::match_key.eq(key.as_str()),
                                    k::party_id.eq(DbUuid(*party)),
                                )
                            })
                            .collect();
                        diesel::insert_into(k::table).values(values).execute(c)?;
                    }
                    diesel::QueryResult::Ok(())
                })?;
            }
            DbConnection::Postgres(c) => {
                use diesel::pg::CopyFormat;
                use std::io::Write;
                // COPY's text format: a tab between columns, a backslash
                // before a tab, newline or backslash in a value.
                let mut data = Vec::with_capacity(rows.len() * 56);
                let mut buffer = Uuid::encode_buffer();
                for (key, party) in rows {
                    for b in key.bytes() {
                        match b {
                            b'\\' => data.extend_from_slice(b"\\\\"),
                            b'\t' => data.extend_from_slice(b"\\t"),
                            b'\n' => data.extend_from_slice(b"\\n"),
                            b'\r' => data.extend_from_slice(b"\\r"),
                            _ => data.push(b),
                        }
                    }
                    data.push(b'\t');
                    data.extend_from_slice(party.hyphenated().encode_lower(&mut buffer).as_bytes());
                    data.push(b'\n');
                }
                diesel::copy_from(k::table)
                    .from_raw_data(k::table, |out: &mut dyn Write| {
                        out.write_all(&data)
                            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
                    })
                    .with_format(CopyFormat::Text)
                    .execute(c)?;
            }
        }
        self.filed += rows.len() as u64;
        Ok(())
    }

    /// Builds what [`BulkFiling::begin`] set aside, checking every row
    /// against it, and has PostgreSQL vacuum and analyse the index as its
    /// autovacuum would after so many inserts. Returns the rows filed.
    pub fn finish(self, conn: &mut DbConnection) -> Result<u64> {
        match conn {
            // Then the connection is set back as `Db` opens it, so what
            // is measured next reads through a server's cache.
            DbConnection::Sqlite(c) => c.batch_execute(&format!(
                "CREATE INDEX party_match_keys_party ON party_match_keys (party_id);
                 {}",
                crate::db::sqlite_tuning()
            ))?,
            DbConnection::Postgres(c) => {
                c.batch_execute(
                    "SET maintenance_work_mem = '512MB';
                     ALTER TABLE party_match_keys
                         ADD CONSTRAINT party_match_keys_pkey PRIMARY KEY (match_key, party_id);
                     CREATE INDEX party_match_keys_party ON party_match_keys (party_id);
                     ALTER TABLE party_match_keys ADD CONSTRAINT party_match_keys_party_id_fkey
                         FOREIGN KEY (party_id) REFERENCES records (id);
                     RESET maintenance_work_mem;",
                )?;
                c.batch_execute("VACUUM (ANALYZE) party_match_keys")?;
                c.batch_execute("ANALYZE records")?;
            }
        }
        Ok(self.filed)
    }
}

/// One judgement on a pair of parties.
#[derive(Debug, Clone, Queryable)]
pub struct JudgementRow {
    pub party_a: DbUuid,
    pub party_b: DbUuid,
    pub decision: String,
    pub note: String,
    pub judged_by: DbUuid,
    pub judged_at: NaiveDateTime,
}

impl JudgementRow {
    /// The other party of the pair, seen from `party`.
    pub fn other(&self, party: Uuid) -> Uuid {
        if self.party_a.0 == party {
            self.party_b.0
        } else {
            self.party_a.0
        }
    }
}

fn ordered(a: Uuid, b: Uuid) -> (DbUuid, DbUuid) {
    if a < b {
        (DbUuid(a), DbUuid(b))
    } else {
        (DbUuid(b), DbUuid(a))
    }
}

/// Records a judgement on the pair, replacing any earlier one.
pub fn judge(
    conn: &mut DbConnection,
    a: Uuid,
    b: Uuid,
    decision: &str,
    note: &str,
    by: Uuid,
    at: NaiveDateTime,
) -> Result<()> {
    let (a, b) = ordered(a, b);
    diesel::delete(j::table.find((a, b))).execute(conn)?;
    diesel::insert_into(j::table)
        .values((
            j::party_a.eq(a),
            j::party_b.eq(b),
            j::decision.eq(decision),
            j::note.eq(note),
            j::judged_by.eq(DbUuid(by)),
            j::judged_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every judgement naming one of `parties`.
pub fn judgements_of(conn: &mut DbConnection, parties: &[Uuid]) -> Result<Vec<JudgementRow>> {
    let ids: Vec<DbUuid> = parties.iter().copied().map(DbUuid).collect();
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK / 2) {
        rows.extend(
            j::table
                .filter(j::party_a.eq_any(chunk).or(j::party_b.eq_any(chunk)))
                .select((
                    j::party_a,
                    j::party_b,
                    j::decision,
                    j::note,
                    j::judged_by,
                    j::judged_at,
                ))
                .load::<JudgementRow>(conn)?,
        );
    }
    Ok(rows)
}

/// The profile of `party`: it and every party joined to it by judgements
/// of `same`, directly or through others, at most `cap` of them.
pub fn profile(conn: &mut DbConnection, party: Uuid, cap: usize) -> Result<Vec<Uuid>> {
    let mut members: BTreeSet<Uuid> = BTreeSet::from([party]);
    let mut frontier = vec![party];
    while !frontier.is_empty() && members.len() < cap {
        let rows = judgements_of(conn, &frontier)?;
        frontier = Vec::new();
        for row in rows.iter().filter(|r| r.decision == "same") {
            for id in [row.party_a.0, row.party_b.0] {
                if members.len() < cap && members.insert(id) {
                    frontier.push(id);
                }
            }
        }
    }
    Ok(members.into_iter().collect())
}
