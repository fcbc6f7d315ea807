//! Rows for several tables, sent to PostgreSQL as one statement.
//!
//! On the audit writer's one connection each statement is a round trip
//! that every request in its batch waits for, and a new record writes a
//! row to five tables or more. PostgreSQL takes them as one statement,
//! `WITH i0 AS (INSERT …), i1 AS (INSERT …) INSERT …`: its parts run on
//! one snapshot and foreign keys are checked when the whole statement
//! ends, so a record's rows may come in any order. SQLite has no round
//! trip to save and runs each insert as it comes.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

use crate::CHUNK;
use crate::{DbConnection, Result};

/// Inserts waiting to go to PostgreSQL together; see [`together`].
#[derive(Default)]
pub(crate) struct Inserts<'a> {
    pending: Vec<Box<dyn QueryFragment<Pg> + 'a>>,
    rows: usize,
}

/// Runs `work`, which adds inserts with [`insert_rows!`], then sends those
/// still waiting. The rows they borrow must outlive the call.
pub(crate) fn together<'a, T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection, &mut Inserts<'a>) -> Result<T>,
) -> Result<T> {
    let mut inserts = Inserts::default();
    let done = work(conn, &mut inserts)?;
    if let DbConnection::Postgres(pg) = conn {
        inserts.send(pg)?;
    }
    Ok(done)
}

impl<'a> Inserts<'a> {
    /// Adds an insert of `rows` rows, first sending what waits if one
    /// statement would otherwise hold more than [`CHUNK`] rows.
    pub(crate) fn push(
        &mut self,
        conn: &mut PgConnection,
        insert: Box<dyn QueryFragment<Pg> + 'a>,
        rows: usize,
    ) -> Result<()> {
        if self.rows + rows > CHUNK {
            self.send(conn)?;
        }
        self.pending.push(insert);
        self.rows += rows;
        Ok(())
    }

    fn send(&mut self, conn: &mut PgConnection) -> Result<()> {
        self.rows = 0;
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        Together(pending).execute(conn)?;
        Ok(())
    }
}

/// `rows` in pieces of at most [`CHUNK`].
pub(crate) fn chunks<T>(rows: Vec<T>) -> Vec<Vec<T>> {
    let mut rows = rows.into_iter();
    std::iter::from_fn(|| {
        let chunk: Vec<T> = rows.by_ref().take(CHUNK).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
    .collect()
}

/// Inserts `rows` (a `Vec`) into `table`, each piece of [`CHUNK`] rows in
/// one statement. With an [`Inserts`] first, on PostgreSQL they wait to go
/// with the others (see [`together`]); without, they go now.
///
/// diesel writes multi-row inserts only for a concrete backend, hence the
/// dispatch. A single row goes in by a statement of fixed text, which
/// PostgreSQL keeps prepared; one of several rows is prepared afresh each
/// time, another round trip.
///
/// SQLite takes one row per statement, through one statement kept
/// prepared. A statement writing several rows inside a transaction keeps
/// a statement journal (a copy of every page it touches, to undo it alone
/// if it fails), and inside a savepoint, as the audit writer's actions
/// run, SQLite ends each such statement by walking its in-memory journal
/// from the start of the savepoint's: a settlement batch spent a quarter
/// of its time there, more the more it had written. A one-row statement
/// needs no statement journal, and SQLite has no round trip to save.
macro_rules! insert_rows {
    ($inserts:expr, $conn:expr, $table:expr, $rows:expr) => {
        for mut chunk in crate::bulk_insert::chunks($rows) {
            let statement = diesel::insert_into($table);
            match (&mut *$conn, chunk.len()) {
                (crate::DbConnection::Postgres(c), 1) => {
                    let row = chunk.swap_remove(0);
                    $inserts.push(c, Box::new(statement.values(row)), 1)?
                }
                (crate::DbConnection::Postgres(c), n) => {
                    $inserts.push(c, Box::new(statement.values(chunk)), n)?
                }
                (crate::DbConnection::Sqlite(c), _) => {
                    for row in chunk {
                        diesel::insert_into($table)
                            .values(row)
                            .execute(c)
                            .map(drop)?;
                    }
                }
            }
        }
    };
    ($conn:expr, $table:expr, $rows:expr) => {
        crate::bulk_insert::together($conn, |conn, inserts| {
            crate::bulk_insert::insert_rows!(inserts, conn, $table, $rows);
            Ok(())
        })?
    };
}
pub(crate) use insert_rows;

/// Several inserts as one statement.
struct Together<'a>(Vec<Box<dyn QueryFragment<Pg> + 'a>>);

/// Its text depends on its parts, so it is cached by text, when each part
/// may be.
impl QueryId for Together<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Together<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let Some((last, first)) = self.0.split_last() else {
            return Ok(());
        };
        for (n, insert) in first.iter().enumerate() {
            out.push_sql(if n == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("i{n} AS ("));
            insert.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !first.is_empty() {
            out.push_sql(" ");
        }
        last.walk_ast(out)
    }
}

impl RunQueryDsl<PgConnection> for Together<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_every_row_in_order_at_most_chunk_at_a_time() {
        let rows: Vec<usize> = (0..2 * CHUNK + 1).collect();
        let pieces = chunks(rows.clone());
        let sizes: Vec<usize> = pieces.iter().map(Vec::len).collect();
        assert_eq!(sizes, [CHUNK, CHUNK, 1]);
        assert_eq!(pieces.concat(), rows);
        assert!(chunks(Vec::<u8>::new()).is_empty());
    }
}
