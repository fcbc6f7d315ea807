//! Manifest imports: their progress and counts, the rows they refused,
//! the keys that make re-running an import add nothing twice, and finding
//! the parties an agency already has under a name.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::bulk_insert::insert_rows;
use crate::schema::{import_keys, import_lines, import_rejections, imports, party_facts, records};
use crate::CHUNK;
use crate::{now, DbConnection, DbUuid, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports, treat_none_as_default_value = false)]
pub struct ImportRow {
    pub id: DbUuid,
    pub agency_id: DbUuid,
    pub user_id: Option<DbUuid>,
    pub file_name: String,
    /// `accepting`, `settling`, `completed` or `failed`.
    pub state: String,
    pub rows_read: i64,
    pub imported: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// Lines stored for settlement.
    pub accepted: i64,
    /// Accepted lines settled: written, found imported before, or refused.
    pub settled: i64,
    /// When acceptance ended.
    pub accepted_at: Option<NaiveDateTime>,
    /// While a command-line import is accepting, when acceptance started
    /// or last stored a batch: one silent for long was stopped, and is
    /// taken over by running the same file again ([`take_over_stopped`]).
    /// `None` for uploads.
    pub heartbeat_at: Option<NaiveDateTime>,
    /// A digest of the lines of the file read by the batches stored so
    /// far (command-line imports), which a run taking it over checks.
    pub read_digest: Option<String>,
}

impl ImportRow {
    /// An upload's import, starting.
    pub fn start(agency: Uuid, user: Uuid, file_name: &str) -> Self {
        Self {
            id: DbUuid(Uuid::now_v7()),
            agency_id: DbUuid(agency),
            user_id: Some(DbUuid(user)),
            file_name: file_name.to_owned(),
            state: "accepting".into(),
            rows_read: 0,
            imported: 0,
            duplicates: 0,
            rejected: 0,
            error: None,
            created_at: now(),
            finished_at: None,
            accepted: 0,
            settled: 0,
            accepted_at: None,
            heartbeat_at: None,
            read_digest: None,
        }
    }

    /// A command-line import, starting: one that a run of the same file
    /// can take over if it is stopped.
    pub fn start_file(agency: Uuid, user: Uuid, file_name: &str) -> Self {
        let mut row = Self::start(agency, user, file_name);
        row.heartbeat_at = Some(row.created_at);
        row
    }
}

pub fn insert(conn: &mut DbConnection, row: &ImportRow) -> Result<()> {
    diesel::insert_into(imports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<ImportRow>> {
    Ok(imports::table
        .find(DbUuid(id))
        .select(ImportRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Counts of one committed batch, added to the import's totals in the
/// batch's own transaction. Serialised as audit entries record them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    #[serde(rename = "rows")]
    pub rows_read: i64,
    pub accepted: i64,
    pub settled: i64,
    pub imported: i64,
    pub duplicates: i64,
    pub rejected: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.rows_read += other.rows_read;
        self.accepted += other.accepted;
        self.settled += other.settled;
        self.imported += other.imported;
        self.duplicates += other.duplicates;
        self.rejected += other.rejected;
    }
}

pub fn add_counts(conn: &mut DbConnection, id: Uuid, counts: Counts) -> Result<()> {
    diesel::update(imports::table.find(DbUuid(id)))
        .set((
            imports::rows_read.eq(imports::rows_read + counts.rows_read),
            imports::accepted.eq(imports::accepted + counts.accepted),
            imports::settled.eq(imports::settled + counts.settled),
            imports::imported.eq(imports::imported + counts.imported),
            imports::duplicates.eq(imports::duplicates + counts.duplicates),
            imports::rejected.eq(imports::rejected + counts.rejected),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest command-line import of `agency` from a file named
/// `file_name` still accepting, if any: running or stopped.
pub fn accepting(
    conn: &mut DbConnection,
    agency: Uuid,
    file_name: &str,
) -> Result<Option<ImportRow>> {
    Ok(imports::table
        .filter(imports::agency_id.eq(DbUuid(agency)))
        .filter(imports::file_name.eq(file_name))
        .filter(imports::state.eq("accepting"))
        .filter(imports::heartbeat_at.is_not_null())
        .order(imports::created_at.desc())
        .limit(1)
        .select(ImportRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Takes over the acceptance of `import` if it has stored nothing since
/// `stale_before` (its process was stopped), so that running the same file
/// again continues it: true if taken. Of two taking it over at once,
/// one is.
pub fn take_over_stopped(
    conn: &mut DbConnection,
    import: Uuid,
    stale_before: NaiveDateTime,
) -> Result<bool> {
    let taken = diesel::update(
        imports::table
            .find(DbUuid(import))
            .filter(imports::state.eq("accepting"))
            .filter(imports::heartbeat_at.lt(stale_before)),
    )
    .set(imports::heartbeat_at.eq(Some(now())))
    .execute(conn)?;
    Ok(taken > 0)
}

/// Ends acceptance: the import is `settling` (its lines wait for the
/// settlers), or `failed` with why when acceptance stopped (the lines it
/// stored are settled all the same). An import with nothing to settle is
/// `completed` at once: true if so.
pub fn end_acceptance(conn: &mut DbConnection, id: Uuid, error: Option<&str>) -> Result<bool> {
    let at = now();
    diesel::update(imports::table.find(DbUuid(id)))
        .set((
            imports::state.eq(if error.is_some() {
                "failed"
            } else {
                "settling"
            }),
            imports::error.eq(error),
            imports::accepted_at.eq(Some(at)),
        ))
        .execute(conn)?;
    complete_if_settled(conn, id)
}

/// Marks a settling import `completed` once every accepted line is
/// settled; true if this call did. Run in the transaction that settles a
/// batch, so of two settlers finishing together exactly one completes it.
pub fn complete_if_settled(conn: &mut DbConnection, id: Uuid) -> Result<bool> {
    let done = diesel::update(
        imports::table
            .find(DbUuid(id))
            .filter(imports::state.eq("settling"))
            .filter(imports::settled.ge(imports::accepted)),
    )
    .set((
        imports::state.eq("completed"),
        imports::finished_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(done > 0)
}

/// A line as accepted: its row in the file, its key and its cells (a
/// JSON array, `ManifestRow::to_cells`).
pub struct AcceptedLine {
    pub row_number: i64,
    pub key: String,
    pub cells: String,
}

diesel::table! {
    /// A batch of accepted lines on its way into `import_lines` on
    /// PostgreSQL: a temporary table of the connection, created by the
    /// first batch it stores and emptied when each transaction using it
    /// commits.
    import_lines_incoming (row_number) {
        row_number -> BigInt,
        line_key -> Text,
        cells -> Text,
    }
}

#[derive(Insertable)]
#[diesel(table_name = import_lines_incoming, treat_none_as_default_value = false)]
struct Incoming<'a> {
    row_number: i64,
    line_key: &'a str,
    cells: &'a str,
}

/// Stores a batch of accepted lines, skipping those whose key the agency
/// has had accepted before (by this import or another, or earlier in the
/// batch); returns how many were stored. Run in the batch's transaction.
///
/// PostgreSQL: the batch is copied (`COPY … FROM STDIN`, binary) into a
/// temporary table, then moved with one `INSERT … SELECT … ON CONFLICT
/// DO NOTHING`, in file order. SQLite: one prepared single-row insert per
/// line; SQLite has no round trip to save, and a statement of many rows
/// costs more to prepare than its rows to insert.
pub fn accept_lines(
    conn: &mut DbConnection,
    import: Uuid,
    owner: Uuid,
    lines: &[AcceptedLine],
) -> Result<i64> {
    if lines.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConnection::Postgres(c) => {
            c.batch_execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS import_lines_incoming (
                     row_number BIGINT NOT NULL,
                     line_key   TEXT NOT NULL,
                     cells      TEXT NOT NULL
                 ) ON COMMIT DELETE ROWS",
            )?;
            let rows: Vec<Incoming<'_>> = lines
                .iter()
                .map(|l| Incoming {
                    row_number: l.row_number,
                    line_key: &l.key,
                    cells: &l.cells,
                })
                .collect();
            diesel::copy_from(import_lines_incoming::table)
                .from_insertable(&rows)
                .execute(c)?;
            // The first of equal keys in the file is the one stored.
            let stored = diesel::sql_query(
                "INSERT INTO import_lines
                     (import_id, owner_agency_id, line_key, row_number, cells, settled)
                 SELECT $1, $2, line_key, row_number, cells, false
                 FROM import_lines_incoming ORDER BY row_number
                 ON CONFLICT DO NOTHING",
            )
            .bind::<crate::uuid_type::PortableUuid, _>(DbUuid(import))
            .bind::<crate::uuid_type::PortableUuid, _>(DbUuid(owner))
            .execute(c)?;
            // Two batches in one transaction would copy the first again:
            // its lines, stored already, are skipped as any duplicate.
            Ok(stored as i64)
        }
        DbConnection::Sqlite(c) => {
            let mut stored = 0;
            for l in lines {
                stored += diesel::insert_into(import_lines::table)
                    .values((
                        import_lines::import_id.eq(DbUuid(import)),
                        import_lines::owner_agency_id.eq(DbUuid(owner)),
                        import_lines::line_key.eq(l.key.as_str()),
                        import_lines::row_number.eq(l.row_number),
                        import_lines::cells.eq(l.cells.as_str()),
                        import_lines::settled.eq(false),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
            Ok(stored as i64)
        }
    }
}

/// A batch of acceptance in one transaction: the lines (see
/// [`accept_lines`]), the rejections, and the import's counts, `counts`
/// completed with how many lines were stored and how many had been
/// accepted before. A command-line import also records that it is alive
/// and `digest`, that of the lines of the file read so far.
pub fn store_accepted(
    conn: &mut DbConnection,
    import: Uuid,
    owner: Uuid,
    lines: &[AcceptedLine],
    rejections: &[Rejection],
    mut counts: Counts,
    digest: Option<&str>,
) -> Result<Counts> {
    conn.transaction(|conn| {
        counts.accepted = accept_lines(conn, import, owner, lines)?;
        counts.duplicates = lines.len() as i64 - counts.accepted;
        insert_rejections(conn, import, rejections)?;
        add_counts(conn, import, counts)?;
        if let Some(digest) = digest {
            diesel::update(
                imports::table
                    .find(DbUuid(import))
                    .filter(imports::heartbeat_at.is_not_null()),
            )
            .set((
                imports::heartbeat_at.eq(Some(now())),
                imports::read_digest.eq(Some(digest)),
            ))
            .execute(conn)?;
        }
        Ok(counts)
    })
}

/// An accepted line as a settler sees it.
#[derive(Debug, Clone, Queryable)]
pub struct StagedLine {
    pub id: i64,
    pub import_id: DbUuid,
    pub owner_agency_id: DbUuid,
    pub row_number: i64,
    pub cells: String,
}

/// Leases up to `limit` unsettled lines to settler `me` until `until`:
/// lines nobody holds, or whose lease ran out before `now` (its settler
/// died). On PostgreSQL lines another settler is leasing at this moment
/// are skipped, not waited for. Returns the lines' ids with their
/// imports', oldest first.
pub fn lease(
    conn: &mut DbConnection,
    me: Uuid,
    now: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(i64, Uuid)>> {
    let free = import_lines::table
        .filter(diesel::dsl::not(import_lines::settled))
        .filter(
            import_lines::lease_until
                .is_null()
                .or(import_lines::lease_until.lt(now)),
        )
        .order(import_lines::id)
        .limit(limit);
    let lease = (
        import_lines::lease_owner.eq(Some(DbUuid(me))),
        import_lines::lease_until.eq(Some(until)),
    );
    let lines: Vec<(i64, DbUuid)> = match conn {
        DbConnection::Postgres(c) => c.transaction(|c| {
            let lines: Vec<(i64, DbUuid)> = free
                .select((import_lines::id, import_lines::import_id))
                .for_update()
                .skip_locked()
                .load(c)?;
            let ids: Vec<i64> = lines.iter().map(|l| l.0).collect();
            if !ids.is_empty() {
                diesel::update(import_lines::table.filter(import_lines::id.eq_any(&ids)))
                    .set(lease)
                    .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(lines)
        })?,
        // Taking the write lock first: a read upgraded to a write may be
        // refused while others write.
        DbConnection::Sqlite(c) => c.immediate_transaction(|c| {
            let lines: Vec<(i64, DbUuid)> = free
                .select((import_lines::id, import_lines::import_id))
                .load(c)?;
            let ids: Vec<i64> = lines.iter().map(|l| l.0).collect();
            if !ids.is_empty() {
                diesel::update(import_lines::table.filter(import_lines::id.eq_any(&ids)))
                    .set(lease)
                    .execute(c)?;
            }
            Ok::<_, diesel::result::Error>(lines)
        })?,
    };
    Ok(lines
        .into_iter()
        .map(|(id, import)| (id, import.0))
        .collect())
}

/// Of the lines `ids`, those `me` still leases and nobody has settled,
/// locked until the transaction ends: a settler whose lease ran out and
/// was taken over finds nothing here, and settles nothing twice.
pub fn take_leased(conn: &mut DbConnection, me: Uuid, ids: &[i64]) -> Result<Vec<StagedLine>> {
    let query = import_lines::table
        .filter(import_lines::id.eq_any(ids))
        .filter(import_lines::lease_owner.eq(DbUuid(me)))
        .filter(diesel::dsl::not(import_lines::settled))
        .order(import_lines::id)
        .select((
            import_lines::id,
            import_lines::import_id,
            import_lines::owner_agency_id,
            import_lines::row_number,
            import_lines::cells,
        ));
    Ok(match conn {
        DbConnection::Postgres(c) => query.for_update().load::<StagedLine>(c)?,
        DbConnection::Sqlite(c) => query.load::<StagedLine>(c)?,
    })
}

pub fn mark_settled(conn: &mut DbConnection, ids: &[i64]) -> Result<()> {
    diesel::update(import_lines::table.filter(import_lines::id.eq_any(ids)))
        .set(import_lines::settled.eq(true))
        .execute(conn)?;
    Ok(())
}

/// How many of an import's accepted lines are settled, counted from the
/// lines themselves.
pub fn count_lines(conn: &mut DbConnection, import: Uuid, settled: bool) -> Result<i64> {
    Ok(import_lines::table
        .filter(import_lines::import_id.eq(DbUuid(import)))
        .filter(import_lines::settled.eq(settled))
        .count()
        .get_result(conn)?)
}

/// Why one row was refused.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Rejection {
    pub row_number: i64,
    pub field: String,
    pub reason: String,
}

pub fn insert_rejections(
    conn: &mut DbConnection,
    import: Uuid,
    rejections: &[Rejection],
) -> Result<()> {
    let mut seen = HashSet::new();
    let rows: Vec<_> = rejections
        .iter()
        // One reason per cell is enough for the report.
        .filter(|r| seen.insert((r.row_number, r.field.as_str())))
        .map(|r| {
            (
                import_rejections::import_id.eq(DbUuid(import)),
                import_rejections::row_number.eq(r.row_number),
                import_rejections::field.eq(r.field.as_str()),
                import_rejections::reason.eq(r.reason.as_str()),
            )
        })
        .collect();
    insert_rows!(conn, import_rejections::table, rows);
    Ok(())
}

/// The reasons of the first `rows` rejected rows after `after_row`, each
/// row with all of its reasons, so a page never splits one.
pub fn rejections(
    conn: &mut DbConnection,
    import: Uuid,
    after_row: i64,
    rows: i64,
) -> Result<Vec<Rejection>> {
    let wanted: Vec<i64> = import_rejections::table
        .filter(import_rejections::import_id.eq(DbUuid(import)))
        .filter(import_rejections::row_number.gt(after_row))
        .select(import_rejections::row_number)
        .distinct()
        .order(import_rejections::row_number)
        .limit(rows)
        .load(conn)?;
    let (Some(first), Some(last)) = (wanted.first(), wanted.last()) else {
        return Ok(Vec::new());
    };
    Ok(import_rejections::table
        .filter(import_rejections::import_id.eq(DbUuid(import)))
        .filter(import_rejections::row_number.between(*first, *last))
        .order((import_rejections::row_number, import_rejections::field))
        .select((
            import_rejections::row_number,
            import_rejections::field,
            import_rejections::reason,
        ))
        .load(conn)?)
}

/// Which of `keys` the agency has imported already.
pub fn known_keys(conn: &mut DbConnection, owner: Uuid, keys: &[&str]) -> Result<HashSet<String>> {
    let mut known = HashSet::new();
    for chunk in keys.chunks(CHUNK) {
        let found: Vec<String> = import_keys::table
            .filter(import_keys::owner_agency_id.eq(DbUuid(owner)))
            .filter(import_keys::line_key.eq_any(chunk))
            .select(import_keys::line_key)
            .load(conn)?;
        known.extend(found);
    }
    Ok(known)
}

pub fn insert_keys(conn: &mut DbConnection, owner: Uuid, keys: &[(&str, Uuid)]) -> Result<()> {
    let rows: Vec<_> = keys
        .iter()
        .map(|(key, shipment)| {
            (
                import_keys::owner_agency_id.eq(DbUuid(owner)),
                import_keys::line_key.eq(*key),
                import_keys::shipment_id.eq(DbUuid(*shipment)),
            )
        })
        .collect();
    insert_rows!(conn, import_keys::table, rows);
    Ok(())
}

/// The agency's own live parties under these (normalised name, country)
/// keys; the earliest recorded where there are several.
pub fn parties_by_key(
    conn: &mut DbConnection,
    owner: Uuid,
    keys: &[(String, String)],
) -> Result<HashMap<(String, String), Uuid>> {
    let wanted: HashSet<&(String, String)> = keys.iter().collect();
    let names: Vec<&str> = keys
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Two steps, so each query has its own index: the name key first,
    // then ownership by primary key.
    let mut candidates: Vec<(String, String, DbUuid)> = Vec::new();
    for chunk in names.chunks(CHUNK) {
        let rows: Vec<(Option<String>, Option<String>, DbUuid)> = party_facts::table
            .filter(party_facts::name_key.eq_any(chunk))
            .select((
                party_facts::name_key,
                party_facts::country,
                party_facts::record_id,
            ))
            .load(conn)?;
        candidates.extend(rows.into_iter().filter_map(|(name, country, id)| {
            let key = (name.unwrap_or_default(), country.unwrap_or_default());
            wanted.contains(&key).then_some((key.0, key.1, id))
        }));
    }
    let ids: Vec<DbUuid> = candidates.iter().map(|c| c.2).collect();
    let mut owned = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        // Ownership is checked here rather than in SQL: given the owner
        // too, SQLite's planner walks the owner's index (every record the
        // agency holds) instead of looking up these ids — a second per
        // batch at a million records.
        let rows: Vec<(DbUuid, DbUuid, Option<chrono::NaiveDateTime>)> = records::table
            .filter(records::id.eq_any(chunk))
            .select((records::id, records::owner_agency_id, records::withdrawn_at))
            .load(conn)?;
        owned.extend(
            rows.into_iter()
                .filter(|(_, by, withdrawn)| by.0 == owner && withdrawn.is_none())
                .map(|(id, _, _)| id),
        );
    }
    candidates.sort_by_key(|c| c.2);
    let mut found = HashMap::new();
    for (name, country, id) in candidates {
        if owned.contains(&id) {
            found.entry((name, country)).or_insert(id.0);
        }
    }
    Ok(found)
}
