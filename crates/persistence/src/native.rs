//! Statements run on the backend's own connection, for the hot paths.
//!
//! Through the multi-backend connection every execution of a statement,
//! cached or not, writes its whole SQL text again, twice: diesel's derive
//! wraps the query in a type whose `walk_ast` serialises it for each pass
//! (is it safe to cache, collect its binds), before the binds are walked.
//! On a SQLite create that writing was an eighth of the server's CPU, on
//! the audit writer's serial thread (BENCHMARKS.md). On the backend's own
//! connection a cached statement only has its binds collected.
//!
//! Only statements diesel can build for each backend may go this way: not
//! boxed queries, which are built for the multi-backend one.

/// Evaluates `$body` with `$c` bound to the inner connection of `$conn`
/// (a `&mut DbConnection`), whichever backend it is. `$body` is compiled
/// once for each backend.
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut *$conn {
            crate::DbConnection::Sqlite($c) => $body,
            crate::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use native;
