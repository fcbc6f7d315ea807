//! Flags on chains and their review history.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::review::FlagState;
use uuid::Uuid;

use crate::schema::{flag_transitions, flags, records};
use crate::{now, DbConnection, DbUuid, Error, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = flags, treat_none_as_default_value = false)]
pub struct FlagRow {
    pub id: DbUuid,
    pub shipment_id: DbUuid,
    pub owner_agency_id: DbUuid,
    pub state: String,
    pub reason: String,
    pub score: f64,
    pub indicators: String,
    pub raised_by: Option<DbUuid>,
    pub raised_at: NaiveDateTime,
    pub assigned_to: Option<DbUuid>,
    pub escalated_to: Option<DbUuid>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
    /// The flag this one was merged into (state `merged`).
    pub merged_into: Option<DbUuid>,
}

impl FlagRow {
    /// The stored state. Rows are only written from a `FlagState`; any
    /// other value is refused rather than read as some state.
    pub fn state(&self) -> Result<FlagState> {
        self.state
            .parse()
            .map_err(|_| Error::unreadable(format!("flag {} is `{}`", self.id.0, self.state)))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = flag_transitions, treat_none_as_default_value = false)]
pub struct TransitionRow {
    pub flag_id: DbUuid,
    pub version: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub by_user: Option<DbUuid>,
    pub at: NaiveDateTime,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

/// Raises a flag; `raised_by` is `None` for the system.
pub fn raise(
    conn: &mut DbConnection,
    shipment: Uuid,
    owner_agency: Uuid,
    reason: &str,
    score: f64,
    indicators: &str,
    raised_by: Option<Uuid>,
) -> Result<FlagRow> {
    let at = now();
    let row = FlagRow {
        id: DbUuid(Uuid::now_v7()),
        shipment_id: DbUuid(shipment),
        owner_agency_id: DbUuid(owner_agency),
        state: FlagState::Open.as_str().to_owned(),
        reason: reason.to_owned(),
        score,
        indicators: indicators.to_owned(),
        raised_by: raised_by.map(DbUuid),
        raised_at: at,
        assigned_to: None,
        escalated_to: None,
        version: 1,
        updated_at: at,
        merged_into: None,
    };
    diesel::insert_into(flags::table)
        .values(&row)
        .execute(conn)?;
    diesel::insert_into(flag_transitions::table)
        .values(&TransitionRow {
            flag_id: row.id,
            version: 1,
            action: "raise".into(),
            from_state: None,
            to_state: row.state.clone(),
            by_user: row.raised_by,
            at,
            reason: Some(reason.to_owned()),
            detail: None,
        })
        .execute(conn)?;
    Ok(row)
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<FlagRow>> {
    Ok(flags::table
        .find(DbUuid(id))
        .select(FlagRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn history(conn: &mut DbConnection, id: Uuid) -> Result<Vec<TransitionRow>> {
    Ok(flag_transitions::table
        .filter(flag_transitions::flag_id.eq(DbUuid(id)))
        .order(flag_transitions::version.asc())
        .select(TransitionRow::as_select())
        .load(conn)?)
}

/// Flags on any of `shipments`, newest first.
pub fn on_shipments(conn: &mut DbConnection, shipments: &[Uuid]) -> Result<Vec<FlagRow>> {
    let ids: Vec<DbUuid> = shipments.iter().copied().map(DbUuid).collect();
    Ok(flags::table
        .filter(flags::shipment_id.eq_any(ids))
        .order(flags::id.desc())
        .select(FlagRow::as_select())
        .load(conn)?)
}

/// What a transition changes.
pub struct Change<'a> {
    pub action: &'a str,
    pub to: FlagState,
    pub assigned_to: Option<Uuid>,
    pub escalated_to: Option<Uuid>,
    pub by: Uuid,
    pub reason: Option<&'a str>,
}

/// Applies a transition if the flag is still at `expected_version`;
/// `None` when someone else moved it first.
pub fn transition(
    conn: &mut DbConnection,
    current: &FlagRow,
    expected_version: i64,
    change: &Change<'_>,
) -> Result<Option<FlagRow>> {
    let at = now();
    let assigned = change.assigned_to.map(DbUuid).or(current.assigned_to);
    let escalated = change.escalated_to.map(DbUuid).or(current.escalated_to);
    let updated = diesel::update(
        flags::table
            .filter(flags::id.eq(current.id))
            .filter(flags::version.eq(expected_version)),
    )
    .set((
        flags::state.eq(change.to.as_str()),
        flags::assigned_to.eq(assigned),
        flags::escalated_to.eq(escalated),
        flags::version.eq(expected_version + 1),
        flags::updated_at.eq(at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    let detail = match (change.assigned_to, change.escalated_to) {
        (Some(user), _) => Some(format!("{{\"assigned_to\":\"{user}\"}}")),
        (_, Some(agency)) => Some(format!("{{\"escalated_to\":\"{agency}\"}}")),
        _ => None,
    };
    diesel::insert_into(flag_transitions::table)
        .values(&TransitionRow {
            flag_id: current.id,
            version: expected_version + 1,
            action: change.action.to_owned(),
            from_state: Some(current.state.clone()),
            to_state: change.to.as_str().to_owned(),
            by_user: Some(DbUuid(change.by)),
            at,
            reason: change.reason.map(str::to_owned),
            detail,
        })
        .execute(conn)?;
    find(conn, current.id.0)
}

/// A change to what a flag says, its state unchanged: its indicators and
/// score as they now stand, with a history entry (`action`: `merge`,
/// `attach` or `add_reason`). `None` when someone else moved it first.
pub struct Amendment<'a> {
    pub action: &'a str,
    pub indicators: &'a str,
    pub score: f64,
    /// `None` for the system.
    pub by: Option<Uuid>,
    pub reason: Option<&'a str>,
    pub detail: Option<String>,
}

pub fn amend(
    conn: &mut DbConnection,
    current: &FlagRow,
    amendment: &Amendment<'_>,
) -> Result<Option<FlagRow>> {
    let at = now();
    let updated = diesel::update(
        flags::table
            .filter(flags::id.eq(current.id))
            .filter(flags::version.eq(current.version)),
    )
    .set((
        flags::indicators.eq(amendment.indicators),
        flags::score.eq(amendment.score),
        flags::version.eq(current.version + 1),
        flags::updated_at.eq(at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    diesel::insert_into(flag_transitions::table)
        .values(&TransitionRow {
            flag_id: current.id,
            version: current.version + 1,
            action: amendment.action.to_owned(),
            from_state: Some(current.state.clone()),
            to_state: current.state.clone(),
            by_user: amendment.by.map(DbUuid),
            at,
            reason: amendment.reason.map(str::to_owned),
            detail: amendment.detail.clone(),
        })
        .execute(conn)?;
    find(conn, current.id.0)
}

/// Closes `absorbed` as merged into `survivor`, with a history entry;
/// `false` when someone else moved it first.
pub fn close_merged(
    conn: &mut DbConnection,
    absorbed: &FlagRow,
    survivor: Uuid,
    by: Option<Uuid>,
    reason: &str,
) -> Result<bool> {
    let at = now();
    let updated = diesel::update(
        flags::table
            .filter(flags::id.eq(absorbed.id))
            .filter(flags::version.eq(absorbed.version)),
    )
    .set((
        flags::state.eq(FlagState::Merged.as_str()),
        flags::merged_into.eq(Some(DbUuid(survivor))),
        flags::version.eq(absorbed.version + 1),
        flags::updated_at.eq(at),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    diesel::insert_into(flag_transitions::table)
        .values(&TransitionRow {
            flag_id: absorbed.id,
            version: absorbed.version + 1,
            action: "merge".to_owned(),
            from_state: Some(absorbed.state.clone()),
            to_state: FlagState::Merged.as_str().to_owned(),
            by_user: by.map(DbUuid),
            at,
            reason: Some(reason.to_owned()),
            detail: Some(serde_json::json!({ "merged_into": survivor }).to_string()),
        })
        .execute(conn)?;
    Ok(true)
}

/// Which flags a review queue lists for `agency`: each part in its own
/// states; a part with no states lists nothing.
pub struct QueueFilter<'a> {
    pub agency: Uuid,
    pub task_forces: &'a [Uuid],
    /// Flags the agency reviews: on its shipments, or shared with one of
    /// its task forces.
    pub reviewing: &'a [String],
    /// Flags another agency escalated to it.
    pub escalated_to_us: &'a [String],
    /// Its own flags it escalated to another agency.
    pub escalated_by_us: &'a [String],
    /// Only flags assigned to this user (`Some(Some)`), or to no one
    /// (`Some(None)`).
    pub assigned_to: Option<Option<Uuid>>,
    /// Only flags raised before (overdue) or at or after (not overdue) a
    /// moment; `None` for all.
    pub raised: Option<RaisedFilter>,
    /// Only flags carrying this indicator code (e.g. `pill_press`).
    pub indicator: Option<&'a str>,
    /// Only flags owned by this agency.
    pub owner_agency: Option<Uuid>,
    /// Whether flags on withdrawn shipments are listed (only to a role
    /// that sees withdrawn records): the queue lists nothing the caller
    /// could not open.
    pub include_withdrawn: bool,
    pub order: QueueOrder,
}

/// A queue's overdue filter, as the moment that divides overdue flags from
/// the others (`[review] overdue_after_days` before now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaisedFilter {
    /// Raised at or before it: overdue, if still undecided.
    Before(NaiveDateTime),
    /// Raised after it, or already decided: not overdue.
    NotOverdue(NaiveDateTime),
}

/// The order a queue is read in. Newest first pages by id (`before`);
/// the others by position (`offset`), as their keys are not unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    Newest {
        before: Option<Uuid>,
    },
    /// Oldest first: what has waited longest.
    Oldest {
        offset: i64,
    },
    /// Highest score first, then oldest.
    Score {
        offset: i64,
    },
}

/// A review queue, in `filter.order`.
pub fn queue(
    conn: &mut DbConnection,
    filter: &QueueFilter<'_>,
    limit: i64,
) -> Result<Vec<FlagRow>> {
    let agency = DbUuid(filter.agency);
    let tfs: Vec<DbUuid> = filter.task_forces.iter().copied().map(DbUuid).collect();
    let mut query = flags::table
        .inner_join(records::table.on(records::id.eq(flags::shipment_id)))
        .filter(
            flags::owner_agency_id
                .eq(agency)
                .or(records::scope_task_force_id.eq_any(tfs))
                .and(flags::state.eq_any(filter.reviewing))
                .or(flags::escalated_to
                    .eq(agency)
                    .and(flags::state.eq_any(filter.escalated_to_us)))
                .or(flags::owner_agency_id
                    .eq(agency)
                    .and(flags::escalated_to.is_not_null())
                    .and(flags::state.eq_any(filter.escalated_by_us))),
        )
        .filter(
            records::withdrawn_at.is_null().or(
                diesel::IntoSql::into_sql::<diesel::sql_types::Bool>(filter.include_withdrawn),
            ),
        )
        .limit(limit)
        .select(FlagRow::as_select())
        .into_boxed();
    if let Some(code) = filter.indicator {
        // The indicators are stored as JSON text: `"code":"…"` names one.
        // `code` is a known indicator code (letters and `_`), escaped all
        // the same.
        let escaped = code
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            flags::indicators
                .like(format!("%\"code\":\"{escaped}\"%"))
                .escape('\\'),
        );
    }
    if let Some(owner) = filter.owner_agency {
        query = query.filter(flags::owner_agency_id.eq(DbUuid(owner)));
    }
    query = match filter.assigned_to {
        None => query,
        Some(Some(user)) => query.filter(flags::assigned_to.eq(DbUuid(user))),
        Some(None) => query.filter(flags::assigned_to.is_null()),
    };
    let undecided = [FlagState::Open, FlagState::UnderReview].map(|s| s.as_str().to_owned());
    query = match filter.raised {
        None => query,
        Some(RaisedFilter::Before(at)) => query
            .filter(flags::raised_at.le(at))
            .filter(flags::state.eq_any(undecided)),
        Some(RaisedFilter::NotOverdue(at)) => {
            query.filter(flags::raised_at.gt(at).or(flags::state.ne_all(undecided)))
        }
    };
    query = match filter.order {
        QueueOrder::Newest { before } => {
            let query = query.order(flags::id.desc());
            match before {
                Some(before) => query.filter(flags::id.lt(DbUuid(before))),
                None => query,
            }
        }
        QueueOrder::Oldest { offset } => query.order(flags::id.asc()).offset(offset),
        QueueOrder::Score { offset } => query
            .order((flags::score.desc(), flags::id.asc()))
            .offset(offset),
    };
    Ok(query.load(conn)?)
}

/// Flags on shipments the caller can see, oldest first, after `after`,
/// optionally in one state and raised within `raised`.
pub fn visible_page(
    conn: &mut DbConnection,
    visibility: &interdict_domain::policy::Visibility,
    state: Option<&str>,
    raised: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<FlagRow>> {
    let Some((agency, tfs, include_withdrawn)) = crate::visibility::scoped(visibility) else {
        return Ok(Vec::new());
    };
    let visible = crate::visibility::visible_shipment_ids!(agency, tfs, include_withdrawn);
    let mut query = flags::table
        .filter(flags::shipment_id.eq_any(visible))
        .order(flags::id.asc())
        .limit(limit)
        .select(FlagRow::as_select())
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(flags::state.eq(state.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(flags::id.gt(DbUuid(after)));
    }
    if let Some(from) = raised.0 {
        query = query.filter(flags::raised_at.ge(from));
    }
    if let Some(to) = raised.1 {
        query = query.filter(flags::raised_at.lt(to));
    }
    Ok(query.load(conn)?)
}
