//! The one error persistence answers with. diesel's errors are mapped to
//! it here, once: the layers above never see diesel, and never read a
//! database's message to learn what went wrong.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No row where the caller required one.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write. `constraint` names it the
    /// same way on both backends: by its PostgreSQL name (see [`UNIQUE`]).
    #[error("the write conflicts with a stored row ({constraint})")]
    Conflict { constraint: String },
    /// The database cannot be reached, the pool has no connection to give,
    /// or the connection was lost: nothing about the request was wrong,
    /// and it may be tried again.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug, or a row that cannot be read. The message is
    /// for the log, never for the client.
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stored value the program cannot read, e.g. a role no version of
    /// it writes: only tampering or a newer version leaves one.
    pub fn unreadable(what: impl std::fmt::Display) -> Self {
        Self::Other(format!("unreadable row: {what}"))
    }
}

/// Unique constraints by their PostgreSQL names, with the columns SQLite
/// names when it refuses a write instead (it has no constraint names).
const UNIQUE: &[(&str, &str)] = &[
    ("agencies_ori_key", "agencies.ori"),
    ("task_forces_name_key", "task_forces.name"),
    ("users_username_key", "users.username"),
    ("chemical_facts_cas_key", "chemical_facts.cas"),
    (
        "links_active_pair",
        "links.from_shipment_id, links.to_shipment_id",
    ),
];

/// The constraint a unique violation names, as its PostgreSQL name.
fn constraint(info: &dyn DatabaseErrorInformation) -> String {
    if let Some(name) = info.constraint_name() {
        return name.to_owned();
    }
    // SQLite: "UNIQUE constraint failed: table.column[, table.column]".
    let columns = info
        .message()
        .split_once(": ")
        .map_or(info.message(), |(_, columns)| columns);
    UNIQUE
        .iter()
        .find(|(_, sqlite)| *sqlite == columns)
        .map_or(columns, |(name, _)| name)
        .to_owned()
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::Error as Diesel;
        match error {
            Diesel::NotFound => Self::NotFound,
            Diesel::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => Self::Conflict {
                constraint: constraint(info.as_ref()),
            },
            Diesel::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(info.message().to_owned()),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Info(&'static str, Option<&'static str>);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.1
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn unique(info: Info) -> Error {
        diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new(info))
            .into()
    }

    #[test]
    fn both_backends_name_a_constraint_alike() {
        let postgres = unique(Info(
            "duplicate key value violates unique constraint",
            Some("links_active_pair"),
        ));
        let sqlite = unique(Info(
            "UNIQUE constraint failed: links.from_shipment_id, links.to_shipment_id",
            None,
        ));
        for error in [postgres, sqlite] {
            assert!(
                matches!(&error, Error::Conflict { constraint } if constraint == "links_active_pair"),
                "{error:?}"
            );
        }
        let unknown = unique(Info("UNIQUE constraint failed: imports.id", None));
        assert!(matches!(unknown, Error::Conflict { constraint } if constraint == "imports.id"));
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_the_rest_opaque() {
        let lost: Error = diesel::result::Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new(Info("server closed the connection", None)),
        )
        .into();
        assert!(matches!(lost, Error::Unavailable(_)));
        assert!(matches!(
            Error::from(diesel::result::Error::NotFound),
            Error::NotFound
        ));
        assert!(matches!(
            Error::from(diesel::result::Error::RollbackTransaction),
            Error::Other(_)
        ));
    }
}
