//! The oversight report's figures, counted by the database: the shipments
//! a caller may see that were shipped in a period, grouped by incident
//! type, origin, destination state, week and the control of the chemicals
//! they carry; the flags raised on them in the period, by state; and when
//! each decided flag was decided. Each is one `GROUP BY`, so the report
//! costs the same however many shipments the period holds.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{count, count_star, max, sql};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::AggregateExpressionMethods;
use interdict_domain::policy::Visibility;
use interdict_domain::record::RecordKind;
use interdict_domain::review::FlagState;

use crate::db::Backend;
use crate::schema::{
    chemical_facts, flag_transitions, flags, record_refs, records, shipment_facts,
};
use crate::visibility::scoped;
use crate::{DbConnection, Error, Result};

/// Shipments count in `[from, to)` by when they were shipped (their first
/// leg's departure, or its arrival); flags by when they were raised.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// A value and how many shipments (or flags) have it.
pub type Counts = Vec<(String, u64)>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub shipments: u64,
    pub by_incident: Counts,
    pub by_origin: Counts,
    /// Shipments with a destination state, by that state.
    pub by_state: Counts,
    /// Shipments by each control status among the chemicals they carry: a
    /// shipment carrying a List I and a List II chemical counts once for
    /// each; one carrying no chemical counts for none.
    pub by_control: Counts,
    /// Shipments per week, keyed by the Monday that starts it.
    pub per_week: Vec<(NaiveDate, u64)>,
    pub flags_by_state: Counts,
    /// Each decided flag's (raised, decided) times: when it was raised and
    /// its last transition.
    pub decisions: Vec<(NaiveDateTime, NaiveDateTime)>,
    /// When each flag still undecided (open or under review) was raised,
    /// for the overdue count.
    pub undecided_raised: Vec<NaiveDateTime>,
}

/// The ids of the shipments a caller sees (`agency`, `task_forces`,
/// `include_withdrawn`, as [`scoped`] gives them) that were shipped in
/// `period`, as a subquery: unboxed, so it can sit inside the grouped
/// queries on both backends.
macro_rules! shipped_in {
    ($scope:expr, $period:expr) => {{
        let (agency, task_forces, include_withdrawn) = $scope.clone();
        crate::visibility::visible_shipment_ids!(agency, task_forces, include_withdrawn).filter(
            records::id.eq_any(
                shipment_facts::table
                    .filter(shipment_facts::shipped_at.ge($period.from))
                    .filter(shipment_facts::shipped_at.lt($period.to))
                    .select(shipment_facts::record_id),
            ),
        )
    }};
}

fn counts(rows: Vec<(String, i64)>) -> Counts {
    rows.into_iter()
        .map(|(value, n)| (value, n.unsigned_abs()))
        .collect()
}

pub fn figures(
    conn: &mut DbConnection,
    visibility: &Visibility,
    period: Period,
) -> Result<Figures> {
    let Some(scope) = scoped(visibility) else {
        return Ok(Figures::default());
    };
    let shipments = || {
        let (agency, task_forces, include_withdrawn) = scope.clone();
        shipment_facts::table
            .filter(shipment_facts::shipped_at.ge(period.from))
            .filter(shipment_facts::shipped_at.lt(period.to))
            .filter(
                shipment_facts::record_id.eq_any(crate::visibility::visible_shipment_ids!(
                    agency,
                    task_forces,
                    include_withdrawn
                )),
            )
    };
    let total: i64 = shipments().select(count_star()).get_result(conn)?;
    let by_incident = shipments()
        .group_by(shipment_facts::incident_type)
        .select((shipment_facts::incident_type, count_star()))
        .load(conn)?;
    let by_origin = shipments()
        .group_by(shipment_facts::origin_country)
        .select((shipment_facts::origin_country, count_star()))
        .load(conn)?;
    let by_state: Vec<(Option<String>, i64)> = shipments()
        .filter(shipment_facts::destination_subdivision.is_not_null())
        .group_by(shipment_facts::destination_subdivision)
        .select((shipment_facts::destination_subdivision, count_star()))
        .load(conn)?;
    // The Monday that starts the week, as text both backends write alike.
    let monday = match conn.backend() {
        Backend::Sqlite => "date(shipped_at, 'weekday 0', '-6 days')",
        Backend::Postgres => "to_char(date_trunc('week', shipped_at), 'YYYY-MM-DD')",
    };
    let per_week: Vec<(String, i64)> = shipments()
        .group_by(sql::<Text>(monday))
        .select((sql::<Text>(monday), count_star()))
        .load(conn)?;
    let by_control = record_refs::table
        .inner_join(chemical_facts::table.on(chemical_facts::record_id.eq(record_refs::ref_id)))
        .filter(record_refs::record_id.eq_any(shipped_in!(scope, period)))
        .filter(record_refs::ref_kind.eq(RecordKind::Chemical.as_str()))
        .group_by(chemical_facts::us_control)
        .select((
            chemical_facts::us_control,
            count(record_refs::record_id).aggregate_distinct(),
        ))
        .load(conn)?;
    let raised = || {
        flags::table
            .filter(flags::shipment_id.eq_any(shipped_in!(scope, period)))
            .filter(flags::raised_at.ge(period.from))
            .filter(flags::raised_at.lt(period.to))
    };
    let flags_by_state = raised()
        .group_by(flags::state)
        .select((flags::state, count_star()))
        .load(conn)?;
    let decided: Vec<&str> = FlagState::ALL
        .iter()
        // A merged flag was not decided: the flag it joined was.
        .filter(|s| s.is_decided() && **s != FlagState::Merged)
        .map(|s| s.as_str())
        .collect();
    let decisions: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = raised()
        .inner_join(flag_transitions::table.on(flag_transitions::flag_id.eq(flags::id)))
        .filter(flags::state.eq_any(decided))
        .group_by((flags::id, flags::raised_at))
        .select((flags::raised_at, max(flag_transitions::at)))
        .load(conn)?;
    let undecided: Vec<&str> = FlagState::ALL
        .iter()
        .filter(|s| !s.is_decided())
        .map(|s| s.as_str())
        .collect();
    let undecided_raised: Vec<NaiveDateTime> = raised()
        .filter(flags::state.eq_any(undecided))
        .select(flags::raised_at)
        .load(conn)?;
    Ok(Figures {
        undecided_raised,
        shipments: total.unsigned_abs(),
        by_incident: counts(by_incident),
        by_origin: counts(by_origin),
        by_state: by_state
            .into_iter()
            .filter_map(|(state, n)| Some((state?, n.unsigned_abs())))
            .collect(),
        by_control: counts(by_control),
        per_week: per_week
            .into_iter()
            .map(|(monday, n)| {
                NaiveDate::parse_from_str(&monday, "%Y-%m-%d")
                    .map(|day| (day, n.unsigned_abs()))
                    .map_err(|_| Error::Other(format!("a week that starts on `{monday}`")))
            })
            .collect::<Result<_>>()?,
        flags_by_state: counts(flags_by_state),
        decisions: decisions
            .into_iter()
            .filter_map(|(raised, decided)| Some((raised, decided?)))
            .collect(),
    })
}
