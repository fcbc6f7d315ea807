//! Watchlists and notifications: a user follows an identifier, a party,
//! an imprint or a chemical; a write, an import line or a re-screen that
//! matches leaves them a notification in the write's own transaction. A
//! subscriber who may not see the record is told only which agency holds
//! it and whom to contact there.

use chrono::{DateTime, NaiveDateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::policy::{self, Actor, RecordMeta};
use interdict_domain::record::{RecordIndex, RecordKind};
use interdict_domain::sharing::Scope;
use interdict_domain::watch::{record_keys, watch_key, WatchKind};
use interdict_persistence::watches::{self, NotificationRow, WatchRow};
use interdict_persistence::{agencies, records, DbConnection, DbUuid};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::{Page, PageQuery};
use crate::utc;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "kind": "identifier", "value": "176-12345675", "expires_at": "2027-06-30T00:00:00Z" }))]
pub struct WatchRequest {
    /// `identifier`, `party`, `imprint` or `chemical`.
    #[schema(value_type = interdict_domain::watch::WatchKind)]
    pub kind: String,
    /// The identifier or imprint as written, or the party's or chemical's id.
    pub value: String,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WatchView {
    pub id: Uuid,
    #[schema(value_type = interdict_domain::watch::WatchKind)]
    pub kind: String,
    pub value: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub muted: bool,
    pub created_at: DateTime<Utc>,
}

fn watch_view(row: WatchRow) -> WatchView {
    WatchView {
        id: row.id.0,
        kind: row.kind,
        value: row.value,
        expires_at: row.expires_at.map(utc),
        muted: row.muted,
        created_at: utc(row.created_at),
    }
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    use chrono::SubsecRound;
    at.naive_utc().trunc_subsecs(6)
}

/// Starts a watch (investigators and supervisors).
pub async fn create(ctx: &Ctx, request: WatchRequest) -> Result<WatchView, AppError> {
    let id = Uuid::now_v7();
    let mut event = ctx.event_on(AuditAction::WatchCreate, "watch", id);
    let now = ctx.now();
    let checked = ctx.actor().and_then(|actor| {
        AppError::from_decision(policy::decide_watch(actor))?;
        let kind: WatchKind =
            request
                .kind
                .parse()
                .map_err(|e: interdict_domain::validation::Invalid| {
                    AppError::invalid("kind", e.message())
                })?;
        let value = request.value.trim();
        let key = watch_key(kind, value).map_err(|e| AppError::invalid("value", e.message()))?;
        if request.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::invalid("expires_at", "must be in the future"));
        }
        Ok(WatchRow {
            id: DbUuid(id),
            user_id: DbUuid(actor.user_id),
            kind: kind.as_str().to_owned(),
            value: value.to_owned(),
            match_key: key,
            expires_at: request.expires_at.map(naive),
            muted: false,
            created_at: naive(now),
            deleted_at: None,
        })
    });
    let row = match checked {
        Ok(row) => row,
        Err(e) => return ctx.reject(event, e).await,
    };
    event.detail = Some(serde_json::json!({ "kind": row.kind, "value": row.value }).to_string());
    ctx.app
        .audit
        .perform(event, move |conn, _| -> Result<WatchView, AppError> {
            watches::insert(conn, &row)?;
            Ok(watch_view(row))
        })
        .await
}

/// The caller's watches.
pub async fn list(ctx: &Ctx) -> Result<Vec<WatchView>, AppError> {
    let result = async {
        let user = ctx.actor()?.user_id;
        ctx.app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(
                    watches::of_user(conn, user)?
                        .into_iter()
                        .map(watch_view)
                        .collect(),
                )
            })
            .await
    }
    .await;
    ctx.audited(ctx.event_on(AuditAction::WatchList, "watch", "*"), result)
        .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteRequest {
    pub muted: bool,
}

/// Mutes or unmutes one of the caller's watches.
pub async fn mute(ctx: &Ctx, id: Uuid, request: MuteRequest) -> Result<WatchView, AppError> {
    let mut event = ctx.event_on(AuditAction::WatchMute, "watch", id);
    event.detail = Some(serde_json::json!({ "muted": request.muted }).to_string());
    let user = match ctx.actor() {
        Ok(actor) => actor.user_id,
        Err(e) => return ctx.reject(event, e).await,
    };
    ctx.app
        .audit
        .perform(event, move |conn, _| -> Result<WatchView, AppError> {
            let mut row = watches::find_own(conn, user, id)?.ok_or(AppError::NotFound)?;
            watches::set_muted(conn, id, request.muted)?;
            row.muted = request.muted;
            Ok(watch_view(row))
        })
        .await
}

/// Deletes one of the caller's watches (kept, marked deleted).
pub async fn delete(ctx: &Ctx, id: Uuid) -> Result<(), AppError> {
    let event = ctx.event_on(AuditAction::WatchDelete, "watch", id);
    let user = match ctx.actor() {
        Ok(actor) => actor.user_id,
        Err(e) => return ctx.reject(event, e).await,
    };
    let at = naive(ctx.now());
    ctx.app
        .audit
        .perform(event, move |conn, _| -> Result<(), AppError> {
            watches::find_own(conn, user, id)?.ok_or(AppError::NotFound)?;
            watches::delete(conn, id, at)?;
            Ok(())
        })
        .await
}

/// What a write matching watches notifies: the record, its owner and
/// sharing, and why.
pub(crate) struct Written {
    pub id: Uuid,
    pub kind: RecordKind,
    pub meta: RecordMeta,
    /// Whoever wrote it is not notified of their own write.
    pub writer: Option<Uuid>,
    /// `write` or `import`.
    pub cause: &'static str,
    /// An import's id: its matches of one watch make one notification.
    pub batch: Option<String>,
}

/// The live watches a record's write matches: one query. Read inside
/// the write's transaction or, for a new record, before it (a watch saved
/// while the write waits for the audit writer is then not seen, as one
/// saved by another instance during the transaction would not be).
pub(crate) fn watching(
    conn: &mut DbConnection,
    id: Uuid,
    kind: RecordKind,
    index: &RecordIndex,
) -> Result<Vec<WatchRow>, AppError> {
    let keys = record_keys(id, kind, index);
    let texts: Vec<String> = keys.iter().map(|(_, key)| key.clone()).collect();
    let at = interdict_persistence::now();
    Ok(watches::matching(conn, &texts, at)?
        .into_iter()
        .filter(|w| {
            keys.iter()
                .any(|(kind, key)| kind.as_str() == w.kind && *key == w.match_key)
        })
        .collect())
}

/// Notifies the watchers of `matched` ([`watching`] the written record),
/// in the write's transaction.
pub(crate) fn notify_written(
    conn: &mut DbConnection,
    written: &Written,
    matched: Vec<WatchRow>,
) -> Result<(), AppError> {
    let matched = matched
        .into_iter()
        .filter(|w| Some(w.user_id.0) != written.writer);
    let at = interdict_persistence::now();
    let mut subscribers: HashMap<Uuid, Option<Actor>> = HashMap::new();
    for watch in matched {
        let actor = match subscribers.get(&watch.user_id.0) {
            Some(actor) => actor.clone(),
            None => {
                let actor = subscriber(conn, watch.user_id.0)?;
                subscribers.insert(watch.user_id.0, actor.clone());
                actor
            }
        };
        let Some(actor) = actor else { continue };
        let visible = policy::can_see(&actor, &written.meta);
        watches::notify(
            conn,
            &NotificationRow {
                id: DbUuid(Uuid::now_v7()),
                user_id: watch.user_id,
                watch_id: watch.id,
                record_id: visible.then_some(DbUuid(written.id)),
                record_kind: visible.then(|| written.kind.as_str().to_owned()),
                holding_agency_id: DbUuid(written.meta.owner_agency),
                visible,
                cause: written.cause.to_owned(),
                batch_key: written.batch.clone(),
                match_count: 1,
                created_at: at,
                read_at: None,
            },
        )?;
    }
    Ok(())
}

/// A written record and the keys it matches watches under.
type Keyed = (Uuid, RecordKind, Vec<(WatchKind, String)>);

/// An import batch's records (all of one agency, shared with it alone):
/// each watch they match gets one notification for the import, counting
/// its matches, however many batches the import takes.
pub(crate) fn notify_batch(
    conn: &mut DbConnection,
    written: &[(Uuid, RecordKind, &RecordIndex)],
    owner: Uuid,
    writer: Option<Uuid>,
    import: Uuid,
) -> Result<(), AppError> {
    let keyed: Vec<Keyed> = written
        .iter()
        .map(|(id, kind, index)| (*id, *kind, record_keys(*id, *kind, index)))
        .collect();
    let mut texts: Vec<String> = keyed
        .iter()
        .flat_map(|(_, _, keys)| keys.iter().map(|(_, k)| k.clone()))
        .collect();
    texts.sort();
    texts.dedup();
    let at = interdict_persistence::now();
    let mut watches_found = Vec::new();
    for chunk in texts.chunks(interdict_persistence::CHUNK_SIZE) {
        watches_found.extend(watches::matching(conn, chunk, at)?);
    }
    let meta = RecordMeta {
        owner_agency: owner,
        scope: Scope::Agency,
        withdrawn: false,
    };
    for watch in watches_found {
        if Some(watch.user_id.0) == writer {
            continue;
        }
        let matched: Vec<(Uuid, RecordKind)> = keyed
            .iter()
            .filter(|(_, _, keys)| {
                keys.iter()
                    .any(|(kind, key)| kind.as_str() == watch.kind && *key == watch.match_key)
            })
            .map(|(id, kind, _)| (*id, *kind))
            .collect();
        let Some((first, first_kind)) = matched.first().copied() else {
            continue;
        };
        let Some(actor) = subscriber(conn, watch.user_id.0)? else {
            continue;
        };
        let visible = policy::can_see(&actor, &meta);
        watches::notify(
            conn,
            &NotificationRow {
                id: DbUuid(Uuid::now_v7()),
                user_id: watch.user_id,
                watch_id: watch.id,
                record_id: visible.then_some(DbUuid(first)),
                record_kind: visible.then(|| first_kind.as_str().to_owned()),
                holding_agency_id: DbUuid(owner),
                visible,
                cause: "import".to_owned(),
                batch_key: Some(import.to_string()),
                match_count: matched.len() as i64,
                created_at: at,
                read_at: None,
            },
        )?;
    }
    Ok(())
}

/// A party's new sanctions hit notifies those watching the party.
pub(crate) fn notify_rescreen(
    conn: &mut DbConnection,
    party: Uuid,
    _owner: Uuid,
    _at: NaiveDateTime,
) -> Result<(), AppError> {
    let Some(row) = records::owner_of(conn, party)? else {
        return Ok(());
    };
    let meta = record_meta(conn, party, row)?;
    let index = RecordIndex {
        identifiers: Vec::new(),
        references: Vec::new(),
        search_text: String::new(),
        facts: interdict_domain::record::Facts::DieMold {
            shape: String::new(),
        },
    };
    let matched = watching(conn, party, RecordKind::Party, &index)?;
    notify_written(
        conn,
        &Written {
            id: party,
            kind: RecordKind::Party,
            meta,
            writer: None,
            cause: "rescreen",
            batch: None,
        },
        matched,
    )
}

fn record_meta(conn: &mut DbConnection, id: Uuid, owner: Uuid) -> Result<RecordMeta, AppError> {
    let visibility = interdict_domain::policy::Visibility::Everything {
        include_withdrawn: true,
    };
    Ok(
        match records::find_visible(conn, RecordKind::Party, id, &visibility)? {
            Some(row) => row.meta()?,
            None => RecordMeta {
                owner_agency: owner,
                scope: Scope::Agency,
                withdrawn: false,
            },
        },
    )
}

/// A watch's owner as the policy sees them, if still active.
fn subscriber(conn: &mut DbConnection, user: Uuid) -> Result<Option<Actor>, AppError> {
    let Some((role, agency, active)) = watches::subscriber(conn, user)? else {
        return Ok(None);
    };
    if !active {
        return Ok(None);
    }
    let Ok(role) = role.parse() else {
        return Ok(None);
    };
    Ok(Some(Actor {
        user_id: user,
        agency_id: agency.0,
        role,
        task_forces: agencies::task_forces_of(conn, agency.0)?,
        system_agency: false,
    }))
}

/// The agency holding a matching record, and whom to contact there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HolderView {
    pub id: Uuid,
    pub name: String,
    pub ori: String,
    pub contact: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub watch_id: Uuid,
    #[schema(value_type = interdict_domain::watch::WatchKind)]
    pub watch_kind: String,
    pub watch_value: String,
    /// The matching record, only when you may see it.
    pub record_id: Option<Uuid>,
    #[schema(value_type = Option<interdict_domain::record::RecordKind>)]
    pub record_kind: Option<String>,
    /// Whether you may see the record; if not, contact the holding agency.
    pub visible: bool,
    pub holding_agency: HolderView,
    /// `write`, `import` or `rescreen`.
    #[schema(value_type = interdict_domain::watch::NotificationCause)]
    pub cause: String,
    /// How many matches it stands for (an import's matches of one watch).
    pub count: i64,
    pub unread: bool,
    pub created_at: DateTime<Utc>,
}

/// The caller's notifications, newest first, with the unread count.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsPage {
    pub unread: i64,
    #[serde(flatten)]
    pub page: Page<NotificationView>,
}

pub async fn notifications(ctx: &Ctx, query: &PageQuery) -> Result<NotificationsPage, AppError> {
    let result = async {
        let user = ctx.actor()?.user_id;
        let limit = query.limit()?;
        let cursor = query.uuid_cursor()?;
        let (rows, unread) = ctx
            .app
            .db
            .run(move |conn| {
                Ok::<_, AppError>((
                    watches::of_user_notifications(conn, user, cursor, limit + 1)?,
                    watches::unread_count(conn, user)?,
                ))
            })
            .await?;
        let page = Page::from_rows(
            rows,
            limit,
            |n| n.notification.id.0.to_string(),
            |n| NotificationView {
                id: n.notification.id.0,
                watch_id: n.notification.watch_id.0,
                watch_kind: n.watch_kind,
                watch_value: n.watch_value,
                record_id: n.notification.record_id.map(|r| r.0),
                record_kind: n.notification.record_kind,
                visible: n.notification.visible,
                holding_agency: HolderView {
                    id: n.notification.holding_agency_id.0,
                    name: n.agency_name,
                    ori: n.agency_ori,
                    contact: n.agency_contact,
                },
                cause: n.notification.cause,
                count: n.notification.match_count,
                unread: n.notification.read_at.is_none(),
                created_at: utc(n.notification.created_at),
            },
        );
        Ok(NotificationsPage { unread, page })
    }
    .await;
    ctx.audited(
        ctx.event_on(AuditAction::NotificationList, "notification", "*"),
        result,
    )
    .await
}

/// How many unread notifications the caller has (the pages' header):
/// a count of the caller's own rows, not audited.
pub async fn unread(ctx: &Ctx) -> Result<i64, AppError> {
    let user = ctx.actor()?.user_id;
    ctx.app
        .db
        .run(move |conn| Ok::<_, AppError>(watches::unread_count(conn, user)?))
        .await
}

/// Marks one of the caller's notifications read.
pub async fn mark_read(ctx: &Ctx, id: Uuid) -> Result<(), AppError> {
    let event = ctx.event_on(AuditAction::NotificationRead, "notification", id);
    let user = match ctx.actor() {
        Ok(actor) => actor.user_id,
        Err(e) => return ctx.reject(event, e).await,
    };
    let at = naive(ctx.now());
    ctx.app
        .audit
        .perform(event, move |conn, _| -> Result<(), AppError> {
            if watches::mark_read(conn, user, id, at)? {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        })
        .await
}
