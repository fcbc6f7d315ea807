//! `column IN (values)` that stays in diesel's statement cache when there
//! is one value.
//!
//! On SQLite diesel writes `eq_any` as `IN (?, ?, …)` and, as the text
//! depends on the list's length, does not cache the statement: SQLite
//! parses and plans it again on every execution. A single write asks with
//! one value at a time (its party, its tracking number), and those
//! statements took a fifth of a create's CPU on SQLite (BENCHMARKS.md).
//! With one value the condition is `column = ?`, which is cached.
//! PostgreSQL binds a list as one array (`= ANY($1)`), cached either way.

/// Evaluates `$query` with `$condition` bound to `$column = value` if
/// `$values` (a slice) holds one value, to `$column IN $values` otherwise.
/// `$query` is compiled once for each.
macro_rules! in_list {
    ($column:expr, $values:expr, |$condition:ident| $query:expr) => {
        match $values {
            [one] => {
                let $condition = $column.eq(one.clone());
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
