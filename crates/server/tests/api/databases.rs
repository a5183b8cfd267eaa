//! The two databases a scenario runs on: a fresh SQLite file in a temporary directory, or a
//! fresh schema of the PostgreSQL database named by `PAYCODE_TEST_DATABASE_URL`, dropped with
//! everything in it when the scenario ends (as the store's own PostgreSQL tests do), so that
//! scenarios run in parallel on one database without seeing each other.

use std::sync::Arc;
use std::time::Duration;

use paycode_core::store::Store;
use paycode_store::postgres::test_database_url;
use paycode_store::{PostgresStore, SqliteStore};
use tempfile::TempDir;

/// Connections of each scenario's PostgreSQL store. The concurrency scenarios send 50 requests
/// at once; they queue for these within the pool's checkout timeout, as they would in a
/// deployment, and 8 per store keeps two scenarios at a time far below `max_connections`.
const POOL_SIZE: u32 = 8;

/// How often dropping a scratch schema is tried. A server being stopped may still run a last
/// transaction on it, and `DROP SCHEMA` can then lose a deadlock against it.
const DROP_ATTEMPTS: u32 = 3;

/// The database a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The scale-out backend.
    Postgres,
}

impl Backend {
    /// The name `/healthz` reports for it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Whether its scenarios can run here. PostgreSQL needs `PAYCODE_TEST_DATABASE_URL`;
    /// without it this prints one line saying the PostgreSQL tests are skipped, and under CI
    /// it panics, so that CI never passes without them.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Postgres => test_database_url().is_some(),
        }
    }
}

/// A fresh database, removed when dropped: one of the two is there.
pub struct TestDatabase {
    /// The directory of the SQLite file.
    _directory: Option<TempDir>,
    /// The schema that holds every table.
    _schema: Option<ScratchSchema>,
}

impl TestDatabase {
    /// Creates a fresh database of `backend` and opens a store on it. Blocking: the
    /// PostgreSQL driver must not run on a thread that drives asynchronous tasks.
    pub fn open(backend: Backend) -> (TestDatabase, Arc<dyn Store>) {
        match backend {
            Backend::Sqlite => {
                let directory = tempfile::tempdir().expect("a temporary directory");
                let store = SqliteStore::open(&directory.path().join("paycode.sqlite"))
                    .expect("a SQLite store");
                let database = TestDatabase {
                    _directory: Some(directory),
                    _schema: None,
                };
                (database, Arc::new(store))
            }
            Backend::Postgres => {
                let schema = ScratchSchema::new();
                let store = schema.connect(POOL_SIZE);
                let database = TestDatabase {
                    _directory: None,
                    _schema: Some(schema),
                };
                (database, Arc::new(store))
            }
        }
    }
}

/// A schema of the test database, dropped with everything in it when this is.
pub struct ScratchSchema {
    url: String,
    name: String,
}

impl ScratchSchema {
    /// A new, empty schema with a random name. Blocking. Panics when
    /// `PAYCODE_TEST_DATABASE_URL` is unset: callers check [`Backend::is_available`] first.
    pub fn new() -> ScratchSchema {
        let url = test_database_url().expect("PAYCODE_TEST_DATABASE_URL is set");
        let schema = ScratchSchema {
            name: format!("paycode_server_test_{:016x}", rand::random::<u64>()),
            url,
        };
        // Created here rather than by the store, so that a server opened from a URL alone
        // (see `url`) finds it.
        schema
            .raw()
            .batch_execute(&format!("CREATE SCHEMA \"{}\"", schema.name))
            .expect("the scratch schema is created");
        schema
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database URL with this schema as the session's search path, which is where
    /// `PostgresStore::connect` (and so `paycode serve --database URL`) puts its tables.
    pub fn url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.url, self.name
        )
    }

    /// A store in this schema. Blocking.
    pub fn connect(&self, pool_size: u32) -> PostgresStore {
        PostgresStore::connect_with_schema(&self.url, &self.name, pool_size).unwrap_or_else(
            |error| {
                panic!("PAYCODE_TEST_DATABASE_URL is set, but the database cannot be used: {error}")
            },
        )
    }

    /// A connection of its own, outside any store, with this schema on its search path, for
    /// looking at the tables directly. Blocking.
    pub fn raw(&self) -> postgres::Client {
        let mut client = postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|error| panic!("cannot connect to PAYCODE_TEST_DATABASE_URL: {error}"));
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.name))
            .expect("the search path is set");
        client
    }
}

impl Drop for ScratchSchema {
    /// Drops the schema from a thread of its own: scenarios end on threads that drive
    /// asynchronous tasks, where the blocking driver panics.
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let mut last_error = None;
            for _ in 0..DROP_ATTEMPTS {
                let attempt =
                    postgres::Client::connect(&url, postgres::NoTls).and_then(|mut client| {
                        client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                    });
                match attempt {
                    Ok(()) => return,
                    Err(error) => last_error = Some(error),
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            if let Some(error) = last_error {
                eprintln!("could not drop test schema {name}: {error}");
            }
        })
        .join();
        if dropped.is_err() {
            eprintln!("dropping test schema {} panicked", self.name);
        }
    }
}
