//! paycode's domain and use cases: users, merchants and their accounts, the double-entry
//! ledger, wallet devices and the codes they make, trades, refunds and the limits around them.
//!
//! The crate knows nothing of HTTP or SQL. It owns the storage contract ([`store::Store`]),
//! which `paycode-store` implements for SQLite and PostgreSQL, and it takes the clock and the
//! random number generator from its caller so that tests control time ([`clock::ManualClock`]).
//! [`service::Paycode`] is the one entry point: every use case of the HTTP API is a method on it.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod days;
mod engine;
pub mod error;
pub mod ids;
pub mod limits;
pub mod login_throttle;
pub mod model;
pub mod money;
pub mod password_pool;
pub mod rate_limit;
pub mod reports;
pub mod service;
pub mod store;
pub mod text;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use error::{Error, ErrorKind};
pub use money::Amount;
pub use service::Paycode;
