//! paycode's storage: implementations of the storage contract that the domain crate owns
//! ([`paycode_core::store::Store`]) and their schema migrations. The one conformance suite
//! every implementation must pass is the crate `paycode-store-conformance`, which the tests of
//! this crate run against both.
//!
//! - [`SqliteStore`] keeps everything in one SQLite file (the embedded default, SPEC section
//!   5): created and migrated on open, written through a single serialized writer, committed
//!   durably (write-ahead log, `synchronous=FULL`).
//! - [`PostgresStore`] keeps everything in a PostgreSQL database that any number of server
//!   instances share (the scale-out deployment): a pool of connections, row and advisory locks
//!   for every read-check-write, `synchronous_commit=on`.
//!
//! Database rows stay inside this crate: every method reads and writes the domain's records
//! from `paycode_core::model`, and every failure is a [`paycode_core::store::StoreError`].

mod listing;
pub mod postgres;
mod rows;
mod schema;
pub mod sqlite;

pub use self::postgres::PostgresStore;
pub use sqlite::SqliteStore;
