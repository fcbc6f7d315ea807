//! Watches users keep on identifiers, parties, imprints and chemicals, and
//! the notifications a matching write leaves them, written in the write's
//! own transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::in_list::in_list;
use crate::native::native;
use crate::schema::{agencies, users};
use crate::{DbConnection, DbUuid, Result};

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    watches (id) {
        id -> PortableUuid,
        user_id -> PortableUuid,
        kind -> Text,
        value -> Text,
        match_key -> Text,
        expires_at -> Nullable<Timestamp>,
        muted -> Bool,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    notifications (id) {
        id -> PortableUuid,
        user_id -> PortableUuid,
        watch_id -> PortableUuid,
        record_id -> Nullable<PortableUuid>,
        record_kind -> Nullable<Text>,
        holding_agency_id -> PortableUuid,
        visible -> Bool,
        cause -> Text,
        batch_key -> Nullable<Text>,
        match_count -> BigInt,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(notifications -> watches (watch_id));
diesel::allow_tables_to_appear_in_same_query!(watches, notifications);
diesel::allow_tables_to_appear_in_same_query!(watches, agencies);
diesel::allow_tables_to_appear_in_same_query!(notifications, agencies);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = watches, treat_none_as_default_value = false)]
pub struct WatchRow {
    pub id: DbUuid,
    pub user_id: DbUuid,
    pub kind: String,
    pub value: String,
    pub match_key: String,
    pub expires_at: Option<NaiveDateTime>,
    pub muted: bool,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &WatchRow) -> Result<()> {
    diesel::insert_into(watches::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A user's watches that are not deleted, newest first.
pub fn of_user(conn: &mut DbConnection, user: Uuid) -> Result<Vec<WatchRow>> {
    Ok(watches::table
        .filter(watches::user_id.eq(DbUuid(user)))
        .filter(watches::deleted_at.is_null())
        .order(watches::id.desc())
        .select(WatchRow::as_select())
        .load(conn)?)
}

/// The user's watch `id`, unless deleted.
pub fn find_own(conn: &mut DbConnection, user: Uuid, id: Uuid) -> Result<Option<WatchRow>> {
    Ok(watches::table
        .filter(watches::id.eq(DbUuid(id)))
        .filter(watches::user_id.eq(DbUuid(user)))
        .filter(watches::deleted_at.is_null())
        .select(WatchRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn set_muted(conn: &mut DbConnection, id: Uuid, muted: bool) -> Result<()> {
    diesel::update(watches::table.filter(watches::id.eq(DbUuid(id))))
        .set(watches::muted.eq(muted))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut DbConnection, id: Uuid, at: NaiveDateTime) -> Result<()> {
    diesel::update(watches::table.filter(watches::id.eq(DbUuid(id))))
        .set(watches::deleted_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Live watches (not deleted, muted or expired at `at`) whose key is one
/// of `keys`, of any kind: one indexed statement per write.
pub fn matching(
    conn: &mut DbConnection,
    keys: &[String],
    at: NaiveDateTime,
) -> Result<Vec<WatchRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(in_list!(conn, watches::match_key, keys, |key| native!(
        conn,
        |c| watches::table
            .filter(key)
            .filter(watches::deleted_at.is_null())
            .filter(watches::muted.eq(false))
            .filter(watches::expires_at.is_null().or(watches::expires_at.gt(at)))
            .select(WatchRow::as_select())
            .load(c)
    )?))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct NotificationRow {
    pub id: DbUuid,
    pub user_id: DbUuid,
    pub watch_id: DbUuid,
    pub record_id: Option<DbUuid>,
    pub record_kind: Option<String>,
    pub holding_agency_id: DbUuid,
    pub visible: bool,
    pub cause: String,
    pub batch_key: Option<String>,
    pub match_count: i64,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// Writes a notification; one with a `batch_key` (an import) that the
/// watch already has for that key counts `match_count` more instead.
pub fn notify(conn: &mut DbConnection, row: &NotificationRow) -> Result<()> {
    if let Some(key) = &row.batch_key {
        let bumped = diesel::update(
            notifications::table
                .filter(notifications::watch_id.eq(row.watch_id))
                .filter(notifications::batch_key.eq(key)),
        )
        .set(notifications::match_count.eq(notifications::match_count + row.match_count))
        .execute(conn)?;
        if bumped > 0 {
            return Ok(());
        }
    }
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A notification as listed: with its watch and the holding agency.
#[derive(Debug, Clone)]
pub struct Listed {
    pub notification: NotificationRow,
    pub watch_kind: String,
    pub watch_value: String,
    pub agency_name: String,
    pub agency_ori: String,
    pub agency_contact: String,
}

/// A user's notifications, newest first, before `before`.
pub fn of_user_notifications(
    conn: &mut DbConnection,
    user: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Listed>> {
    let mut query = notifications::table
        .inner_join(watches::table)
        .inner_join(agencies::table.on(agencies::id.eq(notifications::holding_agency_id)))
        .filter(notifications::user_id.eq(DbUuid(user)))
        .order(notifications::id.desc())
        .limit(limit)
        .select((
            NotificationRow::as_select(),
            watches::kind,
            watches::value,
            agencies::name,
            agencies::ori,
            agencies::contact,
        ))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(notifications::id.lt(DbUuid(before)));
    }
    let rows: Vec<(NotificationRow, String, String, String, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(notification, watch_kind, watch_value, agency_name, agency_ori, agency_contact)| {
                Listed {
                    notification,
                    watch_kind,
                    watch_value,
                    agency_name,
                    agency_ori,
                    agency_contact,
                }
            },
        )
        .collect())
}

pub fn unread_count(conn: &mut DbConnection, user: Uuid) -> Result<i64> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(DbUuid(user)))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks the user's notification read; `false` if they have none such.
pub fn mark_read(conn: &mut DbConnection, user: Uuid, id: Uuid, at: NaiveDateTime) -> Result<bool> {
    let found = notifications::table
        .filter(notifications::id.eq(DbUuid(id)))
        .filter(notifications::user_id.eq(DbUuid(user)))
        .count()
        .get_result::<i64>(conn)?;
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(DbUuid(id)))
            .filter(notifications::user_id.eq(DbUuid(user)))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(at)))
    .execute(conn)?;
    Ok(found > 0)
}

/// The role, agency and active state of a watch's owner, to decide what
/// their notification may say.
pub fn subscriber(conn: &mut DbConnection, user: Uuid) -> Result<Option<(String, DbUuid, bool)>> {
    Ok(users::table
        .filter(users::id.eq(DbUuid(user)))
        .select((users::role, users::agency_id, users::active))
        .get_result(conn)
        .optional()?)
}
