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
macro_rules! shared_with {
    ($agency:expr, $task_forces:expr) => {
        crate::schema::records::owner_agency_id
            .eq($agency)
            .or(crate::schema::records::scope_kind.eq("all"))
            .or(crate::schema::records::scope_task_force_id.eq_any($task_forces))
    };
}
pub(crate) use shared_with;

/// The parts of a `Scoped` visibility as column values; `None` for the
/// other kinds, which no scoped query needs.
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
