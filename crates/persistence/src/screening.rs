//! Sanctions lists as loaded (one row per version, with its date and
//! counts) and the screening hits of parties against them, with the
//! dispositions supervisors record. A hit is kept for good: a party that
//! no longer matches marks it inactive, a false positive marks it
//! disposed; only active, undisposed hits raise `sanctioned_party` on the
//! shipments naming the party, so every change to them refreshes those.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::policy::Visibility;
use interdict_domain::record::RecordKind;
use std::collections::HashMap;
use uuid::Uuid;

use crate::in_list::in_list;
use crate::native::native;
use crate::records::referring_shipments;
use crate::risk::Refresh;
use crate::schema::records;
use crate::visibility::visible;
use crate::{DbConnection, DbUuid, Result, CHUNK};

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    sanctions_lists (id) {
        id -> PortableUuid,
        source -> Text,
        list_date -> Text,
        loaded_at -> Timestamp,
        loaded_by -> Nullable<PortableUuid>,
        builtin -> Bool,
        entry_count -> Integer,
        name_count -> Integer,
        sdn_csv -> Text,
        alt_csv -> Text,
        add_csv -> Text,
        rescreened -> BigInt,
        rescreen_done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    screening_hits (id) {
        id -> PortableUuid,
        party_id -> PortableUuid,
        list_id -> PortableUuid,
        entry_id -> BigInt,
        listed_name -> Text,
        entry_name -> Text,
        programs -> Text,
        score -> Double,
        signals -> Text,
        created_at -> Timestamp,
        active -> Bool,
        disposition -> Nullable<Text>,
        disposition_reason -> Nullable<Text>,
        disposed_by -> Nullable<PortableUuid>,
        disposed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(screening_hits -> sanctions_lists (list_id));
diesel::allow_tables_to_appear_in_same_query!(screening_hits, sanctions_lists);
diesel::allow_tables_to_appear_in_same_query!(screening_hits, records);
diesel::allow_tables_to_appear_in_same_query!(sanctions_lists, records);

/// What is stored of a loaded list.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sanctions_lists, treat_none_as_default_value = false)]
pub struct NewList {
    pub id: DbUuid,
    pub source: String,
    pub list_date: String,
    pub loaded_at: NaiveDateTime,
    pub loaded_by: Option<DbUuid>,
    pub builtin: bool,
    pub entry_count: i32,
    pub name_count: i32,
    pub sdn_csv: String,
    pub alt_csv: String,
    pub add_csv: String,
    pub rescreened: i64,
    pub rescreen_done_at: Option<NaiveDateTime>,
}

/// A list version without its files.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sanctions_lists)]
pub struct ListMeta {
    pub id: DbUuid,
    pub source: String,
    pub list_date: String,
    pub loaded_at: NaiveDateTime,
    pub loaded_by: Option<DbUuid>,
    pub builtin: bool,
    pub entry_count: i32,
    pub name_count: i32,
    pub rescreened: i64,
    pub rescreen_done_at: Option<NaiveDateTime>,
}

pub fn insert_list(conn: &mut DbConnection, list: &NewList) -> Result<()> {
    diesel::insert_into(sanctions_lists::table)
        .values(list)
        .execute(conn)?;
    Ok(())
}

/// The list in force: the latest list date, the latest load of it.
pub fn latest(conn: &mut DbConnection) -> Result<Option<ListMeta>> {
    Ok(sanctions_lists::table
        .order((
            sanctions_lists::list_date.desc(),
            sanctions_lists::loaded_at.desc(),
            sanctions_lists::id.desc(),
        ))
        .select(ListMeta::as_select())
        .limit(1)
        .load(conn)?
        .into_iter()
        .next())
}

/// Every version loaded, newest first.
pub fn lists(conn: &mut DbConnection) -> Result<Vec<ListMeta>> {
    Ok(sanctions_lists::table
        .order((
            sanctions_lists::list_date.desc(),
            sanctions_lists::loaded_at.desc(),
        ))
        .select(ListMeta::as_select())
        .load(conn)?)
}

/// A version's three files (empty for the built-in snapshot).
pub fn files(conn: &mut DbConnection, id: Uuid) -> Result<Option<(String, String, String)>> {
    Ok(sanctions_lists::table
        .filter(sanctions_lists::id.eq(DbUuid(id)))
        .select((
            sanctions_lists::sdn_csv,
            sanctions_lists::alt_csv,
            sanctions_lists::add_csv,
        ))
        .get_result(conn)
        .optional()?)
}

/// Re-screening progress: parties done so far, and whether it ended.
pub fn set_progress(
    conn: &mut DbConnection,
    id: Uuid,
    done: i64,
    finished: Option<NaiveDateTime>,
) -> Result<()> {
    diesel::update(sanctions_lists::table.filter(sanctions_lists::id.eq(DbUuid(id))))
        .set((
            sanctions_lists::rescreened.eq(done),
            sanctions_lists::rescreen_done_at.eq(finished),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = screening_hits, treat_none_as_default_value = false)]
pub struct HitRow {
    pub id: DbUuid,
    pub party_id: DbUuid,
    pub list_id: DbUuid,
    pub entry_id: i64,
    pub listed_name: String,
    pub entry_name: String,
    /// JSON list of programs.
    pub programs: String,
    pub score: f64,
    /// JSON list of signals.
    pub signals: String,
    pub created_at: NaiveDateTime,
    pub active: bool,
    pub disposition: Option<String>,
    pub disposition_reason: Option<String>,
    pub disposed_by: Option<DbUuid>,
    pub disposed_at: Option<NaiveDateTime>,
}

/// One hit a screening found, before it is stored.
#[derive(Debug, Clone)]
pub struct FoundHit {
    pub entry_id: i64,
    pub listed_name: String,
    pub entry_name: String,
    pub programs: String,
    pub score: f64,
    pub signals: String,
}

/// Keeps what screening `party` against list `list` found: new entries
/// become new hits, hits found again are active, hits no longer found are
/// not. Shipments naming the party are refreshed when what raises
/// `sanctioned_party` changed. Returns the new hits. `new_party`: written
/// in this transaction, so it has no hits yet and none are read.
pub fn record(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    party: Uuid,
    list: Uuid,
    found: &[FoundHit],
    at: NaiveDateTime,
    new_party: bool,
) -> Result<Vec<HitRow>> {
    if new_party && found.is_empty() {
        return Ok(Vec::new());
    }
    let existing: Vec<(DbUuid, i64, bool, Option<String>)> = if new_party {
        Vec::new()
    } else {
        screening_hits::table
            .filter(screening_hits::party_id.eq(DbUuid(party)))
            .select((
                screening_hits::id,
                screening_hits::entry_id,
                screening_hits::active,
                screening_hits::disposition,
            ))
            .load(conn)?
    };
    if existing.is_empty() && found.is_empty() {
        return Ok(Vec::new());
    }
    let mut changed = false;
    let mut fresh = Vec::new();
    for hit in found {
        match existing.iter().find(|e| e.1 == hit.entry_id) {
            Some((id, _, active, disposition)) => {
                if !active {
                    diesel::update(screening_hits::table.filter(screening_hits::id.eq(*id)))
                        .set(screening_hits::active.eq(true))
                        .execute(conn)?;
                    changed |= disposition.is_none();
                }
            }
            None => {
                let row = HitRow {
                    id: DbUuid(Uuid::now_v7()),
                    party_id: DbUuid(party),
                    list_id: DbUuid(list),
                    entry_id: hit.entry_id,
                    listed_name: hit.listed_name.clone(),
                    entry_name: hit.entry_name.clone(),
                    programs: hit.programs.clone(),
                    score: hit.score,
                    signals: hit.signals.clone(),
                    created_at: at,
                    active: true,
                    disposition: None,
                    disposition_reason: None,
                    disposed_by: None,
                    disposed_at: None,
                };
                diesel::insert_into(screening_hits::table)
                    .values(&row)
                    .execute(conn)?;
                fresh.push(row);
                changed = true;
            }
        }
    }
    for (id, entry, active, disposition) in &existing {
        if *active && !found.iter().any(|f| f.entry_id == *entry) {
            diesel::update(screening_hits::table.filter(screening_hits::id.eq(*id)))
                .set(screening_hits::active.eq(false))
                .execute(conn)?;
            changed |= disposition.is_none();
        }
    }
    if changed {
        refresh_naming(conn, refresh, party)?;
    }
    Ok(fresh)
}

/// Asks for the shipments naming `party` to be assessed again.
fn refresh_naming(conn: &mut DbConnection, refresh: &mut Refresh, party: Uuid) -> Result<()> {
    let shipments: Vec<Uuid> = referring_shipments(conn, DbUuid(party))?
        .into_iter()
        .map(|(id, _)| id.0)
        .collect();
    refresh.shipments(&shipments);
    Ok(())
}

/// A party's hits, newest first, with the date of the list each was found in.
pub fn for_party(conn: &mut DbConnection, party: Uuid) -> Result<Vec<(HitRow, String)>> {
    Ok(screening_hits::table
        .inner_join(sanctions_lists::table)
        .filter(screening_hits::party_id.eq(DbUuid(party)))
        .order(screening_hits::id.desc())
        .select((HitRow::as_select(), sanctions_lists::list_date))
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<HitRow>> {
    Ok(screening_hits::table
        .filter(screening_hits::id.eq(DbUuid(id)))
        .select(HitRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Records a hit as a false positive, once; `false` when it already was
/// disposed of. The hit stays.
pub fn dispose(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    hit: &HitRow,
    reason: &str,
    by: Uuid,
    at: NaiveDateTime,
) -> Result<bool> {
    let changed = diesel::update(
        screening_hits::table
            .filter(screening_hits::id.eq(hit.id))
            .filter(screening_hits::disposition.is_null()),
    )
    .set((
        screening_hits::disposition.eq(Some("false_positive")),
        screening_hits::disposition_reason.eq(Some(reason)),
        screening_hits::disposed_by.eq(Some(DbUuid(by))),
        screening_hits::disposed_at.eq(Some(at)),
    ))
    .execute(conn)?;
    if changed > 0 {
        refresh_naming(conn, refresh, hit.party_id.0)?;
    }
    Ok(changed > 0)
}

/// Of `parties`, those with an active, undisposed hit: party → (listed
/// name, score, list date) of its best.
pub fn sanctioned(
    conn: &mut DbConnection,
    parties: &[DbUuid],
) -> Result<HashMap<Uuid, (String, f64, String)>> {
    let mut found: HashMap<Uuid, (String, f64, String)> = HashMap::new();
    for chunk in parties.chunks(CHUNK) {
        let rows: Vec<(DbUuid, String, f64, String)> =
            in_list!(conn, screening_hits::party_id, chunk, |party| {
                native!(conn, |c| screening_hits::table
                    .inner_join(sanctions_lists::table)
                    .filter(party)
                    .filter(screening_hits::active.eq(true))
                    .filter(screening_hits::disposition.is_null())
                    .select((
                        screening_hits::party_id,
                        screening_hits::listed_name,
                        screening_hits::score,
                        sanctions_lists::list_date,
                    ))
                    .load(c))?
            });
        for (party, name, score, date) in rows {
            let slot = found
                .entry(party.0)
                .or_insert((name.clone(), score, date.clone()));
            if score > slot.1 {
                *slot = (name, score, date);
            }
        }
    }
    Ok(found)
}

/// Live parties after `after` in id order, a page at a time: (id, body,
/// owner agency).
pub fn parties_page(
    conn: &mut DbConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(DbUuid, String, DbUuid)>> {
    let mut query = records::table
        .filter(records::kind.eq(RecordKind::Party.as_str()))
        .filter(records::withdrawn_at.is_null())
        .order(records::id.asc())
        .select((records::id, records::body, records::owner_agency_id))
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(records::id.gt(DbUuid(after)));
    }
    Ok(query.load(conn)?)
}

/// Active, undisposed hits on parties `visibility` lets the caller see,
/// newest first: each with the party's body and the list's date.
pub fn open_visible(
    conn: &mut DbConnection,
    visibility: &Visibility,
    limit: i64,
) -> Result<Vec<(HitRow, String, String)>> {
    let hit_parties = screening_hits::table
        .filter(screening_hits::active.eq(true))
        .filter(screening_hits::disposition.is_null())
        .select(screening_hits::party_id);
    let parties: Vec<(DbUuid, String)> = visible(records::table.into_boxed(), visibility)
        .filter(records::kind.eq(RecordKind::Party.as_str()))
        .filter(records::id.eq_any(hit_parties))
        .select((records::id, records::body))
        .limit(limit)
        .load(conn)?;
    let bodies: HashMap<DbUuid, String> = parties.into_iter().collect();
    let ids: Vec<DbUuid> = bodies.keys().copied().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(HitRow, String)> = screening_hits::table
            .inner_join(sanctions_lists::table)
            .filter(screening_hits::party_id.eq_any(chunk))
            .filter(screening_hits::active.eq(true))
            .filter(screening_hits::disposition.is_null())
            .select((HitRow::as_select(), sanctions_lists::list_date))
            .load(conn)?;
        for (hit, date) in rows {
            let body = bodies.get(&hit.party_id).cloned().unwrap_or_default();
            out.push((hit, body, date));
        }
    }
    out.sort_by_key(|hit| std::cmp::Reverse(hit.0.id));
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}
