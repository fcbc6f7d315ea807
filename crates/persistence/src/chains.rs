//! Links between shipments and the chains they form. Tracing runs in the
//! database as a recursive query, bounded by depth and node count.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use interdict_domain::chain::{Edge, Limits};
use uuid::Uuid;

use crate::risk::Refresh;
use crate::schema::links;
use crate::uuid_type::PortableUuid;
use crate::{now, DbConnection, DbUuid, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = links, treat_none_as_default_value = false)]
pub struct LinkRow {
    pub id: DbUuid,
    pub from_shipment_id: DbUuid,
    pub to_shipment_id: DbUuid,
    pub relation: String,
    pub evidence: String,
    pub owner_agency_id: DbUuid,
    pub created_by: DbUuid,
    pub created_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<DbUuid>,
    pub withdrawn_reason: Option<String>,
}

impl LinkRow {
    pub fn edge(&self) -> Edge {
        Edge {
            from: self.from_shipment_id.0,
            to: self.to_shipment_id.0,
        }
    }
}

pub fn insert(conn: &mut DbConnection, refresh: &mut Refresh, row: &LinkRow) -> Result<()> {
    insert_many(conn, refresh, std::slice::from_ref(row))
}

/// Writes many links at once (bulk loads); the caller has made sure they
/// close no cycle.
pub fn insert_many(conn: &mut DbConnection, refresh: &mut Refresh, rows: &[LinkRow]) -> Result<()> {
    crate::bulk_insert::insert_rows!(conn, links::table, rows.iter().collect());
    // Onward links count towards a split consignment.
    let continued: Vec<Uuid> = rows.iter().map(|l| l.from_shipment_id.0).collect();
    refresh.shipments(&continued);
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<LinkRow>> {
    Ok(links::table
        .find(DbUuid(id))
        .select(LinkRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn withdraw(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    id: Uuid,
    by: Uuid,
    reason: &str,
) -> Result<()> {
    diesel::update(links::table.find(DbUuid(id)))
        .set((
            links::withdrawn_at.eq(Some(now())),
            links::withdrawn_by.eq(Some(DbUuid(by))),
            links::withdrawn_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
    let continued: Vec<DbUuid> = links::table
        .find(DbUuid(id))
        .select(links::from_shipment_id)
        .load(conn)?;
    let continued: Vec<Uuid> = continued.into_iter().map(Uuid::from).collect();
    refresh.shipments(&continued);
    Ok(())
}

/// Active and withdrawn links touching a shipment, oldest first.
pub fn links_of(conn: &mut DbConnection, shipment: Uuid) -> Result<Vec<LinkRow>> {
    Ok(links::table
        .filter(
            links::from_shipment_id
                .eq(DbUuid(shipment))
                .or(links::to_shipment_id.eq(DbUuid(shipment))),
        )
        .order(links::id.asc())
        .select(LinkRow::as_select())
        .load(conn)?)
}

pub fn active_between(conn: &mut DbConnection, nodes: &[Uuid]) -> Result<Vec<LinkRow>> {
    let ids: Vec<DbUuid> = nodes.iter().copied().map(DbUuid).collect();
    Ok(links::table
        .filter(links::withdrawn_at.is_null())
        .filter(links::from_shipment_id.eq_any(&ids))
        .filter(links::to_shipment_id.eq_any(&ids))
        .order(links::id.asc())
        .select(LinkRow::as_select())
        .load(conn)?)
}

/// The active links leaving any of `shipments`, in one query per chunk
/// (for many chains at once, where [`active_between`] would bind every
/// node twice).
pub fn active_from(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<Vec<LinkRow>> {
    let ids: Vec<DbUuid> = shipments.iter().copied().map(DbUuid).collect();
    let mut found = Vec::new();
    for chunk in ids.chunks(crate::CHUNK) {
        found.extend(
            links::table
                .filter(links::withdrawn_at.is_null())
                .filter(links::from_shipment_id.eq_any(chunk))
                .select(LinkRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// Number of active links that continue a shipment.
pub fn onward_count(conn: &mut DbConnection, shipment: Uuid) -> Result<i64> {
    Ok(links::table
        .filter(links::withdrawn_at.is_null())
        .filter(links::from_shipment_id.eq(DbUuid(shipment)))
        .count()
        .get_result(conn)?)
}

#[derive(QueryableByName)]
struct Reached {
    #[diesel(sql_type = PortableUuid)]
    id: DbUuid,
}

/// The recursive part of a trace, written once for both backends: `{start}`
/// is the bound start id, `?2` the depth limit, `?3` the row limit.
const TRACE: &str = "
WITH RECURSIVE up(id, depth) AS (
    SELECT {start}, 0
    UNION
    SELECT l.from_shipment_id, up.depth + 1
    FROM links l JOIN up ON l.to_shipment_id = up.id
    WHERE l.withdrawn_at IS NULL AND up.depth < ?2
),
down(id, depth) AS (
    SELECT id, 0 FROM up
    UNION
    SELECT l.to_shipment_id, down.depth + 1
    FROM links l JOIN down ON l.from_shipment_id = down.id
    WHERE l.withdrawn_at IS NULL AND down.depth < ?2
)
SELECT id FROM {set} GROUP BY id ORDER BY MIN(depth), id LIMIT ?3";

fn trace_query(conn: &DbConnection, set: &str) -> String {
    let sql = TRACE.replace("{set}", set);
    match conn {
        DbConnection::Postgres(_) => sql
            .replace("{start}", "$1::uuid")
            .replace("?2", "$2")
            .replace("?3", "$3"),
        DbConnection::Sqlite(_) => sql.replace("{start}", "?1"),
    }
}

fn reach(
    conn: &mut DbConnection,
    start: Uuid,
    set: &str,
    max_depth: u32,
    max_rows: i64,
) -> Result<Vec<Uuid>> {
    let sql = trace_query(conn, set);
    Ok(diesel::sql_query(sql)
        .bind::<PortableUuid, _>(DbUuid(start))
        .bind::<Integer, _>(max_depth as i32)
        .bind::<BigInt, _>(max_rows)
        .load::<Reached>(conn)
        .map(|rows| rows.into_iter().map(|r| r.id.0).collect())?)
}

/// What a trace found: the shipments (nearest first), the active links
/// among them, and whether a limit cut it short.
#[derive(Debug, Clone)]
pub struct Trace {
    pub nodes: Vec<Uuid>,
    pub links: Vec<LinkRow>,
    pub depth_truncated: bool,
    pub nodes_truncated: bool,
}

/// The chain through `start`: its ancestors, and everything downstream of
/// them (so a split consignment's other branches are included).
pub fn trace(conn: &mut DbConnection, start: Uuid, limits: &Limits) -> Result<Trace> {
    let cap = limits.max_nodes as i64;
    let mut nodes = reach(conn, start, "down", limits.max_depth, cap + 1)?;
    let nodes_truncated = nodes.len() as i64 > cap;
    nodes.truncate(limits.max_nodes);
    let upstream = reach(conn, start, "up", limits.max_depth, cap + 1)?;
    if nodes == [start] && upstream == [start] && limits.max_depth > 0 {
        // No link touches `start` (one would have been walked), so nothing
        // was cut and there are no links to list: most shipments.
        return Ok(Trace {
            nodes,
            links: Vec::new(),
            depth_truncated: false,
            nodes_truncated,
        });
    }
    let ids: Vec<DbUuid> = nodes.iter().copied().map(DbUuid).collect();
    let up_ids: Vec<DbUuid> = upstream.iter().copied().map(DbUuid).collect();
    // A link leaving the set downstream, or entering an ancestor from
    // outside, means the depth limit stopped the walk.
    let cut_downstream = links::table
        .filter(links::withdrawn_at.is_null())
        .filter(links::from_shipment_id.eq_any(&ids))
        .filter(links::to_shipment_id.ne_all(&ids));
    let cut_upstream = links::table
        .filter(links::withdrawn_at.is_null())
        .filter(links::to_shipment_id.eq_any(&up_ids))
        .filter(links::from_shipment_id.ne_all(&ids));
    let depth_truncated = !nodes_truncated
        && (diesel::select(diesel::dsl::exists(cut_downstream)).get_result::<bool>(conn)?
            || diesel::select(diesel::dsl::exists(cut_upstream)).get_result::<bool>(conn)?);
    let links = active_between(conn, &nodes)?;
    Ok(Trace {
        nodes,
        links,
        depth_truncated,
        nodes_truncated,
    })
}

#[derive(QueryableByName)]
struct Member {
    #[diesel(sql_type = PortableUuid)]
    start: DbUuid,
    #[diesel(sql_type = PortableUuid)]
    id: DbUuid,
    #[diesel(sql_type = Integer)]
    depth: i32,
}

/// [`TRACE`] from many starts at once, each row naming its start: `?1`
/// is the starts as a JSON array of ids, `?2` the depth limit.
const MEMBERS: &str = "
WITH RECURSIVE up(start, id, depth) AS (
    SELECT {id}, {id}, 0 FROM {starts}
    UNION
    SELECT up.start, l.from_shipment_id, up.depth + 1
    FROM links l JOIN up ON l.to_shipment_id = up.id
    WHERE l.withdrawn_at IS NULL AND up.depth < ?2
),
down(start, id, depth) AS (
    SELECT start, id, 0 FROM up
    UNION
    SELECT down.start, l.to_shipment_id, down.depth + 1
    FROM links l JOIN down ON l.from_shipment_id = down.id
    WHERE l.withdrawn_at IS NULL AND down.depth < ?2
)
SELECT start, id, MIN(depth) AS depth FROM down GROUP BY start, id";

/// The shipments of the chain through each of `starts`, as [`trace`]
/// finds them (nearest first, cut at the node cap), in one query per
/// chunk of starts rather than two per start: what a page of the review
/// queue or its sort by chain size needs of many chains at once.
pub fn members(
    conn: &mut DbConnection,
    starts: &[Uuid],
    limits: &Limits,
) -> Result<std::collections::HashMap<Uuid, Vec<Uuid>>> {
    let sql = match conn {
        DbConnection::Postgres(_) => MEMBERS
            .replace("{id}", "s.id::uuid")
            .replace("{starts}", "json_array_elements_text($1::json) AS s(id)")
            .replace("?2", "$2"),
        DbConnection::Sqlite(_) => MEMBERS
            .replace("{id}", "value")
            .replace("{starts}", "json_each(?1)"),
    };
    let mut reached: std::collections::HashMap<Uuid, Vec<(i32, Uuid)>> =
        std::collections::HashMap::with_capacity(starts.len());
    for chunk in starts.chunks(crate::CHUNK) {
        // Hyphenated ids need no escaping inside JSON strings.
        let ids: Vec<String> = chunk.iter().map(|id| format!("\"{id}\"")).collect();
        let json = format!("[{}]", ids.join(","));
        let rows = diesel::sql_query(&sql)
            .bind::<diesel::sql_types::Text, _>(json)
            .bind::<Integer, _>(limits.max_depth as i32)
            .load::<Member>(conn)?;
        for row in rows {
            reached
                .entry(row.start.0)
                .or_default()
                .push((row.depth, row.id.0));
        }
    }
    Ok(reached
        .into_iter()
        .map(|(start, mut found)| {
            found.sort();
            found.truncate(limits.max_nodes);
            (start, found.into_iter().map(|(_, id)| id).collect())
        })
        .collect())
}

/// Whether `to` already leads, through active links, back to `from`.
/// The walk is bounded; `None` means the bound was reached first and the
/// answer is unknown.
pub fn would_close_cycle(
    conn: &mut DbConnection,
    from: Uuid,
    to: Uuid,
    max_depth: u32,
) -> Result<Option<bool>> {
    if from == to {
        return Ok(Some(true));
    }
    // Downstream of `to` only: start the walk there with no ancestors.
    let sql = match conn {
        DbConnection::Postgres(_) => {
            "
WITH RECURSIVE down(id, depth) AS (
    SELECT $1::uuid, 0
    UNION
    SELECT l.to_shipment_id, down.depth + 1
    FROM links l JOIN down ON l.from_shipment_id = down.id
    WHERE l.withdrawn_at IS NULL AND down.depth < $2
)
SELECT id FROM down WHERE id = $3 OR depth = $2
ORDER BY CASE WHEN id = $3 THEN 0 ELSE 1 END LIMIT 1"
        }
        DbConnection::Sqlite(_) => {
            "
WITH RECURSIVE down(id, depth) AS (
    SELECT ?1, 0
    UNION
    SELECT l.to_shipment_id, down.depth + 1
    FROM links l JOIN down ON l.from_shipment_id = down.id
    WHERE l.withdrawn_at IS NULL AND down.depth < ?2
)
SELECT id FROM down WHERE id = ?3 OR depth = ?2
ORDER BY CASE WHEN id = ?3 THEN 0 ELSE 1 END LIMIT 1"
        }
    };
    let found = diesel::sql_query(sql)
        .bind::<PortableUuid, _>(DbUuid(to))
        .bind::<Integer, _>(max_depth as i32)
        .bind::<PortableUuid, _>(DbUuid(from))
        .load::<Reached>(conn)?;
    Ok(match found.first() {
        None => Some(false),
        Some(row) if row.id.0 == from => Some(true),
        Some(_) => None,
    })
}

/// Suggestions an investigator already accepted or rejected for a shipment.
pub fn decided_candidates(conn: &mut DbConnection, shipment: Uuid) -> Result<Vec<Uuid>> {
    use crate::schema::link_suggestion_decisions as d;
    Ok(d::table
        .filter(d::shipment_id.eq(DbUuid(shipment)))
        .select(d::candidate_id)
        .load::<DbUuid>(conn)
        .map(|ids| ids.into_iter().map(Uuid::from).collect())?)
}

pub fn decide_suggestion(
    conn: &mut DbConnection,
    shipment: Uuid,
    candidate: Uuid,
    decision: &str,
    by: Uuid,
) -> Result<()> {
    use crate::schema::link_suggestion_decisions as d;
    diesel::delete(
        d::table
            .filter(d::shipment_id.eq(DbUuid(shipment)))
            .filter(d::candidate_id.eq(DbUuid(candidate))),
    )
    .execute(conn)?;
    diesel::insert_into(d::table)
        .values((
            d::shipment_id.eq(DbUuid(shipment)),
            d::candidate_id.eq(DbUuid(candidate)),
            d::decision.eq(decision),
            d::decided_by.eq(DbUuid(by)),
            d::decided_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Shipments sharing a serial or tracking number with `shipment`, as
/// `visibility` lets the caller see them: a serial counts only on a press
/// the caller may see, on either side, so a hidden press's serial is never
/// learned from a suggestion. Whether the other shipment itself is visible
/// is for the caller to check.
pub fn sharing_identifiers(
    conn: &mut DbConnection,
    shipment: Uuid,
    visibility: &interdict_domain::policy::Visibility,
    limit: i64,
) -> Result<Vec<(Uuid, String, String)>> {
    use crate::schema::{record_identifiers as ri, record_refs, records};
    use crate::visibility::{scoped, visible_record_ids};
    let Some((agency, task_forces, include_withdrawn)) = scoped(visibility) else {
        return Ok(Vec::new());
    };
    const KINDS: [&str; 2] = ["serial", "tracking_number"];
    let named = record_refs::table
        .filter(record_refs::record_id.eq(DbUuid(shipment)))
        .select(record_refs::ref_id);
    let seen = visible_record_ids!(agency, task_forces.clone(), include_withdrawn, |seen| seen
        .field(records::kind)
        .ne("shipment"));
    // Its own tracking numbers, and the serials of the presses it names
    // that the caller may see.
    let mine: Vec<(String, String)> = ri::table
        .filter(ri::kind.eq_any(KINDS))
        .filter(ri::derived.eq(false))
        .filter(
            ri::record_id
                .eq(DbUuid(shipment))
                .or(ri::record_id.eq_any(named).and(ri::record_id.eq_any(seen))),
        )
        .select((ri::kind, ri::value))
        .distinct()
        .load(conn)?;
    let mut found = Vec::new();
    for (kind, value) in mine {
        let shipments = records::table
            .filter(records::kind.eq("shipment"))
            .select(records::id);
        let holders = ri::table
            .filter(ri::kind.eq(kind.clone()))
            .filter(ri::value.eq(value.clone()))
            .filter(ri::derived.eq(false));
        // Shipments with it as their own (a tracking number)…
        let own: Vec<DbUuid> = holders
            .clone()
            .filter(ri::record_id.eq_any(shipments))
            .filter(ri::record_id.ne(DbUuid(shipment)))
            .select(ri::record_id)
            .limit(limit)
            .load(conn)?;
        // …or naming a press the caller may see that has it (a serial).
        let seen = visible_record_ids!(agency, task_forces.clone(), include_withdrawn, |seen| seen
            .field(records::kind)
            .ne("shipment"));
        let presses = holders
            .filter(ri::record_id.eq_any(seen))
            .select(ri::record_id);
        let naming: Vec<DbUuid> = record_refs::table
            .filter(record_refs::ref_id.eq_any(presses))
            .filter(record_refs::record_id.ne(DbUuid(shipment)))
            .select(record_refs::record_id)
            .distinct()
            .limit(limit)
            .load(conn)?;
        found.extend(
            own.into_iter()
                .chain(naming)
                .map(|id| (id.0, kind.clone(), value.clone())),
        );
    }
    found.sort();
    found.dedup();
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}

/// Shipments that left `country` between `from` and `to`.
pub fn departing(
    conn: &mut DbConnection,
    country: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Uuid>> {
    use crate::schema::shipment_facts as f;
    Ok(f::table
        .filter(f::origin_country.eq(country))
        .filter(f::shipped_at.ge(from))
        .filter(f::shipped_at.le(to))
        .select(f::record_id)
        .limit(limit)
        .load::<DbUuid>(conn)
        .map(|ids| ids.into_iter().map(Uuid::from).collect())?)
}

/// Shipments naming one of `parties` in `role`.
pub fn naming_parties(
    conn: &mut DbConnection,
    parties: &[Uuid],
    role: &str,
    limit: i64,
) -> Result<Vec<Uuid>> {
    use crate::schema::record_refs as r;
    let ids: Vec<DbUuid> = parties.iter().copied().map(DbUuid).collect();
    Ok(r::table
        .filter(r::ref_id.eq_any(ids))
        .filter(r::role.eq(role))
        .select(r::record_id)
        .distinct()
        .limit(limit)
        .load::<DbUuid>(conn)
        .map(|ids| ids.into_iter().map(Uuid::from).collect())?)
}

/// Visible shipments that start a chain — linked onward, with nothing
/// linked into them — newest first, after `before`, optionally leaving
/// their origin country and shipped within a time range.
pub fn roots(
    conn: &mut DbConnection,
    visibility: &interdict_domain::policy::Visibility,
    origin_country: Option<&str>,
    shipped: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<crate::records::RecordRow>> {
    use crate::records::RecordRow;
    use crate::schema::{records, shipment_facts};
    use crate::visibility::visible;
    let onward = links::table
        .filter(links::withdrawn_at.is_null())
        .select(links::from_shipment_id);
    let inward = links::table
        .filter(links::withdrawn_at.is_null())
        .select(links::to_shipment_id);
    let mut query = visible(records::table.into_boxed(), visibility)
        .filter(records::kind.eq("shipment"))
        .filter(records::id.eq_any(onward))
        .filter(records::id.ne_all(inward));
    if let Some(country) = origin_country {
        let ids = shipment_facts::table
            .filter(shipment_facts::origin_country.eq(country.to_owned()))
            .select(shipment_facts::record_id);
        query = query.filter(records::id.eq_any(ids));
    }
    if let Some(from) = shipped.0 {
        let ids = shipment_facts::table
            .filter(shipment_facts::shipped_at.ge(from))
            .select(shipment_facts::record_id);
        query = query.filter(records::id.eq_any(ids));
    }
    if let Some(to) = shipped.1 {
        let ids = shipment_facts::table
            .filter(shipment_facts::shipped_at.lt(to))
            .select(shipment_facts::record_id);
        query = query.filter(records::id.eq_any(ids));
    }
    if let Some(before) = before {
        query = query.filter(records::id.lt(DbUuid(before)));
    }
    Ok(query
        .order(records::id.desc())
        .limit(limit)
        .select(RecordRow::as_select())
        .load(conn)?)
}

/// Links touching a shipment the caller can see, oldest first, after
/// `after`, created within `created`.
pub fn visible_links_page(
    conn: &mut DbConnection,
    visibility: &interdict_domain::policy::Visibility,
    created: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<LinkRow>> {
    let Some((agency, tfs, include_withdrawn)) = crate::visibility::scoped(visibility) else {
        return Ok(Vec::new());
    };
    let from_visible =
        crate::visibility::visible_shipment_ids!(agency, tfs.clone(), include_withdrawn);
    let to_visible = crate::visibility::visible_shipment_ids!(agency, tfs, include_withdrawn);
    let mut query = links::table
        .filter(
            links::from_shipment_id
                .eq_any(from_visible)
                .or(links::to_shipment_id.eq_any(to_visible)),
        )
        .order(links::id.asc())
        .limit(limit)
        .select(LinkRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(links::id.gt(DbUuid(after)));
    }
    if let Some(from) = created.0 {
        query = query.filter(links::created_at.ge(from));
    }
    if let Some(to) = created.1 {
        query = query.filter(links::created_at.lt(to));
    }
    Ok(query.load(conn)?)
}
