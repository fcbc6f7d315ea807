//! The sharing policy in SQL: which records a caller may see, as the
//! filters every query over records applies (record reads, searches,
//! chains, flags, kept risk findings).

use diesel::prelude::*;
use interdict_domain::policy::Visibility;

use crate::db::MultiBackend;
use crate::schema::records;
use crate::DbUuid;

pub type BoxedRecords<'a> = records::BoxedQuery<'a, MultiBackend>;

/// The sharing rule in SQL: owned by the agency, shared with all, or shared
/// with one of its task forces. A macro, not a function, because the
/// expression's type cannot be named; it is used both as a filter and
/// inside unboxed subqueries.
/// `shared_with!(alias; …)` says the same of the records read under
/// `alias`.
macro_rules! shared_with {
    ($agency:expr, $task_forces:expr) => {
        crate::schema::records::owner_agency_id
            .eq($agency)
            .or(crate::schema::records::scope_kind.eq("all"))
            .or(crate::schema::records::scope_task_force_id.eq_any($task_forces))
    };
    ($alias:ident; $agency:expr, $task_forces:expr) => {
        $alias
            .field(crate::schema::records::owner_agency_id)
            .eq($agency)
            .or($alias.field(crate::schema::records::scope_kind).eq("all"))
            .or($alias
                .field(crate::schema::records::scope_task_force_id)
                .eq_any($task_forces))
    };
}
pub(crate) use shared_with;

/// The parts of a `Scoped` visibility as column values, for
/// [`visible_shipment_ids!`]; `None` for the other kinds. Registry records
/// other than the chemical catalogue are only ever `Scoped` or `Nothing`
/// (`policy::record_visibility`, whose matrix test holds it to that), so
/// for shipments `None` means the caller sees none.
pub(crate) fn scoped(visibility: &Visibility) -> Option<(DbUuid, Vec<DbUuid>, bool)> {
    match visibility {
        Visibility::Scoped {
            agency_id,
            task_forces,
            include_withdrawn,
        } => Some((
            DbUuid(*agency_id),
            task_forces.iter().copied().map(DbUuid).collect(),
            *include_withdrawn,
        )),
        _ => None,
    }
}

/// Restricts a query to the records `visibility` allows: the policy, in SQL.
pub fn visible<'a>(query: BoxedRecords<'a>, visibility: &Visibility) -> BoxedRecords<'a> {
    match visibility {
        Visibility::Nothing => query.filter(records::id.ne(records::id)),
        Visibility::Everything {
            include_withdrawn: true,
        } => query,
        Visibility::Everything {
            include_withdrawn: false,
        } => query.filter(records::withdrawn_at.is_null()),
        Visibility::Scoped {
            agency_id,
            task_forces,
            include_withdrawn,
        } => {
            let task_forces: Vec<DbUuid> = task_forces.iter().copied().map(DbUuid).collect();
            let query = query.filter(shared_with!(DbUuid(*agency_id), task_forces));
            if *include_withdrawn {
                query
            } else {
                query.filter(records::withdrawn_at.is_null())
            }
        }
    }
}

/// Ids of shipments `visibility` lets the caller see, as a subquery. Kept
/// unboxed so it can sit inside another query on both backends.
macro_rules! visible_shipment_ids {
    ($agency:expr, $task_forces:expr, $include_withdrawn:expr) => {{
        use diesel::IntoSql;
        crate::schema::records::table
            .filter(crate::schema::records::kind.eq("shipment"))
            .filter(crate::visibility::shared_with!($agency, $task_forces))
            .filter(
                crate::schema::records::withdrawn_at
                    .is_null()
                    .or($include_withdrawn.into_sql::<diesel::sql_types::Bool>()),
            )
            .select(crate::schema::records::id)
    }};
}
pub(crate) use visible_shipment_ids;

/// Ids of records `visibility` lets the caller see, of any kind, as a
/// subquery (the parts from [`scoped`]); `|seen| condition` narrows them,
/// naming their columns `seen.field(records::…)`. The records are read
/// under an alias, so the subquery can sit inside a query on `records`
/// itself; kept unboxed so it can sit inside another query on both
/// backends.
macro_rules! visible_record_ids {
    ($agency:expr, $task_forces:expr, $include_withdrawn:expr, |$seen:ident| $also:expr) => {{
        use diesel::IntoSql;
        let $seen = diesel::alias!(crate::schema::records as visible_records);
        $seen
            .filter(crate::visibility::shared_with!($seen; $agency, $task_forces))
            .filter(
                $seen
                    .field(crate::schema::records::withdrawn_at)
                    .is_null()
                    .or($include_withdrawn.into_sql::<diesel::sql_types::Bool>()),
            )
            .filter($also)
            .select($seen.field(crate::schema::records::id))
    }};
}
pub(crate) use visible_record_ids;
