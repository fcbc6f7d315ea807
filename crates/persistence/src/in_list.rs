//! `column IN (values)` that stays in diesel's statement cache when there
//! are few values.
//!
//! On SQLite diesel writes `eq_any` as `IN (?, ?, …)` and, as the text
//! depends on the list's length, does not cache the statement: SQLite
//! parses and plans it again on every execution. A single write asks with
//! a few values at a time (its party, its tracking number, the keys its
//! watches match), and those statements took a fifth of a create's CPU on
//! SQLite (BENCHMARKS.md). One value is asked as `column = ?`; on SQLite,
//! two to [`FEW`] as `column = ? OR …` with [`FEW`] places, the last value
//! repeated in those left over: one text, cached. PostgreSQL binds a list
//! as one array (`= ANY($1)`), cached whatever its length; asked as an
//! `OR` its planner combined index scans instead, and settlement cost its
//! backends a tenth more CPU.

/// The most values asked as a fixed `OR` of equalities.
pub(crate) const FEW: usize = 4;

/// Evaluates `$query` with `$condition` bound to `$column = value` if
/// `$values` (a slice) holds one value, to `$column = a OR …` if it holds
/// up to [`FEW`] and `$conn` is a SQLite connection, to `$column IN
/// $values` otherwise (none included). `$query` is compiled once for each.
macro_rules! in_list {
    ($conn:expr, $column:expr, $values:expr, |$condition:ident| $query:expr) => {
        match $values {
            [one] => {
                let $condition = $column.eq(one.clone());
                $query
            }
            few if $conn.backend() == crate::Backend::Sqlite
                && !few.is_empty()
                && few.len() <= crate::in_list::FEW =>
            {
                let at = |i: usize| few[i.min(few.len() - 1)].clone();
                let $condition = $column
                    .eq(at(0))
                    .or($column.eq(at(1)))
                    .or($column.eq(at(2)))
                    .or($column.eq(at(3)));
                $query
            }
            many => {
                let $condition = $column.eq_any(many);
                $query
            }
        }
    };
}
pub(crate) use in_list;
