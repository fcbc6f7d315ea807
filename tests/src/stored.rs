//! What a database holds, read directly, for tests of the real binary
//! (`crates/web/tests`), whose crate does not speak SQL.

use diesel::prelude::*;
use interdict_persistence::schema::{flags, import_keys, imports, links, records, risk_findings};
use interdict_persistence::{DatabaseUrl, Db, DbConnection, PoolOptions};
use sha2::{Digest, Sha256};

/// A database the binary wrote, opened by its URL (migrated if needed).
pub struct Stored(Db);

impl Stored {
    pub fn open(url: &str) -> Self {
        let url = DatabaseUrl::parse(url).expect("database url");
        Self(Db::connect(&url, PoolOptions::sized(1)).expect("connect"))
    }

    fn with<T>(&self, read: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> T {
        let mut pooled = self.0.get().expect("a connection");
        read(&mut pooled).expect("read the database")
    }

    /// Records of one kind.
    pub fn records(&self, kind: &str) -> i64 {
        self.with(|conn| {
            records::table
                .filter(records::kind.eq(kind))
                .count()
                .get_result(conn)
        })
    }

    /// Lines the (one) import has recorded as imported, if it has started.
    pub fn imported(&self) -> Option<i64> {
        self.with(|conn| {
            imports::table
                .select(imports::imported)
                .get_result(conn)
                .optional()
        })
    }

    /// Lines kept as imported, by their key.
    pub fn import_keys(&self) -> i64 {
        self.with(|conn| import_keys::table.count().get_result(conn))
    }

    /// Every record's kind and body in id order, hashed; the number of
    /// shipments; the number of links.
    pub fn fingerprint(&self) -> (String, i64, i64) {
        let rows: Vec<(String, String)> = self.with(|conn| {
            records::table
                .order(records::id)
                .select((records::kind, records::body))
                .load(conn)
        });
        let mut hash = Sha256::new();
        for (kind, body) in &rows {
            hash.update(kind.as_bytes());
            hash.update(body.as_bytes());
        }
        let links: i64 = self.with(|conn| links::table.count().get_result(conn));
        (
            hex::encode(hash.finalize()),
            self.records("shipment"),
            links,
        )
    }

    /// Flags raised, and shipments with kept findings.
    pub fn flags_and_kept_findings(&self) -> (i64, i64) {
        self.with(|conn| {
            Ok((
                flags::table.count().get_result(conn)?,
                risk_findings::table.count().get_result(conn)?,
            ))
        })
    }
}
