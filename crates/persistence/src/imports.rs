//! Manifest imports: their progress and counts, the rows they refused,
//! the keys that make re-running an import add nothing twice, and finding
//! the parties an agency already has under a name.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use crate::bulk_insert::insert_rows;
use crate::schema::{import_keys, import_rejections, imports, party_facts, records};
use crate::CHUNK;
use crate::{now, DbConnection, DbUuid, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = imports, treat_none_as_default_value = false)]
pub struct ImportRow {
    pub id: DbUuid,
    pub agency_id: DbUuid,
    pub user_id: Option<DbUuid>,
    pub file_name: String,
    /// `running`, `completed` or `failed`.
    pub state: String,
    pub rows_read: i64,
    pub imported: i64,
    pub duplicates: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl ImportRow {
    pub fn start(agency: Uuid, user: Uuid, file_name: &str) -> Self {
        Self {
            id: DbUuid(Uuid::now_v7()),
            agency_id: DbUuid(agency),
            user_id: Some(DbUuid(user)),
            file_name: file_name.to_owned(),
            state: "running".into(),
            rows_read: 0,
            imported: 0,
            duplicates: 0,
            rejected: 0,
            error: None,
            created_at: now(),
            finished_at: None,
        }
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
    pub imported: i64,
    pub duplicates: i64,
    pub rejected: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.rows_read += other.rows_read;
        self.imported += other.imported;
        self.duplicates += other.duplicates;
        self.rejected += other.rejected;
    }
}

pub fn add_counts(conn: &mut DbConnection, id: Uuid, counts: Counts) -> Result<()> {
    diesel::update(imports::table.find(DbUuid(id)))
        .set((
            imports::rows_read.eq(imports::rows_read + counts.rows_read),
            imports::imported.eq(imports::imported + counts.imported),
            imports::duplicates.eq(imports::duplicates + counts.duplicates),
            imports::rejected.eq(imports::rejected + counts.rejected),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn finish(conn: &mut DbConnection, id: Uuid, error: Option<&str>) -> Result<()> {
    diesel::update(imports::table.find(DbUuid(id)))
        .set((
            imports::state.eq(if error.is_some() {
                "failed"
            } else {
                "completed"
            }),
            imports::error.eq(error),
            imports::finished_at.eq(Some(now())),
        ))
        .execute(conn)?;
    Ok(())
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
